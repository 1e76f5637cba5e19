//! Reads the RIFF/WAVE file an engine writes: 16-bit mono PCM, the only format we ask for.
//!
//! espeak-ng writes to a pipe and cannot seek back, so its header declares a placeholder length (0x7FFFF000)
//! for the data chunk; the data simply runs to the end of the stream. We therefore trust the bytes we received
//! over the declared sizes.

/// Decoded audio: the sample rate and the samples.
#[derive(Debug)]
pub(crate) struct Wav {
    pub(crate) sample_rate: u32,
    pub(crate) samples: Vec<i16>,
}

const FORMAT_PCM: u16 = 1;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Parses a WAV file of 16-bit mono PCM.
pub(crate) fn parse(bytes: &[u8]) -> Result<Wav, &'static str> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file");
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
                    return Err("the fmt chunk is too short");
                }
                let field = |at: usize| u16::from_le_bytes([chunk[at], chunk[at + 1]]);
                let format = field(0);
                if format != FORMAT_PCM && format != FORMAT_EXTENSIBLE {
                    return Err("the audio is not PCM");
                }
                if field(2) != 1 {
                    return Err("the audio is not mono");
                }
                if field(14) != 16 {
                    return Err("the audio is not 16-bit");
                }
                let rate = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
                if rate == 0 {
                    return Err("the sample rate is zero");
                }
                sample_rate = Some(rate);
            }
            b"data" => {
                let Some(sample_rate) = sample_rate else {
                    return Err("the data chunk comes before the fmt chunk");
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
    Err("no data chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, bits: u16, data: &[i16], declared: u32) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&0x7FFF_F024u32.to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"LIST");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(b"abc\0");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&declared.to_le_bytes());
        for s in data {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_a_streamed_file_with_a_placeholder_length_and_an_odd_chunk() {
        let parsed = parse(&wav(22_050, 1, 16, &[1, -2, 300], 0x7FFF_F000)).unwrap();
        assert_eq!(parsed.sample_rate, 22_050);
        assert_eq!(parsed.samples, vec![1, -2, 300]);
    }

    #[test]
    fn refuses_what_is_not_16_bit_mono_pcm() {
        assert_eq!(parse(b"garbage").unwrap_err(), "not a RIFF/WAVE file");
        assert_eq!(
            parse(&wav(22_050, 2, 16, &[0], 2)).unwrap_err(),
            "the audio is not mono"
        );
        assert_eq!(
            parse(&wav(22_050, 1, 8, &[0], 2)).unwrap_err(),
            "the audio is not 16-bit"
        );
        let mut truncated = wav(22_050, 1, 16, &[], 0);
        truncated.truncate(truncated.len() - 8);
        assert_eq!(parse(&truncated).unwrap_err(), "no data chunk");
    }
}
