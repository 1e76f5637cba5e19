//! Outbound registration to a trunk provider (RFC 3261 §10): REGISTER, answering a 401/407 with
//! digest credentials, refreshing before the granted expiry, retrying after failures, and
//! unregistering. The [`UserAgent`](crate::ua::UserAgent) owns these and sends what they build.

use std::net::SocketAddr;

use crate::auth::{Credentials, authorize};
use crate::dialog::LocalAddr;
use crate::endpoint::TransactionId;
use crate::message::{Request, Response};
use crate::method::Method;
use crate::typed::AuthHeader;
use crate::typed::Transport;
use crate::uri::{SipUri, Uri};

/// Retry delay after a failed registration.
pub const RETRY_AFTER_FAILURE_MS: u64 = 60_000;

/// What to register where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// Request-URI, such as `sip:sip.provider.example`.
    pub registrar: SipUri,
    /// Address of record, such as `sip:4930123456@sip.provider.example`.
    pub aor: SipUri,
    pub credentials: Credentials,
    /// Requested lifetime in seconds.
    pub expires: u32,
    /// Where to send the REGISTER (resolved by the shell).
    pub server: SocketAddr,
    /// How: UDP, or TLS to a provider that asks for it.
    pub transport: Transport,
}

/// Identifies a registration inside one user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(pub u64);

/// What a response meant for the registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send the REGISTER again (with credentials or a new expiry).
    Resend,
    Registered {
        expires: u32,
    },
    Unregistered,
    Failed {
        status: u16,
    },
    Ignore,
}

#[derive(Debug, Clone)]
struct Challenge {
    header: &'static str,
    challenge: AuthHeader,
    cnonce: String,
    nc: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub(crate) config: RegistrationConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    /// The last challenge, answered again on refresh with an incremented nonce count.
    challenge: Option<Challenge>,
    challenges: u32,
    pub(crate) tx: Option<TransactionId>,
    pub(crate) refresh_at: Option<u64>,
}

impl Registration {
    pub(crate) fn new(
        config: RegistrationConfig,
        call_id: String,
        from_tag: String,
    ) -> Registration {
        let expires = config.expires;
        Registration {
            config,
            call_id,
            from_tag,
            cseq: 0,
            expires,
            challenge: None,
            challenges: 0,
            tx: None,
            refresh_at: None,
        }
    }

    /// Asks for removal: the next REGISTER carries `Expires: 0`.
    pub(crate) fn set_unregister(&mut self) {
        self.expires = 0;
        self.challenges = 0;
    }

    /// The next REGISTER (RFC 3261 §10.2): same Call-ID, increasing CSeq.
    pub(crate) fn request(&mut self, local: &LocalAddr, branch: &str) -> Request {
        self.cseq += 1;
        let mut req = Request::new(Method::Register, Uri::Sip(self.config.registrar.clone()));
        req.headers.push("Via", local.via(branch).to_string());
        req.headers.push("Max-Forwards", "70");
        req.headers.push(
            "From",
            format!("<{}>;tag={}", self.config.aor, self.from_tag),
        );
        req.headers.push("To", format!("<{}>", self.config.aor));
        req.headers.push("Call-ID", self.call_id.clone());
        req.headers.push("CSeq", format!("{} REGISTER", self.cseq));
        req.headers.push("Contact", local.contact());
        req.headers.push("Expires", self.expires.to_string());
        if let Some(c) = self.challenge.as_mut() {
            c.nc += 1;
            let uri = self.config.registrar.to_string();
            let creds = &self.config.credentials;
            if let Ok(auth) = authorize(&c.challenge, creds, "REGISTER", &uri, &c.cnonce, c.nc) {
                req.headers.push(c.header, auth.to_string());
            }
        }
        req
    }

    pub(crate) fn on_response(&mut self, resp: &Response, cnonce: &str, now: u64) -> Outcome {
        match resp.status {
            100..=199 => Outcome::Ignore,
            200..=299 => {
                self.tx = None;
                self.challenges = 0;
                if self.expires == 0 {
                    self.refresh_at = None;
                    return Outcome::Unregistered;
                }
                let granted = granted_expires(resp).unwrap_or(self.expires).max(1);
                let lifetime = u64::from(granted) * 1_000;
                self.refresh_at = Some(now + lifetime - (lifetime / 2).min(30_000));
                Outcome::Registered { expires: granted }
            }
            401 | 407 if self.challenges < 2 => {
                let (challenge_name, answer_name) = if resp.status == 401 {
                    ("WWW-Authenticate", "Authorization")
                } else {
                    ("Proxy-Authenticate", "Proxy-Authorization")
                };
                let uri = self.config.registrar.to_string();
                let creds = &self.config.credentials;
                let usable = resp
                    .headers
                    .get(challenge_name)
                    .and_then(|v| AuthHeader::parse(v).ok())
                    .filter(|c| authorize(c, creds, "REGISTER", &uri, cnonce, 1).is_ok());
                match usable {
                    Some(challenge) => {
                        self.challenges += 1;
                        self.challenge = Some(Challenge {
                            header: answer_name,
                            challenge,
                            cnonce: cnonce.to_owned(),
                            nc: 0,
                        });
                        Outcome::Resend
                    }
                    None => self.fail(resp.status, now),
                }
            }
            423 => match resp
                .headers
                .get("Min-Expires")
                .and_then(|v| v.trim().parse().ok())
            {
                Some(min) if min > self.expires => {
                    self.expires = min;
                    Outcome::Resend
                }
                _ => self.fail(423, now),
            },
            status => self.fail(status, now),
        }
    }

    /// Records a failure (including 408 for a transaction timeout) and schedules a retry.
    pub(crate) fn fail(&mut self, status: u16, now: u64) -> Outcome {
        self.tx = None;
        self.challenges = 0;
        self.challenge = None;
        self.refresh_at = (self.expires > 0).then_some(now + RETRY_AFTER_FAILURE_MS);
        Outcome::Failed { status }
    }
}

/// The lifetime the registrar granted: our Contact's `expires` parameter, else Expires.
fn granted_expires(resp: &Response) -> Option<u32> {
    let from_contact = resp.headers.contacts().ok().flatten().and_then(|c| {
        c.first()
            .and_then(|c| c.params.value("expires").and_then(|e| e.parse().ok()))
    });
    from_contact.or_else(|| resp.headers.expires().ok().flatten())
}
