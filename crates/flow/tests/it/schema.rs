//! The published JSON Schema.

use flow::schema::{SCHEMA_ID, json_schema};
use serde_json::Value;

#[test]
fn the_schema_is_draft_2020_12_with_id_and_title() {
    let schema = json_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["$id"], SCHEMA_ID);
    assert_eq!(schema["$id"], "urn:hotline:flow:1");
    assert_eq!(schema["title"], "Hotline flow");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        required,
        ["flow", "id", "name", "language", "start", "nodes"]
    );
}

#[test]
fn the_schema_describes_every_node_kind_and_lenient_scalars() {
    let schema = json_schema();
    let text = schema.to_string();
    let node = &schema["$defs"]["Node"];
    let kinds: Vec<&str> = node["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|variant| variant["properties"]["type"]["const"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "say",
            "ask",
            "menu",
            "split",
            "set",
            "send_message",
            "http_request",
            "enqueue",
            "record",
            "transfer",
            "end",
            "subflow",
            "return"
        ],
        "{node}"
    );
    // `digit: 1` in YAML is a number: the schema must not reject it.
    let digit = &schema["$defs"]["MenuOption"]["properties"]["digit"];
    assert_eq!(
        digit["type"],
        serde_json::json!(["string", "number", "boolean", "null"]),
        "{digit}"
    );
    assert!(
        text.contains("Where to go after a 2xx response."),
        "doc comments become descriptions"
    );
}
