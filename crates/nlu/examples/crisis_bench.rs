//! Crisis detection figures for BENCHMARKS.md: recall and false positives on the test sets
//! in `benches/crisis`, the time of `CrisisDetector::builtin()` on first use (compiling the
//! lexicon and training the model), and the time of one `check` per message (median of
//! runs) against `nlu::normalize` alone, measured in the same run on the same messages.
//!
//! `cargo run --release -p nlu --example crisis_bench [-- EXTRA.jsonl …]`: each extra JSON
//! Lines file (`{"text": …}` per line, e.g. a public intent data set of everyday requests)
//! is reported as the share of its messages flagged.

// A benchmark reports on the terminal; that is its purpose.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nlu::{CrisisDetector, CrisisSource, normalize};

const RUNS: usize = 21;

fn texts_and_labels(path: &PathBuf) -> Vec<(String, Option<bool>)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let t = v.get("text")?.as_str()?.to_owned();
            Some((t, v.get("crisis").and_then(serde_json::Value::as_bool)))
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let started = Instant::now();
    let detector = CrisisDetector::builtin();
    let cold = started.elapsed();
    let started = Instant::now();
    let again = CrisisDetector::builtin();
    let warm = started.elapsed();
    black_box(&again);
    println!(
        "builtin(): first call {:.1} ms (compiles the lexicon, trains the model), later calls {:.1} µs",
        ms(cold),
        warm.as_secs_f64() * 1e6
    );

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/crisis");
    let mut all = Vec::new();
    for lang in ["de", "en"] {
        let lines = texts_and_labels(&root.join(format!("{lang}.jsonl")));
        let (mut crisis, mut lexicon, mut model, mut calm, mut alarms) = (0, 0, 0, 0, 0);
        for (text, label) in &lines {
            let hit = detector.check(text);
            if *label == Some(true) {
                crisis += 1;
                match hit.map(|h| h.source) {
                    Some(CrisisSource::Model) => model += 1,
                    Some(_) => lexicon += 1,
                    None => {}
                }
            } else {
                calm += 1;
                alarms += usize::from(hit.is_some());
            }
        }
        println!(
            "{lang}: recall {}/{crisis} = {:.1} % (lexicon {lexicon}, model alone {model}); \
             false positives {alarms}/{calm} = {:.1} %",
            lexicon + model,
            pct(lexicon + model, crisis),
            pct(alarms, calm)
        );
        all.extend(lines.into_iter().map(|(t, _)| t));
    }

    // Alternate the two measurements run by run so both see the same machine load.
    let (mut check_us, mut base_us) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        for text in &all {
            black_box(detector.check(black_box(text)));
        }
        check_us.push(per_message(t.elapsed(), all.len()));
        let t = Instant::now();
        for text in &all {
            black_box(normalize(black_box(text)));
        }
        base_us.push(per_message(t.elapsed(), all.len()));
    }
    let (lo, hi) = (
        check_us.iter().copied().fold(f64::INFINITY, f64::min),
        check_us.iter().copied().fold(0.0, f64::max),
    );
    let (check, base) = (median(check_us), median(base_us));
    println!(
        "check(): {check:.2} µs per message, median of {RUNS} runs over {} messages (runs {lo:.2}–{hi:.2}); \
         baseline normalize() alone {base:.2} µs; ratio {:.1}",
        all.len(),
        check / base
    );

    for path in std::env::args().skip(1).map(PathBuf::from) {
        let lines = texts_and_labels(&path);
        let flagged: Vec<(CrisisSource, &str)> = lines
            .iter()
            .filter_map(|(t, _)| detector.check(t).map(|h| (h.source, t.as_str())))
            .collect();
        let by_model = flagged
            .iter()
            .filter(|(s, _)| *s == CrisisSource::Model)
            .count();
        println!(
            "{}: {}/{} messages flagged = {:.3} % ({by_model} by the model)",
            path.display(),
            flagged.len(),
            lines.len(),
            pct(flagged.len(), lines.len())
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn per_message(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}
