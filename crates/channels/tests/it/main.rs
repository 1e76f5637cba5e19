//! The flow HTTP client against a real server on loopback: private addresses are refused
//! unless allowed, redirects are not followed, bodies are capped, timeouts answer status 0.
//! Every case asserts the exact outcome, so a client that never sends anything (and always
//! answers status 0) cannot pass the refusal and timeout cases.

use std::collections::BTreeMap;
use std::net::IpAddr;

use app::{HttpClient, OutboundOutcome, OutboundRequest, OutboundResponse};
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
async fn loopback_is_refused_unless_the_tenant_allows_it() {
    let base = serve().await;
    let client = FlowHttpClient::new();
    let refused = client
        .send(get_req(format!("{base}/ok"), 2000), false)
        .await;
    assert_eq!(
        refused,
        OutboundResponse::unanswered(OutboundOutcome::Refused)
    );
    let localhost = client
        .send(
            get_req(base.replace("127.0.0.1", "localhost") + "/ok", 2000),
            false,
        )
        .await;
    assert_eq!(
        localhost,
        OutboundResponse::unanswered(OutboundOutcome::Refused),
        "a name resolving to loopback is refused too"
    );
    let allowed = client.send(get_req(format!("{base}/ok"), 2000), true).await;
    assert_eq!(
        allowed,
        OutboundResponse::answered(200, r#"{"slot":"Dienstag"}"#.to_owned())
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_bodies_are_capped() {
    let base = serve().await;
    let client = FlowHttpClient::new();
    let r = client
        .send(get_req(format!("{base}/redirect"), 2000), true)
        .await;
    assert_eq!((r.outcome, r.status), (OutboundOutcome::Answered, 307));
    let big = client
        .send(get_req(format!("{base}/big"), 2000), true)
        .await;
    assert_eq!((big.outcome, big.status), (OutboundOutcome::Answered, 200));
    assert_eq!(big.body.len(), 64 * 1024);
}

#[tokio::test]
async fn a_timeout_answers_status_zero() {
    let base = serve().await;
    let r = FlowHttpClient::new()
        .send(get_req(format!("{base}/slow"), 300), true)
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
        .send(get_req(format!("http://{addr}/x"), 2000), true)
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
            client.send(get_req(url.to_owned(), 500), false).await,
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
