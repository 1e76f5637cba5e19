//! Evaluation metrics over predictions: accuracy, macro-F1, per-intent precision/recall/F1,
//! in-scope accuracy and out-of-scope recall/precision. Timing is the caller's business.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Prediction;

pub use crate::entities::{SlotReport, datetime_slot_report};

/// Precision, recall and F1 of one intent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassReport {
    /// The intent.
    pub intent: String,
    /// Share of predictions of this intent that were right.
    pub precision: f64,
    /// Share of this intent's test utterances predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Test utterances of this intent.
    pub support: usize,
}

/// Figures of one evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Test utterances.
    pub examples: usize,
    /// With an out-of-scope label: share of utterances whose decision (an intent, or
    /// out-of-scope for `None`) is right. Without one the test set is closed-world and this
    /// is top-1 accuracy of the ranking (the usual benchmark figure).
    pub accuracy: f64,
    /// Macro-averaged F1 over the gold intents, using the same decisions as `accuracy`.
    pub macro_f1: f64,
    /// Share of in-scope utterances whose accepted intent is right; a rejection counts as
    /// wrong.
    pub in_scope_accuracy: f64,
    /// Share of out-of-scope utterances rejected (only with an out-of-scope label).
    pub oos_recall: Option<f64>,
    /// Share of rejections that were out of scope (only with an out-of-scope label).
    pub oos_precision: Option<f64>,
    /// Share of all utterances the model rejected (`intent: None`).
    pub rejected: f64,
    /// Per-intent figures, sorted by intent.
    pub per_intent: Vec<ClassReport>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Scores predictions against gold intents (`gold[i]` belongs to `predictions[i]`).
pub fn score(gold: &[String], predictions: &[Prediction], oos_label: Option<&str>) -> EvalReport {
    const NONE: &str = "<none>";
    let decided: Vec<&str> = predictions
        .iter()
        .map(|p| match (oos_label, &p.intent, p.ranking.first()) {
            (Some(oos), None, _) => oos,
            (Some(_), Some(i), _) => i.as_str(),
            (None, _, Some((top, _))) => top.as_str(),
            (None, _, None) => NONE,
        })
        .collect();
    let n = gold.len().min(predictions.len());
    let correct = (0..n).filter(|&i| decided[i] == gold[i]).count();
    let is_oos = |g: &str| Some(g) == oos_label;
    let in_scope: Vec<usize> = (0..n).filter(|&i| !is_oos(&gold[i])).collect();
    let in_ok = in_scope
        .iter()
        .filter(|&&i| predictions[i].intent.as_deref() == Some(gold[i].as_str()))
        .count();
    let rejected = (0..n).filter(|&i| predictions[i].intent.is_none()).count();
    let (oos_recall, oos_precision) = match oos_label {
        Some(_) => {
            let gold_oos = (0..n).filter(|&i| is_oos(&gold[i])).count();
            let hit = (0..n)
                .filter(|&i| is_oos(&gold[i]) && predictions[i].intent.is_none())
                .count();
            (Some(ratio(hit, gold_oos)), Some(ratio(hit, rejected)))
        }
        None => (None, None),
    };
    // (true positives, predicted, support) per label.
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for i in 0..n {
        counts.entry(gold[i].as_str()).or_default().2 += 1;
        counts.entry(decided[i]).or_default().1 += 1;
        if decided[i] == gold[i] {
            counts.entry(gold[i].as_str()).or_default().0 += 1;
        }
    }
    let per_intent: Vec<ClassReport> = counts
        .into_iter()
        .filter(|&(_, (_, _, support))| support > 0)
        .map(|(intent, (tp, predicted, support))| {
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassReport {
                intent: intent.to_owned(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let macro_f1 = if per_intent.is_empty() {
        0.0
    } else {
        per_intent.iter().map(|c| c.f1).sum::<f64>() / per_intent.len() as f64
    };
    EvalReport {
        examples: n,
        accuracy: ratio(correct, n),
        macro_f1,
        in_scope_accuracy: ratio(in_ok, in_scope.len()),
        oos_recall,
        oos_precision,
        rejected: ratio(rejected, n),
        per_intent,
    }
}
