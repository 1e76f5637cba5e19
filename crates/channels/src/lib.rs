//! Shells that implement the ports `app` defines for talking to the outside world. Today:
//! the HTTP client behind flows' `http_request` nodes.

mod http_client;

pub use http_client::{FlowHttpClient, destination, is_public_ip};
