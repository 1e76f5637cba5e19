//! Uploaded prompt audio into the telephone's format: WAV (any PCM, µ-law or A-law, float, any
//! rate, mono or stereo), MP3 and Ogg Vorbis are decoded by symphonia, Ogg Opus by opus-pure;
//! the result is mixed down to mono and resampled to 8 kHz, once, when the file arrives.
//!
//! The bytes are handed in and the samples handed back: no IO. Decoding stops as soon as the
//! audio runs longer than [`MAX_PROMPT_MS`], so a small file that expands into hours of audio
//! never fills the memory.

use std::io::Cursor;

use opus_pure::{MAX_PACKET_SAMPLES, OggOpusReader, Trim};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::resample::Resampler;

/// The telephone's sample rate.
pub const TELEPHONE_HZ: u32 = 8000;

/// The longest prompt: five minutes.
pub const MAX_PROMPT_MS: u64 = 5 * 60 * 1000;

/// What kind of file a prompt came as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// RIFF/WAVE.
    Wav,
    /// MPEG audio layer III.
    Mp3,
    /// Vorbis in Ogg.
    OggVorbis,
    /// Opus in Ogg.
    OggOpus,
}

impl AudioFormat {
    /// The format's name as the API reports it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::OggVorbis => "ogg-vorbis",
            AudioFormat::OggOpus => "ogg-opus",
        }
    }
}

/// A prompt in the telephone's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelephoneAudio {
    /// What the file was.
    pub format: AudioFormat,
    /// Mono 16-bit linear PCM at 8 kHz.
    pub samples: Vec<i16>,
}

impl TelephoneAudio {
    /// How long the prompt plays, in milliseconds.
    #[must_use]
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(TELEPHONE_HZ)
    }
}

/// Why bytes did not become a prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// Not a file of a format read here.
    #[error("not audio in a format Hotline reads (WAV, MP3, Ogg Vorbis or Ogg Opus)")]
    NotAudio,
    /// A format read here, but the file is damaged or uses a feature not supported.
    #[error("the {format} file cannot be decoded: {reason}")]
    Damaged {
        /// The format.
        format: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// Longer than [`MAX_PROMPT_MS`].
    #[error("the audio is longer than {} minutes", MAX_PROMPT_MS / 60_000)]
    TooLong,
    /// No sound at all.
    #[error("the file holds no audio")]
    Empty,
}

/// What the first bytes say a file is.
fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        return Some(AudioFormat::Wav);
    }
    if bytes.starts_with(b"OggS") {
        // The first page carries the codec's identification header.
        let first = &bytes[..bytes.len().min(512)];
        if first.windows(8).any(|w| w == b"OpusHead") {
            return Some(AudioFormat::OggOpus);
        }
        if first.windows(7).any(|w| w == b"\x01vorbis") {
            return Some(AudioFormat::OggVorbis);
        }
        return None;
    }
    if bytes.starts_with(b"ID3") {
        return Some(AudioFormat::Mp3);
    }
    // An MPEG audio frame header: 11 sync bits, layer III.
    if bytes.len() >= 4 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 && bytes[1] & 0x06 == 0x02 {
        return Some(AudioFormat::Mp3);
    }
    None
}

/// Decodes a prompt file into 8 kHz mono.
///
/// # Errors
/// [`AudioError`] when the bytes are not audio read here, are damaged, hold nothing, or play
/// longer than five minutes.
pub fn decode_to_telephone(bytes: &[u8]) -> Result<TelephoneAudio, AudioError> {
    let format = sniff(bytes).ok_or(AudioError::NotAudio)?;
    let samples = match format {
        AudioFormat::OggOpus => decode_opus(bytes)?,
        _ => {
            let (mono, rate) = decode_symphonia(bytes, format)?;
            let pcm: Vec<i16> = mono.iter().map(|&s| to_i16(s)).collect();
            if rate == TELEPHONE_HZ {
                pcm
            } else {
                Resampler::new(rate, TELEPHONE_HZ).process(&pcm)
            }
        }
    };
    if samples.is_empty() {
        return Err(AudioError::Empty);
    }
    let audio = TelephoneAudio { format, samples };
    if audio.duration_ms() > MAX_PROMPT_MS {
        return Err(AudioError::TooLong);
    }
    Ok(audio)
}

