//! Message text: GSM 03.38 where every character has a GSM form (umlauts and ß in one septet,
//! € and brackets in two), UCS-2 otherwise.

use smpp_proto::text::{
    DATA_CODING_DEFAULT, DATA_CODING_UCS2, decode, decode_gsm, encode, encode_gsm,
};

#[test]
fn german_text_stays_in_the_gsm_alphabet_one_septet_per_umlaut() {
    let text = "Grüß Gott! Öffnungszeiten: Mo–Fr";
    // The en dash has no GSM form: that text is UCS-2.
    assert_eq!(encode(text).data_coding, DATA_CODING_UCS2);
    let text = "Grüß Gott! Öffnungszeiten: Mo-Fr, Ärger? Übel? äöüß";
    let e = encode(text);
    assert_eq!(e.data_coding, DATA_CODING_DEFAULT);
    assert_eq!(e.bytes.len(), text.chars().count(), "one septet each");
    assert_eq!(decode(e.data_coding, &e.bytes), text);
}

#[test]
fn the_extension_table_takes_two_septets() {
    for c in ['€', '[', ']', '{', '}', '~', '\\', '|', '^'] {
        let s = encode_gsm(&c.to_string()).unwrap();
        assert_eq!(s.len(), 2, "{c}");
        assert_eq!(s[0], 0x1B);
        assert_eq!(decode_gsm(&s), c.to_string());
    }
    let e = encode("Kosten: 5 € [brutto]");
    assert_eq!(e.data_coding, DATA_CODING_DEFAULT);
    assert_eq!(e.bytes.len(), 20 + 3);
}

#[test]
fn typographic_quotes_dashes_and_emoji_force_ucs2() {
    for text in ["„Hallo“", "Sie sagte ‚ja‘", "a—b", "Danke 🙏"] {
        let e = encode(text);
        assert_eq!(e.data_coding, DATA_CODING_UCS2, "{text}");
        assert_eq!(decode(e.data_coding, &e.bytes), text);
    }
    // An emoji is a surrogate pair: four octets.
    assert_eq!(encode("🙏").bytes.len(), 4);
}

#[test]
fn received_text_in_other_codings_is_read_as_latin1() {
    assert_eq!(decode(3, b"Gr\xfc\xdfe"), "Grüße");
    // "Default" text with octets above 127 is Latin-1 too (some SMSCs send it so).
    assert_eq!(decode(0, b"Gr\xfc\xdfe"), "Grüße");
    assert_eq!(
        decode(8, &[0x00, 0x41, 0x00]),
        "A",
        "an odd last octet is dropped"
    );
}
