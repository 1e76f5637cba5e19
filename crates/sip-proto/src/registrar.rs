//! The registrar's side of REGISTER (RFC 3261 §10.3): a request as the registrar sees it
//! ([`RegisterRequest`], handed out as [`UaEvent::Register`](crate::call::UaEvent::Register))
//! and the answers it may give ([`RegisterAnswer`]: a digest challenge, the bindings now in
//! force, 423 or a refusal), which [`UserAgent::answer_register`](crate::ua::UserAgent::answer_register)
//! sends. What
//! to accept — whose credentials, which bindings, for how long — is the shell's decision: it
//! knows the accounts and keeps the bindings. Nothing here reads a clock or a random source;
//! the nonce of a challenge comes from the caller.

use std::net::SocketAddr;

use crate::endpoint::TransactionId;
use crate::typed::{AuthHeader, Transport};
use crate::uri::Uri;

/// One Contact of a REGISTER: where the user can be reached, for how long.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactBinding {
    pub uri: Uri,
    /// The Contact's own `expires` parameter, which overrides the Expires header.
    pub expires: Option<u32>,
}

impl std::fmt::Debug for ContactBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactBinding")
            .field("uri", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// A REGISTER for us. Answer it with
/// [`UserAgent::answer_register`](crate::ua::UserAgent::answer_register); its `Debug` hides the
/// addresses (a phone's contact and source address are personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// The server transaction to answer on.
    pub tx: TransactionId,
    /// The address of record (the To header's URI).
    pub aor: Uri,
    /// The Contacts to bind; `None` for `Contact: *` (remove every binding); empty for a
    /// query of the bindings.
    pub contacts: Option<Vec<ContactBinding>>,
    /// The Expires header.
    pub expires: Option<u32>,
    /// Digest credentials, for [`crate::auth::verify_ha1`] with method REGISTER.
    pub authorization: Option<AuthHeader>,
    /// Where the request came from (the address to reach the phone at, behind a NAT too).
    pub source: SocketAddr,
    /// How it came.
    pub transport: Transport,
}

impl RegisterRequest {
    /// The user part of the address of record: the account that registers.
    pub fn user(&self) -> Option<String> {
        self.aor.as_sip().and_then(|u| u.user_unescaped())
    }

    /// The lifetime asked for one Contact: its `expires` parameter, else the Expires header,
    /// else `default`.
    pub fn expires_of(&self, contact: &ContactBinding, default: u32) -> u32 {
        contact.expires.or(self.expires).unwrap_or(default)
    }
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("tx", &self.tx)
            .field("aor", &"<redacted>")
            .field("contacts", &self.contacts.as_ref().map(Vec::len))
            .field("expires", &self.expires)
            .field("authorization", &self.authorization.is_some())
            .field("source", &"<redacted>")
            .field("transport", &self.transport)
            .finish()
    }
}

/// How the registrar answers a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterAnswer {
    /// 401 with a digest challenge (`stale`: the credentials were right but the nonce is no
    /// longer valid, so the phone retries without asking its user, RFC 2617 §3.2.1).
    Challenge {
        realm: String,
        nonce: String,
        stale: bool,
    },
    /// 200 listing the bindings now in force, each with its remaining lifetime in seconds.
    Bindings(Vec<(Uri, u32)>),
    /// 423: the lifetime asked for is shorter than `min_expires` seconds.
    IntervalTooBrief { min_expires: u32 },
    /// A refusal: 400, 403, 404, 503, …
    Refuse(u16),
}
