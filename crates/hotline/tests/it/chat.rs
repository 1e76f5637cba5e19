//! The web chat end to end over a real WebSocket: the German demo flow to the queue,
//! acknowledgements, resume after a dropped connection without loss or duplicates, a
//! restart in the middle of a conversation, timers, origins, and bad frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{TestApp, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A chat client speaking the widget's protocol.
pub(crate) struct Chat {
    socket: Socket,
    pub(crate) session: String,
    /// Server messages by seq, as received (duplicates kept, to detect them).
    pub(crate) messages: Vec<Value>,
    pub(crate) frames: Vec<Value>,
    /// Frames received but not yet consumed by `until` or `take`.
    pending: std::collections::VecDeque<Value>,
}

pub(crate) async fn connect_raw(
    t: &TestApp,
    widget: &str,
    origin: &str,
) -> Result<Socket, StatusCode> {
    let url = format!(
        "{}/chat/ws?widget={widget}",
        t.base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(StatusCode::from_u16(response.status().as_u16()).unwrap())
        }
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

impl Chat {
    pub(crate) async fn open(
        t: &TestApp,
        widget: &str,
        session: Option<&str>,
        last_seq: i64,
    ) -> Chat {
        let mut socket = connect_raw(t, widget, &t.base).await.expect("handshake");
        let hello =
            json!({"type": "hello", "session": session, "last_seq": last_seq, "lang": "de"});
        socket
            .send(WsMessage::Text(hello.to_string().into()))
            .await
            .unwrap();
        let mut chat = Chat {
            socket,
            session: String::new(),
            messages: Vec::new(),
            frames: Vec::new(),
            pending: std::collections::VecDeque::new(),
        };
        let welcome = chat.next_frame().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        chat.session = welcome["session"].as_str().unwrap().to_owned();
        chat
    }

    /// The next frame, failing after 10 s.
    pub(crate) async fn next_frame(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame within 10 s")
                .expect("socket open")
                .expect("frame");
            if let WsMessage::Text(text) = msg {
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["type"] == "message" {
                    self.messages.push(v.clone());
                }
                self.frames.push(v.clone());
                return v;
            }
        }
    }

    /// Consumes frames up to and including the first that satisfies `pred`.
    pub(crate) async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        while let Some(f) = self.pending.pop_front() {
            if pred(&f) {
                return f;
            }
        }
        for _ in 0..200 {
            let f = self.next_frame().await;
            if pred(&f) {
                return f;
            }
        }
        panic!("never saw {what}; frames: {:#?}", self.frames);
    }

    /// Takes the first frame that satisfies `pred`, leaving the others for later reads.
    pub(crate) async fn take(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).unwrap();
        }
        for _ in 0..200 {
            let f = self.next_frame().await;
            if pred(&f) {
                return f;
            }
            self.pending.push_back(f);
        }
        panic!("never saw {what}; frames: {:#?}", self.frames);
    }

    /// Reads frames until a bot message contains `needle`.
    pub(crate) async fn bot_says(&mut self, needle: &str) -> Value {
        let n = needle.to_owned();
        self.until(&format!("bot message containing {needle:?}"), move |f| {
            f["type"] == "message"
                && f["from"] == "bot"
                && f["text"].as_str().unwrap_or("").contains(&n)
        })
        .await
    }

    pub(crate) async fn send_raw(&mut self, text: &str) {
        self.socket
            .send(WsMessage::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// Sends a message and waits for its acknowledgement; returns the acked seq.
    pub(crate) async fn say(&mut self, id: &str, text: &str) -> i64 {
        self.send_raw(&json!({"type": "message", "id": id, "text": text}).to_string())
            .await;
        let id = id.to_owned();
        let ack = self
            .take("ack", move |f| {
                (f["type"] == "ack" && f["id"] == id.as_str()) || f["type"] == "error"
            })
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        ack["seq"].as_i64().unwrap()
    }

    pub(crate) fn seqs(&self) -> Vec<i64> {
        self.messages
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect()
    }

    pub(crate) async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

#[tokio::test]
async fn the_german_demo_flow_ends_waiting_in_the_queue() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    let greeting = chat.bot_says("digitale Assistent").await;
    assert_eq!(greeting["seq"], 1);
    let menu = chat.bot_says("Wobei kann ich helfen?").await;
    let choices = menu["choices"].as_array().unwrap();
    assert!(
        choices
            .iter()
            .any(|c| c["label"] == "Mit einem Menschen sprechen"),
        "{menu}"
    );

    let seq = chat.say("m-1", "Ich möchte einen Impftermin").await;
    assert!(seq > menu["seq"].as_i64().unwrap());
    chat.bot_says("Postleitzahl").await;
    chat.say("m-2", "10115").await;
    // The flow asks Hotline's own demo endpoint over HTTP.
    chat.bot_says("Der nächste freie Termin ist am").await;
    chat.bot_says("Kann ich sonst noch helfen?").await;
    chat.say("m-3", "2").await;
    chat.bot_says("verbinde Sie mit unserer Beratung").await;
    let status = chat.until("queued status", |f| f["type"] == "status").await;
    assert_eq!(status["state"], "queued");
    assert_eq!(status["queue"], "beratung");

    // The conversation waits in the persisted queue with its context.
    let tenant = t.app().store().list_tenants().await.unwrap()[0].id;
    let queue = t.app().queue_entries(tenant, "beratung").await.unwrap();
    assert_eq!(queue.len(), 1);
    let context: Value = serde_json::from_str(&queue[0].context).unwrap();
    assert_eq!(context["postleitzahl"], "10115");

    // Messages while queued are stored for the human and acknowledged, never answered by
    // the flow.
    let before = chat.messages.len();
    chat.say("m-4", "Hallo?").await;
    // The server sends every message of a step before the step's ack, so whatever the bot
    // said in reply has arrived by now; no waiting needed.
    let after = &chat.messages[before..];
    assert!(after.iter().any(|m| m["id"] == "m-4"));
    let replies: Vec<&str> = after
        .iter()
        .filter(|m| m["from"] != "user")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        replies,
        ["Danke, Ihre Nachricht wird der Beraterin oder dem Berater gezeigt."],
        "{after:?}"
    );
    chat.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_resumes_without_loss_or_duplicates() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    let seen = *chat.seqs().iter().max().unwrap();
    let first = chat.say("dup-1", "1").await;
    chat.bot_says("Postleitzahl").await;
    let session = chat.session.clone();
    chat.close().await;

    // Reconnect pretending the last bot message was never shown, and resend the
    // already-acknowledged message (as a client whose ack was lost would).
    let mut again = Chat::open(&t, "demo-de", Some(&session), seen).await;
    assert_eq!(again.session, session, "resumed the same conversation");
    let resent = again.say("dup-1", "1").await;
    assert_eq!(resent, first, "a retried message keeps its seq");
    again
        .send_raw(&json!({"type": "message", "id": "after-1", "text": "10115"}).to_string())
        .await;
    again.bot_says("Kann ich sonst noch helfen?").await;
    let seqs = again.seqs();
    let mut sorted = seqs.clone();
    sorted.dedup();
    assert_eq!(seqs, sorted, "no message twice, in order: {seqs:?}");
    assert_eq!(
        seqs[0],
        seen + 1,
        "replay starts right after what the client had"
    );
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gap: {seqs:?}"
    );
    let postcode_prompts = again
        .messages
        .iter()
        .filter(|m| m["text"].as_str().unwrap_or("").contains("Postleitzahl?"))
        .count();
    assert_eq!(
        postcode_prompts, 1,
        "the resent message was not processed again"
    );
    again.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_conversation_survives_a_restart_of_the_server() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    chat.say("r-1", "1").await;
    chat.bot_says("Postleitzahl").await;
    let session = chat.session.clone();
    let last = *chat.seqs().iter().max().unwrap();
    chat.close().await;

    let t = t.restart().await;
    let mut chat = Chat::open(&t, "demo-de", Some(&session), last).await;
    chat.say("r-2", "10115").await;
    chat.bot_says("Der nächste freie Termin").await;
    chat.close().await;
    t.stop().await;
}

