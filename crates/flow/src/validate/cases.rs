//! Checks of the test conversations embedded in a flow: they must name nodes, queues,
//! channels and languages that exist, and give each step at most one input.

use std::collections::HashSet;

use jiff::Timestamp;

use super::Facts;
use crate::diagnostic::{Diagnostic, codes};
use crate::format::{Node, TestEnd, TestStep};

pub(super) fn check(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    let doc = facts.doc;
    let queues: HashSet<&str> = doc
        .nodes
        .iter()
        .filter_map(|n| match n {
            Node::Enqueue(e) => Some(e.queue.as_str()),
            _ => None,
        })
        .collect();
    let known_queue = |q: &str| queues.contains(q);
    for (t, test) in doc.tests.iter().enumerate() {
        let mut bad = |path: String, message: String| {
            out.push(Diagnostic::error(
                codes::INVALID_TEST,
                path,
                format!("test {:?}: {message}", test.name),
            ));
        };
        if let Some(at) = &test.at
            && at.parse::<Timestamp>().is_err()
        {
            bad(
                format!("tests[{t}].at"),
                format!("{at:?} is not a time like 2026-01-05T10:00:00+01:00"),
            );
        }
        for (s, step) in test.steps.iter().enumerate() {
            if inputs(step) > 1 {
                bad(
                    format!("tests[{t}].steps[{s}]"),
                    "a step has at most one input (send, digits, silence or http)".to_owned(),
                );
            }
            if let Some(node) = &step.at_node
                && !facts.ids.contains_key(node.as_str())
            {
                bad(
                    format!("tests[{t}].steps[{s}].at_node"),
                    format!("node {node:?} does not exist"),
                );
            }
        }
        match &test.end {
            Some(TestEnd::Waiting(node)) if !facts.ids.contains_key(node.as_str()) => {
                bad(
                    format!("tests[{t}].end"),
                    format!("node {node:?} does not exist"),
                );
            }
            Some(TestEnd::Queued(queue)) if !known_queue(queue) => {
                bad(
                    format!("tests[{t}].end"),
                    format!("no enqueue node uses the queue {queue:?}"),
                );
            }
            _ => {}
        }
        if let Some(lang) = &test.language
            && !facts.langs.contains(&lang.as_str())
        {
            out.push(Diagnostic::error(
                codes::UNKNOWN_LANGUAGE,
                format!("tests[{t}].language"),
                format!(
                    "test {:?}: {lang:?} is not among the flow's languages ({})",
                    test.name,
                    facts.langs.join(", ")
                ),
            ));
        }
    }
}

/// How many inputs a step gives.
pub(crate) fn inputs(step: &TestStep) -> usize {
    usize::from(step.send.is_some())
        + usize::from(step.digits.is_some())
        + usize::from(step.silence)
        + usize::from(step.http.is_some())
}
