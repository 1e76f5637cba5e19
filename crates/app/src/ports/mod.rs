//! The ports: traits the shells implement so the use cases can reach the outside world
//! without knowing how, with the types they exchange beside them. Who implements which:
//!
//! - [`HttpClient`] (`http`): the `channels` crate, for the HTTP requests flows make;
//! - [`PromptWarmer`] (`prompts`): the call shell (`voice`), to synthesise a flow's prompts
//!   ahead of the first call;
//! - [`Synthesizer`] and [`Recognizer`] (`speech`): the call shell, with espeak-ng and
//!   pocketsphinx as child processes, or an operator's engine of choice;
//! - [`CallBackDialer`] (`dialer`): the call shell, which places call-backs through the trunk;
//! - [`RecordingFiles`] (`recordings`): the call shell, whose folder holds the sealed
//!   recordings that exports, erasure and retention read and delete;
//! - [`MessageSender`] (`messaging`): the messaging shells (`channels`: SMPP, Twilio-compatible
//!   HTTP providers, the WhatsApp Cloud API), which hand SMS and WhatsApp messages to providers.
//!
//! A port carries nothing of its implementations: no HTTP types, and audio as plain PCM
//! samples, so `app` depends on neither an HTTP crate nor `media`.

mod dialer;
mod http;
mod messaging;
mod prompts;
mod recordings;
mod speech;

pub use dialer::{CallBackDialer, CallBackOrder};
pub use http::{HttpClient, OutboundOutcome, OutboundRequest, OutboundResponse, PrivateAccess};
pub use messaging::{MessageSender, OutboundMessage, SendOutcome};
pub use prompts::{PromptText, PromptWarmer};
pub use recordings::RecordingFiles;
pub use speech::{
    AsrError, Grammar, Prompt, Recognition, RecognitionStream, Recognizer, Synthesizer, TtsError,
    VadEvent, Voice,
};
