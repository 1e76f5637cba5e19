//! RTCP (RFC 3550 §6): parsing compound packets (SR, RR, SDES, BYE; others kept opaque) and building the
//! reports a receiver and a sender send.
//!
//! Like [`crate::rtp`], parsing checks every length against the bytes present and never panics. Building takes
//! the report blocks from [`crate::stats::ReceiverStats`].

use thiserror::Error;

use crate::rtp::be32;

/// RTCP packet type of a sender report.
pub const PT_SR: u8 = 200;
/// RTCP packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// RTCP packet type of a source description.
pub const PT_SDES: u8 = 202;
/// RTCP packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// The SDES item type of the canonical name.
pub const SDES_CNAME: u8 = 1;

const REPORT_BLOCK_LEN: usize = 24;

/// Why bytes are not an RTCP compound packet, or why a packet cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpError {
    /// Fewer bytes than a header or length field requires.
    #[error("RTCP packet truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// The version field is not 2.
    #[error("unsupported RTCP version {0}")]
    Version(u8),
    /// The padding count is zero, not at the last packet, or larger than the packet.
    #[error("invalid RTCP padding")]
    Padding,
    /// The packet's count field asks for more than its length holds.
    #[error("RTCP packet type {packet_type} is inconsistent with its length")]
    Inconsistent {
        /// The packet type whose body did not add up.
        packet_type: u8,
    },
    /// More than 31 report blocks, sources or chunks cannot be written.
    #[error("{0} items exceed the RTCP count limit of 31")]
    TooMany(usize),
    /// An SDES item or BYE reason longer than 255 bytes cannot be written.
    #[error("text of {0} bytes exceeds 255")]
    TextTooLong(usize),
}

/// A reception report block: what one receiver says about one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of 256.
    pub fraction_lost: u8,
    /// Packets lost since reception began (24-bit signed; duplicates can make it negative).
    pub cumulative_lost: i32,
    /// The highest sequence number received, extended by the count of wraps.
    pub extended_highest_seq: u32,
    /// The interarrival jitter in timestamp units (RFC 3550 A.8).
    pub jitter: u32,
    /// The middle 32 bits of the NTP timestamp of the last sender report received, or 0.
    pub last_sr: u32,
    /// The delay since that sender report, in units of 1/65,536 s, or 0.
    pub delay_since_last_sr: u32,
}

/// The sender information of a sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// The 64-bit NTP timestamp (seconds since 1900 in the high half, fraction in the low half).
    pub ntp_timestamp: u64,
    /// The RTP timestamp that corresponds to the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
}

/// A sender report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// The sender.
    pub ssrc: u32,
    /// What the sender has sent.
    pub info: SenderInfo,
    /// What the sender has received, at most 31 blocks.
    pub reports: Vec<ReportBlock>,
}

/// A receiver report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// The reporter.
    pub ssrc: u32,
    /// At most 31 report blocks.
    pub reports: Vec<ReportBlock>,
}

/// One SDES item, such as the CNAME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesItem {
    /// The item type (1 = CNAME, 2 = NAME, …).
    pub kind: u8,
    /// The item text as sent (UTF-8 by the RFC, but not trusted to be).
    pub value: Vec<u8>,
}

/// The SDES items of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its items.
    pub items: Vec<SdesItem>,
}

/// A goodbye: the listed sources leave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Goodbye {
    /// The sources leaving.
    pub sources: Vec<u32>,
    /// The optional reason text.
    pub reason: Option<Vec<u8>>,
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    /// SR (200).
    SenderReport(SenderReport),
    /// RR (201).
    ReceiverReport(ReceiverReport),
    /// SDES (202).
    SourceDescription(Vec<SdesChunk>),
    /// BYE (203).
    Goodbye(Goodbye),
    /// Any other type (APP, feedback, XR), kept as bytes after the 4-byte header.
    Other {
        /// The packet type.
        packet_type: u8,
        /// The 5-bit count field.
        count: u8,
        /// The body without padding.
        body: Vec<u8>,
    },
}

