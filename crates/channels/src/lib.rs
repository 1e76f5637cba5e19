//! Shells that implement the ports `app` defines for talking to the outside world: the HTTP
//! client behind flows' `http_request` nodes, and the senders of messaging providers.

mod http_client;
pub mod messaging;

pub use http_client::{FlowHttpClient, destination, is_public_ip};
