//! Crisis detection on every caller message, whatever the flow is doing: does the caller
//! say they want to die, to kill or hurt themselves, or that someone is hurting them? And
//! does the caller ask for a person ([`asks_for_human`])?
//!
//! [`CrisisDetector::check`] combines three sources, German and English (and both mixed)
//! at once, without first deciding the language:
//!
//! 1. a curated lexicon (`lexicon.txt`, its language described in `lexicon.rs`): word
//!    patterns with inflections, word order, colloquial and misspelt forms and small edit
//!    distances for long words, with guards against idioms ("ich sterbe vor Langeweile",
//!    "this queue is killing me") and compounds ("Selbstmordattentat");
//! 2. a tenant's own terms ([`CrisisDetector::with_extra_terms`]), in any language;
//! 3. a small linear classifier (the crate's intent model) trained on `train_de.jsonl` and
//!    `train_en.jsonl`, which fires when its crisis probability reaches a threshold fitted
//!    by cross-validation on that training data only.
//!
//! A crisis line prefers recall: handing a caller to a person by mistake is cheap, missing
//! one is not. The measured figures are in BENCHMARKS.md ("Crisis detection").

mod human;
mod lexicon;
mod model;

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

pub use human::asks_for_human;
use lexicon::Lexicon;
use model::CrisisModel;

use crate::normalize::normalize;

/// What kind of crisis a message points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrisisCategory {
    /// Wanting to die, to kill oneself, or not to live (also said of someone else:
    /// "my friend wants to kill himself").
    Suicide,
    /// Hurting oneself: cutting, burning, "ritzen".
    SelfHarm,
    /// Someone is hurting or threatening the caller: abuse, rape, domestic violence.
    Violence,
    /// One of the tenant's own terms; the tenant decides what it means.
    Custom,
}

/// Which part of the detector recognised the crisis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrisisSource {
    /// The curated built-in lexicon.
    Lexicon,
    /// The built-in classifier (only when no lexicon or tenant pattern matched).
    Model,
    /// A term the tenant added with [`CrisisDetector::with_extra_terms`].
    TenantTerm,
}

/// A message that should go to a person now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrisisHit {
    /// What kind of crisis.
    pub category: CrisisCategory,
    /// Who recognised it.
    pub source: CrisisSource,
    /// 1.0 for lexicon and tenant matches; the classifier's crisis probability (0..1, at
    /// least its threshold) for model hits.
    pub score: f32,
}

/// A tenant's crisis term list was refused; nothing was added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrisisTermError {
    /// More terms than allowed (counting those added before).
    #[error("{count} crisis terms in all; at most {max} are allowed")]
    TooMany {
        /// How many terms there would be.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A term has no letters or digits (after normalisation nothing is left to match).
    #[error("crisis term {index} is empty: it has no letters or digits")]
    Empty {
        /// 0-based position of the term in the list given.
        index: usize,
    },
    /// A term is longer than allowed.
    #[error("crisis term {index} is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// 0-based position of the term in the list given.
        index: usize,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
}

/// At most this many tenant terms.
pub const MAX_CRISIS_TERMS: usize = 500;
/// At most this many characters per tenant term.
pub const MAX_CRISIS_TERM_CHARS: usize = 200;

/// The lexicon and model every detector shares; built once per process.
struct Builtin {
    lexicon: Lexicon,
    model: CrisisModel,
}

/// Recognises crisis messages. Cheap to clone and to share between threads: the built-in
/// lexicon and model are behind an [`Arc`] and built once per process.
#[derive(Clone)]
pub struct CrisisDetector {
    builtin: Arc<Builtin>,
    /// The tenant's terms as given (kept to add more later) and compiled.
    tenant_terms: Arc<Vec<String>>,
    tenant: Option<Arc<Lexicon>>,
}

impl fmt::Debug for CrisisDetector {
    // The compiled indexes are large and say nothing useful; counts do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrisisDetector")
            .field("lexicon_patterns", &self.builtin.lexicon.len())
            .field("model_threshold", &self.builtin.model.threshold())
            .field("tenant_terms", &self.tenant_terms.len())
            .finish()
    }
}

fn builtin_parts() -> Arc<Builtin> {
    static BUILTIN: OnceLock<Arc<Builtin>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            Arc::new(Builtin {
                lexicon: builtin_lexicon(),
                model: CrisisModel::builtin(),
            })
        })
        .clone()
}

