//! Hotline's natural-language understanding core: normalisation, language identification,
//! intent classification with calibrated confidence and out-of-scope detection, and entity
//! extraction for German and English.
//!
//! The crate is pure: it reads no files, opens no sockets, reads no clock and uses no global
//! random source. Data comes in as strings and structs; training is deterministic given
//! [`TrainConfig::seed`], so the same data and seed give byte-identical models.

mod data;
pub mod entities;
mod eval;
mod features;
mod lang;
mod model;
mod normalize;
mod rng;
mod train;

pub use data::{DataError, Example, parse_jsonl};
pub use entities::{DateTimeGrain, Entity, EntityKind, EntityList, EntityValue, extract_entities};
pub use eval::{ClassReport, EvalReport, SlotReport, datetime_slot_report, score};
/// Re-exported so shells can build the reference time for entities without their own dependency.
pub use jiff;
pub use lang::{Lang, detect_language};
pub use model::{IntentModel, Model, ModelError, Prediction};
pub use normalize::normalize;
pub use train::{Loss, Progress, TrainConfig, TrainError, train};
