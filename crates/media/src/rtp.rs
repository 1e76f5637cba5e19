//! RTP packets (RFC 3550 §5.1): parsing and serialising the fixed header, the CSRC list, the header extension
//! and padding.
//!
//! Parsing borrows the payload from the datagram so the media path copies nothing; every length is checked
//! before it is used, so any sequence of bytes yields either a packet or an [`RtpError`], never a panic.

use thiserror::Error;

/// The fixed part of the RTP header, in bytes.
pub const FIXED_HEADER_LEN: usize = 12;
/// The most contributing sources a header can list.
pub const MAX_CSRCS: usize = 15;

/// Why bytes are not an RTP packet, or why a header cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Fewer bytes than the header says there are.
    #[error("packet truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes the header requires.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// The version field is not 2.
    #[error("unsupported RTP version {0}")]
    Version(u8),
    /// The padding count is zero or runs into the header.
    #[error("invalid padding length {0}")]
    Padding(u8),
    /// A payload type above 127 cannot be written (the top bit is the marker).
    #[error("payload type {0} out of range")]
    PayloadType(u8),
    /// More than 15 CSRCs cannot be written.
    #[error("{0} CSRCs exceed the limit of 15")]
    TooManyCsrcs(usize),
    /// Header extension data must be a whole number of 32-bit words, at most 65,535 of them.
    #[error("header extension of {0} bytes is not a valid length")]
    ExtensionLength(usize),
}

/// A header extension (RFC 3550 §5.3.1): a profile-defined identifier and whole 32-bit words of data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderExtension {
    /// The profile-defined 16-bit identifier (0xBEDE for RFC 8285 one-byte headers).
    pub profile: u16,
    /// The extension data, a multiple of four bytes long.
    pub data: Vec<u8>,
}

/// An RTP header: everything before the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpHeader {
    /// The marker bit; for audio it marks the first packet of a talkspurt or of a telephone event.
    pub marker: bool,
    /// The 7-bit payload type.
    pub payload_type: u8,
    /// The 16-bit sequence number.
    pub sequence: u16,
    /// The sampling-clock timestamp of the first sample.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// Contributing sources, at most 15.
    pub csrcs: Vec<u32>,
    /// The optional header extension.
    pub extension: Option<HeaderExtension>,
}

impl RtpHeader {
    /// A header with no CSRCs, no extension and no marker.
    #[must_use]
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrcs: Vec::new(),
            extension: None,
        }
    }

    /// The serialised length of this header.
    #[must_use]
    pub fn len(&self) -> usize {
        FIXED_HEADER_LEN
            + 4 * self.csrcs.len()
            + self.extension.as_ref().map_or(0, |e| 4 + e.data.len())
    }

    /// Always false: a header has at least the fixed twelve bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), RtpError> {
        if self.payload_type > 127 {
            return Err(RtpError::PayloadType(self.payload_type));
        }
        if self.csrcs.len() > MAX_CSRCS {
            return Err(RtpError::TooManyCsrcs(self.csrcs.len()));
        }
        if let Some(ext) = &self.extension
            && (ext.data.len() % 4 != 0 || ext.data.len() / 4 > usize::from(u16::MAX))
        {
            return Err(RtpError::ExtensionLength(ext.data.len()));
        }
        Ok(())
    }
}

/// A parsed RTP packet whose payload borrows from the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header.
    pub header: RtpHeader,
    /// The payload, without padding.
    pub payload: &'a [u8],
    /// How many padding bytes followed the payload (0 when the P bit was clear).
    pub padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram as an RTP packet.
    ///
    /// # Errors
    /// [`RtpError`] when the version is not 2 or a length runs past the end of the bytes.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        let need = |needed: usize| {
            if bytes.len() < needed {
                Err(RtpError::Truncated {
                    needed,
                    have: bytes.len(),
                })
            } else {
                Ok(())
            }
        };
        need(FIXED_HEADER_LEN)?;
        let b0 = bytes[0];
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let has_padding = b0 & 0x20 != 0;
        let has_extension = b0 & 0x10 != 0;
        let csrc_count = usize::from(b0 & 0x0F);
        let marker = bytes[1] & 0x80 != 0;
        let payload_type = bytes[1] & 0x7F;
        let sequence = u16::from_be_bytes([bytes[2], bytes[3]]);
        let timestamp = be32(bytes, 4);
        let ssrc = be32(bytes, 8);

        let mut offset = FIXED_HEADER_LEN;
        need(offset + 4 * csrc_count)?;
        let csrcs = (0..csrc_count)
            .map(|i| be32(bytes, offset + 4 * i))
            .collect();
        offset += 4 * csrc_count;

        let extension = if has_extension {
            need(offset + 4)?;
            let profile = u16::from_be_bytes([bytes[offset], bytes[offset + 1]]);
            let words = usize::from(u16::from_be_bytes([bytes[offset + 2], bytes[offset + 3]]));
            offset += 4;
            need(offset + 4 * words)?;
            let data = bytes[offset..offset + 4 * words].to_vec();
            offset += 4 * words;
            Some(HeaderExtension { profile, data })
        } else {
            None
        };

        let mut end = bytes.len();
        let mut padding = 0;
        if has_padding {
            padding = bytes[end - 1];
            if padding == 0 || usize::from(padding) > end - offset {
                return Err(RtpError::Padding(padding));
            }
            end -= usize::from(padding);
        }
        let header = RtpHeader {
            marker,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrcs,
            extension,
        };
        Ok(Self {
            header,
            payload: &bytes[offset..end],
            padding,
        })
    }

    /// Appends the serialised packet to `out`.
    ///
    /// # Errors
    /// [`RtpError`] when the header has a field that cannot be represented on the wire.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtpError> {
        write_packet(&self.header, self.payload, self.padding, out)
    }

    /// The serialised packet.
    ///
    /// # Errors
    /// As [`RtpPacket::write`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, RtpError> {
        let mut out =
            Vec::with_capacity(self.header.len() + self.payload.len() + usize::from(self.padding));
        self.write(&mut out)?;
        Ok(out)
    }
}

/// Appends a packet with `header`, `payload` and `padding` padding bytes (0 for none) to `out`.
///
/// # Errors
/// [`RtpError`] when the header has a field that cannot be represented on the wire.
pub fn write_packet(
    header: &RtpHeader,
    payload: &[u8],
    padding: u8,
    out: &mut Vec<u8>,
) -> Result<(), RtpError> {
    header.validate()?;
    // csrcs.len() <= 15 was checked, so the cast keeps every bit.
    let mut b0 = 0x80 | header.csrcs.len() as u8;
    if padding > 0 {
        b0 |= 0x20;
    }
    if header.extension.is_some() {
        b0 |= 0x10;
    }
    out.push(b0);
    out.push(u8::from(header.marker) << 7 | header.payload_type);
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    for csrc in &header.csrcs {
        out.extend_from_slice(&csrc.to_be_bytes());
    }
    if let Some(ext) = &header.extension {
        out.extend_from_slice(&ext.profile.to_be_bytes());
        // Length was validated to fit 16 bits.
        out.extend_from_slice(&((ext.data.len() / 4) as u16).to_be_bytes());
        out.extend_from_slice(&ext.data);
    }
    out.extend_from_slice(payload);
    if padding > 0 {
        out.extend(std::iter::repeat_n(0, usize::from(padding) - 1));
        out.push(padding);
    }
    Ok(())
}

/// Reads a big-endian u32 at `at`; callers have checked the length.
pub(crate) fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
