//! The crisis classifier: the crate's linear intent model (hashed word, stem and character
//! n-gram features, one-vs-rest squared-hinge SVMs, calibrated by temperature) trained on
//! `train_de.jsonl` and `train_en.jsonl` with the classes `none`, `suicide`, `self_harm`
//! and `violence`. Its crisis score is 1 − P(none).
//!
//! The training files were written for Hotline (CC0 1.0, like `benches/crisis`): everyday
//! hotline messages and hard negatives (idioms, accidents, compounds) against suicidal,
//! self-harm and violence messages, German and English, with dialect, typos and mixed
//! languages. They share no message with the test sets.
//!
//! The model is trained when the detector is first built: a few milliseconds in a release
//! build, deterministic (fixed seed), so every process has the same model. The threshold
//! is a constant, [`THRESHOLD`], fitted by [`cross_validate`] on the training data alone
//! (never on the test sets in `benches/crisis`); a unit test fits it again and fails if the
//! data changed and the constant was not updated.

use serde::Deserialize;

use super::CrisisCategory;
#[cfg(test)]
use super::lexicon::{Lexicon, Words};
use crate::data::Example;
use crate::model::Model;
#[cfg(test)]
use crate::normalize::normalize;
#[cfg(test)]
use crate::rng::Rng;
use crate::train::{TrainConfig, train};

/// The classifier fires at this crisis probability or above. Fitted by [`cross_validate`].
pub(super) const THRESHOLD: f32 = 0.99;

#[cfg(test)]
/// The most false positives (share of the training data's non-crisis messages, out of fold,
/// lexicon and model together) the threshold may cost; half of the 2 % the detector aims at.
const MAX_CV_FALSE_POSITIVE_RATE: f64 = 0.01;
#[cfg(test)]
/// Folds of the threshold's cross-validation.
const FOLDS: usize = 5;
const NONE: &str = "none";

/// One line of a training (or test) file.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Labelled {
    pub(super) text: String,
    pub(super) crisis: bool,
    /// Required for crisis lines of training files, which teach the category.
    #[serde(default)]
    pub(super) category: Option<CrisisCategory>,
}

