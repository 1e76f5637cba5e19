//! Validation (errors that keep a flow from running) and linting (IVR design advice).
//!
//! Both return every finding at once, in a deterministic order (by path, see
//! [`Diagnostic`]). Checks that concern one node live in that node kind's module
//! (`crate::nodes::*`); checks over the whole graph — reachability, loops, nesting, the way
//! to a human, the bot's self-disclosure — live in `graph`; checks of the embedded test
//! conversations in `cases`. Nothing here assumes the document is sound: every analysis
//! skips what it cannot resolve, so a broken document still gets all its diagnostics.

use std::collections::HashMap;

use crate::calendar::CompiledCalendar;
use crate::diagnostic::{self, Diagnostic, codes};
use crate::format::{FORMAT_VERSION, FlowDocument, Node};
use crate::matcher::intent_regex;
use crate::node_cx::{NodeCx, regex_error};
use crate::nodes;

mod cases;
mod graph;

/// Every error in `doc` (no warnings), sorted.
pub fn validate(doc: &FlowDocument) -> Vec<Diagnostic> {
    let facts = Facts::new(doc);
    let mut out = Vec::new();
    facts.errors(&mut out);
    diagnostic::sort(&mut out);
    out
}

/// Every IVR design warning about `doc` (no errors), sorted.
pub fn lint(doc: &FlowDocument) -> Vec<Diagnostic> {
    let facts = Facts::new(doc);
    let mut out = Vec::new();
    facts.warnings(&mut out);
    diagnostic::sort(&mut out);
    out
}

/// Errors and warnings together, sorted by path.
pub fn check(doc: &FlowDocument) -> Vec<Diagnostic> {
    let facts = Facts::new(doc);
    let mut out = Vec::new();
    facts.errors(&mut out);
    facts.warnings(&mut out);
    diagnostic::sort(&mut out);
    out
}

/// What every check needs to know about a document, computed once.
pub(crate) struct Facts<'d> {
    pub(crate) doc: &'d FlowDocument,
    /// Node id → index of the first node with that id.
    pub(crate) ids: HashMap<&'d str, usize>,
    /// The languages every text must be written in.
    pub(crate) langs: Vec<&'d str>,
    /// Resolved transitions of every node (empty for duplicates, which nothing reaches).
    pub(crate) edges: Vec<Vec<usize>>,
    /// The index of `start`, if it exists.
    pub(crate) start: Option<usize>,
    /// The index of `fallback`, if it exists.
    pub(crate) fallback: Option<usize>,
}

