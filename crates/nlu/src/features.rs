//! Hashed sparse features of an utterance: word unigrams and bigrams, stems (German and
//! English Snowball), and character n-grams inside word boundaries. Character n-grams carry
//! most of the robustness to German compounds, dialect spellings and typos.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use crate::normalize::{normalize, tokens};

/// Keys of character n-gram features have this bit set; word features do not. The two
/// groups are weighted and normalised separately.
pub(crate) const CHAR_BIT: u64 = 1 << 63;

/// Which features to extract; stored in the model so inference extracts the same ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureConfig {
    pub(crate) word_bigrams: bool,
    /// Pairs of words one word apart ("top _ card"), which survive an inserted filler word.
    #[serde(default)]
    pub(crate) skip_bigrams: bool,
    pub(crate) stems: bool,
    pub(crate) char_min: usize,
    pub(crate) char_max: usize,
    /// Weight of the (unit-length) character block relative to the word block.
    pub(crate) char_weight: f32,
    /// Dialect and colloquial German read as standard German too ([`crate::dialect`]): the
    /// standard words are extra word features, and the sentence encoder embeds the standard
    /// text. Off for models trained before it existed, so they predict as they were trained.
    #[serde(default)]
    pub(crate) dialect: bool,
    /// Words the examples never use are read against the examples' vocabulary too
    /// ([`crate::spelling`]): typos and compounds. Off for models trained before it existed.
    #[serde(default)]
    pub(crate) spelling: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            word_bigrams: true,
            skip_bigrams: false,
            stems: true,
            char_min: 2,
            char_max: 5,
            char_weight: 1.0,
            dialect: true,
            spelling: true,
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn key(namespace: u8, parts: &[&str]) -> u64 {
    let mut h = fnv(FNV_OFFSET, &[namespace]);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h = fnv(h, &[0xff]);
        }
        h = fnv(h, p.as_bytes());
    }
    h & !CHAR_BIT
}

/// Appends the raw feature keys (with repetitions, one per occurrence) of `text` to `out`.
pub(crate) fn extract(text: &str, config: &FeatureConfig, out: &mut Vec<u64>) {
    let normalized = normalize(text);
    extract_normalized(&normalized, config, out);
    if config.dialect
        && let Some(standard) = crate::dialect::standardize(text)
    {
        // The standard words a dialect or colloquial utterance stands for, as word features
        // beside its own (its character n-grams stay those of what was written).
        let own: std::collections::HashSet<&str> = tokens(&normalized).collect();
        let standard = normalize(&standard);
        let toks: Vec<&str> = tokens(&standard).collect();
        let new: Vec<String> = toks
            .iter()
            .filter(|t| !own.contains(*t))
            .map(|t| (*t).to_owned())
            .collect();
        extra_words(&new, config, out);
        if config.word_bigrams {
            for (i, tok) in toks.iter().enumerate().filter(|(_, t)| !own.contains(*t)) {
                let prev = if i == 0 { "<s>" } else { toks[i - 1] };
                out.push(key(b'b', &[prev, tok]));
            }
        }
    }
}

/// Appends word features (the word and its stems) for words the utterance stands for but does
/// not spell (dialect readings, corrections, compound parts).
pub(crate) fn extra_words(words: &[String], config: &FeatureConfig, out: &mut Vec<u64>) {
    let en = Stemmer::create(Algorithm::English);
    let de = Stemmer::create(Algorithm::German);
    for tok in words {
        out.push(key(b'w', &[tok]));
        if config.stems && tok.len() > 3 {
            let s_de = de.stem(tok);
            if s_de != *tok {
                out.push(key(b's', &[&s_de]));
            }
            let s_en = en.stem(tok);
            if s_en != *tok && s_en != s_de {
                out.push(key(b's', &[&s_en]));
            }
        }
    }
}

/// The text the sentence encoder embeds: dialect and colloquial German in its standard form
/// (the encoder knows standard German far better), anything else as written.
pub(crate) fn text_to_embed<'a>(
    text: &'a str,
    config: &FeatureConfig,
) -> std::borrow::Cow<'a, str> {
    match config
        .dialect
        .then(|| crate::dialect::standardize(text))
        .flatten()
    {
        Some(standard) => std::borrow::Cow::Owned(standard),
        None => std::borrow::Cow::Borrowed(text),
    }
}

pub(crate) fn extract_normalized(normalized: &str, config: &FeatureConfig, out: &mut Vec<u64>) {
    let toks: Vec<&str> = tokens(normalized).collect();
    let en = Stemmer::create(Algorithm::English);
    let de = Stemmer::create(Algorithm::German);
    for (i, tok) in toks.iter().enumerate() {
        out.push(key(b'w', &[tok]));
        if config.word_bigrams {
            let prev = if i == 0 { "<s>" } else { toks[i - 1] };
            out.push(key(b'b', &[prev, tok]));
            if i + 1 == toks.len() {
                out.push(key(b'b', &[tok, "</s>"]));
            }
        }
        if config.skip_bigrams && i >= 2 {
            out.push(key(b'k', &[toks[i - 2], tok]));
        }
        if config.stems && tok.len() > 3 {
            let s_en = en.stem(tok);
            if s_en != *tok {
                out.push(key(b's', &[&s_en]));
            }
            let s_de = de.stem(tok);
            if s_de != *tok && s_de != s_en {
                out.push(key(b's', &[&s_de]));
            }
        }
        char_ngrams(tok, config, out);
    }
}

fn char_ngrams(tok: &str, config: &FeatureConfig, out: &mut Vec<u64>) {
    // Pad with spaces so prefixes and suffixes are features of their own (char_wb).
    let mut bounds: Vec<usize> = Vec::with_capacity(tok.len() + 3);
    let padded = format!(" {tok} ");
    bounds.extend(padded.char_indices().map(|(i, _)| i));
    bounds.push(padded.len());
    let n_chars = bounds.len() - 1;
    let bytes = padded.as_bytes();
    for start in 0..n_chars {
        let mut h = fnv(FNV_OFFSET, b"c");
        for len in 1..=config.char_max {
            let end = start + len;
            if end > n_chars {
                break;
            }
            h = fnv(h, &bytes[bounds[end - 1]..bounds[end]]);
            if len >= config.char_min {
                // A lone space n-gram would say nothing.
                out.push(h | CHAR_BIT);
            }
        }
    }
}
