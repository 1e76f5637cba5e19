//! Calls end to end: the real server on loopback, called by sipp (Debian's `sip-tester`) with
//! the scenarios in `tests/sipp/`, and by hand-made datagrams for what a scenario cannot send
//! (malformed requests, floods). Each test checks the conversation the call left behind.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use app::ConversationEvent;
use store::{Conversation, ConversationStatus};
use tokio::sync::broadcast;

use crate::calls::{
    ended_call, newest_conversation, said_by, sip_addr, stats, tenant, transcript, wait_for,
};
use crate::support::{TestApp, spawn_app, spawn_with};

pub(crate) fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(name)
}

/// The ports tests hand to peers (sipp, phones) come from a block the kernel never gives to
/// `bind(0)` (Linux's ephemeral ports start at 32768) and the server's RTP range (from 16384)
/// does not use: a port bound and released there cannot be taken by somebody's ephemeral
/// socket before the peer binds it. Each test binary starts at its own offset, and every
/// port is checked free before it is handed out.
const PORT_BLOCK: std::ops::Range<u16> = 10_000..16_000;

fn next_ports(step: u16) -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = PORT_BLOCK.end - PORT_BLOCK.start;
    // A different starting point per process, so two test binaries (or a run beside
    // another) do not walk the same ports in step.
    let offset = (std::process::id() % u32::from(span / 4)) as u16 * 4;
    let n = NEXT.fetch_add(step, Ordering::Relaxed);
    PORT_BLOCK.start + (offset.wrapping_add(n) % (span - 4)) / 4 * 4
}

/// A UDP (and TCP) port free on loopback for a peer to bind right after.
pub(crate) fn free_port() -> u16 {
    loop {
        let p = next_ports(4);
        if UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
        {
            return p;
        }
    }
}

/// An even port with the three after it free too: sipp's media ports (audio and video, RTP
/// and RTCP), which it binds even when the test's own sockets carry the media.
pub(crate) fn free_media_port() -> u16 {
    loop {
        let p = next_ports(4);
        if (p..p + 4).all(|q| UdpSocket::bind(("127.0.0.1", q)).is_ok()) {
            return p;
        }
    }
}

/// Runs one sipp call of `scenario` to `service` and returns whether it succeeded and its
/// error log.
fn sipp(target: SocketAddr, scenario_name: &str, service: &str) -> (bool, String) {
    sipp_with(target, &scenario(scenario_name), service)
}

pub(crate) fn sipp_with(
    target: SocketAddr,
    scenario: &std::path::Path,
    service: &str,
) -> (bool, String) {
    sipp_args(target, scenario, service, &[])
}

