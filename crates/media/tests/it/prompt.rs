//! Uploaded prompts into the telephone's format: each format a recording arrives in decodes to
//! 8 kHz mono of the right length and loudness; a stereo 44.1 kHz file keeps its tone and loses
//! what a telephone cannot carry; and what is not audio, too long or empty is refused.

use media::prompt::{AudioError, AudioFormat, MAX_PROMPT_MS, TELEPHONE_HZ, decode_to_telephone};
use media::resample::Resampler;
use media::wav;

/// The same sentence (espeak-ng, 4.36 s at 22,050 Hz) encoded by lame, oggenc and opusenc.
fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const SENTENCE_MS: u64 = 4357;

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

#[test]
fn mp3_ogg_vorbis_and_ogg_opus_become_eight_kilohertz_mono_of_the_same_length() {
    let mut loudness = Vec::new();
    for (file, format) in [
        ("prompt.mp3", AudioFormat::Mp3),
        ("prompt.ogg", AudioFormat::OggVorbis),
        ("prompt.opus", AudioFormat::OggOpus),
    ] {
        let audio = decode_to_telephone(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(audio.format, format, "{file}");
        // MP3 adds up to a frame of padding at either end (26 ms at 22 kHz, plus the encoder's delay).
        let ms = audio.duration_ms();
        assert!(
            ms.abs_diff(SENTENCE_MS) <= 120,
            "{file}: {ms} ms instead of {SENTENCE_MS}"
        );
        loudness.push((file, rms(&audio.samples)));
    }
    // Speech, not silence or noise at full scale, and about equally loud in all three.
    for &(file, level) in &loudness {
        assert!((500.0..12_000.0).contains(&level), "{file}: RMS {level}");
    }
    let (min, max) = loudness
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &(_, l)| {
            (lo.min(l), hi.max(l))
        });
    assert!(max / min < 1.6, "{loudness:?}");
}

/// A stereo 16-bit WAV file, written by hand (media::wav writes mono only).
fn stereo_wav(rate: u32, left: &[i16], right: &[i16]) -> Vec<u8> {
    let data_len = (left.len() * 4) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&2u16.to_le_bytes()); // channels
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for (l, r) in left.iter().zip(right) {
        out.extend_from_slice(&l.to_le_bytes());
        out.extend_from_slice(&r.to_le_bytes());
    }
    out
}

fn tone(rate: u32, hz: f64, secs: f64, amplitude: f64) -> Vec<i16> {
    let n = (f64::from(rate) * secs) as usize;
    (0..n)
        .map(|i| {
            (amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin())
                as i16
        })
        .collect()
}

fn zero_crossings_per_second(samples: &[i16], rate: u32) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 / (samples.len() as f64 / f64::from(rate))
}

#[test]
fn a_stereo_cd_rate_wav_is_mixed_down_and_keeps_its_tone_but_not_what_a_phone_cannot_carry() {
    // 1 kHz on the left, the same on the right: mixed, still 1 kHz (2,000 zero crossings a second).
    let left = tone(44_100, 1000.0, 2.0, 8000.0);
    let audio = decode_to_telephone(&stereo_wav(44_100, &left, &left)).unwrap();
    assert_eq!(audio.format, AudioFormat::Wav);
    assert_eq!(audio.duration_ms(), 2000);
    let body = &audio.samples[800..audio.samples.len() - 800];
    let zc = zero_crossings_per_second(body, TELEPHONE_HZ);
    assert!((1980.0..2020.0).contains(&zc), "{zc} crossings a second");
    assert!(
        (rms(body) - 8000.0 / 2f64.sqrt()).abs() < 200.0,
        "{}",
        rms(body)
    );

    // 6 kHz is above what 8 kHz can carry: filtered out, not folded back to 2 kHz.
    let high = tone(44_100, 6000.0, 1.0, 8000.0);
    let audio = decode_to_telephone(&stereo_wav(44_100, &high, &high)).unwrap();
    let body = &audio.samples[800..audio.samples.len() - 800];
    assert!(rms(body) < 60.0, "6 kHz leaks through at RMS {}", rms(body));
}

#[test]
fn the_mono_wav_hotline_writes_itself_comes_back_the_same_at_eight_kilohertz() {
    let speech = wav::parse(&wav::encode_pcm16(
        &tone(16_000, 440.0, 1.0, 5000.0),
        16_000,
    ))
    .unwrap();
    let expected = Resampler::new(16_000, 8000).process(&speech.samples);
    let audio = decode_to_telephone(&wav::encode_pcm16(&speech.samples, 16_000)).unwrap();
    assert_eq!(audio.samples.len(), expected.len());
    let worst = audio
        .samples
        .iter()
        .zip(&expected)
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .max()
        .unwrap();
    assert!(worst <= 2, "off by {worst}");
}

#[test]
fn what_is_not_audio_is_too_long_or_holds_nothing_is_refused() {
    for not_audio in [
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
        b"%PDF-1.7\n".to_vec(),
        "Willkommen".as_bytes().to_vec(),
        Vec::new(),
        b"OggS\0\x02\0\0\0\0\0\0\0\0theora".to_vec(),
    ] {
        assert_eq!(
            decode_to_telephone(&not_audio),
            Err(AudioError::NotAudio),
            "{not_audio:?}"
        );
    }
    // A real header with garbage after it: damaged, with the format named.
    let mut broken = fixture("prompt.opus");
    broken.truncate(200);
    broken.extend(std::iter::repeat_n(0x5A, 400));
    match decode_to_telephone(&broken) {
        Err(AudioError::Damaged { format, .. }) => assert_eq!(format, "ogg-opus"),
        Err(AudioError::Empty) => {}
        other => panic!("{other:?}"),
    }
    // Five minutes and a second of silence at 8 kHz: too long.
    let long = vec![0i16; (MAX_PROMPT_MS / 1000 + 1) as usize * 8000];
    assert_eq!(
        decode_to_telephone(&wav::encode_pcm16(&long, 8000)),
        Err(AudioError::TooLong)
    );
    // A WAV header with no samples.
    assert_eq!(
        decode_to_telephone(&wav::encode_pcm16(&[], 8000)),
        Err(AudioError::Empty)
    );
}
