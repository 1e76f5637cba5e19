//! The audit chain as the repository keeps it: appends numbered 1, 2, 3, … per tenant and
//! linked by hash, read back newest first in pages or oldest first for verification, with a
//! separately recorded head, and gap-free when many requests append at once.

use std::sync::Arc;

use domain::{AuditEntry, TenantId};
use security::audit::GENESIS_HASH;
use store::{AuditFilter, Store};

use crate::support::{T0, append_events, create_tenant, entry_id, event, read_chain, verify};

async fn appends_are_numbered_and_linked(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    assert_eq!(store.audit_head(tenant.id).await.unwrap(), None);

    let first_event = event("auth.login");
    let first_id = entry_id();
    let first = store
        .append_audit(tenant.id, first_id, T0, &first_event)
        .await
        .unwrap();
    let rest = append_events(&store, tenant.id, 2).await;

    assert_eq!(first.tenant_id, tenant.id);
    assert_eq!(first.id, first_id);
    assert_eq!(first.at, T0);
    assert_eq!(first.event, first_event);
    assert_eq!([first.seq, rest[0].seq, rest[1].seq], [1, 2, 3]);
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(rest[0].prev_hash, first.hash);
    assert_eq!(rest[1].prev_hash, rest[0].hash);
    let (stored, head) = read_chain(&store, tenant.id).await;
    let appended = [vec![first.clone()], rest.clone()].concat();
    assert_eq!(without_ip(&stored), without_ip(&appended));
    assert_eq!(head, Some((3, rest[1].hash.clone())));
    // The source address is stored sealed (under the month's key), and the chain covers
    // what is stored: the store seals with the chain's own function, so the hash is
    // reproducible from the stored row.
    let sealed_ip = stored[0].event.source_ip.clone().unwrap();
    assert!(security::crypto::is_sealed_text(&sealed_ip), "{sealed_ip}");
    assert_ne!(Some(sealed_ip), first_event.source_ip);
    let resealed = security::audit::seal(
        tenant.id,
        1,
        first_id,
        T0,
        stored[0].event.clone(),
        GENESIS_HASH.to_owned(),
    );
    assert_eq!(first.hash, resealed.hash);
    // Reading the log for display opens it again.
    let listed = store.list_audit(tenant.id, None, 10).await.unwrap();
    assert_eq!(listed[2], first);
    assert_eq!(first.event, first_event);
}

/// Entries with their source addresses left out (stored sealed, returned clear).
pub(crate) fn without_ip(entries: &[domain::AuditEntry]) -> Vec<domain::AuditEntry> {
    entries
        .iter()
        .cloned()
        .map(|mut e| {
            e.event.source_ip = None;
            e
        })
        .collect()
}

async fn an_entry_without_optional_fields_round_trips(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let bare = domain::AuditEvent {
        actor_kind: domain::ActorKind::System,
        actor_id: None,
        auth_method: domain::AuthMethod::Cli,
        source_ip: None,
        request_id: None,
        action: "system.start".to_owned(),
        object_type: None,
        object_id: None,
        outcome: domain::Outcome::Denied,
    };

    let appended = store
        .append_audit(tenant.id, entry_id(), T0, &bare)
        .await
        .unwrap();

    let (stored, _) = read_chain(&store, tenant.id).await;
    assert_eq!(stored, [appended]);
    assert_eq!(stored[0].event, bare);
    assert_eq!(verify(&store, tenant.id).await.unwrap().count, 1);
}

async fn each_tenant_has_its_own_chain(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;
    append_events(&store, north.id, 3).await;

    let south_first = append_events(&store, south.id, 1).await.remove(0);

    assert_eq!(south_first.seq, 1);
    assert_eq!(south_first.prev_hash, GENESIS_HASH);
    assert_eq!(store.audit_head(north.id).await.unwrap().unwrap().0, 3);
    assert_eq!(
        store.audit_head(south.id).await.unwrap(),
        Some((1, south_first.hash))
    );
}