/// Parses a compound RTCP packet into its packets.
///
/// # Errors
/// [`RtcpError`] when any packet's header or body is malformed.
pub fn parse_compound(bytes: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    let mut packets = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(RtcpError::Truncated {
                needed: 4,
                have: rest.len(),
            });
        }
        let version = rest[0] >> 6;
        if version != 2 {
            return Err(RtcpError::Version(version));
        }
        let padded = rest[0] & 0x20 != 0;
        let count = rest[0] & 0x1F;
        let packet_type = rest[1];
        let len = 4 * (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1);
        if rest.len() < len {
            return Err(RtcpError::Truncated {
                needed: len,
                have: rest.len(),
            });
        }
        let mut body = &rest[4..len];
        if padded {
            // Only the last packet of a compound may be padded (RFC 3550 A.2).
            let pad = usize::from(*body.last().ok_or(RtcpError::Padding)?);
            if len != rest.len() || pad == 0 || pad > body.len() {
                return Err(RtcpError::Padding);
            }
            body = &body[..body.len() - pad];
        }
        packets.push(parse_one(packet_type, count, body)?);
        rest = &rest[len..];
    }
    Ok(packets)
}

fn parse_one(packet_type: u8, count: u8, body: &[u8]) -> Result<RtcpPacket, RtcpError> {
    let bad = RtcpError::Inconsistent { packet_type };
    let count = usize::from(count);
    Ok(match packet_type {
        PT_SR => {
            if body.len() < 24 + count * REPORT_BLOCK_LEN {
                return Err(bad);
            }
            let info = SenderInfo {
                ntp_timestamp: u64::from(be32(body, 4)) << 32 | u64::from(be32(body, 8)),
                rtp_timestamp: be32(body, 12),
                packet_count: be32(body, 16),
                octet_count: be32(body, 20),
            };
            RtcpPacket::SenderReport(SenderReport {
                ssrc: be32(body, 0),
                info,
                reports: blocks(&body[24..], count),
            })
        }
        PT_RR => {
            if body.len() < 4 + count * REPORT_BLOCK_LEN {
                return Err(bad);
            }
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: be32(body, 0),
                reports: blocks(&body[4..], count),
            })
        }
        PT_SDES => RtcpPacket::SourceDescription(parse_sdes(body, count).ok_or(bad)?),
        PT_BYE => {
            if body.len() < 4 * count {
                return Err(bad);
            }
            let sources = (0..count).map(|i| be32(body, 4 * i)).collect();
            let tail = &body[4 * count..];
            let reason = match tail.first() {
                Some(&n) if n > 0 => Some(tail.get(1..1 + usize::from(n)).ok_or(bad)?.to_vec()),
                _ => None,
            };
            RtcpPacket::Goodbye(Goodbye { sources, reason })
        }
        _ => RtcpPacket::Other {
            packet_type,
            count: count as u8,
            body: body.to_vec(),
        },
    })
}

