//! Staff roles. What each role may do is decided in one place, `security::rbac`; this
//! module only names them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role held by a user or an API key within one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the tenant: users, keys, flows, channels, retention.
    Admin,
    /// Watches queues and agents, reads history.
    Supervisor,
    /// Answers callers.
    Agent,
    /// Reads the audit log and verifies it; changes nothing.
    Auditor,
    /// Connects other systems through the API.
    Integrator,
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role: expected one of admin, supervisor, agent, auditor, integrator")]
pub struct RoleParseError;

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Agent,
        Role::Auditor,
        Role::Integrator,
    ];

    /// The stable lower-case name used in storage, JSON and the CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
            Role::Integrator => "integrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(RoleParseError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert_eq!("Admin".parse::<Role>(), Err(RoleParseError));
        assert_eq!("root".parse::<Role>(), Err(RoleParseError));
    }
}
