//! The tamper-evident audit chain: each tenant's entries are linked by SHA-256 so that any
//! edit, deletion or reordering of stored entries is detected by [`verify_chain`].
//!
//! # Hashes
//!
//! `hash = lower-hex(SHA-256(prev_hash || canonical(entry)))`, where `prev_hash` is the
//! previous entry's `hash` as its 64 ASCII hex characters ([`GENESIS_HASH`], 64 zeros, for
//! entry 1). The store also records the latest `(seq, hash)` separately as the chain head,
//! since removing the newest entries would otherwise leave a valid, shorter chain.
//!
//! # Canonical form, version 1
//!
//! A sequence of fields, each written as one of
//!
//! - `0x00` — absent (`None`);
//! - `0x01`, then the length as a 4-byte big-endian unsigned integer, then that many bytes.
//!
//! so an absent value, an empty string and every other value encode differently, and no
//! field can bleed into the next. The fields, in this order:
//!
//! | # | field | bytes |
//! |---|---|---|
//! | 1 | version tag | ASCII `hotline-audit-v1` |
//! | 2 | tenant id | the UUID's 16 bytes |
//! | 3 | seq | 8 bytes, big-endian two's complement |
//! | 4 | entry id | the UUID's 16 bytes |
//! | 5 | at | milliseconds since the epoch, 8 bytes, big-endian two's complement |
//! | 6 | actor kind | UTF-8 of its stable name (`user`, `api_key`, `system`) |
//! | 7 | actor id | UTF-8, or absent |
//! | 8 | auth method | UTF-8 of its stable name (`password`, `totp`, …) |
//! | 9 | source IP | UTF-8, or absent |
//! | 10 | request id | the UUID's 16 bytes, or absent |
//! | 11 | action | UTF-8 |
//! | 12 | object type | UTF-8, or absent |
//! | 13 | object id | UTF-8, or absent |
//! | 14 | outcome | UTF-8 of its stable name (`success`, `failure`, `denied`) |
//!
//! Changing any of this needs a new version tag; old entries keep verifying under the old one.
//!
//! # The signed head
//!
//! Hashes alone do not stop someone who can write the database: they can edit an entry and
//! recompute every hash after it and the head. So the head is also signed, `mac =
//! lower-hex(HMAC-SHA256(key, canonical head))` with a key kept outside the database
//! ([`head_mac`]; the canonical head is the fields `hotline-audit-head-v1`, tenant id, seq and
//! hash, written as above). Recomputing the chain without the key leaves a head whose
//! signature does not match ([`ChainBreak::HeadSignature`]).

use domain::{AuditEntry, AuditEntryId, AuditEvent, TenantId, Timestamp};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry in every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The version tag that starts every canonical form.
pub const CANONICAL_VERSION: &str = "hotline-audit-v1";

/// Appends one present field: `0x01`, 4-byte big-endian length, bytes.
fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(0x01);
    // Audit fields are short; a field of 4 GiB or more cannot be stored, let alone hashed
    // here, so saturating the length only guards against a wrap-around.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Appends an optional field: `0x00` when absent.
fn put_opt(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => put(out, bytes),
        None => out.push(0x00),
    }
}

/// The canonical, unambiguous byte form of an entry's contents (see the module docs).
pub fn canonical(
    tenant_id: TenantId,
    seq: i64,
    id: AuditEntryId,
    at: Timestamp,
    event: &AuditEvent,
) -> Vec<u8> {
    // Destructured without `..`, so a new field in `AuditEvent` fails to compile here until
    // it is added to the canonical form (under a new version tag).
    let AuditEvent {
        actor_kind,
        actor_id,
        auth_method,
        source_ip,
        request_id,
        action,
        object_type,
        object_id,
        outcome,
    } = event;
    let mut out = Vec::with_capacity(256);
    put(&mut out, CANONICAL_VERSION.as_bytes());
    put(&mut out, tenant_id.as_uuid().as_bytes());
    put(&mut out, &seq.to_be_bytes());
    put(&mut out, id.as_uuid().as_bytes());
    put(&mut out, &at.millis().to_be_bytes());
    put(&mut out, actor_kind.as_str().as_bytes());
    put_opt(&mut out, actor_id.as_deref().map(str::as_bytes));
    put(&mut out, auth_method.as_str().as_bytes());
    put_opt(&mut out, source_ip.as_deref().map(str::as_bytes));
    put_opt(
        &mut out,
        request_id
            .as_ref()
            .map(|r| r.as_uuid().as_bytes().as_slice()),
    );
    put(&mut out, action.as_bytes());
    put_opt(&mut out, object_type.as_deref().map(str::as_bytes));
    put_opt(&mut out, object_id.as_deref().map(str::as_bytes));
    put(&mut out, outcome.as_str().as_bytes());
    out
}

