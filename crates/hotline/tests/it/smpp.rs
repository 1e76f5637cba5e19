//! SMS over SMPP end to end, against a real SMSC simulator (`tools/smsc/smsc.js`, built on
//! the npm `smpp` package — an independent SMPP implementation that decodes what Hotline
//! sends and joins its long messages by their UDH): bind, a handset's message through the
//! demo flow, the replies with their receipts, throttling, a refused bind, a dropped
//! connection; and a raw SMSC in the test for PDUs the simulator cannot send (a command
//! nobody knows).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use hotline::messaging::SmppSettings;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::messaging::{bind, conversations, deliveries_until};
use crate::support::{Client, TestApp, spawn_with};

const OUR: &str = "+4930555";
const CALLER: &str = "+4915112345678";

/// The simulator as a child process: its events as JSON lines, commands on stdin.
struct Smsc {
    _child: Child,
    stdin: ChildStdin,
    events: mpsc::UnboundedReceiver<Value>,
    /// Events received while waiting for another, in order: a later `expect` finds them.
    pending: std::collections::VecDeque<Value>,
    port: u16,
}

fn simulator() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/smsc");
    assert!(
        dir.join("node_modules/smpp").exists(),
        "the SMSC simulator needs `npm ci --prefix tools/smsc` (scripts/test runs it)"
    );
    dir.join("smsc.js")
}

impl Smsc {
    async fn start(extra: &[&str]) -> Smsc {
        let mut child = Command::new("node")
            .arg(simulator())
            .args(["--system-id", "hotline", "--password", "s3cret"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the SMSC simulator");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, mut events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let first = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the simulator starts")
            .expect("the simulator says where it listens");
        assert_eq!(first["event"], "listening", "{first}");
        let port = u16::try_from(first["port"].as_u64().unwrap()).unwrap();
        Smsc {
            _child: child,
            stdin,
            events,
            pending: std::collections::VecDeque::new(),
            port,
        }
    }

    /// The next event `pred` accepts, within 15 s; the others stay for later calls (so
    /// waiting for one kind of event never loses another that came first).
    async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("found");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) if pred(&e) => return e,
                Ok(Some(e)) => self.pending.push_back(e),
                _ => panic!("the simulator did not report {what} within 15 s"),
            }
        }
    }

    async fn command(&mut self, command: Value) {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn mo(&mut self, text: &str) {
        self.command(json!({"mo": {"from": CALLER, "to": OUR, "text": text}}))
            .await;
    }

    /// The next whole message the simulator received.
    async fn message(&mut self) -> Value {
        self.expect("a message", |e| e["event"] == "message").await
    }
}

fn settings(port: u16, password: &str, dir: &std::path::Path) -> SmppSettings {
    let file = dir.join("smpp-password");
    std::fs::write(&file, format!("{password}\n")).unwrap();
    SmppSettings {
        name: "smsc".to_owned(),
        host: "127.0.0.1".to_owned(),
        port,
        system_id: "hotline".to_owned(),
        password_file: file,
        window: 10,
        max_per_second: Some(50),
        numbers: vec![OUR.to_owned()],
    }
}

async fn spawn_linked(port: u16, password: &str) -> (TestApp, tempfile::TempDir) {
    let secrets = tempfile::tempdir().unwrap();
    let s = settings(port, password, secrets.path());
    let t = spawn_with(move |settings| settings.smpp = vec![s]).await;
    (t, secrets)
}

