//! Text-to-speech with the real espeak-ng (the Debian package `espeak-ng`, which `scripts/test` installs) and
//! with fake engines for the failures a real one rarely shows.

use std::time::Duration;

use voice::tts::{
    EspeakSynthesizer, FRAME_SAMPLES, MAX_TEXT_CHARS, Prompt, Synthesizer, TtsError, Voice,
    ulaw_frames,
};

use crate::util::{fake_engine, rms};

const GERMAN: &str = "Guten Tag, Sie sind mit dem Krisentelefon verbunden.";
const ENGLISH: &str = "Hello, you have reached the crisis line.";

fn synthesizer() -> (tempfile::TempDir, EspeakSynthesizer) {
    let dir = tempfile::tempdir().unwrap();
    let synthesizer = EspeakSynthesizer::new(dir.path().join("tts"));
    (dir, synthesizer)
}

fn assert_speech(prompt: &Prompt) {
    let ms = prompt.duration_ms();
    assert!((500..=10_000).contains(&ms), "implausible duration {ms} ms");
    let level = rms(&prompt.samples);
    assert!(
        level > 300.0,
        "the prompt is nearly silent (RMS {level:.0})"
    );
}

#[tokio::test]
async fn german_and_english_sentences_are_spoken_at_8_khz() {
    let (_dir, tts) = synthesizer();
    let german = tts.synthesize(GERMAN, &Voice::german()).await.unwrap();
    let english = tts.synthesize(ENGLISH, &Voice::english()).await.unwrap();
    assert_speech(&german);
    assert_speech(&english);
    assert_eq!(german.duration_ms(), german.samples.len() as u64 / 8);
    assert_ne!(german, english);
    let variant = Voice {
        name: Some("f3".to_owned()),
        ..Voice::german()
    };
    let female = tts.synthesize(GERMAN, &variant).await.unwrap();
    assert_speech(&female);
    assert_ne!(female, german);
}

#[tokio::test]
async fn the_second_request_is_served_from_the_disk_cache_without_the_engine() {
    let (dir, tts) = synthesizer();
    let voice = Voice::german();
    let cache_file = tts.cache_path(GERMAN, &voice).unwrap();
    assert!(!cache_file.exists());
    let first = tts.synthesize(GERMAN, &voice).await.unwrap();
    assert_eq!(
        std::fs::metadata(&cache_file).unwrap().len(),
        first.samples.len() as u64 * 2
    );
    let name = cache_file.file_name().unwrap().to_str().unwrap();
    assert_eq!(name.len(), 64 + ".pcm".len(), "{name}");
    // The same synthesizer answers from memory.
    assert_eq!(tts.synthesize(GERMAN, &voice).await.unwrap(), first);
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(tts.cache_dir()).unwrap().count(), 1);

    // A fresh synthesizer on the same directory whose engine is gone still has the prompt.
    let no_engine = EspeakSynthesizer::new(tts.cache_dir())
        .with_binary(dir.path().join("uninstalled/espeak-ng"));
    assert_eq!(no_engine.synthesize(GERMAN, &voice).await.unwrap(), first);
    let uncached = no_engine
        .synthesize(ENGLISH, &Voice::english())
        .await
        .unwrap_err();
    assert!(
        matches!(uncached, TtsError::EngineMissing { .. }),
        "{uncached:?}"
    );
    // The same text in another voice is another prompt.
    assert_ne!(
        tts.cache_path(GERMAN, &Voice::english()).unwrap(),
        cache_file
    );
}

#[tokio::test]
async fn a_damaged_cache_file_is_synthesised_again() {
    let (_dir, tts) = synthesizer();
    let cache_file = tts.cache_path(ENGLISH, &Voice::english()).unwrap();
    std::fs::create_dir_all(cache_file.parent().unwrap()).unwrap();
    std::fs::write(&cache_file, [1, 2, 3]).unwrap();
    let prompt = tts.synthesize(ENGLISH, &Voice::english()).await.unwrap();
    assert_speech(&prompt);
    assert_eq!(
        std::fs::metadata(&cache_file).unwrap().len(),
        prompt.samples.len() as u64 * 2
    );
}

#[tokio::test]
async fn ulaw_frames_are_20_ms_with_the_last_padded_with_silence() {
    let (_dir, tts) = synthesizer();
    let prompt = tts.synthesize(ENGLISH, &Voice::english()).await.unwrap();
    let frames: Vec<[u8; FRAME_SAMPLES]> = ulaw_frames(&prompt).collect();
    assert_eq!(frames.len(), prompt.samples.len().div_ceil(160));
    let decoded: Vec<i16> = frames
        .iter()
        .flatten()
        .map(|&b| media::g711::ulaw_decode(b))
        .collect();
    for (&original, &round_trip) in prompt.samples.iter().zip(&decoded) {
        // µ-law keeps about 3 % of a sample's magnitude, and small samples within a step of 32.
        assert!(
            (i32::from(original) - i32::from(round_trip)).abs()
                <= i32::from(original).abs() / 16 + 32
        );
    }

    let odd = Prompt {
        samples: vec![8_000; 161].into(),
    };
    let frames: Vec<_> = ulaw_frames(&odd).collect();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1][0], media::g711::ulaw_encode(8_000));
    assert!(
        frames[1][1..]
            .iter()
            .all(|&b| b == media::g711::ULAW_SILENCE)
    );
    let whole = Prompt {
        samples: vec![0; 320].into(),
    };
    assert_eq!(ulaw_frames(&whole).count(), 2);
    let empty = Prompt {
        samples: Vec::new().into(),
    };
    assert_eq!(ulaw_frames(&empty).count(), 0);
}

