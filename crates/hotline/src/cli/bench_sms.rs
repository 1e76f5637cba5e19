//! `hotline bench sms`: the messaging channels on loopback.
//!
//! Part one measures SMPP submit throughput against the SMSC simulator (`tools/smsc`, on the
//! npm `smpp` package): Hotline's session (`smpp-proto`, driven over TCP as the shell drives
//! it) submits N messages through its window and waits for every `submit_sm_resp`; the
//! baseline of the same run is PyPI `smpplib` submitting the same messages to the same
//! simulator with the same window. The runs alternate, so a noisy neighbour slows both alike;
//! medians and the ratio are printed.
//!
//! Part two starts the real server with a fresh SQLite database and a Twilio-compatible
//! provider served by the benchmark itself, binds the German demo flow to a number, and sends
//! signed inbound webhooks at a fixed rate from many contacts for a bounded time: from each
//! webhook leaving the benchmark to the flow's first reply reaching the provider (p50/p99),
//! beside the webhook's own answer and, as the baseline of the same run, a plain POST to the
//! same provider over loopback. Nothing leaves the machine.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use smpp_proto::session::Outgoing;
use smpp_proto::{Event, Session, SessionConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::output::{median, out, percentile};
use crate::server;
use crate::settings::{Overrides, Settings};

/// Options of `hotline bench sms`.
#[derive(Debug, Clone, Args)]
pub struct SmsBench {
    /// The SMSC simulator's script.
    #[arg(long, default_value = "tools/smsc/smsc.js")]
    pub smsc: PathBuf,
    /// Messages per SMPP run (at most 50,000).
    #[arg(long, default_value_t = 5000)]
    pub messages: usize,
    /// Requests outstanding at once, both clients.
    #[arg(long, default_value_t = 10)]
    pub window: usize,
    /// Runs of each SMPP client; the medians are compared.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Inbound webhooks per second (at most 500; 0 skips part two).
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds to send webhooks (at most 120).
    #[arg(long, default_value_t = 20)]
    pub duration_secs: u64,
}

const TEXT: &str =
    "Ihr Termin: Dienstag um 10:30 Uhr im Impfzentrum Mitte. Bitte Ausweis mitbringen.";

/// The smpplib client: binds, submits `n` messages keeping `window` outstanding, prints the
/// seconds it took.
const SMPPLIB_CLIENT: &str = r#"
import json, sys, time
import smpplib.client, smpplib.gsm, smpplib.command as c
port, n, window, text = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cl = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
cl.connect()
cl.bind_transceiver(system_id="hotline", password="s3cret")
parts, enc, esm = smpplib.gsm.make_parts(text)
start = time.perf_counter()
sent = done = outstanding = 0
while done < n:
    while outstanding < window and sent < n:
        pdu = c.factory("submit_sm", client=cl, source_addr_ton=1, source_addr_npi=1,
                        source_addr="4930555", dest_addr_ton=1, dest_addr_npi=1,
                        destination_addr="4915112345678", short_message=parts[0],
                        data_coding=enc, esm_class=esm, registered_delivery=0)
        cl.send_pdu(pdu)
        sent += 1
        outstanding += 1
    p = cl.read_pdu()
    if p.command == "submit_sm_resp":
        done += 1
        outstanding -= 1
print(json.dumps({"secs": time.perf_counter() - start}))
cl.unbind()
cl.disconnect()
"#;

/// Starts the simulator; returns the child and its port. Its output is read and dropped.
async fn start_smsc(script: &PathBuf) -> anyhow::Result<(tokio::process::Child, u16)> {
    let mut child = tokio::process::Command::new("node")
        .arg(script)
        .args(["--system-id", "hotline", "--password", "s3cret", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting the SMSC simulator with node: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await??
        .ok_or_else(|| anyhow::anyhow!("the simulator did not start"))?;
    let v: serde_json::Value = serde_json::from_str(&first)?;
    let port = u16::try_from(v["port"].as_u64().unwrap_or(0))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, port))
}

/// Hotline's session over TCP: messages per second until every submit is answered.
async fn smpp_ours(port: u16, n: usize, window: usize) -> anyhow::Result<f64> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut s = Session::new(SessionConfig {
        system_id: "hotline".to_owned(),
        password: "s3cret".to_owned(),
        window,
        ..SessionConfig::default()
    });
    s.connected(now());
    let mut buf = vec![0u8; 64 * 1024];
    let mut accepted = 0;
    let mut queued = false;
    let mut t0 = Instant::now();
    loop {
        while let Some(bytes) = s.poll_transmit() {
            stream.write_all(&bytes).await?;
        }
        while let Some(e) = s.poll_event() {
            match e {
                Event::Bound { .. } => {}
                Event::Accepted { .. } => accepted += 1,
                Event::BindRefused { .. } | Event::ConnectionLost { .. } | Event::Failed { .. } => {
                    anyhow::bail!("SMPP run failed: {e:?}")
                }
                _ => {}
            }
        }
        if s.is_bound() && !queued {
            queued = true;
            t0 = Instant::now();
            for _ in 0..n {
                s.send(
                    &Outgoing {
                        from: "+4930555".to_owned(),
                        to: "+4915112345678".to_owned(),
                        text: TEXT.to_owned(),
                        receipt: false,
                    },
                    now(),
                )?;
            }
            continue;
        }
        if accepted >= n {
            let secs = t0.elapsed().as_secs_f64();
            s.unbind(now());
            while let Some(bytes) = s.poll_transmit() {
                let _ = stream.write_all(&bytes).await;
            }
            return Ok(n as f64 / secs);
        }
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await??;
        if read == 0 {
            anyhow::bail!("the simulator closed the connection");
        }
        s.handle_bytes(&buf[..read], now());
    }
}

