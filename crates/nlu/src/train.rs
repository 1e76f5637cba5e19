//! Training: vocabulary and IDF from the examples, one-vs-rest L2-loss linear SVMs solved by
//! dual coordinate descent (SGD losses remain for comparison), a softmax temperature and
//! out-of-scope thresholds fitted on out-of-fold predictions of the training data (never on
//! test data), and weights quantised to `i8` for the stored model.

use std::collections::{BTreeSet, HashMap};

use crate::data::Example;
use crate::embed::{SharedEmbedder, append_dense};
use crate::features::{CHAR_BIT, FeatureConfig, extract, text_to_embed};
use crate::model::{
    DenseMeta, Meta, Model, SparseVec, add_scores, dot, quantize, softmax, top2, vectorize,
};
use crate::rng::Rng;

/// Training settings. `TrainConfig::default()` is tuned on the public valid splits.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Seed of every shuffle; the same data and seed give byte-identical models.
    pub seed: u64,
    /// The intent that marks out-of-scope examples (e.g. `oos`); it is trained as a class and
    /// predicting it yields `intent: None`.
    pub oos_label: Option<String>,
    /// Passes over the data.
    pub epochs: usize,
    /// Initial SGD learning rate.
    pub learning_rate: f32,
    /// L2 regularisation per example.
    pub l2: f32,
    /// Folds of the cross-validation that fits calibration and thresholds (≥ 2).
    pub folds: usize,
    /// Character n-grams seen in fewer training utterances than this are dropped.
    pub min_char_df: usize,
    /// Word bigram features.
    pub word_bigrams: bool,
    /// Word pairs one word apart.
    pub skip_bigrams: bool,
    /// Read dialect and colloquial German as standard German too (extra word features, and
    /// the standard text for the sentence encoder).
    pub dialect: bool,
    /// Read words the examples never use against their vocabulary: typos and compounds.
    pub spelling: bool,

    /// German and English stem features.
    pub stems: bool,
    /// Character n-gram lengths (inclusive); `(0, 0)` turns them off.
    pub char_ngrams: (usize, usize),
    /// Weight of the character block relative to the word block.
    pub char_weight: f32,
    /// When the data has out-of-scope examples, the rejection thresholds maximise
    /// out-of-fold in-scope accuracy among those that keep out-of-fold out-of-scope recall at
    /// least this high (or, if none does, reach the highest recall).
    pub min_oos_recall: f32,
    /// The training loss.
    pub loss: Loss,
    /// Cost of margin violations for [`Loss::SquaredHinge`] (LIBLINEAR's `C`).
    pub svm_c: f32,
    /// Scale each class's cost by `examples / (classes · class examples)` so small classes
    /// count as much as large ones ([`Loss::SquaredHinge`] only).
    pub balanced: bool,
    /// With a sentence embedder: the length of the embedding block relative to the
    /// unit-length sparse block (both enter one linear model). One value fixes it; with
    /// several and enough data (see [`dense_cv_min_per_class`](Self::dense_cv_min_per_class)),
    /// training fits the cross-validation folds (which it fits for calibration anyway) once
    /// per candidate and keeps the one with the best out-of-fold accuracy, a tie going to the
    /// larger weight; with less data the largest candidate holds. BENCHMARKS.md has the sweeps.
    pub dense_weights: Vec<f32>,
    /// The training examples per class, on average, from which the weight of the embedding
    /// is chosen by cross-validation. Folds of the training data cannot see what the encoder
    /// adds beyond them — callers in another language, phrasings the examples lack — which
    /// matters most for operator-sized flows (10–50 examples per intent): there the largest
    /// weight, chosen on cross-lingual and few-shot valid data, holds.
    pub dense_cv_min_per_class: usize,
    /// With less data than [`dense_cv_min_per_class`](Self::dense_cv_min_per_class): this
    /// weight instead of the largest candidate (`None`: the largest). The largest (2) is best
    /// for callers in another language than the examples, but the encoder knows dialect far
    /// less well than standard German, and at 2 it overrules the sparse features that do
    /// recognise dialect words, and rejects too few out-of-scope questions. 1 keeps most of
    /// the cross-lingual gain; BENCHMARKS.md has the figures it was chosen on.
    pub dense_small_data_weight: Option<f32>,
    /// Without out-of-scope examples, train a built-in set of general-domain utterances
    /// (weather, small talk, shopping, banking, …; `background.txt`, German and English) as
    /// the out-of-scope class, leaving out those close to an example. So an operator's flow
    /// of ten intents knows what lies outside it without anyone writing it down.
    pub background_oos: bool,
}

