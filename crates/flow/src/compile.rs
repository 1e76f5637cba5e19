//! A validated, precompiled flow: what the engine runs.
//!
//! Compiling resolves every transition to a node index, compiles every regular expression
//! once, parses the calendars with their time zones and prepares the keyword matcher, so
//! running a conversation never re-parses anything. A [`Flow`] is immutable, `Send + Sync`,
//! and meant to be shared behind an `Arc`, one per published flow version.

use std::collections::HashMap;
use std::fmt;

use crate::calendar::CompiledCalendar;
use crate::diagnostic::{Diagnostic, codes};
use crate::format::{FlowDocument, Node};
use crate::matcher::KeywordMatcher;
use crate::node_cx::Resolver;
use crate::nodes::{self, Compiled};
use crate::step::Resolved;
use crate::validate::validate;

/// A flow ready to run.
pub struct Flow {
    /// The document with its names resolved: what a node's step reads.
    resolved: Resolved,
    compiled: Vec<Compiled>,
    matcher: KeywordMatcher,
    start: u32,
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flow")
            .field("id", &self.resolved.doc.id)
            .field("nodes", &self.resolved.doc.nodes.len())
            .field("start", &self.resolved.doc.start)
            .finish_non_exhaustive()
    }
}

impl Flow {
    /// Validates and compiles a document. Fails with the error diagnostics (warnings never
    /// stop a flow).
    pub fn compile(doc: FlowDocument) -> Result<Flow, Vec<Diagnostic>> {
        let errors = validate(&doc);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut index = HashMap::with_capacity(doc.nodes.len());
        for (i, node) in doc.nodes.iter().enumerate() {
            let i =
                u32::try_from(i).map_err(|_| vec![internal("", "the flow has too many nodes")])?;
            index.insert(node.id().to_owned(), i);
        }
        let mut calendar_names = HashMap::new();
        let mut calendars = Vec::with_capacity(doc.calendars.len());
        for (name, cal) in &doc.calendars {
            let mut diags = Vec::new();
            let compiled = CompiledCalendar::compile(name, cal, &mut diags).ok_or(diags)?;
            calendar_names.insert(
                name.as_str(),
                u32::try_from(calendars.len()).unwrap_or(u32::MAX),
            );
            calendars.push(compiled);
        }
        let mut compiled = Vec::with_capacity(doc.nodes.len());
        for (i, node) in doc.nodes.iter().enumerate() {
            let r = Resolver {
                index: &index,
                calendars: &calendar_names,
                node: i,
                id: node.id(),
            };
            compiled.push(nodes::compile(node, &r).map_err(|d| vec![d])?);
        }
        let matcher = KeywordMatcher::from_document(&doc)?;
        let start = *index
            .get(&doc.start)
            .ok_or_else(|| vec![internal("start", "unknown start")])?;
        let fallback = doc.fallback.as_ref().and_then(|f| index.get(f).copied());
        Ok(Flow {
            resolved: Resolved {
                doc,
                index,
                calendars,
                fallback,
            },
            compiled,
            matcher,
            start,
        })
    }

    /// The document this flow was compiled from.
    pub fn document(&self) -> &FlowDocument {
        &self.resolved.doc
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index_of(id)
            .and_then(|i| self.resolved.doc.nodes.get(i as usize))
    }

    /// The language a conversation asking for `requested` runs in: the requested one when
    /// the flow has texts in it, else the flow's default.
    pub fn language_for<'s>(&'s self, requested: Option<&'s str>) -> &'s str {
        let doc = &self.resolved.doc;
        match requested {
            Some(lang) if doc.languages.iter().any(|l| l == lang) => lang,
            Some(lang) if doc.languages.is_empty() && lang == doc.language => lang,
            _ => &doc.language,
        }
    }

    pub(crate) fn index_of(&self, id: &str) -> Option<u32> {
        self.resolved.index_of(id)
    }

    /// What a node's step reads of this flow.
    pub(crate) fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    pub(crate) fn entry(&self, i: u32) -> Option<(&Node, &Compiled)> {
        let i = i as usize;
        Some((self.resolved.doc.nodes.get(i)?, self.compiled.get(i)?))
    }

    pub(crate) fn keyword_matcher(&self) -> &KeywordMatcher {
        &self.matcher
    }

    pub(crate) fn start(&self) -> u32 {
        self.start
    }
}

// Here rather than in `matcher`: a compiled flow is built from a matcher, so the matcher's
// module does not know the flow.
impl KeywordMatcher {
    /// The matcher of a compiled flow (its patterns are already compiled; this is a cheap
    /// copy).
    pub fn from_flow(flow: &Flow) -> Self {
        flow.keyword_matcher().clone()
    }
}

fn internal(path: &str, message: &str) -> Diagnostic {
    Diagnostic::error(codes::PARSE, path, format!("cannot compile: {message}"))
}

// The app shares one compiled flow between threads behind an `Arc`.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Flow>();
};
