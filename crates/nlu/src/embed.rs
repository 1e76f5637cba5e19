//! The dense half of the combined model: a sentence embedder the shell may hand in. The
//! model appends an utterance's (scaled) embedding to its sparse n-gram features, so one
//! linear classifier weighs both; without an embedder the model is sparse only.

use std::sync::Arc;

/// Turns an utterance into a fixed-width vector whose direction carries its meaning, across
/// languages. Implemented for [`sentence_encoder::Encoder`]; tests may plug in others.
pub trait SentenceEmbedder: Send + Sync + std::fmt::Debug {
    /// Names the exact weights: a model records it and refuses an embedder with another.
    fn fingerprint(&self) -> &str;
    /// Width of every vector [`embed`](Self::embed) returns.
    fn dim(&self) -> usize;
    /// The unit-length vector of `text`; must not panic on any input.
    fn embed(&self, text: &str) -> Vec<f32>;
}

impl SentenceEmbedder for sentence_encoder::Encoder {
    fn fingerprint(&self) -> &str {
        sentence_encoder::Encoder::fingerprint(self)
    }

    fn dim(&self) -> usize {
        sentence_encoder::DIM
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        sentence_encoder::Encoder::embed(self, text)
    }
}

/// A shared embedder, as models hold it.
pub type SharedEmbedder = Arc<dyn SentenceEmbedder>;

/// Appends `weight · embedding` to a sparse vector as rows `first_row..first_row + dim`;
/// a vector of the wrong width is treated as absent rather than misread.
pub(crate) fn append_dense(
    x: &mut Vec<(u32, f32)>,
    first_row: usize,
    embedding: &[f32],
    dim: usize,
    weight: f32,
) {
    if embedding.len() != dim {
        return;
    }
    x.extend(
        embedding
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(d, &v)| ((first_row + d) as u32, v * weight)),
    );
}
