//! Bad input never panics, and the same text always gives the same vector.

use sentence_encoder::{DIM, MAX_PIECES};

use crate::encoder;

#[test]
fn odd_input_gives_a_finite_unit_vector() {
    let enc = encoder();
    let long = "Ich brauche Hilfe 😀 ".repeat(5_000);
    let huge = "x".repeat(100 * 1024);
    let inputs = [
        "",
        " ",
        "\u{0}\u{7}\u{1b}[31m",
        "😀😀😀🙈",
        "\u{202e}mixed العربية 漢字 Кириллица",
        "ä\u{308}\u{308}\u{308}",
        long.as_str(),
        huge.as_str(),
    ];
    for text in inputs {
        let v = enc.embed(text);
        assert_eq!(v.len(), DIM);
        assert!(
            v.iter().all(|x| x.is_finite()),
            "finite for {} bytes",
            text.len()
        );
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "unit length, got {norm}");
        assert!(enc.tokenize(text).len() <= MAX_PIECES);
    }
}

#[test]
fn embedding_is_deterministic() {
    let enc = encoder();
    let text = "Können Sie mich bitte zurückrufen?";
    let a = enc.embed(text);
    let b = enc.embed(text);
    assert_eq!(a, b);
}

#[test]
fn the_fingerprint_names_the_files() {
    let enc = encoder();
    assert!(enc.fingerprint().starts_with("use-m3:"));
    assert_eq!(enc.fingerprint().len(), "use-m3:".len() + 16);
}
