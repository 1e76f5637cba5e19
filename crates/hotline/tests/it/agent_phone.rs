//! Agents' phones end to end, on loopback: an agent gets SIP credentials through the API, a
//! sipp acting as the agent's phone registers with digest, a sipp caller presses 0 (RFC 2833)
//! and waits in the queue, the agent accepts on the desk, and Hotline rings the phone and
//! bridges the two. Both calls' media go to RTP sockets the test holds, so it checks what each
//! side hears — the other's audio, relayed by Hotline, and the caller's keys — and then that a
//! hang-up on any side (the desk, the phone, the caller) ends both legs and puts the task in
//! wrap-up. When the phone cannot be reached, the task goes back to its queue and the caller
//! keeps waiting. The registrar's answers (challenge, 403 for a wrong password or an unknown
//! user alike, unregistering, the block after repeated failures) are checked with hand-made
//! REGISTERs.

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::rtp::{RtpHeader, RtpPacket};
use media::telephone_event::{TelephoneEvent, event_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::calls::{sip_addr, stats, wait_for};
use crate::contact_centre::Live;
use crate::support::{ADMIN_PASSWORD, Client, TestApp, spawn_app};
use crate::voice::{free_media_port, free_port, scenario};

/// Without spaces: sipp's authentication keyword splits at them.
pub(crate) const PHONE_PASSWORD: &str = "a-long-phone-password-for-tests";
/// What the caller's RTP carries (µ-law), and what the agent's does: each side can tell the
/// other's audio from prompts and hold music, byte for byte (G.711 round-trips exactly).
pub(crate) const CALLER_VOICE: u8 = 0x33;
pub(crate) const AGENT_VOICE: u8 = 0x55;
/// Packets of the other side's audio each side must hear: half a second.
const ENOUGH: u64 = 25;

/// What one RTP peer has heard so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Heard {
    /// Where Hotline's packets come from (once one did).
    pub(crate) hotline: Option<SocketAddr>,
    /// Packets from Hotline, of any kind.
    pub(crate) packets: u64,
    /// Packets whose audio is the other side's voice.
    pub(crate) voice: u64,
    /// RFC 4733 events that began, by event code.
    events: Vec<u8>,
}

/// A phone's media end, held by the test: it sends its voice to where Hotline's packets come
/// from, every 20 ms, presses keys when told, and counts what it hears.
pub(crate) struct RtpPeer {
    pub(crate) port: u16,
    pub(crate) heard: watch::Receiver<Heard>,
    keys: Arc<Mutex<Vec<char>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RtpPeer {
    pub(crate) fn spawn(voice: u8, other: u8) -> RtpPeer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let (tx, heard) = watch::channel(Heard::default());
        let keys = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_keys, thread_stop) = (keys.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let (mut seq, mut ts) = (1u16, 160u32);
            let mut next = Instant::now();
            let mut last_event_ts = None;
            while !thread_stop.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf)
                    && let Ok(p) = RtpPacket::parse(&buf[..n])
                {
                    tx.send_modify(|h| {
                        h.hotline = Some(from);
                        h.packets += 1;
                        if p.header.payload_type == 0
                            && !p.payload.is_empty()
                            && p.payload.iter().all(|b| *b == other)
                        {
                            h.voice += 1;
                        }
                        if p.header.payload_type == 101
                            && last_event_ts != Some(p.header.timestamp)
                            && let Ok(ev) = TelephoneEvent::parse(p.payload)
                        {
                            last_event_ts = Some(p.header.timestamp);
                            h.events.push(ev.event);
                        }
                    });
                }
                let Some(to) = tx.borrow().hotline else {
                    continue;
                };
                if Instant::now() < next {
                    continue;
                }
                next += Duration::from_millis(20);
                let key = thread_keys.lock().unwrap().pop();
                if let Some(key) = key {
                    // A key press as phones send it: begin, then the end three times, one timestamp.
                    for (i, end) in [false, false, true, true, true].into_iter().enumerate() {
                        let ev = TelephoneEvent {
                            event: event_code(key).unwrap(),
                            end,
                            volume: 10,
                            duration: 160 * (i as u16 + 1),
                        };
                        let mut header = RtpHeader::new(101, seq, ts, 0x7e57);
                        header.marker = i == 0;
                        let mut out = Vec::new();
                        media::rtp::write_packet(&header, &ev.to_bytes().unwrap(), 0, &mut out)
                            .unwrap();
                        let _ = socket.send_to(&out, to);
                        seq = seq.wrapping_add(1);
                    }
                }
                let header = RtpHeader::new(0, seq, ts, 0x7e57);
                let mut out = Vec::new();
                media::rtp::write_packet(&header, &[voice; 160], 0, &mut out).unwrap();
                let _ = socket.send_to(&out, to);
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(160);
            }
        });
        RtpPeer {
            port,
            heard,
            keys,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn press(&self, key: char) {
        self.keys.lock().unwrap().push(key);
    }

    /// Waits (30 s at most) until what was heard satisfies `done`.
    pub(crate) async fn until(&mut self, what: &str, done: impl Fn(&Heard) -> bool) -> Heard {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let now = self.heard.borrow_and_update().clone();
            if done(&now) {
                return now;
            }
            tokio::time::timeout_at(deadline, self.heard.changed())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; heard {now:?}"))
                .unwrap();
        }
    }
}

