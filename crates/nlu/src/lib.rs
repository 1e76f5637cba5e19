//! Hotline's natural-language understanding core: normalisation, language identification,
//! intent classification with calibrated confidence and out-of-scope detection, entity
//! extraction for German and English, and crisis detection on every caller message
//! ([`CrisisDetector`], [`asks_for_human`]).
//!
//! The crate is pure: it reads no files, opens no sockets, reads no clock and uses no global
//! random source. Data comes in as strings and structs; training is deterministic given
//! [`TrainConfig::seed`], so the same data and seed give byte-identical models.
//!
//! With a [`SentenceEmbedder`] (the multilingual [`Encoder`], whose weights the shell
//! loads), the model adds the utterance's embedding to its sparse features: stronger on
//! few-shot data and out-of-scope, and it understands German callers from English examples.

mod crisis;
mod data;
mod dialect;
mod embed;
pub mod entities;
mod eval;
mod features;
mod lang;
mod model;
mod normalize;
mod rng;
mod spelling;
mod train;
mod transcript;

pub use crisis::{
    CrisisCategory, CrisisDetector, CrisisHit, CrisisSource, CrisisTermError,
    MAX_CRISIS_TERM_CHARS, MAX_CRISIS_TERMS, asks_for_human,
};
pub use data::{DataError, Example, parse_jsonl, stratified_folds};
pub use dialect::standardize;
pub use embed::{SentenceEmbedder, SharedEmbedder};
pub use entities::{DateTimeGrain, Entity, EntityKind, EntityList, EntityValue, extract_entities};
pub use eval::{ClassReport, EvalReport, SlotReport, datetime_slot_report, score};
/// Re-exported so shells can build the reference time for entities without their own dependency.
pub use jiff;
pub use lang::{Lang, detect_language};
pub use model::{IntentModel, Model, ModelError, Prediction};
pub use normalize::normalize;
/// Re-exported so shells can load the encoder without their own dependency.
pub use sentence_encoder::{Encoder, LoadError as EncoderLoadError};
pub use train::{Loss, Progress, TrainConfig, TrainError, train, train_with_embedder};
pub use transcript::{OTHER_LANGUAGE_MIN_WORDS, other_language};
