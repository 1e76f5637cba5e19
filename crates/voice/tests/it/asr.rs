//! Speech input with the real pocketsphinx (the Debian packages `pocketsphinx` and `pocketsphinx-en-us`, which
//! `scripts/test` installs): phrases spoken by espeak-ng, sent as a call sends them (8 kHz µ-law frames, decoded
//! to linear PCM, over faint line noise), must come back as the right phrase of the grammar, with the start and
//! end of speech reported where they happen.

use std::time::{Duration, Instant};

use voice::asr::{AsrError, Grammar, PocketsphinxRecognizer, Recognition, Recognizer, VadEvent};
use voice::tts::{EspeakSynthesizer, FRAME_SAMPLES, Synthesizer, Voice, ulaw_frames};

use crate::util::fake_engine;

const PHRASES: [&str; 5] = [
    "book an appointment",
    "opening hours",
    "speak to an agent",
    "yes",
    "no",
];

/// Silence before the phrase, as a caller takes a breath after the prompt.
const LEAD_MS: usize = 600;
/// Silence after it: more than the end-of-speech timeout.
const TRAIL_MS: usize = 1_500;

/// Faint line noise (about -66 dBFS) so silence is not digital zero, from a fixed seed.
fn line_noise(n: usize, seed: &mut u64) -> Vec<i16> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % 33) as i16 - 16
        })
        .collect()
}

/// `text` spoken by espeak-ng in English, as the 8 kHz linear PCM a call receives: µ-law frames decoded, with
/// silence around it. Returns the audio and where the speech ends (ms).
async fn spoken(tts: &EspeakSynthesizer, text: &str) -> (Vec<i16>, usize) {
    let prompt = tts.synthesize(text, &Voice::english()).await.unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1D_u64 ^ text.len() as u64;
    let mut audio = line_noise(LEAD_MS * 8, &mut seed);
    for frame in ulaw_frames(&prompt) {
        audio.extend(frame.iter().map(|&c| media::g711::ulaw_decode(c)));
    }
    let speech_end_ms = audio.len() / 8;
    audio.extend(line_noise(TRAIL_MS * 8, &mut seed));
    let n = audio.len();
    for (sample, noise) in audio.iter_mut().zip(line_noise(n, &mut seed)) {
        *sample = sample.saturating_add(noise);
    }
    (audio, speech_end_ms)
}

/// What happened when `audio` was pushed frame by frame: when speech started and when the final event came (ms
/// at the end of the frame), then what the recogniser made of it and how long decoding took.
struct Heard {
    started_ms: Option<usize>,
    last: VadEvent,
    last_ms: usize,
    recognition: Option<Recognition>,
    decode: Duration,
}

async fn hear(recognizer: &PocketsphinxRecognizer, grammar: &Grammar, audio: &[i16]) -> Heard {
    let mut stream = recognizer.start(grammar, "en").await.unwrap();
    let mut started_ms = None;
    let mut last = VadEvent::Silence;
    let mut last_ms = 0;
    for (i, frame) in audio.chunks(FRAME_SAMPLES).enumerate() {
        last = stream.push(frame);
        last_ms = (i + 1) * 20;
        if last == VadEvent::SpeechStarted {
            started_ms = Some(last_ms);
        }
        if last.is_final() {
            break;
        }
    }
    let begun = Instant::now();
    let recognition = stream.finish().await.unwrap();
    Heard {
        started_ms,
        last,
        last_ms,
        recognition,
        decode: begun.elapsed(),
    }
}

fn setup() -> (tempfile::TempDir, EspeakSynthesizer, PocketsphinxRecognizer) {
    let dir = tempfile::tempdir().unwrap();
    let tts = EspeakSynthesizer::new(dir.path().join("tts"));
    let recognizer = PocketsphinxRecognizer::new().with_work_dir(dir.path().join("asr"));
    (dir, tts, recognizer)
}

