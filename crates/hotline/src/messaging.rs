//! The messaging channels' configuration and wiring: SMSCs over SMPP (`[[smpp]]`),
//! Twilio-compatible SMS providers (`[[twilio]]`), WhatsApp numbers (`[[whatsapp]]`) and the public URL their webhooks are
//! called at (`[messaging]`). Secrets come from files named in the configuration, never from
//! the file itself. From these the server builds the webhooks the API takes and the router
//! the outbox sends through.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// `[messaging]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessagingSettings {
    /// The public base URL providers call (`https://hotline.example.org`): Twilio signs the
    /// full URL, and status callbacks are sent there. Unset: the server's own address.
    pub public_url: Option<String>,
}

fn default_twilio_api() -> String {
    "https://api.twilio.com".to_owned()
}

fn default_graph_url() -> String {
    "https://graph.facebook.com/v21.0".to_owned()
}

/// One `[[twilio]]` account: a Twilio-compatible SMS provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// A name of letters, digits, `-` and `_` (its webhooks are `/hooks/twilio/{name}/…`).
    pub name: String,
    /// The account id (`AC…`).
    pub account_sid: String,
    /// A file holding the auth token.
    pub auth_token_file: PathBuf,
    /// The REST API's base URL (a compatible provider's, or a local one in tests).
    #[serde(default = "default_twilio_api")]
    pub api_url: String,
    /// The numbers SMS go out from through this account (each also bound to a flow with
    /// `PUT /api/v1/phone-numbers/{number}` and the channel `sms`).
    pub numbers: Vec<String>,
}

/// One `[[whatsapp]]` number of the WhatsApp Cloud API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappSettings {
    /// A name of letters, digits, `-` and `_` (its webhook is `/hooks/whatsapp/{name}`).
    pub name: String,
    /// The Cloud API's phone number id.
    pub phone_number_id: String,
    /// The number in international form (`+4930…`), as bound to a flow with the channel
    /// `whatsapp`.
    pub number: String,
    /// A file holding the access token.
    pub access_token_file: PathBuf,
    /// A file holding the app secret (signs the webhooks).
    pub app_secret_file: PathBuf,
    /// A file holding the verify token chosen when the webhook was set up.
    pub verify_token_file: PathBuf,
    /// The Graph API's base URL with its version.
    #[serde(default = "default_graph_url")]
    pub graph_url: String,
    /// An approved template that re-opens a conversation after the 24-hour window.
    #[serde(default)]
    pub reengage_template: Option<String>,
}

fn default_window() -> usize {
    10
}

/// One `[[smpp]]` connection to an SMSC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmppSettings {
    /// A name of letters, digits, `-` and `_` (in logs and `/metrics`).
    pub name: String,
    /// The SMSC's host.
    pub host: String,
    /// The SMSC's port.
    pub port: u16,
    /// Who binds.
    pub system_id: String,
    /// A file holding the password (at most 8 characters).
    pub password_file: PathBuf,
    /// Requests outstanding at once (default 10).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Message parts per second, at most (the SMSC's contract); unset: as the window allows.
    #[serde(default)]
    pub max_per_second: Option<u32>,
    /// The numbers SMS go out from over this connection (each also bound to a flow with the
    /// channel `sms`).
    pub numbers: Vec<String>,
}

fn check_name(kind: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("{kind}.name {name:?}: 1–64 letters, digits, '-' or '_'");
    }
    Ok(())
}

fn check_url(what: &str, url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("{what} must be an http:// or https:// URL");
    }
    Ok(())
}

/// Checks the messaging settings: names unique and URL-safe, URLs absolute, numbers given.
pub fn validate(
    messaging: &MessagingSettings,
    twilio: &[TwilioSettings],
    whatsapp: &[WhatsappSettings],
    smpp: &[SmppSettings],
) -> anyhow::Result<()> {
    if let Some(url) = &messaging.public_url {
        check_url("messaging.public_url", url)?;
    }
    let mut names = std::collections::HashSet::new();
    for t in twilio {
        check_name("twilio", &t.name)?;
        check_url("twilio.api_url", &t.api_url)?;
        if !names.insert(("twilio", t.name.as_str())) {
            bail!("twilio.name {:?} is used twice", t.name);
        }
        if t.numbers.is_empty() {
            bail!("twilio {:?}: numbers must name at least one number", t.name);
        }
    }
    for c in smpp {
        check_name("smpp", &c.name)?;
        if !names.insert(("smpp", c.name.as_str())) {
            bail!("smpp.name {:?} is used twice", c.name);
        }
        if c.host.is_empty() || c.port == 0 {
            bail!("smpp {:?}: host and port are required", c.name);
        }
        if c.system_id.is_empty() || c.system_id.len() > 15 {
            bail!("smpp {:?}: system_id must be 1–15 characters", c.name);
        }
        if c.window == 0 || c.window > 1000 {
            bail!("smpp {:?}: window must be 1–1000", c.name);
        }
        if c.max_per_second == Some(0) {
            bail!("smpp {:?}: max_per_second must be at least 1", c.name);
        }
        if c.numbers.is_empty() {
            bail!("smpp {:?}: numbers must name at least one number", c.name);
        }
    }
    for w in whatsapp {
        check_name("whatsapp", &w.name)?;
        check_url("whatsapp.graph_url", &w.graph_url)?;
        if !names.insert(("whatsapp", w.name.as_str())) {
            bail!("whatsapp.name {:?} is used twice", w.name);
        }
        if w.number.is_empty() || w.phone_number_id.is_empty() {
            bail!(
                "whatsapp {:?}: number and phone_number_id are required",
                w.name
            );
        }
    }
    Ok(())
}