fn blocks(bytes: &[u8], count: usize) -> Vec<ReportBlock> {
    (0..count)
        .map(|i| {
            let b = &bytes[i * REPORT_BLOCK_LEN..(i + 1) * REPORT_BLOCK_LEN];
            let lost = be32(b, 4) & 0x00FF_FFFF;
            // Sign-extend the 24-bit cumulative count.
            let cumulative_lost = ((lost << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(b, 0),
                fraction_lost: b[4],
                cumulative_lost,
                extended_highest_seq: be32(b, 8),
                jitter: be32(b, 12),
                last_sr: be32(b, 16),
                delay_since_last_sr: be32(b, 20),
            }
        })
        .collect()
}

fn parse_sdes(body: &[u8], count: usize) -> Option<Vec<SdesChunk>> {
    let mut chunks = Vec::with_capacity(count);
    let mut at = 0;
    for _ in 0..count {
        let ssrc = be32(body.get(at..at + 4)?, 0);
        at += 4;
        let mut items = Vec::new();
        loop {
            let kind = *body.get(at)?;
            if kind == 0 {
                // The item list ends with a null octet, then pads to the next 32-bit boundary.
                at = (at + 4) & !3;
                break;
            }
            let len = usize::from(*body.get(at + 1)?);
            let value = body.get(at + 2..at + 2 + len)?.to_vec();
            items.push(SdesItem { kind, value });
            at += 2 + len;
        }
        chunks.push(SdesChunk { ssrc, items });
    }
    Some(chunks)
}

fn header(out: &mut Vec<u8>, count: usize, packet_type: u8) -> Result<usize, RtcpError> {
    if count > 31 {
        return Err(RtcpError::TooMany(count));
    }
    let start = out.len();
    // count <= 31 was checked.
    out.extend_from_slice(&[0x80 | count as u8, packet_type, 0, 0]);
    Ok(start)
}

/// Pads the packet that starts at `start` to a 32-bit boundary and fills in its length field.
fn finish(out: &mut Vec<u8>, start: usize) {
    while !(out.len() - start).is_multiple_of(4) {
        out.push(0);
    }
    // RTCP packets we build are far below 256 KiB, so the word count fits 16 bits.
    let words = ((out.len() - start) / 4 - 1) as u16;
    out[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
}

fn write_blocks(out: &mut Vec<u8>, reports: &[ReportBlock]) {
    for r in reports {
        out.extend_from_slice(&r.ssrc.to_be_bytes());
        let lost = (r.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32) & 0x00FF_FFFF;
        out.extend_from_slice(&(u32::from(r.fraction_lost) << 24 | lost).to_be_bytes());
        for v in [
            r.extended_highest_seq,
            r.jitter,
            r.last_sr,
            r.delay_since_last_sr,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

impl SenderReport {
    /// Appends this sender report to `out`.
    ///
    /// # Errors
    /// [`RtcpError::TooMany`] with more than 31 report blocks.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = header(out, self.reports.len(), PT_SR)?;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.info.ntp_timestamp.to_be_bytes());
        for v in [
            self.info.rtp_timestamp,
            self.info.packet_count,
            self.info.octet_count,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        write_blocks(out, &self.reports);
        finish(out, start);
        Ok(())
    }
}

impl ReceiverReport {
    /// Appends this receiver report to `out`.
    ///
    /// # Errors
    /// [`RtcpError::TooMany`] with more than 31 report blocks.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = header(out, self.reports.len(), PT_RR)?;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        write_blocks(out, &self.reports);
        finish(out, start);
        Ok(())
    }
}

/// Appends an SDES packet to `out`.
///
/// # Errors
/// [`RtcpError`] with more than 31 chunks or an item longer than 255 bytes.
pub fn write_sdes(chunks: &[SdesChunk], out: &mut Vec<u8>) -> Result<(), RtcpError> {
    let start = header(out, chunks.len(), PT_SDES)?;
    for chunk in chunks {
        out.extend_from_slice(&chunk.ssrc.to_be_bytes());
        for item in &chunk.items {
            let len = u8::try_from(item.value.len())
                .map_err(|_| RtcpError::TextTooLong(item.value.len()))?;
            out.extend_from_slice(&[item.kind, len]);
            out.extend_from_slice(&item.value);
        }
        // The terminating null item, then padding of the chunk to 32 bits (at least one null octet).
        out.push(0);
        while !(out.len() - start).is_multiple_of(4) {
            out.push(0);
        }
    }
    finish(out, start);
    Ok(())
}

impl Goodbye {
    /// Appends this goodbye to `out`.
    ///
    /// # Errors
    /// [`RtcpError`] with more than 31 sources or a reason longer than 255 bytes.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = header(out, self.sources.len(), PT_BYE)?;
        for s in &self.sources {
            out.extend_from_slice(&s.to_be_bytes());
        }
        if let Some(reason) = &self.reason {
            let len =
                u8::try_from(reason.len()).map_err(|_| RtcpError::TextTooLong(reason.len()))?;
            out.push(len);
            out.extend_from_slice(reason);
        }
        finish(out, start);
        Ok(())
    }
}