#[tokio::test]
async fn silence_times_out_through_stored_timers() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    assert_eq!(
        t.app().fire_due_timers().await.unwrap(),
        0,
        "nothing due yet"
    );
    // The server's timer loop sleeps on the app's clock: moving the clock past the no-input
    // timeout wakes it, and it fires the timer. The test waits for the bot's reply, which
    // only the fired timer causes.
    t.clock.advance_secs(121);
    chat.bot_says("nichts gehört").await;
    assert_eq!(
        t.app().fire_due_timers().await.unwrap(),
        0,
        "the loop took the timer; the second no-input timer is not due yet"
    );
    t.clock.advance_secs(121);
    let status = chat.until("queued", |f| f["type"] == "status").await;
    assert_eq!(status["state"], "queued");
    chat.close().await;
    t.stop().await;
}

#[tokio::test]
async fn bad_frames_get_an_error_and_change_nothing() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    let count = chat.messages.len();
    for (frame, code) in [
        ("not json".to_owned(), "malformed"),
        (
            json!({"type": "message", "text": "no id"}).to_string(),
            "malformed",
        ),
        (
            json!({"type": "message", "id": "x", "text": "a", "extra": 1}).to_string(),
            "malformed",
        ),
        (
            json!({"type": "launch", "id": "x"}).to_string(),
            "malformed",
        ),
        (
            json!({"type": "message", "id": "big", "text": "ä".repeat(2500)}).to_string(),
            "too_large",
        ),
        (
            json!({"type": "message", "id": "empty", "text": "   "}).to_string(),
            "malformed",
        ),
    ] {
        chat.send_raw(&frame).await;
        let err = chat.until("error", |f| f["type"] == "error").await;
        assert_eq!(err["code"], code, "{frame}");
        assert!(err["message"].as_str().unwrap().len() > 5);
    }
    // Still usable, and nothing was stored: the next message is the next seq.
    let seq = chat.say("ok-1", "9").await;
    assert_eq!(seq, count as i64 + 1);
    chat.close().await;
    t.stop().await;
}

