//! Calls from baresip (the Debian package `baresip`), a real softphone, to the demo on loopback.
//!
//! baresip runs headless with its own config directory: no audio hardware, only the modules
//! `g711` (the codecs), `aufile` (a WAV file as the microphone), `sndfile` (an audio filter
//! that dumps what is sent and what is heard to `dump-…-enc.wav` / `dump-…-dec.wav`), `account`
//! and `menu` (for `/dial`, given with `-e`). `net_interface 127.0.0.1` keeps its SIP and its
//! SDP on loopback. Each call is bounded: baresip quits itself after `-t` seconds, and the test
//! kills it after [`HARD_LIMIT`] whatever happens.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use media::tone::{DigitTone, SAMPLE_RATE, ToneGenerator};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::watch;

use crate::calls::{ended_call, said_by, sip_addr, transcript};
use crate::support::spawn_app;
use serde_json::json;

/// No baresip run outlives this.
const HARD_LIMIT: Duration = Duration::from_secs(30);

/// A baresip instance with its own config directory.
struct Baresip {
    dir: tempfile::TempDir,
    /// Its SIP port (UDP and TCP; TLS, when it has a certificate, on the next one).
    port: u16,
    child: Child,
    started: Instant,
    /// Everything baresip printed so far, and a signal for each new piece.
    output: Arc<Mutex<String>>,
    printed: watch::Receiver<()>,
}

impl Baresip {
    /// Starts baresip, which dials `uri` at once with `microphone` as its audio source and
    /// quits (hanging up) after `quit_after` seconds.
    fn dial(uri: &str, microphone: &[i16], quit_after: u32) -> Self {
        // regint=0: no registration, the account only gives the From address.
        Self::dial_with(
            uri,
            microphone,
            quit_after,
            "",
            "<sip:tester@127.0.0.1>;regint=0",
        )
    }

    /// [`Baresip::dial`] with more configuration lines and its own account line.
    fn dial_with(
        uri: &str,
        microphone: &[i16],
        quit_after: u32,
        extra_config: &str,
        account: &str,
    ) -> Self {
        Self::launch(Some(uri), microphone, quit_after, extra_config, account)
    }

    /// Starts baresip with its own config and account, dialling `uri` if given (otherwise it
    /// only registers, as its account says, and waits for calls).
    fn launch(
        uri: Option<&str>,
        microphone: &[i16],
        quit_after: u32,
        extra_config: &str,
        account: &str,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::voice::free_port();
        let mic = dir.path().join("microphone.wav");
        std::fs::write(&mic, wav_bytes(microphone)).unwrap();
        let config = format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{port}\n\
             net_interface 127.0.0.1\n\
             call_local_timeout 30\n\
             call_max_calls 1\n\
             rtp_stats yes\n\
             audio_source aufile,{mic}\n\
             snd_path {dir}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module sndfile.so\n\
             module_tmp account.so\n\
             module_app menu.so\n\
             {extra_config}",
            mic = mic.display(),
            dir = dir.path().display(),
        );
        std::fs::write(dir.path().join("config"), config).unwrap();
        std::fs::write(dir.path().join("accounts"), format!("{account}\n")).unwrap();
        assert!(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .any(|d| d.join("baresip").is_file()),
            "baresip is not installed: install the Debian package baresip \
             (`apt-get install baresip`; scripts/test does)"
        );
        // stdbuf: unbuffered, the test follows the call as it happens. Both pipes are read
        // into one log; each read is an event the test can wait for.
        let mut child = Command::new("stdbuf")
            .args(["-o0", "-e0", "baresip", "-f"])
            .arg(dir.path())
            .args(
                uri.map(|uri| vec!["-e".to_owned(), format!("/dial {uri}")])
                    .unwrap_or_default(),
            )
            .args(["-t", &quit_after.to_string()])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("stdbuf (coreutils) runs baresip");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, printed) = watch::channel(());
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (output, tx) = (output.clone(), tx.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                    tx.send_replace(());
                }
            });
        }
        Self {
            dir,
            child,
            port,
            started: Instant::now(),
            output,
            printed,
        }
    }

    /// Waits (bounded by [`HARD_LIMIT`]) for baresip to quit by itself.
    async fn wait(&mut self) {
        let left = HARD_LIMIT.saturating_sub(self.started.elapsed());
        if tokio::time::timeout(left, self.child.wait()).await.is_err() {
            panic!("baresip did not quit within {HARD_LIMIT:?}\n{}", self.log());
        }
    }

    /// Waits (bounded by [`HARD_LIMIT`]) until baresip has printed `needle`.
    async fn printed(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::from_std(self.started + HARD_LIMIT);
        while !self.output.lock().unwrap().contains(needle) {
            if tokio::time::timeout_at(deadline, self.printed.changed())
                .await
                .is_err()
            {
                panic!("baresip never printed {needle:?}\n{}", self.log());
            }
        }
    }

    /// baresip's console output without the per-frame status line.
    fn log(&self) -> String {
        let text = self.output.lock().unwrap().replace('\r', "\n");
        let mut out = String::from("--- baresip output ---\n");
        for line in text.lines() {
            let line = line.trim();
            // The status line ("[0:00:01] audio=64000/64000 (bit/s)") and the echo of typed
            // commands are noise here.
            if line.is_empty() || line.contains("audio=") || line.starts_with('/') {
                continue;
            }
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// The sndfile dump of what baresip heard (`dump-…-dec.wav`).
    fn heard(&self) -> PathBuf {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .unwrap_or_else(|| panic!("baresip recorded nothing\n{}", self.log()))
    }
}

/// A 16-bit mono 8 kHz PCM WAV file.
fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap();
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    b.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes()); // block align
    b.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// Reads a 16-bit mono 8 kHz PCM WAV file (walking its chunks; libsndfile may add some).
