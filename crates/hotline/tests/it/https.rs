//! HTTPS end to end: a server made to speak TLS on loopback makes itself a certificate on
//! first start (its key readable by the owner only), keeps it across restarts, answers over
//! TLS with HSTS and refuses plain HTTP on that port; an operator's certificate is served as
//! given; a client that does not trust the certificate gets no answer; a certificate without
//! its key, or a key that does not fit, stops the start with a message that says so. SIP over
//! TLS shares the certificate: it answers a client that trusts it, and drops plain text; sslscan
//! finds only TLS 1.2 and 1.3 with strong ciphers on both listeners.

use std::sync::Arc;

use app::{Clock, ManualClock, SystemClock};
use hotline::server;
use hotline::settings::{HttpsMode, Overrides, Settings};
use reqwest::StatusCode;

fn settings(dir: &std::path::Path, configure: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::load(
        None,
        &Overrides {
            data_dir: Some(dir.to_path_buf()),
            http_addr: Some("127.0.0.1:0".parse().unwrap()),
            database_url: None,
            sip_addr: None,
        },
    )
    .unwrap();
    s.sip.enabled = false;
    configure(&mut s);
    s
}

async fn start(s: &Settings) -> anyhow::Result<server::Running> {
    server::start(s, Arc::new(ManualClock::new(SystemClock.now()))).await
}

/// A client that trusts exactly `cert_pem`.
fn trusting(cert_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem).unwrap()])
        .build()
        .unwrap()
}