/// A secret file's content without the trailing line break.
fn read_secret(path: &Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {what} from {}", path.display()))?;
    let secret = text.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        bail!("{what} in {} is empty", path.display());
    }
    Ok(secret)
}

/// The webhooks the API takes, the router the outbox sends through, and the SMPP links.
#[derive(Debug)]
pub struct Wiring {
    /// For the API.
    pub hooks: api::Webhooks,
    /// For the app's outbox.
    pub router: Arc<channels::messaging::MessageRouter>,
    /// The running SMPP links (for `/metrics`).
    pub smpp: Vec<Arc<channels::messaging::SmppLink>>,
}

/// What the messaging channels are configured with.
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    /// `[messaging]`.
    pub messaging: &'a MessagingSettings,
    /// `[[twilio]]`.
    pub twilio: &'a [TwilioSettings],
    /// `[[whatsapp]]`.
    pub whatsapp: &'a [WhatsappSettings],
    /// `[[smpp]]`.
    pub smpp: &'a [SmppSettings],
}

/// Reads the secrets, builds the providers and starts the SMPP links. `base_url` is the
/// server's own address, used when no public URL is configured.
pub fn wire(config: Config<'_>, base_url: &str, app: &app::App) -> anyhow::Result<Wiring> {
    use channels::messaging::{
        MessageRouter, SmppConfig, SmppLink, TwilioConfig, TwilioSender, WhatsappConfig,
        WhatsappSender,
    };
    let Config {
        messaging,
        twilio,
        whatsapp,
        smpp,
    } = config;
    let public = messaging
        .public_url
        .clone()
        .unwrap_or_else(|| base_url.to_owned());
    let public = public.trim_end_matches('/');
    let mut hooks = api::Webhooks {
        public_url: messaging.public_url.clone(),
        ..api::Webhooks::default()
    };
    let mut router = MessageRouter::new();
    for t in twilio {
        let token = read_secret(&t.auth_token_file, "twilio.auth_token_file")?;
        hooks.twilio.push(api::TwilioHook {
            name: t.name.clone(),
            auth_token: api::HookSecret::new(token.clone().into_bytes()),
        });
        let sender = Arc::new(TwilioSender::new(TwilioConfig {
            name: t.name.clone(),
            account_sid: t.account_sid.clone(),
            auth_token: token,
            api_url: t.api_url.clone(),
            status_callback: Some(format!("{public}/hooks/twilio/{}/status", t.name)),
        }));
        for number in &t.numbers {
            router.route(domain::Channel::Sms, number, sender.clone());
        }
        tracing::info!(provider = %t.name, numbers = t.numbers.len(), "SMS provider configured");
    }
    for w in whatsapp {
        let access_token = read_secret(&w.access_token_file, "whatsapp.access_token_file")?;
        let app_secret = read_secret(&w.app_secret_file, "whatsapp.app_secret_file")?;
        let verify_token = read_secret(&w.verify_token_file, "whatsapp.verify_token_file")?;
        hooks.whatsapp.push(api::WhatsappHook {
            name: w.name.clone(),
            app_secret: api::HookSecret::new(app_secret.into_bytes()),
            verify_token: api::HookSecret::new(verify_token.into_bytes()),
            numbers: HashMap::from([(w.phone_number_id.clone(), w.number.clone())]),
        });
        let sender = Arc::new(WhatsappSender::new(WhatsappConfig {
            name: w.name.clone(),
            phone_number_id: w.phone_number_id.clone(),
            access_token,
            graph_url: w.graph_url.clone(),
            reengage_template: w.reengage_template.clone(),
        }));
        router.route(domain::Channel::Whatsapp, &w.number, sender);
        tracing::info!(provider = %w.name, "WhatsApp number configured");
    }
    let mut links = Vec::new();
    for c in smpp {
        let password = read_secret(&c.password_file, "smpp.password_file")?;
        if password.len() > 8 {
            bail!(
                "smpp {:?}: an SMPP password has at most 8 characters",
                c.name
            );
        }
        let link = SmppLink::start(
            SmppConfig {
                name: c.name.clone(),
                host: c.host.clone(),
                port: c.port,
                system_id: c.system_id.clone(),
                password,
                window: c.window,
                max_per_second: c.max_per_second,
                response_timeout: std::time::Duration::from_secs(30),
                enquire_link: std::time::Duration::from_secs(30),
                numbers: c.numbers.clone(),
            },
            app.clone(),
        );
        for number in &c.numbers {
            router.route(domain::Channel::Sms, number, link.clone());
        }
        tracing::info!(link = %c.name, numbers = c.numbers.len(), "SMPP link configured");
        links.push(link);
    }
    Ok(Wiring {
        hooks,
        router: Arc::new(router),
        smpp: links,
    })
}
