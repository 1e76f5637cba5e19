//! Who is making a request, once authenticated, and the one place permissions are checked.

use domain::{
    ActorKind, ApiKeyId, AuditAction, AuditEvent, AuthMethod, Outcome, Role, TenantId, UserId,
};
use security::rbac::{self, Permission};

use crate::{AppError, AppResult, RequestMeta};

/// How the principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A signed-in staff member.
    User {
        /// The user.
        user_id: UserId,
        /// Hash of the session secret, to end this very session.
        session_hash: String,
    },
    /// An API key.
    ApiKey {
        /// The key.
        key_id: ApiKeyId,
        /// The current role of the user who created the key (`None` for a key made on the
        /// command line): the key never does more than its creator may do now.
        creator_role: Option<Role>,
    },
}

/// An authenticated actor within one tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The tenant everything this principal does is scoped to.
    pub tenant_id: TenantId,
    /// User or API key.
    pub kind: PrincipalKind,
    /// The role deciding permissions.
    pub role: Role,
    /// How it authenticated.
    pub auth_method: AuthMethod,
    /// Where the request came from.
    pub meta: RequestMeta,
}

impl Principal {
    /// Refuses with `Forbidden` unless the role allows `permission` (and, for an API key, its
    /// creator's current role too).
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        let ceiling = match &self.kind {
            PrincipalKind::ApiKey {
                creator_role: Some(creator),
                ..
            } => rbac::allows(*creator, permission),
            _ => true,
        };
        if ceiling && rbac::allows(self.role, permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The user id, when a user (not an API key) acts.
    pub fn user_id(&self) -> Option<UserId> {
        match &self.kind {
            PrincipalKind::User { user_id, .. } => Some(*user_id),
            PrincipalKind::ApiKey { .. } => None,
        }
    }

    /// An audit event with this principal as the actor, acting on the object `object_id` of
    /// the kind the action names.
    pub fn event(&self, action: AuditAction, object_id: String, outcome: Outcome) -> AuditEvent {
        let (actor_kind, actor_id) = match &self.kind {
            PrincipalKind::User { user_id, .. } => (ActorKind::User, user_id.to_string()),
            PrincipalKind::ApiKey { key_id, .. } => (ActorKind::ApiKey, key_id.to_string()),
        };
        AuditEvent {
            actor_kind,
            actor_id: Some(actor_id),
            auth_method: self.auth_method,
            source_ip: self.meta.source_ip.clone(),
            request_id: self.meta.request_id,
            action: action.as_str().to_owned(),
            object_type: Some(action.object_type().to_owned()),
            object_id: Some(object_id),
            outcome,
        }
    }
}