fn read_wav(path: &Path) -> Vec<i16> {
    let b = std::fs::read(path).unwrap();
    assert!(
        b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WAVE",
        "{} is not a WAV file",
        path.display()
    );
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut at = 12;
    let mut format = None;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32_at(at + 4) as usize;
        let body = at + 8;
        if id == b"fmt " {
            format = Some((
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 14),
            ));
        } else if id == b"data" {
            assert_eq!(
                format,
                Some((1, 1, SAMPLE_RATE, 16)),
                "the recording is 16-bit mono 8 kHz PCM"
            );
            // A file cut short (baresip killed while writing) still yields what it has.
            let end = (body + len).min(b.len());
            return b[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
        }
        at = body + len + (len & 1);
    }
    panic!("{} has no data chunk", path.display());
}

/// The RMS level of each 20 ms frame.
fn frame_levels(samples: &[i16]) -> Vec<f64> {
    samples
        .chunks_exact(160)
        .map(|f| {
            let energy: f64 = f.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
            (energy / 160.0).sqrt()
        })
        .collect()
}

/// The RTP packets baresip sent and received in its call, from the statistics it prints
/// when the call ends (`rtp_stats yes`): `packets:   423   339`.
fn rtp_packets(log: &str) -> Option<(u64, u64)> {
    let line = log.lines().find(|l| l.starts_with("packets:"))?;
    let mut n = line.split_whitespace().skip(1).map(str::parse::<u64>);
    Some((n.next()?.ok()?, n.next()?.ok()?))
}

