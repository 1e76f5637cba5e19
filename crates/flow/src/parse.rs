//! Reading flow documents from YAML or JSON text, reporting as many problems as possible at
//! once.
//!
//! The text is first read into a generic JSON value (YAML too), so a syntax error gives one
//! diagnostic with its line and column. Then the top level is checked key by key, and every
//! node, intent, calendar and test is read on its own: a document with three broken nodes
//! gives three diagnostics, each with the node's path and id and serde's reason (unknown
//! field, unknown node type, missing field, wrong type). Nothing here panics on any input.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::diagnostic::{self, Diagnostic, codes};
use crate::format::{Calendar, FORMAT_VERSION, FlowDocument, FlowTest, IntentDef, Node, scalar};

/// The largest document accepted, in bytes (1 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// The top-level keys of a flow document, and whether each is required.
const TOP_LEVEL: &[(&str, bool)] = &[
    ("flow", true),
    ("id", true),
    ("name", true),
    ("language", true),
    ("languages", false),
    ("start", true),
    ("fallback", false),
    ("variables", false),
    ("intents", false),
    ("calendars", false),
    ("nodes", true),
    ("tests", false),
];

/// Reads a flow written in YAML.
pub fn parse_yaml(text: &str) -> Result<FlowDocument, Vec<Diagnostic>> {
    check_size(text)?;
    let invalid = |e: String| {
        vec![Diagnostic::error(
            codes::PARSE,
            "",
            format!("invalid YAML: {e}"),
        )]
    };
    let mut yaml: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
    yaml.apply_merge().map_err(|e| invalid(e.to_string()))?;
    from_value(yaml_to_json(yaml).map_err(invalid)?)
}

/// Writes a document as YAML that [`parse_yaml`] reads back: conditions come out as
/// mappings (`{intent: book}`), as people write them, not as YAML tags.
pub fn to_yaml(doc: &FlowDocument) -> String {
    let value = serde_json::to_value(doc).unwrap_or(Value::Null);
    // A JSON value always has text keys, so this cannot fail; JSON is valid YAML besides.
    serde_norway::to_string(&value).unwrap_or_else(|_| value.to_string())
}

/// Converts a YAML value to JSON. YAML tags (`!intent book`, which serde's YAML writer
/// produces for enums) become one-key mappings (`{intent: book}`); number and boolean
/// keys become text.
fn yaml_to_json(value: serde_norway::Value) -> Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(u)) => Value::from(u),
            (None, None) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        },
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (key, value) in entries {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => {
                        return Err(
                            "a mapping key must be a name, not a list, mapping or null".to_owned()
                        );
                    }
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.strip_prefix('!').unwrap_or(&tag).to_owned();
            Value::Object(Map::from_iter([(name, yaml_to_json(tagged.value)?)]))
        }
    })
}

/// Reads a flow written in JSON.
pub fn parse_json(text: &str) -> Result<FlowDocument, Vec<Diagnostic>> {
    check_size(text)?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Diagnostic::error(
            codes::PARSE,
            "",
            format!("invalid JSON: {e}"),
        )]
    })?;
    from_value(value)
}

/// Reads a flow in either format: by the file name's extension (`.json`, `.yaml`, `.yml`)
/// when there is one, else JSON when the text starts with `{`, else YAML.
pub fn parse_auto(
    text: &str,
    file_name_hint: Option<&str>,
) -> Result<FlowDocument, Vec<Diagnostic>> {
    let ext = file_name_hint
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => parse_json(text),
        Some("yaml" | "yml") => parse_yaml(text),
        _ if text.trim_start().starts_with('{') => parse_json(text),
        _ => parse_yaml(text),
    }
}

fn check_size(text: &str) -> Result<(), Vec<Diagnostic>> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(vec![Diagnostic::error(
            codes::PARSE,
            "",
            format!(
                "the document has {} bytes; flows are limited to 1 MiB ({MAX_DOCUMENT_BYTES} bytes)",
                text.len()
            ),
        )]);
    }
    Ok(())
}