impl Drop for RtpPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A sipp running in the background.
pub(crate) struct Sipp {
    /// `None` once finished.
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Sipp {
    /// Starts sipp with `scenario_name` against `target` (or listening, for a UAS scenario).
    pub(crate) fn start(
        scenario_name: &str,
        target: Option<SocketAddr>,
        port: u16,
        args: &[&str],
    ) -> Sipp {
        let dir = tempfile::tempdir().unwrap();
        let media = free_media_port();
        let mut cmd = Command::new("sipp");
        cmd.current_dir(dir.path())
            .arg("-sf")
            .arg(scenario(scenario_name))
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-mp", &media.to_string()])
            .args(["-m", "1", "-l", "1", "-timeout", "90s", "-timeout_error"])
            .args(["-nostdin", "-trace_err", "-error_file"])
            .arg(dir.path().join("errors.log"))
            .args(args)
            .stdout(std::process::Stdio::piped());
        if let Some(target) = target {
            cmd.arg(target.to_string());
        }
        let child = cmd.spawn().expect("sipp runs (Debian package sip-tester)");
        Sipp {
            child: Some(child),
            dir,
        }
    }

    /// Waits for sipp to finish: whether every step of its scenario went as written, and its
    /// error log.
    pub(crate) async fn finish(mut self) -> (bool, String) {
        let child = self.child.take().expect("running");
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        let log = std::fs::read_to_string(dir.path().join("errors.log")).unwrap_or_default();
        let tail: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .rev()
            .take(12)
            .map(str::to_owned)
            .collect();
        (
            output.status.success(),
            format!("{log}\n{}", tail.join("\n")),
        )
    }
}

impl Sipp {
    /// Whether sipp still runs, and what its error log says so far: for a failure message.
    pub(crate) fn describe(&mut self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("errors.log")).unwrap_or_default();
        let state = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => format!("sipp exited ({status})"),
            Some(Ok(None)) => "sipp still runs".to_owned(),
            Some(Err(e)) => format!("sipp's state is unknown: {e}"),
            None => "sipp finished".to_owned(),
        };
        format!("{state}; its error log: {log:?}")
    }
}

