//! The published JSON Schema of the flow format (draft 2020-12), generated from the types in
//! [`crate::format`] so it can never drift from what the parser accepts. Editors use it
//! for completion in YAML and JSON; the TypeScript types of the web editor are generated
//! from it.

use serde_json::{Value, json};

use crate::format::FlowDocument;

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "urn:hotline:flow:1";

/// The JSON Schema of a flow document.
pub fn json_schema() -> Value {
    let mut schema = schemars::schema_for!(FlowDocument);
    schema.insert("$id".to_owned(), json!(SCHEMA_ID));
    schema.insert("title".to_owned(), json!("Hotline flow"));
    schema.insert(
        "description".to_owned(),
        json!("A Hotline flow (format version 1): nodes and transitions for IVR menus and chatbot dialogs, run on chat, SMS and phone."),
    );
    schema.to_value()
}