/// smpplib's run: messages per second.
async fn smpp_baseline(port: u16, n: usize, window: usize) -> anyhow::Result<f64> {
    let output = tokio::process::Command::new("python3")
        .args([
            "-c",
            SMPPLIB_CLIENT,
            &port.to_string(),
            &n.to_string(),
            &window.to_string(),
            TEXT,
        ])
        .output()
        .await?;
    if !output.status.success() {
        anyhow::bail!(
            "smpplib failed (pip install smpplib==2.2.4): {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(n as f64 / v["secs"].as_f64().unwrap_or(f64::NAN))
}

async fn smpp_part(opts: &SmsBench) -> anyhow::Result<()> {
    let n = opts.messages.clamp(100, 50_000);
    let window = opts.window.clamp(1, 100);
    let runs = opts.runs.clamp(1, 10);
    let (_child, port) = start_smsc(&opts.smsc).await?;
    out(&format!(
        "SMPP submit throughput against the simulator: {n} messages per run, window {window}, {runs} runs each"
    ));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(smpp_ours(port, n, window).await?);
        theirs.push(smpp_baseline(port, n, window).await?);
    }
    ours.sort_by(f64::total_cmp);
    theirs.sort_by(f64::total_cmp);
    let (o, t) = (median(&ours), median(&theirs));
    out(&format!(
        "  hotline (smpp-proto)   median {o:>8.0} msg/s   (runs {:.0}–{:.0})",
        ours[0],
        ours[ours.len() - 1]
    ));
    out(&format!(
        "  baseline: smpplib      median {t:>8.0} msg/s   (runs {:.0}–{:.0})",
        theirs[0],
        theirs[theirs.len() - 1]
    ));
    out(&format!("  ratio hotline / smpplib: {:.2}", o / t));
    Ok(())
}

/// The provider served by the benchmark: when each contact's last webhook left, and from it
/// to the first reply to that contact.
#[derive(Default)]
struct Provider {
    /// Per contact: when its last webhook left, and whether it started a conversation.
    pending: Mutex<HashMap<String, (Instant, bool)>>,
    /// Milliseconds, and whether the message started a conversation.
    latencies: Mutex<Vec<(f64, bool)>>,
    count: std::sync::atomic::AtomicUsize,
}

async fn provider_endpoint(
    axum::extract::State(p): axum::extract::State<Arc<Provider>>,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    let at = Instant::now();
    let n = p.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some((_, to)) = form_urlencoded::parse(&body).find(|(k, _)| k == "To") {
        let sent = p
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(to.as_ref());
        if let Some((sent, first)) = sent {
            p.latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((at.duration_since(sent).as_secs_f64() * 1000.0, first));
        }
    }
    (
        axum::http::StatusCode::CREATED,
        format!("{{\"sid\":\"SM{n:032}\"}}"),
    )
}

fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    format!(
        "p50 {:>7.1} ms   p99 {:>7.1} ms   ({} samples)",
        percentile(&ms, 0.50),
        percentile(&ms, 0.99),
        ms.len()
    )
}

