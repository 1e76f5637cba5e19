//! Normalisation: umlauts, ß, dialect spellings, typos, repeated letters, emoji, control chars.

use nlu::normalize;

#[test]
fn table() {
    let cases = [
        (
            "Ich möchte meinen Impftermin VERSCHIEBEN!",
            "ich moechte meinen impftermin verschieben",
        ),
        (
            "Ich moechte meinen Impftermin verschieben",
            "ich moechte meinen impftermin verschieben",
        ),
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("GROẞ", "gross"),
        ("Grüß Gott", "gruess gott"),
        ("Gruess Gott", "gruess gott"),
        ("a\u{0308}rger", "aerger"),
        ("Café", "cafe"),
        ("Hallooooo!!!", "halloo"),
        ("bitteeee helfen", "bittee helfen"),
        ("geht's?", "gehts"),
        ("Wie geht’s dir", "wie gehts dir"),
        ("Termin 😀 bitte 🙏", "termin bitte"),
        ("ab\u{0000}c\td\u{0007}e", "ab c d e"),
        ("  viele    Leerzeichen \n ", "viele leerzeichen"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("Tel. 0800-1110111", "tel 0800 1110111"),
        ("", ""),
        ("🙂🙂", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize(input), expected, "input {input:?}");
    }
}

#[test]
fn long_input_is_capped() {
    let long = "wort ".repeat(40_000);
    let normalized = normalize(&long);
    assert!(normalized.len() <= 2_000, "{}", normalized.len());
}