/// Lower-case hex SHA-256 over `prev_hash`'s bytes followed by `canonical`.
pub fn entry_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical);
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// The canonical form of a chain head, as signed.
fn canonical_head(tenant_id: TenantId, seq: i64, hash: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put(&mut out, b"hotline-audit-head-v1");
    put(&mut out, tenant_id.as_uuid().as_bytes());
    put(&mut out, &seq.to_be_bytes());
    put(&mut out, hash.as_bytes());
    out
}

fn head_hmac(key: &[u8], tenant_id: TenantId, seq: i64, hash: &str) -> hmac::Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(&canonical_head(tenant_id, seq, hash));
    mac
}

/// The signature of a chain head `(seq, hash)` under `key` (see the module docs).
pub fn head_mac(key: &[u8], tenant_id: TenantId, seq: i64, hash: &str) -> String {
    data_encoding::HEXLOWER.encode(&head_hmac(key, tenant_id, seq, hash).finalize().into_bytes())
}

/// Whether `mac` signs the head `(seq, hash)` under `key`, compared in constant time.
pub fn head_mac_matches(key: &[u8], tenant_id: TenantId, seq: i64, hash: &str, mac: &str) -> bool {
    data_encoding::HEXLOWER
        .decode(mac.as_bytes())
        .is_ok_and(|bytes| {
            head_hmac(key, tenant_id, seq, hash)
                .verify_slice(&bytes)
                .is_ok()
        })
}

/// An audit key as its file holds it: lower-case hex.
pub fn key_to_text(key: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(key)
}

/// The key in an audit key file's text: at least 32 bytes as hex (surrounding white space
/// ignored); `None` for anything else.
pub fn key_from_text(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()
        .filter(|k| k.len() >= 32)
}

/// Builds the complete entry at position `seq`, linked to `prev_hash` (the hash of entry
/// `seq - 1`, or [`GENESIS_HASH`] for `seq` 1).
pub fn seal(
    tenant_id: TenantId,
    seq: i64,
    id: AuditEntryId,
    at: Timestamp,
    event: AuditEvent,
    prev_hash: String,
) -> AuditEntry {
    let hash = entry_hash(&prev_hash, &canonical(tenant_id, seq, id, at, &event));
    AuditEntry {
        tenant_id,
        seq,
        id,
        at,
        event,
        prev_hash,
        hash,
    }
}

/// Recomputes an entry's hash from its stored contents and stored `prev_hash`.
fn recompute(entry: &AuditEntry) -> String {
    let canonical = canonical(entry.tenant_id, entry.seq, entry.id, entry.at, &entry.event);
    entry_hash(&entry.prev_hash, &canonical)
}

/// The first place where a chain fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The entry's contents (any field, its position, or its stored hashes) no longer match
    /// its hash.
    #[error("audit entry {seq} ({id}) was altered: its contents do not match its hash")]
    Edited {
        /// The sequence number stored in the broken entry.
        seq: i64,
        /// The broken entry's id.
        id: AuditEntryId,
    },
    /// A gap in the sequence: entries were deleted before this one.
    #[error(
        "audit entries are missing before entry {found_seq} ({id}): expected entry {expected_seq} next"
    )]
    Missing {
        /// The sequence number that should have come next.
        expected_seq: i64,
        /// The sequence number found instead.
        found_seq: i64,
        /// The id of the entry found instead.
        id: AuditEntryId,
    },
    /// The entry is intact but does not link to the entry before it: entries were swapped,
    /// duplicated, or the previous one was rewritten and re-sealed.
    #[error(
        "audit entry {seq} ({id}) does not follow the entry before it: entries were reordered or an earlier entry was rewritten"
    )]
    Reordered {
        /// The sequence number of the entry whose link is broken.
        seq: i64,
        /// Its id.
        id: AuditEntryId,
    },
    /// The entry belongs to another tenant's chain.
    #[error("audit entry {seq} belongs to another tenant")]
    WrongTenant {
        /// Its sequence number.
        seq: i64,
    },
    /// The chain does not end at the separately recorded head: entries were removed from the
    /// end, or the end was rewritten.
    #[error(
        "the audit chain ends at entry {found_seq}, which does not match the separately recorded head (entry {expected_seq}): the newest entries were removed or rewritten"
    )]
    HeadMismatch {
        /// The head's sequence number as recorded by the store (0 for an empty chain).
        expected_seq: i64,
        /// The last sequence number actually found (0 for an empty chain).
        found_seq: i64,
    },
    /// The chain and its head agree, but the head's signature is missing or does not match
    /// the audit key: the chain was recomputed by someone without the key (or the key is not
    /// the one the server signs with).
    #[error(
        "the audit chain's head (entry {seq}) is not signed by the audit key: the chain was recomputed without the key, or this is not the server's key"
    )]
    HeadSignature {
        /// The head's sequence number.
        seq: i64,
    },
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedChain {
    /// Entries checked.
    pub count: u64,
    /// The last entry's sequence number (0 for an empty chain).
    pub head_seq: i64,
    /// The last entry's hash ([`GENESIS_HASH`] for an empty chain).
    pub head_hash: String,
}

