//! G.711 companding: µ-law (PCMU, payload type 0) and A-law (PCMA, payload type 8).
//!
//! These are the segment algorithms of ITU-T G.711 as every telephone network implements them, so that our
//! encoder and decoder agree bit for bit with carriers, phones, spandsp and sox. Linear samples are 16-bit; µ-law
//! works on the top 14 bits and A-law on the top 13, as the standard defines. Decoding is a table lookup because
//! the decoder runs for every sample of every call.

/// The µ-law byte of digital silence (positive zero).
pub const ULAW_SILENCE: u8 = 0xFF;
/// The A-law byte of digital silence (the smallest positive step).
pub const ALAW_SILENCE: u8 = 0xD5;

const ULAW_BIAS: i32 = 0x84;
/// The largest magnitude µ-law represents, in 14-bit units after the bias is added.
const ULAW_CLIP: i32 = 8159;

/// Encodes one linear sample as µ-law.
#[must_use]
pub fn ulaw_encode(sample: i16) -> u8 {
    // The encoder works on 14-bit magnitudes. Negative samples take the one's complement, as ITU-T G.191's
    // reference code does, so that -1 encodes as negative zero (0x7F) and the two halves mirror each other.
    let sample = i32::from(sample);
    let (mut value, mask): (i32, u8) = if sample < 0 {
        (!sample >> 2, 0x7F)
    } else {
        (sample >> 2, 0xFF)
    };
    value = value.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    // The segment is the position of the highest set bit above the 6 low bits; value is at most 8192 here.
    let segment = (u32::BITS - (value as u32).leading_zeros()).saturating_sub(6);
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let mantissa = (value >> (segment + 1)) & 0x0F;
    // segment < 8 and mantissa < 16, so this fits in a byte.
    ((segment as u8) << 4 | mantissa as u8) ^ mask
}

/// Decodes one µ-law byte to a linear sample.
#[must_use]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_TABLE[usize::from(code)]
}

/// Encodes one linear sample as A-law.
#[must_use]
pub fn alaw_encode(sample: i16) -> u8 {
    let mut value = i32::from(sample) >> 3;
    let mask: u8 = if value >= 0 {
        0xD5
    } else {
        // One's complement so that the negative range mirrors the positive one exactly.
        value = -value - 1;
        0x55
    };
    // value < 4096 here; segment 0 and 1 share the same step size.
    let bits = u32::BITS - (value as u32).leading_zeros();
    let segment = bits.saturating_sub(5).min(7);
    let mantissa = if segment < 2 {
        (value >> 1) & 0x0F
    } else {
        (value >> segment) & 0x0F
    };
    ((segment as u8) << 4 | mantissa as u8) ^ mask
}

/// Decodes one A-law byte to a linear sample.
#[must_use]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_TABLE[usize::from(code)]
}

/// Encodes a block of linear samples as µ-law into `out` (cleared first).
pub fn ulaw_encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.clear();
    out.extend(samples.iter().map(|&s| ulaw_encode(s)));
}

/// Decodes a block of µ-law bytes into `out` (cleared first).
pub fn ulaw_decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.clear();
    out.extend(codes.iter().map(|&c| ulaw_decode(c)));
}

/// Encodes a block of linear samples as A-law into `out` (cleared first).
pub fn alaw_encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.clear();
    out.extend(samples.iter().map(|&s| alaw_encode(s)));
}

/// Decodes a block of A-law bytes into `out` (cleared first).
pub fn alaw_decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.clear();
    out.extend(codes.iter().map(|&c| alaw_decode(c)));
}

/// The companding law of a G.711 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law, RTP payload type 0 (PCMU), used in North America and Japan.
    Ulaw,
    /// A-law, RTP payload type 8 (PCMA), used in Europe and most other places.
    Alaw,
}

impl Law {
    /// Encodes one sample.
    #[must_use]
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Self::Ulaw => ulaw_encode(sample),
            Self::Alaw => alaw_encode(sample),
        }
    }

    /// Decodes one byte.
    #[must_use]
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Self::Ulaw => ulaw_decode(code),
            Self::Alaw => alaw_decode(code),
        }
    }

    /// The byte that decodes to (near) silence.
    #[must_use]
    pub fn silence(self) -> u8 {
        match self {
            Self::Ulaw => ULAW_SILENCE,
            Self::Alaw => ALAW_SILENCE,
        }
    }

    /// The static RTP payload type of this law (RFC 3551).
    #[must_use]
    pub fn payload_type(self) -> u8 {
        match self {
            Self::Ulaw => 0,
            Self::Alaw => 8,
        }
    }

    /// Encodes then decodes every sample, which is what a signal suffers on its way through a G.711 call.
    #[must_use]
    pub fn round_trip(self, samples: &[i16]) -> Vec<i16> {
        samples
            .iter()
            .map(|&s| self.decode(self.encode(s)))
            .collect()
    }
}

const fn ulaw_expand(code: u8) -> i16 {
    let code = !code;
    let mut t = (((code & 0x0F) as i32) << 3) + ULAW_BIAS;
    t <<= (code & 0x70) >> 4;
    (if code & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_expand(code: u8) -> i16 {
    let code = code ^ 0x55;
    let mut t = ((code & 0x0F) as i32) << 4;
    let segment = (code & 0x70) >> 4;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= segment - 1;
        }
    }
    (if code & 0x80 != 0 { t } else { -t }) as i16
}

const ULAW_TABLE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = ulaw_expand(i as u8);
        i += 1;
    }
    table
};

const ALAW_TABLE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = alaw_expand(i as u8);
        i += 1;
    }
    table
};
