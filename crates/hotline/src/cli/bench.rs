//! `hotline bench flow` (and `hotline bench desk`, in `bench_desk`): how fast the flow engine and the web chat are on this machine.
//!
//! Part one runs the sans-IO interpreter on the German demo flow in a loop on one core and
//! reports inputs handled per second and the size of a conversation's state, next to a
//! baseline measured in the same run (serialising and parsing that state as JSON, which the
//! server does at every step). Both loops are timed in several runs, taken in turns so that
//! a noisy neighbour slows both alike; the figure printed is the median run, with the
//! slowest and the fastest beside it, so one lucky run cannot make the headline. Part two starts the real server on loopback with a fresh
//! SQLite database, opens N concurrent chat sessions over WebSocket and sends messages at a
//! fixed total rate for a bounded time, reporting the round trip from a message sent to the
//! bot's reply (p50/p99) and the memory each session costs. Nothing leaves the machine.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use flow::{Channel, ConversationState, Engine, Flow, Input};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::output::{median, out, percentile};
use crate::server;
use crate::settings::{Overrides, Settings};

/// `hotline bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The flow engine (inputs per second, state size) and the web chat (round trips and
    /// memory per session over loopback).
    Flow(FlowBench),
    /// The contact centre end to end: agents on the desk socket, callers asking for a person
    /// in the web chat; from the caller's message to the offer on an agent's socket.
    Desk(super::bench_desk::DeskBench),
    /// The messaging channels: SMPP submit throughput against the SMSC simulator beside
    /// smpplib, and inbound SMS webhook → flow reply latency at a fixed rate.
    Sms(super::bench_sms::SmsBench),
}

/// Options of `hotline bench flow`.
#[derive(Debug, Clone, Args)]
pub struct FlowBench {
    /// Seconds to run the interpreter loop.
    #[arg(long, default_value_t = 3)]
    pub engine_secs: u64,
    /// Timed runs the interpreter loop (and its baseline) are split into; the figure shown
    /// is their median.
    #[arg(long, default_value_t = 5)]
    pub runs: u32,
    /// Concurrent chat sessions to open (0 skips the chat part).
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    /// Messages per second across all sessions.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds to send messages (bounded: at most 120).
    #[arg(long, default_value_t = 20)]
    pub duration_secs: u64,
}

/// One scripted conversation through the demo flow: start, choose, answer, HTTP result, …
fn scripted_inputs() -> Vec<Input> {
    vec![
        Input::Start {
            channel: Channel::Chat,
            language: Some("de".to_owned()),
            entry: None,
            variables: BTreeMap::from([(
                "system.base_url".to_owned(),
                "http://127.0.0.1:1".to_owned(),
            )]),
        },
        Input::Digits {
            digits: "9".to_owned(),
        },
        Input::Text {
            text: "Ich möchte einen Impftermin".to_owned(),
        },
        Input::Text {
            text: "10115".to_owned(),
        },
        Input::HttpResult {
            request: 0,
            status: 200,
            body: r#"{"slot":"Dienstag um 10:30 Uhr","place":"Impfzentrum Mitte"}"#.to_owned(),
        },
        Input::Digits {
            digits: "1".to_owned(),
        },
        Input::Text {
            text: "Welche Regeln gelten in Quarantäne?".to_owned(),
        },
        Input::Digits {
            digits: "2".to_owned(),
        },
    ]
}

/// Per-second rates of several runs: the median and the spread.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Runs {
    median: f64,
    min: f64,
    max: f64,
}

