//! Identifiers of agents, queues and tasks: opaque strings chosen by the caller (the shell maps
//! them to its user, queue and conversation ids), kept apart by type so one cannot be passed
//! where another is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps the caller's identifier.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as the caller gave it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id!(
    /// An agent (a human who answers tasks).
    AgentId
);
id!(
    /// A queue tasks wait in.
    QueueId
);
id!(
    /// A task: one contact waiting for, or being handled by, an agent.
    TaskId
);
