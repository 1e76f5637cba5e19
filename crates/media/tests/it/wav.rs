//! WAV bytes in and out: what espeak-ng streams (a placeholder length, extra chunks) and what recordings write.

use media::wav::{Wav, WavError, encode_pcm16, parse};

/// A WAV file as an engine writes it: a LIST chunk of odd length before fmt, and a declared data length that
/// need not match.
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
    out.extend_from_slice(&1u16.to_le_bytes());
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
    assert_eq!(parse(b"garbage").unwrap_err(), WavError::NotWave);
    assert_eq!(
        parse(&wav(22_050, 2, 16, &[0], 2)).unwrap_err(),
        WavError::NotMono
    );
    assert_eq!(
        parse(&wav(22_050, 1, 8, &[0], 2)).unwrap_err(),
        WavError::Not16Bit
    );
    let mut truncated = wav(22_050, 1, 16, &[], 0);
    truncated.truncate(truncated.len() - 8);
    assert_eq!(parse(&truncated).unwrap_err(), WavError::NoData);
    assert_eq!(WavError::NoData.as_str(), WavError::NoData.to_string());
}

#[test]
fn a_written_file_reads_back_and_has_the_canonical_44_byte_header() {
    let samples: Vec<i16> = (0..800).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
    let bytes = encode_pcm16(&samples, 8000);
    assert_eq!(bytes.len(), 44 + 1600);
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[4..8], &(36u32 + 1600).to_le_bytes());
    assert_eq!(&bytes[36..40], b"data");
    let wav = parse(&bytes).expect("parses");
    assert_eq!(wav.sample_rate, 8000);
    assert_eq!(wav.samples, samples);
}

#[test]
fn any_rate_it_reads_it_writes_back() {
    // Found by the fuzz target `wav`: a file at 0x803E_1F40 Hz parsed, and writing it back
    // overflowed the byte rate (two bytes per sample), a panic in debug builds.
    let found = b"RIFF\x34\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\x3e\x80\0\0\0\0\x02\0\x10\0\
                  data\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x2a\xff\xff\xff\0\0\x10\0\
                  data\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    let parsed = parse(found).unwrap();
    assert_eq!(parsed.sample_rate, 0x803E_1F40);
    assert_eq!(
        parse(&encode_pcm16(&parsed.samples, parsed.sample_rate)),
        Ok(parsed)
    );

    for rate in [1, 0x7FFF_FFFF, 0x8000_0000, u32::MAX] {
        let bytes = encode_pcm16(&[1, -1], rate);
        let byte_rate = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
        assert_eq!(
            u64::from(byte_rate),
            (u64::from(rate) * 2).min(u64::from(u32::MAX))
        );
        assert_eq!(
            parse(&bytes),
            Ok(Wav {
                sample_rate: rate,
                samples: vec![1, -1],
            })
        );
    }
}