/// Silence for `ms` milliseconds.
fn silence(ms: u32) -> Vec<i16> {
    ToneGenerator::new().silence(ms).take()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_hears_the_greeting_prompt() {
    let _turn = crate::support::realtime_turn().await;
    let app = spawn_app().await;
    let uri = format!("sip:demo-en@{}", sip_addr(&app));
    // A silent microphone; baresip hangs up after 12 s (about 11 s after the answer, inside
    // the greeting and the office-hours notice).
    let mut phone = Baresip::dial(&uri, &silence(15_000), 12);
    phone.wait().await;
    let log = phone.log();
    assert!(
        log.contains("Call established"),
        "the call was answered\n{log}"
    );

    let heard = read_wav(&phone.heard());
    let levels = frame_levels(&heard);
    // G.711 silence decodes to a level of about 2; espeak's speech is in the thousands, with
    // quiet phonemes and short pauses between words and sentences.
    const LOUD: f64 = 150.0;
    let first = levels.iter().position(|&l| l > LOUD);
    let prompt = &levels[first.unwrap_or(levels.len())..];
    let loud = prompt.iter().filter(|&&l| l > LOUD).count();
    let summary = format!(
        "{} frames of 20 ms, the prompt from frame {first:?}, {loud} frames above RMS {LOUD}; \
         levels: {:?}\n{log}",
        levels.len(),
        levels.iter().map(|l| l.round() as i64).collect::<Vec<_>>()
    );
    // baresip was in the call for about 11 s and records a frame per packet received. The
    // bound is loose: on a starved machine the server sends fewer than 50 packets a second.
    assert!(
        levels.len() >= 250,
        "baresip received at least 5 s of audio: {summary}"
    );
    // A call right after the server's start may wait for the greeting's synthesis (the server
    // sends silence meanwhile); then the prompt must come.
    assert!(
        first.is_some_and(|f| f <= 150),
        "the prompt began within 3 s of the answer: {summary}"
    );
    assert!(
        loud >= 200,
        "at least 4 s of the prompt were audible: {summary}"
    );
    assert!(
        loud * 10 >= prompt.len() * 6,
        "once it began, the prompt was audible in most frames (not cut up by gaps): {summary}"
    );
    // Both ends send a packet every 20 ms for the length of the call, so the server's count
    // must match baresip's own. A sender that lets late ticks slip (instead of catching up
    // with its schedule) falls behind whenever its runtime is starved, and the caller hears
    // the prompt with gaps.
    let (sent, received) =
        rtp_packets(&log).unwrap_or_else(|| panic!("baresip printed no RTP statistics\n{log}"));
    assert!(
        received * 10 >= sent * 9,
        "the server paced its packets in real time: baresip sent {sent} and received \
         {received}: {summary}"
    );
    let max = levels.iter().copied().fold(0.0, f64::max);
    assert!(
        max < 20_000.0,
        "the prompt is not distorted (max RMS {max}): {summary}"
    );

    // baresip's BYE ended the call and the conversation.
    let c = ended_call(&app).await;
    assert_eq!(c.channel, domain::Channel::Voice);
    let t = transcript(&app, &c).await;
    assert!(
        t.iter().all(|(s, _)| s != "user"),
        "the caller said nothing: {t:?}"
    );
    assert!(
        t.first()
            .is_some_and(|(s, b)| s == "bot" && b.starts_with("Hello!")),
        "the greeting was played: {t:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_band_dtmf_from_baresip_branches_the_flow_and_the_server_hangs_up() {
    let _turn = crate::support::realtime_turn().await;
    let app = spawn_app().await;
    let uri = format!("sip:demo-en@{}", sip_addr(&app));
    // The keys as tones in the microphone's audio. baresip offers telephone-event (1.0.0 has
    // no switch to leave it out) but only sends RFC 4733 events for keys pressed on its
    // console; none are, so the digits can only reach the server in-band.
    let tone = DigitTone::new(100);
    let mut mic = ToneGenerator::new();
    mic.silence(2_000)
        .digit('2', &tone)
        .unwrap()
        .silence(3_000)
        .digit('3', &tone)
        .unwrap()
        .silence(25_000);
    // baresip quits by itself after 28 s at the latest; the server should hang up long before.
    let mut phone = Baresip::dial(&uri, &mic.take(), 28);

    let c = ended_call(&app).await;
    // The server ended the call (after its goodbye prompt), long before baresip's own timer.
    let server_hung_up = phone.started.elapsed();
    let log = phone.log();
    assert_eq!(c.channel, domain::Channel::Voice);
    let t = transcript(&app, &c).await;
    let users: Vec<&str> = said_by(&t, "user");
    assert_eq!(
        users,
        ["2", "3"],
        "the in-band keys reached the flow: {t:?}\n{log}"
    );
    let bot = said_by(&t, "bot").join("\n");
    assert!(
        bot.contains("test result"),
        "the flow branched to test results: {bot}"
    );
    assert!(
        bot.contains("stay healthy"),
        "the flow ended with its goodbye: {bot}"
    );

    // baresip saw the call terminated by the server's BYE (reported by baresip as
    // "Connection reset by peer").
    phone.printed("terminated").await;
    let log = phone.log();
    assert!(
        log.contains("Connection reset by peer"),
        "the server hung up, not baresip\n{log}"
    );
    assert!(
        server_hung_up < Duration::from_secs(25),
        "the server hung up before baresip's own timer ({server_hung_up:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_over_sip_tls_with_srtp_media_both_ways() {
    let _turn = crate::support::realtime_turn().await;
    let app = crate::support::spawn_with(|s| {
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let running = app.running.as_ref().unwrap();
    let tls = running.sip_tls_addr.expect("SIP over TLS listens");
    // The self-signed certificate Hotline made on first start is baresip's trust anchor.
    let ca = app.data_dir().join("tls").join("cert.pem");
    assert!(ca.is_file(), "no certificate at {}", ca.display());
    let uri = format!("sip:demo-en@{tls};transport=tls");
    // Key 2 as in-band tones: it reaches the flow only if Hotline decrypts and authenticates
    // baresip's SRTP; baresip hears the prompts only if it decrypts Hotline's.
    let tone = DigitTone::new(100);
    let mut mic = ToneGenerator::new();
    mic.silence(2_000)
        .digit('2', &tone)
        .unwrap()
        .silence(3_000)
        .digit('3', &tone)
        .unwrap()
        .silence(25_000);
    // srtp-mand: baresip offers RTP/SAVP with SDES keys and refuses to talk in the clear.
    let mut phone = Baresip::dial_with(
        &uri,
        &mic.take(),
        28,
        &format!("sip_cafile {}\nmodule srtp.so\n", ca.display()),
        "<sip:tester@127.0.0.1;transport=tls>;regint=0;mediaenc=srtp-mand",
    );
    let c = ended_call(&app).await;
    let log = phone.log();
    assert_eq!(c.channel, domain::Channel::Voice);
    let t = transcript(&app, &c).await;
    let users: Vec<&str> = said_by(&t, "user");
    assert_eq!(
        users,
        ["2", "3"],
        "the keys in baresip's SRTP reached the flow: {t:?}\n{log}"
    );
    // The server's BYE reached baresip over its TLS connection.
    phone.printed("terminated").await;
    let log = phone.log();
    let stats = running.voice_stats.as_ref().unwrap();
    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(count(&stats.srtp_calls), 1, "{log}");
    assert!(count(&stats.tls_connections) >= 1, "{log}");
    assert_eq!(count(&stats.srtp_dropped), 0, "{log}");
    // baresip decrypted what Hotline sent: it heard the prompts.
    let levels = frame_levels(&read_wav(&phone.heard()));
    let loud = levels.iter().filter(|&&l| l > 150.0).count();
    assert!(
        loud >= 100,
        "baresip heard at least 2 s of prompts through SRTP ({loud} loud frames)\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_baresip_registered_over_tls_is_rung_over_its_connection() {
    use crate::agent_phone::{PHONE_PASSWORD, accept, agent_with_phone, caller_for_a_person};
    use std::sync::atomic::Ordering;

    let _turn = crate::support::realtime_turn().await;
    let t = crate::support::spawn_with(|s| {
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let running = t.running.as_ref().unwrap();
    let tls = running.sip_tls_addr.expect("SIP over TLS listens");
    let ca = t.data_dir().join("tls").join("cert.pem");
    let (mut admin, _) = t.admin().await;
    let (mut maria, _, username) = agent_with_phone(&t, &mut admin, "maria").await;
    // The agent's softphone registers over TLS (digest, the agent's SIP password) and answers
    // by itself. It listens nowhere Hotline could reach it but on the connection it opened.
    let mut phone = Baresip::launch(
        None,
        &silence(25_000),
        25,
        &format!("sip_cafile {}\n", ca.display()),
        &format!(
            "<sip:{username}@{tls};transport=tls>;auth_pass={PHONE_PASSWORD};regint=600;answermode=auto"
        ),
    );
    let stats = running.voice_stats.clone().unwrap();
    let mut changes = stats.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while stats.phone_registrations.load(Ordering::Relaxed) == 0 {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("the phone never registered\n{}", phone.log()))
            .unwrap();
    }
    assert!(stats.tls_connections.load(Ordering::Relaxed) >= 1);

    let mut desk = crate::contact_centre::Live::open(&t, &maria, "/api/v1/desk/ws")
        .await
        .unwrap();
    desk.until("snapshot", |f| f["type"] == "snapshot").await;
    let (caller, _caller_peer, task) =
        caller_for_a_person(&t, &mut desk, "caller_waits_for_an_agent.xml", 0).await;
    accept(&mut maria, &task).await;
    phone.printed("Call established").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stats.agent_calls_answered.load(Ordering::Relaxed) == 0 {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("Hotline never saw the phone answer\n{}", phone.log()))
            .unwrap();
    }
    // The agent ends it on the desk: both legs end, the phone's over its TLS connection.
    let id = task["id"].as_str().unwrap();
    let r = maria
        .post(&format!("/api/v1/tasks/{id}/end"), json!({}))
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    let (ok, log) = caller.finish().await;
    assert!(ok, "the caller's call did not end as it should: {log}");
    phone.printed("terminated").await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_back_reaches_a_trunk_over_tls_that_hotline_opens_and_verifies() {
    use std::sync::atomic::Ordering;

    let _turn = crate::support::realtime_turn().await;
    // The trunk: a baresip with a certificate for 127.0.0.1 that Hotline is told to trust.
    let certs = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (made.cert.pem(), made.signing_key.serialize_pem());
    std::fs::write(certs.path().join("trunk.pem"), &cert).unwrap();
    std::fs::write(certs.path().join("both.pem"), format!("{cert}{key}")).unwrap();
    // It answers any call (the number Hotline dials is the caller's).
    let mut trunk = Baresip::launch(
        None,
        &silence(25_000),
        25,
        &format!(
            "sip_certificate {}\n",
            certs.path().join("both.pem").display()
        ),
        &format!(
            "<sip:{}@127.0.0.1>;regint=0;answermode=auto",
            crate::call_back::CALLER
        ),
    );
    let trunk_tls = trunk.port + 1;
    trunk.printed("baresip is ready").await;
    let ca = certs.path().join("trunk.pem");
    let t = crate::support::spawn_with(|s| {
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
        s.sip.trunk_tls = true;
        s.sip.trunk_ca_file = Some(ca.clone());
        s.sip.call_back_trunk = Some(format!("127.0.0.1:{trunk_tls}"));
    })
    .await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, mut desk, phone, _agent_peer) =
        crate::agent_phone::agent_and_phone_by(&t, &mut admin, "agent_answers.xml", 0).await;
    let task = crate::call_back::caller_asks_for_a_call_back(&t, &mut desk).await;
    crate::agent_phone::accept(&mut maria, &task).await;
    // Hotline opens a TLS connection to the trunk, verifies it, and calls the caller back
    // through it; once they answer, the agent's phone rings.
    trunk.printed("Call established").await;
    let stats = t.running.as_ref().unwrap().voice_stats.clone().unwrap();
    let mut changes = stats.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while stats.agent_calls_answered.load(Ordering::Relaxed) == 0 {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("the agent was never connected\n{}", trunk.log()))
            .unwrap();
    }
    assert_eq!(stats.call_backs_answered.load(Ordering::Relaxed), 1);
    assert!(stats.tls_connections.load(Ordering::Relaxed) >= 1);
    assert_eq!(stats.tls_handshakes_failed.load(Ordering::Relaxed), 0);
    // The agent ends it: the BYE reaches the trunk over the same connection.
    let id = task["id"].as_str().unwrap();
    let r = maria
        .post(&format!("/api/v1/tasks/{id}/end"), json!({}))
        .await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    trunk.printed("terminated").await;
    let (ok, log) = phone.finish().await;
    assert!(ok, "the agent's phone did not get its BYE: {log}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_whose_certificate_does_not_verify_gets_no_call_back() {
    use std::sync::atomic::Ordering;

    // The trunk shows a certificate Hotline was not told to trust.
    let certs = tempfile::tempdir().unwrap();
    let shown = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let trusted = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(certs.path().join("trusted.pem"), trusted.cert.pem()).unwrap();
    std::fs::write(
        certs.path().join("both.pem"),
        format!("{}{}", shown.cert.pem(), shown.signing_key.serialize_pem()),
    )
    .unwrap();
    let mut trunk = Baresip::launch(
        None,
        &silence(20_000),
        20,
        &format!(
            "sip_certificate {}\n",
            certs.path().join("both.pem").display()
        ),
        &format!(
            "<sip:{}@127.0.0.1>;regint=0;answermode=auto",
            crate::call_back::CALLER
        ),
    );
    let trunk_tls = trunk.port + 1;
    trunk.printed("baresip is ready").await;
    let ca = certs.path().join("trusted.pem");
    let t = crate::support::spawn_with(|s| {
        s.sip.tls_addr = Some("127.0.0.1:0".parse().unwrap());
        s.sip.trunk_tls = true;
        s.sip.trunk_ca_file = Some(ca.clone());
        s.sip.call_back_trunk = Some(format!("127.0.0.1:{trunk_tls}"));
    })
    .await;
    let (mut admin, _) = t.admin().await;
    let (mut maria, mut desk, _phone, _agent_peer) =
        crate::agent_phone::agent_and_phone_by(&t, &mut admin, "agent_answers.xml", 0).await;
    let task = crate::call_back::caller_asks_for_a_call_back(&t, &mut desk).await;
    crate::agent_phone::accept(&mut maria, &task).await;
    // No connection, so no call: the attempt fails and the task goes back to the queue.
    let again = desk
        .until("the call-back offered again", |f| {
            f["type"] == "offer" && f["task"]["call_back"]["attempts"] == 1
        })
        .await;
    assert_eq!(again["task"]["id"], task["id"]);
    let stats = t.running.as_ref().unwrap().voice_stats.clone().unwrap();
    assert!(stats.tls_handshakes_failed.load(Ordering::Relaxed) >= 1);
    assert_eq!(stats.call_backs_answered.load(Ordering::Relaxed), 0);
    assert!(!trunk.output.lock().unwrap().contains("Call established"));
    t.stop().await;
}
