//! Diagnostics: what parsing, validation and linting found, each with a stable code, the
//! path of the offending field and the id of the node it belongs to.
//!
//! Codes are kebab-case and stable: the editor keys its markers on them and documentation
//! links to them. Errors stop a flow from being published; warnings are IVR design advice.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The flow cannot run (or cannot be published) like this.
    Error,
    /// The flow runs, but breaks an IVR design rule.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding about a flow document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case code, one of [`codes`].
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The id of the node the finding belongs to, if any.
    pub node: Option<String>,
    /// Where in the document: `nodes[4].options[1].next`, `calendars.office.time_zone`, or
    /// empty for the document as a whole.
    pub path: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            node: None,
            path: path.into(),
        }
    }

    /// A warning.
    pub fn warning(
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            node: None,
            path: path.into(),
        }
    }

    /// The same diagnostic, attributed to the node with this id.
    #[must_use]
    pub fn with_node(mut self, id: impl Into<String>) -> Self {
        self.node = Some(id.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `error[dangling-transition] nodes[4] (id "menu_main").options[1].next: node "faq" does not exist`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity, self.code)?;
        match (&self.node, self.path.is_empty()) {
            (None, true) => {}
            (None, false) => write!(f, " {}", self.path)?,
            (Some(id), _) => {
                // The id goes right after the `nodes[N]` element it names.
                let split = if self.path.starts_with("nodes[") {
                    self.path.find(']').map(|i| i + 1)
                } else {
                    None
                };
                let (head, tail) = self.path.split_at(split.unwrap_or(self.path.len()));
                let gap = if head.is_empty() { "" } else { " " };
                write!(f, " {head}{gap}(id {id:?}){tail}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// The stable diagnostic codes.
pub mod codes {
    /// `flow:` is not a supported format version.
    pub const FORMAT_VERSION: &str = "format-version";
    /// The text is not valid YAML/JSON, too large, or does not fit the format.
    pub const PARSE: &str = "parse";
    /// A node id is not 1–64 characters of `a-z 0-9 _ -`.
    pub const INVALID_ID: &str = "invalid-id";
    /// Two nodes share an id.
    pub const DUPLICATE_ID: &str = "duplicate-id";
    /// `start` names no node.
    pub const UNKNOWN_START: &str = "unknown-start";
    /// A transition leads to a node that does not exist.
    pub const DANGLING_TRANSITION: &str = "dangling-transition";
    /// No path from `start` or `fallback` reaches the node.
    pub const UNREACHABLE_NODE: &str = "unreachable-node";
    /// A wait with a timeout lacks its timeout branch, or a timeout is out of range.
    pub const MISSING_TIMEOUT_BRANCH: &str = "missing-timeout-branch";
    /// A cycle that never waits for the caller.
    pub const LOOP_WITHOUT_INPUT: &str = "loop-without-input";
    /// A regular expression does not compile.
    pub const INVALID_REGEX: &str = "invalid-regex";
    /// A menu option or split names an undeclared intent.
    pub const UNKNOWN_INTENT: &str = "unknown-intent";
    /// A split names an undeclared calendar.
    pub const UNKNOWN_CALENDAR: &str = "unknown-calendar";
    /// A calendar has a bad time zone, interval or holiday.
    pub const INVALID_CALENDAR: &str = "invalid-calendar";
    /// A text lacks one of the flow's languages, or a `say` has nothing to say.
    pub const MISSING_TEXT: &str = "missing-text";
    /// A language code is malformed or not among the flow's languages.
    pub const UNKNOWN_LANGUAGE: &str = "unknown-language";
    /// A menu has no options.
    pub const MENU_EMPTY: &str = "menu-empty";
    /// Two menu choices use the same digit.
    pub const DUPLICATE_DIGIT: &str = "duplicate-digit";
    /// A digit or key is not one of `0-9 * #` (or `num_digits` is 0).
    pub const INVALID_DIGIT: &str = "invalid-digit";
    /// A `return` can run outside any subflow.
    pub const RETURN_OUTSIDE_SUBFLOW: &str = "return-outside-subflow";
    /// A test names unknown nodes or queues, or is malformed.
    pub const INVALID_TEST: &str = "invalid-test";
    /// A `say` names a recorded prompt the tenant has not uploaded. The document alone cannot
    /// know; the application adds this finding where it knows the tenant's prompts.
    pub const MISSING_AUDIO: &str = "missing-audio";

    /// A menu offers more than 5 options.
    pub const MENU_TOO_LONG: &str = "menu-too-long";
    /// Menus are nested deeper than 3 levels.
    pub const MENU_TOO_DEEP: &str = "menu-too-deep";
    /// From this question no human can be reached.
    pub const NO_PATH_TO_HUMAN: &str = "no-path-to-human";
    /// The first texts do not say that the caller talks to a bot.
    pub const BOT_NOT_DISCLOSED: &str = "bot-not-disclosed";
    /// An `ask` lacks `no_input` or `no_match`.
    pub const ASK_WITHOUT_FALLBACK: &str = "ask-without-fallback";
    /// A menu has no repeat option.
    pub const MENU_WITHOUT_REPEAT: &str = "menu-without-repeat";
    /// A menu lacks `no_input` or `no_match`.
    pub const MENU_WITHOUT_FALLBACK: &str = "menu-without-fallback";

    /// Every error code, in documentation order.
    pub const ERRORS: &[&str] = &[
        FORMAT_VERSION,
        PARSE,
        INVALID_ID,
        DUPLICATE_ID,
        UNKNOWN_START,
        DANGLING_TRANSITION,
        UNREACHABLE_NODE,
        MISSING_TIMEOUT_BRANCH,
        LOOP_WITHOUT_INPUT,
        INVALID_REGEX,
        UNKNOWN_INTENT,
        UNKNOWN_CALENDAR,
        INVALID_CALENDAR,
        MISSING_TEXT,
        UNKNOWN_LANGUAGE,
        MENU_EMPTY,
        DUPLICATE_DIGIT,
        INVALID_DIGIT,
        RETURN_OUTSIDE_SUBFLOW,
        INVALID_TEST,
        MISSING_AUDIO,
    ];

    /// Every warning code, in documentation order.
    pub const WARNINGS: &[&str] = &[
        MENU_TOO_LONG,
        MENU_TOO_DEEP,
        NO_PATH_TO_HUMAN,
        BOT_NOT_DISCLOSED,
        ASK_WITHOUT_FALLBACK,
        MENU_WITHOUT_REPEAT,
        MENU_WITHOUT_FALLBACK,
    ];
}

/// Sorts diagnostics into their documented order — by path (numbers inside compared as
/// numbers, so `nodes[2]` comes before `nodes[10]`), then severity, code and message — and
/// drops exact repeats.
pub(crate) fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        natural_cmp(&a.path, &b.path)
            .then(a.severity.cmp(&b.severity))
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
            .then(a.node.cmp(&b.node))
    });
    diags.dedup();
}

/// Compares two strings, treating runs of ASCII digits as numbers.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let la = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let lb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..la]), trim_zeros(&b[..lb]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[la..];
                b = &b[lb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_the_node_id_after_its_element() {
        let d = Diagnostic::error(
            "dangling-transition",
            "nodes[4].options[1].next",
            "node \"faq\" does not exist",
        )
        .with_node("menu_main");
        assert_eq!(
            d.to_string(),
            r#"error[dangling-transition] nodes[4] (id "menu_main").options[1].next: node "faq" does not exist"#
        );
        let d = Diagnostic::warning("x", "", "whole document");
        assert_eq!(d.to_string(), "warning[x]: whole document");
        let d = Diagnostic::error("y", "start", "m");
        assert_eq!(d.to_string(), "error[y] start: m");
    }

    #[test]
    fn natural_order_compares_numbers_as_numbers() {
        let mut v = [
            "nodes[10]",
            "nodes[2].next",
            "nodes[2]",
            "calendars.a",
            "",
            "nodes[01]",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "",
                "calendars.a",
                "nodes[01]",
                "nodes[2]",
                "nodes[2].next",
                "nodes[10]"
            ]
        );
    }

    #[test]
    fn severity_serialises_in_snake_case() {
        let d = Diagnostic::warning("menu-too-long", "nodes[0].options", "m").with_node("a");
        let json = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"severity":"warning","code":"menu-too-long","message":"m","node":"a","path":"nodes[0].options"}"#
        );
    }
}
