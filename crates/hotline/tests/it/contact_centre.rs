//! The contact centre end to end, as callers and agents use it: a caller in the web chat asks
//! for a person, crisis callers are told at once where help is and go to the front, an agent
//! on the desk socket gets the offer, accepts, talks with the caller, writes a note the caller
//! never sees, ends and wraps up; the bot is silent meanwhile; bad requests get a clear
//! problem and change nothing; and a restart loses no waiting caller.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::chat::Chat;
use crate::support::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An agent's (or supervisor's) live socket.
pub(crate) struct Live {
    socket: Socket,
    pub(crate) frames: Vec<Value>,
}

impl Live {
    pub(crate) async fn open(t: &TestApp, client: &Client, path: &str) -> Result<Live, StatusCode> {
        let url = format!("{}{path}", t.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert("origin", t.base.parse().unwrap());
        if let Some(cookie) = &client.cookie {
            headers.insert(
                "cookie",
                format!("{}={cookie}", api::SESSION_COOKIE).parse().unwrap(),
            );
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Live {
                socket,
                frames: Vec::new(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(StatusCode::from_u16(response.status().as_u16()).unwrap())
            }
            Err(e) => panic!("websocket connect failed: {e}"),
        }
    }

    /// Reads frames until one satisfies `pred` (10 s at most).
    pub(crate) async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("never saw {what}; frames: {:#?}", self.frames))
                .expect("socket open")
                .expect("frame");
            if let WsMessage::Text(text) = msg {
                let v: Value = serde_json::from_str(&text).unwrap();
                self.frames.push(v.clone());
                if pred(&v) {
                    return v;
                }
            }
        }
    }
}

