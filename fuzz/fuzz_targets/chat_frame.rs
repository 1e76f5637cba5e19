//! Untrusted text that reaches the app from the web chat and the login and API surfaces, fed to
//! the pieces that take it apart without the app: `nlu::normalize`, `nlu::detect_language`,
//! `nlu::extract_entities` (with a fixed reference time), `SessionToken::parse`,
//! `ApiKeyToken::parse` and the validated names of `domain`. (The chat's frames themselves are
//! private serde types of the api crate.) Nothing may panic; entity spans must point into the
//! text, in order; accepted tokens re-encode to the same text; names are parsed idempotently.

#![no_main]

use domain::{DisplayName, TenantName, Username};
use libfuzzer_sys::fuzz_target;
use nlu::jiff::civil::date;
use nlu::{EntityList, Lang};
use security::token::{ApiKeyToken, SessionToken};

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
