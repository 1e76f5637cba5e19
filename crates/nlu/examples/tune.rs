//! Tuning helper: `cargo run --release -p nlu --example tune -- TRAIN TEST [oos] [key=value…]`
//! trains with the given settings and prints the evaluation figures. Reads files, so it lives
//! here and not in the pure crate.

use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args[0] == "slots" {
        // `tune slots FILE de|en`: date/time extraction against gold `datetime` slots.
        let lang = if args[2] == "de" {
            nlu::Lang::De
        } else {
            nlu::Lang::En
        };
        let reference = nlu::jiff::civil::date(2025, 3, 14)
            .at(9, 0, 0, 0)
            .in_tz("Europe/Berlin")?;
        let r = nlu::datetime_slot_report(&std::fs::read_to_string(&args[1])?, lang, &reference);
        writeln!(std::io::stdout().lock(), "{r:?}")?;
        return Ok(());
    }
    let train = nlu::parse_jsonl(&std::fs::read_to_string(&args[0])?)?;
    let test = nlu::parse_jsonl(&std::fs::read_to_string(&args[1])?)?;
    let mut config = nlu::TrainConfig::default();
    for arg in &args[2..] {
        match arg.split_once('=') {
            Some(("epochs", v)) => config.epochs = v.parse()?,
            Some(("lr", v)) => config.learning_rate = v.parse()?,
            Some(("l2", v)) => config.l2 = v.parse()?,
            Some(("folds", v)) => config.folds = v.parse()?,
            Some(("mindf", v)) => config.min_char_df = v.parse()?,
            Some(("bigrams", v)) => config.word_bigrams = v.parse()?,
            Some(("stems", v)) => config.stems = v.parse()?,
            Some(("cmax", v)) => config.char_ngrams.1 = v.parse()?,
            Some(("cmin", v)) => config.char_ngrams.0 = v.parse()?,
            Some(("cw", v)) => config.char_weight = v.parse()?,
            Some(("loss", "softmax")) => config.loss = nlu::Loss::Softmax,
            Some(("oosw", v)) => config.oos_weight = v.parse()?,
            _ => config.oos_label = Some(arg.clone()),
        }
    }
    let start = Instant::now();
    let model = nlu::train(&train, &config, &mut |_| {})?;
    let train_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let preds: Vec<nlu::Prediction> = test.iter().map(|e| model.predict(&e.text)).collect();
    let per_us = start.elapsed().as_secs_f64() * 1e6 / test.len() as f64;
    let gold: Vec<String> = test.iter().map(|e| e.intent.clone()).collect();
    let r = nlu::score(&gold, &preds, config.oos_label.as_deref());
    let closed = nlu::score(&gold, &preds, None);
    let mut out = std::io::stdout().lock();
    write!(out, "top1 {:.4} ", closed.accuracy)?;
    writeln!(
        out,
        "acc {:.4} in_scope {:.4} oos_recall {:?} oos_prec {:?} rejected {:.3} f1 {:.4} train {:.2}s {:.1}us/utt mem {:.1}MB",
        r.accuracy,
        r.in_scope_accuracy,
        r.oos_recall,
        r.oos_precision,
        r.rejected,
        r.macro_f1,
        train_s,
        per_us,
        model.approx_memory_bytes() as f64 / 1e6
    )?;
    Ok(())
}