#[tokio::test]
async fn a_missing_engine_says_which_package_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/espeak-ng");
    let tts = EspeakSynthesizer::new(dir.path().join("tts")).with_binary(&missing);
    let err = tts.synthesize(GERMAN, &Voice::german()).await.unwrap_err();
    match &err {
        TtsError::EngineMissing { binary } => assert_eq!(binary, &missing),
        other => panic!("expected EngineMissing, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("install the Debian package espeak-ng"),
        "{err}"
    );
}

#[tokio::test]
async fn overlong_and_empty_texts_are_refused_before_the_engine_runs() {
    let dir = tempfile::tempdir().unwrap();
    // With no engine installed, reaching the engine would be EngineMissing.
    let tts = EspeakSynthesizer::new(dir.path().join("tts")).with_binary(dir.path().join("none"));
    let err = tts
        .synthesize(&"a".repeat(MAX_TEXT_CHARS + 1), &Voice::german())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TtsError::TextTooLong {
                chars: 2_001,
                max: 2_000
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the prompt text has 2001 characters; at most 2000 can be spoken"
    );
    // The limit counts characters, not bytes.
    let umlauts = tts
        .synthesize(&"ä".repeat(MAX_TEXT_CHARS), &Voice::german())
        .await
        .unwrap_err();
    assert!(
        matches!(umlauts, TtsError::EngineMissing { .. }),
        "{umlauts:?}"
    );
    let empty = tts.synthesize(" \n", &Voice::german()).await.unwrap_err();
    assert!(matches!(empty, TtsError::EmptyText), "{empty:?}");
}

#[tokio::test]
async fn voices_are_checked_before_the_engine_runs() {
    let (_dir, tts) = synthesizer();
    let french = Voice {
        language: "fr".to_owned(),
        name: None,
    };
    assert!(matches!(
        tts.synthesize(GERMAN, &french).await.unwrap_err(),
        TtsError::UnsupportedLanguage { language } if language == "fr"
    ));
    let sneaky = Voice {
        name: Some("f3 --help".to_owned()),
        ..Voice::german()
    };
    assert!(matches!(
        tts.synthesize(GERMAN, &sneaky).await.unwrap_err(),
        TtsError::InvalidVoiceName { .. }
    ));
}

#[tokio::test]
async fn a_text_that_looks_like_an_option_is_spoken_not_obeyed() {
    let (_dir, tts) = synthesizer();
    let prompt = tts
        .synthesize("--version -v en --help", &Voice::german())
        .await
        .unwrap();
    assert_speech(&prompt);
}

#[tokio::test]
async fn a_hanging_engine_is_killed_at_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let engine = fake_engine(
        dir.path(),
        "hang",
        &format!("echo $$ > '{}'\nexec tail -f /dev/null", pid_file.display()),
    );
    let limit = Duration::from_secs(1);
    let tts = EspeakSynthesizer::new(dir.path().join("tts"))
        .with_binary(engine)
        .with_timeout(limit);
    let err = tts.synthesize(GERMAN, &Voice::german()).await.unwrap_err();
    assert!(
        matches!(err, TtsError::Timeout { after } if after == limit),
        "{err:?}"
    );
    // The engine was killed and reaped, so its process is gone.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "engine {pid} still runs"
    );
}

#[tokio::test]
async fn an_engine_that_fails_or_writes_garbage_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let failing = fake_engine(dir.path(), "fail", "echo 'Error: no voice' >&2\nexit 3");
    let tts = EspeakSynthesizer::new(dir.path().join("tts")).with_binary(failing);
    match tts.synthesize(GERMAN, &Voice::german()).await.unwrap_err() {
        TtsError::EngineFailed { status, stderr } => {
            assert!(status.contains('3'), "{status}");
            assert_eq!(stderr, "Error: no voice");
        }
        other => panic!("expected EngineFailed, got {other:?}"),
    }

    let garbage = fake_engine(dir.path(), "garbage", "cat >/dev/null\necho 'not audio'");
    let tts = EspeakSynthesizer::new(dir.path().join("tts")).with_binary(garbage);
    let err = tts.synthesize(GERMAN, &Voice::german()).await.unwrap_err();
    assert!(
        matches!(
            err,
            TtsError::BadOutput {
                reason: "not a RIFF/WAVE file"
            }
        ),
        "{err:?}"
    );
    assert!(!tts.cache_path(GERMAN, &Voice::german()).unwrap().exists());
}
