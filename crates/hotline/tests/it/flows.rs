//! Flows over the API and the CLI: validation with all diagnostics, publishing immutable
//! versions, conversations finishing on their version, rollback, the JSON Schema, and
//! `hotline flow validate | lint | test` on the demo flows.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::chat::Chat;
use crate::support::spawn_app;

const SMALL_FLOW: &str = r#"
flow: 1
id: small
name: Small
language: de
languages: [de]
start: hello
nodes:
  - id: hello
    type: say
    text: "Hallo, ich bin ein Bot. Version EINS."
    next: ask
  - id: ask
    type: ask
    prompt: "Worum geht es?"
    next: queue
    no_input: queue
    no_match: queue
  - id: queue
    type: enqueue
    queue: team
"#;

#[tokio::test]
async fn flows_are_validated_published_and_rolled_back() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;

    // A broken source gets every problem at once, with node ids.
    let broken = SMALL_FLOW.replace("next: queue\n    no_input", "next: nowhere\n    no_input")
        + "  - id: orphan\n    type: end\n";
    let r = admin
        .post("/api/v1/flows/check", json!({"source": broken}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["valid"], false);
    let codes: Vec<&str> = r.body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"dangling-transition"), "{codes:?}");
    assert!(codes.contains(&"unreachable-node"), "{codes:?}");
    // A source that does not parse is checked too: its parse errors are the findings.
    let r = admin
        .post("/api/v1/flows/check", json!({"source": "flow: [unclosed"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["valid"], false);
    assert!(!r.body["diagnostics"].as_array().unwrap().is_empty());
    // Creating a flow from it is still refused.
    let r = admin
        .post("/api/v1/flows", json!({"source": "flow: [unclosed"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["type"], "urn:hotline:problem:invalid-flow");

    // A draft with errors is stored but cannot be published.
    let r = admin.post("/api/v1/flows", json!({"source": broken})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!r.body["diagnostics"].as_array().unwrap().is_empty());

    // Fixed and published as version 1, bound to a widget.
    let r = admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/flows/{id}"),
            Some(json!({"source": SMALL_FLOW})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.body["version"], 1, "{}", r.body);
    let r = admin
        .post(
            "/api/v1/widgets",
            json!({"id": "small-chat", "name": "Small", "flow_id": id, "title": "Chat",
                   "primary_color": "#112233", "greeting": "Hi", "allowed_origins": ["*"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // A conversation starts on version 1 …
    let mut old = Chat::open(&t, "small-chat", None, 0).await;
    old.bot_says("Version EINS").await;

    // … version 2 is published …
    let v2 = SMALL_FLOW
        .replace("Version EINS", "Version ZWEI")
        .replace("Worum geht es?", "Was ist los?");
    admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/flows/{id}"),
            Some(json!({"source": v2})),
        )
        .await;
    let r = admin
        .post(&format!("/api/v1/flows/{id}/publish"), json!({}))
        .await;
    assert_eq!(r.body["version"], 2);
    let mut new = Chat::open(&t, "small-chat", None, 0).await;
    new.bot_says("Version ZWEI").await;

    // … and the running conversation finishes on version 1.
    let before = old.messages.len();
    old.say("o-1", "x").await;
    old.until("queued", |f| f["type"] == "status").await;
    assert!(
        old.messages[before..]
            .iter()
            .all(|m| !m["text"].as_str().unwrap().contains("Was ist los"))
    );

    // Versions are listed and rollback makes version 1 live again in one call.
    let r = admin.get(&format!("/api/v1/flows/{id}/versions")).await;
    assert_eq!(r.body["active_version"], 2);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let r = admin
        .post(&format!("/api/v1/flows/{id}/rollback"), json!({}))
        .await;
    assert_eq!(r.body["version"], 1, "{}", r.body);
    let mut after = Chat::open(&t, "small-chat", None, 0).await;
    after.bot_says("Version EINS").await;
    let r = admin
        .post(&format!("/api/v1/flows/{id}/rollback"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing before version 1");
    t.stop().await;
}

#[tokio::test]
async fn the_json_schema_is_served() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let r = admin.get("/api/v1/flows/schema").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.body.to_string();
    for kind in [
        "say",
        "ask",
        "menu",
        "split",
        "set",
        "send_message",
        "http_request",
        "enqueue",
        "record",
        "transfer",
        "end",
        "subflow",
    ] {
        assert!(text.contains(&format!("\"{kind}\"")), "schema lacks {kind}");
    }
    t.stop().await;
}

fn hotline_flow(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("flow")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn demo(name: &str) -> String {
    format!("{}/../../flows/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_demo_flows_validate_lint_clean_and_pass_their_tests() {
    for file in [demo("demo-de.yaml"), demo("demo-en.yaml")] {
        let (code, out) = hotline_flow(&["validate", &file]);
        assert_eq!(code, 0, "{out}");
        let (code, out) = hotline_flow(&["lint", &file]);
        assert_eq!(code, 0, "lint findings in {file}:\n{out}");
        let (code, out) = hotline_flow(&["test", &file]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
}

#[test]
fn an_invalid_flow_file_gives_all_diagnostics_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        SMALL_FLOW.replace("next: queue\n    no_input", "next: nowhere\n    no_input")
            + "  - id: orphan\n    type: end\n",
    )
    .unwrap();
    let (code, out) = hotline_flow(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("dangling-transition") && out.contains("unreachable-node"),
        "{out}"
    );
    std::fs::write(&file, "nodes: [ {").unwrap();
    let (code, out) = hotline_flow(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let (code, _) = hotline_flow(&["validate", "/no/such/file.yaml"]);
    assert_eq!(code, 2);
    let (code, _) = hotline_flow(&["validate"]);
    assert_eq!(code, 2);
}

#[test]
fn a_failing_flow_test_prints_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.yaml");
    std::fs::write(
        &file,
        SMALL_FLOW.to_owned()
            + "tests:\n  - name: expects the wrong words\n    steps:\n      - expect: [\"Version DREI\"]\n",
    )
    .unwrap();
    let (code, out) = hotline_flow(&["test", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL expects the wrong words"), "{out}");
    assert!(
        out.contains("Version DREI") && out.contains("Version EINS"),
        "diff shows expected and actual: {out}"
    );
}

#[test]
fn the_simulator_runs_a_conversation_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["flow", "simulate", &demo("demo-de.yaml")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"#3\n#1\nMensch\n/quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("digitale Assistent"), "{text}");
    assert!(text.contains("fünf Tage"), "{text}");
    assert!(text.contains("queued in \"beratung\""), "{text}");
}

#[tokio::test]
async fn the_editor_saves_on_a_revision_keeps_the_layout_apart_and_notes_each_version() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let r = admin
        .post("/api/v1/flows", json!({"source": SMALL_FLOW}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["layout"], json!({"positions": {}}));
    let url = format!("/api/v1/flows/{id}");

    // Two editors opened revision 1; the first saves, the second's edit is refused unsaved.
    let first = SMALL_FLOW.replace("Version EINS", "Erste Änderung");
    let r = admin
        .send(
            reqwest::Method::PUT,
            &url,
            Some(json!({"source": first, "revision": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["revision"], 2);
    let second = SMALL_FLOW.replace("Version EINS", "Zweite Änderung");
    let r = admin
        .send(
            reqwest::Method::PUT,
            &url,
            Some(json!({"source": second, "revision": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["type"], "urn:hotline:problem:stale-draft");
    let r = admin.get(&url).await;
    assert_eq!(r.body["draft"], first, "the stale edit changed nothing");
    assert_eq!(r.body["revision"], 2);

    // Moving nodes stores positions, and neither the draft nor its revision changes.
    let positions =
        json!({"positions": {"hello": {"x": 40.5, "y": -20.0}, "ask": {"x": 300, "y": 0}}});
    let r = admin
        .send(
            reqwest::Method::PUT,
            &format!("{url}/layout"),
            Some(positions.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = admin.get(&url).await;
    assert_eq!(
        r.body["layout"],
        json!({"positions": {"ask": {"x": 300.0, "y": 0.0}, "hello": {"x": 40.5, "y": -20.0}}})
    );
    assert_eq!(
        (r.body["draft"].as_str(), r.body["revision"].as_i64()),
        (Some(first.as_str()), Some(2))
    );
    for bad in [
        json!({"positions": {"hello": {"x": 1e9, "y": 0}}}),
        json!({"positions": {"": {"x": 0, "y": 0}}}),
        json!({"positions": {"hello": {"x": 0}}}),
        json!({"positions": {"hello": {"x": 0, "y": 0, "z": 1}}}),
    ] {
        let r = admin
            .send(
                reqwest::Method::PUT,
                &format!("{url}/layout"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    assert_eq!(
        admin.get(&url).await.body["layout"]["positions"]["hello"]["x"],
        40.5
    );

    // A version carries its note; a note that is too long is refused and publishes nothing.
    let r = admin
        .post(&format!("{url}/publish"), json!({"note": "x".repeat(501)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin
        .post(&format!("{url}/publish"), json!({"note": "Neue Begrüßung"}))
        .await;
    assert_eq!(r.body["version"], 1, "{}", r.body);
    let r = admin.get(&format!("{url}/versions")).await;
    assert_eq!(r.body["items"][0]["note"], "Neue Begrüßung");

    // Without a body, publishing still works (scripts that sent none before).
    let r = t
        .http
        .post(t.url(&format!("{url}/publish")))
        .header(
            "authorization",
            format!("Bearer {}", admin_key(&mut admin).await),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    t.stop().await;
}

/// An admin API key, for requests made without the session's client.
async fn admin_key(admin: &mut crate::support::Client) -> String {
    let r = admin
        .post(
            "/api/v1/api-keys",
            json!({"name": "editor-test", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}
