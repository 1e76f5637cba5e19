//! The flow crate's integration tests: one binary, one module per area.

mod channel_texts;
mod flow_tests;
mod interpret_input;
mod interpret_nodes;
mod lints;
mod matcher;
mod nlu_vars;
mod parser;
mod props;
mod schema;
mod simulate;
mod state;
mod support;
mod validation;
