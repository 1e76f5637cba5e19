//! How a flow version understands callers: the operator's keywords and patterns first (they
//! are exact and say what the operator means), then the NLU model trained from the flow's
//! example utterances when the version is published. Both sit behind the flow engine's
//! `IntentMatcher`, so flows do not change when a stronger model arrives.

use flow::{Flow, IntentMatch, IntentMatcher, KeywordMatcher};

/// The intent matcher of one published flow version.
pub struct FlowUnderstanding {
    keywords: KeywordMatcher,
    model: Option<nlu::Model>,
}

impl std::fmt::Debug for FlowUnderstanding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowUnderstanding")
            .field("model", &self.model.is_some())
            .finish_non_exhaustive()
    }
}

impl FlowUnderstanding {
    /// Trains the model from the flow's examples (deterministic: seed 0). A flow with
    /// examples for fewer than two intents gets keywords and patterns only.
    pub fn train(flow: &Flow) -> Self {
        let examples: Vec<nlu::Example> = flow
            .document()
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
            .collect();
        let model = if examples.is_empty() {
            None
        } else {
            match nlu::train(&examples, &nlu::TrainConfig::default(), &mut |_| {}) {
                Ok(model) => Some(model),
                Err(e) => {
                    tracing::info!(reason = %e, "flow has too few examples for a model; keywords only");
                    None
                }
            }
        };
        Self {
            keywords: KeywordMatcher::from_flow(flow),
            model,
        }
    }

    /// Whether a trained model backs the keywords.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
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
}
