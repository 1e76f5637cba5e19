//! `hotline bench desk`: the contact centre end to end on loopback. The real server starts
//! with a fresh SQLite database; N agents (1,000 by default) are signed in (users and
//! sessions written straight into the store, as a test fixture would: the password and TOTP
//! ceremony is not what is measured) and connect to the desk socket; callers open the web
//! chat at a fixed rate and ask for a person. Measured: from the caller's message leaving the
//! chat socket to the offer arriving on an agent's desk socket (p50, p99, max), beside the
//! baseline of the same run: from the same message to the bot's hand-over reply on the
//! caller's own socket. Agents accept, hold the conversation for a while, end and wrap up
//! through the application in-process, so capacity frees as in a real shift. Bounded in
//! agents, rate and time; nothing leaves the machine.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use app::{AgentProfile, App, Principal, PrincipalKind, RequestMeta};
use domain::{AuthMethod, DisplayName, Role, TenantId, Timestamp, UserId, Username};

use super::output::{out, percentile};
use crate::server;
use crate::settings::{Overrides, Settings};

/// Options of `hotline bench desk`.
#[derive(Debug, Clone, Args)]
pub struct DeskBench {
    /// Agents connected to the desk socket (at most 2,000).
    #[arg(long, default_value_t = 1000)]
    pub agents: usize,
    /// Callers asking for a person per second (at most 500).
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Seconds to send callers (at most 120).
    #[arg(long, default_value_t = 60)]
    pub duration_secs: u64,
    /// How long an agent holds a conversation before ending it, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub hold_ms: u64,
}

type Sent = Arc<Mutex<HashMap<String, Instant>>>;

fn random32() -> anyhow::Result<[u8; 32]> {
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

fn principal(tenant: TenantId, user: UserId, role: Role) -> Principal {
    Principal {
        tenant_id: tenant,
        kind: PrincipalKind::User {
            user_id: user,
            session_hash: String::new(),
        },
        role,
        auth_method: AuthMethod::Session,
        meta: RequestMeta::default(),
    }
}

/// One agent: a user with a full session (its cookie value), capacity one chat.
async fn sign_in_agent(
    app: &App,
    admin: &Principal,
    tenant: TenantId,
    i: usize,
) -> anyhow::Result<(UserId, String)> {
    let now = app.now();
    let mut id_bytes = [0u8; 16];
    id_bytes.copy_from_slice(&random32()?[..16]);
    let user = store::User {
        tenant_id: tenant,
        id: UserId::from_random_bytes(id_bytes),
        username: Username::parse(&format!("bench-agent-{i}"))?,
        display_name: DisplayName::parse(&format!("Agent {i}"))?,
        role: Role::Agent,
        // No password can match: these accounts exist only for the benchmark's sessions.
        password_hash: "!".to_owned(),
        must_change_password: false,
        totp_secret: None,
        totp_enrolled: true,
        totp_last_step: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    app.store().insert_user(tenant, &user).await?;
    let token = security::token::SessionToken::new(tenant, random32()?);
    let session = store::Session {
        tenant_id: tenant,
        token_hash: token.secret_hash(),
        user_id: user.id,
        stage: store::SessionStage::Full,
        auth_method: AuthMethod::Session,
        csrf_token: security::token::secret_from_random(random32()?),
        created_at: now,
        last_seen_at: now,
        expires_at: Timestamp::from_millis(now.millis() + 3_600_000),
    };
    app.store().insert_session(&session).await?;
    let profile = AgentProfile {
        chat: 1,
        ..AgentProfile::default()
    };
    app.put_agent(admin, user.id, profile)
        .await
        .map_err(|e| anyhow::anyhow!("agent profile: {e}"))?;
    Ok((user.id, token.encode()))
}

async fn desk_socket(
    base: &str,
    cookie: &str,
) -> anyhow::Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let url = format!("{}/api/v1/desk/ws", base.replace("http://", "ws://"));
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("origin", base.parse()?);
    request.headers_mut().insert(
        "cookie",
        format!("{}={cookie}", api::SESSION_COOKIE).parse()?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

/// A caller: opens the chat, waits for the menu, asks for a person; returns the time from
/// the message to the bot's hand-over reply on its own socket.
async fn caller(base: String, sent: Sent) -> anyhow::Result<f64> {
    let url = format!(
        "{}/chat/ws?widget=demo-de",
        base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("origin", base.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    ws.send(WsMessage::Text(
        r#"{"type":"hello","session":null,"last_seq":0,"lang":"de"}"#.into(),
    ))
    .await?;
    let mut conversation = String::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => {
                let v: serde_json::Value = serde_json::from_str(&t)?;
                if v["type"] == "welcome" {
                    conversation = v["conversation"].as_str().unwrap_or_default().to_owned();
                }
                if t.contains("Wobei kann ich helfen") {
                    break;
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => anyhow::bail!("the chat did not start"),
        }
    }
    let started = Instant::now();
    sent.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(conversation, started);
    ws.send(WsMessage::Text(
        r#"{"type":"message","id":"h","text":"Ich möchte mit einem Menschen sprechen"}"#.into(),
    ))
    .await?;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t))))
                if t.contains("\"from\":\"bot\"") && t.contains("verbinde") =>
            {
                let rtt = started.elapsed().as_secs_f64() * 1000.0;
                // Keep the caller connected a little, as a waiting caller would be.
                tokio::time::sleep(Duration::from_secs(5)).await;
                let _ = ws.close(None).await;
                return Ok(rtt);
            }
            Ok(Some(Ok(_))) => {}
            _ => anyhow::bail!("no hand-over reply"),
        }
    }
}