impl<'d> Facts<'d> {
    pub(crate) fn new(doc: &'d FlowDocument) -> Self {
        let mut ids = HashMap::with_capacity(doc.nodes.len());
        for (i, node) in doc.nodes.iter().enumerate() {
            ids.entry(node.id()).or_insert(i);
        }
        let langs = if doc.languages.is_empty() {
            vec![doc.language.as_str()]
        } else {
            doc.languages.iter().map(String::as_str).collect()
        };
        let edges = doc
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                if ids.get(node.id()) != Some(&i) {
                    return Vec::new();
                }
                let mut targets: Vec<usize> = node
                    .transitions()
                    .into_iter()
                    .filter_map(|(_, t)| ids.get(t.as_str()).copied())
                    .collect();
                targets.dedup();
                targets
            })
            .collect();
        let start = ids.get(doc.start.as_str()).copied();
        let fallback = doc.fallback.as_deref().and_then(|f| ids.get(f).copied());
        Facts {
            doc,
            ids,
            langs,
            edges,
            start,
            fallback,
        }
    }

    /// Whether node `i` is the one its id refers to (not a later duplicate).
    pub(crate) fn is_canonical(&self, i: usize) -> bool {
        self.doc
            .nodes
            .get(i)
            .is_some_and(|n| self.ids.get(n.id()) == Some(&i))
    }

    fn errors(&self, out: &mut Vec<Diagnostic>) {
        self.top_level(out);
        for (i, node) in self.doc.nodes.iter().enumerate() {
            self.node_identity(i, node, out);
            self.dangling(i, node, out);
            nodes::check(
                node,
                &mut NodeCx {
                    doc: self.doc,
                    langs: &self.langs,
                    index: i,
                    out,
                },
            );
        }
        graph::errors(self, out);
        cases::check(self, out);
    }

    fn warnings(&self, out: &mut Vec<Diagnostic>) {
        for (i, node) in self.doc.nodes.iter().enumerate() {
            nodes::lint(
                node,
                &mut NodeCx {
                    doc: self.doc,
                    langs: &self.langs,
                    index: i,
                    out,
                },
            );
        }
        graph::warnings(self, out);
    }

    fn top_level(&self, out: &mut Vec<Diagnostic>) {
        let doc = self.doc;
        if doc.flow != FORMAT_VERSION {
            out.push(Diagnostic::error(
                codes::FORMAT_VERSION,
                "flow",
                format!("format version {} is not supported; this Hotline reads version {FORMAT_VERSION}", doc.flow),
            ));
        }
        if !is_lang_code(&doc.language) {
            out.push(bad_lang_code("language", &doc.language));
        } else if !doc.languages.is_empty() && !doc.languages.contains(&doc.language) {
            out.push(Diagnostic::error(
                codes::UNKNOWN_LANGUAGE,
                "language",
                format!(
                    "the default language {:?} is not among `languages` ({})",
                    doc.language,
                    doc.languages.join(", ")
                ),
            ));
        }
        for (i, lang) in doc.languages.iter().enumerate() {
            if !is_lang_code(lang) {
                out.push(bad_lang_code(format!("languages[{i}]"), lang));
            }
        }
        if self.start.is_none() {
            out.push(Diagnostic::error(
                codes::UNKNOWN_START,
                "start",
                format!("the start node {:?} does not exist", doc.start),
            ));
        }
        if let Some(f) = &doc.fallback
            && self.fallback.is_none()
        {
            out.push(Diagnostic::error(
                codes::DANGLING_TRANSITION,
                "fallback",
                format!("the fallback node {f:?} does not exist"),
            ));
        }
        for (name, intent) in &doc.intents {
            for (i, pattern) in intent.patterns.iter().enumerate() {
                if let Err(e) = intent_regex(pattern) {
                    out.push(regex_error(
                        format!("intents.{name}.patterns[{i}]"),
                        pattern,
                        &e,
                    ));
                }
            }
            for lang in intent.examples.keys() {
                if !self.langs.contains(&lang.as_str()) {
                    out.push(Diagnostic::error(
                        codes::UNKNOWN_LANGUAGE,
                        format!("intents.{name}.examples.{lang}"),
                        format!(
                            "examples in {lang:?}, which is not among the flow's languages ({})",
                            self.langs.join(", ")
                        ),
                    ));
                }
            }
        }
        for (name, cal) in &doc.calendars {
            CompiledCalendar::compile(name, cal, out);
        }
    }

    fn node_identity(&self, i: usize, node: &Node, out: &mut Vec<Diagnostic>) {
        let id = node.id();
        if !is_node_id(id) {
            out.push(
                Diagnostic::error(
                    codes::INVALID_ID,
                    format!("nodes[{i}].id"),
                    format!("{id:?} is not a node id: use 1 to 64 characters of a-z, 0-9, _ and -"),
                )
                .with_node(id),
            );
        }
        if let Some(&first) = self.ids.get(id)
            && first != i
        {
            out.push(
                Diagnostic::error(
                    codes::DUPLICATE_ID,
                    format!("nodes[{i}].id"),
                    format!("the id {id:?} is already used by nodes[{first}]"),
                )
                .with_node(id),
            );
        }
    }

    fn dangling(&self, i: usize, node: &Node, out: &mut Vec<Diagnostic>) {
        for (handle, target) in node.transitions() {
            if !self.ids.contains_key(target.as_str()) {
                out.push(
                    Diagnostic::error(
                        codes::DANGLING_TRANSITION,
                        format!("nodes[{i}].{}", handle_field(&handle)),
                        format!("node {target:?} does not exist"),
                    )
                    .with_node(node.id()),
                );
            }
        }
    }
}

/// The document field behind an editor handle (`out:option:2` → `options[2].next`).
pub(crate) fn handle_field(handle: &str) -> String {
    if let Some(k) = handle.strip_prefix("out:option:") {
        return format!("options[{k}].next");
    }
    if let Some(k) = handle.strip_prefix("out:branch:") {
        return format!("branches[{k}].next");
    }
    match handle {
        "out:error" => "on_error".to_owned(),
        "out:timeout" => "on_timeout".to_owned(),
        "out:failure" => "on_failure".to_owned(),
        other => other.strip_prefix("out:").unwrap_or(other).to_owned(),
    }
}

/// Node ids: 1–64 characters of `a-z 0-9 _ -`.
pub(crate) fn is_node_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Language codes: two lower-case letters.
pub(crate) fn is_lang_code(lang: &str) -> bool {
    lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase())
}

fn bad_lang_code(path: impl Into<String>, lang: &str) -> Diagnostic {
    Diagnostic::error(
        codes::UNKNOWN_LANGUAGE,
        path,
        format!(
            "{lang:?} is not a language code: use two lower-case letters (ISO 639-1) such as \"de\""
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_map_to_fields() {
        assert_eq!(handle_field("out:option:3"), "options[3].next");
        assert_eq!(handle_field("out:branch:0"), "branches[0].next");
        assert_eq!(handle_field("out:default"), "default");
        assert_eq!(handle_field("out:no_input"), "no_input");
        assert_eq!(handle_field("out:error"), "on_error");
        assert_eq!(handle_field("out:timeout"), "on_timeout");
        assert_eq!(handle_field("out:failure"), "on_failure");
        assert_eq!(handle_field("out:start"), "start");
    }

    #[test]
    fn ids_and_language_codes() {
        assert!(is_node_id("menu_main-2"));
        assert!(!is_node_id(""));
        assert!(!is_node_id("Menu"));
        assert!(!is_node_id(&"a".repeat(65)));
        assert!(is_lang_code("de"));
        assert!(!is_lang_code("DE"));
        assert!(!is_lang_code("deu"));
    }
}
