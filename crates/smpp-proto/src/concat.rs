//! Long messages: split into parts that each fit one SMS, and joined again on arrival. Parts
//! are marked either by a user data header at the start of `short_message` (`esm_class` 0x40;
//! `05 00 03 ref total seq`, or `06 08 04 ref ref total seq` with a 16-bit reference) or by
//! the SAR TLVs (`sar_msg_ref_num`, `sar_total_segments`, `sar_segment_seqnum`). A GSM part
//! holds 153 septets (never ending between an escape and its character), a UCS-2 part 67
//! UTF-16 units (never between the halves of a surrogate pair); a message that fits 160
//! septets or 70 units stays whole.

use std::collections::HashMap;

use crate::pdu::{Sm, Tlv, find_tlv, tag};
use crate::text::{self, DATA_CODING_DEFAULT};

/// `esm_class` bit: `short_message` starts with a user data header.
pub const ESM_UDHI: u8 = 0x40;

/// Septets in one whole GSM message, and in one part of a long one.
const GSM_WHOLE: usize = 160;
const GSM_PART: usize = 153;
/// UTF-16 units in one whole UCS-2 message, and in one part.
const UCS2_WHOLE: usize = 70;
const UCS2_PART: usize = 67;

/// The most parts a message may have.
pub const MAX_PARTS: usize = 255;

/// How parts are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A user data header in the message.
    Udh,
    /// SAR optional parameters.
    Sar,
}

/// One part, ready for a `submit_sm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `data_coding`.
    pub data_coding: u8,
    /// `esm_class` (with [`ESM_UDHI`] for a UDH part).
    pub esm_class: u8,
    /// `short_message`.
    pub short_message: Vec<u8>,
    /// SAR TLVs, for a SAR part.
    pub tlvs: Vec<Tlv>,
}

/// Why a text cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// More than [`MAX_PARTS`] parts.
    #[error("the message needs more than {MAX_PARTS} parts")]
    TooLong,
    /// Nothing to send.
    #[error("the message is empty")]
    Empty,
}

/// Splits `text` into the parts of one message; `reference` ties them together (the SMSC and
/// the handset join parts with the same reference, sender and total).
///
/// # Errors
/// An empty text, or one that needs more than [`MAX_PARTS`] parts.
pub fn split(text: &str, method: Method, reference: u16) -> Result<Vec<Part>, SplitError> {
    if text.is_empty() {
        return Err(SplitError::Empty);
    }
    let encoded = text::encode(text);
    let chunks: Vec<Vec<u8>> = if encoded.data_coding == DATA_CODING_DEFAULT {
        if encoded.bytes.len() <= GSM_WHOLE {
            vec![encoded.bytes]
        } else {
            chunk_gsm(&encoded.bytes)
        }
    } else {
        let units: Vec<u16> = text.encode_utf16().collect();
        if units.len() <= UCS2_WHOLE {
            vec![encoded.bytes]
        } else {
            chunk_ucs2(&units)
        }
    };
    if chunks.len() > MAX_PARTS {
        return Err(SplitError::TooLong);
    }
    if chunks.len() == 1 {
        return Ok(vec![Part {
            data_coding: encoded.data_coding,
            esm_class: 0,
            short_message: chunks.into_iter().next().unwrap_or_default(),
            tlvs: Vec::new(),
        }]);
    }
    let total = chunks.len() as u8;
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let seq = (i + 1) as u8;
            match method {
                Method::Udh => {
                    let mut short_message = vec![0x05, 0x00, 0x03, reference as u8, total, seq];
                    short_message.extend_from_slice(&chunk);
                    Part {
                        data_coding: encoded.data_coding,
                        esm_class: ESM_UDHI,
                        short_message,
                        tlvs: Vec::new(),
                    }
                }
                Method::Sar => Part {
                    data_coding: encoded.data_coding,
                    esm_class: 0,
                    short_message: chunk,
                    tlvs: vec![
                        Tlv::u16(tag::SAR_MSG_REF_NUM, reference),
                        Tlv::u8(tag::SAR_TOTAL_SEGMENTS, total),
                        Tlv::u8(tag::SAR_SEGMENT_SEQNUM, seq),
                    ],
                },
            }
        })
        .collect())
}

fn chunk_gsm(septets: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < septets.len() {
        let mut end = (start + GSM_PART).min(septets.len());
        // An escape and its character stay together.
        if end < septets.len() && end > start + 1 && ends_with_escape(&septets[start..end]) {
            end -= 1;
        }
        out.push(septets[start..end].to_vec());
        start = end;
    }
    out
}

