//! Identifiers of agents, queues and tasks: opaque strings chosen by the caller (the shell maps
//! them to its user, queue and conversation ids), kept apart by type so one cannot be passed
//! where another is meant. The text is shared (`Arc<str>`): the router keeps an id in several
//! orders and in every event, and a copy is a reference count, not an allocation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Wraps the caller's identifier.
            pub fn new(id: impl Into<String>) -> Self {
                Self(Arc::from(id.into()))
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

        /// As the plain string.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
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