/// Sends a message and returns its answer: the ack, or an error naming its id.
async fn answer(chat: &mut Chat, id: &str) -> Value {
    chat.send_raw(&json!({"type": "message", "id": id, "text": "9"}).to_string())
        .await;
    let id = id.to_owned();
    chat.take("ack or error", move |f| {
        f["id"] == id.as_str() && (f["type"] == "ack" || f["type"] == "error")
    })
    .await
}

#[tokio::test]
async fn a_session_may_send_ten_messages_in_ten_seconds() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    // The clock stands still: the window is the app's, so exactly ten get through.
    for i in 0..10 {
        let f = answer(&mut chat, &format!("b-{i}")).await;
        assert_eq!(f["type"], "ack", "message {i}: {f}");
    }
    let refused = answer(&mut chat, "b-10").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "rate_limited");
    // One millisecond before the first message leaves the window it is still full.
    t.clock.advance_millis(9_999);
    let refused = answer(&mut chat, "b-11").await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    t.clock.advance_millis(1);
    let again = answer(&mut chat, "b-12").await;
    assert_eq!(again["type"], "ack", "{again}");
    // Refused messages were not stored. Everything stored up to a message reaches the client
    // before its ack, so the transcript so far is complete.
    let ids: Vec<&str> = chat
        .messages
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 11, "{ids:?}");
    assert!(ids.contains(&"b-12") && !ids.contains(&"b-10") && !ids.contains(&"b-11"));
    chat.close().await;
    t.stop().await;
}

