//! Unit tests of the parts the public API hides: the lexicon source, the training data and
//! the fitted threshold. The behaviour on messages is tested in `tests/it/crisis.rs`.

use super::model::{THRESHOLD, cross_validate, parse, training_data};
use super::{CrisisCategory, CrisisDetector, CrisisSource, builtin_lexicon};

#[test]
fn the_lexicon_parses() {
    assert!(builtin_lexicon().len() > 200);
}

#[test]
fn the_training_data_parses_and_crisis_lines_have_a_category() {
    let data = training_data();
    assert!(data.len() > 500);
    for l in &data {
        assert!(!l.text.trim().is_empty());
        assert_eq!(l.crisis, l.category.is_some(), "{:?}", l.text);
    }
    assert!(parse("{\"text\": 1}").is_err());
}

/// The threshold constant is what cross-validation on the training data chooses; when the
/// training data or the lexicon change, fit it again (the message says to what).
#[test]
fn the_threshold_is_the_cross_validated_one() {
    let report = cross_validate(&builtin_lexicon(), &training_data());
    #[allow(clippy::print_stderr)] // BENCHMARKS.md quotes these figures.
    {
        eprintln!(
            "crisis training data, 5-fold cross-validation: {} crisis / {} calm messages; \
             lexicon alone recall {:.1} %, false positives {:.2} %; with the out-of-fold model at \
             threshold {} recall {:.1} %, false positives {:.2} %",
            report.crisis,
            report.non_crisis,
            report.lexicon_recall * 100.0,
            report.lexicon_fpr * 100.0,
            report.threshold,
            report.recall * 100.0,
            report.fpr * 100.0
        );
    }
    assert!(
        (report.threshold - THRESHOLD).abs() < 1e-6,
        "cross-validation now chooses {report:?}; set THRESHOLD to {}",
        report.threshold
    );
}

#[test]
fn categories_and_sources() {
    let d = CrisisDetector::builtin();
    let hit = |t: &str| {
        d.check(t)
            .unwrap_or_else(|| panic!("{t:?} should be a crisis"))
    };
    assert_eq!(
        hit("Ich will mich umbringen").category,
        CrisisCategory::Suicide
    );
    assert_eq!(hit("Ich will mich umbringen").source, CrisisSource::Lexicon);
    assert_eq!(
        hit("Ich ritze mich wieder").category,
        CrisisCategory::SelfHarm
    );
    assert_eq!(
        hit("I keep cutting myself").category,
        CrisisCategory::SelfHarm
    );
    assert_eq!(
        hit("Mein Mann will mich umbringen").category,
        CrisisCategory::Violence
    );
    assert_eq!(
        hit("my husband beats me").category,
        CrisisCategory::Violence
    );
    assert_eq!(hit("I want to kill myself").score, 1.0);
}