fn seqs(entries: &[AuditEntry]) -> Vec<i64> {
    entries.iter().map(|e| e.seq).collect()
}

/// Filters by action, actor, object, outcome and time; pages still go by sequence number.
async fn list_audit_filters_every_field_and_stays_in_the_tenant(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    append_events(&store, tenant.id, 6).await;
    append_events(&store, other.id, 6).await;
    let list = |filter: AuditFilter, before: Option<i64>| {
        let store = store.clone();
        async move {
            seqs(
                &store
                    .list_audit_filtered(tenant.id, before, 10, &filter)
                    .await
                    .unwrap(),
            )
        }
    };
    let action = |a: &str| AuditFilter {
        action: Some(a.to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(list(action("test.3"), None).await, [3]);
    assert_eq!(list(action("nothing"), None).await, Vec::<i64>::new());
    let between = AuditFilter {
        from: Some(T0.plus_secs(2)),
        to: Some(T0.plus_secs(5)),
        ..AuditFilter::default()
    };
    assert_eq!(list(between.clone(), None).await, [4, 3, 2]);
    assert_eq!(list(between, Some(4)).await, [3, 2]);
    let all = store.list_audit(tenant.id, None, 10).await.unwrap();
    let actor = all[0].event.actor_id.clone();
    let by_actor = AuditFilter {
        actor_id: actor.clone(),
        outcome: Some(all[0].event.outcome.as_str().to_owned()),
        ..AuditFilter::default()
    };
    // Each test event has an actor and an object of its own.
    assert_eq!(list(by_actor, None).await, [6], "{actor:?}");
    let object = AuditFilter {
        object_id: all[1].event.object_id.clone(),
        ..AuditFilter::default()
    };
    assert_eq!(list(object, None).await, [5]);
    let wrong = AuditFilter {
        outcome: Some("denied".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(list(wrong, None).await, Vec::<i64>::new());
}

async fn list_audit_pages_newest_first(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let entries = append_events(&store, tenant.id, 7).await;
    append_events(&store, other.id, 9).await;

    let newest = store.list_audit(tenant.id, None, 3).await.unwrap();
    assert_eq!(seqs(&newest), [7, 6, 5]);
    assert_eq!(newest[0], entries[6]);

    let next = store.list_audit(tenant.id, Some(5), 3).await.unwrap();
    assert_eq!(seqs(&next), [4, 3, 2]);
    let last = store.list_audit(tenant.id, Some(2), 3).await.unwrap();
    assert_eq!(seqs(&last), [1]);
    assert!(
        store
            .list_audit(tenant.id, Some(1), 3)
            .await
            .unwrap()
            .is_empty()
    );

    let all = store.list_audit(tenant.id, None, 100).await.unwrap();
    assert_eq!(seqs(&all), [7, 6, 5, 4, 3, 2, 1]);
    assert!(all.iter().all(|e| e.tenant_id == tenant.id));
}

async fn audit_page_ascending_pages_oldest_first(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let entries = append_events(&store, tenant.id, 5).await;
    append_events(&store, other.id, 4).await;

    let first = store.audit_page_ascending(tenant.id, 0, 2).await.unwrap();
    assert_eq!(without_ip(&first), without_ip(&entries[..2]));
    let second = store.audit_page_ascending(tenant.id, 2, 2).await.unwrap();
    assert_eq!(seqs(&second), [3, 4]);
    let third = store.audit_page_ascending(tenant.id, 4, 2).await.unwrap();
    assert_eq!(seqs(&third), [5]);
    assert!(
        store
            .audit_page_ascending(tenant.id, 5, 2)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn audit_head_follows_the_newest_entry(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    assert_eq!(store.audit_head(tenant.id).await.unwrap(), None);
    assert_eq!(verify(&store, tenant.id).await.unwrap().count, 0);

    for expected in 1..=3 {
        let entry = append_events(&store, tenant.id, 1).await.remove(0);
        assert_eq!(
            store.audit_head(tenant.id).await.unwrap(),
            Some((expected, entry.hash))
        );
    }
}

async fn heads_are_signed_once_a_key_is_set(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    // Before the key: unsigned, and nothing can sign it.
    let first = append_events(&store, tenant.id, 1).await.remove(0);
    assert_eq!(
        store.audit_head_signed(tenant.id).await.unwrap(),
        Some((1, first.hash.clone(), None))
    );
    assert!(
        !store
            .sign_audit_head(tenant.id, 1, &first.hash)
            .await
            .unwrap()
    );
    let key = b"a key of thirty-two bytes or more".to_vec();
    store.set_audit_key(key.clone());
    // The old head is signed once (and only as it is); new heads are signed as written.
    assert!(!store.sign_audit_head(tenant.id, 1, "f00").await.unwrap());
    assert!(
        store
            .sign_audit_head(tenant.id, 1, &first.hash)
            .await
            .unwrap()
    );
    assert!(
        !store
            .sign_audit_head(tenant.id, 1, &first.hash)
            .await
            .unwrap()
    );
    let (_, _, mac) = store.audit_head_signed(tenant.id).await.unwrap().unwrap();
    assert_eq!(
        mac.as_deref(),
        Some(security::audit::head_mac(&key, tenant.id, 1, &first.hash).as_str())
    );
    let second = append_events(&store, tenant.id, 1).await.remove(0);
    let (seq, hash, mac) = store.audit_head_signed(tenant.id).await.unwrap().unwrap();
    assert_eq!((seq, &hash), (2, &second.hash));
    assert!(security::audit::head_mac_matches(
        &key,
        tenant.id,
        2,
        &hash,
        &mac.unwrap()
    ));
}

/// Starts `count` appends to `tenant` together and returns the sequence numbers they got.
async fn append_concurrently(store: &Store, tenant: TenantId, count: usize) -> Vec<i64> {
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .append_audit(tenant, entry_id(), T0, &event(&format!("concurrent.{i}")))
                    .await
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap().unwrap().seq);
    }
    seqs.sort_unstable();
    seqs
}

async fn concurrent_appends_form_one_gap_free_chain(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;

    let seqs = append_concurrently(&store, tenant.id, 20).await;

    assert_eq!(seqs, (1..=20).collect::<Vec<i64>>());
    let verified = verify(&store, tenant.id).await.unwrap();
    assert_eq!(verified.count, 20);
    assert_eq!(verified.head_seq, 20);
    let (entries, _) = read_chain(&store, tenant.id).await;
    let mut actions: Vec<String> = entries.iter().map(|e| e.event.action.clone()).collect();
    actions.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("concurrent.{i}")).collect();
    expected.sort();
    assert_eq!(actions, expected);
}

async fn concurrent_appends_to_two_tenants_stay_apart(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;

    let (north_seqs, south_seqs) = tokio::join!(
        append_concurrently(&store, north.id, 10),
        append_concurrently(&store, south.id, 10),
    );

    assert_eq!(north_seqs, (1..=10).collect::<Vec<i64>>());
    assert_eq!(south_seqs, (1..=10).collect::<Vec<i64>>());
    assert_eq!(verify(&store, north.id).await.unwrap().count, 10);
    assert_eq!(verify(&store, south.id).await.unwrap().count, 10);
}

on_both_backends!(
    appends_are_numbered_and_linked,
    an_entry_without_optional_fields_round_trips,
    each_tenant_has_its_own_chain,
    list_audit_pages_newest_first,
    list_audit_filters_every_field_and_stays_in_the_tenant,
    audit_page_ascending_pages_oldest_first,
    audit_head_follows_the_newest_entry,
    heads_are_signed_once_a_key_is_set,
    concurrent_appends_form_one_gap_free_chain,
    concurrent_appends_to_two_tenants_stay_apart,
);