/// Waits (30 s at most) until a caller's RTP peer hears Hotline; on a timeout the message
/// says whether the caller's sipp still runs, what it logged, and what the server counted.
pub(crate) async fn first_audio(t: &TestApp, peer: &mut RtpPeer, caller: &mut Sipp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while peer.heard.borrow_and_update().hotline.is_none() {
        if tokio::time::timeout_at(deadline, peer.heard.changed())
            .await
            .is_err()
        {
            let s = stats(t);
            panic!(
                "the caller heard nothing from Hotline in 30 s; {}; the server counted {} calls \
                 started, {} answered, {} ended, {} RTP packets sent, {} rejected, {} INVITEs \
                 throttled, {} datagrams dropped",
                caller.describe(),
                s.calls_started.load(Ordering::Relaxed),
                s.calls_answered.load(Ordering::Relaxed),
                s.calls_ended.load(Ordering::Relaxed),
                s.rtp_sent.load(Ordering::Relaxed),
                s.calls_rejected.load(Ordering::Relaxed),
                s.invites_throttled.load(Ordering::Relaxed),
                s.datagrams_dropped.load(Ordering::Relaxed),
            );
        }
    }
}

impl Drop for Sipp {
    /// A test that fails half-way leaves no sipp running (holding its ports) behind it.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The agent's phone registers (sipp with digest) for calls on `contact_port`.
async fn register_phone(t: &TestApp, user: &str, password: &str, contact_port: u16, expires: u32) {
    let credentials = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        credentials.path(),
        format!("SEQUENTIAL\n{user};[authentication username={user} password={password}]\n"),
    )
    .unwrap();
    let (ok, log) = Sipp::start(
        "agent_register.xml",
        Some(sip_addr(t)),
        free_port(),
        &[
            "-inf",
            credentials.path().to_str().unwrap(),
            "-key",
            "contact_port",
            &contact_port.to_string(),
            "-key",
            "expires",
            &expires.to_string(),
        ],
    )
    .finish()
    .await;
    assert!(ok, "the phone's registration failed: {log}");
}

