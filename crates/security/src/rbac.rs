//! Role-based access control: the one place that decides what each role may do.
//!
//! Handlers ask [`allows`] with the caller's role and the [`Permission`] the operation needs;
//! nothing else in Hotline compares roles. The decision is a table written out in full, one
//! row per permission, so adding a permission fails to compile until someone decides which
//! roles get it, and the test at the bottom prints the whole matrix so every change shows up
//! in review.

use std::fmt;
use std::str::FromStr;

use domain::Role;
use serde::{Serialize, Serializer};

/// Something a caller may be allowed to do within their tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// List and view staff accounts.
    UsersRead,
    /// Create, change, disable staff accounts and reset their credentials.
    UsersManage,
    /// End other people's sessions.
    SessionsManage,
    /// List API keys (never their secrets).
    ApiKeysRead,
    /// Create and revoke API keys.
    ApiKeysManage,
    /// Read the audit log.
    AuditRead,
    /// Verify the audit chain.
    AuditVerify,
    /// See the tenant's name and settings summary.
    TenantRead,
    /// Change channels, retention and other configuration.
    ConfigManage,
    /// View conversation flows.
    FlowsRead,
    /// Create, edit and publish flows.
    FlowsManage,
    /// Take and answer conversations.
    ConversationsHandle,
    /// Read conversation history.
    ConversationsRead,
    /// Watch queues and agents, and intervene.
    QueuesSupervise,
    /// Read transcripts of conversations.
    TranscriptsRead,
    /// Listen to call recordings.
    RecordingsRead,
    /// Read a contact's phone number or WhatsApp id in clear (audited each time).
    ContactAddressesRead,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 17] = [
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::SessionsManage,
        Permission::ApiKeysRead,
        Permission::ApiKeysManage,
        Permission::AuditRead,
        Permission::AuditVerify,
        Permission::TenantRead,
        Permission::ConfigManage,
        Permission::FlowsRead,
        Permission::FlowsManage,
        Permission::ConversationsHandle,
        Permission::ConversationsRead,
        Permission::QueuesSupervise,
        Permission::TranscriptsRead,
        Permission::RecordingsRead,
        Permission::ContactAddressesRead,
    ];

    /// The stable dotted name used in JSON, logs and error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users_read",
            Permission::UsersManage => "users_manage",
            Permission::SessionsManage => "sessions_manage",
            Permission::ApiKeysRead => "api_keys_read",
            Permission::ApiKeysManage => "api_keys_manage",
            Permission::AuditRead => "audit_read",
            Permission::AuditVerify => "audit_verify",
            Permission::TenantRead => "tenant_read",
            Permission::ConfigManage => "config_manage",
            Permission::FlowsRead => "flows_read",
            Permission::FlowsManage => "flows_manage",
            Permission::ConversationsHandle => "conversations_handle",
            Permission::ConversationsRead => "conversations_read",
            Permission::QueuesSupervise => "queues_supervise",
            Permission::TranscriptsRead => "transcripts_read",
            Permission::RecordingsRead => "recordings_read",
            Permission::ContactAddressesRead => "contact_addresses_read",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission name that is not one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission")]
pub struct UnknownPermission;

impl FromStr for Permission {
    type Err = UnknownPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(UnknownPermission)
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Whether `role` holds `permission`.
pub const fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role::{Admin, Agent, Auditor, Integrator, Supervisor};
    match permission {
        P::UsersRead => matches!(role, Admin | Supervisor | Auditor),
        P::UsersManage => matches!(role, Admin),
        P::SessionsManage => matches!(role, Admin),
        P::ApiKeysRead => matches!(role, Admin | Auditor),
        P::ApiKeysManage => matches!(role, Admin),
        P::AuditRead => matches!(role, Admin | Auditor),
        P::AuditVerify => matches!(role, Admin | Auditor),
        P::TenantRead => matches!(role, Admin | Supervisor | Agent | Auditor | Integrator),
        P::ConfigManage => matches!(role, Admin),
        P::FlowsRead => matches!(role, Admin | Supervisor | Agent | Integrator),
        P::FlowsManage => matches!(role, Admin | Integrator),
        P::ConversationsHandle => matches!(role, Admin | Supervisor | Agent),
        P::ConversationsRead => matches!(role, Admin | Supervisor | Integrator),
        P::QueuesSupervise => matches!(role, Admin | Supervisor),
        P::TranscriptsRead => matches!(role, Admin | Supervisor),
        P::RecordingsRead => matches!(role, Admin | Supervisor),
        P::ContactAddressesRead => matches!(role, Admin | Supervisor),
    }
}

/// Every permission `role` holds, in [`Permission::ALL`] order.
pub fn permissions(role: Role) -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| allows(role, *p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix as text: one row per permission, `x` where the role holds it.
    fn matrix() -> String {
        let mut out = format!("{:<22}", "permission");
        for role in Role::ALL {
            out.push_str(&format!(" {:<10}", role.as_str()));
        }
        out = out.trim_end().to_owned();
        out.push('\n');
        for permission in Permission::ALL {
            let mut row = format!("{:<22}", permission.as_str());
            for role in Role::ALL {
                let mark = if allows(role, permission) { "x" } else { "." };
                row.push_str(&format!(" {mark:<10}"));
            }
            out.push_str(row.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_permission_matrix() {
        let expected = "\
permission             admin      supervisor agent      auditor    integrator
users_read             x          x          .          x          .
users_manage           x          .          .          .          .
sessions_manage        x          .          .          .          .
api_keys_read          x          .          .          x          .
api_keys_manage        x          .          .          .          .
audit_read             x          .          .          x          .
audit_verify           x          .          .          x          .
tenant_read            x          x          x          x          x
config_manage          x          .          .          .          .
flows_read             x          x          x          .          x
flows_manage           x          .          .          .          x
conversations_handle   x          x          x          .          .
conversations_read     x          x          .          .          x
queues_supervise       x          x          .          .          .
transcripts_read       x          x          .          .          .
recordings_read        x          x          .          .          .
contact_addresses_read x          x          .          .          .
";
        assert_eq!(matrix(), expected, "\nactual matrix:\n{}", matrix());
    }

    #[test]
    fn admin_holds_everything() {
        assert_eq!(permissions(Role::Admin), Permission::ALL.to_vec());
    }

    #[test]
    fn role_summaries() {
        use Permission as P;
        assert_eq!(
            permissions(Role::Agent),
            vec![P::TenantRead, P::FlowsRead, P::ConversationsHandle]
        );
        assert_eq!(
            permissions(Role::Auditor),
            vec![
                P::UsersRead,
                P::ApiKeysRead,
                P::AuditRead,
                P::AuditVerify,
                P::TenantRead
            ]
        );
        assert_eq!(
            permissions(Role::Integrator),
            vec![
                P::TenantRead,
                P::FlowsRead,
                P::FlowsManage,
                P::ConversationsRead
            ]
        );
        // The auditor changes nothing.
        assert!(
            permissions(Role::Auditor)
                .iter()
                .all(|p| !p.as_str().ends_with(".manage"))
        );
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(permission.as_str().parse::<Permission>(), Ok(permission));
        }
        let mut names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
        assert_eq!("Users.Read".parse::<Permission>(), Err(UnknownPermission));
    }
}
