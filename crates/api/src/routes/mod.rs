//! The `/api/v1` routes, one module per resource.

pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod contact;
pub(crate) mod drafts;
pub(crate) mod flows;
pub(crate) mod history;
pub(crate) mod phone_numbers;
pub(crate) mod phones;
pub(crate) mod privacy;
pub(crate) mod prompts;
pub(crate) mod proxy;
pub(crate) mod tenant;
pub(crate) mod users;