/// An agent account, signed in, set available: (client, user id).
pub(crate) async fn agent(t: &TestApp, admin: &mut Client, name: &str) -> (Client, String) {
    let (id, otp) = t.create_user(admin, name, "agent").await;
    let (mut c, _) = t.first_login(name, &otp, ADMIN_PASSWORD).await;
    let r = c
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{id}/presence"),
            Some(json!({"presence": "available"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    (c, id)
}

fn is_offer(f: &Value) -> bool {
    f["type"] == "offer"
}

#[tokio::test]
async fn a_caller_who_asks_for_a_person_is_answered_by_an_agent() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, maria_id) = agent(&t, &mut admin, "maria").await;
    let mut desk = Live::open(&t, &maria, "/api/v1/desk/ws").await.unwrap();
    let snapshot = desk.until("snapshot", |f| f["type"] == "snapshot").await;
    assert_eq!(snapshot["desk"]["agent"]["presence"], "available");
    let mut supervisor = Live::open(&t, &admin, "/api/v1/supervisor/ws")
        .await
        .unwrap();
    supervisor
        .until("first view", |f| f["type"] == "snapshot")
        .await;

    // The caller asks for a person in their own words: handed over, not "not understood".
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    chat.say("m-1", "Ich möchte bitte mit einem Menschen sprechen")
        .await;
    chat.bot_says("verbinde Sie mit unserer Beratung").await;
    let status = chat.until("queued", |f| f["type"] == "status").await;
    assert_eq!(status["state"], "queued");

    // The agent is offered it, with context, a countdown and a pseudonymous contact.
    let offer = desk.until("offer", is_offer).await;
    let task = offer["task"].clone();
    let task_id = task["id"].as_str().unwrap().to_owned();
    let conversation = task["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(task["reason"], "asked_for_human");
    assert_eq!(task["queue"], "beratung");
    assert_eq!(task["state"], "offered");
    assert_eq!(task["channel"], "chat");
    assert_eq!(task["language"], "de");
    assert!(task["offer_expires_at"].is_string(), "{task}");
    assert!(
        task["contact"].as_str().unwrap().starts_with("K-"),
        "{task}"
    );

    // The supervisor sees one waiting.
    supervisor
        .until("one waiting in beratung", |f| {
            f["type"] == "snapshot"
                && f["queues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|q| q["name"] == "beratung" && q["live"]["waiting"] == 1)
        })
        .await;

    // Someone else cannot take it; the agent can.
    let (mut jonas, _) = agent(&t, &mut admin, "jonas").await;
    let r = jonas
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "assigned");
    // Accepting twice, or by another agent after it is taken: a clear 409.
    let r = jonas
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        r.body["type"].as_str().unwrap().rsplit(':').next(),
        Some("already-taken"),
        "{}",
        r.body
    );

    // The caller is told a person is there; the bot falls silent.
    chat.until("agent joined", |f| {
        f["type"] == "message"
            && f["from"] == "system"
            && f["text"].as_str().unwrap().contains("für Sie da")
    })
    .await;
    chat.until("with agent", |f| {
        f["type"] == "status" && f["state"] == "with_agent"
    })
    .await;
    let before = chat.messages.len();
    chat.say("m-2", "Hallo, ich brauche Hilfe mit meinem Bescheid")
        .await;
    assert!(
        chat.messages[before..].iter().all(|m| m["from"] == "user"),
        "the bot stays silent: {:?}",
        &chat.messages[before..]
    );
    let heard = desk
        .until("the caller's message", |f| {
            f["type"] == "message" && f["message"]["from"] == "user"
        })
        .await;
    assert_eq!(heard["conversation_id"], conversation.as_str());

    // The agent replies; the caller reads it.
    let r = maria
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"text": "Guten Tag, ich bin Maria. Worum geht es?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    chat.until("the agent's reply", |f| {
        f["type"] == "message"
            && f["from"] == "agent"
            && f["text"] == "Guten Tag, ich bin Maria. Worum geht es?"
    })
    .await;

    // An internal note reaches the desk, never the caller.
    let r = maria
        .post(
            &format!("/api/v1/conversations/{conversation}/notes"),
            json!({"text": "Rückruf morgen vereinbaren"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    desk.until("note", |f| f["type"] == "note").await;

    // The transcript has the bot's part, the caller and the agent, and the note; opening it
    // is audited.
    let r = maria
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let froms: Vec<&str> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["from"].as_str().unwrap())
        .collect();
    for who in ["bot", "user", "agent", "system"] {
        assert!(froms.contains(&who), "{who} in {froms:?}");
    }
    assert_eq!(r.body["notes"][0]["text"], "Rückruf morgen vereinbaren");
    assert!(!r.body.to_string().contains("+49"), "no phone number");
    let audit = admin.get("/api/v1/audit?limit=50").await;
    assert!(
        audit
            .body
            .to_string()
            .contains("conversation.transcript_read"),
        "{}",
        audit.body
    );

    // End: the caller is told, the task goes to wrap-up; a message afterwards is refused.
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/end"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "wrap_up");
    chat.until("ended", |f| f["type"] == "status" && f["state"] == "ended")
        .await;
    let note_never_shown = chat
        .frames
        .iter()
        .any(|f| f.to_string().contains("Rückruf morgen"));
    assert!(!note_never_shown, "the caller never sees a note");
    let r = maria
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"text": "noch da?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = maria
        .post(
            &format!("/api/v1/tasks/{task_id}/wrap-up"),
            json!({"code": "beraten"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "completed");
    let desk_now = maria.get("/api/v1/desk").await;
    assert_eq!(
        desk_now.body["agent"]["presence"], "available",
        "{}",
        desk_now.body
    );
    assert_eq!(desk_now.body["agent"]["user_id"], maria_id.as_str());

    // The figures: one offered and answered today.
    let r = admin.get("/api/v1/queues").await;
    let q = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "beratung")
        .unwrap()
        .clone();
    assert_eq!(q["live"]["waiting"], 0, "{q}");
    assert_eq!(q["today"]["answered"], 1, "{q}");
    let r = admin.get("/api/v1/kpis?interval=day&queue=beratung").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"][0]["offered"], 1, "{}", r.body);
    assert_eq!(r.body["items"][0]["answered"], 1, "{}", r.body);
    t.stop().await;
}

#[tokio::test]
async fn a_caller_in_crisis_is_told_where_help_is_and_goes_first() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    // A caller waits already.
    let mut first = Chat::open(&t, "demo-de", None, 0).await;
    first.bot_says("Wobei kann ich helfen?").await;
    first
        .say("a-1", "Ich möchte mit einem Mitarbeiter sprechen")
        .await;
    first.until("queued", |f| f["type"] == "status").await;

    for (widget, text, numbers) in [
        (
            "demo-de",
            "Ich will mich umbringen",
            ["112", "0800 111 0 111"],
        ),
        ("demo-en", "I want to kill myself", ["112", "988"]),
    ] {
        let mut chat = Chat::open(&t, widget, None, 0).await;
        chat.say("c-1", text).await;
        let help = chat
            .until("the crisis text", |f| {
                f["type"] == "message" && f["text"].as_str().unwrap_or("").contains(numbers[0])
            })
            .await;
        for n in numbers {
            assert!(help["text"].as_str().unwrap().contains(n), "{help}");
        }
        chat.until("queued", |f| {
            f["type"] == "status" && f["state"] == "queued"
        })
        .await;
        let said: String = chat
            .messages
            .iter()
            .map(|m| m["text"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(
            !said.contains("nicht verstanden") && !said.contains("did not understand"),
            "{said}"
        );
    }

    // The crisis callers are ahead of the caller who waited first: an agent who takes one
    // chat at a time is offered a crisis first.
    let (maria_id, otp) = t.create_user(&mut admin, "maria", "agent").await;
    let r = admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{maria_id}"),
            Some(json!({"capacity": {"voice": 1, "chat": 1}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (mut maria, _) = t.first_login("maria", &otp, ADMIN_PASSWORD).await;
    let r = maria
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{maria_id}/presence"),
            Some(json!({"presence": "available"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let desk = maria.get("/api/v1/desk").await.body;
    assert_eq!(desk["offers"].as_array().unwrap().len(), 1, "{desk}");
    let task = desk["offers"][0].clone();
    assert_eq!(task["crisis"], true, "{task}");
    assert_eq!(task["reason"], "crisis", "{task}");
    t.stop().await;
}

#[tokio::test]
async fn key_zero_hands_over_and_a_leaving_agent_gives_the_caller_back() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    // The demo's menu has no 0: pressing it asks for a person, without "not understood".
    let before = chat.messages.len();
    chat.say("o-1", "0").await;
    chat.until("queued", |f| {
        f["type"] == "status" && f["state"] == "queued"
    })
    .await;
    assert!(
        chat.messages[before..].iter().all(|m| !m["text"]
            .as_str()
            .unwrap_or("")
            .contains("nicht verstanden")),
        "{:?}",
        &chat.messages[before..]
    );

    let (mut maria, maria_id) = agent(&t, &mut admin, "maria").await;
    let r = maria.get("/api/v1/desk").await;
    let task = r.body["offers"][0].clone();
    assert_eq!(task["reason"], "asked_for_human", "{}", r.body);
    let task_id = task["id"].as_str().unwrap().to_owned();
    let r = maria
        .post(&format!("/api/v1/tasks/{task_id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    chat.until("with agent", |f| {
        f["type"] == "status" && f["state"] == "with_agent"
    })
    .await;

    // Maria goes offline while holding the conversation: it goes back to the queue, the
    // caller is told, and the next agent is offered it.
    let (mut jonas, _) = agent(&t, &mut admin, "jonas").await;
    let r = maria
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{maria_id}/presence"),
            Some(json!({"presence": "offline"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    chat.until("back in the queue", |f| {
        f["type"] == "status" && f["state"] == "queued"
    })
    .await;
    let r = jonas.get("/api/v1/desk").await;
    assert_eq!(r.body["offers"][0]["id"], task_id.as_str(), "{}", r.body);
    t.stop().await;
}

#[tokio::test]
async fn waiting_callers_and_open_offers_survive_a_restart() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let mut sessions = Vec::new();
    for i in 0..3 {
        let mut chat = Chat::open(&t, "demo-de", None, 0).await;
        chat.bot_says("Wobei kann ich helfen?").await;
        chat.say(&format!("r-{i}"), "Ich will mit einem Menschen reden")
            .await;
        chat.until("queued", |f| f["type"] == "status").await;
        sessions.push(chat.session.clone());
        chat.close().await;
    }
    let (mut maria, _) = agent(&t, &mut admin, "maria").await;
    // Maria takes three chats at once: all three are offered to her, in queue order.
    let offered = |desk: &Value| -> Vec<String> {
        desk["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| format!("{}@{}", o["id"].as_str().unwrap(), o["position"]))
            .collect()
    };
    let before = offered(&maria.get("/api/v1/desk").await.body);
    assert_eq!(before.len(), 3, "{before:?}");
    let waiting = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == "beratung")
            .map(|q| q["live"]["waiting"].clone())
    };
    assert_eq!(
        waiting(&admin.get("/api/v1/queues").await.body),
        Some(json!(3))
    );

    // Sessions are stored: the same signed-in clients go on after the restart.
    let t = t.restart().await;
    let (mut admin, mut maria) = (admin.on(&t), maria.on(&t));
    // Still three waiting, none lost or doubled; the open offer is offered again.
    assert_eq!(
        waiting(&admin.get("/api/v1/queues").await.body),
        Some(json!(3))
    );
    assert_eq!(offered(&maria.get("/api/v1/desk").await.body), before);
    // Every caller resumes queued.
    for session in &sessions {
        let mut chat = Chat::open(&t, "demo-de", Some(session), 0).await;
        chat.until("queued", |f| {
            f["type"] == "status" && f["state"] == "queued"
        })
        .await;
        chat.close().await;
    }
    // Nobody answers the offers: they expire, Maria is set away after missed offers, the
    // callers keep waiting; when she is back, she is offered them again.
    t.clock.advance_secs(31);
    let mut live = Live::open(&t, &maria, "/api/v1/desk/ws").await.unwrap();
    live.until("away after missed offers", |f| {
        (f["type"] == "snapshot" && f["desk"]["agent"]["presence"] == "away")
            || (f["type"] == "presence" && f["agent"]["presence"] == "away")
    })
    .await;
    assert_eq!(
        waiting(&admin.get("/api/v1/queues").await.body),
        Some(json!(3))
    );
    let me = maria.get("/api/v1/desk").await.body["agent"]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = maria
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{me}/presence"),
            Some(json!({"presence": "available"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    live.until("offered again", is_offer).await;
    t.stop().await;
}

#[tokio::test]
async fn a_supervisor_sees_waiting_callers_and_moves_one_and_bad_moves_change_nothing() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let mut chat = Chat::open(&t, "demo-de", None, 0).await;
    chat.bot_says("Wobei kann ich helfen?").await;
    chat.say("s-1", "Mensch bitte").await;
    chat.take("queued", |f| {
        f["type"] == "status" && f["state"] == "queued"
    })
    .await;
    // Nobody is available: the caller reads their place and an expected wait.
    let place = chat
        .take("position", |f| {
            f["type"] == "message"
                && f["from"] == "system"
                && f["text"].as_str().unwrap_or("").contains("Position 1")
        })
        .await;
    assert!(
        place["text"].as_str().unwrap().contains("Minute"),
        "{place}"
    );

    let r = admin.get("/api/v1/tasks").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["items"][0].clone();
    assert_eq!(task["state"], "pending", "{task}");
    assert_eq!(task["position"], 1, "{task}");
    assert_eq!(task["estimated_wait_secs"], 300, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();

    // Bad moves: an unknown queue, an agent without the queue's skill; nothing changes.
    let r = admin
        .post(
            &format!("/api/v1/tasks/{id}/move"),
            json!({"queue": "nope"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/queues/zweitlinie",
            Some(json!({"required_skills": {"schulden": 5}, "wrap_up_codes": ["beraten"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (jonas_id, _) = t.create_user(&mut admin, "jonas", "agent").await;
    let r = admin
        .post(
            &format!("/api/v1/tasks/{id}/move"),
            json!({"queue": "zweitlinie", "agent_id": jonas_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        admin.get("/api/v1/tasks").await.body["items"][0]["queue"],
        "beratung"
    );

    // A good move: to the second-line queue, audited.
    let r = admin
        .post(
            &format!("/api/v1/tasks/{id}/move"),
            json!({"queue": "zweitlinie"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["queue"], "zweitlinie");
    let audit = admin.get("/api/v1/audit?limit=20").await.body.to_string();
    assert!(audit.contains("task.move"), "{audit}");
    assert!(audit.contains("queue.put"), "{audit}");
    // A queue holding a task cannot be removed.
    let r = admin.delete("/api/v1/queues/zweitlinie").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    t.stop().await;
}
