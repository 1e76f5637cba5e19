//! Untrusted text that reaches the app from the web chat and the login and API surfaces, fed to
//! the pieces that take it apart without the app: `nlu::normalize`, `nlu::detect_language`,
//! `nlu::extract_entities` (with a fixed reference time), the crisis detector (built-in and
//! with the text itself as a tenant term) and `nlu::asks_for_human`, `SessionToken::parse`,
//! `ApiKeyToken::parse` and the validated names of `domain`. (The chat's frames themselves are
//! private serde types of the api crate.) Nothing may panic; entity spans must point into the
//! text, in order; accepted tokens re-encode to the same text; names are parsed idempotently.

#![no_main]

use domain::{DisplayName, TenantName, Username};
use libfuzzer_sys::fuzz_target;
use nlu::jiff::civil::date;
use nlu::{EntityList, Lang};
use security::token::{ApiKeyToken, SessionToken};
use std::sync::OnceLock;

/// Built once: the lexicon and the small model are the same for every input.
fn detector() -> &'static nlu::CrisisDetector {
    static DETECTOR: OnceLock<nlu::CrisisDetector> = OnceLock::new();
    DETECTOR.get_or_init(nlu::CrisisDetector::builtin)
}

fn lists() -> Vec<EntityList> {
    vec![EntityList {
        name: "bezirk".into(),
        values: vec![
            ("Bad Cannstatt".into(), vec!["Cannstatt".into()]),
            ("Mitte".into(), vec!["Zentrum".into(), "Innenstadt".into()]),
        ],
    }]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let _ = nlu::normalize(text);
    if let Some(hit) = detector().check(text) {
        assert!(hit.score.is_finite(), "a crisis score is a number: {hit:?}");
    }
    let _ = nlu::asks_for_human(text);
    // The text as a tenant's own term: a valid term must then match the text it came from.
    if let Ok(with_term) = detector().with_extra_terms(&[text.to_owned()]) {
        assert!(
            with_term.check(text).is_some(),
            "a tenant term does not match its own text"
        );
    }
    let lang = nlu::detect_language(text);
    // Friday 2025-03-14 09:00 in Berlin, as in the crate's tests.
    let reference = date(2025, 3, 14)
        .at(9, 0, 0, 0)
        .in_tz("Europe/Berlin")
        .expect("zone");
    let lists = lists();
    for lang in [lang, Lang::De, Lang::En] {
        let entities = nlu::extract_entities(text, lang, reference.clone(), &lists);
        let mut last_start = 0;
        for e in &entities {
            assert_eq!(
                text.get(e.start..e.end),
                Some(e.text.as_str()),
                "entity span does not match its text: {e:?}"
            );
            assert!(e.start >= last_start, "entities not sorted by start");
            last_start = e.start;
        }
    }

    if let Ok(token) = SessionToken::parse(text) {
        assert_eq!(token.encode(), text, "session token re-encodes differently");
    }
    if let Ok(key) = ApiKeyToken::parse(text) {
        assert_eq!(key.encode(), text, "API key re-encodes differently");
    }
    if let Ok(name) = Username::parse(text) {
        assert_eq!(Username::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(name) = DisplayName::parse(text) {
        assert_eq!(DisplayName::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(name) = TenantName::parse(text) {
        assert_eq!(TenantName::parse(name.as_str()).as_ref(), Ok(&name));
    }
});