#[tokio::test]
async fn each_phrase_of_the_grammar_is_recognised_after_its_end_of_speech() {
    let (dir, tts, recognizer) = setup();
    let grammar = Grammar::new(PHRASES);
    for phrase in PHRASES {
        let (audio, speech_end_ms) = spoken(&tts, phrase).await;
        let heard = hear(&recognizer, &grammar, &audio).await;

        let started = heard
            .started_ms
            .unwrap_or_else(|| panic!("{phrase}: no start of speech"));
        assert!(
            (LEAD_MS + 100..=LEAD_MS + 400).contains(&started),
            "{phrase}: speech started at {started} ms, spoken from {LEAD_MS} ms"
        );
        assert_eq!(heard.last, VadEvent::SpeechEnded, "{phrase}");
        // The end comes 700 ms after the last loud frame; espeak's last phoneme fades a little before the end
        // of its audio.
        assert!(
            (speech_end_ms + 300..=speech_end_ms + 800).contains(&heard.last_ms),
            "{phrase}: end of speech at {} ms, speech ends at {speech_end_ms} ms",
            heard.last_ms
        );
        let recognition = heard
            .recognition
            .unwrap_or_else(|| panic!("{phrase}: nothing recognised"));
        assert_eq!(recognition.text, phrase);
        assert!(
            (0.5..=1.0).contains(&recognition.confidence),
            "{phrase}: confidence {}",
            recognition.confidence
        );
        assert!(
            heard.decode < Duration::from_secs(5),
            "{phrase}: decoding took {:?}",
            heard.decode
        );
    }
    // Every utterance's working directory is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("asr")).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn speech_outside_the_grammar_gets_no_answer_or_a_low_confidence() {
    let (_dir, tts, recognizer) = setup();
    let (audio, _) = spoken(&tts, "the weather is lovely today").await;
    let heard = hear(&recognizer, &Grammar::new(PHRASES), &audio).await;
    assert_eq!(heard.last, VadEvent::SpeechEnded);
    if let Some(recognition) = heard.recognition {
        assert!(
            recognition.confidence < 0.2,
            "confidence {}",
            recognition.confidence
        );
    }
}

#[tokio::test]
async fn silence_is_no_input_and_no_result() {
    let (_dir, _tts, recognizer) = setup();
    let mut seed = 7;
    let audio = line_noise(6 * 8_000, &mut seed);
    let heard = hear(&recognizer, &Grammar::new(PHRASES), &audio).await;
    assert_eq!(heard.started_ms, None);
    assert_eq!(heard.last, VadEvent::NoInput);
    assert_eq!(heard.last_ms, 5_000);
    assert_eq!(heard.recognition, None);
}

