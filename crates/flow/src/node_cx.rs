//! The contexts a node kind's module is given: [`NodeCx`] while a document is checked,
//! [`Resolver`] while it compiles.
//!
//! They sit below `nodes` so that `validate` and `compile` can hand them to every node kind
//! without the node kinds depending on the modules that drive them.

use std::collections::HashMap;
use std::fmt::Display;

use regex::Regex;

use crate::diagnostic::{Diagnostic, codes};
use crate::format::{FlowDocument, Text};
use crate::matcher::{plain_regex, regex_problem};

/// What a node kind's checks see: the document, its languages, the node's index, the output.
pub(crate) struct NodeCx<'a, 'd> {
    /// The document being checked.
    pub(crate) doc: &'d FlowDocument,
    /// The languages every text must be written in.
    pub(crate) langs: &'a [&'d str],
    pub(crate) index: usize,
    pub(crate) out: &'a mut Vec<Diagnostic>,
}

impl NodeCx<'_, '_> {
    fn path(&self, field: &str) -> String {
        if field.is_empty() {
            format!("nodes[{}]", self.index)
        } else {
            format!("nodes[{}].{field}", self.index)
        }
    }

    fn node_id(&self) -> String {
        self.doc
            .nodes
            .get(self.index)
            .map(|n| n.id().to_owned())
            .unwrap_or_default()
    }

    /// Reports an error at `nodes[i].field`.
    pub(crate) fn error(&mut self, code: &'static str, field: &str, message: impl Display) {
        let d = Diagnostic::error(code, self.path(field), message.to_string())
            .with_node(self.node_id());
        self.out.push(d);
    }

    /// Reports a warning at `nodes[i].field`.
    pub(crate) fn warning(&mut self, code: &'static str, field: &str, message: impl Display) {
        let d = Diagnostic::warning(code, self.path(field), message.to_string())
            .with_node(self.node_id());
        self.out.push(d);
    }

    /// Checks that a text covers exactly the flow's languages; a text by channel has the
    /// phone's and the chat's wording, each covering the languages.
    pub(crate) fn text(&mut self, field: &str, text: &Text) {
        if let Text::ByChannel(by) = text {
            for (channel, own) in [
                ("voice", &by.voice),
                ("chat", &by.chat),
                ("sms", &by.sms),
                ("whatsapp", &by.whatsapp),
            ] {
                match own {
                    Some(Text::ByChannel(_)) => self.error(
                        codes::MISSING_TEXT,
                        &format!("{field}.{channel}"),
                        "a text by channel holds one text per channel, not another by channel",
                    ),
                    Some(inner) => self.text(&format!("{field}.{channel}"), inner),
                    None if matches!(channel, "voice" | "chat") => self.error(
                        codes::MISSING_TEXT,
                        field,
                        format_args!(
                            "no {channel} wording: a text by channel has both `voice` and `chat`"
                        ),
                    ),
                    None => {}
                }
            }
            return;
        }
        let Text::ByLanguage(by_lang) = text else {
            return;
        };
        let langs = self.langs;
        for lang in langs {
            if !by_lang.contains_key(*lang) {
                self.error(
                    codes::MISSING_TEXT,
                    field,
                    format_args!(
                        "no text in {lang:?} (the flow's languages are {})",
                        langs.join(", ")
                    ),
                );
            }
        }
        for lang in by_lang.keys() {
            if !langs.contains(&lang.as_str()) {
                self.error(
                    codes::UNKNOWN_LANGUAGE,
                    &format!("{field}.{lang}"),
                    format_args!(
                        "text in {lang:?}, which is not among the flow's languages ({})",
                        langs.join(", ")
                    ),
                );
            }
        }
    }

    /// Checks that a pattern compiles.
    pub(crate) fn regex(&mut self, field: &str, pattern: &str) {
        if let Err(e) = plain_regex(pattern) {
            let d = regex_error(self.path(field), pattern, &e).with_node(self.node_id());
            self.out.push(d);
        }
    }

    /// Checks that an intent is declared.
    pub(crate) fn intent(&mut self, field: &str, intent: &str) {
        if !self.doc.intents.contains_key(intent) {
            let declared: Vec<&str> = self.doc.intents.keys().map(String::as_str).collect();
            let declared = if declared.is_empty() {
                "none".to_owned()
            } else {
                declared.join(", ")
            };
            self.error(
                codes::UNKNOWN_INTENT,
                field,
                format_args!(
                    "the intent {intent:?} is not declared in `intents` (declared: {declared})"
                ),
            );
        }
    }
}

/// An `invalid-regex` error at `path`.
pub(crate) fn regex_error(path: String, pattern: &str, e: &regex::Error) -> Diagnostic {
    Diagnostic::error(codes::INVALID_REGEX, path, regex_problem(pattern, e))
}

/// Resolves names to indices while one node compiles.
pub(crate) struct Resolver<'a> {
    /// Node id → index.
    pub(crate) index: &'a HashMap<String, u32>,
    /// Calendar name → index.
    pub(crate) calendars: &'a HashMap<&'a str, u32>,
    /// The compiling node's index.
    pub(crate) node: usize,
    /// The compiling node's id.
    pub(crate) id: &'a str,
}

impl Resolver<'_> {
    fn fail(&self, code: &'static str, field: &str, message: String) -> Diagnostic {
        Diagnostic::error(code, format!("nodes[{}].{field}", self.node), message).with_node(self.id)
    }

    /// The index of the node a transition leads to.
    pub(crate) fn node(&self, field: &str, id: &str) -> Result<u32, Diagnostic> {
        self.index.get(id).copied().ok_or_else(|| {
            self.fail(
                codes::DANGLING_TRANSITION,
                field,
                format!("node {id:?} does not exist"),
            )
        })
    }

    /// Like [`Resolver::node`] for optional transitions.
    pub(crate) fn opt(&self, field: &str, id: Option<&String>) -> Result<Option<u32>, Diagnostic> {
        id.map(|id| self.node(field, id)).transpose()
    }

    /// The index of a calendar.
    pub(crate) fn calendar(&self, field: &str, name: &str) -> Result<u32, Diagnostic> {
        self.calendars.get(name).copied().ok_or_else(|| {
            self.fail(
                codes::UNKNOWN_CALENDAR,
                field,
                format!("calendar {name:?} is not declared"),
            )
        })
    }

    /// A compiled pattern.
    pub(crate) fn regex(&self, field: &str, pattern: &str) -> Result<Regex, Diagnostic> {
        plain_regex(pattern)
            .map_err(|e| self.fail(codes::INVALID_REGEX, field, regex_problem(pattern, &e)))
    }
}
