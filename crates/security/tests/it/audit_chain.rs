//! Sealing a tenant's audit chain entry by entry, as the store does, then tampering with it.

use domain::{
    ActorKind, AuditEntry, AuditEntryId, AuditEvent, AuthMethod, Outcome, TenantId, Timestamp,
};
use security::audit::{self, ChainBreak, GENESIS_HASH};

/// A minimal append-only log keeping the head beside the entries.
struct Log {
    tenant: TenantId,
    entries: Vec<AuditEntry>,
    head: (i64, String),
}

impl Log {
    fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            entries: Vec::new(),
            head: (0, GENESIS_HASH.to_owned()),
        }
    }

    fn append(&mut self, event: AuditEvent, at_ms: i64) {
        let (seq, prev) = (self.head.0 + 1, self.head.1.clone());
        let id = AuditEntryId::from_random_bytes([seq as u8; 16]);
        let entry = audit::seal(
            self.tenant,
            seq,
            id,
            Timestamp::from_millis(at_ms),
            event,
            prev,
        );
        self.head = (entry.seq, entry.hash.clone());
        self.entries.push(entry);
    }

    fn verify(&self) -> Result<audit::VerifiedChain, ChainBreak> {
        audit::verify_chain(&self.entries, Some((self.head.0, self.head.1.as_str())))
    }
}

fn login(user: &str, outcome: Outcome) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::User,
        actor_id: Some(user.to_owned()),
        auth_method: AuthMethod::Password,
        source_ip: Some("198.51.100.7".to_owned()),
        request_id: None,
        action: "auth.login".to_owned(),
        object_type: None,
        object_id: None,
        outcome,
    }
}

fn log() -> Log {
    let mut log = Log::new(TenantId::from_random_bytes([5; 16]));
    log.append(login("u1", Outcome::Failure), 1_000);
    log.append(login("u1", Outcome::Failure), 2_000);
    log.append(login("u1", Outcome::Success), 3_000);
    log.append(login("u2", Outcome::Success), 4_000);
    log
}

#[test]
fn an_untouched_log_verifies() {
    let log = log();
    let verified = log.verify().unwrap();
    assert_eq!((verified.count, verified.head_seq), (4, 4));
    assert_eq!(verified.head_hash, log.head.1);
}

#[test]
fn hiding_a_failed_login_is_detected_however_it_is_done() {
    // Flip the outcome in place.
    let mut flipped = log();
    flipped.entries[0].event.outcome = Outcome::Success;
    let broken = flipped.verify().unwrap_err();
    assert_eq!(
        broken,
        ChainBreak::Edited {
            seq: 1,
            id: flipped.entries[0].id
        }
    );
    assert!(broken.to_string().contains("entry 1"));

    // Delete the row.
    let mut deleted = log();
    deleted.entries.remove(1);
    assert!(matches!(
        deleted.verify(),
        Err(ChainBreak::Missing {
            expected_seq: 2,
            found_seq: 3,
            ..
        })
    ));

    // Delete the newest rows.
    let mut truncated = log();
    truncated.entries.truncate(2);
    assert_eq!(
        truncated.verify(),
        Err(ChainBreak::HeadMismatch {
            expected_seq: 4,
            found_seq: 2
        })
    );

    // Rewrite the row and re-seal it with a valid link: the next entry no longer follows.
    let mut resealed = log();
    let original = resealed.entries[1].clone();
    resealed.entries[1] = audit::seal(
        original.tenant_id,
        original.seq,
        original.id,
        original.at,
        login("u1", Outcome::Success),
        original.prev_hash.clone(),
    );
    let broken = resealed.verify().unwrap_err();
    assert_eq!(
        broken,
        ChainBreak::Reordered {
            seq: 3,
            id: resealed.entries[2].id
        }
    );
    assert!(broken.to_string().contains("entry 3"));
}

#[test]
fn canonical_form_separates_fields() {
    let tenant = TenantId::from_random_bytes([5; 16]);
    let id = AuditEntryId::from_random_bytes([6; 16]);
    let mut a = login("ab", Outcome::Success);
    a.object_type = Some("c".to_owned());
    let mut b = login("a", Outcome::Success);
    b.object_type = Some("bc".to_owned());
    let enc = |e: &AuditEvent| audit::canonical(tenant, 1, id, Timestamp::EPOCH, e);
    assert_ne!(enc(&a), enc(&b));
    assert!(enc(&a).starts_with(b"\x01\x00\x00\x00\x10hotline-audit-v1"));
}

#[test]
fn a_head_signature_needs_the_key_and_covers_tenant_seq_and_hash() {
    use security::audit::{head_mac, head_mac_matches};
    let tenant = TenantId::from_random_bytes([1; 16]);
    let other = TenantId::from_random_bytes([2; 16]);
    let key = b"a key kept outside the database";
    let hash = "ab".repeat(32);
    let mac = head_mac(key, tenant, 7, &hash);
    assert_eq!(mac.len(), 64);
    assert_eq!(mac, head_mac(key, tenant, 7, &hash), "deterministic");
    assert!(head_mac_matches(key, tenant, 7, &hash, &mac));
    // Someone without the key cannot sign a recomputed head; nothing else matches either.
    assert!(!head_mac_matches(b"another key", tenant, 7, &hash, &mac));
    assert!(!head_mac_matches(key, other, 7, &hash, &mac));
    assert!(!head_mac_matches(key, tenant, 8, &hash, &mac));
    assert!(!head_mac_matches(key, tenant, 7, &"cd".repeat(32), &mac));
    assert!(!head_mac_matches(key, tenant, 7, &hash, "not hex"));
    assert!(!head_mac_matches(key, tenant, 7, &hash, ""));
}