#[tokio::test]
async fn words_outside_the_dictionary_do_not_break_the_grammar() {
    let (_dir, tts, recognizer) = setup();
    // German words and made-up ones are not in the US-English dictionary: a phrase loses them, and a phrase
    // with nothing else is dropped. The recognised text is the phrase as the flow spells it.
    let grammar = Grammar::new([
        "Impfzentrum",
        "Öffnungszeiten",
        "xyzzy opening hours",
        "speak to an agent",
        "yes",
        "no",
    ]);
    let (audio, _) = spoken(&tts, "opening hours").await;
    let heard = hear(&recognizer, &grammar, &audio).await;
    assert_eq!(
        heard.recognition.map(|r| r.text).as_deref(),
        Some("xyzzy opening hours")
    );

    let err = recognizer
        .start(
            &Grammar::new(["Impfzentrum", "Öffnungszeiten", "", "12"]),
            "en",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AsrError::EmptyGrammar { phrases: 4 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn only_us_english_is_understood() {
    let recognizer = PocketsphinxRecognizer::new();
    let grammar = Grammar::new(PHRASES);
    for language in ["en", "EN", "en-US", "en_us"] {
        assert!(
            recognizer.start(&grammar, language).await.is_ok(),
            "{language}"
        );
    }
    for language in ["de", "de-DE", "en-GB", "fr", ""] {
        let err = recognizer.start(&grammar, language).await.unwrap_err();
        assert!(
            matches!(err, AsrError::UnsupportedLanguage { .. }),
            "{language}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_missing_engine_or_model_is_named() {
    let (_dir, tts, _) = setup();
    let (audio, _) = spoken(&tts, "yes").await;
    let missing = PocketsphinxRecognizer::new().with_binary("/nonexistent/pocketsphinx_batch");
    let mut stream = missing.start(&Grammar::new(PHRASES), "en").await.unwrap();
    for frame in audio.chunks(FRAME_SAMPLES) {
        stream.push(frame);
    }
    let err = stream.finish().await.unwrap_err();
    assert!(matches!(err, AsrError::EngineMissing { .. }), "{err:?}");

    let no_model = PocketsphinxRecognizer::new().with_model_dir("/nonexistent/model");
    let err = no_model
        .start(&Grammar::new(PHRASES), "en")
        .await
        .unwrap_err();
    assert!(matches!(err, AsrError::ModelMissing { .. }), "{err:?}");
}

#[tokio::test]
async fn a_hanging_engine_is_killed_and_a_failing_one_reported() {
    let (dir, tts, _) = setup();
    let (audio, _) = spoken(&tts, "yes").await;
    let grammar = Grammar::new(PHRASES);

    let hanging = fake_engine(dir.path(), "hang", "exec sleep 30");
    let recognizer = PocketsphinxRecognizer::new()
        .with_binary(hanging)
        .with_timeout(Duration::from_millis(300))
        .with_work_dir(dir.path().join("asr"));
    let mut stream = recognizer.start(&grammar, "en").await.unwrap();
    for frame in audio.chunks(FRAME_SAMPLES) {
        stream.push(frame);
    }
    let begun = Instant::now();
    let err = stream.finish().await.unwrap_err();
    assert!(matches!(err, AsrError::Timeout { .. }), "{err:?}");
    assert!(begun.elapsed() < Duration::from_secs(5));

    let failing = fake_engine(
        dir.path(),
        "fail",
        "echo 'FATAL: \"batch.c\": no model' >&2; exit 3",
    );
    let recognizer = PocketsphinxRecognizer::new()
        .with_binary(failing)
        .with_work_dir(dir.path().join("asr"));
    let mut stream = recognizer.start(&grammar, "en").await.unwrap();
    for frame in audio.chunks(FRAME_SAMPLES) {
        stream.push(frame);
    }
    match stream.finish().await.unwrap_err() {
        AsrError::EngineFailed { detail, .. } => assert!(detail.contains("no model"), "{detail}"),
        err => panic!("{err:?}"),
    }
}

#[tokio::test]
async fn a_call_that_ends_mid_sentence_decodes_what_was_said() {
    let (_dir, tts, recognizer) = setup();
    let (audio, speech_end_ms) = spoken(&tts, "speak to an agent").await;
    let mut stream = recognizer
        .start(&Grammar::new(PHRASES), "en")
        .await
        .unwrap();
    // Up to the end of the speech, without the trailing silence: the caller hangs up.
    for frame in audio[..speech_end_ms * 8].chunks(FRAME_SAMPLES) {
        assert!(!stream.push(frame).is_final());
    }
    let recognition = stream.finish().await.unwrap();
    assert_eq!(
        recognition.map(|r| r.text).as_deref(),
        Some("speak to an agent")
    );
}

#[test]
fn recognised_text_stays_out_of_debug_output() {
    let recognition = Recognition {
        text: "my name is Erika Mustermann".to_owned(),
        confidence: 0.9,
    };
    let shown = format!("{recognition:?}");
    assert!(!shown.contains("Erika"), "{shown}");
    assert!(shown.contains("0.9"), "{shown}");
}