/// The out-of-scope class the background set is trained as (not a name a flow can use).
pub(crate) const BACKGROUND_LABEL: &str = "__out_of_scope__";

/// Background utterances whose share of shared words with an example (Jaccard, over
/// normalised tokens) reaches this are left out: they may be what the flow answers.
const BACKGROUND_MAX_OVERLAP: f32 = 0.3;

/// With an embedder, background utterances at least this similar (cosine) to an example are
/// left out too.
const BACKGROUND_MAX_SIMILARITY: f32 = 0.6;

/// The background set, without comments and blank lines.
fn background_lines() -> impl Iterator<Item = &'static str> {
    include_str!("background.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The background utterances not close to any example, labelled [`BACKGROUND_LABEL`]; only
/// those in the examples' language when they are all in one (a German caller of an English
/// flow is closer to German background lines than to its English examples).
fn background_examples(examples: &[Example], embedder: Option<&SharedEmbedder>) -> Vec<Example> {
    use std::collections::HashSet;
    let words = |t: &str| -> HashSet<String> {
        crate::normalize::tokens(&crate::normalize::normalize(t))
            .map(str::to_owned)
            .collect()
    };
    let own: Vec<HashSet<String>> = examples.iter().map(|e| words(&e.text)).collect();
    let own_embedded: Vec<Vec<f32>> = embedder.map_or_else(Vec::new, |e| {
        examples.iter().map(|x| e.embed(&x.text)).collect()
    });
    let language = examples_language(examples);
    background_lines()
        .filter(|line| language.is_none_or(|l| crate::lang::detect_language(line) == l))
        .filter(|line| {
            let w = words(line);
            let overlaps = own.iter().any(|o| {
                let union = o.union(&w).count();
                union > 0
                    && o.intersection(&w).count() as f32 / union as f32 >= BACKGROUND_MAX_OVERLAP
            });
            let similar = embedder.is_some_and(|e| {
                let v = e.embed(line);
                own_embedded.iter().any(|o| {
                    o.len() == v.len()
                        && o.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>()
                            >= BACKGROUND_MAX_SIMILARITY
                })
            });
            !overlaps && !similar
        })
        .map(|line| Example {
            text: line.to_owned(),
            intent: BACKGROUND_LABEL.to_owned(),
        })
        .collect()
}

/// The language nearly all examples are written in (nine in ten of those whose language is
/// clear), if there is one.
fn examples_language(examples: &[Example]) -> Option<crate::lang::Lang> {
    use crate::lang::{Lang, detect_language};
    let (mut de, mut en) = (0usize, 0usize);
    for e in examples {
        match detect_language(&e.text) {
            Lang::De => de += 1,
            Lang::En => en += 1,
            Lang::Unknown => {}
        }
    }
    let known = de + en;
    if known == 0 {
        None
    } else if de * 10 >= known * 9 {
        Some(Lang::De)
    } else if en * 10 >= known * 9 {
        Some(Lang::En)
    } else {
        None
    }
}

/// The loss the linear model is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Multinomial logistic regression.
    Softmax,
    /// Crammer–Singer multiclass hinge (a linear SVM) by SGD; each step touches two classes.
    Hinge,
    /// One-vs-rest L2-loss linear SVM solved by dual coordinate descent, as LIBLINEAR does
    /// (Hsieh et al. 2008): deterministic, no learning rate, and usually more accurate
    /// than SGD. `l2` is unused; [`TrainConfig::svm_c`] sets the regularisation.
    SquaredHinge,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            oos_label: None,
            epochs: 5,
            learning_rate: 0.5,
            l2: 1e-5,
            folds: 2,
            min_char_df: 2,
            word_bigrams: true,
            skip_bigrams: false,
            dialect: true,
            spelling: true,
            stems: true,
            char_ngrams: (2, 4),
            char_weight: 1.0,
            min_oos_recall: 0.72,
            loss: Loss::SquaredHinge,
            svm_c: 2.0,
            balanced: false,
            dense_weights: vec![0.5, 1.0, 2.0],
            dense_cv_min_per_class: 100,
            dense_small_data_weight: Some(1.0),
            background_oos: true,
        }
    }
}

