//! The store's keyring: the root key the server unlocked the store with, and the tenant keys
//! it has unwrapped so far. The statements that read and write keys are in `sql::keys`; the
//! cryptography is `security::crypto`.
//!
//! What is sealed, and where (the `kind`, object and field of each value's associated data):
//!
//! | column | kind | object | field |
//! |---|---|---|---|
//! | `conversations.state` | `conversation` | conversation id | `state` |
//! | `messages.body` | `conversation` | conversation id | `message:SEQ` |
//! | `queue_entries.context` | `conversation` | conversation id | `context` |
//! | `cc_tasks.record` | `conversation` | conversation id | `task:ID` |
//! | `cc_notes.body` | `conversation` | conversation id | `note:ID` |
//! | `users.totp_secret` | `user` | user id | `totp_secret` |
//! | recording files (app) | `recording` | recording id | `content` |
//! | `conversation_contacts.address` | `conversation` | conversation id | `address` |
//! | `proxy_participants.address` | `conversation` | conversation id | `proxy_address:SESSION:ROLE` |
//! | `audit_log.source_ip` | `audit` | the entry's month, `YYYY-MM` | `source_ip:ENTRY ID` |
//!
//! Pseudonyms (`conversation_contacts.contact`, and source addresses under the pseudonymised
//! mode) are HMACs under the tenant's `pseudonym` key.

use std::collections::HashMap;
use std::sync::Mutex;

use security::crypto::{self, Aad, Key, NONCE_BYTES};

use crate::{Result, StoreError};

/// The kinds of object that own a data key.
pub mod kind {
    /// A conversation: its state, transcript, hand-over context, tasks and notes.
    pub const CONVERSATION: &str = "conversation";
    /// A user: the TOTP seed.
    pub const USER: &str = "user";
    /// A recording (voicemail): the audio.
    pub const RECORDING: &str = "recording";
    /// The tenant's pseudonym key (object [`PSEUDONYMS`](super::PSEUDONYMS)): the HMAC key of
    /// callers' and source addresses' pseudonyms. Rotation re-wraps it, so pseudonyms stay
    /// stable.
    pub const PSEUDONYM: &str = "pseudonym";
    /// A month of the audit log (object `YYYY-MM`): the entries' source addresses. Deleting it
    /// when the audit-metadata retention ends shreds them; the entries and their chain stay.
    pub const AUDIT: &str = "audit";
}

/// The object id of a tenant's one pseudonym key.
pub const PSEUDONYMS: &str = "pseudonyms";

/// The root key and the tenant keys unwrapped with it.
pub(crate) struct Vault {
    root: Key,
    tenant_keys: Mutex<HashMap<(String, i64), Key>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    pub(crate) fn new(root: Key) -> Self {
        Self {
            root,
            tenant_keys: Mutex::default(),
        }
    }

    pub(crate) fn root(&self) -> &Key {
        &self.root
    }

    /// A tenant key unwrapped before.
    pub(crate) fn cached(&self, tenant: &str, version: i64) -> Option<Key> {
        self.tenant_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(tenant.to_owned(), version))
            .cloned()
    }

    /// Unwraps a stored tenant key and keeps it.
    pub(crate) fn unwrap_tenant_key(
        &self,
        tenant: &str,
        version: i64,
        wrapped: &[u8],
    ) -> Result<Key> {
        let key = crypto::unwrap_key(&self.root, &Aad::tenant_key(tenant, version), wrapped)
            .map_err(|_| StoreError::Undecryptable {
                what: "tenant key",
                object: format!("{tenant} v{version}"),
            })?;
        self.tenant_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((tenant.to_owned(), version), key.clone());
        Ok(key)
    }

    /// Forgets every cached key of a tenant (after a rotation removed old versions).
    pub(crate) fn forget_tenant(&self, tenant: &str) {
        self.tenant_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(t, _), _| t != tenant);
    }
}

/// A fresh random key.
pub(crate) fn random_key() -> Result<Key> {
    let mut bytes = [0u8; crypto::KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    let key = Key::from_bytes(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(key)
}

/// A fresh random nonce.
pub(crate) fn nonce() -> Result<[u8; NONCE_BYTES]> {
    let mut bytes = [0u8; NONCE_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    Ok(bytes)
}

/// An object's data key, ready to seal and open its fields.
#[derive(Debug, Clone)]
pub(crate) struct ObjectKey {
    pub(crate) tenant: String,
    pub(crate) kind: &'static str,
    pub(crate) object: String,
    pub(crate) key: Key,
}

impl ObjectKey {
    fn aad(&self, field: &str) -> Aad {
        Aad::value(&self.tenant, self.kind, &self.object, field)
    }

    /// Seals one text field of the object.
    pub(crate) fn seal(&self, field: &str, plaintext: &str) -> Result<String> {
        Ok(crypto::seal_text(
            &self.key,
            nonce()?,
            &self.aad(field),
            plaintext,
        ))
    }

    /// Opens one text field of the object; anything that does not open is an error for this
    /// object (never passed through as plaintext).
    pub(crate) fn open(&self, field: &str, sealed: &str) -> Result<String> {
        crypto::open_text(&self.key, &self.aad(field), sealed).map_err(|_| {
            StoreError::Undecryptable {
                what: self.kind,
                object: self.object.clone(),
            }
        })
    }

    /// Seals bytes (a file's content).
    pub(crate) fn seal_bytes(&self, field: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        Ok(crypto::seal(
            &self.key,
            nonce()?,
            &self.aad(field),
            plaintext,
        ))
    }

    /// Opens bytes sealed by [`ObjectKey::seal_bytes`].
    pub(crate) fn open_bytes(&self, field: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        crypto::open(&self.key, &self.aad(field), sealed).map_err(|_| StoreError::Undecryptable {
            what: self.kind,
            object: self.object.clone(),
        })
    }
}