async fn webhook_part(opts: &SmsBench) -> anyhow::Result<()> {
    let rate = opts.rate.clamp(1, 500);
    let duration = Duration::from_secs(opts.duration_secs.clamp(1, 120));
    let dir = std::env::temp_dir().join(format!("hotline-bench-sms-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let provider = Arc::new(Provider::default());
    let router = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{sid}/Messages.json",
            axum::routing::post(provider_endpoint),
        )
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let token = "bench-token";
    let token_file = dir.join("twilio-token");
    std::fs::write(&token_file, token)?;
    let mut settings = Settings::load(
        None,
        &Overrides {
            data_dir: Some(dir.join("data")),
            http_addr: Some("127.0.0.1:0".parse()?),
            database_url: None,
            sip_addr: Some("127.0.0.1:0".parse()?),
        },
    )?;
    settings.sip.enabled = false;
    settings.twilio = vec![crate::messaging::TwilioSettings {
        name: "bench".to_owned(),
        account_sid: "AC0".to_owned(),
        auth_token_file: token_file,
        api_url: api.clone(),
        numbers: vec!["+4930555".to_owned()],
    }];
    let running = server::start(&settings, Arc::new(app::SystemClock)).await?;
    let base = format!("http://{}", running.http_addr);
    let app = running.app.clone();
    let tenant = app.store().list_tenants().await?[0].id;
    let flow = app
        .store()
        .list_flows(tenant)
        .await?
        .into_iter()
        .find(|f| f.name.contains("Gesundheitsamt"))
        .ok_or_else(|| anyhow::anyhow!("no German demo flow"))?;
    let now = app.now();
    app.store()
        .insert_phone_number(&store::PhoneNumber {
            number: "+4930555".to_owned(),
            tenant_id: tenant,
            flow_id: Some(flow.id),
            language: Some("de".to_owned()),
            caller_id: domain::CallerIdMode::Pseudonymised,
            channels: vec![domain::Channel::Sms],
            proxy: false,
            created_at: now,
            updated_at: now,
        })
        .await?;

    // Each contact writes every two seconds; together they send `rate` messages a second.
    let contacts = usize::try_from(rate)? * 2;
    out(&format!(
        "inbound SMS webhook → flow reply at {rate} messages/s for {}s ({contacts} contacts) …",
        duration.as_secs()
    ));
    let client = reqwest::Client::builder().build()?;
    let url = format!("{base}/hooks/twilio/bench/messages");
    let mut sent = 0usize;
    let mut late = 0usize;
    let acks = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let gap = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = Instant::now();
    let mut i: usize = 0;
    let mut round = 0;
    while start.elapsed() < duration {
        let contact = i % contacts;
        if contact == 0 && i > 0 {
            round += 1;
        }
        let from = format!("+49151{contact:07}");
        let body = if round == 0 { "Hallo" } else { "9" };
        let sid = format!("SMbench{i}");
        let params: Vec<(String, String)> = [
            ("MessageSid", sid.as_str()),
            ("From", from.as_str()),
            ("To", "+4930555"),
            ("Body", body),
            ("NumMedia", "0"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let signature = security::webhook::twilio_signature(token.as_bytes(), &url, &params);
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        // Measured to the first reply after it. A message still unanswered when the
        // contact writes again counts with the time it waited so far (a lower bound).
        let at = Instant::now();
        let unanswered = provider
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(from, (at, round == 0));
        if let Some((earlier, first)) = unanswered {
            late += 1;
            provider
                .latencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((at.duration_since(earlier).as_secs_f64() * 1000.0, first));
        }
        sent += 1;
        let (client, url, acks) = (client.clone(), url.clone(), acks.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-twilio-signature", signature)
                .body(form)
                .send()
                .await;
            if r.is_ok_and(|r| r.status().is_success()) {
                acks.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(at.elapsed().as_secs_f64() * 1000.0);
            }
        }));
        i += 1;
        let next = start + gap * u32::try_from(i)?;
        tokio::time::sleep_until(next.into()).await;
    }
    for t in tasks {
        let _ = t.await;
    }
    // Wait for the last replies (bounded).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let latencies = provider
        .latencies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let unanswered = provider
        .pending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .len();

    // Baseline: a plain POST to the same provider over loopback.
    let mut baseline = Vec::new();
    for _ in 0..500 {
        let at = Instant::now();
        client
            .post(format!("{api}/2010-04-01/Accounts/AC0/Messages.json"))
            .body("To=baseline")
            .send()
            .await?;
        baseline.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    let acks = acks
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    out(&format!(
        "  webhooks sent {sent}, answered 2xx {}; contacts still waiting for a reply {unanswered}",
        acks.len()
    ));
    out(&format!(
        "  webhook answered            {}",
        percentiles(acks)
    ));
    let starts: Vec<f64> = latencies.iter().filter(|l| l.1).map(|l| l.0).collect();
    let follow_ups: Vec<f64> = latencies.iter().filter(|l| !l.1).map(|l| l.0).collect();
    out(&format!(
        "  first reply at the provider {}",
        percentiles(latencies.iter().map(|l| l.0).collect())
    ));
    out(&format!(
        "    of a first message (new conversation) {}",
        percentiles(starts)
    ));
    out(&format!(
        "    of a later message                    {}",
        percentiles(follow_ups)
    ));
    out(&format!(
        "  ({late} messages were still unanswered when their contact wrote again, 2 s later; they count with 2 s)"
    ));
    out(&format!(
        "  baseline: POST on loopback  {}",
        percentiles(baseline)
    ));
    running.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Runs the messaging benchmark.
pub(super) async fn run(opts: &SmsBench) -> anyhow::Result<()> {
    smpp_part(opts).await?;
    if opts.rate > 0 {
        webhook_part(opts).await?;
    }
    Ok(())
}