impl Runs {
    fn of(mut rates: Vec<f64>) -> Runs {
        rates.sort_by(f64::total_cmp);
        Runs {
            median: median(&rates),
            min: rates.first().copied().unwrap_or(f64::NAN),
            max: rates.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Runs `step` (which does some units of work and returns how many) until `length` has
/// passed, and returns the units per second.
fn timed_run(
    length: Duration,
    mut step: impl FnMut() -> anyhow::Result<u64>,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let deadline = started + length;
    let mut units: u64 = 0;
    while Instant::now() < deadline {
        units += step()?;
    }
    Ok(units as f64 / started.elapsed().as_secs_f64())
}

fn engine_bench(secs: u64, runs: u32) -> anyhow::Result<()> {
    let doc =
        flow::parse_yaml(app::DEMO_FLOW_DE).map_err(|d| anyhow::anyhow!("demo flow: {d:?}"))?;
    let compiled = Flow::compile(doc).map_err(|d| anyhow::anyhow!("demo flow: {d:?}"))?;
    let matcher = flow::KeywordMatcher::from_flow(&compiled);
    let engine = Engine::new(&compiled, &matcher);
    let script = scripted_inputs();
    let now = 1_767_603_600_000; // a Monday, 10:00 in Berlin: office hours
    let runs = runs.clamp(1, 100);
    let run_length = Duration::from_secs(secs.clamp(1, 60)) / runs;
    let mut state_bytes = 0usize;

    // Baseline: what the server does with the state at every step anyway.
    let mut halfway = ConversationState::new(Channel::Chat, "de");
    for input in script.iter().take(4) {
        engine.handle(&mut halfway, input.clone(), now);
    }

    let mut engine_rates = Vec::new();
    let mut baseline_rates = Vec::new();
    for _ in 0..runs {
        engine_rates.push(timed_run(run_length, || {
            let mut inputs = 0;
            for _ in 0..100 {
                let mut state = ConversationState::new(Channel::Chat, "de");
                for input in &script {
                    let mut input = input.clone();
                    // Answer the request the engine actually made.
                    if let Input::HttpResult { request, .. } = &mut input
                        && let flow::Waiting::Http { request: pending } = state.waiting
                    {
                        *request = pending;
                    }
                    let effects = engine.handle(&mut state, input, now);
                    std::hint::black_box(&effects);
                    inputs += 1;
                }
                state_bytes = serde_json::to_vec(&state).map(|v| v.len()).unwrap_or(0);
            }
            Ok(inputs)
        })?);
        baseline_rates.push(timed_run(run_length, || {
            for _ in 0..1000 {
                let text = serde_json::to_string(&halfway)?;
                let back: ConversationState = serde_json::from_str(&text)?;
                std::hint::black_box(back);
            }
            Ok(1000)
        })?);
    }
    let (engine, baseline) = (Runs::of(engine_rates), Runs::of(baseline_rates));
    out(&format!(
        "flow engine (one core, German demo flow, scripted conversation of 8 inputs; median of {runs} runs)"
    ));
    out(&format!(
        "  inputs handled per second:        {:>12.0} (runs {:.0}–{:.0})",
        engine.median, engine.min, engine.max
    ));
    out(&format!(
        "  baseline: state JSON round trips: {:>12.0} per second (runs {:.0}–{:.0})",
        baseline.median, baseline.min, baseline.max
    ));
    out(&format!(
        "  ratio engine / baseline:          {:>12.2}",
        engine.median / baseline.median
    ));
    out(&format!(
        "  conversation state:               {state_bytes:>12} bytes (JSON, at the end)"
    ));
    Ok(())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_session(base: &str) -> anyhow::Result<Ws> {
    let url = format!(
        "{}/chat/ws?widget=demo-de",
        base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("origin", base.parse()?);
    // Small client buffers, like the server's, so the memory figure is not the client's.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(128 * 1024);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
    ws.send(WsMessage::Text(
        r#"{"type":"hello","session":null,"last_seq":0,"lang":"de"}"#.into(),
    ))
    .await?;
    // Read until the menu has arrived (the session is then waiting for input).
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) if t.contains("Wobei kann ich helfen") => {
                return Ok(ws);
            }
            Ok(Some(Ok(_))) => {}
            _ => anyhow::bail!("session did not start"),
        }
    }
}

async fn chat_bench(opts: &FlowBench) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let mut settings = Settings::load(
        None,
        &Overrides {
            data_dir: Some(dir.clone()),
            http_addr: Some("127.0.0.1:0".parse()?),
            database_url: None,
            sip_addr: Some("127.0.0.1:0".parse()?),
        },
    )?;
    // Every simulated caller comes from loopback; real callers come from many addresses.
    settings.auth.chat_new_per_source_per_minute = u32::MAX;
    let running = server::start(&settings, Arc::new(app::SystemClock)).await?;
    let base = format!("http://{}", running.http_addr);
    let rss_before = rss_kib();
    let sessions = opts.sessions.min(20_000);
    out(&format!(
        "web chat over loopback: opening {sessions} sessions …"
    ));
    let open_started = Instant::now();
    let mut sockets = Vec::with_capacity(sessions);
    for chunk in 0..sessions.div_ceil(100) {
        let n = 100.min(sessions - chunk * 100);
        let opened = futures_util::future::join_all((0..n).map(|_| open_session(&base))).await;
        for s in opened {
            sockets.push(s?);
        }
    }
    let open_secs = open_started.elapsed().as_secs_f64();
    let rss_after = rss_kib();

    // Each session gets its own task; a pacer hands out send slots at the total rate.
    let duration = Duration::from_secs(opts.duration_secs.clamp(1, 120));
    let interval = Duration::from_secs_f64(1.0 / f64::from(opts.rate.max(1)));
    let (tx, rx) = slot_channels(sessions);
    let mut tasks = Vec::new();
    for (i, (ws, mut slot)) in sockets.into_iter().zip(rx).enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut ws = ws;
            let mut rtts = Vec::new();
            let mut n = 0u32;
            while slot.recv().await.is_some() {
                n += 1;
                // "9" repeats the menu: every message gets a bot reply and the session stays put.
                let frame = format!(r#"{{"type":"message","id":"b-{i}-{n}","text":"9"}}"#);
                let sent = Instant::now();
                if ws.send(WsMessage::Text(frame.into())).await.is_err() {
                    break;
                }
                loop {
                    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                        // The bot's reply, not its typing indicator.
                        Ok(Some(Ok(WsMessage::Text(t))))
                            if t.contains("\"type\":\"message\"")
                                && t.contains("\"from\":\"bot\"") =>
                        {
                            rtts.push(sent.elapsed().as_secs_f64() * 1000.0);
                            break;
                        }
                        Ok(Some(Ok(_))) => {}
                        _ => return rtts,
                    }
                }
            }
            rtts
        }));
    }
    let send_started = Instant::now();
    let mut next = Instant::now();
    let mut sent = 0u64;
    let mut target = 0usize;
    while send_started.elapsed() < duration {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let _ = tx[target % sessions].try_send(());
        target += 1;
        sent += 1;
    }
    drop(tx);
    let mut rtts: Vec<f64> = Vec::new();
    for t in tasks {
        rtts.extend(t.await.unwrap_or_default());
    }
    let elapsed = send_started.elapsed().as_secs_f64();
    rtts.sort_by(f64::total_cmp);
    out(&format!(
        "  sessions open:                    {sessions:>12} (opened in {open_secs:.1} s)"
    ));
    out(&format!(
        "  memory per session:               {:>12.1} KiB (process RSS {} → {} KiB)",
        (rss_after.saturating_sub(rss_before)) as f64 / sessions.max(1) as f64,
        rss_before,
        rss_after
    ));
    out(&format!(
        "  messages sent / answered:         {sent:>12} / {}",
        rtts.len()
    ));
    out(&format!(
        "  achieved rate:                    {:>12.0} messages/s",
        rtts.len() as f64 / elapsed
    ));
    out(&format!(
        "  round trip p50:                   {:>12.1} ms",
        percentile(&rtts, 0.50)
    ));
    out(&format!(
        "  round trip p99:                   {:>12.1} ms",
        percentile(&rtts, 0.99)
    ));
    running.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hotline-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One small channel per session through which the pacer hands out send slots.
fn slot_channels(
    n: usize,
) -> (
    Vec<tokio::sync::mpsc::Sender<()>>,
    Vec<tokio::sync::mpsc::Receiver<()>>,
) {
    (0..n).map(|_| tokio::sync::mpsc::channel(4)).unzip()
}

/// Runs a `hotline bench` command.
pub(super) async fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Flow(opts) => {
            engine_bench(opts.engine_secs, opts.runs)?;
            if opts.sessions > 0 {
                chat_bench(&opts).await?;
            }
        }
        BenchCommand::Desk(opts) => super::bench_desk::run(&opts).await?,
        BenchCommand::Sms(opts) => super::bench_sms::run(&opts).await?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::Runs;

    #[test]
    fn the_headline_is_the_median_run_not_the_best() {
        let runs = Runs::of(vec![0.83, 1.09, 0.95, 0.90, 1.01]);
        assert_eq!(
            runs,
            Runs {
                median: 0.95,
                min: 0.83,
                max: 1.09
            }
        );
        assert_eq!(Runs::of(vec![2.0, 1.0, 4.0, 3.0]).median, 2.5);
    }
}
