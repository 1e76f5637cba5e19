//! The trained intent model: vocabulary, weights, calibration and out-of-scope thresholds,
//! its prediction and its byte format.

use serde::{Deserialize, Serialize};

use crate::embed::{SharedEmbedder, append_dense};
use crate::features::{CHAR_BIT, FeatureConfig, extract, extract_normalized};
use crate::lang::{Lang, detect_language};
use crate::normalize::normalize;

/// How many intents a [`Prediction`] ranks.
const RANKING_LEN: usize = 5;
/// Below this share of known character n-grams an utterance is treated as out of scope.
const MIN_COVERAGE: f32 = 0.5;
const MAGIC: &[u8; 6] = b"HLNLU\0";
/// Sparse-only models keep version 2's bytes; version 3 adds the dense rows of a model
/// trained with a sentence embedder.
const FORMAT_VERSION: u32 = 2;
const FORMAT_VERSION_DENSE: u32 = 3;

/// What any intent backend offers: the sparse [`Model`] today, an encoder-backed model or an
/// ensemble later. Flows talk to this trait only.
pub trait IntentModel: Send + Sync {
    /// The in-scope intents the model knows, sorted.
    fn intents(&self) -> &[String];
    /// Classifies one utterance. Never panics; out-of-scope input gives `intent: None`.
    fn predict(&self, text: &str) -> Prediction;
}

/// The result of classifying one utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The recognised intent, or `None` when the utterance is out of scope or the model is
    /// not sure enough (the flow should ask again or hand over).
    pub intent: Option<String>,
    /// Calibrated probability (0..1) of the best in-scope intent; when `intent` is `None` it
    /// says how close the best guess came.
    pub confidence: f32,
    /// The best in-scope intents with their calibrated probabilities, best first (at most 5).
    pub ranking: Vec<(String, f32)>,
    /// The utterance's language.
    pub language: Lang,
}

/// A model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The bytes are not a Hotline NLU model.
    #[error("not a Hotline NLU model")]
    BadMagic,
    /// The model was written by an incompatible version.
    #[error("unsupported model format version {0}")]
    UnsupportedVersion(u32),
    /// The bytes end early or their parts do not fit together.
    #[error("corrupt model: {0}")]
    Corrupt(String),
    /// The model was trained with a sentence encoder and none was given.
    #[error(
        "this model was trained with the sentence encoder {0}; load that encoder (--encoder DIR, nlu.encoder_dir) to use it"
    )]
    EncoderRequired(String),
    /// The model was trained with other encoder weights than the ones given.
    #[error("this model was trained with the sentence encoder {expected}, but {found} was given")]
    EncoderMismatch {
        /// The encoder the model was trained with.
        expected: String,
        /// The encoder offered.
        found: String,
    },
}

/// The dense half of a combined model: which embedder it needs and how its vectors enter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DenseMeta {
    /// The embedder's [`fingerprint`](crate::SentenceEmbedder::fingerprint).
    pub(crate) fingerprint: String,
    /// Width of the embedding; its rows follow the sparse rows in `weights`.
    pub(crate) dim: usize,
    /// Scale of the (unit-length) embedding relative to the unit-length sparse block.
    pub(crate) weight: f32,
    /// An utterance whose embedding is less similar (cosine) than this to every in-scope
    /// intent's centroid is out of scope: the sparse model's share of known n-grams cannot
    /// say that once the embedding understands unseen words.
    pub(crate) min_similarity: f32,
    /// The language the examples are written in, when nearly all are in one. An utterance
    /// in another language has no words in common with them: there the embedding carries
    /// the decision, at [`CROSS_LINGUAL_SCALE`] times its weight.
    #[serde(default)]
    pub(crate) language: Option<Lang>,
}

/// How much more the embedding counts for an utterance in another language than the
/// examples' (chosen on English → German xSID; BENCHMARKS.md).
pub(crate) const CROSS_LINGUAL_SCALE: f32 = 3.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub(crate) features: FeatureConfig,
    /// All classes the classifier scores, sorted; may include the out-of-scope class.
    pub(crate) classes: Vec<String>,
    pub(crate) oos_class: Option<usize>,
    /// `classes` without the out-of-scope class.
    pub(crate) intents: Vec<String>,
    pub(crate) temperature: f32,
    pub(crate) min_confidence: f32,
    pub(crate) min_margin: f32,
    /// Present when the model was trained with a sentence embedder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dense: Option<DenseMeta>,
    /// The examples' words, for reading typos and compounds against
    /// ([`FeatureConfig::spelling`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) words: Vec<String>,
}

