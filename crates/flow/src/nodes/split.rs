//! `split`: branch on the last intent, a pattern, a variable or the time of day. The first
//! branch whose condition holds wins; otherwise `default`.
//!
//! Comparisons are on text (`eq`, `ne`, `contains` case-insensitively) or on numbers (`lt`,
//! `gt`; a value that is not a number makes them false). `open` asks a calendar about the
//! time the shell passed in, in the calendar's own time zone.

use regex::Regex;

use crate::diagnostic::{Diagnostic, codes};
use crate::format::{CompareOp, Condition, Split};
use crate::node_cx::{NodeCx, Resolver};
use crate::step::{Next, Run};
use crate::template::Escape;

/// Compiled `split`.
#[derive(Debug)]
pub(crate) struct Links {
    branches: Vec<(Test, u32)>,
    default: u32,
}

/// A condition's compiled part; the rest is read from the document.
#[derive(Debug)]
enum Test {
    /// `intent` or `compare`.
    AsWritten,
    /// `regex`.
    Regex(Regex),
    /// `open`: the calendar's index.
    Open(u32),
}

pub(super) fn check(n: &Split, cx: &mut NodeCx<'_, '_>) {
    for (k, branch) in n.branches.iter().enumerate() {
        match &branch.when {
            Condition::Intent(intent) => cx.intent(&format!("branches[{k}].when.intent"), intent),
            Condition::Regex { pattern, .. } => {
                cx.regex(&format!("branches[{k}].when.regex.pattern"), pattern)
            }
            Condition::Open(calendar) if !cx.doc.calendars.contains_key(calendar) => {
                let declared: Vec<&str> = cx.doc.calendars.keys().map(String::as_str).collect();
                let declared = if declared.is_empty() {
                    "none".to_owned()
                } else {
                    declared.join(", ")
                };
                cx.error(
                    codes::UNKNOWN_CALENDAR,
                    &format!("branches[{k}].when.open"),
                    format_args!("the calendar {calendar:?} is not declared in `calendars` (declared: {declared})"),
                );
            }
            Condition::Open(_) | Condition::Compare { .. } => {}
        }
    }
}

pub(super) fn compile(n: &Split, r: &Resolver<'_>) -> Result<Links, Diagnostic> {
    let mut branches = Vec::with_capacity(n.branches.len());
    for (k, branch) in n.branches.iter().enumerate() {
        let test = match &branch.when {
            Condition::Intent(_) | Condition::Compare { .. } => Test::AsWritten,
            Condition::Regex { pattern, .. } => {
                Test::Regex(r.regex(&format!("branches[{k}].when.regex.pattern"), pattern)?)
            }
            Condition::Open(name) => {
                Test::Open(r.calendar(&format!("branches[{k}].when.open"), name)?)
            }
        };
        branches.push((test, r.node(&format!("branches[{k}].next"), &branch.next)?));
    }
    Ok(Links {
        branches,
        default: r.node("default", &n.default)?,
    })
}

pub(super) fn enter(run: &mut Run<'_>, n: &Split, links: &Links) -> Next {
    for ((test, next), branch) in links.branches.iter().zip(&n.branches) {
        if holds(run, &branch.when, test) {
            return Next::Node(*next);
        }
    }
    Next::Node(links.default)
}

fn holds(run: &Run<'_>, when: &Condition, test: &Test) -> bool {
    match (when, test) {
        (Condition::Intent(intent), _) => run.state.last_intent.as_deref() == Some(intent.as_str()),
        (Condition::Regex { var, .. }, Test::Regex(re)) => {
            let value = run
                .lookup(var.as_deref().unwrap_or("last_input"))
                .unwrap_or("");
            re.is_match(value)
        }
        (Condition::Compare { var, op, value }, _) => {
            let actual = run.lookup(var).unwrap_or("");
            let expected = value
                .as_deref()
                .map(|v| run.render(v, Escape::None))
                .unwrap_or_default();
            compare(actual, *op, &expected)
        }
        (Condition::Open(_), Test::Open(i)) => {
            run.flow.calendar(*i).is_some_and(|c| c.is_open(run.now_ms))
        }
        _ => false,
    }
}

fn compare(actual: &str, op: CompareOp, expected: &str) -> bool {
    let numbers = || {
        Some((
            actual.trim().parse::<f64>().ok()?,
            expected.trim().parse::<f64>().ok()?,
        ))
    };
    match op {
        CompareOp::Eq => actual == expected,
        CompareOp::Ne => actual != expected,
        CompareOp::Lt => numbers().is_some_and(|(a, b)| a < b),
        CompareOp::Gt => numbers().is_some_and(|(a, b)| a > b),
        CompareOp::Contains => actual.to_lowercase().contains(&expected.to_lowercase()),
        CompareOp::Exists => !actual.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(compare("a", CompareOp::Eq, "a"));
        assert!(!compare("a", CompareOp::Eq, "A"));
        assert!(compare("a", CompareOp::Ne, "b"));
        assert!(compare("9", CompareOp::Lt, "10"));
        assert!(!compare("x", CompareOp::Lt, "10"));
        assert!(compare("2.5", CompareOp::Gt, "2"));
        assert!(compare("Suizid-Gedanken", CompareOp::Contains, "suizid"));
        assert!(compare("x", CompareOp::Exists, ""));
        assert!(!compare("", CompareOp::Exists, ""));
    }
}
