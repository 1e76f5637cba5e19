//! The built-in intent matcher: whole-word keywords and regular expressions from the flow's
//! `intents`, with German-aware normalisation.
//!
//! It is the matcher every flow gets without training anything; the NLU engine implements
//! the same [`IntentMatcher`] trait and replaces it without the flow changing. Normalisation
//! lower-cases, folds German umlauts and ß to their two-letter spellings (so "Prüfung" and
//! "Pruefung", "Straße" and "Strasse" meet), joins words split by hyphens or apostrophes, and
//! turns every other punctuation mark into a word break.

use std::fmt;

use regex::{Regex, RegexBuilder};

use crate::diagnostic::{Diagnostic, codes};
use crate::engine::{IntentMatch, IntentMatcher};
use crate::format::FlowDocument;

/// Confidence of a match by regular expression.
pub const PATTERN_CONFIDENCE: f32 = 1.0;
/// Confidence of a match by keyword.
pub const KEYWORD_CONFIDENCE: f32 = 0.9;

/// The largest compiled size of one pattern: flows are written by operators, but one
/// pathological pattern must not eat the server's memory.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Normalises text for keyword matching: lower case, umlauts and ß folded (`ä`→`ae`,
/// `ö`→`oe`, `ü`→`ue`, `ß`→`ss`), hyphens and apostrophes removed, other punctuation and
/// whitespace collapsed to single spaces, no leading or trailing space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    normalize_padded(text, &mut out);
    out.trim().to_owned()
}

/// Writes the normalised `text` into `out` with one space before and after, so that a
/// keyword `" kw "` found in it is a whole word (or a whole run of words).
pub(crate) fn normalize_padded(text: &str, out: &mut String) {
    out.clear();
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            '-' | '\'' | '’' | '\u{ad}' => {}
            c if c.is_alphanumeric() => out.push(c),
            _ => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// A keyword prepared for matching: normalised and padded (`" kw "`), or `None` when it
/// holds no letters or digits at all.
pub(crate) fn keyword_needle(keyword: &str) -> Option<String> {
    let mut needle = String::new();
    normalize_padded(keyword, &mut needle);
    if needle.trim().is_empty() {
        None
    } else {
        Some(needle)
    }
}

/// The rules of one intent.
#[derive(Clone)]
struct IntentRules {
    name: String,
    keywords: Vec<String>,
    patterns: Vec<Regex>,
}

/// Matches utterances to the flow's intents by keyword and pattern.
///
/// Confidence is 1.0 when a pattern matched and 0.9 when only keywords did. When several
/// intents match, the one with the most hits (matching keywords and patterns) wins; ties go
/// to the intent that comes first in the document's `intents` map, which is ordered by
/// name.
#[derive(Clone, Default)]
pub struct KeywordMatcher {
    intents: Vec<IntentRules>,
}

impl fmt::Debug for KeywordMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeywordMatcher")
            .field(
                "intents",
                &self
                    .intents
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl KeywordMatcher {
    /// Builds the matcher from a document; fails with `invalid-regex` diagnostics when a
    /// pattern does not compile.
    pub fn from_document(doc: &FlowDocument) -> Result<Self, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut intents = Vec::with_capacity(doc.intents.len());
        for (name, def) in &doc.intents {
            let keywords = def
                .keywords
                .iter()
                .filter_map(|k| keyword_needle(k))
                .collect();
            let mut patterns = Vec::with_capacity(def.patterns.len());
            for (i, p) in def.patterns.iter().enumerate() {
                match intent_regex(p) {
                    Ok(re) => patterns.push(re),
                    Err(e) => diags.push(Diagnostic::error(
                        codes::INVALID_REGEX,
                        format!("intents.{name}.patterns[{i}]"),
                        regex_problem(p, &e),
                    )),
                }
            }
            intents.push(IntentRules {
                name: name.clone(),
                keywords,
                patterns,
            });
        }
        if diags.is_empty() {
            Ok(KeywordMatcher { intents })
        } else {
            Err(diags)
        }
    }

    /// Whether the matcher knows no intents at all.
    pub fn is_empty(&self) -> bool {
        self.intents.is_empty()
    }
}

/// Compiles an intent pattern: case-insensitive, size-limited.
pub(crate) fn intent_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Compiles a pattern as written (for `ask.pattern` and `split` regexes), size-limited.
pub(crate) fn plain_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Why a pattern does not compile, in one line: the regex crate's own message spans
/// several lines (pattern, caret, reason); its reason is what a diagnostic needs.
pub(crate) fn regex_problem(pattern: &str, e: &regex::Error) -> String {
    let message = e.to_string();
    let reason = message
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || message.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            str::to_owned,
        );
    format!("the pattern {pattern:?} does not compile: {reason}")
}

impl IntentMatcher for KeywordMatcher {
    fn classify(&self, text: &str, _language: &str) -> IntentMatch {
        let mut haystack = String::with_capacity(text.len() + 2);
        normalize_padded(text, &mut haystack);
        let mut best: Option<(&IntentRules, usize, bool)> = None;
        for rules in &self.intents {
            let keyword_hits = rules
                .keywords
                .iter()
                .filter(|k| haystack.contains(k.as_str()))
                .count();
            let pattern_hits = rules.patterns.iter().filter(|p| p.is_match(text)).count();
            let hits = keyword_hits + pattern_hits;
            if hits > 0 && best.is_none_or(|(_, h, _)| hits > h) {
                best = Some((rules, hits, pattern_hits > 0));
            }
        }
        match best {
            Some((rules, _, by_pattern)) => IntentMatch {
                intent: Some(rules.name.clone()),
                confidence: if by_pattern {
                    PATTERN_CONFIDENCE
                } else {
                    KEYWORD_CONFIDENCE
                },
            },
            None => IntentMatch {
                intent: None,
                confidence: 0.0,
            },
        }
    }
}

/// A matcher that never recognises anything (for flows without intents, and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIntents;

impl IntentMatcher for NoIntents {
    fn classify(&self, _text: &str, _language: &str) -> IntentMatch {
        IntentMatch {
            intent: None,
            confidence: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_umlauts_and_punctuation() {
        assert_eq!(
            normalize("  Prüfung, STRASSE!  Straße? "),
            "pruefung strasse strasse"
        );
        assert_eq!(normalize("KI-Assistent … don't"), "kiassistent dont");
        assert_eq!(normalize("ÄÖÜ"), "aeoeue");
        assert_eq!(normalize("!!!"), "");
        assert_eq!(keyword_needle("?"), None);
        assert_eq!(
            keyword_needle("Öffnungs-Zeiten").as_deref(),
            Some(" oeffnungszeiten ")
        );
    }
}
