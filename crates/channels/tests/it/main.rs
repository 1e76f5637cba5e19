//! The flow HTTP client against a real server on loopback: private addresses are refused
//! unless allowed, redirects are not followed, bodies are capped, timeouts answer status 0.
//! Every case asserts the exact outcome, so a client that never sends anything (and always
//! answers status 0) cannot pass the refusal and timeout cases.

use std::collections::BTreeMap;
use std::net::IpAddr;

use app::{HttpClient, OutboundOutcome, OutboundRequest, OutboundResponse, PrivateAccess};
use axum::Router;
use axum::routing::get;
use channels::{FlowHttpClient, is_public_ip};

async fn serve() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { axum::Json(serde_json_value()) }))
        .route(
            "/redirect",
            get(|| async { axum::response::Redirect::temporary("/ok") }),
        )
        .route("/big", get(|| async { "x".repeat(200 * 1024) }))
        .route(
            "/slow",
            // Never answers: the client's own timeout must end the request.
            get(std::future::pending::<&'static str>),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn serde_json_value() -> std::collections::HashMap<&'static str, &'static str> {
    std::collections::HashMap::from([("slot", "Dienstag")])
}

/// Nothing private opened (every tenant's default).
fn closed() -> PrivateAccess {
    PrivateAccess::default()
}

/// The test server's destination opened, as an admin would.
fn opened(base: &str) -> PrivateAccess {
    PrivateAccess {
        destinations: vec![base.trim_start_matches("http://").to_owned()],
        own_demo_base: None,
    }
}

fn get_req(url: String, timeout_ms: u64) -> OutboundRequest {
    OutboundRequest {
        method: "GET",
        url,
        headers: BTreeMap::new(),
        body: None,
        timeout_ms,
    }
}

#[tokio::test]
async fn loopback_is_refused_unless_its_destination_is_opened() {
    let base = serve().await;
    let client = FlowHttpClient::new();
    let refused = client
        .send(get_req(format!("{base}/ok"), 2000), &closed())
        .await;
    assert_eq!(
        refused,
        OutboundResponse::unanswered(OutboundOutcome::Refused)
    );
    let localhost = client
        .send(
            get_req(base.replace("127.0.0.1", "localhost") + "/ok", 2000),
            &closed(),
        )
        .await;
    assert_eq!(
        localhost,
        OutboundResponse::unanswered(OutboundOutcome::Refused),
        "a name resolving to loopback is refused too"
    );
    let allowed = client
        .send(get_req(format!("{base}/ok"), 2000), &opened(&base))
        .await;
    assert_eq!(
        allowed,
        OutboundResponse::answered(200, r#"{"slot":"Dienstag"}"#.to_owned())
    );
}

#[tokio::test]
async fn only_the_opened_destination_or_our_own_demo_endpoints_reach_private_addresses() {
    // The probe's attack: a flow on the default tenant read 127.0.0.1, localhost,
    // [::ffff:127.0.0.1], 0.0.0.0 and 169.254.169.254 and showed the answer to a visitor.
    let base = serve().await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let client = FlowHttpClient::new();
    let refused = OutboundResponse::unanswered(OutboundOutcome::Refused);
    for url in [
        format!("http://localhost:{port}/ok"),
        format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        format!("http://0.0.0.0:{port}/ok"),
        format!("http://127.1:{port}/ok"),
        format!("http://0x7f000001:{port}/ok"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        assert_eq!(
            client.send(get_req(url.clone(), 500), &closed()).await,
            refused,
            "{url}"
        );
    }
    // Opening one destination opens exactly that host and port.
    let other_port = format!("http://127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1);
    assert_eq!(
        client
            .send(get_req(format!("{base}/ok"), 500), &opened(&other_port))
            .await,
        refused
    );
    assert_eq!(
        client
            .send(
                get_req(format!("http://localhost:{port}/ok"), 500),
                &opened(&base)
            )
            .await,
        refused,
        "127.0.0.1:{port} opened, not localhost:{port}"
    );
    // Our own server: its /demo/api/ endpoints only, however the path is spelt.
    let own = PrivateAccess {
        destinations: Vec::new(),
        own_demo_base: Some(base.clone()),
    };
    let demo = client
        .send(get_req(format!("{base}/demo/api/ok"), 500), &own)
        .await;
    assert_eq!(demo.outcome, OutboundOutcome::Answered, "the demo endpoint");
    for escape in [
        format!("{base}/ok"),
        format!("{base}/demo/api/../../ok"),
        format!("{base}/demo/api/%2e%2e/%2e%2e/ok"),
        format!("{base}/demo/apix/ok"),
        format!("http://user@127.0.0.1:{port}/demo/api/ok"),
    ] {
        assert_eq!(
            client.send(get_req(escape.clone(), 500), &own).await,
            refused,
            "{escape}"
        );
    }
    assert_eq!(
        channels::destination(&reqwest::Url::parse("http://CRM.Internal/x").unwrap()).as_deref(),
        Some("crm.internal:80")
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_bodies_are_capped() {
    let base = serve().await;
    let client = FlowHttpClient::new();
    let r = client
        .send(get_req(format!("{base}/redirect"), 2000), &opened(&base))
        .await;
    assert_eq!((r.outcome, r.status), (OutboundOutcome::Answered, 307));
    let big = client
        .send(get_req(format!("{base}/big"), 2000), &opened(&base))
        .await;
    assert_eq!((big.outcome, big.status), (OutboundOutcome::Answered, 200));
    assert_eq!(big.body.len(), 64 * 1024);
}

#[tokio::test]
async fn a_timeout_answers_status_zero() {
    let base = serve().await;
    let r = FlowHttpClient::new()
        .send(get_req(format!("{base}/slow"), 300), &opened(&base))
        .await;
    assert_eq!(r, OutboundResponse::unanswered(OutboundOutcome::TimedOut));
}

#[tokio::test]
async fn a_closed_port_fails_without_an_answer() {
    // Bind, note the port, close: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let r = FlowHttpClient::new()
        .send(
            get_req(format!("http://{addr}/x"), 2000),
            &opened(&format!("http://{addr}")),
        )
        .await;
    assert_eq!(r, OutboundResponse::unanswered(OutboundOutcome::Failed));
}

#[tokio::test]
async fn only_http_urls_are_requested() {
    let client = FlowHttpClient::new();
    for (url, outcome) in [
        ("file:///etc/passwd", OutboundOutcome::Refused),
        ("ftp://example.org/x", OutboundOutcome::Refused),
        ("not a url", OutboundOutcome::Failed),
        ("http://[::1]:1/x", OutboundOutcome::Refused),
    ] {
        assert_eq!(
            client.send(get_req(url.to_owned(), 500), &closed()).await,
            OutboundResponse::unanswered(outcome),
            "{url}"
        );
    }
}

#[test]
fn public_and_private_addresses() {
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "255.255.255.255",
    ] {
        assert!(
            !is_public_ip(private.parse::<IpAddr>().unwrap()),
            "{private}"
        );
    }
    for public in [
        "8.8.8.8",
        "1.1.1.1",
        "2a00:1450:4001:80b::200e",
        "185.199.108.153",
    ] {
        assert!(is_public_ip(public.parse::<IpAddr>().unwrap()), "{public}");
    }
}