fn to_i16(s: f32) -> i16 {
    // The cast saturates; NaN becomes 0.
    (s * 32767.0).round() as i16
}

fn damaged(format: AudioFormat, reason: impl std::fmt::Display) -> AudioError {
    AudioError::Damaged {
        format: format.as_str(),
        reason: reason.to_string(),
    }
}

/// WAV, MP3, Ogg Vorbis: mono f32 samples at the file's rate.
fn decode_symphonia(bytes: &[u8], format: AudioFormat) -> Result<(Vec<f32>, u32), AudioError> {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(match format {
        AudioFormat::Wav => "wav",
        AudioFormat::Mp3 => "mp3",
        _ => "ogg",
    });
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            source,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => AudioError::NotAudio,
            other => damaged(format, other),
        })?;
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or(AudioError::NotAudio)?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or(AudioError::NotAudio)?;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| damaged(format, e))?;

    let mut mono: Vec<f32> = Vec::new();
    let mut rate = 0u32;
    let mut frame: Vec<f32> = Vec::new();
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A file cut short ends where it ends.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(damaged(format, e)),
        };
        if packet.track_id != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // One bad frame is skipped, as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(damaged(format, e)),
        };
        let spec = decoded.spec();
        let channels = spec.channels().count().max(1);
        if rate == 0 {
            rate = spec.rate();
        } else if rate != spec.rate() {
            return Err(damaged(format, "the sample rate changes within the file"));
        }
        decoded.copy_to_vec_interleaved(&mut frame);
        mono.extend(
            frame
                .chunks_exact(channels)
                .map(|c| c.iter().sum::<f32>() / channels as f32),
        );
        if rate > 0 && mono.len() as u64 * 1000 / u64::from(rate) > MAX_PROMPT_MS {
            return Err(AudioError::TooLong);
        }
    }
    if rate == 0 {
        return Err(AudioError::Empty);
    }
    Ok((mono, rate))
}

/// Ogg Opus, decoded straight at 8 kHz (Opus decodes to any of its rates).
fn decode_opus(bytes: &[u8]) -> Result<Vec<i16>, AudioError> {
    let format = AudioFormat::OggOpus;
    let mut reader = OggOpusReader::new(Cursor::new(bytes)).map_err(|e| damaged(format, e))?;
    let channels = usize::from(reader.head().channel_count).max(1);
    let rate = TELEPHONE_HZ as i32;
    let mut decoder = reader
        .head()
        .decoder(rate)
        .map_err(|e| damaged(format, e))?;
    let mut trim = Trim::new(reader.head(), rate, channels).map_err(|e| damaged(format, e))?;
    let mut block = vec![0.0f32; MAX_PACKET_SAMPLES * channels];
    let mut out: Vec<i16> = Vec::new();
    let limit = (MAX_PROMPT_MS * u64::from(TELEPHONE_HZ) / 1000) as usize;
    for packet in reader.packets() {
        let packet = packet.map_err(|e| damaged(format, e))?;
        let n = decoder
            .decode(&packet.data, MAX_PACKET_SAMPLES, &mut block)
            .map_err(|e| damaged(format, e))?;
        let kept = trim.keep(&packet, &block[..n * channels]);
        out.extend(
            kept.chunks_exact(channels)
                .map(|c| to_i16(c.iter().sum::<f32>() / channels as f32)),
        );
        if out.len() > limit {
            return Err(AudioError::TooLong);
        }
    }
    Ok(out)
}