/// Verifies one tenant's entries, which must be given in order of `seq` starting at 1.
///
/// `expected_head` is the `(seq, hash)` the store recorded for the chain's newest entry
/// (`(0, GENESIS_HASH)` for an empty chain); without it, deleting the newest entries cannot
/// be noticed. Returns the first break found.
///
/// For each entry, in order: it must belong to the first entry's tenant
/// ([`ChainBreak::WrongTenant`]); its stored hash must match its contents
/// ([`ChainBreak::Edited`]; since the sequence number is hashed too, a row whose `seq` was
/// changed lands here); its `seq` must be the next one ([`ChainBreak::Missing`] for a gap,
/// [`ChainBreak::Reordered`] for a repeat or a step back); and its `prev_hash` must be the
/// previous entry's hash ([`ChainBreak::Reordered`]).
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    expected_head: Option<(i64, &str)>,
) -> Result<VerifiedChain, ChainBreak> {
    let mut verifier = ChainVerifier::new();
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish(expected_head)
}

/// The incremental form of [`verify_chain`], for chains read page by page: memory stays
/// constant however long the chain is. Feed entries in order of `seq`, then call `finish`.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    tenant: Option<TenantId>,
    count: u64,
    head_seq: i64,
    head_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier at the start of a chain.
    pub fn new() -> Self {
        Self {
            tenant: None,
            count: 0,
            head_seq: 0,
            head_hash: GENESIS_HASH.to_owned(),
        }
    }

    /// Entries accepted so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sequence number of the last accepted entry (0 before the first).
    pub fn head_seq(&self) -> i64 {
        self.head_seq
    }

    /// Checks the next entry; the first break is returned and the verifier should be dropped.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let seq = entry.seq;
        let id = entry.id;
        if *self.tenant.get_or_insert(entry.tenant_id) != entry.tenant_id {
            return Err(ChainBreak::WrongTenant { seq });
        }
        if recompute(entry) != entry.hash {
            return Err(ChainBreak::Edited { seq, id });
        }
        let expected_seq = self.head_seq.saturating_add(1);
        if seq > expected_seq {
            return Err(ChainBreak::Missing {
                expected_seq,
                found_seq: seq,
                id,
            });
        }
        if seq < expected_seq || entry.prev_hash != self.head_hash {
            return Err(ChainBreak::Reordered { seq, id });
        }
        self.count += 1;
        self.head_seq = seq;
        self.head_hash.clone_from(&entry.hash);
        Ok(())
    }

    /// Compares the end of the chain with the separately recorded head (see [`verify_chain`]).
    pub fn finish(self, expected_head: Option<(i64, &str)>) -> Result<VerifiedChain, ChainBreak> {
        if let Some((expected_seq, expected_hash)) = expected_head
            && (expected_seq != self.head_seq || expected_hash != self.head_hash)
        {
            return Err(ChainBreak::HeadMismatch {
                expected_seq,
                found_seq: self.head_seq,
            });
        }
        Ok(VerifiedChain {
            count: self.count,
            head_seq: self.head_seq,
            head_hash: self.head_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use domain::{ActorKind, AuthMethod, Outcome, RequestId};
    use proptest::prelude::*;

    use super::*;

    fn tenant() -> TenantId {
        TenantId::from_random_bytes([1; 16])
    }

    fn event(n: u8) -> AuditEvent {
        AuditEvent {
            actor_kind: ActorKind::User,
            actor_id: Some(format!("user-{n}")),
            auth_method: AuthMethod::Session,
            source_ip: Some(format!("192.0.2.{n}")),
            request_id: Some(RequestId::from_random_bytes([n; 16])),
            action: "user.update".to_owned(),
            object_type: Some("user".to_owned()),
            object_id: Some(format!("object-{n}")),
            outcome: Outcome::Success,
        }
    }

    fn chain(len: u8) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for n in 1..=len {
            let prev = entries
                .last()
                .map_or_else(|| GENESIS_HASH.to_owned(), |e| e.hash.clone());
            entries.push(seal(
                tenant(),
                i64::from(n),
                AuditEntryId::from_random_bytes([n.wrapping_add(100); 16]),
                Timestamp::from_millis(1_700_000_000_000 + i64::from(n) * 1000),
                event(n),
                prev,
            ));
        }
        entries
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let entries = chain(5);
        let verified = verify_chain(&entries, head(&entries)).unwrap();
        assert_eq!(verified.count, 5);
        assert_eq!(verified.head_seq, 5);
        assert_eq!(verified.head_hash, entries[4].hash);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert!(entries.iter().all(|e| {
            e.hash.len() == 64
                && e.hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }));
    }

    #[test]
    fn an_empty_chain_verifies_against_an_empty_head() {
        let verified = verify_chain(&[], Some((0, GENESIS_HASH))).unwrap();
        assert_eq!(
            verified,
            VerifiedChain {
                count: 0,
                head_seq: 0,
                head_hash: GENESIS_HASH.to_owned()
            }
        );
        assert_eq!(
            verify_chain(&[], Some((3, "ab"))),
            Err(ChainBreak::HeadMismatch {
                expected_seq: 3,
                found_seq: 0
            })
        );
    }

    #[test]
    fn entry_hash_is_sha256_over_prev_and_canonical() {
        // SHA-256 of 64 ASCII zeros followed by "abc", computed independently.
        assert_eq!(
            entry_hash(GENESIS_HASH, b"abc"),
            "b64374d04ef9c4f39fddb1e0d6be38a0130f6c057fc0f4ee467ea0e18bc758f1"
        );
    }

    #[test]
    fn canonical_form_is_pinned() {
        let event = AuditEvent {
            actor_kind: ActorKind::System,
            actor_id: None,
            auth_method: AuthMethod::Cli,
            source_ip: None,
            request_id: None,
            action: "a".to_owned(),
            object_type: Some(String::new()),
            object_id: None,
            outcome: Outcome::Denied,
        };
        let bytes = canonical(
            TenantId::from_random_bytes([0; 16]),
            1,
            AuditEntryId::from_random_bytes([0; 16]),
            Timestamp::from_millis(2),
            &event,
        );
        let mut expected = Vec::new();
        expected.extend_from_slice(b"\x01\x00\x00\x00\x10hotline-audit-v1");
        let uuid_zero_v4 = [0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(b"\x01\x00\x00\x00\x10");
        expected.extend_from_slice(&uuid_zero_v4);
        expected.extend_from_slice(b"\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x10");
        expected.extend_from_slice(&uuid_zero_v4);
        expected.extend_from_slice(b"\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x02");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x06system");
        expected.extend_from_slice(b"\x00");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x03cli");
        expected.extend_from_slice(b"\x00");
        expected.extend_from_slice(b"\x00");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x01a");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x00");
        expected.extend_from_slice(b"\x00");
        expected.extend_from_slice(b"\x01\x00\x00\x00\x06denied");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn none_and_empty_and_shifted_fields_differ() {
        let base = event(1);
        let mut none = base.clone();
        none.object_id = None;
        let mut empty = base.clone();
        empty.object_id = Some(String::new());
        // Moving text between adjacent fields must change the encoding.
        let mut shifted = base.clone();
        shifted.object_type = Some("userobject-1".to_owned());
        shifted.object_id = Some(String::new());
        let encode = |e: &AuditEvent| {
            canonical(
                tenant(),
                1,
                AuditEntryId::from_random_bytes([0; 16]),
                Timestamp::EPOCH,
                e,
            )
        };
        let all = [
            encode(&base),
            encode(&none),
            encode(&empty),
            encode(&shifted),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// One field of one entry changed, as a tamperer with database access would.
    fn mutate(entry: &mut AuditEntry, field: usize, text: &str, number: i64) {
        match field {
            0 => entry.event.action = text.to_owned(),
            1 => {
                entry.event.outcome = match entry.event.outcome {
                    Outcome::Success => Outcome::Failure,
                    _ => Outcome::Success,
                }
            }
            2 => entry.event.actor_id = Some(text.to_owned()),
            3 => entry.event.actor_id = None,
            4 => entry.event.source_ip = Some(text.to_owned()),
            5 => entry.event.source_ip = None,
            6 => entry.at = entry.at.plus_millis(number),
            7 => entry.event.object_id = Some(text.to_owned()),
            8 => entry.event.object_type = None,
            9 => entry.event.actor_kind = ActorKind::System,
            10 => entry.event.auth_method = AuthMethod::Password,
            11 => entry.event.request_id = None,
            12 => entry.id = AuditEntryId::from_random_bytes([0xee; 16]),
            13 => entry.hash = GENESIS_HASH.to_owned(),
            14 => entry.prev_hash = text.to_owned(),
            _ => entry.tenant_id = TenantId::from_random_bytes([0xdd; 16]),
        }
    }

    #[test]
    fn editing_any_field_of_any_entry_is_found_at_that_entry() {
        for index in 0..5 {
            for field in 0..=15 {
                let mut entries = chain(5);
                let before = entries[index].clone();
                mutate(&mut entries[index], field, "tampered", 60_000);
                assert_ne!(entries[index], before, "field {field} did not change");
                let broken = verify_chain(&entries, head(&chain(5))).unwrap_err();
                let seq = before.seq;
                match broken {
                    ChainBreak::Edited { seq: s, id } => {
                        assert_eq!(s, seq);
                        assert_eq!(id, entries[index].id);
                    }
                    // Another tenant's id on a later entry is reported as such.
                    ChainBreak::WrongTenant { seq: s } if field == 15 && index > 0 => {
                        assert_eq!(s, seq)
                    }
                    other => panic!("field {field} of entry {seq}: {other:?}"),
                }
                assert!(
                    broken.to_string().contains(&format!("entry {seq}")),
                    "{broken}"
                );
            }
        }
    }

    #[test]
    fn deleting_a_middle_entry_is_a_gap() {
        let mut entries = chain(5);
        let removed = entries.remove(2);
        let broken = verify_chain(&entries, head(&entries)).unwrap_err();
        assert_eq!(
            broken,
            ChainBreak::Missing {
                expected_seq: 3,
                found_seq: 4,
                id: entries[2].id
            }
        );
        assert_eq!(removed.seq, 3);
        assert!(broken.to_string().contains("entry 4"), "{broken}");
        assert!(
            broken.to_string().contains(&entries[2].id.to_string()),
            "{broken}"
        );
    }

    #[test]
    fn deleting_the_first_entry_is_a_gap() {
        let mut entries = chain(3);
        entries.remove(0);
        assert!(matches!(
            verify_chain(&entries, None),
            Err(ChainBreak::Missing {
                expected_seq: 1,
                found_seq: 2,
                ..
            })
        ));
    }

    #[test]
    fn deleting_the_last_entry_is_caught_by_the_head() {
        let full = chain(5);
        let truncated = &full[..4];
        // Without the head a truncated chain is indistinguishable from a shorter one …
        assert!(verify_chain(truncated, None).is_ok());
        // … which is why the store records the head separately.
        let broken = verify_chain(truncated, head(&full)).unwrap_err();
        assert_eq!(
            broken,
            ChainBreak::HeadMismatch {
                expected_seq: 5,
                found_seq: 4
            }
        );
        assert!(broken.to_string().contains("entry 4") && broken.to_string().contains("entry 5"));
    }

    #[test]
    fn rewriting_and_resealing_the_tail_is_caught_by_the_head() {
        let full = chain(5);
        let mut forged = full[..4].to_vec();
        let mut event = event(5);
        event.outcome = Outcome::Failure;
        forged.push(seal(
            tenant(),
            5,
            full[4].id,
            full[4].at,
            event,
            full[3].hash.clone(),
        ));
        assert!(verify_chain(&forged, None).is_ok());
        assert_eq!(
            verify_chain(&forged, head(&full)),
            Err(ChainBreak::HeadMismatch {
                expected_seq: 5,
                found_seq: 5
            })
        );
    }

    #[test]
    fn swapping_the_seq_of_two_rows_is_detected() {
        let mut entries = chain(5);
        // The rows keep everything but trade sequence numbers; the store returns them by seq.
        entries[1].seq = 4;
        entries[3].seq = 2;
        entries.sort_by_key(|e| e.seq);
        assert_eq!(
            verify_chain(&entries, head(&entries)),
            Err(ChainBreak::Edited {
                seq: 2,
                id: entries[1].id
            })
        );
    }

    #[test]
    fn swapping_the_contents_of_two_rows_is_detected() {
        let original = chain(5);
        // Everything but seq traded between rows 2 and 4.
        let mut entries = original.clone();
        entries.swap(1, 3);
        entries[1].seq = 2;
        entries[3].seq = 4;
        assert_eq!(
            verify_chain(&entries, head(&original)),
            Err(ChainBreak::Edited {
                seq: 2,
                id: original[3].id
            })
        );
        // Whole rows delivered out of order (seq and all) show up as a gap.
        let mut entries = original.clone();
        entries.swap(1, 3);
        assert!(matches!(
            verify_chain(&entries, head(&original)),
            Err(ChainBreak::Missing {
                expected_seq: 2,
                found_seq: 4,
                ..
            })
        ));
        // Adjacent rows swapped wholesale: the later one arrives early.
        let mut entries = original.clone();
        entries.swap(1, 2);
        assert!(matches!(
            verify_chain(&entries, head(&original)),
            Err(ChainBreak::Missing {
                expected_seq: 2,
                found_seq: 3,
                ..
            })
        ));
    }

    #[test]
    fn swapping_events_and_resealing_both_is_a_broken_link() {
        let original = chain(5);
        let mut entries = original.clone();
        // A tamperer swaps the events of entries 2 and 3 and re-seals both with correct
        // links, but cannot touch entry 4 without re-sealing the rest of the chain.
        let (e2, e3) = (original[2].event.clone(), original[1].event.clone());
        entries[1] = seal(
            tenant(),
            2,
            original[1].id,
            original[1].at,
            e2,
            original[0].hash.clone(),
        );
        entries[2] = seal(
            tenant(),
            3,
            original[2].id,
            original[2].at,
            e3,
            entries[1].hash.clone(),
        );
        let broken = verify_chain(&entries, head(&original)).unwrap_err();
        assert_eq!(
            broken,
            ChainBreak::Reordered {
                seq: 4,
                id: original[3].id
            }
        );
        assert!(broken.to_string().contains("entry 4"), "{broken}");
    }

    #[test]
    fn a_duplicated_entry_is_detected() {
        let mut entries = chain(3);
        entries.insert(2, entries[1].clone());
        assert_eq!(
            verify_chain(&entries, None),
            Err(ChainBreak::Reordered {
                seq: 2,
                id: entries[1].id
            })
        );
    }

    #[test]
    fn another_tenants_entry_is_detected() {
        let mut entries = chain(3);
        let mut foreign = entries[2].clone();
        foreign.tenant_id = TenantId::from_random_bytes([9; 16]);
        foreign.hash = recompute(&foreign);
        entries[2] = foreign;
        assert_eq!(
            verify_chain(&entries, None),
            Err(ChainBreak::WrongTenant { seq: 3 })
        );
    }

    proptest! {
        #[test]
        fn any_single_field_mutation_is_detected(
            index in 0usize..6,
            field in 0usize..16,
            text in "[a-z0-9.:]{0,12}",
            number in prop_oneof![-1_000_000i64..-1, 1i64..1_000_000],
        ) {
            let original = chain(6);
            let mut entries = original.clone();
            mutate(&mut entries[index], field, &text, number);
            prop_assume!(entries[index] != original[index]);
            let broken = verify_chain(&entries, head(&original));
            prop_assert!(broken.is_err(), "undetected: field {} of entry {}", field, index + 1);
            let seq = original[index].seq;
            match broken {
                Err(ChainBreak::Edited { seq: s, .. } | ChainBreak::WrongTenant { seq: s }) => {
                    prop_assert_eq!(s, seq)
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
