//! Hotline's flows: the document format, its validation and IVR-design linting, and the
//! sans-IO interpreter that runs a flow on any channel. No IO, no clock, no randomness:
//! time is passed in as Unix milliseconds.
//!
//! The way through the crate: text is read with [`parse_auto`] (or [`parse_yaml`],
//! [`parse_json`]) into a [`FlowDocument`]; [`check`] lists every error and warning;
//! [`Flow::compile`] turns a valid document into a shareable [`Flow`]; an [`Engine`] runs
//! conversations on it, one [`Input`] at a time, returning [`Effect`]s for the shell to
//! carry out; [`run_tests`] runs the test conversations a flow carries.

#![warn(missing_docs)]

mod calendar;
pub mod compile;
pub mod diagnostic;
pub mod engine;
pub mod format;
mod greeting;
pub mod interpret;
pub mod matcher;
mod node_cx;
mod nodes;
pub mod parse;
pub mod schema;
pub mod simulate;
mod step;
pub mod template;
pub mod testing;
pub mod validate;

pub use calendar::BusinessHours;
pub use compile::Flow;
pub use diagnostic::{Diagnostic, Severity};
pub use engine::*;
pub use format::*;
pub use greeting::is_greeting;
pub use interpret::Engine;
pub use matcher::{KeywordMatcher, NoIntents};
pub use parse::{parse_auto, parse_json, parse_yaml, to_yaml};
pub use testing::{TestOutcome, run_tests};
pub use validate::{check, lint, validate};