/// Turns a generic value into a document, collecting every problem found.
pub(crate) fn from_value(value: Value) -> Result<FlowDocument, Vec<Diagnostic>> {
    let Value::Object(mut top) = value else {
        return Err(vec![Diagnostic::error(
            codes::PARSE,
            "",
            format!(
                "a flow must be a mapping with the keys flow, id, name, language, start and nodes, not {}",
                kind_of(&value)
            ),
        )]);
    };
    let mut diags = Vec::new();
    for key in top.keys() {
        if !TOP_LEVEL.iter().any(|(k, _)| k == key) {
            let expected: Vec<&str> = TOP_LEVEL.iter().map(|(k, _)| *k).collect();
            diags.push(Diagnostic::error(
                codes::PARSE,
                key.clone(),
                format!(
                    "unknown field `{key}`, expected one of {}",
                    expected.join(", ")
                ),
            ));
        }
    }
    for (key, required) in TOP_LEVEL {
        if *required && !top.contains_key(*key) {
            diags.push(Diagnostic::error(
                codes::PARSE,
                *key,
                format!("missing field `{key}`"),
            ));
        }
    }
    check_field::<u32>(&top, "flow", &mut diags);
    for key in ["id", "name", "language", "start"] {
        check_field::<String>(&top, key, &mut diags);
    }
    check_field::<Vec<String>>(&top, "languages", &mut diags);
    check_field::<Option<String>>(&top, "fallback", &mut diags);
    if let Some(vars) = top.get("variables")
        && let Err(e) = scalar::map(vars)
    {
        diags.push(Diagnostic::error(codes::PARSE, "variables", e.to_string()));
    }
    check_map::<IntentDef>(&top, "intents", &mut diags);
    check_map::<Calendar>(&top, "calendars", &mut diags);
    let nodes = read_list::<Node>(top.remove("nodes"), "nodes", "node", &mut diags);
    let tests = read_list::<FlowTest>(top.remove("tests"), "tests", "test", &mut diags);

    if !diags.is_empty() {
        explain_version(&top, &mut diags);
        diagnostic::sort(&mut diags);
        return Err(diags);
    }
    top.insert("nodes".to_owned(), Value::Array(Vec::new()));
    let mut doc: FlowDocument = serde_json::from_value(Value::Object(top))
        .map_err(|e| vec![Diagnostic::error(codes::PARSE, "", e.to_string())])?;
    doc.nodes = nodes;
    doc.tests = tests;
    Ok(doc)
}

fn check_field<T: DeserializeOwned>(
    top: &Map<String, Value>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(value) = top.get(key)
        && let Err(e) = T::deserialize(value)
    {
        diags.push(Diagnostic::error(codes::PARSE, key, e.to_string()));
    }
}

/// Checks a map of named entries (`intents`, `calendars`) entry by entry.
fn check_map<T: DeserializeOwned>(
    top: &Map<String, Value>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) {
    match top.get(key) {
        None => {}
        Some(Value::Object(entries)) => {
            for (name, entry) in entries {
                if let Err(e) = T::deserialize(entry) {
                    diags.push(Diagnostic::error(
                        codes::PARSE,
                        format!("{key}.{name}"),
                        e.to_string(),
                    ));
                }
            }
        }
        Some(other) => diags.push(Diagnostic::error(
            codes::PARSE,
            key,
            format!(
                "expected a mapping of names to entries, not {}",
                kind_of(other)
            ),
        )),
    }
}

/// Reads a list (`nodes`, `tests`) element by element; broken elements give diagnostics.
fn read_list<T: DeserializeOwned>(
    value: Option<Value>,
    key: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<T> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            diags.push(Diagnostic::error(
                codes::PARSE,
                key,
                format!("expected a list, not {}", kind_of(&other)),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match T::deserialize(item) {
            Ok(v) => out.push(v),
            Err(e) => {
                let message = match item {
                    Value::Object(_) => e.to_string(),
                    other => format!("expected a {what} (a mapping), not {}", kind_of(other)),
                };
                let mut d = Diagnostic::error(codes::PARSE, format!("{key}[{i}]"), message);
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    d = d.with_node(id);
                } else if let Some(name) = item
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|_| key == "tests")
                {
                    d.message = format!("test {name:?}: {}", d.message);
                }
                diags.push(d);
            }
        }
    }
    out
}

/// When a document does not read and says it is another format version, that is likely
/// why: say so.
fn explain_version(top: &Map<String, Value>, diags: &mut Vec<Diagnostic>) {
    if let Some(v) = top.get("flow").and_then(Value::as_u64)
        && v != u64::from(FORMAT_VERSION)
    {
        diags.push(Diagnostic::error(
            codes::FORMAT_VERSION,
            "flow",
            format!(
                "format version {v} is not supported; this Hotline reads version {FORMAT_VERSION}"
            ),
        ));
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FlowDocument, FlowTest, Say, TestStep, Text};

    /// The parser's list of top-level keys must stay in step with `FlowDocument`.
    #[test]
    fn top_level_keys_match_the_document_type() {
        let doc = FlowDocument {
            flow: 1,
            id: "x".into(),
            name: "x".into(),
            language: "en".into(),
            languages: vec!["en".into()],
            start: "a".into(),
            fallback: Some("a".into()),
            variables: [("k".to_owned(), "v".to_owned())].into(),
            intents: [("i".to_owned(), IntentDef::default())].into(),
            calendars: [(
                "c".to_owned(),
                Calendar {
                    time_zone: "UTC".into(),
                    hours: Default::default(),
                    holidays: vec![],
                },
            )]
            .into(),
            nodes: vec![Node::Say(Say {
                id: "a".into(),
                text: Some(Text::Plain("hi".into())),
                audio: None,
                voice: None,
                next: "a".into(),
            })],
            tests: vec![FlowTest {
                name: "t".into(),
                language: None,
                channel: None,
                at: None,
                variables: Default::default(),
                steps: vec![TestStep::default()],
                end: None,
            }],
        };
        let value = serde_json::to_value(&doc).unwrap_or_default();
        let keys: Vec<&str> = value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected: Vec<&str> = TOP_LEVEL.iter().map(|(k, _)| *k).collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(from_value(value), Ok(doc));
    }
}
