//! Hotline's security primitives: password policy and hashing, TOTP second factors, backup
//! codes, bearer tokens, role-based permissions, the tamper-evident audit chain and a
//! sign-in rate limiter.
//!
//! This crate is a sans-IO core. It never reads the clock, never draws random numbers and
//! never touches the network or the disk: the caller passes in the current time and the
//! random bytes it needs, and stores whatever comes out. The one exception is the salt of a
//! password hash, which `argon2` draws itself. Keeping the rest deterministic is what lets
//! every rule here be tested with fixed clocks and fixed bytes.

pub mod alphabet;
pub mod audit;
pub mod backup_codes;
pub mod crypto;
pub mod password;
pub mod ratelimit;
pub mod rbac;
pub mod token;
pub mod totp;
pub mod webhook;

pub use password::PasswordHash;

/// Hashing a password or backup code failed inside Argon2 (for example the system's random
/// source, which supplies the salt, was unavailable). The text is for logs, not for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {reason}")]
pub struct HashError {
    reason: String,
}

impl HashError {
    pub(crate) fn new(reason: impl std::fmt::Display) -> Self {
        Self {
            reason: reason.to_string(),
        }
    }
}