async fn sms_conversation(admin: &mut Client) -> String {
    conversations(admin, "sms").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_handsets_message_runs_the_flow_and_replies_come_back_with_receipts() {
    let mut smsc = Smsc::start(&[]).await;
    let (t, _secrets) = spawn_linked(smsc.port, "s3cret").await;
    let (mut admin, _) = t.admin().await;
    bind(&mut admin, OUR, json!(["sms"])).await;
    let bound = smsc.expect("a bind", |e| e["event"] == "bound").await;
    assert_eq!(bound["system_id"], "hotline");
    assert_eq!(bound["interface_version"], 0x34);
    // The link reports itself bound.
    for _ in 0..100 {
        if t.metrics()
            .await
            .contains("hotline_smpp_bound{link=\"smsc\"} 1")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        t.metrics()
            .await
            .contains("hotline_smpp_bound{link=\"smsc\"} 1")
    );

    smsc.mo("Hallo").await;
    // The SMSC gets its answer once the message is stored.
    let answered = smsc
        .expect("the answer to the message", |e| e["event"] == "mo_answered")
        .await;
    assert_eq!(answered["status"], 0, "{answered}");
    let greeting = smsc.message().await;
    assert_eq!(greeting["source"], OUR, "{greeting}");
    assert_eq!(greeting["dest"], CALLER, "{greeting}");
    let text = greeting["text"].as_str().unwrap();
    assert!(text.contains("ein Bot"), "{greeting}");
    // Typographic quotes in the greeting need UCS-2; the simulator decoded what we sent.
    assert!(text.contains("„Mensch“"), "{greeting}");
    let mut menu = smsc.message().await;
    if !menu["text"].as_str().unwrap().contains("Wobei") {
        menu = smsc.message().await; // after hours: a notice first
    }
    let menu_text = menu["text"].as_str().unwrap();
    assert!(menu_text.contains("3: Quarantäne-Regeln"), "{menu}");
    assert!(
        menu_text.contains("5: Mit einem Menschen sprechen"),
        "{menu}"
    );
    assert!(
        menu["parts"].as_u64().unwrap() >= 2,
        "the menu is long enough to go in parts, joined again by the simulator: {menu}"
    );

    // The caller answers; the flow goes on in the same conversation.
    smsc.mo("3").await;
    let answered = smsc
        .expect("the answer to the second message", |e| {
            e["event"] == "mo_answered"
        })
        .await;
    assert_eq!(answered["status"], 0, "{answered}");
    let answer = smsc.message().await;
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("fünf Tage zu Hause"),
        "{answer}"
    );

    // Every message's receipt arrived and was applied.
    let id = sms_conversation(&mut admin).await;
    let mut states = Vec::new();
    for _ in 0..100 {
        let d = admin
            .get(&format!("/api/v1/conversations/{id}/deliveries"))
            .await
            .body;
        states = d["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["state"].as_str().unwrap().to_owned())
            .collect();
        if !states.is_empty() && states.iter().all(|s| s == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(states.len() >= 3, "{states:?}");
    assert!(states.iter().all(|s| s == "delivered"), "{states:?}");
    let m = t.metrics().await;
    assert!(
        m.contains("hotline_smpp_received_total{link=\"smsc\"} 2"),
        "{m}"
    );
    assert!(
        !m.contains(CALLER.trim_start_matches('+')),
        "no number in /metrics"
    );

    // A message to a number nobody has is refused for good (ESME_RINVDSTADR), not dropped
    // silently and not accepted.
    smsc.command(json!({"mo": {"from": CALLER, "to": "+4930999", "text": "Hallo"}}))
        .await;
    let refused = smsc
        .expect("the answer to the stray message", |e| {
            e["event"] == "mo_answered"
        })
        .await;
    assert_eq!(refused["status"], 0x0B, "{refused}");

    // At shutdown the link unbinds in order.
    t.stop().await;
    smsc.expect("an unbind", |e| e["event"] == "unbound").await;
}

#[tokio::test]
async fn throttling_and_a_dropped_connection_lose_nothing() {
    let mut smsc = Smsc::start(&["--throttle", "2"]).await;
    let (t, _secrets) = spawn_linked(smsc.port, "s3cret").await;
    let (mut admin, _) = t.admin().await;
    bind(&mut admin, OUR, json!(["sms"])).await;
    smsc.expect("a bind", |e| e["event"] == "bound").await;
    smsc.mo("Hallo").await;
    // The first two submits are refused with ESME_RTHROTTLED; the session pauses and sends
    // them again, in order.
    smsc.expect("throttling", |e| e["event"] == "throttled")
        .await;
    let first = smsc.message().await;
    assert!(
        first["text"].as_str().unwrap().contains("ein Bot"),
        "{first}"
    );
    let m = t.metrics().await;
    assert!(
        m.contains("hotline_smpp_throttled_total{link=\"smsc\"} 2")
            || m.contains("hotline_smpp_throttled_total{link=\"smsc\"} 1"),
        "{m}"
    );
    // Once the rest of the greeting went out, cut the connection: Hotline binds again.
    let id = sms_conversation(&mut admin).await;
    deliveries_until(&mut admin, &id, "all sent", |items| {
        items.iter().all(|d| d["state"] != "queued")
    })
    .await;
    smsc.command(json!({"drop": true})).await;
    smsc.expect("a second bind", |e| e["event"] == "bound")
        .await;
    smsc.mo("3").await;
    let answer = smsc.message().await;
    let answer = if answer["text"].as_str().unwrap().contains("fünf Tage") {
        answer
    } else {
        smsc.expect("the answer", |e| {
            e["event"] == "message" && e["text"].as_str().unwrap_or("").contains("fünf Tage")
        })
        .await
    };
    assert_eq!(answer["dest"], CALLER);
    let m = t.metrics().await;
    assert!(
        m.contains("hotline_smpp_connects_total{link=\"smsc\"} 2"),
        "{m}"
    );
    let id = sms_conversation(&mut admin).await;
    let d = admin
        .get(&format!("/api/v1/conversations/{id}/deliveries"))
        .await
        .body;
    assert!(
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] != "failed"),
        "{d}"
    );
}

#[tokio::test]
async fn a_refused_bind_keeps_messages_queued() {
    let mut smsc = Smsc::start(&[]).await;
    let (t, _secrets) = spawn_linked(smsc.port, "wrong").await;
    let refused = smsc
        .expect("a refused bind", |e| e["event"] == "bind_refused")
        .await;
    assert_eq!(refused["system_id"], "hotline");
    for _ in 0..100 {
        if t.metrics()
            .await
            .contains("hotline_smpp_bind_refused_total{link=\"smsc\"} 1")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = t.metrics().await;
    assert!(
        m.contains("hotline_smpp_bind_refused_total{link=\"smsc\"} 1"),
        "{m}"
    );
    assert!(m.contains("hotline_smpp_bound{link=\"smsc\"} 0"), "{m}");
}

/// Reads one PDU from a raw connection.
async fn read_pdu(stream: &mut tokio::net::TcpStream) -> smpp_proto::Pdu {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await.unwrap();
    let len = u32::from_be_bytes(header) as usize;
    let mut rest = vec![0u8; len - 4];
    stream.read_exact(&mut rest).await.unwrap();
    let mut all = header.to_vec();
    all.extend(rest);
    smpp_proto::Pdu::decode(&all).unwrap()
}

#[tokio::test]
async fn an_unknown_command_gets_a_generic_nack_and_the_link_stays_up() {
    use smpp_proto::pdu::BindResp;
    use smpp_proto::{Command, Pdu, Status};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (t, _secrets) = spawn_linked(port, "s3cret").await;
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .unwrap()
        .unwrap();
    let bind = read_pdu(&mut stream).await;
    assert!(
        matches!(&bind.command, Command::BindTransceiver(b) if b.system_id == "hotline" && b.password == "s3cret"),
        "{bind:?}"
    );
    let resp = Pdu {
        command: Command::BindTransceiverResp(BindResp {
            system_id: "RAW".to_owned(),
            tlvs: Vec::new(),
        }),
        status: Status::OK,
        sequence: bind.sequence,
    };
    stream.write_all(&resp.encode().unwrap()).await.unwrap();
    // A command id nobody defined, sequence 77.
    let mut bogus = vec![0, 0, 0, 16, 0, 0, 0x09, 0x99, 0, 0, 0, 0, 0, 0, 0, 77];
    stream.write_all(&bogus).await.unwrap();
    let nack = read_pdu(&mut stream).await;
    assert_eq!(nack.command, Command::GenericNack);
    assert_eq!(nack.sequence, 77);
    assert_eq!(nack.status, Status::INVALID_COMMAND_ID);
    // The connection survives: an enquire_link is answered.
    bogus = Pdu {
        command: Command::EnquireLink,
        status: Status::OK,
        sequence: 78,
    }
    .encode()
    .unwrap();
    stream.write_all(&bogus).await.unwrap();
    let answer = read_pdu(&mut stream).await;
    assert_eq!(answer.command, Command::EnquireLinkResp);
    assert_eq!(answer.sequence, 78);
    assert!(
        t.metrics()
            .await
            .contains("hotline_smpp_connects_total{link=\"smsc\"} 1")
    );
}
