//! The prompt port: how the app gets a flow's spoken prompts ready before the first call
//! reaches them. Implemented by the call shell (`voice::prompts::SynthesizingWarmer`), which
//! synthesises through a [`Synthesizer`](super::Synthesizer) whose cache keeps the audio.

/// A static prompt of a flow, for synthesis ahead of the first call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromptText {
    /// The text.
    pub text: String,
    /// Its language.
    pub language: String,
    /// The voice the flow names, if any.
    pub voice: Option<String>,
}

/// The port through which the app has a flow's prompts synthesised when a version is
/// published (or first loaded after a restart); implemented by the call shell.
#[async_trait::async_trait]
pub trait PromptWarmer: Send + Sync + std::fmt::Debug {
    /// Starts synthesising these prompts in the background.
    fn warm(&self, prompts: Vec<PromptText>);

    /// Synthesises these prompts and returns when they are ready (or failed, which is logged:
    /// a call then speaks the prompt when it reaches it).
    async fn warm_now(&self, prompts: Vec<PromptText>);
}
