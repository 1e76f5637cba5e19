//! Crisis detection on the test sets in `benches/crisis` (recall must be 100 %, false
//! positives under 2 % per language; the figures are printed), the test sets' separation
//! from the training data, tenant terms, and `asks_for_human`.

use std::collections::HashSet;
use std::path::PathBuf;

use nlu::{
    CrisisCategory, CrisisDetector, CrisisSource, CrisisTermError, MAX_CRISIS_TERMS,
    asks_for_human, normalize,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    text: String,
    crisis: bool,
}

fn manifest_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn load(relative: &str) -> Vec<Line> {
    let path = manifest_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// Recall, false-positive rate, and how many crisis messages only the model caught.
fn evaluate(lines: &[Line]) -> (usize, usize, usize, usize, usize, Vec<String>) {
    let detector = CrisisDetector::builtin();
    let (mut crisis, mut caught, mut by_model, mut calm, mut false_alarms) = (0, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in lines {
        let hit = detector.check(&line.text);
        if line.crisis {
            crisis += 1;
            match hit {
                Some(h) => {
                    caught += 1;
                    by_model += usize::from(h.source == CrisisSource::Model);
                }
                None => wrong.push(format!("missed: {}", line.text)),
            }
        } else {
            calm += 1;
            if hit.is_some() {
                false_alarms += 1;
                wrong.push(format!("false alarm: {}", line.text));
            }
        }
    }
    (crisis, caught, by_model, calm, false_alarms, wrong)
}

fn check_language(lang: &str) {
    let lines = load(&format!("../../benches/crisis/{lang}.jsonl"));
    let (crisis, caught, by_model, calm, false_alarms, wrong) = evaluate(&lines);
    assert!(
        crisis >= 100 && calm >= 100,
        "{lang}: {crisis} crisis, {calm} calm messages"
    );
    let recall = caught as f64 / crisis as f64;
    let fpr = false_alarms as f64 / calm as f64;
    #[allow(clippy::print_stderr)] // The figures are the point: BENCHMARKS.md quotes them.
    {
        eprintln!(
            "crisis {lang}: recall {caught}/{crisis} = {:.1} % ({by_model} by the model alone), \
             false positives {false_alarms}/{calm} = {:.1} %",
            recall * 100.0,
            fpr * 100.0
        );
        for w in &wrong {
            eprintln!("  {lang} {w}");
        }
    }
    assert_eq!(
        caught, crisis,
        "{lang}: every crisis message must be caught: {wrong:#?}"
    );
    assert!(fpr < 0.02, "{lang}: false-positive rate {fpr}: {wrong:#?}");
}

#[test]
fn german_test_set() {
    check_language("de");
}

#[test]
fn english_test_set() {
    check_language("en");
}

/// The test sets share no message with the training data (after normalisation).
#[test]
fn test_sets_are_disjoint_from_training_data() {
    let training: HashSet<String> = ["src/crisis/train_de.jsonl", "src/crisis/train_en.jsonl"]
        .iter()
        .flat_map(|p| load(p))
        .map(|l| normalize(&l.text))
        .collect();
    for lang in ["de", "en"] {
        for line in load(&format!("../../benches/crisis/{lang}.jsonl")) {
            assert!(
                !training.contains(&normalize(&line.text)),
                "{lang}: {:?} is also training data",
                line.text
            );
        }
    }
}

#[test]
fn hard_negatives_from_the_issue() {
    let d = CrisisDetector::builtin();
    for text in [
        "Ich sterbe vor Langeweile",
        "this queue is killing me",
        "I could kill for a coffee",
        "Selbstmordattentat in den Nachrichten",
        "mein Akku stirbt",
        "die Pflanze ist gestorben",
        "dead line",
        "Ich bringe den Müll um 8 raus",
        "",
        "   ",
        "🙂",
    ] {
        assert_eq!(d.check(text), None, "{text:?}");
    }
}

#[test]
fn a_tenant_term_matches_the_text_it_was_written_as() {
    // Found by the chat_frame fuzz target: a term with digits among letters, punctuation or a
    // split reflexive was read differently from a message with the same text, so it never
    // matched.
    let d = CrisisDetector::builtin();
    for term in [
        "0123456789abcdef0123456789abcdef.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        "fl4mingo 3",
        "blue my self",
        "alles, sinnlos",
        "Nullbock-Tag*",
    ] {
        let with = d
            .with_extra_terms(&[term.to_owned()])
            .expect("a valid term");
        assert!(with.check(term).is_some(), "{term:?} does not match itself");
    }
    let with = d
        .with_extra_terms(&["fl4mingo".to_owned()])
        .expect("a valid term");
    assert!(
        with.check("ich bin ein flamingo").is_some(),
        "read as letters"
    );
}

#[test]
fn tenant_terms_are_validated_and_name_the_bad_term() {
    let d = CrisisDetector::builtin();
    let terms = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let err = d
        .with_extra_terms(&terms(&["Krise", " !!! ", "ok"]))
        .expect_err("empty term");
    assert_eq!(err, CrisisTermError::Empty { index: 1 });
    assert_eq!(
        err.to_string(),
        "crisis term 1 is empty: it has no letters or digits"
    );
    let long = "a".repeat(201);
    let err = d
        .with_extra_terms(&[long, "fine".into()])
        .expect_err("long term");
    assert_eq!(
        err,
        CrisisTermError::TooLong {
            index: 0,
            chars: 201,
            max: 200
        }
    );
    assert!(
        err.to_string()
            .contains("crisis term 0 is 201 characters long")
    );
    assert!(
        d.with_extra_terms(&["ä".repeat(200)]).is_ok(),
        "200 characters are fine"
    );
    let many: Vec<String> = (0..=MAX_CRISIS_TERMS).map(|i| format!("term{i}")).collect();
    assert!(matches!(
        d.with_extra_terms(&many),
        Err(CrisisTermError::TooMany {
            count: 501,
            max: 500
        })
    ));
    // The limit counts terms added before.
    let half = d.with_extra_terms(&many[..300]).expect("300 terms");
    assert!(half.with_extra_terms(&many[300..500]).is_ok());
    assert!(matches!(
        half.with_extra_terms(&many[300..]),
        Err(CrisisTermError::TooMany { count: 501, .. })
    ));
}

#[test]
fn tenant_terms_match_in_any_language() {
    let builtin = CrisisDetector::builtin();
    let texts = [
        "quiero morir",
        "Bugün kendimi öldürmek istiyorum",
        "я хочу умереть",
        "もう死にたい",
        "Ich bin völlig ausgebrannt",
    ];
    for t in texts {
        assert_eq!(
            builtin.check(t),
            None,
            "{t:?} is not in the built-in lexicon"
        );
    }
    let tenant = builtin
        .with_extra_terms(&[
            "quiero morir".into(),
            "kendimi öldürmek".into(),
            "хочу умереть".into(),
            "死にたい".into(),
            "ausgebrannt*".into(),
        ])
        .expect("valid terms");
    for t in texts
        .iter()
        .copied()
        .chain(["QUIERO  MORIR!", "ich bin total ausgebrannte Mutter"])
    {
        let hit = tenant
            .check(t)
            .unwrap_or_else(|| panic!("{t:?} should match"));
        assert_eq!(hit.source, CrisisSource::TenantTerm, "{t:?}");
        assert_eq!(hit.category, CrisisCategory::Custom);
        assert_eq!(hit.score, 1.0);
    }
    // A typo in a long word still matches; a phrase needs its words in order.
    let typo = builtin
        .with_extra_terms(&["Erschöpfungsdepression".into()])
        .expect("valid");
    assert!(typo.check("ich habe eine Erschöpfungsdepresion").is_some());
    assert_eq!(tenant.check("morir quiero"), None);
    // The built-in lexicon keeps its own category and source.
    let hit = tenant.check("Ich will mich umbringen").expect("lexicon");
    assert_eq!(hit.source, CrisisSource::Lexicon);
    // The original detector is unchanged.
    assert_eq!(builtin.check("quiero morir"), None);
    assert!(format!("{tenant:?}").contains("tenant_terms: 5"));
}

#[test]
fn asks_for_a_person() {
    for text in [
        "Mensch",
        "Mensch!",
        "Mitarbeiter bitte",
        "Ich möchte mit einem Menschen sprechen",
        "Verbinden Sie mich mit einer Beraterin",
        "Bitte einen echten Berater",
        "echte Person",
        "Kann ich mit jemandem persönlich reden?",
        "Ich brauche jemanden zum Reden",
        "Ich will keinen Bot",
        "agent",
        "Operator please",
        "human",
        "I want to talk to a real person",
        "Can I speak to someone?",
        "I need someone to talk to",
        "Representative!",
        "get me a human",
        "0",
        " 0 ",
        "Ich will einen Menschen",
        "Can I chat with a live agent",
        "stop the bot, I want a person",
        "Mitarbeiterin",
        "Sachbearbeiter bitte",
        "Ich möchte mit einer Mitarbeiterin sprechen",
    ] {
        assert!(asks_for_human(text), "{text:?} should ask for a person");
    }
}

#[test]
fn does_not_ask_for_a_person() {
    for text in [
        "Ich bin kein Mensch mehr",
        "I'm only human",
        "I feel like I'm not human anymore",
        "Menschen sind grausam zu mir",
        "Mensch, das dauert heute aber lange",
        "Eine Person bitte",
        "Termin für zwei Personen",
        "Ich bin Kontaktperson, was muss ich tun?",
        "Mein Mitarbeiter ist krank",
        "My agent called me yesterday about the contract",
        "Der Mitarbeiter hat mir gesagt, ich soll warten",
        "Jemand hat mein Fahrrad geklaut",
        "Ich will nicht mit einem Menschen sprechen",
        "I don't want a human",
        "10",
        "100",
        "0800 1110111",
        "Wann ist mein Termin?",
        "",
        "Ich arbeite als Mitarbeiterin im Krankenhaus und habe eine Frage zur Impfung",
        "the travel agent booked the wrong flight yesterday",
        "Ja",
        "2",
    ] {
        assert!(
            !asks_for_human(text),
            "{text:?} should not ask for a person"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any text, however long or strange, gets an answer without a panic; a hit's score is a
    /// probability.
    #[test]
    fn any_text_is_checked_without_panicking(text in "\\PC{0,300}", words in proptest::collection::vec("(ich|will|mich|um|nicht|mehr|kill|myself|0|suizid|tot|dead|,|\\.|🙂|[a-zäöüß]{1,12})", 0..40)) {
        let d = CrisisDetector::builtin();
        for t in [text.clone(), words.join(" "), text.repeat(20)] {
            if let Some(hit) = d.check(&t) {
                proptest::prop_assert!((0.0..=1.0).contains(&hit.score));
            }
            let _ = asks_for_human(&t);
        }
    }
}