/// The curated lexicon; its source is part of the crate, and a unit test proves it parses.
fn builtin_lexicon() -> Lexicon {
    Lexicon::parse(include_str!("lexicon.txt")).unwrap_or_else(|e| panic!("{e}"))
}

impl CrisisDetector {
    /// The curated built-in German and English lexicon plus the built-in model. The first
    /// call in a process compiles the lexicon and trains the model (deterministically; about
    /// 20–40 ms in a release build, see BENCHMARKS.md); later calls share them.
    pub fn builtin() -> Self {
        Self {
            builtin: builtin_parts(),
            tenant_terms: Arc::new(Vec::new()),
            tenant: None,
        }
    }

    /// A detector that also recognises a tenant's own terms (any language), on top of
    /// those added before. A term is a word or phrase; its words must follow each other in
    /// the message, long words tolerate small typos like the lexicon's, and a word ending
    /// in `*` matches any word it starts (`Suizid*`). Terms in scripts written without
    /// spaces (Chinese, Japanese, Thai, …) match anywhere in the text. Each term must have
    /// letters or digits and at most [`MAX_CRISIS_TERM_CHARS`] characters, and there may be
    /// at most [`MAX_CRISIS_TERMS`] in all; otherwise nothing is added and the error names
    /// the first bad term's index.
    pub fn with_extra_terms(&self, terms: &[String]) -> Result<Self, CrisisTermError> {
        let count = self.tenant_terms.len() + terms.len();
        if count > MAX_CRISIS_TERMS {
            return Err(CrisisTermError::TooMany {
                count,
                max: MAX_CRISIS_TERMS,
            });
        }
        for (index, term) in terms.iter().enumerate() {
            let chars = term.chars().count();
            if chars > MAX_CRISIS_TERM_CHARS {
                return Err(CrisisTermError::TooLong {
                    index,
                    chars,
                    max: MAX_CRISIS_TERM_CHARS,
                });
            }
            if normalize(term).is_empty() {
                return Err(CrisisTermError::Empty { index });
            }
        }
        let mut all = self.tenant_terms.as_ref().clone();
        all.extend(terms.iter().cloned());
        let tenant = (!all.is_empty()).then(|| Arc::new(Lexicon::from_terms(&all)));
        Ok(Self {
            builtin: self.builtin.clone(),
            tenant_terms: Arc::new(all),
            tenant,
        })
    }

    /// Checks one caller message (chat, SMS or speech transcript), German, English or both
    /// mixed. `None` means no sign of a crisis; a hit means: hand the caller to a person.
    /// Only the first 2,000 characters are looked at.
    pub fn check(&self, text: &str) -> Option<CrisisHit> {
        let normalized = normalize(text);
        if normalized.is_empty() {
            return None;
        }
        let words = lexicon::Words::of(text);
        if let Some(category) = strongest(&self.builtin.lexicon.find(&words, &normalized)) {
            return Some(CrisisHit {
                category,
                source: CrisisSource::Lexicon,
                score: 1.0,
            });
        }
        if let Some(tenant) = &self.tenant
            && !tenant.find(&words, &normalized).is_empty()
        {
            return Some(CrisisHit {
                category: CrisisCategory::Custom,
                source: CrisisSource::TenantTerm,
                score: 1.0,
            });
        }
        let (score, category) = self.builtin.model.score(&normalized);
        (score >= self.builtin.model.threshold()).then_some(CrisisHit {
            category,
            source: CrisisSource::Model,
            score,
        })
    }
}

/// The category of the most telling matches: a match inside a longer one (more pattern
/// items) gives way to it ("er will mich umbringen" is violence, not suicide); among the
/// rest, suicide comes before self-harm before violence.
fn strongest(matches: &[lexicon::Match]) -> Option<CrisisCategory> {
    let kept = matches.iter().filter(|m| {
        !matches.iter().any(|o| {
            o.items > m.items && o.start <= m.end && m.start <= o.end && o.category != m.category
        })
    });
    kept.map(|m| m.category).min_by_key(|c| match c {
        CrisisCategory::Suicide => 0,
        CrisisCategory::SelfHarm => 1,
        CrisisCategory::Violence => 2,
        CrisisCategory::Custom => 3,
    })
}

#[cfg(test)]
mod tests;