/// A GET over TLS from a client that offers `h2` and `http/1.1` (as browsers do), trusting
/// `cert_pem`; the server's answer as text. Fails when the server picks `h2`.
async fn browser_like_get(cert_pem: &[u8], addr: std::net::SocketAddr, path: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"http/1.1"[..]),
        "the server agreed to a protocol it does not speak"
    );
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tls.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_made_once_and_served_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), |s| s.https = HttpsMode::On);
    let running = start(&s).await.unwrap();
    assert!(running.https);
    let base = running.base_url();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let cert_file = dir.path().join("tls/cert.pem");
    let cert = std::fs::read(&cert_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tls/key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is the owner's only");
    }

    let r = trusting(&cert)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    // A browser offers HTTP/2 first: the server must pick what it speaks (HTTP/1.1) and
    // answer in it. It once offered h2 without speaking it, and every browser failed.
    let answer = browser_like_get(&cert, running.http_addr, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The name in the certificate works as well as the address.
    let port = running.http_addr.port();
    let r = trusting(&cert)
        .get(format!("https://localhost:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A client that does not trust it gets nothing; plain HTTP on the port gets nothing.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err()
    );
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", running.http_addr))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != StatusCode::OK);
    running.stop().await.unwrap();

    // The next start keeps the certificate.
    let running = start(&s).await.unwrap();
    assert_eq!(std::fs::read(&cert_file).unwrap(), cert);
    let r = trusting(&cert)
        .get(format!("{}/healthz", running.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_certificate_is_served_and_bad_files_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let made =
        rcgen::generate_simple_self_signed(vec!["hotline.test".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other.test".to_owned()]).unwrap();
    let files = tempfile::tempdir().unwrap();
    let (cert, key, wrong_key) = (
        files.path().join("cert.pem"),
        files.path().join("key.pem"),
        files.path().join("other-key.pem"),
    );
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    std::fs::write(&wrong_key, other.signing_key.serialize_pem()).unwrap();

    // Loopback with an operator's certificate: HTTPS without being asked (https = auto).
    let s = settings(dir.path(), |s| {
        s.tls_cert_file = Some(cert.clone());
        s.tls_key_file = Some(key.clone());
    });
    let running = start(&s).await.unwrap();
    assert!(running.https);
    let r = trusting(made.cert.pem().as_bytes())
        .get(format!("{}/healthz", running.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        !dir.path().join("tls").exists(),
        "nothing self-signed was made"
    );
    running.stop().await.unwrap();

    for (configure, expected) in [
        (
            Box::new(|s: &mut Settings| s.tls_cert_file = Some(cert.clone()))
                as Box<dyn Fn(&mut Settings)>,
            "set both or neither",
        ),
        (
            Box::new(|s: &mut Settings| {
                s.tls_cert_file = Some(cert.clone());
                s.tls_key_file = Some(wrong_key.clone());
            }),
            "does not fit the certificate",
        ),
        (
            Box::new(|s: &mut Settings| {
                s.tls_cert_file = Some(files.path().join("missing.pem"));
                s.tls_key_file = Some(key.clone());
            }),
            "reading the TLS certificate",
        ),
        (
            Box::new(|s: &mut Settings| {
                s.tls_cert_file = Some(key.clone());
                s.tls_key_file = Some(key.clone());
            }),
            "holds no certificate",
        ),
        // SIP over TLS to the trunk: the certificates to trust must be readable and some.
        (
            Box::new(|s: &mut Settings| {
                trunk_tls(s);
                s.sip.trunk_ca_file = Some(files.path().join("missing.pem"));
            }),
            "reading sip.trunk_ca_file",
        ),
        (
            Box::new(|s: &mut Settings| {
                trunk_tls(s);
                s.sip.trunk_ca_file = Some(key.clone());
            }),
            "sip.trunk_ca_file",
        ),
    ] {
        let s = settings(dir.path(), |s| configure(s));
        let error = format!("{:#}", start(&s).await.unwrap_err());
        assert!(error.contains(expected), "{expected}: {error}");
    }
}

/// Calls on, call-backs through a trunk reached by TLS.
fn trunk_tls(s: &mut Settings) {
    s.sip.enabled = true;
    s.sip.addr = "127.0.0.1:0".parse().unwrap();
    s.sip.rtp_ports = "0".into();
    s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    s.sip.trunk_tls = true;
    s.sip.call_back_trunk = Some("127.0.0.1:5061".into());
}

/// The `attr="value"` of one XML element's text.
fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = element[start..].find('"')?;
    Some(&element[start..start + len])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslscan_finds_only_tls_1_2_and_1_3_with_strong_ciphers() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), |s| {
        s.https = HttpsMode::On;
        s.sip.enabled = true;
        s.sip.addr = "127.0.0.1:0".parse().unwrap();
        s.sip.rtp_ports = "0".into();
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    });
    let running = start(&s).await.unwrap();
    let https = running.http_addr.to_string();
    let sip = running.sip_tls_addr.unwrap().to_string();
    // The web listener and the SIP-over-TLS listener, which share the certificate and the
    // protocol versions.
    let scans = tokio::task::spawn_blocking(move || [sslscan(&https), sslscan(&sip)])
        .await
        .unwrap();
    running.stop().await.unwrap();
    for (target, xml) in scans {
        only_strong_tls(&target, &xml);
    }
}

/// sslscan's XML report on `target`.
fn sslscan(target: &str) -> (String, String) {
    let output = std::process::Command::new("sslscan")
        .args(["--no-colour", "--xml=-", target])
        .output()
        .expect("sslscan runs (Debian package sslscan; scripts/test installs it)");
    let xml = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{target}: {xml}");
    (target.to_owned(), xml)
}

/// Only TLS 1.2 and 1.3, strong or acceptable ciphers of ≥ 128 bits, no Heartbleed, no
/// insecure renegotiation.
fn only_strong_tls(target: &str, xml: &str) {
    let elements: Vec<&str> = xml.lines().map(str::trim).collect();
    let protocols: Vec<(String, &str)> = elements
        .iter()
        .filter(|l| l.starts_with("<protocol "))
        .map(|l| {
            (
                format!(
                    "{} {}",
                    attr(l, "type").unwrap(),
                    attr(l, "version").unwrap()
                ),
                attr(l, "enabled").unwrap(),
            )
        })
        .collect();
    assert_eq!(protocols.len(), 6, "{target}: {xml}");
    for (protocol, enabled) in &protocols {
        let wanted = if matches!(protocol.as_str(), "tls 1.2" | "tls 1.3") {
            "1"
        } else {
            "0"
        };
        assert_eq!(*enabled, wanted, "{target} {protocol}: {xml}");
    }
    let ciphers: Vec<&&str> = elements
        .iter()
        .filter(|l| l.starts_with("<cipher "))
        .collect();
    assert!(!ciphers.is_empty(), "{target}: {xml}");
    for c in ciphers {
        let strength = attr(c, "strength").unwrap();
        assert!(
            matches!(strength, "strong" | "acceptable"),
            "{target}: a weak cipher: {c}"
        );
        assert!(
            attr(c, "bits").unwrap().parse::<u32>().unwrap() >= 128,
            "{target}: {c}"
        );
    }
    for l in elements.iter().filter(|l| l.starts_with("<heartbleed ")) {
        assert_eq!(attr(l, "vulnerable"), Some("0"), "{target}: {l}");
    }
    let renegotiation = elements
        .iter()
        .find(|l| l.starts_with("<renegotiation "))
        .unwrap();
    assert!(
        attr(renegotiation, "supported") == Some("0") || attr(renegotiation, "secure") == Some("1"),
        "{target}: insecure renegotiation: {renegotiation}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_over_tls_answers_a_trusting_client_and_drops_plain_text() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), |s| {
        s.sip.enabled = true;
        s.sip.addr = "127.0.0.1:0".parse().unwrap();
        s.sip.rtp_ports = "0".into();
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    });
    let running = start(&s).await.unwrap();
    let tls_addr = running.sip_tls_addr.expect("SIP over TLS listens");
    let stats = running.voice_stats.clone().unwrap();
    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);

    // Plain SIP on the TLS port: no answer, the connection is closed, the failure counted.
    let mut plain = tokio::net::TcpStream::connect(tls_addr).await.unwrap();
    plain
        .write_all(b"OPTIONS sip:hotline@127.0.0.1 SIP/2.0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut buf),
    )
    .await
    .expect("the server closes a connection that is not TLS");
    assert!(read.is_err() || !String::from_utf8_lossy(&buf).contains("SIP/2.0 200"));

    // A client that trusts the certificate Hotline made gets SIP answers over TLS.
    let pem = std::fs::read(dir.path().join("tls").join("cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(tls_addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
    let local = tls.get_ref().0.local_addr().unwrap();
    let options = format!(
        "OPTIONS sip:hotline@{tls_addr};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {local};branch=z9hG4bK-options-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=p1\r\n\
         To: <sip:hotline@127.0.0.1>\r\n\
         Call-ID: options-over-tls@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    tls.write_all(options.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 2048];
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), tls.read(&mut chunk))
            .await
            .expect("an answer over TLS")
            .unwrap();
        assert!(n > 0, "closed without an answer");
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Via: SIP/2.0/TLS"), "{answer}");
    assert_eq!(count(&stats.tls_connections), 1);
    assert_eq!(count(&stats.tls_handshakes_failed), 1);
    running.stop().await.unwrap();
}