/// Whether a run of septets ends with an escape that starts a pair (not the second half of
/// one: escapes come in pairs from the start of the message).
fn ends_with_escape(septets: &[u8]) -> bool {
    let mut i = 0;
    let mut last_is_escape = false;
    while i < septets.len() {
        if septets[i] == 0x1B {
            if i + 1 == septets.len() {
                last_is_escape = true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    last_is_escape
}

fn chunk_ucs2(units: &[u16]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < units.len() {
        let mut end = (start + UCS2_PART).min(units.len());
        if end < units.len() && (0xD800..0xDC00).contains(&units[end - 1]) {
            end -= 1;
        }
        out.push(
            units[start..end]
                .iter()
                .flat_map(|u| u.to_be_bytes())
                .collect(),
        );
        start = end;
    }
    out
}

/// Where a received message's part belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PartInfo {
    reference: u16,
    total: u8,
    seq: u8,
}

/// The part information of a received message and its payload (without the UDH), or `None`
/// for a message that is whole.
fn part_of(sm: &Sm) -> (Option<PartInfo>, &[u8]) {
    let body = &sm.short_message[..];
    if sm.esm_class & ESM_UDHI != 0
        && let Some(&udh_len) = body.first()
    {
        let udh_len = usize::from(udh_len);
        if let Some(udh) = body.get(1..=udh_len) {
            let payload = &body[1 + udh_len..];
            let mut i = 0;
            while i + 1 < udh.len() {
                let (iei, len) = (udh[i], usize::from(udh[i + 1]));
                let Some(data) = udh.get(i + 2..i + 2 + len) else {
                    break;
                };
                match (iei, data) {
                    (0x00, &[r, total, seq]) => {
                        return (
                            Some(PartInfo {
                                reference: u16::from(r),
                                total,
                                seq,
                            }),
                            payload,
                        );
                    }
                    (0x08, &[r1, r2, total, seq]) => {
                        return (
                            Some(PartInfo {
                                reference: u16::from_be_bytes([r1, r2]),
                                total,
                                seq,
                            }),
                            payload,
                        );
                    }
                    _ => {}
                }
                i += 2 + len;
            }
            return (None, payload);
        }
    }
    let sar = (
        find_tlv(&sm.tlvs, tag::SAR_MSG_REF_NUM).and_then(Tlv::as_u16),
        find_tlv(&sm.tlvs, tag::SAR_TOTAL_SEGMENTS).and_then(Tlv::as_u8),
        find_tlv(&sm.tlvs, tag::SAR_SEGMENT_SEQNUM).and_then(Tlv::as_u8),
    );
    if let (Some(reference), Some(total), Some(seq)) = sar {
        return (
            Some(PartInfo {
                reference,
                total,
                seq,
            }),
            body,
        );
    }
    (None, body)
}

/// A message put back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The sender, with `+` when the SMSC marks it international (TON 1).
    pub source: String,
    /// The number it was sent to, likewise.
    pub dest: String,
    /// The text.
    pub text: String,
    /// How many parts it came in.
    pub parts: usize,
    /// False when parts were still missing at the time limit: the text has `[…]` for each gap,
    /// so nothing that arrived is lost.
    pub complete: bool,
}

type Key = (String, String, u16, u8);

struct Pending {
    data_coding: u8,
    parts: Vec<Option<Vec<u8>>>,
    first_at: u64,
}

/// Joins the parts of long messages as they arrive, in any order; a repeated part is taken
/// once. Parts still missing after `timeout_ms` are given up on ([`Reassembler::expire`]).
#[derive(Default)]
pub struct Reassembler {
    pending: HashMap<Key, Pending>,
    timeout_ms: u64,
}

impl std::fmt::Debug for Reassembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reassembler")
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// Long messages waited for at once, at most (older ones are given up on first).
const MAX_PENDING: usize = 1000;

impl Reassembler {
    /// Joins parts that arrive within `timeout_ms` of the first.
    pub fn new(timeout_ms: u64) -> Self {
        Self {
            pending: HashMap::new(),
            timeout_ms,
        }
    }

    /// Takes a received message: a whole one at once, a part once its message is complete.
    pub fn push(&mut self, sm: &Sm, now: u64) -> Option<Joined> {
        let (info, payload) = part_of(sm);
        let Some(info) = info.filter(|i| i.total > 1 && i.seq >= 1 && i.seq <= i.total) else {
            return Some(Joined {
                source: sm.source.number(),
                dest: sm.dest.number(),
                text: text::decode(sm.data_coding, payload),
                parts: 1,
                complete: true,
            });
        };
        let key = (
            sm.source.number(),
            sm.dest.number(),
            info.reference,
            info.total,
        );
        if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.pending.remove(&oldest);
            }
        }
        let pending = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            data_coding: sm.data_coding,
            parts: vec![None; usize::from(info.total)],
            first_at: now,
        });
        let slot = &mut pending.parts[usize::from(info.seq) - 1];
        if slot.is_none() {
            *slot = Some(payload.to_vec());
        }
        if pending.parts.iter().all(Option::is_some) {
            let done = self.pending.remove(&key)?;
            return Some(join(key, done));
        }
        None
    }

    /// Gives up waiting for the parts of messages that began before `now - timeout`: each is
    /// returned with what arrived.
    pub fn expire(&mut self, now: u64) -> Vec<Joined> {
        let late: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.first_at) >= self.timeout_ms)
            .map(|(k, _)| k.clone())
            .collect();
        late.into_iter()
            .filter_map(|k| self.pending.remove(&k).map(|p| join(k, p)))
            .collect()
    }

    /// When the oldest waiting message is given up on, if any waits.
    pub fn next_deadline(&self) -> Option<u64> {
        self.pending
            .values()
            .map(|p| p.first_at + self.timeout_ms)
            .min()
    }
}

fn join(key: Key, pending: Pending) -> Joined {
    let complete = pending.parts.iter().all(Option::is_some);
    let parts = pending.parts.len();
    // Octets are joined before decoding: a GSM escape or a UTF-16 surrogate may end a part.
    let mut text = String::new();
    let mut run = Vec::new();
    for part in &pending.parts {
        match part {
            Some(bytes) => run.extend_from_slice(bytes),
            None => {
                text.push_str(&text::decode(pending.data_coding, &run));
                text.push_str("[…]");
                run.clear();
            }
        }
    }
    text.push_str(&text::decode(pending.data_coding, &run));
    Joined {
        source: key.0,
        dest: key.1,
        text,
        parts,
        complete,
    }
}
