//! Entity extractors in German and English, with dialect, typos and wrong-language input.
//! The reference time is Friday 2025-03-14 09:00 in Berlin.

use nlu::jiff::ZonedDateTime;
use nlu::jiff::civil::{DateTime, date};
use nlu::{DateTimeGrain, Entity, EntityKind, EntityList, EntityValue, Lang, extract_entities};

fn reference() -> ZonedDateTime {
    date(2025, 3, 14)
        .at(9, 0, 0, 0)
        .in_tz("Europe/Berlin")
        .expect("zone")
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

fn find(text: &str, lang: Lang) -> Vec<Entity> {
    extract_entities(text, lang, reference(), &lists())
}

fn only(text: &str, lang: Lang, kind: EntityKind) -> Entity {
    let found: Vec<Entity> = find(text, lang)
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect();
    assert_eq!(found.len(), 1, "{text:?}: {found:?}");
    let e = found.into_iter().next().expect("one");
    assert_eq!(&text[e.start..e.end], e.text);
    e
}

fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> DateTime {
    date(y, m, d).at(h, min, 0, 0)
}

#[test]
fn numbers() {
    let cases: [(&str, Lang, f64, &str); 9] = [
        ("ich bin 42 jahre alt", Lang::De, 42.0, "42"),
        ("dreiundzwanzig Personen", Lang::De, 23.0, "dreiundzwanzig"),
        ("zwölf Leute", Lang::De, 12.0, "zwölf"),
        ("zwoelf Leute", Lang::De, 12.0, "zwoelf"),
        ("hundertzwei", Lang::De, 102.0, "hundertzwei"),
        ("twenty three people", Lang::En, 23.0, "twenty three"),
        ("two hundred and", Lang::En, 200.0, "two hundred"),
        ("we are seven", Lang::En, 7.0, "seven"),
        ("wir sind zwanzig", Lang::En, 20.0, "zwanzig"),
    ];
    for (text, lang, value, span) in cases {
        let e = only(text, lang, EntityKind::Number);
        assert_eq!(e.value, EntityValue::Number { value }, "{text:?}");
        assert_eq!(e.text, span);
    }
}

#[test]
fn digit_strings() {
    let cases = [
        ("meine Nummer ist eins zwei drei", Lang::De, "123"),
        ("zwo null fünf", Lang::De, "205"),
        ("one two three four", Lang::En, "1234"),
        ("eins zwei drei", Lang::En, "123"),
    ];
    for (text, lang, digits) in cases {
        let e = only(text, lang, EntityKind::DigitString);
        assert_eq!(
            e.value,
            EntityValue::Digits {
                digits: digits.into()
            },
            "{text:?}"
        );
    }
}

#[test]
fn dates_and_times() {
    let cases: [(&str, Lang, DateTime, DateTimeGrain, &str); 14] = [
        (
            "morgen um 10",
            Lang::De,
            at(2025, 3, 15, 10, 0),
            DateTimeGrain::Hour,
            "morgen um 10",
        ),
        (
            "geht es morgen um 10 Uhr?",
            Lang::De,
            at(2025, 3, 15, 10, 0),
            DateTimeGrain::Hour,
            "morgen um 10 Uhr",
        ),
        (
            "nächsten Dienstag",
            Lang::De,
            at(2025, 3, 18, 0, 0),
            DateTimeGrain::Day,
            "nächsten Dienstag",
        ),
        (
            "naechsten dienstag bitte",
            Lang::De,
            at(2025, 3, 18, 0, 0),
            DateTimeGrain::Day,
            "naechsten dienstag",
        ),
        (
            "am 3. Dezember",
            Lang::De,
            at(2025, 12, 3, 0, 0),
            DateTimeGrain::Day,
            "3. Dezember",
        ),
        (
            "am 3.12.2026",
            Lang::De,
            at(2026, 12, 3, 0, 0),
            DateTimeGrain::Day,
            "3.12.2026",
        ),
        (
            "heute um 4 Uhr nachmittags",
            Lang::De,
            at(2025, 3, 14, 16, 0),
            DateTimeGrain::Hour,
            "heute um 4 Uhr nachmittags",
        ),
        (
            "um 14:30",
            Lang::De,
            at(2025, 3, 14, 14, 30),
            DateTimeGrain::Minute,
            "um 14:30",
        ),
        (
            "um 8",
            Lang::De,
            at(2025, 3, 15, 8, 0),
            DateTimeGrain::Hour,
            "um 8",
        ),
        (
            "tomorrow at 10 am",
            Lang::En,
            at(2025, 3, 15, 10, 0),
            DateTimeGrain::Hour,
            "tomorrow at 10 am",
        ),
        (
            "next Tuesday",
            Lang::En,
            at(2025, 3, 18, 0, 0),
            DateTimeGrain::Day,
            "next Tuesday",
        ),
        (
            "in two hours",
            Lang::En,
            at(2025, 3, 14, 11, 0),
            DateTimeGrain::Hour,
            "in two hours",
        ),
        (
            "in zwei Stunden",
            Lang::De,
            at(2025, 3, 14, 11, 0),
            DateTimeGrain::Hour,
            "in zwei Stunden",
        ),
        (
            "on December 3rd",
            Lang::En,
            at(2025, 12, 3, 0, 0),
            DateTimeGrain::Day,
            "December 3rd",
        ),
    ];
    for (text, lang, value, grain, span) in cases {
        let e = only(text, lang, EntityKind::DateTime);
        assert_eq!(e.value, EntityValue::DateTime { value, grain }, "{text:?}");
        assert_eq!(e.text, span, "{text:?}");
    }
    // Wrong language hint: German words still resolve.
    let e = only("morgen um 10", Lang::En, EntityKind::DateTime);
    assert_eq!(
        e.value,
        EntityValue::DateTime {
            value: at(2025, 3, 15, 10, 0),
            grain: DateTimeGrain::Hour
        }
    );
    // "heute morgen" is this morning, not tomorrow.
    assert!(find("heute morgen", Lang::De).iter().all(|e| e.value
        != EntityValue::DateTime {
            value: at(2025, 3, 15, 0, 0),
            grain: DateTimeGrain::Day
        }));
}

#[test]
fn durations() {
    let cases = [
        ("zwei Stunden", 7200),
        ("10 minutes", 600),
        ("eine halbe Stunde", 1800),
        ("three days", 259_200),
    ];
    for (text, seconds) in cases {
        let e = only(text, Lang::Unknown, EntityKind::Duration);
        assert_eq!(e.value, EntityValue::Duration { seconds }, "{text:?}");
    }
}

#[test]
fn yes_no() {
    let cases = [
        ("ja", true),
        ("Jo", true),
        ("jep, passt", true),
        ("klar!", true),
        ("yes", true),
        ("Yeah", true),
        ("nee", false),
        ("Nein danke", false),
        ("nope", false),
        ("no", false),
        ("nö", false),
    ];
    for (text, yes) in cases {
        let found: Vec<_> = find(text, Lang::Unknown)
            .into_iter()
            .filter(|e| e.kind == EntityKind::YesNo)
            .collect();
        assert!(!found.is_empty(), "{text:?}");
        assert_eq!(found[0].value, EntityValue::YesNo { yes }, "{text:?}");
    }
    assert!(
        find("Termin verschieben", Lang::De)
            .iter()
            .all(|e| e.kind != EntityKind::YesNo)
    );
}

#[test]
fn postcodes_and_phone_numbers() {
    let e = only(
        "ich wohne in 70173 Stuttgart",
        Lang::De,
        EntityKind::Postcode,
    );
    assert_eq!(
        e.value,
        EntityValue::Postcode {
            code: "70173".into()
        }
    );
    let e = only(
        "ruf mich an unter +49 711 1234567",
        Lang::De,
        EntityKind::PhoneLike,
    );
    assert_eq!(
        e.value,
        EntityValue::Phone {
            digits: "+497111234567".into()
        }
    );
    assert_eq!(e.text, "49 711 1234567");
    let e = only("call 0800-111-0111 please", Lang::En, EntityKind::PhoneLike);
    assert_eq!(
        e.value,
        EntityValue::Phone {
            digits: "08001110111".into()
        }
    );
    // A phone number is not also a postcode or a number.
    assert_eq!(find("0711 12345678", Lang::De).len(), 1);
}

#[test]
fn custom_lists_with_synonyms_and_typos() {
    let cases = [
        (
            "ich wohne in Bad Cannstatt",
            "Bad Cannstatt",
            "Bad Cannstatt",
        ),
        ("in cannstatt", "Bad Cannstatt", "cannstatt"),
        ("in der Innenstat", "Mitte", "Innenstat"),
        ("im Zentrum", "Mitte", "Zentrum"),
        ("im zentrun", "Mitte", "zentrun"),
    ];
    for (text, value, span) in cases {
        let e = only(text, Lang::De, EntityKind::Custom);
        assert_eq!(
            e.value,
            EntityValue::Custom {
                list: "bezirk".into(),
                value: value.into()
            },
            "{text:?}"
        );
        assert_eq!(e.text, span);
    }
    // Two edits are too many; a multi-word value needs all its words.
    assert!(
        find("zentral", Lang::De)
            .iter()
            .all(|e| e.kind != EntityKind::Custom)
    );
    assert!(
        find("ins Bad", Lang::De)
            .iter()
            .all(|e| e.kind != EntityKind::Custom)
    );
}

#[test]
fn datetime_slot_report_counts_overlaps() {
    let data = r#"{"text": "Wecker für morgen um 7", "intent": "alarm", "slots": [{"type": "datetime", "value": "morgen um 7"}]}
{"text": "Wetter in Berlin", "intent": "weather", "slots": [{"type": "location", "value": "Berlin"}]}"#;
    let r = nlu::datetime_slot_report(data, Lang::De, &reference());
    assert_eq!((r.gold, r.found, r.recalled, r.exact), (1, 1, 1, 1));
}