/// An agent account with a phone account (through the API), signed in and available:
/// (client, user id, SIP username).
pub(crate) async fn agent_with_phone(
    t: &TestApp,
    admin: &mut Client,
    name: &str,
) -> (Client, String, String) {
    let (id, otp) = t.create_user(admin, name, "agent").await;
    let (mut agent, _) = t.first_login(name, &otp, ADMIN_PASSWORD).await;
    let username = format!("{name}-phone");
    let r = agent
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{id}/sip"),
            Some(json!({"username": username, "password": PHONE_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"username": username, "realm": "hotline"}));
    let r = agent
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/agents/{id}/presence"),
            Some(json!({"presence": "available"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    (agent, id, username)
}

/// A caller of demo-en (sipp running `scenario_name`) whose media goes to the test's socket,
/// once Hotline's audio has reached it.
pub(crate) async fn demo_caller(t: &TestApp, scenario_name: &str, talk_ms: u64) -> (Sipp, RtpPeer) {
    caller_of(t, "demo-en", scenario_name, talk_ms, AGENT_VOICE).await
}

/// A caller of `number` whose media goes to the test's socket, counting packets all of
/// `listen_for` (µ-law); returns once Hotline's audio arrives.
pub(crate) async fn caller_of(
    t: &TestApp,
    number: &str,
    scenario_name: &str,
    talk_ms: u64,
    listen_for: u8,
) -> (Sipp, RtpPeer) {
    let mut peer = RtpPeer::spawn(CALLER_VOICE, listen_for);
    let mut caller = Sipp::start(
        scenario_name,
        Some(sip_addr(t)),
        free_port(),
        &[
            "-s",
            number,
            "-key",
            "caller_rtp_port",
            &peer.port.to_string(),
            "-d",
            &talk_ms.to_string(),
        ],
    );
    first_audio(t, &mut peer, &mut caller).await;
    (caller, peer)
}

/// A caller of demo-en whose media goes to the test's socket; presses 0 once Hotline's audio
/// arrives, and is offered to the agent. Returns the caller's sipp, its RTP peer and the task.
pub(crate) async fn caller_for_a_person(
    t: &TestApp,
    desk: &mut Live,
    scenario_name: &str,
    talk_ms: u64,
) -> (Sipp, RtpPeer, Value) {
    let (caller, peer) = demo_caller(t, scenario_name, talk_ms).await;
    // 0 asks for a person (the main menu takes it as typed ahead of its question).
    peer.press('0');
    let offer = desk.until("the offer", |f| f["type"] == "offer").await;
    let task = offer["task"].clone();
    assert_eq!(task["channel"], "voice");
    assert_eq!(task["reason"], "asked_for_human");
    (caller, peer, task)
}

pub(crate) async fn accept(agent: &mut Client, task: &Value) -> Value {
    let id = task["id"].as_str().unwrap();
    let r = agent
        .post(&format!("/api/v1/tasks/{id}/accept"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// Waits until caller and agent hear each other (and the agent the caller's key 5).
pub(crate) async fn bridged(caller: &mut RtpPeer, agent: &mut RtpPeer) {
    agent
        .until("the caller's voice at the agent", |h| h.voice >= ENOUGH)
        .await;
    caller
        .until("the agent's voice at the caller", |h| h.voice >= ENOUGH)
        .await;
    caller.press('5');
    agent
        .until("the caller's key 5 at the agent", |h| h.events.contains(&5))
        .await;
}

/// The task's state as its agent's desk shows it (`None`: not on the desk).
pub(crate) async fn task_state(agent: &mut Client, task: &Value) -> Option<String> {
    let desk = agent.get("/api/v1/desk").await.body;
    desk["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == task["id"])
        .map(|x| x["state"].as_str().unwrap().to_owned())
}

/// A started server with an agent whose phone (a sipp running `phone_scenario`, media at the
/// returned RTP peer) is registered, and the agent's desk socket open.
pub(crate) async fn agent_and_phone(
    t: &TestApp,
    phone_scenario: &str,
    talk_ms: u64,
) -> (Client, Live, Sipp, RtpPeer) {
    let (mut admin, _) = t.admin().await;
    agent_and_phone_by(t, &mut admin, phone_scenario, talk_ms).await
}

/// [`agent_and_phone`] with the agent created by `admin`.
pub(crate) async fn agent_and_phone_by(
    t: &TestApp,
    admin: &mut Client,
    phone_scenario: &str,
    talk_ms: u64,
) -> (Client, Live, Sipp, RtpPeer) {
    let (maria, _, username) = agent_with_phone(t, admin, "maria").await;
    let agent_peer = RtpPeer::spawn(AGENT_VOICE, CALLER_VOICE);
    let phone_port = free_port();
    let phone = Sipp::start(
        phone_scenario,
        None,
        phone_port,
        &[
            "-key",
            "agent_rtp_port",
            &agent_peer.port.to_string(),
            "-d",
            &talk_ms.to_string(),
        ],
    );
    register_phone(t, &username, PHONE_PASSWORD, phone_port, 3600).await;
    let registered = stats(t)
        .phone_registrations
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(registered, 1);
    let mut desk = Live::open(t, &maria, "/api/v1/desk/ws").await.unwrap();
    desk.until("snapshot", |f| f["type"] == "snapshot").await;
    (maria, desk, phone, agent_peer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_call_rings_the_agents_phone_bridges_both_ways_and_the_desk_ends_both_legs() {
    let _turn = crate::support::realtime_turn().await;
    let t = spawn_app().await;
    let (mut maria, mut desk, phone, mut agent_peer) =
        agent_and_phone(&t, "agent_answers.xml", 0).await;
    let (caller, mut caller_peer, task) =
        caller_for_a_person(&t, &mut desk, "caller_waits_for_an_agent.xml", 0).await;

    let accepted = accept(&mut maria, &task).await;
    assert_eq!(accepted["state"], "assigned");
    bridged(&mut caller_peer, &mut agent_peer).await;
    let s = stats(&t);
    assert_eq!(s.agent_calls_answered.load(Ordering::Relaxed), 1);
    assert!(s.relayed_to_agent.load(Ordering::Relaxed) >= ENOUGH);
    assert!(s.relayed_to_caller.load(Ordering::Relaxed) >= ENOUGH);
    // Neither side learnt the other's address: each hears Hotline, on a port of its own.
    let caller_saw = caller_peer.heard.borrow().hotline.unwrap();
    let agent_saw = agent_peer.heard.borrow().hotline.unwrap();
    assert_ne!(caller_saw, agent_saw);
    assert_ne!(agent_saw.port(), caller_peer.port);

    // The agent ends the conversation on the desk: the caller is told, both legs end.
    let id = task["id"].as_str().unwrap();
    let r = maria
        .post(&format!("/api/v1/tasks/{id}/end"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "wrap_up");
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller's call did not end as it should: {log}");
    let (ok, log) = phone.finish().await;
    assert!(ok, "the agent's phone did not get its BYE: {log}");
    assert_eq!(
        task_state(&mut maria, &task).await.as_deref(),
        Some("wrap_up")
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_hanging_up_the_phone_ends_the_callers_call_and_the_task_goes_to_wrap_up() {
    let _turn = crate::support::realtime_turn().await;
    let t = spawn_app().await;
    let (mut maria, mut desk, phone, mut agent_peer) =
        agent_and_phone(&t, "agent_hangs_up.xml", 8_000).await;
    let (caller, mut caller_peer, task) =
        caller_for_a_person(&t, &mut desk, "caller_waits_for_an_agent.xml", 0).await;
    accept(&mut maria, &task).await;
    bridged(&mut caller_peer, &mut agent_peer).await;
    let (ok, log) = phone.finish().await;
    assert!(ok, "the agent's phone could not hang up: {log}");
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller did not get Hotline's BYE: {log}");
    desk.until("the task in wrap-up", |f| {
        f["type"] == "task" && f["task"]["id"] == task["id"] && f["task"]["state"] == "wrap_up"
    })
    .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_hanging_up_ends_the_agents_leg_and_the_task_goes_to_wrap_up() {
    let _turn = crate::support::realtime_turn().await;
    let t = spawn_app().await;
    let (mut maria, mut desk, phone, mut agent_peer) =
        agent_and_phone(&t, "agent_answers.xml", 0).await;
    let (caller, mut caller_peer, task) =
        caller_for_a_person(&t, &mut desk, "caller_hangs_up_on_the_agent.xml", 12_000).await;
    accept(&mut maria, &task).await;
    bridged(&mut caller_peer, &mut agent_peer).await;
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller could not hang up: {log}");
    let (ok, log) = phone.finish().await;
    assert!(ok, "the agent's phone did not get Hotline's BYE: {log}");
    desk.until("the task in wrap-up", |f| {
        f["type"] == "task" && f["task"]["id"] == task["id"] && f["task"]["state"] == "wrap_up"
    })
    .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_cannot_be_reached_puts_the_task_back_and_the_caller_keeps_waiting() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, maria_id, username) = agent_with_phone(&t, &mut admin, "maria").await;
    let mut desk = Live::open(&t, &maria, "/api/v1/desk/ws").await.unwrap();
    desk.until("snapshot", |f| f["type"] == "snapshot").await;
    let (caller, _caller_peer, task) =
        caller_for_a_person(&t, &mut desk, "caller_hangs_up_on_the_agent.xml", 12_000).await;
    let s = stats(&t);

    // Maria accepts, but no phone of hers is registered: the task goes back to the queue, and
    // as the only agent she is offered it again.
    accept(&mut maria, &task).await;
    wait_for(&s, "the failed leg", |s| {
        s.agent_calls_failed.load(Ordering::Relaxed) == 1
    })
    .await;
    let again = desk
        .until("the offer again", |f| {
            f["type"] == "offer" && f["task"]["id"] == task["id"]
        })
        .await;
    assert_eq!(again["task"]["queue"], task["queue"]);

    // Her phone registers, but it is busy (486): back to the queue again.
    let phone_port = free_port();
    let phone = Sipp::start("agent_busy.xml", None, phone_port, &[]);
    register_phone(&t, &username, PHONE_PASSWORD, phone_port, 3600).await;
    accept(&mut maria, &task).await;
    let (ok, log) = phone.finish().await;
    assert!(ok, "the busy phone saw no call: {log}");
    wait_for(&s, "the second failed leg", |s| {
        s.agent_calls_failed.load(Ordering::Relaxed) == 2
    })
    .await;
    desk.until("the offer once more", |f| {
        f["type"] == "offer" && f["task"]["id"] == task["id"]
    })
    .await;
    // Her SIP account is removed: the registration her phone still holds is not rung.
    let r = maria
        .delete(&format!("/api/v1/agents/{maria_id}/sip"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    accept(&mut maria, &task).await;
    wait_for(&s, "the third failed leg", |s| {
        s.agent_calls_failed.load(Ordering::Relaxed) == 3
    })
    .await;
    desk.until("the offer a fourth time", |f| {
        f["type"] == "offer" && f["task"]["id"] == task["id"]
    })
    .await;
    assert_eq!(
        s.agent_calls.load(Ordering::Relaxed),
        1,
        "only the busy phone was rung"
    );
    assert_eq!(s.agent_calls_answered.load(Ordering::Relaxed), 0);
    // The caller was never dropped: they hang up themselves, and only then does the call end.
    assert_eq!(s.calls_ended.load(Ordering::Relaxed), 0);
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller was dropped: {log}");
    t.stop().await;
}

/// A REGISTER from `from` for `user`, with `authorization` when given.
fn register(
    user: &str,
    to: SocketAddr,
    from: SocketAddr,
    n: u32,
    expires: u32,
    authorization: Option<&str>,
) -> String {
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-reg-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@{to}>;tag=r{n}\r\n\
         To: <sip:{user}@{to}>\r\n\
         Call-ID: reg-{user}@{from}\r\n\
         CSeq: {n} REGISTER\r\n\
         Contact: <sip:{user}@{from}>\r\n\
         Expires: {expires}\r\n\
         {auth}Content-Length: 0\r\n\r\n"
    )
}

/// Sends a datagram and returns the final answer to it (skipping answers to earlier ones).
fn exchange(socket: &UdpSocket, to: SocketAddr, msg: &str) -> sip_proto::Response {
    let cseq = msg
        .lines()
        .find(|l| l.starts_with("CSeq:"))
        .unwrap()
        .to_owned();
    socket.send_to(msg.as_bytes(), to).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let (n, _) = socket
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("no answer to {cseq}: {e}"));
        let Ok(sip_proto::Message::Response(r)) = sip_proto::parse(&buf[..n]) else {
            continue;
        };
        let same = r
            .headers
            .cseq()
            .is_ok_and(|c| cseq.ends_with(&format!("{} REGISTER", c.seq)));
        if same && r.status >= 200 {
            return r;
        }
    }
}

/// Answers `challenge` as a phone with `password` would.
fn credentials(
    challenge: &sip_proto::Response,
    user: &str,
    password: &str,
    to: SocketAddr,
) -> String {
    let header = challenge
        .headers
        .www_authenticate()
        .unwrap()
        .expect("a digest challenge");
    let creds = sip_proto::auth::Credentials {
        username: user.to_owned(),
        password: password.to_owned(),
    };
    sip_proto::auth::authorize(
        &header,
        &creds,
        "REGISTER",
        &format!("sip:{to}"),
        "c0ffee",
        1,
    )
    .unwrap()
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registrar_challenges_refuses_wrong_and_unknown_alike_and_blocks_guessing() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (_maria, _, username) = agent_with_phone(&t, &mut admin, "maria").await;
    let to = sip_addr(&t);
    let s = stats(&t);
    let clock = t.clock.clone();
    tokio::task::spawn_blocking(move || {
        let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
        let me = phone.local_addr().unwrap();
        let mut n = 0;
        let mut next = |user: &str, expires: u32, auth: Option<&str>| {
            n += 1;
            exchange(&phone, to, &register(user, to, me, n, expires, auth))
        };

        // Without credentials: challenged, with a fresh nonce each time.
        let first = next(&username, 3600, None);
        assert_eq!(first.status, 401);
        let challenge = first.headers.get("WWW-Authenticate").unwrap().to_owned();
        assert!(challenge.contains("realm=\"hotline\""), "{challenge}");
        assert!(challenge.contains("qop=\"auth\""), "{challenge}");
        let second = next(&username, 3600, None);
        assert_ne!(
            second.headers.get("WWW-Authenticate"),
            first.headers.get("WWW-Authenticate"),
            "a new nonce"
        );

        // A wrong password and an unknown user get the same answer.
        let wrong = credentials(&second, &username, "not the password at all", to);
        let refused = next(&username, 3600, Some(&wrong));
        let challenge = next("nobody", 3600, None);
        let unknown = credentials(&challenge, "nobody", PHONE_PASSWORD, to);
        let unknown = next("nobody", 3600, Some(&unknown));
        assert_eq!((refused.status, unknown.status), (403, 403));
        assert_eq!(refused.reason, unknown.reason);

        // The right password binds the phone for the time asked (capped at an hour).
        let challenge = next(&username, 7200, None);
        let right = credentials(&challenge, &username, PHONE_PASSWORD, to);
        let ok = next(&username, 7200, Some(&right));
        assert_eq!(ok.status, 200);
        let contact = ok.headers.get("Contact").unwrap().to_owned();
        assert!(contact.ends_with(";expires=3600"), "{contact}");
        // The same credentials again are a replay: challenged as stale.
        let replay = next(&username, 7200, Some(&right));
        assert_eq!(replay.status, 401);
        assert!(
            replay
                .headers
                .get("WWW-Authenticate")
                .unwrap()
                .contains("stale=true")
        );
        // Too short a lifetime is refused with the minimum.
        let challenge = next(&username, 10, None);
        let brief = credentials(&challenge, &username, PHONE_PASSWORD, to);
        let brief = next(&username, 10, Some(&brief));
        assert_eq!(brief.status, 423);
        assert_eq!(brief.headers.get("Min-Expires"), Some("60"));
        // Expires: 0 removes the binding.
        let challenge = next(&username, 0, None);
        let bye = credentials(&challenge, &username, PHONE_PASSWORD, to);
        let gone = next(&username, 0, Some(&bye));
        assert_eq!(gone.status, 200);
        assert_eq!(gone.headers.get("Contact"), None);

        // Guessing: after ten failures in a minute the source is refused without a challenge.
        for _ in 0..8 {
            let challenge = next(&username, 3600, None);
            let guess = credentials(&challenge, &username, "another guess, wrong", to);
            assert_eq!(next(&username, 3600, Some(&guess)).status, 403);
        }
        assert_eq!(next(&username, 3600, None).status, 403, "blocked");
        // A minute later (on the server's clock) it is heard again.
        clock.advance_secs(61);
        assert_eq!(next(&username, 3600, None).status, 401);
    })
    .await
    .unwrap();
    assert_eq!(s.phone_registrations.load(Ordering::Relaxed), 2);
    assert!(s.phone_registrations_refused.load(Ordering::Relaxed) >= 11);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_credentials_are_the_agents_own_or_a_supervisors_to_give() {
    let t = spawn_app().await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, maria_id, _) = agent_with_phone(&t, &mut admin, "maria").await;
    let (jonas_id, otp) = t.create_user(&mut admin, "jonas", "agent").await;
    let (mut jonas, _) = t.first_login("jonas", &otp, ADMIN_PASSWORD).await;
    let put = |id: &str| format!("/api/v1/agents/{id}/sip");
    let body = |user: &str, password: &str| Some(json!({"username": user, "password": password}));

    // An agent cannot set a colleague's phone; a supervisor (here the admin) can.
    let r = maria
        .send(
            reqwest::Method::PUT,
            &put(&jonas_id),
            body("jonas-phone", PHONE_PASSWORD),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = admin
        .send(
            reqwest::Method::PUT,
            &put(&jonas_id),
            body("jonas-phone", PHONE_PASSWORD),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.to_string().contains(PHONE_PASSWORD));
    // A taken username, a short password, a bad username: clear problems, nothing changed.
    let r = jonas
        .send(
            reqwest::Method::PUT,
            &put(&jonas_id),
            body("maria-phone", PHONE_PASSWORD),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for (user, password, field) in [
        ("jonas-phone", "too short", "password"),
        ("jonas phone", PHONE_PASSWORD, "username"),
        ("jonas-phone", "jonas-phone", "password"),
    ] {
        let r = jonas
            .send(reqwest::Method::PUT, &put(&jonas_id), body(user, password))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{user}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{user}: {}", r.body);
    }
    assert!(t.app().sip_account("jonas-phone").await.unwrap().is_some());
    // Removing: the agent's own, then it is gone.
    let r = jonas.delete(&put(&jonas_id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(t.app().sip_account("jonas-phone").await.unwrap().is_none());
    assert_eq!(
        jonas.delete(&put(&jonas_id)).await.status,
        StatusCode::NOT_FOUND
    );
    // Every change is audited, naming the agent and never the secret.
    let audit = admin.get("/api/v1/audit?limit=100").await.body.to_string();
    assert!(audit.contains("user.sip_account_set"), "{audit}");
    assert!(audit.contains("user.sip_account_remove"), "{audit}");
    assert!(!audit.contains(PHONE_PASSWORD));
    let _ = maria_id;
    t.stop().await;
}

/// Sends, from a socket of its own on the caller's host, what an attacker (or an earlier call's
/// peer still talking to a reused port) would: a key press and audio, in sequence, to `to`.
fn stray_stream(to: SocketAddr, key: char, packets: u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut out = Vec::new();
    for seq in 0..packets {
        out.clear();
        if seq < 5 {
            let ev = TelephoneEvent {
                event: event_code(key).unwrap(),
                end: seq >= 2,
                volume: 10,
                duration: 160 * (seq + 1),
            };
            let header = RtpHeader::new(101, 1000 + seq, 8000, 0xbad);
            media::rtp::write_packet(&header, &ev.to_bytes().unwrap(), 0, &mut out).unwrap();
        } else {
            let header = RtpHeader::new(0, 1000 + seq, 8000 + u32::from(seq) * 160, 0xbad);
            media::rtp::write_packet(&header, &[0x11; 160], 0, &mut out).unwrap();
        }
        socket.send_to(&out, to).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stray_rtp_stream_neither_takes_the_call_over_nor_presses_keys_in_it() {
    let _turn = crate::support::realtime_turn().await;
    let t = spawn_app().await;
    let (_admin, _) = t.admin().await;
    let (caller, mut peer) = demo_caller(&t, "caller_waits_for_an_agent.xml", 0).await;
    let hotline = peer.heard.borrow().hotline.unwrap();
    let s = stats(&t);

    // A stream from another port of the caller's host presses 0 ("a person") and talks. On
    // loopback its packets are queued at Hotline's port before the caller's key below.
    tokio::task::spawn_blocking(move || stray_stream(hotline, '0', 60))
        .await
        .unwrap();
    // The caller's own key works; once it is counted, every stray packet before it was seen.
    peer.press('1');
    wait_for(&s, "the caller's key", |s| {
        s.digits.load(Ordering::Relaxed) >= 1
    })
    .await;
    assert_eq!(s.digits.load(Ordering::Relaxed), 1, "a stray key was taken");
    assert_eq!(s.rtp_strays.load(Ordering::Relaxed), 60);
    // Hotline still talks to the caller, not to the stray stream.
    let before = peer.heard.borrow().packets;
    peer.until("more of Hotline's packets", |h| h.packets >= before + 25)
        .await;
    drop(caller);
    t.stop().await;
}
