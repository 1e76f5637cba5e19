//! Trying a draft before it is published, as the editor does beside the canvas: a simulated
//! conversation, a sentence classified with the reasons, a report on the intents' examples
//! (too few, overlapping), and the flow's own `tests:`. Nothing is stored.
//!
//! The model of a draft is trained from its examples and kept in a small cache keyed by the
//! tenant and the examples themselves, so typing elsewhere in the draft or simulating turn
//! after turn does not train again.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use domain::TenantId;
use flow::simulate::{SimInput, SimSetup, SimTurn};
use flow::{Channel, Diagnostic, Flow, Severity, TestOutcome};
use security::rbac::Permission;

use crate::understanding::{Explanation, FlowUnderstanding, flow_examples, train_examples};
use crate::{App, AppError, AppResult, Principal};

/// Draft models kept at once (over all tenants).
const CACHED_MODELS: usize = 16;

/// How many held-out parts the overlap report trains on.
const REPORT_FOLDS: usize = 5;

/// Fewer examples than this in a language the flow speaks draws a warning.
pub const MIN_EXAMPLES: usize = 5;

/// A share of an intent's held-out examples taken for another intent at or above this is an
/// overlap worth a warning.
pub const OVERLAP_SHARE: f32 = 0.2;

/// Trained models of recent drafts.
#[derive(Debug, Default)]
pub(crate) struct DraftModels {
    entries: Mutex<VecDeque<(DraftKey, Option<Arc<nlu::Model>>)>>,
    reports: Mutex<VecDeque<(DraftKey, Arc<IntentReport>)>>,
}

/// A tenant and the draft's examples (as JSON): equal keys train equal models.
type DraftKey = (TenantId, String);

/// A draft that does not compile: its errors (warnings dropped).
#[derive(Debug, Clone)]
pub struct DraftErrors(pub Vec<Diagnostic>);

/// A simulated conversation, or why there is none.
pub type Simulation = Result<Vec<SimTurn>, DraftErrors>;

/// The flow's tests, or why they did not run.
pub type TestRun = Result<Vec<TestOutcome>, DraftErrors>;

/// What the examples of a draft's intents are worth.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentReport {
    /// Whether a model could be trained (examples for at least two intents).
    pub has_model: bool,
    /// One entry per intent, in name order.
    pub intents: Vec<IntentHealth>,
}

/// One intent's examples and what is wrong with them.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentHealth {
    /// The intent.
    pub name: String,
    /// Examples per language the flow speaks (0 where none).
    pub examples: BTreeMap<String, usize>,
    /// Keywords.
    pub keywords: usize,
    /// Share of its examples the model recognised when they were held out of training
    /// (`None` without a model).
    pub recognised: Option<f32>,
    /// Other intents its held-out examples were taken for.
    pub overlaps: Vec<Overlap>,
    /// Share of its held-out examples the model rejected as out of scope.
    pub rejected: Option<f32>,
    /// What to do about it, most important first.
    pub warnings: Vec<IntentWarning>,
}

/// Held-out examples of one intent that the model took for another.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// The other intent.
    pub intent: String,
    /// Share of the intent's examples taken for it.
    pub share: f32,
    /// The examples taken for it.
    pub examples: Vec<String>,
}

/// A finding about an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentWarning {
    /// Neither examples nor keywords: nothing can ever match it.
    Empty,
    /// Fewer than [`MIN_EXAMPLES`] examples in a language the flow speaks.
    TooFewExamples {
        /// The language.
        language: String,
        /// How many it has.
        count: usize,
    },
    /// Its examples are often taken for another intent.
    Overlaps {
        /// The other intent.
        intent: String,
    },
    /// Half or more of its examples were not recognised at all when held out.
    Unrecognised,
}

impl App {
    /// Runs a simulated conversation with a draft (see [`flow::simulate`]), starting now.
    pub async fn simulate_draft(
        &self,
        who: &Principal,
        source: &str,
        channel: Channel,
        language: Option<String>,
        inputs: Vec<SimInput>,
    ) -> AppResult<Simulation> {
        who.require(Permission::FlowsRead)?;
        if inputs.len() > flow::simulate::MAX_SIMULATED_INPUTS {
            return Err(AppError::field(
                "inputs",
                format!(
                    "a simulation replays at most {} inputs",
                    flow::simulate::MAX_SIMULATED_INPUTS
                ),
            ));
        }
        let flow = match self.compile_draft(source)? {
            Ok(flow) => flow,
            Err(errors) => return Ok(Err(errors)),
        };
        if let Some(language) = &language
            && !flow.document().languages.contains(language)
            && &flow.document().language != language
        {
            return Err(AppError::field(
                "language",
                format!("the flow does not speak {language:?}"),
            ));
        }
        let matcher = self.draft_understanding(who.tenant_id, &flow).await?;
        let setup = SimSetup {
            channel,
            language,
            start_ms: self.now().millis(),
        };
        Ok(Ok(flow::simulate::simulate(
            &flow, &matcher, &setup, &inputs,
        )))
    }