/// Runs the desk benchmark.
pub(super) async fn run(opts: &DeskBench) -> anyhow::Result<()> {
    let agents = opts.agents.clamp(1, 2000);
    let rate = opts.rate.clamp(1, 500);
    let duration = Duration::from_secs(opts.duration_secs.clamp(1, 120));
    let dir = std::env::temp_dir().join(format!("hotline-bench-desk-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
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
    let app = running.app.clone();
    let tenant = app.store().list_tenants().await?[0].id;
    let admin_id = app
        .store()
        .find_login(&Username::parse("admin")?)
        .await?
        .map(|(_, id)| id)
        .ok_or_else(|| anyhow::anyhow!("no admin"))?;
    let admin = principal(tenant, admin_id, Role::Admin);

    out(&format!("desk over loopback: signing in {agents} agents …"));
    let mut sockets = Vec::with_capacity(agents);
    for i in 0..agents {
        let (user, cookie) = sign_in_agent(&app, &admin, tenant, i).await?;
        let ws = desk_socket(&base, &cookie).await?;
        sockets.push((user, ws));
    }
    for (user, _) in &sockets {
        app.set_presence(&principal(tenant, *user, Role::Agent), *user, "available")
            .await
            .map_err(|e| anyhow::anyhow!("presence: {e}"))?;
    }

    let sent: Sent = Arc::new(Mutex::new(HashMap::new()));
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let hold = Duration::from_millis(opts.hold_ms.min(60_000));
    let mut agent_tasks = Vec::new();
    for (user, mut ws) in sockets {
        let (app, sent, latencies) = (app.clone(), sent.clone(), latencies.clone());
        let me = principal(tenant, user, Role::Agent);
        agent_tasks.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let WsMessage::Text(text) = msg else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                // An offer, or (after a reconnect or a lag) the offers of a snapshot.
                let offers: Vec<serde_json::Value> = match v["type"].as_str() {
                    Some("offer") => vec![v["task"].clone()],
                    Some("snapshot") => v["desk"]["offers"].as_array().cloned().unwrap_or_default(),
                    _ => continue,
                };
                let arrived = Instant::now();
                for task in offers {
                    if v["type"] == "offer" {
                        let conversation = task["conversation_id"].as_str().unwrap_or_default();
                        let started = sent
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .get(conversation)
                            .copied();
                        if let Some(s) = started {
                            latencies
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(arrived.duration_since(s).as_secs_f64() * 1000.0);
                        }
                    }
                    let id = task["id"].as_str().unwrap_or_default().to_owned();
                    let (app, me) = (app.clone(), me.clone());
                    tokio::spawn(async move {
                        if app.accept_task(&me, &id).await.is_ok() {
                            tokio::time::sleep(hold).await;
                            let _ = app.end_task(&me, &id).await;
                            let _ = app.wrap_up_task(&me, &id, None).await;
                        }
                    });
                }
            }
        }));
    }

    out(&format!(
        "sending {rate} callers/s for {} s …",
        duration.as_secs()
    ));
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let started = Instant::now();
    let mut next = Instant::now();
    let mut callers = Vec::new();
    while started.elapsed() < duration {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        callers.push(tokio::spawn(caller(base.clone(), sent.clone())));
    }
    let mut replies = Vec::new();
    let mut failed = 0;
    for c in callers {
        match c.await {
            Ok(Ok(rtt)) => replies.push(rtt),
            _ => failed += 1,
        }
    }
    // Offers still on their way get a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut offers = latencies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let enqueued = sent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .len();
    for t in agent_tasks {
        t.abort();
    }
    offers.sort_by(f64::total_cmp);
    replies.sort_by(f64::total_cmp);
    let line = |name: &str, v: &[f64]| {
        format!(
            "{name}: n={} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            v.len(),
            percentile(v, 0.50),
            percentile(v, 0.99),
            v.last().copied().unwrap_or(0.0)
        )
    };
    out(&line("message → offer on an agent's desk socket", &offers));
    out(&line(
        "baseline, message → bot's hand-over reply on the caller's socket",
        &replies,
    ));
    out(&format!(
        "callers asked for a person: {enqueued}; offers seen: {}; callers failed: {failed}",
        offers.len()
    ));
    running.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
