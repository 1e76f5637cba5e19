//! Tampering with the stored audit chain from outside the application. The migrations make
//! `audit_log` append-only with triggers; an attacker with database access drops them, and
//! then the hash chain, read back through the repository and checked by
//! `security::audit::verify_chain`, must name what was done.

use domain::{AuditEntry, TenantId};
use security::audit::ChainBreak;
use store::Store;

use crate::support::{Raw, append_events, create_tenant, read_chain, verify};

/// A tenant with five audit entries, and the database's append-only triggers dropped.
async fn chain_without_guard(store: &Store, raw: &Raw) -> (TenantId, Vec<AuditEntry>) {
    let (tenant, _) = create_tenant(store, "North", "admin").await;
    let entries = append_events(store, tenant.id, 5).await;
    assert_eq!(verify(store, tenant.id).await.unwrap().count, 5);
    raw.drop_audit_triggers().await;
    (tenant.id, entries)
}

async fn the_database_refuses_updates_and_deletes(store: Store, raw: Raw) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let entries = append_events(&store, tenant.id, 3).await;

    let update = raw
        .execute(
            "UPDATE audit_log SET action = 'tampered' WHERE tenant_id = $1 AND seq = 2",
            tenant.id,
        )
        .await;
    let delete = raw
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2",
            tenant.id,
        )
        .await;

    let update = update.expect_err("an UPDATE of audit_log went through");
    let delete = delete.expect_err("a DELETE from audit_log went through");
    assert!(update.to_string().contains("append-only"), "{update}");
    assert!(delete.to_string().contains("append-only"), "{delete}");
    let (stored, _) = read_chain(&store, tenant.id).await;
    assert_eq!(
        crate::audit::without_ip(&stored),
        crate::audit::without_ip(&entries)
    );
}

async fn an_untouched_chain_verifies(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    let verified = verify(&store, tenant).await.unwrap();

    assert_eq!(verified.count, 5);
    assert_eq!(verified.head_seq, 5);
    assert_eq!(verified.head_hash, entries[4].hash);
}

async fn an_edited_action_is_found(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    let edited = raw
        .execute(
            "UPDATE audit_log SET action = 'auth.nothing_to_see' WHERE tenant_id = $1 AND seq = 3",
            tenant,
        )
        .await
        .unwrap();

    assert_eq!(edited, 1);
    let broken = verify(&store, tenant).await.unwrap_err();
    assert_eq!(
        broken,
        ChainBreak::Edited {
            seq: 3,
            id: entries[2].id
        }
    );
    assert!(broken.to_string().contains("entry 3"), "{broken}");
}

async fn an_edited_outcome_is_found(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    // The builders record successes; the attacker turns one into a failure.
    let edited = raw
        .execute(
            "UPDATE audit_log SET outcome = 'failure' WHERE tenant_id = $1 AND seq = 3",
            tenant,
        )
        .await
        .unwrap();

    assert_eq!(edited, 1);
    let (stored, _) = read_chain(&store, tenant).await;
    assert_eq!(stored[2].event.outcome, domain::Outcome::Failure);
    assert_eq!(
        verify(&store, tenant).await,
        Err(ChainBreak::Edited {
            seq: 3,
            id: entries[2].id
        })
    );
}

async fn a_deleted_middle_entry_is_found(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    let deleted = raw
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3",
            tenant,
        )
        .await
        .unwrap();

    assert_eq!(deleted, 1);
    assert_eq!(
        verify(&store, tenant).await,
        Err(ChainBreak::Missing {
            expected_seq: 3,
            found_seq: 4,
            id: entries[3].id
        })
    );
}

async fn a_deleted_last_entry_is_found_by_the_head(store: Store, raw: Raw) {
    let (tenant, _) = chain_without_guard(&store, &raw).await;

    let deleted = raw
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 5",
            tenant,
        )
        .await
        .unwrap();

    assert_eq!(deleted, 1);
    // The four remaining entries are a valid chain; only the recorded head gives it away.
    let (stored, _) = read_chain(&store, tenant).await;
    assert!(security::audit::verify_chain(&stored, None).is_ok());
    assert_eq!(
        verify(&store, tenant).await,
        Err(ChainBreak::HeadMismatch {
            expected_seq: 5,
            found_seq: 4
        })
    );
}

async fn swapped_sequence_numbers_are_found(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    // Rows 2 and 3 trade places through a free sequence number.
    for sql in [
        "UPDATE audit_log SET seq = -1 WHERE tenant_id = $1 AND seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE tenant_id = $1 AND seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE tenant_id = $1 AND seq = -1",
    ] {
        assert_eq!(raw.execute(sql, tenant).await.unwrap(), 1, "{sql}");
    }

    let (stored, _) = read_chain(&store, tenant).await;
    assert_eq!(stored[1].id, entries[2].id);
    assert_eq!(stored[2].id, entries[1].id);
    // The sequence number is hashed, so the entry now at 2 no longer matches its hash.
    assert_eq!(
        verify(&store, tenant).await,
        Err(ChainBreak::Edited {
            seq: 2,
            id: entries[2].id
        })
    );
}

async fn swapped_contents_are_found(store: Store, raw: Raw) {
    let (tenant, entries) = chain_without_guard(&store, &raw).await;

    // Every column but the position traded between rows 2 and 3, hashes included.
    raw.overwrite_audit_row(2, &entries[2]).await;
    raw.overwrite_audit_row(3, &entries[1]).await;

    let (stored, _) = read_chain(&store, tenant).await;
    assert_eq!(stored[1].event, entries[2].event);
    assert_eq!(stored[2].event, entries[1].event);
    assert_eq!(
        verify(&store, tenant).await,
        Err(ChainBreak::Edited {
            seq: 2,
            id: entries[2].id
        })
    );
}

on_both_backends!(
    raw: the_database_refuses_updates_and_deletes,
    an_untouched_chain_verifies,
    an_edited_action_is_found,
    an_edited_outcome_is_found,
    a_deleted_middle_entry_is_found,
    a_deleted_last_entry_is_found_by_the_head,
    swapped_sequence_numbers_are_found,
    swapped_contents_are_found,
);
