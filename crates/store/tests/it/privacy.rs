//! Privacy in the store: pseudonyms are stable per tenant and purpose; a caller's address is
//! stored sealed and forgotten when it expires; erasing a conversation removes its rows and
//! its keys (its recordings' too) and nothing of anyone else's; the retention queries find
//! only what is old enough; shredding an audit month leaves the entries and the chain intact.

use domain::{ConversationStatus, PrivacySettings, Redacted, Retention, TenantId, Timestamp};
use store::vault::kind;
use store::{CcNote, CcTask, CcWrite, StepWrite, Store, StoreError};

use crate::at_rest::{flow, start};
use crate::support::{Raw, T0, create_tenant, entry_id, event, verify};

on_both_backends!(raw:
    contacts_are_found_by_pseudonym_and_addresses_are_sealed_until_they_expire,
    erasing_a_conversation_removes_its_rows_and_keys_and_nothing_else,
);
on_both_backends!(
    settings_default_and_round_trip,
    retention_finds_only_what_is_old_enough,
    shredding_an_audit_month_hides_its_addresses_and_keeps_the_chain,
);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn settings_default_and_round_trip(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    assert_eq!(
        store.privacy_settings(tenant.id).await.unwrap(),
        PrivacySettings::default()
    );
    let changed = PrivacySettings {
        retention: Retention {
            transcripts_days: 7,
            ..Retention::default()
        },
        audit_source_ip: domain::CallerIdMode::Anonymous,
    };
    store
        .put_privacy_settings(tenant.id, &changed, T0)
        .await
        .unwrap();
    store
        .put_privacy_settings(tenant.id, &changed, T0)
        .await
        .unwrap();
    assert_eq!(store.privacy_settings(tenant.id).await.unwrap(), changed);
    assert_eq!(
        store.privacy_settings(other.id).await.unwrap(),
        PrivacySettings::default(),
        "another tenant's settings are its own"
    );
}

