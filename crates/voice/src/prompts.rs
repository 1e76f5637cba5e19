//! Synthesis of a flow's prompts when a version is published (or first loaded after a
//! restart), so the first caller never waits for text-to-speech.

use std::sync::Arc;

use app::{PromptText, PromptWarmer};

use crate::tts::{Synthesizer, Voice};

/// Synthesises prompts in the background through a [`Synthesizer`] (whose cache keeps them).
#[derive(Debug)]
pub struct SynthesizingWarmer {
    synthesizer: Arc<dyn Synthesizer>,
}

impl SynthesizingWarmer {
    /// A warmer over `synthesizer`.
    pub fn new(synthesizer: Arc<dyn Synthesizer>) -> Self {
        Self { synthesizer }
    }

    /// Synthesises `prompts` one after the other; returns how many failed.
    pub async fn synthesize_all(&self, prompts: Vec<PromptText>) -> usize {
        let mut failed = 0;
        for p in prompts {
            let voice = Voice {
                language: p.language,
                name: p.voice,
            };
            if let Err(e) = self.synthesizer.synthesize(&p.text, &voice).await {
                failed += 1;
                tracing::warn!(error = %e, "a prompt could not be synthesised ahead of calls");
            }
        }
        failed
    }
}

#[async_trait::async_trait]
impl PromptWarmer for SynthesizingWarmer {
    fn warm(&self, prompts: Vec<PromptText>) {
        let synthesizer = self.synthesizer.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                SynthesizingWarmer { synthesizer }.warm_now(prompts).await;
            });
        }
    }

    async fn warm_now(&self, prompts: Vec<PromptText>) {
        let count = prompts.len();
        let failed = self.synthesize_all(prompts).await;
        tracing::info!(prompts = count, failed, "flow prompts synthesised");
    }
}
