//! RIFF/WAVE as bytes in and out: 16-bit mono linear PCM, the only format Hotline reads (what a speech engine
//! writes) and writes (recordings, which every player and speech engine reads). Files are the shell's business;
//! this module only turns bytes into samples and back.
//!
//! espeak-ng writes to a pipe and cannot seek back, so its header declares a placeholder length (0x7FFFF000)
//! for the data chunk; the data simply runs to the end of the stream. [`parse`] therefore trusts the bytes it
//! received over the declared sizes.

/// Decoded audio: the sample rate and the samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// Mono 16-bit linear PCM.
    pub samples: Vec<i16>,
}

/// Why bytes are not a WAV file this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// No RIFF/WAVE header.
    #[error("not a RIFF/WAVE file")]
    NotWave,
    /// The fmt chunk is shorter than its 16 required bytes.
    #[error("the fmt chunk is too short")]
    ShortFormat,
    /// Compressed or floating-point audio.
    #[error("the audio is not PCM")]
    NotPcm,
    /// More than one channel.
    #[error("the audio is not mono")]
    NotMono,
    /// Not 16 bits per sample.
    #[error("the audio is not 16-bit")]
    Not16Bit,
    /// A sample rate of zero.
    #[error("the sample rate is zero")]
    ZeroRate,
    /// The data chunk precedes the fmt chunk, so its format is unknown.
    #[error("the data chunk comes before the fmt chunk")]
    DataBeforeFormat,
    /// The file ends without a data chunk.
    #[error("no data chunk")]
    NoData,
}

impl WavError {
    /// The reason as a static text, for errors that carry one.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            WavError::NotWave => "not a RIFF/WAVE file",
            WavError::ShortFormat => "the fmt chunk is too short",
            WavError::NotPcm => "the audio is not PCM",
            WavError::NotMono => "the audio is not mono",
            WavError::Not16Bit => "the audio is not 16-bit",
            WavError::ZeroRate => "the sample rate is zero",
            WavError::DataBeforeFormat => "the data chunk comes before the fmt chunk",
            WavError::NoData => "no data chunk",
        }
    }
}

const FORMAT_PCM: u16 = 1;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Parses a WAV file of 16-bit mono PCM.
///
/// # Errors
/// A [`WavError`] saying which part of the file is not what this module reads.
pub fn parse(bytes: &[u8]) -> Result<Wav, WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWave);
    }
    let mut rest = &bytes[12..];
    let mut sample_rate = None;
    while rest.len() >= 8 {
        let id = &rest[0..4];
        let declared = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let body = &rest[8..];
        let len = declared.min(body.len());
        let chunk = &body[..len];
        match id {
            b"fmt " => {
                if chunk.len() < 16 {
                    return Err(WavError::ShortFormat);
                }
                let field = |at: usize| u16::from_le_bytes([chunk[at], chunk[at + 1]]);
                let format = field(0);
                if format != FORMAT_PCM && format != FORMAT_EXTENSIBLE {
                    return Err(WavError::NotPcm);
                }
                if field(2) != 1 {
                    return Err(WavError::NotMono);
                }
                if field(14) != 16 {
                    return Err(WavError::Not16Bit);
                }
                let rate = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
                if rate == 0 {
                    return Err(WavError::ZeroRate);
                }
                sample_rate = Some(rate);
            }
            b"data" => {
                let Some(sample_rate) = sample_rate else {
                    return Err(WavError::DataBeforeFormat);
                };
                // A trailing odd byte is half a sample from a cut-off stream; dropping it loses nothing audible.
                let samples = chunk
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Ok(Wav {
                    sample_rate,
                    samples,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        let next = len + (len & 1);
        rest = body.get(next..).unwrap_or_default();
    }
    Err(WavError::NoData)
}

/// A mono 16-bit PCM WAV file of `samples` at `rate` Hz. A data chunk longer than a WAV file can declare
/// (4 GiB) is declared at the largest length that fits, and so is the byte rate of a rate above 2^31 Hz.
#[must_use]
pub fn encode_pcm16(samples: &[i16], rate: u32) -> Vec<u8> {
    // The RIFF chunk's size (the data plus 36 bytes of headers) must fit in its u32 as well.
    const MAX_DATA_LEN: u32 = u32::MAX - 36;
    let data_len =
        u32::try_from(samples.len() * 2).map_or(MAX_DATA_LEN, |len| len.min(MAX_DATA_LEN));
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    // The byte rate (two bytes per sample) of a rate above 2^31 Hz, which `parse` accepts, does
    // not fit its field: it is declared at the largest value. Readers go by the sample rate.
    out.extend_from_slice(&rate.saturating_mul(2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}