async fn contacts_are_found_by_pseudonym_and_addresses_are_sealed_until_they_expire(
    store: Store,
    raw: Raw,
) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let number = "+4930123456";
    let p = store
        .pseudonym(tenant.id, "caller", number, T0)
        .await
        .unwrap();
    assert_eq!(
        p,
        store
            .pseudonym(tenant.id, "caller", number, T0)
            .await
            .unwrap()
    );
    assert!(!p.contains("123456"));
    assert_ne!(
        p,
        store
            .pseudonym(other.id, "caller", number, T0)
            .await
            .unwrap(),
        "each tenant has its own pseudonym key"
    );
    assert_ne!(
        p,
        store
            .pseudonym(tenant.id, "source_ip", number, T0)
            .await
            .unwrap()
    );

    let f = flow(&store, tenant.id).await;
    let first = start(&store, tenant.id, f, &["Hallo"]).await;
    let second = start(&store, tenant.id, f, &["Nochmal"]).await;
    store
        .record_contact(tenant.id, first, &p, Some(number), false, T0)
        .await
        .unwrap();
    store
        .record_contact(tenant.id, second, &p, None, false, T0.plus_millis(DAY_MS))
        .await
        .unwrap();
    let stored = raw
        .texts(
            "SELECT address FROM conversation_contacts WHERE tenant_id = $1 AND address IS NOT NULL",
            tenant.id,
        )
        .await;
    assert_eq!(stored.len(), 1);
    assert!(
        security::crypto::is_sealed_text(&stored[0]) && !stored[0].contains("123456"),
        "{stored:?}"
    );
    assert_eq!(
        store.conversation_contact(tenant.id, first).await.unwrap(),
        Some((p.clone(), Some(number.to_owned())))
    );
    assert_eq!(
        store.conversation_contact(tenant.id, second).await.unwrap(),
        Some((p.clone(), None))
    );
    assert_eq!(
        store.conversations_of_contact(tenant.id, &p).await.unwrap(),
        vec![first, second]
    );
    assert!(
        store
            .conversations_of_contact(other.id, &p)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.conversation_contact(other.id, first).await.unwrap(),
        None,
        "another tenant does not see it"
    );

    // The address expires; the pseudonym stays.
    assert_eq!(store.expire_addresses(tenant.id, T0).await.unwrap(), 0);
    assert_eq!(
        store
            .expire_addresses(tenant.id, T0.plus_millis(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.conversation_contact(tenant.id, first).await.unwrap(),
        Some((p.clone(), None))
    );
}

async fn erasing_a_conversation_removes_its_rows_and_keys_and_nothing_else(store: Store, raw: Raw) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let f = flow(&store, tenant.id).await;
    let gone = start(&store, tenant.id, f, &["Ich brauche Hilfe"]).await;
    let kept = start(&store, tenant.id, f, &["Andere Person"]).await;
    let g = flow(&store, other.id).await;
    let theirs = start(&store, other.id, g, &["Fremd"]).await;
    for (t, c) in [(tenant.id, gone), (tenant.id, kept), (other.id, theirs)] {
        let task = CcTask {
            id: format!("task-{c}"),
            conversation_id: c,
            queue: "beratung".to_owned(),
            state: "pending".to_owned(),
            agent_id: None,
            live: true,
            record: Redacted::new("{}".to_owned()),
            created_at: T0,
            updated_at: T0,
        };
        store
            .save_cc(
                t,
                &CcWrite {
                    tasks: vec![task],
                    ..CcWrite::default()
                },
            )
            .await
            .unwrap();
    }
    store
        .insert_cc_note(
            tenant.id,
            &CcNote {
                id: "n1".to_owned(),
                conversation_id: gone,
                author_id: admin.id,
                body: Redacted::new("Rückruf".to_owned()),
                at: T0,
            },
        )
        .await
        .unwrap();
    store
        .record_contact(tenant.id, gone, "p_x", Some("+49301"), false, T0)
        .await
        .unwrap();
    let recording = format!("{gone}-1000");
    let sealed = store
        .seal_object_bytes(tenant.id, kind::RECORDING, &recording, b"RIFF", T0)
        .await
        .unwrap();
    let other_recording = format!("{kept}-1000");
    store
        .seal_object_bytes(tenant.id, kind::RECORDING, &other_recording, b"RIFF", T0)
        .await
        .unwrap();

    let erased = store.erase_conversation(tenant.id, gone).await.unwrap();
    assert!(erased.conversation);
    assert_eq!(erased.recordings, vec![recording.clone()]);
    assert!(
        store
            .get_conversation(tenant.id, gone)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .messages_after(tenant.id, gone, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .cc_tasks_of_conversation(tenant.id, gone)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_cc_notes(tenant.id, gone)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.conversation_contact(tenant.id, gone).await.unwrap(),
        None
    );
    let keys = raw
        .texts(
            "SELECT object_id FROM data_keys WHERE tenant_id = $1",
            tenant.id,
        )
        .await;
    assert!(
        !keys.contains(&gone.to_string()) && !keys.contains(&recording),
        "{keys:?}"
    );
    assert!(matches!(
        store
            .open_object_bytes(tenant.id, kind::RECORDING, &recording, &sealed)
            .await,
        Err(StoreError::Undecryptable { .. })
    ));
    for (t, c) in [(tenant.id, kept), (other.id, theirs)] {
        assert!(store.get_conversation(t, c).await.unwrap().is_some());
        assert_eq!(store.messages_after(t, c, 0, 10).await.unwrap().len(), 1);
        assert_eq!(store.cc_tasks_of_conversation(t, c).await.unwrap().len(), 1);
    }
    assert!(keys.contains(&kept.to_string()) && keys.contains(&other_recording));
    // Erasing again finds nothing; another tenant cannot erase it.
    assert_eq!(
        store.erase_conversation(tenant.id, gone).await.unwrap(),
        store::Erased::default()
    );
    assert!(
        !store
            .erase_conversation(tenant.id, theirs)
            .await
            .unwrap()
            .conversation
    );
    assert!(
        store
            .get_conversation(other.id, theirs)
            .await
            .unwrap()
            .is_some()
    );
}

/// Ends a conversation at `at` (after its first step).
async fn end(store: &Store, tenant: TenantId, c: domain::ConversationId, at: Timestamp) {
    let step = StepWrite {
        expected_last_seq: 1,
        state: "{}".to_owned(),
        status: ConversationStatus::Ended,
        messages: Vec::new(),
        set_timers: Vec::new(),
        cancel_timers: Vec::new(),
        enqueue: None,
        dequeue: true,
        at,
        create: None,
        deliver: false,
        routes: Vec::new(),
    };
    store.save_step(tenant, c, &step).await.unwrap();
}

async fn retention_finds_only_what_is_old_enough(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let f = flow(&store, tenant.id).await;
    let old = start(&store, tenant.id, f, &["alt"]).await;
    end(&store, tenant.id, old, T0).await;
    let recent = start(&store, tenant.id, f, &["neu"]).await;
    end(&store, tenant.id, recent, T0.plus_millis(10 * DAY_MS)).await;
    let running = start(&store, tenant.id, f, &["läuft"]).await;
    let g = flow(&store, other.id).await;
    let theirs = start(&store, other.id, g, &["fremd"]).await;
    end(&store, other.id, theirs, T0).await;

    let cutoff = T0.plus_millis(5 * DAY_MS);
    assert_eq!(
        store
            .ended_conversations_before(tenant.id, cutoff, 10)
            .await
            .unwrap(),
        vec![old],
        "ended, old enough, this tenant's: not {recent} (recent) nor {running} (running)"
    );

    for (id, at) in [("a-1", T0), ("b-1", T0.plus_millis(10 * DAY_MS))] {
        store
            .seal_object_bytes(tenant.id, kind::RECORDING, id, b"RIFF", at)
            .await
            .unwrap();
    }
    store
        .seal_object_bytes(other.id, kind::RECORDING, "c-1", b"RIFF", T0)
        .await
        .unwrap();
    assert_eq!(
        store
            .expire_keys(tenant.id, kind::RECORDING, cutoff, 10)
            .await
            .unwrap(),
        vec!["a-1".to_owned()]
    );
    assert!(
        store
            .expire_keys(tenant.id, kind::RECORDING, cutoff, 10)
            .await
            .unwrap()
            .is_empty(),
        "each key goes once"
    );
    assert_eq!(
        store
            .open_object_bytes(
                other.id,
                kind::RECORDING,
                "c-1",
                &store
                    .seal_object_bytes(other.id, kind::RECORDING, "c-1", b"RIFF", T0)
                    .await
                    .unwrap()
            )
            .await
            .unwrap(),
        b"RIFF",
        "another tenant's key stays"
    );
}

async fn shredding_an_audit_month_hides_its_addresses_and_keeps_the_chain(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let later = T0.plus_millis(40 * DAY_MS);
    for at in [T0, T0.plus_secs(1), later] {
        store
            .append_audit(tenant.id, entry_id(), at, &event("test.x"))
            .await
            .unwrap();
    }
    let month = |t: Timestamp| t.to_rfc3339().chars().take(7).collect::<String>();
    assert_eq!(
        store
            .expire_audit_months(tenant.id, &month(T0))
            .await
            .unwrap(),
        Vec::<String>::new(),
        "nothing before the first month"
    );
    assert_eq!(
        store
            .expire_audit_months(tenant.id, &month(later))
            .await
            .unwrap(),
        vec![month(T0)]
    );
    let listed = store.list_audit(tenant.id, None, 10).await.unwrap();
    let ips: Vec<Option<String>> = listed.iter().map(|e| e.event.source_ip.clone()).collect();
    assert_eq!(ips, [Some("192.0.2.7".to_owned()), None, None]);
    let verified = verify(&store, tenant.id).await.expect("the chain verifies");
    assert_eq!(verified.count, 3);
}
