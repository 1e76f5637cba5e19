//! Health, readiness, metrics, the OpenAPI document, request ids and the web UI fallback.

use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let t = spawn_app().await;
    let health = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = t.http.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let _ = t.http.get(t.url("/api/v1/users")).send().await.unwrap();
    let metrics = t.http.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("hotline_http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/api/v1/users\""), "{text}");
    assert!(text.contains("status=\"401\""), "{text}");
    assert!(
        text.contains("hotline_http_request_duration_seconds_bucket"),
        "{text}"
    );
    t.stop().await;
}

#[tokio::test]
async fn made_up_http_methods_do_not_grow_the_metrics() {
    // The probe's attack: every random method became a label, and /metrics grew without bound.
    let t = spawn_app().await;
    let size = |text: &str| text.len();
    let send = |method: String| {
        let req = t.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            t.url("/api/v1/users"),
        );
        async move { req.send().await.unwrap() }
    };
    for i in 0..20 {
        send(format!("PROBE{i}")).await;
    }
    let before = size(&t.metrics().await);
    for i in 20..220 {
        send(format!("XMETHOD{i}")).await;
    }
    let text = t.metrics().await;
    assert!(text.contains("method=\"OTHER\""), "{text}");
    assert!(!text.contains("XMETHOD"), "a made-up method became a label");
    // 200 more odd requests only count up; the exposition keeps its size (the counters' digits
    // and the /metrics request itself aside).
    assert!(
        size(&text) < before + 2_000,
        "grew from {before} to {} bytes",
        size(&text)
    );
    t.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let t = spawn_app().await;
    t.app().store().close().await;
    let ready = t.http.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "liveness does not depend on the database"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let t = spawn_app().await;
    let doc: serde_json::Value = t
        .http
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/session", "get"),
        ("/api/v1/auth/password", "post"),
        ("/api/v1/auth/totp/enrol", "post"),
        ("/api/v1/auth/totp/confirm", "post"),
        ("/api/v1/auth/totp", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/logout-all", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}/end-sessions", "post"),
        ("/api/v1/users/{id}", "delete"),
        ("/api/v1/api-keys", "get"),
        ("/api/v1/api-keys", "post"),
        ("/api/v1/api-keys/{id}", "get"),
        ("/api/v1/api-keys/{id}", "delete"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/verify", "get"),
        ("/api/v1/tenant", "get"),
        ("/api/v1/tenant/http-destinations", "get"),
        ("/api/v1/tenant/http-destinations", "post"),
        ("/api/v1/tenant/http-destinations/{destination}", "delete"),
        ("/api/v1/flows/schema", "get"),
        ("/api/v1/flows/check", "post"),
        ("/api/v1/flows/simulate", "post"),
        ("/api/v1/flows/understand", "post"),
        ("/api/v1/flows/intents", "post"),
        ("/api/v1/flows/test", "post"),
        ("/api/v1/prompts", "get"),
        ("/api/v1/conversations", "get"),
        ("/api/v1/prompts/{name}", "put"),
        ("/api/v1/prompts/{name}", "delete"),
        ("/api/v1/prompts/{name}/audio", "get"),
        ("/api/v1/prompts/preview", "post"),
        ("/api/v1/flows", "get"),
        ("/api/v1/flows", "post"),
        ("/api/v1/flows/{id}", "get"),
        ("/api/v1/flows/{id}", "put"),
        ("/api/v1/flows/{id}/publish", "post"),
        ("/api/v1/flows/{id}/versions", "get"),
        ("/api/v1/flows/{id}/rollback", "post"),
        ("/api/v1/flows/{id}/activate", "post"),
        ("/api/v1/widgets", "get"),
        ("/api/v1/widgets", "post"),
        ("/api/v1/widgets/{id}", "get"),
        ("/api/v1/widgets/{id}", "put"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Parameters are where they are documented: a path parameter appears in its path (the
    // audit log's and the KPIs' query parameters were once documented as required path
    // parameters, so clients and scanners built from the document could not page).
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let inside = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    param["in"] == "path",
                    inside,
                    "{method} {path}: parameter {name} is documented in {}",
                    param["in"]
                );
            }
        }
    }
    // Every query parameter has an example, so a client (and the web scan, which builds its
    // start URLs from this document) can make a valid request and vary one parameter at a time.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "query" {
                    assert!(
                        !param["example"].is_null() || !param["schema"]["example"].is_null(),
                        "{method} {path}: query parameter {} has no example",
                        param["name"]
                    );
                }
            }
        }
    }
    let audit = &paths["/api/v1/audit"]["get"]["parameters"];
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "limit" && p["in"] == "query" && p["required"] != true),
        "{audit}"
    );
    t.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let t = spawn_app().await;
    for path in ["/healthz", "/api/v1/users", "/", "/users"] {
        let r = t.http.get(t.url(path)).send().await.unwrap();
        let id = r
            .headers()
            .get("x-request-id")
            .expect("request id")
            .to_str()
            .unwrap();
        assert_eq!(id.len(), 36, "{path}: {id}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(r.headers()["x-xss-protection"], "0");
    }
    // A request id the client sends is kept.
    let r = t
        .http
        .get(t.url("/healthz"))
        .header("x-request-id", "4a9c7b1e-0000-4000-8000-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["x-request-id"],
        "4a9c7b1e-0000-4000-8000-000000000001"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget_in_the_callers_language() {
    let t = spawn_app().await;
    let de = t
        .http
        .get(t.url("/demo"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(de.status(), StatusCode::OK);
    let html = de.text().await.unwrap();
    assert!(
        html.contains("data-widget=\"demo-de\"") && html.contains("<html lang=\"de\">"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script");
    let en = t
        .http
        .get(t.url("/demo?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("data-widget=\"demo-en\""), "{en}");
    let slot: serde_json::Value = t
        .http
        .get(t.url("/demo/api/appointment?postcode=10115&lang=de"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(slot["slot"].as_str().unwrap().contains("Uhr"), "{slot}");
    t.stop().await;
}

#[tokio::test]
async fn client_side_routes_get_the_web_ui() {
    let t = spawn_app().await;
    let r = t.http.get(t.url("/users")).send().await.unwrap();
    if api::ui_embedded() {
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("<div id=\"root\">"));
    } else {
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    t.stop().await;
}

#[tokio::test]
async fn the_web_ui_answers_only_get_and_head() {
    // The web scan showed a POST or OPTIONS to any page answered like GET: 200 and the page.
    let t = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::POST, "/"),
        (reqwest::Method::POST, "/login"),
        (reqwest::Method::OPTIONS, "/users"),
        (reqwest::Method::PUT, "/widget.js"),
    ] {
        let r = t
            .http
            .request(method.clone(), t.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(r.headers()["allow"], "GET, HEAD", "{method} {path}");
    }
    let head = t.http.head(t.url("/users")).send().await.unwrap();
    assert_ne!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    t.stop().await;
}

#[tokio::test]
async fn a_refusal_that_leaves_the_body_unread_says_the_connection_closes() {
    // The web scan's XML posts: a request refused before its body arrived left the connection
    // to be closed after the answer, unannounced, and the client's next request on it failed.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = spawn_app().await;
    let addr = t.base.trim_start_matches("http://").to_owned();
    async fn answer_head(tcp: &mut tokio::net::TcpStream) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read(&mut byte))
                .await
                .expect("an answer")
                .unwrap();
            assert_eq!(read, 1, "closed before the answer's head: {head:?}");
            head.push(byte[0]);
        }
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    }
    // Only the head is sent, so each refusal comes before the body is there to read.
    for (path, status) in [
        ("/api/v1/audit/verify", "405"),
        ("/api/v1/users", "401"),
        ("/", "405"),
    ] {
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\nContent-Length: 10\r\n\r\n"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let answer = answer_head(&mut tcp).await;
        assert!(
            answer.starts_with(&format!("http/1.1 {status}")),
            "{path}: {answer}"
        );
        assert!(
            answer.contains("\r\nconnection: close\r\n"),
            "{path}: {answer}"
        );
    }
    // A body read to its end keeps the connection: a failed login, then the next request on it.
    let body = r#"{"username":"nobody","password":"not-the-password"}"#;
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let login = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(login.as_bytes()).await.unwrap();
    let answer = answer_head(&mut tcp).await;
    assert!(answer.starts_with("http/1.1 401"), "{answer}");
    assert!(!answer.contains("connection: close"), "{answer}");
    let length: usize = answer
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a content length")
        .trim()
        .parse()
        .unwrap();
    let mut rest = vec![0u8; length];
    tcp.read_exact(&mut rest).await.unwrap();
    tcp.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let answer = answer_head(&mut tcp).await;
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    t.stop().await;
}
