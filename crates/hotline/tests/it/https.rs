//! HTTPS end to end: a server made to speak TLS on loopback makes itself a certificate on
//! first start (its key readable by the owner only), keeps it across restarts, answers over
//! TLS with HSTS and refuses plain HTTP on that port; an operator's certificate is served as
//! given; a client that does not trust the certificate gets no answer; a certificate without
//! its key, or a key that does not fit, stops the start with a message that says so.

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
    ] {
        let s = settings(dir.path(), |s| configure(s));
        let error = format!("{:#}", start(&s).await.unwrap_err());
        assert!(error.contains(expected), "{expected}: {error}");
    }
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
    let s = settings(dir.path(), |s| s.https = HttpsMode::On);
    let running = start(&s).await.unwrap();
    let target = running.http_addr.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sslscan")
            .args(["--no-colour", "--xml=-", &target])
            .output()
            .expect("sslscan runs (Debian package sslscan; scripts/test installs it)")
    })
    .await
    .unwrap();
    running.stop().await.unwrap();
    let xml = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{xml}");
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
    assert_eq!(protocols.len(), 6, "{xml}");
    for (protocol, enabled) in &protocols {
        let wanted = if matches!(protocol.as_str(), "tls 1.2" | "tls 1.3") {
            "1"
        } else {
            "0"
        };
        assert_eq!(*enabled, wanted, "{protocol}: {xml}");
    }
    let ciphers: Vec<&&str> = elements
        .iter()
        .filter(|l| l.starts_with("<cipher "))
        .collect();
    assert!(!ciphers.is_empty(), "{xml}");
    for c in ciphers {
        let strength = attr(c, "strength").unwrap();
        assert!(
            matches!(strength, "strong" | "acceptable"),
            "a weak cipher: {c}"
        );
        assert!(
            attr(c, "bits").unwrap().parse::<u32>().unwrap() >= 128,
            "{c}"
        );
    }
    for l in elements.iter().filter(|l| l.starts_with("<heartbleed ")) {
        assert_eq!(attr(l, "vulnerable"), Some("0"), "{l}");
    }
    let renegotiation = elements
        .iter()
        .find(|l| l.starts_with("<renegotiation "))
        .unwrap();
    assert!(
        attr(renegotiation, "supported") == Some("0") || attr(renegotiation, "secure") == Some("1"),
        "insecure renegotiation: {renegotiation}"
    );
}
