//! Training and test data: JSON Lines with one `{"text": …, "intent": …}` object per line.

use serde::Deserialize;

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// What the caller said or wrote.
    pub text: String,
    /// The intent it expresses (the out-of-scope label, e.g. `oos`, is an intent here too).
    pub intent: String,
}

/// A problem in a JSON Lines data file, with the 1-based line where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The line is not a JSON object.
    #[error("line {line}: malformed JSON: {message}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A required field is missing or not a string.
    #[error("line {line}: missing or non-string field `{field}`")]
    MissingField {
        /// 1-based line number.
        line: usize,
        /// The field's name.
        field: &'static str,
    },
    /// The text or intent is empty (or only whitespace).
    #[error("line {line}: empty `{field}`")]
    Empty {
        /// 1-based line number.
        line: usize,
        /// The field's name.
        field: &'static str,
    },
}

impl DataError {
    /// The 1-based line number of the problem.
    pub fn line(&self) -> usize {
        match self {
            Self::Malformed { line, .. }
            | Self::MissingField { line, .. }
            | Self::Empty { line, .. } => *line,
        }
    }
}

#[derive(Deserialize)]
struct Line {
    text: Option<serde_json::Value>,
    intent: Option<serde_json::Value>,
}

/// Parses JSON Lines data. Blank lines are skipped; other fields (`split`, `slots`, …) are
/// ignored. Fails at the first bad line, naming it.
pub fn parse_jsonl(text: &str) -> Result<Vec<Example>, DataError> {
    let mut examples = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(raw).map_err(|e| DataError::Malformed {
            line,
            message: e.to_string(),
        })?;
        let text = field(parsed.text, line, "text")?;
        let intent = field(parsed.intent, line, "intent")?;
        examples.push(Example { text, intent });
    }
    Ok(examples)
}

fn field(
    value: Option<serde_json::Value>,
    line: usize,
    field: &'static str,
) -> Result<String, DataError> {
    match value {
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => {
            Err(DataError::Empty { line, field })
        }
        Some(serde_json::Value::String(s)) => Ok(s),
        _ => Err(DataError::MissingField { line, field }),
    }
}
