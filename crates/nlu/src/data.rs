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

/// Splits examples into `n` folds for cross-validation, stratified by intent: each intent's
/// examples are dealt out in file order, each intent starting at another fold, so every fold
/// holds out about `1/n` of every intent and the split is the same on every run. Per fold:
/// (training, held-out).
pub fn stratified_folds(examples: &[Example], n: usize) -> Vec<(Vec<Example>, Vec<Example>)> {
    let n = n.max(1);
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut offsets: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let fold_of: Vec<usize> = examples
        .iter()
        .map(|e| {
            let next = offsets.len();
            let offset = *offsets.entry(e.intent.as_str()).or_insert(next);
            let i = seen.entry(e.intent.as_str()).or_insert(0);
            *i += 1;
            (*i - 1 + offset) % n
        })
        .collect();
    (0..n)
        .map(|k| {
            let (held, kept): (Vec<_>, Vec<_>) =
                examples.iter().zip(&fold_of).partition(|(_, f)| **f == k);
            (
                kept.into_iter().map(|(e, _)| e.clone()).collect(),
                held.into_iter().map(|(e, _)| e.clone()).collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod fold_tests {
    use super::{Example, stratified_folds};

    fn example(text: &str, intent: &str) -> Example {
        Example {
            text: text.to_owned(),
            intent: intent.to_owned(),
        }
    }

    #[test]
    fn folds_hold_out_every_example_once_and_keep_every_intent_in_training() {
        let examples: Vec<_> = (0..12)
            .flat_map(|i| {
                [
                    example(&format!("a{i}"), "a"),
                    example(&format!("b{i}"), "b"),
                ]
            })
            .collect();
        let folds = stratified_folds(&examples, 4);
        assert_eq!(folds.len(), 4);
        let mut held: Vec<String> = folds
            .iter()
            .flat_map(|(_, te)| te.iter().map(|e| e.text.clone()))
            .collect();
        held.sort();
        let mut all: Vec<String> = examples.iter().map(|e| e.text.clone()).collect();
        all.sort();
        assert_eq!(held, all, "each example is held out exactly once");
        for (train, test) in &folds {
            assert_eq!((train.len(), test.len()), (18, 6));
            for intent in ["a", "b"] {
                assert_eq!(test.iter().filter(|e| e.intent == intent).count(), 3);
            }
            assert!(test.iter().all(|t| !train.contains(t)));
        }
    }
}