/// Parses JSON Lines of [`Labelled`] messages; names the 1-based line of a mistake.
pub(super) fn parse(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// The built-in training data, German then English.
pub(super) fn training_data() -> Vec<Labelled> {
    let mut data = Vec::new();
    for (name, text) in [
        ("train_de.jsonl", include_str!("train_de.jsonl")),
        ("train_en.jsonl", include_str!("train_en.jsonl")),
    ] {
        // The files are part of the crate; a unit test proves they parse.
        data.extend(parse(text).unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    data
}

fn label(l: &Labelled) -> &'static str {
    match (l.crisis, l.category) {
        (false, _) => NONE,
        (true, Some(CrisisCategory::SelfHarm)) => "self_harm",
        (true, Some(CrisisCategory::Violence)) => "violence",
        (true, _) => "suicide",
    }
}

/// Balanced class costs: the crisis classes are small, and a miss costs more than a
/// false alarm.
fn config() -> TrainConfig {
    TrainConfig {
        seed: 0,
        balanced: true,
        // The classifier reads text already normalised (`probabilities_of_normalized`), where
        // the dialect reading does not apply; its training must see the same features.
        dialect: false,
        spelling: false,
        // Its classes are crisis categories and "none": there is no out-of-scope here.
        background_oos: false,
        ..TrainConfig::default()
    }
}

fn fit(data: &[&Labelled]) -> Model {
    let examples: Vec<Example> = data
        .iter()
        .map(|l| Example {
            text: l.text.clone(),
            intent: label(l).to_owned(),
        })
        .collect();
    // Training fails only without examples or classes; the built-in data has both.
    train(&examples, &config(), &mut |_| {}).unwrap_or_else(|e| panic!("crisis model: {e}"))
}

/// The trained classifier and its threshold.
#[derive(Debug)]
pub(super) struct CrisisModel {
    model: Model,
    /// Per class of `model`: the category it stands for, `None` for `none`.
    categories: Vec<Option<CrisisCategory>>,
    threshold: f32,
}

impl CrisisModel {
    /// Trains on the built-in data with the fitted threshold.
    pub(super) fn builtin() -> Self {
        let data = training_data();
        Self::trained(&data.iter().collect::<Vec<_>>(), THRESHOLD)
    }

    fn trained(data: &[&Labelled], threshold: f32) -> Self {
        let model = fit(data);
        let categories = model
            .classes()
            .iter()
            .map(|c| match c.as_str() {
                "suicide" => Some(CrisisCategory::Suicide),
                "self_harm" => Some(CrisisCategory::SelfHarm),
                "violence" => Some(CrisisCategory::Violence),
                _ => None,
            })
            .collect();
        Self {
            model,
            categories,
            threshold,
        }
    }

    pub(super) fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The crisis probability of normalised text, and the likeliest crisis category.
    pub(super) fn score(&self, normalized: &str) -> (f32, CrisisCategory) {
        let probs = self.model.probabilities_of_normalized(normalized);
        let mut crisis = 0.0f32;
        let mut best = (f32::NEG_INFINITY, CrisisCategory::Suicide);
        for (p, category) in probs.iter().zip(&self.categories) {
            if let Some(c) = category {
                crisis += p;
                if *p > best.0 {
                    best = (*p, *c);
                }
            }
        }
        (crisis.clamp(0.0, 1.0), best.1)
    }
}

#[cfg(test)]
/// What cross-validation on the training data says, and the threshold it chose.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CvReport {
    pub(super) threshold: f32,
    pub(super) crisis: usize,
    pub(super) non_crisis: usize,
    /// Recall and false-positive rate of the lexicon alone (no model involved).
    pub(super) lexicon_recall: f64,
    pub(super) lexicon_fpr: f64,
    /// Of the lexicon together with the out-of-fold model at the chosen threshold.
    pub(super) recall: f64,
    pub(super) fpr: f64,
}

#[cfg(test)]
/// Fits the threshold: the out-of-fold crisis probabilities of a stratified 5-fold
/// cross-validation, and the threshold that catches the most crisis messages the lexicon
/// misses while lexicon and model together flag at most 1 % of the non-crisis messages
/// (ties go to the higher threshold).
pub(super) fn cross_validate(lexicon: &Lexicon, data: &[Labelled]) -> CvReport {
    let mut rng = Rng::new(7);
    let mut fold_of = vec![0usize; data.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..data.len())
            .filter(|&i| data[i].crisis == class)
            .collect();
        rng.shuffle(&mut members);
        for (k, &i) in members.iter().enumerate() {
            fold_of[i] = k % FOLDS;
        }
    }
    let mut oof = vec![0.0f32; data.len()];
    for fold in 0..FOLDS {
        let train: Vec<&Labelled> = (0..data.len())
            .filter(|&i| fold_of[i] != fold)
            .map(|i| &data[i])
            .collect();
        let model = CrisisModel::trained(&train, 1.0);
        for i in (0..data.len()).filter(|&i| fold_of[i] == fold) {
            oof[i] = model.score(&normalize(&data[i].text)).0;
        }
    }
    let by_lexicon: Vec<bool> = data
        .iter()
        .map(|l| {
            !lexicon
                .find(&Words::of(&l.text), &normalize(&l.text))
                .is_empty()
        })
        .collect();
    let crisis = data.iter().filter(|l| l.crisis).count();
    let non_crisis = data.len() - crisis;
    let rates = |flagged: &dyn Fn(usize) -> bool| {
        let (mut tp, mut fp) = (0usize, 0usize);
        for (i, l) in data.iter().enumerate() {
            if flagged(i) {
                if l.crisis {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
        (
            tp as f64 / crisis.max(1) as f64,
            fp as f64 / non_crisis.max(1) as f64,
        )
    };
    let (lexicon_recall, lexicon_fpr) = rates(&|i| by_lexicon[i]);
    // From the top down, so a tie keeps the higher (more precise) threshold.
    let mut best: Option<(f64, f64, f32)> = None;
    for step in (5..=99).rev() {
        let t = step as f32 / 100.0;
        let (recall, fpr) = rates(&|i| by_lexicon[i] || oof[i] >= t);
        if fpr <= MAX_CV_FALSE_POSITIVE_RATE.max(lexicon_fpr)
            && best.is_none_or(|(r, _, _)| recall > r)
        {
            best = Some((recall, fpr, t));
        }
    }
    let (recall, fpr, threshold) = best.unwrap_or((lexicon_recall, lexicon_fpr, 1.0));
    CvReport {
        threshold,
        crisis,
        non_crisis,
        lexicon_recall,
        lexicon_fpr,
        recall,
        fpr,
    }
}