/// Opens a socket and says hello without a session: the server's first answer.
async fn hello_frame(t: &TestApp) -> Value {
    let mut socket = connect_raw(t, "demo-de", &t.base).await.expect("handshake");
    let hello = json!({"type": "hello", "session": null, "last_seq": 0, "lang": "de"});
    socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("frame");
        if let WsMessage::Text(text) = msg {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn the_message_limit_holds_per_conversation_and_new_chats_are_limited_per_source() {
    // The probe: ten sockets resuming one conversation got 100 messages through in 4 s, and
    // 300 hellos from one address stored 300 conversations.
    let t = spawn_app().await;
    let mut first = Chat::open(&t, "demo-de", None, 0).await;
    first.bot_says("Wobei kann ich helfen?").await;
    let session = first.session.clone();
    let mut sockets = vec![first];
    for _ in 0..9 {
        sockets.push(Chat::open(&t, "demo-de", Some(&session), 0).await);
    }
    let (mut acked, mut limited) = (0, 0);
    for (i, chat) in sockets.iter_mut().enumerate() {
        for j in 0..3 {
            let f = answer(chat, &format!("p-{i}-{j}")).await;
            if f["type"] == "ack" {
                acked += 1;
            } else {
                assert_eq!(f["code"], "rate_limited", "{f}");
                limited += 1;
            }
        }
    }
    assert_eq!(
        (acked, limited),
        (10, 20),
        "ten per conversation, not per socket"
    );
    for chat in sockets {
        chat.close().await;
    }

    // New conversations: twenty a minute from one address (the first above was one).
    for i in 1..20 {
        let f = hello_frame(&t).await;
        assert_eq!(f["type"], "welcome", "new chat {i}: {f}");
    }
    let refused = hello_frame(&t).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "rate_limited");
    // Resuming is not a new conversation: still allowed.
    let mut resumed = Chat::open(&t, "demo-de", Some(&session), 0).await;
    assert_eq!(resumed.session, session);
    resumed
        .until("the replay", |f| f["type"] == "message")
        .await;
    resumed.close().await;
    // A minute later the address may start again.
    t.clock.advance_secs(61);
    assert_eq!(hello_frame(&t).await["type"], "welcome");
    t.stop().await;
}

#[tokio::test]
async fn foreign_origins_and_unknown_widgets_are_refused_at_the_handshake() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let flows = admin.get("/api/v1/flows").await.body;
    let flow_id = flows["items"][0]["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(
            "/api/v1/widgets",
            json!({"id": "shop-chat", "name": "Shop", "flow_id": flow_id, "title": "Chat",
                   "primary_color": "#112233", "greeting": "Hi", "allowed_origins": ["https://shop.example"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        connect_raw(&t, "shop-chat", "https://shop.example")
            .await
            .is_ok()
    );
    assert_eq!(
        connect_raw(&t, "shop-chat", "https://evil.example")
            .await
            .err(),
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        connect_raw(&t, "no-such-widget", &t.base).await.err(),
        Some(StatusCode::NOT_FOUND)
    );
    t.stop().await;
}

#[tokio::test]
async fn a_chosen_option_is_kept_with_its_label_and_an_ended_chat_starts_afresh() {
    let t = spawn_app().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    chat.send_raw(
        &json!({"type": "message", "id": "c-1", "text": "2", "label": "Testergebnis"}).to_string(),
    )
    .await;
    chat.bot_says("Kann ich sonst noch helfen?").await;
    chat.say("c-2", "3").await;
    chat.bot_says("Alles Gute").await;
    let status = chat.until("ended", |f| f["type"] == "status").await;
    assert_eq!(status["state"], "ended");
    let session = chat.session.clone();
    let last = *chat.seqs().iter().max().unwrap();
    chat.close().await;

    // The transcript shows the label the caller chose, not the digit sent for it.
    let tenant = t.app().store().list_tenants().await.unwrap()[0].id;
    let conv = t
        .app()
        .store()
        .find_conversation_by_session(tenant, &security::token::hash_secret(&session))
        .await
        .unwrap()
        .unwrap();
    let history = t.app().chat_history(tenant, conv.id, 0).await.unwrap();
    let chosen = history
        .iter()
        .find(|m| m.client_id.as_deref() == Some("c-1"))
        .unwrap();
    assert_eq!(chosen.text.expose(), "Testergebnis");

    // Resuming an ended conversation starts a new one, replayed from its first message.
    let mut fresh = Chat::open(&t, "demo-de", Some(&session), last).await;
    assert_ne!(fresh.session, session);
    let greeting = fresh.bot_says("digitale Assistent").await;
    assert_eq!(greeting["seq"], 1);
    fresh.close().await;
    t.stop().await;
}
