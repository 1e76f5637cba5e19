//! Synthesis of a flow's prompts when a version is published (or first loaded after a
//! restart), so the first caller never waits for text-to-speech.
//!
//! When the engine is missing or failing (espeak-ng not installed yet, a speech server down),
//! the batch's failures are logged once — how many, and the first reason — not once per
//! prompt, and the prompts are kept: a background task tries again every
//! [`SynthesizingWarmer::RETRY_EVERY`], and as soon as the engine answers it synthesises them
//! all and says so once.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use app::{PromptText, PromptWarmer};

use crate::tts::{Synthesizer, Voice};

/// Prompts kept for a later try, at most (a tenant's flows have a few hundred).
const MAX_PENDING: usize = 10_000;

/// Synthesises prompts in the background through a [`Synthesizer`] (whose cache keeps them).
#[derive(Debug, Clone)]
pub struct SynthesizingWarmer {
    synthesizer: Arc<dyn Synthesizer>,
    /// Prompts that could not be synthesised yet.
    pending: Arc<Mutex<BTreeSet<PromptText>>>,
    /// Whether the task that tries them again runs.
    retrying: Arc<AtomicBool>,
    retry_every: Duration,
}

impl SynthesizingWarmer {
    /// How often prompts that could not be synthesised are tried again.
    pub const RETRY_EVERY: Duration = Duration::from_secs(30);

    /// A warmer over `synthesizer`.
    pub fn new(synthesizer: Arc<dyn Synthesizer>) -> Self {
        Self {
            synthesizer,
            pending: Arc::new(Mutex::new(BTreeSet::new())),
            retrying: Arc::new(AtomicBool::new(false)),
            retry_every: Self::RETRY_EVERY,
        }
    }

    /// Tries failed prompts again at this interval instead of [`Self::RETRY_EVERY`].
    #[must_use]
    pub fn with_retry_every(mut self, every: Duration) -> Self {
        self.retry_every = every;
        self
    }

    /// Prompts waiting for the engine.
    pub fn pending(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Synthesises `prompts` one after the other; returns how many failed. Failures are
    /// logged once (their count and the first reason) and kept for the retry task.
    pub async fn synthesize_all(&self, prompts: Vec<PromptText>) -> usize {
        let total = prompts.len();
        let (failed, first_error) = self.try_all(prompts).await;
        if let Some(error) = first_error {
            tracing::warn!(
                failed = failed.len(),
                prompts = total,
                error,
                retry_every_s = self.retry_every.as_secs(),
                "prompts could not be synthesised ahead of calls; trying again until the speech engine answers"
            );
        }
        let n = failed.len();
        self.keep(failed);
        n
    }

    /// Synthesises each prompt; the ones that failed, and the first reason.
    async fn try_all(&self, prompts: Vec<PromptText>) -> (Vec<PromptText>, Option<String>) {
        let mut failed = Vec::new();
        let mut first_error = None;
        for p in prompts {
            let voice = Voice {
                language: p.language.clone(),
                name: p.voice.clone(),
            };
            if let Err(e) = self.synthesizer.synthesize(&p.text, &voice).await {
                first_error.get_or_insert_with(|| e.to_string());
                failed.push(p);
            }
        }
        (failed, first_error)
    }

    /// Keeps prompts for a later try and makes sure the retry task runs.
    fn keep(&self, prompts: Vec<PromptText>) {
        if prompts.is_empty() {
            return;
        }
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for p in prompts {
                if pending.len() >= MAX_PENDING {
                    break;
                }
                pending.insert(p);
            }
        }
        if !self.retrying.swap(true, Ordering::SeqCst)
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let warmer = self.clone();
            handle.spawn(async move { warmer.retry_until_done().await });
        }
    }

    /// Tries the kept prompts at the interval: one first, and when the engine answers, all.
    async fn retry_until_done(self) {
        loop {
            tokio::time::sleep(self.retry_every).await;
            let batch: Vec<PromptText> =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
                    .into_iter()
                    .collect();
            let Some(first) = batch.first().cloned() else {
                self.retrying.store(false, Ordering::SeqCst);
                // A prompt kept between taking the batch and clearing the flag starts no
                // task of its own: look once more.
                if self.pending() > 0 && !self.retrying.swap(true, Ordering::SeqCst) {
                    continue;
                }
                return;
            };
            let (still, _) = self.try_all(vec![first]).await;
            if !still.is_empty() {
                // Still down: keep them all, quietly (the first failure was logged).
                self.put_back(batch);
                continue;
            }
            let total = batch.len();
            let (failed, first_error) = self.try_all(batch.into_iter().skip(1).collect()).await;
            tracing::info!(
                prompts = total - failed.len(),
                failed = failed.len(),
                error = first_error.as_deref().unwrap_or(""),
                "the speech engine answers again: prompts synthesised that could not be before"
            );
            self.put_back(failed);
        }
    }

    fn put_back(&self, prompts: Vec<PromptText>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.extend(prompts);
    }
}