fn sipp_args(
    target: SocketAddr,
    scenario: &std::path::Path,
    service: &str,
    extra: &[&str],
) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let errors = dir.path().join("errors.log");
    let media = free_media_port();
    let output = Command::new("sipp")
        .current_dir(dir.path())
        .arg("-sf")
        .arg(scenario)
        .args(["-s", service, "-i", "127.0.0.1"])
        .args(["-p", &free_port().to_string(), "-mp", &media.to_string()])
        .args(["-m", "1", "-l", "1", "-timeout", "60s", "-timeout_error"])
        .args(extra)
        .args(["-nostdin", "-trace_err", "-error_file"])
        .arg(&errors)
        .arg(target.to_string())
        .output()
        .expect("sipp runs (Debian package sip-tester; scripts/test installs it)");
    let log = std::fs::read_to_string(&errors).unwrap_or_default();
    (
        output.status.success(),
        format!(
            "{log}\n{}",
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
}

/// Waits until the call is in the queue: the first call's conversation, once answered, is
/// watched through its live events (subscribed before its stored status is read, so the
/// change cannot fall in between).
pub(crate) async fn queued_call(app: &TestApp) -> Conversation {
    let s = stats(app);
    wait_for(&s, "the call to be answered", |s| {
        s.calls_answered.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await;
    let id = newest_conversation(app)
        .await
        .expect("the call's conversation")
        .id;
    let mut events = app.app().chat_subscribe(id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = app
            .app()
            .store()
            .get_conversation(tenant(app), id)
            .await
            .unwrap()
            .unwrap();
        if c.status == ConversationStatus::Queued {
            return c;
        }
        tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("timed out waiting for the call to be queued")
            .expect("the conversation's events");
    }
}

/// Waits until the bot says something containing `needle` in the conversation whose live
/// `events` these are.
pub(crate) async fn bot_says(events: &mut broadcast::Receiver<ConversationEvent>, needle: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for the bot to say {needle:?}"))
            .expect("the conversation's events");
        if let ConversationEvent::Messages(messages) = event
            && messages
                .iter()
                .any(|m| m.from == domain::Sender::Bot && m.text.expose().contains(needle))
        {
            return;
        }
    }
}

/// The demo flow's path for keys 2 then 3: test results, then goodbye.
async fn assert_branched_on_2_then_3(app: &TestApp) {
    let c = ended_call(app).await;
    assert_eq!(c.channel, domain::Channel::Voice);
    let t = transcript(app, &c).await;
    let users: Vec<&str> = said_by(&t, "user");
    assert_eq!(users, ["2", "3"], "the caller's keys reached the flow");
    let bot = said_by(&t, "bot").join("\n");
    assert!(
        bot.contains("test result"),
        "the flow branched to test results: {bot}"
    );
    assert!(
        bot.contains("stay healthy"),
        "the flow ended with its goodbye: {bot}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc_2833_digits_branch_the_flow_and_the_server_hangs_up() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let (ok, log) =
        tokio::task::spawn_blocking(move || sipp(target, "dtmf_rfc2833.xml", "demo-en"))
            .await
            .unwrap();
    assert!(ok, "sipp call failed: {log}");
    assert_branched_on_2_then_3(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_info_digits_branch_the_flow_and_the_server_hangs_up() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let (ok, log) = tokio::task::spawn_blocking(move || sipp(target, "dtmf_info.xml", "demo-en"))
        .await
        .unwrap();
    assert!(ok, "sipp call failed: {log}");
    assert_branched_on_2_then_3(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_answer_gets_487_and_starts_no_conversation() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let (ok, log) = tokio::task::spawn_blocking(move || sipp(target, "cancel.xml", "demo-de"))
        .await
        .unwrap();
    assert!(ok, "sipp call failed: {log}");
    let recent = app
        .app()
        .store()
        .recent_conversations(tenant(&app), 10)
        .await
        .unwrap();
    assert!(recent.is_empty(), "a cancelled call starts no conversation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_hangs_up_during_a_prompt_and_the_conversation_ends() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let (ok, log) =
        tokio::task::spawn_blocking(move || sipp(target, "caller_hangs_up.xml", "demo-de"))
            .await
            .unwrap();
    assert!(ok, "sipp call failed: {log}");
    let c = ended_call(&app).await;
    let t = transcript(&app, &c).await;
    assert!(
        t.iter().all(|(s, _)| s != "user"),
        "the caller said nothing"
    );
    assert!(
        t.iter().any(|(s, _)| s == "bot"),
        "the greeting was under way"
    );
}

/// Sends one datagram and returns the status line of the first final answer to it (or None
/// after 3 s). Answers to earlier requests (final responses are retransmitted until ACKed) are
/// told apart by their Call-ID.
fn exchange(socket: &UdpSocket, to: SocketAddr, msg: &str) -> Option<String> {
    let call_id = msg
        .lines()
        .find(|l| l.starts_with("Call-ID:"))
        .map(str::to_owned);
    socket.send_to(msg.as_bytes(), to).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let (n, _) = socket.recv_from(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if let Some(id) = &call_id
            && !text.lines().any(|l| l == id)
        {
            continue;
        }
        let status = text.lines().next()?.to_owned();
        // Skip provisional answers.
        if !status.starts_with("SIP/2.0 1") {
            return Some(status);
        }
    }
}

fn request(method: &str, user: &str, to: SocketAddr, from: SocketAddr, n: u32) -> String {
    format!(
        "{method} sip:{user}@{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-test-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:tester@{from}>;tag=t{n}\r\n\
         To: <sip:{user}@{to}>\r\n\
         Call-ID: test-{n}@{from}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:tester@{from}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_unknown_requests_get_clear_answers() {
    let app = spawn_app().await;
    let to = sip_addr(&app);
    let stats = stats(&app);
    tokio::task::spawn_blocking(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let me = s.local_addr().unwrap();
        assert_eq!(
            exchange(&s, to, &request("OPTIONS", "demo-de", to, me, 1)).as_deref(),
            Some("SIP/2.0 200 OK")
        );
        assert_eq!(
            exchange(&s, to, &request("INVITE", "nobody", to, me, 2)).as_deref(),
            Some("SIP/2.0 404 Not Found"),
            "an unknown number"
        );
        let unknown = exchange(&s, to, &request("FROBNICATE", "demo-de", to, me, 3));
        assert!(
            unknown
                .as_deref()
                .is_some_and(|l| l.starts_with("SIP/2.0 501")),
            "an unknown method: {unknown:?}"
        );
        // A request whose CSeq is garbage: 400, not a crash.
        let bad = request("INVITE", "demo-de", to, me, 4).replace("CSeq: 1 INVITE", "CSeq: x");
        let answer = exchange(&s, to, &bad);
        assert!(
            answer
                .as_deref()
                .is_some_and(|l| l.starts_with("SIP/2.0 400")),
            "a malformed request: {answer:?}"
        );
        // An oversized header line (over 8 KiB) is refused: dropped and counted, no call.
        let dropped = stats
            .datagrams_dropped
            .load(std::sync::atomic::Ordering::Relaxed);
        let big = request("INVITE", "demo-de", to, me, 6).replace(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\nX-Padding: {}\r\n", "a".repeat(10_000)),
        );
        assert_eq!(
            exchange(&s, to, &big),
            None,
            "an oversized request starts no call"
        );
        assert!(
            stats
                .datagrams_dropped
                .load(std::sync::atomic::Ordering::Relaxed)
                > dropped,
            "the oversized request was counted"
        );
        // Noise is dropped and counted.
        let before = stats
            .datagrams_dropped
            .load(std::sync::atomic::Ordering::Relaxed);
        s.send_to(b"\x00\x01garbage that is not SIP", to).unwrap();
        tokio::runtime::Handle::current().block_on(wait_for(
            &stats,
            "the garbage datagram to be counted",
            |s| {
                s.datagrams_dropped
                    .load(std::sync::atomic::Ordering::Relaxed)
                    > before
            },
        ));
        // Still serving.
        assert_eq!(
            exchange(&s, to, &request("OPTIONS", "demo-de", to, me, 5)).as_deref(),
            Some("SIP/2.0 200 OK")
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_flood_from_one_source_is_throttled_and_others_still_get_through() {
    use std::sync::atomic::Ordering::Relaxed;
    let app = spawn_app().await;
    let to = sip_addr(&app);
    let stats = stats(&app);
    let clock = app.clock.clone();
    tokio::task::spawn_blocking(move || {
        let flooder = UdpSocket::bind("127.0.0.1:0").unwrap();
        let me = flooder.local_addr().unwrap();
        // New calls from one address as fast as it can send, in batches the socket buffer
        // surely holds; each batch is waited for until every INVITE became a call or was
        // throttled. The throttle runs on the app's clock, which stands still here.
        let processed = |s: &voice::VoiceStats| {
            s.calls_started.load(Relaxed) + s.invites_throttled.load(Relaxed)
        };
        let mut sent = 0u32;
        let mut flood = |count: u32| {
            for _ in 0..count {
                flooder
                    .send_to(
                        request("INVITE", "nobody", to, me, 1000 + sent).as_bytes(),
                        to,
                    )
                    .unwrap();
                sent += 1;
                if sent.is_multiple_of(50) {
                    let want = u64::from(sent);
                    tokio::runtime::Handle::current().block_on(wait_for(
                        &stats,
                        "the flood to be processed",
                        |s| processed(s) == want,
                    ));
                }
            }
        };
        // The burst allowance is 100: of 400, exactly 100 become calls.
        flood(400);
        assert_eq!(stats.calls_started.load(Relaxed), 100);
        assert_eq!(stats.invites_throttled.load(Relaxed), 300);
        // Another source (127.0.0.2 is loopback too, but not on the allow list) is answered
        // as usual — refused for want of credentials, not ignored.
        let other = UdpSocket::bind("127.0.0.2:0").unwrap();
        let other_addr = other.local_addr().unwrap();
        assert_eq!(
            exchange(
                &other,
                to,
                &request("INVITE", "demo-de", to, other_addr, 5000)
            )
            .as_deref(),
            Some("SIP/2.0 403 Forbidden")
        );
        // A second refills 50 tokens (50 INVITEs a second): of 100 more, exactly 50 get in.
        clock.advance_secs(1);
        flood(100);
        assert_eq!(stats.calls_started.load(Relaxed), 150);
        assert_eq!(stats.invites_throttled.load(Relaxed), 350);
        // Every admitted call is answered (404: nobody has that number). Final answers are
        // retransmitted until ACKed: count calls, not datagrams.
        flooder
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut calls = std::collections::HashSet::new();
        while calls.len() < 150 {
            let (n, _) = flooder
                .recv_from(&mut buf)
                .expect("every admitted call is answered");
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            if text.starts_with("SIP/2.0 404")
                && let Some(id) = text.lines().find(|l| l.starts_with("Call-ID:"))
            {
                calls.insert(id.to_owned());
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_over_tcp_is_answered() {
    use std::io::{Read, Write};
    let app = spawn_app().await;
    let to = sip_addr(&app);
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(to).unwrap();
        let me = s.local_addr().unwrap();
        let req = request("OPTIONS", "demo-de", to, me, 7).replace("SIP/2.0/UDP", "SIP/2.0/TCP");
        s.write_all(req.as_bytes()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 2048];
        let n = s.read(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("SIP/2.0 200 OK"), "{text}");
        assert!(text.contains("Allow:"), "{text}");
        // A stream that never frames a message within 64 KiB is closed, not buffered forever.
        let mut flood = std::net::TcpStream::connect(to).unwrap();
        let mut head = b"INVITE sip:demo-de@127.0.0.1 SIP/2.0\r\nX-Endless: ".to_vec();
        head.resize(70 * 1024, b'a');
        let _ = flood.write_all(&head);
        flood
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        let closed = flood.read_to_end(&mut rest);
        assert!(
            closed.is_ok()
                || closed
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "the connection was closed: {closed:?}"
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_bound_to_flows_through_the_api() {
    use reqwest::StatusCode;
    let app = spawn_app().await;
    let (mut admin, _) = app.admin().await;
    let flows = admin.get("/api/v1/flows").await.body;
    let flow_id = flows["items"][0]["id"].as_str().unwrap().to_owned();
    let listed = admin.get("/api/v1/phone-numbers").await.body.to_string();
    assert!(
        listed.contains("demo-de") && listed.contains("demo-en"),
        "the demo numbers: {listed}"
    );
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/phone-numbers/+4930123456",
            Some(serde_json::json!({"flow_id": flow_id, "language": "de"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["number"], "+4930123456");
    // Bad input gets a clear error and changes nothing.
    for (number, body, field) in [
        (
            "has space",
            serde_json::json!({"flow_id": flow_id}),
            "number",
        ),
        ("+49301", serde_json::json!({"flow_id": "nope"}), "flow_id"),
        (
            "+49302",
            serde_json::json!({"flow_id": flow_id, "language": "fr"}),
            "language",
        ),
    ] {
        let r = admin
            .send(
                reqwest::Method::PUT,
                &format!("/api/v1/phone-numbers/{number}"),
                Some(body),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{number}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{number}: {}", r.body);
    }
    let listed = admin.get("/api/v1/phone-numbers").await.body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    // The new number answers calls.
    let route = app.app().call_route("+4930123456").await.unwrap();
    assert_eq!(route.language, "de");
    let r = admin.delete("/api/v1/phone-numbers/+4930123456").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(matches!(
        app.app().call_route("+4930123456").await,
        Err(app::AppError::NotFound)
    ));
}

/// `secs` seconds of a 440 Hz tone at about −12 dBm0.
pub(crate) fn tone(secs: u32) -> Vec<i16> {
    (0..secs * 8000)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            (f64::sin(2.0 * std::f64::consts::PI * 440.0 * t) * 6000.0) as i16
        })
        .collect()
}

/// A pcap (Ethernet, IPv4, UDP) of RTP carrying `samples` (8 kHz) as PCMU, 20 ms per
/// packet — what sipp's `play_pcap_audio` sends as the caller's voice.
pub(crate) fn pcm_pcap(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    let packets = u32::try_from(samples.len().div_ceil(160)).unwrap();
    for i in 0..packets {
        let mut rtp = Vec::with_capacity(172);
        rtp.extend_from_slice(&[0x80, if i == 0 { 0x80 } else { 0x00 }]);
        rtp.extend_from_slice(&u16::try_from(i).unwrap().to_be_bytes());
        rtp.extend_from_slice(&(i * 160).to_be_bytes());
        rtp.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        for n in 0..160 {
            let sample = samples.get(i as usize * 160 + n).copied().unwrap_or(0);
            rtp.push(media::g711::ulaw_encode(sample));
        }
        let udp_len = 8 + rtp.len();
        let ip_len = 20 + udp_len;
        let mut frame = Vec::with_capacity(14 + ip_len);
        frame.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
        frame.extend_from_slice(&[0x45, 0]);
        frame.extend_from_slice(&u16::try_from(ip_len).unwrap().to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&6002u16.to_be_bytes());
        frame.extend_from_slice(&u16::try_from(udp_len).unwrap().to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&rtp);
        let micros = i * 20_000;
        out.extend_from_slice(&(micros / 1_000_000).to_le_bytes());
        out.extend_from_slice(&(micros % 1_000_000).to_le_bytes());
        let len = u32::try_from(frame.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_caller_whose_wait_times_out_leaves_a_voicemail() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let pcap = work.path().join("voice.pcap");
    std::fs::write(&pcap, pcm_pcap(&tone(3))).unwrap();
    let scenario_path = work.path().join("queue_voicemail.xml");
    let text = std::fs::read_to_string(scenario("queue_voicemail.xml"))
        .unwrap()
        .replace("@PCAP@", pcap.to_str().unwrap());
    std::fs::write(&scenario_path, text).unwrap();
    let target = sip_addr(&app);
    let call = tokio::task::spawn_blocking(move || sipp_with(target, &scenario_path, "demo-en"));
    // The caller waits in the queue; then nobody answers for 15 minutes.
    let queued = queued_call(&app).await;
    let waiting = app
        .app()
        .queue_entries(tenant(&app), "counselling")
        .await
        .unwrap();
    assert_eq!(
        waiting.len(),
        1,
        "the caller waits in the counselling queue"
    );
    // The server's timer loop sleeps on the app's clock: moving the clock past the queue's
    // 15-minute timeout wakes it, and it fires the timer. The test waits for the voicemail
    // prompt, which only the fired timer causes (subscribed before the clock moves, so the
    // event cannot come before the wait).
    let mut events = app.app().chat_subscribe(queued.id);
    app.clock.advance_secs(901);
    bot_says(&mut events, "Leave us a message").await;
    assert_eq!(
        app.app().fire_due_timers().await.unwrap(),
        0,
        "the loop took the timer, and nothing else was due"
    );
    let (ok, log) = call.await.unwrap();
    assert!(ok, "sipp call failed: {log}");
    let c = ended_call(&app).await;
    assert_eq!(c.id, queued.id);
    assert!(
        app.app()
            .queue_entries(tenant(&app), "counselling")
            .await
            .unwrap()
            .is_empty(),
        "the caller left the queue"
    );
    let state: serde_json::Value = serde_json::from_str(&c.state).unwrap();
    let reference = state["vars"]["message"]
        .as_str()
        .expect("the recording's reference is saved in the flow's variable")
        .to_owned();
    let sealed = std::fs::read(app.data_dir().join("recordings").join(&reference)).unwrap();
    assert!(
        !sealed.starts_with(b"RIFF"),
        "the recording is stored sealed, not as a WAV file"
    );
    let wav = app
        .app()
        .open_recording(tenant(&app), &reference, &sealed)
        .await
        .unwrap();
    assert!(wav.starts_with(b"RIFF"), "it opens to the WAV file");
    let samples = (wav.len() - 44) / 2;
    assert!(
        (8000 * 2..=8000 * 6).contains(&samples),
        "about the 3 s the caller spoke: {samples} samples"
    );
    let t = transcript(&app, &c).await;
    let bot = said_by(&t, "bot").join("\n");
    assert!(bot.contains("Leave us a message"), "{bot}");
    assert!(bot.contains("stay healthy"), "{bot}");
}

/// Calls `service` with `scenario_name`, whose `@PCAP@` is the caller saying `words` (espeak-ng's
/// English voice) with a second of silence either side; whether the call succeeded, and sipp's
/// log.
pub(crate) async fn sipp_saying(
    app: &TestApp,
    words: &str,
    scenario_name: &str,
    service: &str,
) -> (bool, String) {
    use voice::tts::{Synthesizer, Voice};
    let work = tempfile::tempdir().unwrap();
    let espeak = voice::tts::EspeakSynthesizer::new(work.path().join("tts"));
    let spoken = espeak
        .synthesize(words, &Voice::english())
        .await
        .expect("espeak-ng speaks (Debian package espeak-ng)");
    let mut samples = vec![0i16; 8000];
    samples.extend_from_slice(&spoken.samples);
    samples.extend(std::iter::repeat_n(0i16, 8000));
    let pcap = work.path().join("speech.pcap");
    std::fs::write(&pcap, pcm_pcap(&samples)).unwrap();
    let scenario_path = work.path().join("scenario.xml");
    let text = std::fs::read_to_string(scenario(scenario_name))
        .unwrap()
        .replace("@PCAP@", pcap.to_str().unwrap());
    std::fs::write(&scenario_path, text).unwrap();
    let target = sip_addr(app);
    let service = service.to_owned();
    tokio::task::spawn_blocking(move || sipp_with(target, &scenario_path, &service))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_request_interrupts_the_greeting_and_chooses_the_option() {
    let app = spawn_app().await;
    let (ok, log) = sipp_saying(&app, "I am waiting for my results", "speech.xml", "demo-en").await;
    assert!(ok, "sipp call failed: {log}");
    let c = ended_call(&app).await;
    let t = transcript(&app, &c).await;
    let users: Vec<&str> = said_by(&t, "user");
    assert_eq!(users.len(), 2, "what the caller said, then 3: {users:?}");
    assert_eq!(users[1], "3");
    let bot = said_by(&t, "bot").join("\n");
    assert!(
        bot.contains("Corona-Warn-App"),
        "speech took the flow to test results ({:?} was heard): {bot}",
        users[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_node_refers_the_caller_to_the_target_and_leaves_the_call() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let (ok, log) = tokio::task::spawn_blocking(move || sipp(target, "transfer.xml", "demo-en"))
        .await
        .unwrap();
    assert!(ok, "sipp call failed: {log}");
    let c = ended_call(&app).await;
    let t = transcript(&app, &c).await;
    assert!(
        t.iter()
            .any(|(s, b)| s == "bot" && b.contains("connecting you with the crisis line")),
        "{t:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_off_the_allow_list_must_authenticate() {
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("sip-password");
    std::fs::write(&password_file, "trunk-secret-for-tests\n").unwrap();
    let file = password_file.clone();
    let app = spawn_with(move |s| {
        s.sip.allow_from = Vec::new();
        s.sip.auth_user = Some("trunk".to_owned());
        s.sip.auth_password_file = Some(file);
    })
    .await;
    let target = sip_addr(&app);
    // Without credentials: challenged.
    let challenged = tokio::task::spawn_blocking(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let me = s.local_addr().unwrap();
        exchange(&s, target, &request("INVITE", "demo-de", target, me, 77))
    })
    .await
    .unwrap();
    assert_eq!(challenged.as_deref(), Some("SIP/2.0 401 Unauthorized"));
    // With the right ones: answered.
    let (ok, log) = tokio::task::spawn_blocking(move || {
        sipp_args(
            target,
            &scenario("auth_invite.xml"),
            "demo-de",
            &["-au", "trunk", "-ap", "trunk-secret-for-tests"],
        )
    })
    .await
    .unwrap();
    assert!(ok, "sipp call failed: {log}");
    ended_call(&app).await;
    // With wrong ones: challenged again, never answered.
    let (ok, _) = tokio::task::spawn_blocking(move || {
        sipp_args(
            target,
            &scenario("auth_invite.xml"),
            "demo-de",
            // A second challenge leaves sipp waiting; it gives up after 8 s.
            &["-au", "trunk", "-ap", "wrong", "-timeout", "8s"],
        )
    })
    .await
    .unwrap();
    assert!(!ok, "a wrong password must not get a call through");
    let calls = app
        .app()
        .store()
        .recent_conversations(tenant(&app), 10)
        .await
        .unwrap();
    assert_eq!(
        calls.len(),
        1,
        "only the authenticated call started a conversation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_registers_with_a_provider_using_digest() {
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("register-password");
    std::fs::write(&password_file, "s3cret-for-tests").unwrap();
    // sipp plays the provider's registrar.
    let registrar_port = free_port();
    let logs = tempfile::tempdir().unwrap();
    let mut registrar = Command::new("sipp")
        .current_dir(logs.path())
        .arg("-sf")
        .arg(scenario("registrar.xml"))
        .args(["-i", "127.0.0.1", "-p", &registrar_port.to_string()])
        .args(["-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sipp runs (Debian package sip-tester)");
    let file = password_file.clone();
    let app = spawn_with(move |s| {
        s.sip.register_server = Some(format!("127.0.0.1:{registrar_port}"));
        s.sip.register_aor = Some("sip:hotline@127.0.0.1".to_owned());
        s.sip.register_password_file = Some(file);
    })
    .await;
    let stats = stats(&app);
    let status = tokio::task::spawn_blocking(move || registrar.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.success(),
        "the registrar saw a valid digest and accepted"
    );
    wait_for(&stats, "the server to see the 200", |s| {
        s.registrations.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await;
    assert_eq!(
        stats
            .registration_failures
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_a_flow_synthesises_its_prompts_before_anyone_calls() {
    use reqwest::StatusCode;
    let app = spawn_app().await;
    let (mut admin, _) = app.admin().await;
    let source = r#"
flow: 1
id: prompts
name: Prompts
language: de
languages: [de, en]
start: hello
nodes:
  - id: hello
    type: say
    text:
      de: "Guten Tag, hier spricht der Sprachassistent des Testamts."
      en: "Good day, this is the test office's voice assistant."
    next: bye
  - id: bye
    type: end
    text: "Auf Wiederhören, {{contact.language}}."
"#;
    let r = admin
        .post("/api/v1/flows", serde_json::json!({ "source": source }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(
            &format!("/api/v1/flows/{id}/publish"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cache = voice::tts::EspeakSynthesizer::new(app.data_dir().join("prompts"));
    let wanted = [
        (
            "Guten Tag, hier spricht der Sprachassistent des Testamts.",
            voice::tts::Voice::german(),
        ),
        (
            "Good day, this is the test office's voice assistant.",
            voice::tts::Voice::english(),
        ),
    ];
    // Publishing returned after synthesising them.
    for (text, v) in &wanted {
        assert!(
            cache.cache_path(text, v).unwrap().exists(),
            "the prompt was synthesised when the flow was published: {text}"
        );
    }
    // A prompt with a variable is spoken when a caller reaches it, not before.
    let templated = cache
        .cache_path(
            "Auf Wiederhören, {{contact.language}}.",
            &voice::tts::Voice::german(),
        )
        .unwrap();
    assert!(!templated.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanners_and_sources_that_keep_failing_authentication_are_banned_and_counted() {
    let app = spawn_app().await;
    let target = sip_addr(&app);
    let with_agent = |msg: String, agent: &str| {
        msg.replace(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\nUser-Agent: {agent}\r\n"),
        )
    };
    let report = tokio::task::spawn_blocking(move || {
        // Sources off the trunk's allow list (127.0.0.1): other loopback addresses.
        let phone = UdpSocket::bind("127.0.0.2:0").unwrap();
        let scanner = UdpSocket::bind("127.0.0.3:0").unwrap();
        let guesser = UdpSocket::bind("127.0.0.4:0").unwrap();
        let (p, s, g) = (
            phone.local_addr().unwrap(),
            scanner.local_addr().unwrap(),
            guesser.local_addr().unwrap(),
        );
        let phone_answer = exchange(
            &phone,
            target,
            &with_agent(request("OPTIONS", "demo-en", target, p, 1), "Linphone/5.2"),
        );
        let scanner_answers = [
            exchange(
                &scanner,
                target,
                &with_agent(request("OPTIONS", "100", target, s, 2), "friendly-scanner"),
            ),
            exchange(
                &scanner,
                target,
                &request("OPTIONS", "demo-en", target, s, 3),
            ),
        ];
        // INVITEs from a source without credentials: each is refused, then the source is
        // banned and hears nothing more.
        let refusals: Vec<Option<String>> = (0..scanner_failures())
            .map(|i| {
                exchange(
                    &guesser,
                    target,
                    &request("INVITE", "demo-en", target, g, 100 + i),
                )
            })
            .collect();
        let after = exchange(
            &guesser,
            target,
            &request("OPTIONS", "demo-en", target, g, 999),
        );
        (phone_answer, scanner_answers, refusals, after)
    })
    .await
    .unwrap();
    let (phone_answer, scanner_answers, refusals, after) = report;
    assert_eq!(phone_answer.as_deref(), Some("SIP/2.0 200 OK"));
    assert_eq!(scanner_answers, [None, None], "a scanner hears nothing");
    assert!(
        refusals
            .iter()
            .all(|r| r.as_deref() == Some("SIP/2.0 403 Forbidden")),
        "{refusals:?}"
    );
    assert_eq!(after, None, "banned after repeated failures");
    // The bans are visible in /metrics.
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hotline_sip_sources_banned_total 2"),
        "{metrics}"
    );
    let dropped: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hotline_sip_scanner_dropped_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(dropped >= 3, "{dropped}");
    assert!(
        metrics.trim_end().ends_with("# EOF"),
        "the exposition still ends with EOF"
    );
}

/// Failures that ban a source (the guard's threshold).
fn scanner_failures() -> u32 {
    voice::scanner::MAX_FAILURES as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_to_a_number_the_outbound_policy_refuses_takes_the_failure_path() {
    let app = spawn_app().await;
    let (mut admin, _) = app.admin().await;
    // A tenant in Austria: the demo's German crisis line is abroad and not allowed.
    let mut settings = admin.get("/api/v1/contact-centre/settings").await.body;
    settings
        .as_object_mut()
        .unwrap()
        .remove("builtin_crisis_text");
    settings["outbound"]["home_country"] = serde_json::json!("43");
    let r = admin
        .send(
            reqwest::Method::PUT,
            "/api/v1/contact-centre/settings",
            Some(settings),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    let target = sip_addr(&app);
    let (ok, log) =
        tokio::task::spawn_blocking(move || sipp(target, "transfer_refused.xml", "demo-en"))
            .await
            .unwrap();
    assert!(ok, "sipp call failed (a REFER would fail it): {log}");
    let c = ended_call(&app).await;
    let t = transcript(&app, &c).await;
    assert!(
        t.iter()
            .any(|(s, b)| s == "bot" && b.contains("You can reach the crisis line")),
        "the flow's failure path ran: {t:?}"
    );
}
