//! The built-in keyword/pattern matcher.

use flow::{IntentMatch, IntentMatcher, KeywordMatcher, NoIntents, parse_yaml};

use crate::support::{flow_yaml, lines};

fn matcher(intents: &str) -> KeywordMatcher {
    let yaml = flow_yaml(&format!("intents: {intents}"), "- {id: a, type: end}");
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    KeywordMatcher::from_document(&doc).unwrap_or_else(|d| panic!("{}", lines(&d)))
}

fn hit(name: &str, confidence: f32) -> IntentMatch {
    IntentMatch {
        intent: Some(name.to_owned()),
        confidence,
    }
}

const NONE: IntentMatch = IntentMatch {
    intent: None,
    confidence: 0.0,
};

#[test]
fn umlauts_and_eszett_fold_both_ways() {
    let m = matcher(
        "{exam: {keywords: [Prüfung]}, street: {keywords: [strasse]}, debt: {keywords: [Schulden]}}",
    );
    assert_eq!(
        m.classify("Ich habe Angst vor der Pruefung", "de"),
        hit("exam", 0.9)
    );
    assert_eq!(m.classify("PRÜFUNG!", "de"), hit("exam", 0.9));
    assert_eq!(m.classify("Welche Straße?", "de"), hit("street", 0.9));
    assert_eq!(m.classify("welche strasse", "de"), hit("street", 0.9));
    let m = matcher("{street: {keywords: [Straße]}}");
    assert_eq!(
        m.classify("Hauptstrasse oder Strasse", "de"),
        hit("street", 0.9)
    );
}

#[test]
fn keywords_match_whole_words_only() {
    let m = matcher("{exam: {keywords: [Prüfung]}, bot: {keywords: [digital assistant]}}");
    assert_eq!(m.classify("Prüfungsangst", "de"), NONE);
    assert_eq!(m.classify("Vorprüfung", "de"), NONE);
    assert_eq!(m.classify("(Prüfung)", "de"), hit("exam", 0.9));
    assert_eq!(
        m.classify("Are you a digital   assistant?", "en"),
        hit("bot", 0.9)
    );
    assert_eq!(m.classify("digital assistants", "en"), NONE);
    assert_eq!(m.classify("", "en"), NONE);
}

#[test]
fn patterns_beat_keywords_in_confidence_and_hits_decide() {
    let m = matcher(
        r#"{book: {keywords: [termin, appointment], patterns: ["\\bum \\d+ uhr\\b"]}, cancel: {keywords: [absagen, termin]}}"#,
    );
    assert_eq!(m.classify("Termin um 10 Uhr", "de"), hit("book", 1.0));
    // "termin" is a keyword of both: one hit each, the first intent (by name) wins.
    assert_eq!(m.classify("Termin", "de"), hit("book", 0.9));
    // Two hits for cancel against one for book.
    assert_eq!(m.classify("Termin absagen", "de"), hit("cancel", 0.9));
    assert_eq!(m.classify("Hallo", "de"), NONE);
    assert_eq!(NoIntents.classify("Termin um 10 Uhr", "de"), NONE);
}

#[test]
fn a_bad_pattern_is_reported() {
    let yaml = flow_yaml(r#"intents: {x: {patterns: ["("]}}"#, "- {id: a, type: end}");
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let err = KeywordMatcher::from_document(&doc).map(|m| format!("{m:?}"));
    assert_eq!(
        err.map_err(|d| lines(&d)),
        Err(r#"error[invalid-regex] intents.x.patterns[0]: the pattern "(" does not compile: unclosed group"#.to_owned())
    );
}