#[async_trait::async_trait]
impl PromptWarmer for SynthesizingWarmer {
    fn warm(&self, prompts: Vec<PromptText>) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let warmer = self.clone();
            handle.spawn(async move {
                warmer.warm_now(prompts).await;
            });
        }
    }

    async fn warm_now(&self, prompts: Vec<PromptText>) {
        let count = prompts.len();
        let failed = self.synthesize_all(prompts).await;
        tracing::info!(prompts = count, failed, "flow prompts synthesised");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::tts::{Prompt, TtsError};

    /// An engine that is missing until `up` is set, and counts what it synthesised (announcing
    /// each on `synthesised`).
    #[derive(Debug, Default)]
    struct Flaky {
        up: AtomicBool,
        done: AtomicUsize,
        synthesised: tokio::sync::Notify,
    }

    #[async_trait::async_trait]
    impl Synthesizer for Flaky {
        async fn synthesize(&self, _text: &str, _voice: &Voice) -> Result<Prompt, TtsError> {
            if self.up.load(Ordering::SeqCst) {
                self.done.fetch_add(1, Ordering::SeqCst);
                self.synthesised.notify_one();
                Ok(Prompt {
                    samples: vec![0i16; 160].into(),
                })
            } else {
                Err(TtsError::EngineMissing {
                    binary: "espeak-ng".into(),
                })
            }
        }
    }

    fn prompt(text: &str) -> PromptText {
        PromptText {
            text: text.to_owned(),
            language: "de".to_owned(),
            voice: None,
        }
    }

    #[tokio::test]
    async fn prompts_are_synthesised_as_soon_as_the_engine_appears() {
        let engine = Arc::new(Flaky::default());
        let warmer =
            SynthesizingWarmer::new(engine.clone()).with_retry_every(Duration::from_millis(20));
        let failed = warmer
            .synthesize_all(vec![prompt("Hallo"), prompt("Wie kann ich helfen?")])
            .await;
        assert_eq!(failed, 2);
        assert_eq!(warmer.pending(), 2);
        engine.up.store(true, Ordering::SeqCst);
        // Each synthesis is announced; the retry task must make both (a bound, so a broken
        // retry fails the test instead of hanging it).
        tokio::time::timeout(Duration::from_secs(30), async {
            while engine.done.load(Ordering::SeqCst) < 2 {
                engine.synthesised.notified().await;
            }
        })
        .await
        .expect("the kept prompts are synthesised once the engine is up");
        assert_eq!(engine.done.load(Ordering::SeqCst), 2);
        assert_eq!(warmer.pending(), 0);
        // The same prompt failing twice is kept once.
        engine.up.store(false, Ordering::SeqCst);
        warmer.synthesize_all(vec![prompt("Tschüss")]).await;
        warmer.synthesize_all(vec![prompt("Tschüss")]).await;
        assert_eq!(warmer.pending(), 1);
    }
}