    /// Classifies one sentence as the draft would, and says what decided.
    pub async fn try_sentence(
        &self,
        who: &Principal,
        source: &str,
        text: &str,
        language: Option<&str>,
    ) -> AppResult<Result<Explanation, DraftErrors>> {
        who.require(Permission::FlowsRead)?;
        if text.trim().is_empty() {
            return Err(AppError::field("text", "write a sentence to try"));
        }
        if text.chars().count() > 500 {
            return Err(AppError::field(
                "text",
                "a sentence has at most 500 characters",
            ));
        }
        let flow = match self.compile_draft(source)? {
            Ok(flow) => flow,
            Err(errors) => return Ok(Err(errors)),
        };
        let language = language.unwrap_or(&flow.document().language).to_owned();
        let understanding = self.draft_understanding(who.tenant_id, &flow).await?;
        Ok(Ok(understanding.explain(text, &language)))
    }

    /// Reports on a draft's intents: too few examples, and examples the model takes for
    /// another intent or for nothing when they are held out of its training (5 parts).
    pub async fn intent_report(
        &self,
        who: &Principal,
        source: &str,
    ) -> AppResult<Result<Arc<IntentReport>, DraftErrors>> {
        who.require(Permission::FlowsRead)?;
        let flow = match self.compile_draft(source)? {
            Ok(flow) => flow,
            Err(errors) => return Ok(Err(errors)),
        };
        let key = (who.tenant_id, examples_key(&flow));
        let cache = &self.inner.drafts;
        if let Some(hit) = lock(&cache.reports)
            .iter()
            .find(|(k, _)| k == &key)
            .map(|(_, r)| r.clone())
        {
            return Ok(Ok(hit));
        }
        let encoder = self.sentence_encoder();
        let report = tokio::task::spawn_blocking(move || report(&flow, encoder))
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("reporting on the intents"))
            })?;
        let report = Arc::new(report);
        let mut reports = lock(&cache.reports);
        reports.push_back((key, report.clone()));
        while reports.len() > CACHED_MODELS {
            reports.pop_front();
        }
        Ok(Ok(report))
    }

    /// Runs the draft's `tests:` with the draft's understanding.
    pub async fn run_draft_tests(&self, who: &Principal, source: &str) -> AppResult<TestRun> {
        who.require(Permission::FlowsRead)?;
        let flow = match self.compile_draft(source)? {
            Ok(flow) => flow,
            Err(errors) => return Ok(Err(errors)),
        };
        let understanding = self.draft_understanding(who.tenant_id, &flow).await?;
        Ok(Ok(flow::run_tests(&flow, &understanding)))
    }

    /// The draft compiled, or its errors. A source that does not parse is a bad request.
    fn compile_draft(&self, source: &str) -> AppResult<Result<Flow, DraftErrors>> {
        let diagnostics = self.check_flow_source(source)?;
        let errors: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Ok(Err(DraftErrors(errors)));
        }
        let doc = crate::flows::parse_source(source)?;
        Ok(Flow::compile(doc).map_err(DraftErrors))
    }

    /// The draft's keywords over its model, trained once per set of examples.
    async fn draft_understanding(
        &self,
        tenant: TenantId,
        flow: &Flow,
    ) -> AppResult<FlowUnderstanding> {
        let key = (tenant, examples_key(flow));
        let cache = &self.inner.drafts;
        let hit = lock(&cache.entries)
            .iter()
            .find(|(k, _)| k == &key)
            .map(|(_, m)| m.clone());
        let model = match hit {
            Some(model) => model,
            None => {
                let examples = flow_examples(flow);
                let encoder = self.sentence_encoder();
                let model = tokio::task::spawn_blocking(move || train_examples(&examples, encoder))
                    .await
                    .map_err(|e| {
                        AppError::Internal(
                            anyhow::Error::new(e).context("training the draft's model"),
                        )
                    })?
                    .map(Arc::new);
                let mut entries = lock(&cache.entries);
                entries.push_back((key, model.clone()));
                while entries.len() > CACHED_MODELS {
                    entries.pop_front();
                }
                model
            }
        };
        Ok(FlowUnderstanding::with_model(flow, model))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The examples of a flow as one text: the model depends on nothing else.
fn examples_key(flow: &Flow) -> String {
    let examples: BTreeMap<&String, _> = flow
        .document()
        .intents
        .iter()
        .map(|(name, def)| (name, &def.examples))
        .collect();
    serde_json::to_string(&examples).unwrap_or_default()
}

/// What the model made of one intent's held-out examples.
#[derive(Default)]
struct HeldOut {
    /// How many were held out.
    count: usize,
    /// The other intents its examples were taken for, with the examples.
    taken: BTreeMap<String, Vec<String>>,
    /// How many were rejected as out of scope.
    rejected: usize,
}

/// The report: counts and warnings from the document, overlaps from training on four fifths
/// of each intent's examples and classifying the fifth held out, five times.
fn report(flow: &Flow, encoder: Option<nlu::SharedEmbedder>) -> IntentReport {
    let doc = flow.document();
    let mut languages: Vec<String> = doc.languages.clone();
    if !languages.contains(&doc.language) {
        languages.push(doc.language.clone());
    }
    let examples = flow_examples(flow);
    let with_examples = doc
        .intents
        .values()
        .filter(|d| d.examples.values().any(|e| !e.is_empty()))
        .count();
    let has_model = with_examples >= 2;

    let mut held: BTreeMap<&str, HeldOut> = BTreeMap::new();
    if has_model {
        for fold in 0..REPORT_FOLDS {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for e in &examples {
                let n = seen.entry(e.intent.as_str()).or_default();
                if *n % REPORT_FOLDS == fold {
                    test.push(e);
                } else {
                    train.push(e.clone());
                }
                *n += 1;
            }
            if test.is_empty() {
                continue;
            }
            let Some(model) = train_examples(&train, encoder.clone()) else {
                continue;
            };
            for e in test {
                let entry = held.entry(e.intent.as_str()).or_default();
                entry.count += 1;
                // Overlap is read from the model's best guess, accepted or not: an example
                // whose best guess is another intent is closer to that intent's examples.
                let p = model.predict(&e.text);
                match p.ranking.first() {
                    Some((best, _)) if best != &e.intent => {
                        entry
                            .taken
                            .entry(best.clone())
                            .or_default()
                            .push(e.text.clone());
                    }
                    _ if p.intent.is_none() => entry.rejected += 1,
                    _ => {}
                }
            }
        }
    }

    let intents = doc
        .intents
        .iter()
        .map(|(name, def)| {
            let counts: BTreeMap<String, usize> = languages
                .iter()
                .map(|l| (l.clone(), def.examples.get(l).map_or(0, Vec::len)))
                .collect();
            let mut warnings = Vec::new();
            let total: usize = def.examples.values().map(Vec::len).sum();
            if total == 0 && def.keywords.is_empty() && def.patterns.is_empty() {
                warnings.push(IntentWarning::Empty);
            }
            if total > 0 {
                for (language, &count) in &counts {
                    if count < MIN_EXAMPLES {
                        warnings.push(IntentWarning::TooFewExamples {
                            language: language.clone(),
                            count,
                        });
                    }
                }
            }
            let (recognised, rejected, overlaps) = match held.get(name.as_str()) {
                Some(HeldOut {
                    count: n,
                    taken,
                    rejected,
                }) if *n > 0 => {
                    let n_f = *n as f32;
                    let mut overlaps: Vec<Overlap> = taken
                        .iter()
                        .map(|(other, texts)| Overlap {
                            intent: other.clone(),
                            share: texts.len() as f32 / n_f,
                            examples: texts.clone(),
                        })
                        .collect();
                    overlaps.sort_by(|a, b| b.share.total_cmp(&a.share));
                    let wrong: usize = taken.values().map(Vec::len).sum();
                    (
                        Some((n - wrong - rejected) as f32 / n_f),
                        Some(*rejected as f32 / n_f),
                        overlaps,
                    )
                }
                _ => (None, None, Vec::new()),
            };
            for o in &overlaps {
                if o.share >= OVERLAP_SHARE {
                    warnings.push(IntentWarning::Overlaps {
                        intent: o.intent.clone(),
                    });
                }
            }
            if rejected.is_some_and(|r| r >= 0.5) {
                warnings.push(IntentWarning::Unrecognised);
            }
            IntentHealth {
                name: name.clone(),
                examples: counts,
                keywords: def.keywords.len(),
                recognised,
                overlaps,
                rejected,
                warnings,
            }
        })
        .collect();
    IntentReport { has_model, intents }
}