/// How far training has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Epochs done (over all cross-validation folds and the final model).
    pub done: usize,
    /// Epochs in total.
    pub total: usize,
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    /// There are no examples.
    #[error("no training examples")]
    NoExamples,
    /// A classifier needs at least two classes (the out-of-scope class counts).
    #[error("need at least two intents, found {0}")]
    TooFewIntents(usize),
    /// A setting is out of range.
    #[error("invalid training setting: {0}")]
    InvalidConfig(&'static str),
}

struct Data {
    xs: Vec<SparseVec>,
    ys: Vec<usize>,
    rows: usize,
    classes: usize,
}

/// Trains a sparse intent model. Deterministic given `config.seed`; reads no clock.
pub fn train(
    examples: &[Example],
    config: &TrainConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Model, TrainError> {
    train_with_embedder(examples, config, None, progress)
}

/// Trains an intent model; with an embedder, each utterance's embedding joins its sparse
/// features and the model keeps the embedder for prediction. Deterministic given
/// `config.seed` (and a deterministic embedder); reads no clock.
pub fn train_with_embedder(
    examples: &[Example],
    config: &TrainConfig,
    embedder: Option<SharedEmbedder>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Model, TrainError> {
    if examples.is_empty() {
        return Err(TrainError::NoExamples);
    }
    let has_oos = config
        .oos_label
        .as_ref()
        .is_some_and(|l| examples.iter().any(|e| &e.intent == l));
    let intents = examples
        .iter()
        .map(|e| e.intent.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    if config.background_oos && !has_oos && intents >= 2 {
        let mut with_background = examples.to_vec();
        with_background.extend(background_examples(examples, embedder.as_ref()));
        let config = TrainConfig {
            oos_label: Some(BACKGROUND_LABEL.to_owned()),
            background_oos: false,
            ..config.clone()
        };
        return train_with_embedder(&with_background, &config, embedder, progress);
    }
    if config.epochs == 0
        || config.folds < 2
        || config.learning_rate.is_nan()
        || config.learning_rate <= 0.0
        || config.l2.is_nan()
        || config.l2 < 0.0
        || config.svm_c.is_nan()
        || config.svm_c <= 0.0
        || config.dense_weights.is_empty()
        || !config
            .dense_weights
            .iter()
            .all(|w| *w >= 0.0 && w.is_finite())
    {
        return Err(TrainError::InvalidConfig(
            "epochs ≥ 1, folds ≥ 2, learning_rate > 0, l2 ≥ 0, svm_c > 0, dense_weights ≥ 0 and not empty",
        ));
    }
    let classes: Vec<String> = examples
        .iter()
        .map(|e| e.intent.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if classes.len() < 2 {
        return Err(TrainError::TooFewIntents(classes.len()));
    }
    let oos_class = config
        .oos_label
        .as_ref()
        .and_then(|l| classes.iter().position(|c| c == l));
    let intents: Vec<String> = classes
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != oos_class)
        .map(|(_, c)| c.clone())
        .collect();
    let features = FeatureConfig {
        word_bigrams: config.word_bigrams,
        skip_bigrams: config.skip_bigrams,
        stems: config.stems,
        char_min: config.char_ngrams.0.max(1),
        char_max: config.char_ngrams.1,
        char_weight: config.char_weight,
        dialect: config.dialect,
        spelling: config.spelling,
    };

    // Each utterance's feature keys, extracted once: with repetitions for the vectors,
    // deduplicated for the document frequencies.
    let mut extracted: Vec<Vec<u64>> = examples
        .iter()
        .map(|e| {
            let mut keys = Vec::new();
            extract(&e.text, &features, &mut keys);
            keys
        })
        .collect();
    let raw: Vec<Vec<u64>> = extracted
        .iter()
        .map(|keys| {
            let mut keys = keys.clone();
            keys.sort_unstable();
            keys.dedup();
            keys
        })
        .collect();
    let (keys, idf) = vocabulary(&raw, config.min_char_df);
    let mut dense = embedder.as_ref().map(|e| DenseMeta {
        fingerprint: e.fingerprint().to_owned(),
        dim: e.dim(),
        weight: 0.0,
        min_similarity: 0.0,
        language: examples_language(examples),
    });
    let embeddings: Vec<Vec<f32>> = match &embedder {
        Some(embedder) => examples
            .iter()
            .map(|e| embedder.embed(&text_to_embed(&e.text, &features)))
            .collect(),
        None => Vec::new(),
    };
    let sparse: Vec<SparseVec> = extracted
        .iter_mut()
        .map(|k| vectorize(&keys, &idf, k, features.char_weight))
        .collect();
    let ys: Vec<usize> = examples
        .iter()
        .map(|e| classes.binary_search(&e.intent).unwrap_or_default())
        .collect();
    // The feature vectors with the embedding appended at `weight` (sparse alone without one).
    let dim = dense.as_ref().map(|d| d.dim);
    let data_at = |weight: f32| {
        let xs = match dim {
            Some(dim) => sparse
                .iter()
                .zip(&embeddings)
                .map(|(x, e)| {
                    let mut x = x.clone();
                    append_dense(&mut x, keys.len(), e, dim, weight);
                    x
                })
                .collect(),
            None => sparse.clone(),
        };
        Data {
            xs,
            ys: ys.clone(),
            rows: keys.len() + dim.unwrap_or(0),
            classes: classes.len(),
        }
    };
    // Larger weights first, so a tie keeps the larger one.
    let mut candidates: Vec<f32> = match &dense {
        Some(_) => config.dense_weights.clone(),
        None => vec![0.0],
    };
    candidates.sort_by(|a, b| b.total_cmp(a));
    candidates.dedup();
    if examples.len() < config.dense_cv_min_per_class * classes.len() {
        match config.dense_small_data_weight {
            Some(w) if candidates.len() > 1 => candidates = vec![w],
            _ => candidates.truncate(1),
        }
    }

    let total = config.epochs * (config.folds * candidates.len() + 1);
    let mut done = 0;
    let mut tick = || {
        done += 1;
        progress(Progress { done, total });
    };

    // Out-of-fold scores for calibration and thresholds, and for choosing the weight of the
    // embedding: every candidate sees the same folds and the same shuffles.
    let mut rng = Rng::new(config.seed);
    let folds = stratified_folds(&ys, classes.len(), config.folds, &mut rng);
    let mut best: Option<(usize, f32, Vec<Vec<f32>>, Rng)> = None;
    for &weight in &candidates {
        let data = data_at(weight);
        let mut cv_rng = rng.clone();
        let mut oof: Vec<Vec<f32>> = vec![Vec::new(); data.xs.len()];
        for fold in 0..config.folds {
            let train_idx: Vec<usize> = (0..data.xs.len()).filter(|&i| folds[i] != fold).collect();
            let (w, b) = fit(&data, &train_idx, config, &mut cv_rng, &mut tick);
            for i in (0..data.xs.len()).filter(|&i| folds[i] == fold) {
                let mut s = b.clone();
                add_scores(&w, data.classes, &data.xs[i], 1.0, &mut s);
                oof[i] = s;
            }
        }
        let correct = oof
            .iter()
            .zip(&ys)
            .filter(|&(s, &y)| top2(s).0 == y)
            .count();
        if best.as_ref().is_none_or(|b| correct > b.0) {
            best = Some((correct, weight, oof, cv_rng));
        }
    }
    let Some((_, weight, oof, mut rng)) = best else {
        return Err(TrainError::InvalidConfig("no dense weight to try"));
    };
    if let Some(d) = &mut dense {
        d.weight = weight;
    }
    let data = data_at(weight);
    let temperature = fit_temperature(&oof, &data.ys);
    let (min_confidence, min_margin) = fit_thresholds(
        &oof,
        &data.ys,
        oos_class,
        temperature,
        config.min_oos_recall,
    );

    let centroids = match &mut dense {
        Some(d) => {
            let (centroids, min_similarity) =
                centroids(&embeddings, &data.ys, data.classes, d.dim, oos_class);
            d.min_similarity = min_similarity;
            centroids
        }
        None => Vec::new(),
    };

    let all: Vec<usize> = (0..data.xs.len()).collect();
    let (weights, bias) = fit(&data, &all, config, &mut rng, &mut tick);
    let (weights, row_scale) = quantize(&weights, data.classes);
    let words = if features.spelling {
        crate::spelling::vocabulary(examples.iter().map(|e| e.text.as_str()))
    } else {
        Vec::new()
    };
    Ok(Model {
        meta: Meta {
            features,
            classes,
            oos_class,
            intents,
            temperature,
            min_confidence,
            min_margin,
            dense,
            words,
        },
        keys,
        idf,
        weights,
        row_scale,
        bias,
        embedder,
        centroids,
    })
}

/// Quantile of the training utterances' similarity to their own intent that marks "typical".
const SIMILARITY_QUANTILE: f32 = 0.01;

/// Each class's unit-length mean embedding, and the similarity floor for out-of-scope:
/// halfway between how close the least typical 1 % of training utterances come to their own
/// intent and how close utterances come, on average, to the nearest *other* intent. The
/// floor thus sits between "an intent's own" and "a neighbour's", which a paraphrase in
/// another language clears and noise does not, even with five examples per intent.
fn centroids(
    embeddings: &[Vec<f32>],
    ys: &[usize],
    classes: usize,
    dim: usize,
    oos: Option<usize>,
) -> (Vec<f32>, f32) {
    let mut sums = vec![0.0f32; classes * dim];
    for (e, &y) in embeddings.iter().zip(ys) {
        if e.len() == dim {
            for (s, v) in sums[y * dim..(y + 1) * dim].iter_mut().zip(e) {
                *s += v;
            }
        }
    }
    for c in sums.chunks_exact_mut(dim) {
        let norm = dot(c, c).sqrt();
        if norm > 0.0 {
            c.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let (mut own, mut other_sum, mut other_n) = (Vec::new(), 0.0f32, 0usize);
    for (e, &y) in embeddings.iter().zip(ys) {
        if Some(y) == oos || e.len() != dim {
            continue;
        }
        own.push(dot(&sums[y * dim..(y + 1) * dim], e));
        let nearest_other = (0..classes)
            .filter(|&c| c != y && Some(c) != oos)
            .map(|c| dot(&sums[c * dim..(c + 1) * dim], e))
            .fold(f32::NEG_INFINITY, f32::max);
        if nearest_other.is_finite() {
            other_sum += nearest_other;
            other_n += 1;
        }
    }
    own.sort_by(f32::total_cmp);
    let at = ((own.len() as f32 * SIMILARITY_QUANTILE) as usize).min(own.len().saturating_sub(1));
    let Some(&typical) = own.get(at) else {
        return (sums, f32::NEG_INFINITY);
    };
    let floor = if other_n > 0 {
        (typical + other_sum / other_n as f32) / 2.0
    } else {
        typical
    };
    (sums, floor.min(typical))
}

/// Sorted feature keys and their smoothed IDF. Word features are all kept (operators'
/// small data sets need every word); rare character n-grams are dropped to bound the model.
fn vocabulary(raw: &[Vec<u64>], min_char_df: usize) -> (Vec<u64>, Vec<f32>) {
    let mut df: HashMap<u64, u32> = HashMap::new();
    for keys in raw {
        for &k in keys {
            *df.entry(k).or_default() += 1;
        }
    }
    let mut kept: Vec<(u64, u32)> = df
        .into_iter()
        .filter(|&(k, d)| k & CHAR_BIT == 0 || d as usize >= min_char_df)
        .collect();
    kept.sort_unstable();
    let n = raw.len() as f32;
    let idf = kept
        .iter()
        .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
        .collect();
    (kept.into_iter().map(|(k, _)| k).collect(), idf)
}

/// Assigns each example a fold so every class is spread evenly over the folds.
fn stratified_folds(ys: &[usize], classes: usize, folds: usize, rng: &mut Rng) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &y) in ys.iter().enumerate() {
        by_class[y].push(i);
    }
    let mut fold_of = vec![0; ys.len()];
    let mut next = 0;
    for members in &mut by_class {
        rng.shuffle(members);
        for &i in members.iter() {
            fold_of[i] = next % folds;
            next += 1;
        }
    }
    fold_of
}

fn fit(
    data: &Data,
    idx: &[usize],
    config: &TrainConfig,
    rng: &mut Rng,
    tick: &mut dyn FnMut(),
) -> (Vec<f32>, Vec<f32>) {
    match config.loss {
        Loss::SquaredHinge => dual_cd(data, idx, config, rng, tick),
        Loss::Softmax | Loss::Hinge => sgd(data, idx, config, rng, tick),
    }
}

/// One-vs-rest L2-loss SVMs by dual coordinate descent (LIBLINEAR's default solver), all
/// classes at once: one pass over an example's features scores every class, then each
/// class's dual variable for that example moves to its optimum in closed form. The bias is
/// a constant feature of value 1, regularised like the others.
fn dual_cd(
    data: &Data,
    idx: &[usize],
    config: &TrainConfig,
    rng: &mut Rng,
    tick: &mut dyn FnMut(),
) -> (Vec<f32>, Vec<f32>) {
    let c = data.classes;
    let mut w = vec![0.0f32; data.rows * c];
    let mut bias = vec![0.0f32; c];
    // Cost per class: plain C, or C scaled so every class weighs the same in total.
    let mut count = vec![0usize; c];
    for &i in idx {
        count[data.ys[i]] += 1;
    }
    let cost: Vec<f32> = count
        .iter()
        .map(|&n| {
            if config.balanced && n > 0 {
                config.svm_c * idx.len() as f32 / (c as f32 * n as f32)
            } else {
                config.svm_c
            }
        })
        .collect();
    // The squared hinge's dual adds 1/(2C) to the diagonal. An example's positive and
    // negative coordinates take the cost of the class of the example (as LIBLINEAR's
    // class weights do for the positive class and one-vs-rest negatives alike).
    let mut alpha = vec![0.0f32; idx.len() * c];
    let mut order: Vec<usize> = (0..idx.len()).collect();
    let mut scores = vec![0.0f32; c];
    let mut delta: Vec<(usize, f32)> = Vec::with_capacity(c);
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &j in &order {
            let i = idx[j];
            let x = &data.xs[i];
            let y = data.ys[i];
            let diag = 0.5 / cost[y];
            let sq: f32 = x.iter().map(|&(_, v)| v * v).sum::<f32>() + 1.0;
            let q = sq + diag;
            scores.copy_from_slice(&bias);
            add_scores(&w, c, x, 1.0, &mut scores);
            delta.clear();
            let a_row = &mut alpha[j * c..(j + 1) * c];
            for (k, a) in a_row.iter_mut().enumerate() {
                let sign = if k == y { 1.0 } else { -1.0 };
                let g = sign * scores[k] - 1.0 + diag * *a;
                let pg = if *a == 0.0 { g.min(0.0) } else { g };
                if pg.abs() > 1e-6 {
                    let new = (*a - g / q).max(0.0);
                    let d = (new - *a) * sign;
                    *a = new;
                    if d != 0.0 {
                        delta.push((k, d));
                    }
                }
            }
            for &(row, v) in x {
                let start = row as usize * c;
                let w_row = &mut w[start..start + c];
                for &(k, d) in &delta {
                    w_row[k] += d * v;
                }
            }
            for &(k, d) in &delta {
                bias[k] += d;
            }
        }
        tick();
    }
    (w, bias)
}

/// Multinomial logistic regression by SGD with L2 weight decay (kept as a scale factor so
/// each step touches only the example's features).
fn sgd(
    data: &Data,
    idx: &[usize],
    config: &TrainConfig,
    rng: &mut Rng,
    tick: &mut dyn FnMut(),
) -> (Vec<f32>, Vec<f32>) {
    let c = data.classes;
    let mut w = vec![0.0f32; data.rows * c];
    let mut bias = vec![0.0f32; c];
    let mut scale = 1.0f32;
    let mut order = idx.to_vec();
    let mut probs = vec![0.0f32; c];
    let mut grad: Vec<(usize, f32)> = Vec::with_capacity(c);
    let mut t = 0.0f32;
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            t += 1.0;
            let eta = config.learning_rate / (1.0 + config.learning_rate * config.l2 * t);
            let x = &data.xs[i];
            probs.copy_from_slice(&bias);
            add_scores(&w, c, x, scale, &mut probs);
            grad.clear();
            let y = data.ys[i];
            match config.loss {
                Loss::Softmax => {
                    softmax(&mut probs, 1.0);
                    for (k, &p) in probs.iter().enumerate() {
                        let g = if k == y { p - 1.0 } else { p };
                        // Classes the model already rules out carry no useful gradient.
                        if g.abs() > 1e-4 {
                            grad.push((k, g));
                        }
                    }
                }
                Loss::Hinge | Loss::SquaredHinge => {
                    let rival = (0..c)
                        .filter(|&k| k != y)
                        .max_by(|&a, &b| probs[a].total_cmp(&probs[b]));
                    if let Some(r) = rival.filter(|&r| probs[y] - probs[r] < 1.0) {
                        grad.push((y, -1.0));
                        grad.push((r, 1.0));
                    }
                }
            }
            scale *= 1.0 - eta * config.l2;
            if scale < 1e-6 {
                for v in &mut w {
                    *v *= scale;
                }
                scale = 1.0;
            }
            let step = eta / scale;
            for &(row, v) in x {
                let start = row as usize * c;
                let w_row = &mut w[start..start + c];
                for &(k, g) in &grad {
                    w_row[k] -= step * g * v;
                }
            }
            for &(k, g) in &grad {
                bias[k] -= eta * g;
            }
        }
        tick();
    }
    for v in &mut w {
        *v *= scale;
    }
    (w, bias)
}