/// A trained linear intent classifier over sparse n-gram features and, when trained with a
/// sentence embedder, the utterance's embedding. Cheap to share: `predict` takes `&self`.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) meta: Meta,
    /// Sorted feature keys; a key's index is its row in `weights`.
    pub(crate) keys: Vec<u64>,
    pub(crate) idf: Vec<f32>,
    /// Row-major: one row of `classes.len()` weights per feature (the sparse keys, then the
    /// embedding's dimensions), quantised to `i8`; the weight is
    /// `weights[row * classes + class] as f32 * row_scale[row]`.
    pub(crate) weights: Vec<i8>,
    /// Per-feature dequantisation scale of `weights`.
    pub(crate) row_scale: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    /// The embedder of a combined model (always present when `meta.dense` is).
    pub(crate) embedder: Option<SharedEmbedder>,
    /// Combined models: per class, the unit-length mean embedding of its examples
    /// (`classes × dim`); empty for sparse models.
    pub(crate) centroids: Vec<f32>,
}

/// Models are equal when their parameters are; the embedder is named by the fingerprint in
/// `meta`.
impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.meta == other.meta
            && self.keys == other.keys
            && self.idf == other.idf
            && self.weights == other.weights
            && self.row_scale == other.row_scale
            && self.bias == other.bias
            && self.centroids == other.centroids
    }
}

/// A feature vector: (row, value) pairs, rows ascending, L2 length 1.
pub(crate) type SparseVec = Vec<(u32, f32)>;

/// Turns raw feature keys into a weighted, normalised vector over the vocabulary: sublinear
/// term frequency times IDF, each block (words, characters) scaled to unit length, the
/// character block weighted, the whole scaled to unit length.
pub(crate) fn vectorize(keys: &[u64], idf: &[f32], raw: &mut [u64], char_weight: f32) -> SparseVec {
    raw.sort_unstable();
    let mut out: SparseVec = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let k = raw[i];
        let mut j = i + 1;
        while j < raw.len() && raw[j] == k {
            j += 1;
        }
        if let Ok(row) = keys.binary_search(&k) {
            let tf = 1.0 + ((j - i) as f32).ln();
            out.push((row as u32, tf * idf[row]));
        }
        i = j;
    }
    let (mut word_sq, mut char_sq) = (0.0f32, 0.0f32);
    for &(row, v) in &out {
        if keys[row as usize] & CHAR_BIT != 0 {
            char_sq += v * v;
        } else {
            word_sq += v * v;
        }
    }
    let word_scale = if word_sq > 0.0 {
        1.0 / word_sq.sqrt()
    } else {
        0.0
    };
    let char_scale = if char_sq > 0.0 {
        char_weight / char_sq.sqrt()
    } else {
        0.0
    };
    let mut total_sq = 0.0f32;
    for (row, v) in &mut out {
        *v *= if keys[*row as usize] & CHAR_BIT != 0 {
            char_scale
        } else {
            word_scale
        };
        total_sq += *v * *v;
    }
    if total_sq > 0.0 {
        let s = 1.0 / total_sq.sqrt();
        for (_, v) in &mut out {
            *v *= s;
        }
    }
    out
}

/// Adds `x · W` to `scores` (W row-major with `classes` columns).
pub(crate) fn add_scores(
    weights: &[f32],
    classes: usize,
    x: &[(u32, f32)],
    scale: f32,
    scores: &mut [f32],
) {
    for &(row, v) in x {
        let start = row as usize * classes;
        let w = &weights[start..start + classes];
        let v = v * scale;
        for (s, w) in scores.iter_mut().zip(w) {
            *s += v * w;
        }
    }
}

