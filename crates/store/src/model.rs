//! The records the store keeps. Fields are domain types where the domain has one; secrets
//! appear only as hashes, except the TOTP seed, which must be readable to check codes (it is
//! encrypted with the tenant's key once the GDPR work lands).

use domain::{
    ApiKeyId, AuthMethod, DisplayName, Role, TenantId, TenantName, Timestamp, UserId, Username,
};

/// One organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Its name.
    pub name: TenantName,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A staff account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// The user's id.
    pub id: UserId,
    /// The login name, unique across the installation.
    pub username: Username,
    /// The name shown to colleagues.
    pub display_name: DisplayName,
    /// What the user may do.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Set for a generated one-time password: the next login must choose a new one.
    pub must_change_password: bool,
    /// Base32 TOTP seed, present from enrolment start.
    pub totp_secret: Option<String>,
    /// True once the user confirmed enrolment with a valid code.
    pub totp_enrolled: bool,
    /// The newest TOTP time step accepted; a code of this step or older is a replay.
    pub totp_last_step: Option<i64>,
    /// A disabled user cannot log in and has no sessions.
    pub disabled: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Time of the last change.
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes and the TOTP seed are left out on purpose.
        f.debug_struct("User")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("role", &self.role)
            .field("must_change_password", &self.must_change_password)
            .field("totp_enrolled", &self.totp_enrolled)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// How far a session has got through login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; a second factor (or a password change) is still due.
    Partial,
    /// Fully signed in.
    Full,
}

impl SessionStage {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionStage::Partial => "partial",
            SessionStage::Full => "full",
        }
    }
}

/// A server-side session. The cookie carries the secret; the store keeps only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The tenant of the session's user.
    pub tenant_id: TenantId,
    /// SHA-256 (hex) of the session secret.
    pub token_hash: String,
    /// Whose session it is.
    pub user_id: UserId,
    /// How far login has got.
    pub stage: SessionStage,
    /// How the user authenticated.
    pub auth_method: AuthMethod,
    /// The anti-CSRF token that state-changing requests must echo.
    pub csrf_token: String,
    /// When the session was created.
    pub created_at: Timestamp,
    /// The last request made with it (for the idle timeout).
    pub last_seen_at: Timestamp,
    /// Absolute end of the session.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("stage", &self.stage)
            .field("auth_method", &self.auth_method)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An API key. The secret is shown once at creation and only its hash is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The tenant the key acts for.
    pub tenant_id: TenantId,
    /// The key's id (public; part of the token).
    pub id: ApiKeyId,
    /// A name to recognise it by.
    pub name: DisplayName,
    /// What the key may do.
    pub role: Role,
    /// SHA-256 (hex) of the key's secret.
    pub secret_hash: String,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .field("role", &self.role)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A stored backup code (hashed).
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCode {
    /// Position 0..10 in the set.
    pub ordinal: i64,
    /// Argon2id PHC string of the code.
    pub code_hash: String,
}

impl std::fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupCode")
            .field("ordinal", &self.ordinal)
            .finish_non_exhaustive()
    }
}

/// What may change in a user's profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// A new display name.
    pub display_name: Option<DisplayName>,
    /// A new role.
    pub role: Option<Role>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
}