/// The softmax temperature that minimises the log loss of the out-of-fold scores.
fn fit_temperature(oof: &[Vec<f32>], ys: &[usize]) -> f32 {
    let mut best = (f32::INFINITY, 1.0f32);
    let mut probs = Vec::new();
    for step in 0..60 {
        let t = (0.05f32.ln() + step as f32 * (20.0f32.ln() - 0.05f32.ln()) / 59.0).exp();
        let mut loss = 0.0f32;
        for (s, &y) in oof.iter().zip(ys) {
            probs.clone_from(s);
            softmax(&mut probs, t);
            loss -= probs[y].max(1e-12).ln();
        }
        if loss < best.0 {
            best = (loss, t);
        }
    }
    best.1
}

/// Confidence and margin thresholds chosen on out-of-fold predictions. With out-of-scope
/// examples: maximise in-scope accuracy subject to out-of-scope recall ≥ `min_oos_recall`. Without: treat
/// the model's own mistakes as what should be rejected, and maximise the share of correct
/// accept/reject decisions.
fn fit_thresholds(
    oof: &[Vec<f32>],
    ys: &[usize],
    oos: Option<usize>,
    temperature: f32,
    min_oos_recall: f32,
) -> (f32, f32) {
    let mut rows: Vec<(usize, f32, f32)> = Vec::with_capacity(oof.len());
    let mut probs = Vec::new();
    for s in oof {
        probs.clone_from(s);
        softmax(&mut probs, temperature);
        rows.push(top2(&probs));
    }
    let mut confs: Vec<f32> = rows.iter().map(|r| r.1).collect();
    confs.sort_by(f32::total_cmp);
    let mut candidates: Vec<f32> = (0..100)
        .map(|q| confs[q * (confs.len() - 1) / 100])
        .collect();
    candidates.insert(0, 0.0);
    candidates.dedup();
    let n_oos = oos.map_or(0, |o| ys.iter().filter(|&&y| y == o).count());
    let n_in = ys.len() - n_oos;
    let mut best = (f32::NEG_INFINITY, 0.0, 0.0);
    for &margin in &[0.0f32, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3] {
        for &conf in &candidates {
            let (mut in_ok, mut oos_ok, mut wrong_rejected) = (0usize, 0usize, 0usize);
            for (&(c, p1, p2), &y) in rows.iter().zip(ys) {
                let accepted = Some(c) != oos && p1 >= conf && p1 - p2 >= margin;
                if Some(y) == oos {
                    oos_ok += usize::from(!accepted);
                } else if accepted && c == y {
                    in_ok += 1;
                } else if !accepted && c != y {
                    wrong_rejected += 1;
                }
            }
            let objective = if n_oos > 0 {
                let recall = oos_ok as f32 / n_oos as f32;
                let in_scope = in_ok as f32 / n_in.max(1) as f32;
                // Meeting the recall floor comes first; then in-scope accuracy counts.
                if recall >= min_oos_recall {
                    1.0 + in_scope
                } else {
                    recall - 1.0
                }
            } else {
                (in_ok + wrong_rejected) as f32 / ys.len() as f32
            };
            if objective > best.0 {
                best = (objective, conf, margin);
            }
        }
    }
    (best.1, best.2)
}