/// Quantises row-major weights to `i8` with one scale per row (feature): each row's largest
/// absolute weight maps to ±127. Deterministic: the same weights give the same bytes.
pub(crate) fn quantize(weights: &[f32], classes: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::with_capacity(weights.len());
    let mut scales = Vec::with_capacity(weights.len() / classes.max(1));
    for row in weights.chunks(classes.max(1)) {
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        // In range by construction: |w| · inv ≤ 127.
        q.extend(row.iter().map(|w| (w * inv).round() as i8));
        scales.push(scale);
    }
    (q, scales)
}

/// Adds `x · W` to `scores` for `i8` weights with per-row scales.
fn add_scores_q(weights: &[i8], row_scale: &[f32], x: &[(u32, f32)], scores: &mut [f32]) {
    let classes = scores.len();
    for &(row, v) in x {
        let start = row as usize * classes;
        let w = &weights[start..start + classes];
        let v = v * row_scale[row as usize];
        for (s, &w) in scores.iter_mut().zip(w) {
            *s += v * f32::from(w);
        }
    }
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Softmax of `scores / temperature`, in place.
pub(crate) fn softmax(scores: &mut [f32], temperature: f32) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = ((*s - max) / temperature).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// The best and second-best class of a probability vector.
pub(crate) fn top2(probs: &[f32]) -> (usize, f32, f32) {
    let (mut best, mut p1, mut p2) = (0, f32::NEG_INFINITY, f32::NEG_INFINITY);
    for (c, &p) in probs.iter().enumerate() {
        if p > p1 {
            p2 = p1;
            p1 = p;
            best = c;
        } else if p > p2 {
            p2 = p;
        }
    }
    (best, p1, p2.max(0.0))
}

impl Model {
    /// The in-scope intents, sorted.
    pub fn intents(&self) -> &[String] {
        &self.meta.intents
    }

    /// The weight of the sentence embedding beside the sparse features (chosen at training
    /// time), or `None` for a sparse-only model.
    pub fn dense_weight(&self) -> Option<f32> {
        self.meta.dense.as_ref().map(|d| d.weight)
    }

    /// Roughly how many bytes the model occupies in memory.
    pub fn approx_memory_bytes(&self) -> usize {
        let strings: usize = self
            .meta
            .classes
            .iter()
            .chain(&self.meta.intents)
            .map(|s| s.len() + 24)
            .sum();
        self.keys.len() * 8
            + self.idf.len() * 4
            + self.weights.len()
            + self.row_scale.len() * 4
            + self.bias.len() * 4
            + strings
    }

    /// The feature vector of `text` under this model's vocabulary, and whether the text
    /// looks like what the model was trained on: for a sparse model, whether it knows enough
    /// of the text's character n-grams (gibberish and foreign scripts have a low share); for
    /// a combined model, whether the embedding comes close enough to an intent's centroid.
    fn featurize_with_familiarity(&self, text: &str) -> (SparseVec, bool) {
        let mut raw = Vec::with_capacity(256);
        extract(text, &self.meta.features, &mut raw);
        if self.meta.features.spelling {
            let readings = crate::spelling::readings(&normalize(text), &self.meta.words);
            crate::features::extra_words(&readings, &self.meta.features, &mut raw);
        }
        let chars = raw.iter().filter(|&&k| k & CHAR_BIT != 0);
        let (mut total, mut known) = (0usize, 0usize);
        for k in chars {
            total += 1;
            known += usize::from(self.keys.binary_search(k).is_ok());
        }
        let coverage = if total == 0 {
            1.0
        } else {
            known as f32 / total as f32
        };
        let mut x = vectorize(
            &self.keys,
            &self.idf,
            &mut raw,
            self.meta.features.char_weight,
        );
        let mut familiar = coverage >= MIN_COVERAGE;
        if let (Some(dense), Some(embedder)) = (&self.meta.dense, &self.embedder) {
            let e = embedder.embed(&crate::features::text_to_embed(text, &self.meta.features));
            let weight = match (dense.language, crate::dialect::spoken_language(text)) {
                (Some(trained), spoken) if spoken != Lang::Unknown && spoken != trained => {
                    dense.weight * CROSS_LINGUAL_SCALE
                }
                _ => dense.weight,
            };
            append_dense(&mut x, self.keys.len(), &e, dense.dim, weight);
            let nearest = self
                .centroids
                .chunks_exact(dense.dim)
                .enumerate()
                .filter(|&(c, _)| Some(c) != self.meta.oos_class)
                .map(|(_, centroid)| dot(centroid, &e))
                .fold(f32::NEG_INFINITY, f32::max);
            familiar = nearest >= dense.min_similarity;
        }
        (x, familiar)
    }

    /// Calibrated class probabilities of a feature vector.
    pub(crate) fn probabilities(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let mut scores = self.bias.clone();
        add_scores_q(&self.weights, &self.row_scale, x, &mut scores);
        softmax(&mut scores, self.meta.temperature);
        scores
    }

    /// All classes the classifier scores (in-scope intents and the out-of-scope class),
    /// sorted; the order of [`Model::probabilities_of_normalized`].
    pub(crate) fn classes(&self) -> &[String] {
        &self.meta.classes
    }

    /// Calibrated probabilities of every class for text that is already normalised, from
    /// the sparse features alone, for in-crate users that weigh the whole distribution
    /// (the crisis classifier).
    pub(crate) fn probabilities_of_normalized(&self, normalized: &str) -> Vec<f32> {
        let mut raw = Vec::with_capacity(256);
        extract_normalized(normalized, &self.meta.features, &mut raw);
        let x = vectorize(
            &self.keys,
            &self.idf,
            &mut raw,
            self.meta.features.char_weight,
        );
        self.probabilities(&x)
    }

    /// Classifies one utterance.
    pub fn predict(&self, text: &str) -> Prediction {
        let language = detect_language(text);
        let has_words = !normalize(text).trim().is_empty();
        let (x, familiar) = if has_words {
            self.featurize_with_familiarity(text)
        } else {
            (Vec::new(), false)
        };
        if x.is_empty() {
            // Nothing the model has seen: no basis for any intent.
            return Prediction {
                intent: None,
                confidence: 0.0,
                ranking: Vec::new(),
                language,
            };
        }
        let probs = self.probabilities(&x);
        let (best, p1, p2) = top2(&probs);
        let mut ranking: Vec<(usize, f32)> = probs
            .iter()
            .copied()
            .enumerate()
            .filter(|&(c, _)| Some(c) != self.meta.oos_class)
            .collect();
        ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranking.truncate(RANKING_LEN);
        let confidence = ranking.first().map_or(0.0, |r| r.1);
        let accepted = familiar
            && Some(best) != self.meta.oos_class
            && p1 >= self.meta.min_confidence
            && p1 - p2 >= self.meta.min_margin;
        Prediction {
            intent: accepted.then(|| self.meta.classes[best].clone()),
            confidence,
            ranking: ranking
                .into_iter()
                .map(|(c, p)| (self.meta.classes[c].clone(), p))
                .collect(),
            language,
        }
    }

    /// The model as bytes (a small JSON header and little-endian arrays).
    pub fn to_bytes(&self) -> Vec<u8> {
        let meta = serde_json::to_vec(&self.meta).unwrap_or_default();
        let mut out = Vec::with_capacity(32 + meta.len() + self.approx_memory_bytes());
        out.extend_from_slice(MAGIC);
        let version = if self.meta.dense.is_some() {
            FORMAT_VERSION_DENSE
        } else {
            FORMAT_VERSION
        };
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(self.keys.len() as u64).to_le_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        for array in [&self.idf, &self.row_scale, &self.bias] {
            out.extend_from_slice(&(array.len() as u64).to_le_bytes());
            for v in array {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.weights.len() as u64).to_le_bytes());
        out.extend(self.weights.iter().map(|&w| w.to_le_bytes()[0]));
        if self.meta.dense.is_some() {
            out.extend_from_slice(&(self.centroids.len() as u64).to_le_bytes());
            for v in &self.centroids {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Whether the model needs a sentence embedder, and which (its fingerprint).
    pub fn required_encoder(&self) -> Option<&str> {
        self.meta.dense.as_ref().map(|d| d.fingerprint.as_str())
    }

    /// Reads a sparse model written by [`Model::to_bytes`]; a model trained with a sentence
    /// encoder gives [`ModelError::EncoderRequired`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        Self::from_bytes_with_embedder(bytes, None)
    }

    /// Reads a model written by [`Model::to_bytes`], attaching `embedder` if the model was
    /// trained with one (it must be the same: same fingerprint). A sparse model ignores it.
    pub fn from_bytes_with_embedder(
        bytes: &[u8],
        embedder: Option<SharedEmbedder>,
    ) -> Result<Model, ModelError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let version = u32::from_le_bytes(r.array()?);
        if version != FORMAT_VERSION && version != FORMAT_VERSION_DENSE {
            return Err(ModelError::UnsupportedVersion(version));
        }
        let meta_len = r.len()?;
        let meta: Meta = serde_json::from_slice(r.take(meta_len)?)
            .map_err(|e| ModelError::Corrupt(format!("header: {e}")))?;
        let n_keys = r.len()?;
        let keys = (0..n_keys)
            .map(|_| r.array().map(u64::from_le_bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let idf = r.f32s()?;
        let row_scale = r.f32s()?;
        let bias = r.f32s()?;
        let n_weights = r.len()?;
        let weights: Vec<i8> = r
            .take(n_weights)?
            .iter()
            .map(|&b| i8::from_le_bytes([b]))
            .collect();
        let centroids = if version == FORMAT_VERSION_DENSE {
            r.f32s()?
        } else {
            Vec::new()
        };
        let classes = meta.classes.len();
        let dense_dim = meta.dense.as_ref().map_or(0, |d| d.dim);
        let rows = keys.len().saturating_add(dense_dim);
        let consistent = idf.len() == keys.len()
            && row_scale.len() == rows
            && bias.len() == classes
            && Some(weights.len()) == rows.checked_mul(classes)
            && (version == FORMAT_VERSION_DENSE) == meta.dense.is_some()
            && Some(centroids.len()) == dense_dim.checked_mul(classes)
            && keys.windows(2).all(|w| w[0] < w[1])
            && meta.oos_class.is_none_or(|c| c < classes)
            && meta.temperature > 0.0
            && r.pos == bytes.len();
        if !consistent {
            return Err(ModelError::Corrupt("array sizes do not match".into()));
        }
        let embedder = match (&meta.dense, embedder) {
            (None, _) => None,
            (Some(d), None) => return Err(ModelError::EncoderRequired(d.fingerprint.clone())),
            (Some(d), Some(e)) if e.fingerprint() != d.fingerprint || e.dim() != d.dim => {
                return Err(ModelError::EncoderMismatch {
                    expected: d.fingerprint.clone(),
                    found: e.fingerprint().to_owned(),
                });
            }
            (Some(_), Some(e)) => Some(e),
        };
        Ok(Model {
            meta,
            keys,
            idf,
            weights,
            row_scale,
            bias,
            embedder,
            centroids,
        })
    }
}

impl IntentModel for Model {
    fn intents(&self) -> &[String] {
        Model::intents(self)
    }

    fn predict(&self, text: &str) -> Prediction {
        Model::predict(self, text)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| ModelError::Corrupt("truncated".into()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len(&mut self) -> Result<usize, ModelError> {
        let n = u64::from_le_bytes(self.array()?);
        usize::try_from(n).map_err(|_| ModelError::Corrupt("length overflow".into()))
    }

    fn f32s(&mut self) -> Result<Vec<f32>, ModelError> {
        let n = self.len()?;
        if n > self.bytes.len() / 4 {
            return Err(ModelError::Corrupt("truncated".into()));
        }
        (0..n)
            .map(|_| self.array().map(f32::from_le_bytes))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::quantize;

    #[test]
    fn quantized_weights_stay_within_half_a_step() {
        let weights = [0.5, -1.27, 0.003, 0.0, 0.0, 0.0, 2.0, -0.01, 1.0];
        let (q, scales) = quantize(&weights, 3);
        assert_eq!(scales.len(), 3);
        assert_eq!(scales[1], 0.0, "an all-zero row has no scale");
        assert_eq!(q[1], -127, "the largest weight of a row maps to ±127");
        for (i, w) in weights.iter().enumerate() {
            let back = f32::from(q[i]) * scales[i / 3];
            assert!(
                (back - w).abs() <= scales[i / 3] / 2.0 + 1e-6,
                "{w} → {back}"
            );
        }
    }
}
