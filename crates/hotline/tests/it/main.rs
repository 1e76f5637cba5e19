//! End-to-end tests of the `hotline` server: each test boots the real server on port 0 with
//! a fresh database and a manual clock, and drives it over HTTP as a client would. Tests of
//! the binary itself (first-start output, `audit verify`, signals) run the executable.

mod support;

mod agent_phone;
mod api_keys;
mod at_rest;
mod audit;
mod bad_input;
mod baresip;
mod binary;
mod call_back;
mod calls;
mod chat;
mod contact_centre;
mod drafts;
mod flows;
mod history;
mod https;
mod login;
mod messaging;
mod platform;
mod privacy;
mod prompts;
mod sessions;
mod smpp;
mod speech_servers;
mod ssrf;
mod tenancy;
mod voice;
