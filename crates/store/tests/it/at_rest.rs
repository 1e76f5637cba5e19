//! Callers' data at rest: every personal column is stored sealed and read back in clear; a
//! sealed value copied into another row or tenant does not open; shredding a data key makes
//! only its object unreadable; nothing is read or written without the right root key;
//! rotating a tenant key re-wraps data keys and rewrites no value; values an older version
//! stored in clear are sealed at start-up.

use domain::{Channel, ConversationId, FlowId, Redacted, Sender, TenantId};
use store::{
    CcNote, CcTask, CcWrite, Conversation, ConversationStatus, FlowRecord, Message, QueueEntry,
    StepWrite, Store, StoreError,
};

use crate::support::{Raw, Reopen, T0, create_tenant, test_root_key};

on_both_backends!(raw:
    personal_data_is_stored_sealed_and_read_back_in_clear,
    a_sealed_value_moved_to_another_row_or_tenant_does_not_open,
    values_an_older_version_stored_in_clear_are_sealed_at_start,
);
on_both_backends!(shredding_a_key_makes_only_its_object_unreadable);
on_both_backends!(reopen:
    nothing_is_read_or_written_without_the_right_root_key,
    rotating_a_tenant_key_rewraps_data_keys_and_rewrites_no_value,
);

const WORDS: &str = "Ich will nicht mehr leben";

pub(crate) async fn flow(store: &Store, tenant: TenantId) -> FlowId {
    let flow = FlowRecord {
        tenant_id: tenant,
        id: FlowId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        name: "IVR".to_owned(),
        draft: "name: IVR".to_owned(),
        active_version: None,
        created_at: T0,
        updated_at: T0,
        layout: "{}".to_owned(),
        revision: 1,
    };
    store.insert_flow(&flow).await.unwrap();
    flow.id
}

/// A new conversation whose first step holds the caller's words, in its state, transcript
/// and queue entry.
pub(crate) async fn start(
    store: &Store,
    tenant: TenantId,
    flow: FlowId,
    words: &[&str],
) -> ConversationId {
    let c = Conversation {
        tenant_id: tenant,
        id: ConversationId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        channel: Channel::Chat,
        widget_id: None,
        flow_id: flow,
        flow_version: 1,
        session_hash: uuid::Uuid::new_v4().to_string(),
        state: "{}".to_owned(),
        status: ConversationStatus::Active,
        last_seq: 0,
        created_at: T0,
        updated_at: T0,
    };
    let step = StepWrite {
        expected_last_seq: 0,
        state: format!("{{\"said\":{:?}}}", words.join(" / ")),
        status: ConversationStatus::Active,
        messages: words
            .iter()
            .map(|w| Message {
                seq: 0,
                sender: Sender::User,
                body: Redacted::new((*w).to_owned()),
                choices: None,
                client_id: None,
                at: T0,
            })
            .collect(),
        set_timers: Vec::new(),
        cancel_timers: Vec::new(),
        enqueue: Some(QueueEntry {
            conversation_id: c.id,
            queue: "beratung".to_owned(),
            priority: 0,
            context: format!("{{\"transcript\":{:?}}}", words.join(" / ")),
            enqueued_at: T0,
        }),
        dequeue: false,
        at: T0,
        create: Some(c.clone()),
        deliver: false,
        routes: Vec::new(),
    };
    store.save_step(tenant, c.id, &step).await.unwrap();
    c.id
}

fn bodies(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.body.expose().clone()).collect()
}

fn is_undecryptable<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Undecryptable { .. }))
}

async fn personal_data_is_stored_sealed_and_read_back_in_clear(store: Store, raw: Raw) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let flow = flow(&store, tenant.id).await;
    let c = start(&store, tenant.id, flow, &[WORDS]).await;
    let write = CcWrite {
        tasks: vec![CcTask {
            id: "t1".to_owned(),
            conversation_id: c,
            queue: "beratung".to_owned(),
            state: "pending".to_owned(),
            agent_id: None,
            live: true,
            record: Redacted::new(format!("{{\"context\":{WORDS:?}}}")),
            created_at: T0,
            updated_at: T0,
        }],
        ..CcWrite::default()
    };
    store.save_cc(tenant.id, &write).await.unwrap();
    let note = CcNote {
        id: "n1".to_owned(),
        conversation_id: c,
        author_id: admin.id,
        body: Redacted::new(format!("Anrufer sagt: {WORDS}")),
        at: T0,
    };
    store.insert_cc_note(tenant.id, &note).await.unwrap();
    assert!(
        store
            .set_totp_secret(tenant.id, admin.id, Some("JBSWY3DPEHPK3PXP"), T0)
            .await
            .unwrap()
    );

    for sql in [
        "SELECT state FROM conversations WHERE tenant_id = $1",
        "SELECT body FROM messages WHERE tenant_id = $1",
        "SELECT context FROM queue_entries WHERE tenant_id = $1",
        "SELECT record FROM cc_tasks WHERE tenant_id = $1",
        "SELECT body FROM cc_notes WHERE tenant_id = $1",
        "SELECT totp_secret FROM users WHERE tenant_id = $1 AND totp_secret IS NOT NULL",
    ] {
        let stored = raw.texts(sql, tenant.id).await;
        assert_eq!(stored.len(), 1, "{sql}");
        assert!(stored[0].starts_with("enc1."), "{sql}: {}", stored[0]);
        for clear in ["leben", "JBSWY3DP", "said", "transcript", "context"] {
            assert!(!stored[0].contains(clear), "{sql} shows {clear:?}");
        }
    }

    let conversation = store.get_conversation(tenant.id, c).await.unwrap().unwrap();
    assert!(conversation.state.contains(WORDS));
    let messages = store.messages_after(tenant.id, c, 0, 10).await.unwrap();
    assert_eq!(bodies(&messages), [WORDS]);
    let queue = store.list_queue(tenant.id, "beratung").await.unwrap();
    assert!(queue[0].context.contains(WORDS));
    let tasks = store.cc_tasks_of_conversation(tenant.id, c).await.unwrap();
    assert!(tasks[0].record.expose().contains(WORDS));
    let notes = store.list_cc_notes(tenant.id, c).await.unwrap();
    assert_eq!(notes[0].body.expose(), &format!("Anrufer sagt: {WORDS}"));
    let user = store.get_user(tenant.id, admin.id).await.unwrap().unwrap();
    assert_eq!(user.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
}

async fn a_sealed_value_moved_to_another_row_or_tenant_does_not_open(store: Store, raw: Raw) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "root").await;
    let north_flow = flow(&store, north.id).await;
    let south_flow = flow(&store, south.id).await;
    let c = start(&store, north.id, north_flow, &[WORDS, "Hallo"]).await;
    let other = start(&store, south.id, south_flow, &["Guten Tag"]).await;

    // Message 1's ciphertext copied over message 2 of the same conversation.
    let moved = raw
        .execute(
            "UPDATE messages SET body = (SELECT m.body FROM messages m WHERE m.tenant_id = $1 AND \
             m.seq = 1) WHERE tenant_id = $1 AND seq = 2",
            north.id,
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let messages = store.messages_after(north.id, c, 0, 10).await;
    assert!(is_undecryptable(&messages), "{messages:?}");
    // The first message is still readable on its own.
    let first = store.messages_after(north.id, c, 0, 1).await.unwrap();
    assert_eq!(bodies(&first), [WORDS]);

    // North's state copied into South's conversation: South cannot read it, North still can.
    let moved = raw
        .execute(
            "UPDATE conversations SET state = (SELECT c.state FROM conversations c WHERE \
             c.tenant_id = $1) WHERE tenant_id <> $1",
            north.id,
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let read = store.get_conversation(south.id, other).await;
    assert!(is_undecryptable(&read), "{read:?}");
    assert!(
        store
            .recent_conversations(south.id, 10)
            .await
            .unwrap()
            .is_empty(),
        "a list leaves the unreadable conversation out instead of failing"
    );
    let north_read = store.get_conversation(north.id, c).await.unwrap().unwrap();
    assert!(north_read.state.contains(WORDS));

    // One altered character: the tag no longer verifies.
    raw.execute(
        "UPDATE queue_entries SET context = context || 'A' WHERE tenant_id = $1",
        north.id,
    )
    .await
    .unwrap();
    assert!(
        store
            .list_queue(north.id, "beratung")
            .await
            .unwrap()
            .is_empty(),
        "the altered entry is left out of the list"
    );
}

async fn shredding_a_key_makes_only_its_object_unreadable(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let flow = flow(&store, tenant.id).await;
    let erased = start(&store, tenant.id, flow, &[WORDS]).await;
    let kept = start(&store, tenant.id, flow, &["Hallo"]).await;

    assert!(
        store
            .shred(
                tenant.id,
                store::vault::kind::CONVERSATION,
                &erased.to_string()
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .shred(
                tenant.id,
                store::vault::kind::CONVERSATION,
                &erased.to_string()
            )
            .await
            .unwrap(),
        "a key is shredded once"
    );
    let read = store.get_conversation(tenant.id, erased).await;
    assert!(is_undecryptable(&read), "{read:?}");
    let messages = store.messages_after(tenant.id, erased, 0, 10).await;
    assert!(is_undecryptable(&messages), "{messages:?}");

    let listed = store.recent_conversations(tenant.id, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        [kept],
        "the other conversation is untouched"
    );
    let messages = store.messages_after(tenant.id, kept, 0, 10).await.unwrap();
    assert_eq!(bodies(&messages), ["Hallo"]);
}

async fn nothing_is_read_or_written_without_the_right_root_key(
    store: Store,
    raw: Raw,
    reopen: Reopen,
) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let flow = flow(&store, tenant.id).await;
    let c = start(&store, tenant.id, flow, &[WORDS]).await;
    assert!(store.has_root_key_check().await.unwrap());

    let locked = reopen.open().await;
    let read = locked.get_conversation(tenant.id, c).await;
    assert!(matches!(read, Err(StoreError::Locked)), "{read:?}");
    let second = locked.messages_after(tenant.id, c, 0, 10).await;
    assert!(matches!(second, Err(StoreError::Locked)), "{second:?}");
    let fresh = Conversation {
        tenant_id: tenant.id,
        id: ConversationId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        channel: Channel::Chat,
        widget_id: None,
        flow_id: flow,
        flow_version: 1,
        session_hash: "locked".to_owned(),
        state: "{\"clear\":true}".to_owned(),
        status: ConversationStatus::Active,
        last_seq: 0,
        created_at: T0,
        updated_at: T0,
    };
    let write = locked.insert_conversation(&fresh).await;
    assert!(matches!(write, Err(StoreError::Locked)), "{write:?}");
    assert_eq!(
        raw.texts(
            "SELECT state FROM conversations WHERE tenant_id = $1",
            tenant.id
        )
        .await
        .len(),
        1,
        "a locked store wrote nothing"
    );

    let wrong = locked
        .unlock(security::crypto::Key::from_bytes([1; 32]))
        .await;
    assert!(matches!(wrong, Err(StoreError::WrongRootKey)), "{wrong:?}");
    let still = locked.get_conversation(tenant.id, c).await;
    assert!(matches!(still, Err(StoreError::Locked)), "{still:?}");
    locked.close().await;

    let restarted = reopen.open().await;
    assert!(
        !restarted.unlock(test_root_key()).await.unwrap(),
        "the check exists: nothing is written"
    );
    let read = restarted
        .get_conversation(tenant.id, c)
        .await
        .unwrap()
        .unwrap();
    assert!(read.state.contains(WORDS));
    restarted.close().await;
}

async fn rotating_a_tenant_key_rewraps_data_keys_and_rewrites_no_value(
    store: Store,
    raw: Raw,
    reopen: Reopen,
) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "root").await;
    let north_flow = flow(&store, north.id).await;
    let south_flow = flow(&store, south.id).await;
    let mut conversations = Vec::new();
    for words in [WORDS, "Hallo", "Guten Abend"] {
        conversations.push(start(&store, north.id, north_flow, &[words]).await);
    }
    let south_c = start(&store, south.id, south_flow, &["Moin"]).await;
    const VALUES: &str = "SELECT body FROM messages WHERE tenant_id = $1 ORDER BY body";
    let before = raw.texts(VALUES, north.id).await;
    assert_eq!(store.tenant_key_versions(north.id).await.unwrap(), [1]);

    let (version, rewrapped) = store.rotate_tenant_key(north.id, T0).await.unwrap();
    assert_eq!((version, rewrapped), (2, 3));
    assert_eq!(
        store.tenant_key_versions(north.id).await.unwrap(),
        [2],
        "the old version wraps nothing any more and is gone"
    );
    assert_eq!(
        raw.texts(VALUES, north.id).await,
        before,
        "no value rewritten"
    );
    assert_eq!(store.tenant_key_versions(south.id).await.unwrap(), [1]);

    // A restarted server (no cached keys) reads everything under the new version.
    let restarted = reopen.open().await;
    restarted.unlock(test_root_key()).await.unwrap();
    for c in &conversations {
        assert_eq!(
            restarted
                .messages_after(north.id, *c, 0, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
    let south_read = restarted
        .messages_after(south.id, south_c, 0, 10)
        .await
        .unwrap();
    assert_eq!(bodies(&south_read), ["Moin"]);
    // New conversations get keys under the new version; a second rotation moves them too.
    start(&restarted, north.id, north_flow, &["Noch eine"]).await;
    assert_eq!(
        restarted.rotate_tenant_key(north.id, T0).await.unwrap(),
        (3, 4)
    );
    restarted.close().await;
}

async fn values_an_older_version_stored_in_clear_are_sealed_at_start(store: Store, raw: Raw) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let flow = flow(&store, tenant.id).await;
    let c = start(&store, tenant.id, flow, &[WORDS]).await;
    // What a database from before encryption at rest holds: values in clear, no data keys.
    for sql in [
        "UPDATE conversations SET state = '{\"legacy\":true}' WHERE tenant_id = $1",
        "UPDATE messages SET body = 'alte Nachricht' WHERE tenant_id = $1",
        "UPDATE queue_entries SET context = '{\"old\":1}' WHERE tenant_id = $1",
        "DELETE FROM data_keys WHERE tenant_id = $1",
    ] {
        raw.execute(sql, tenant.id).await.unwrap();
    }
    let read = store.get_conversation(tenant.id, c).await;
    assert!(
        is_undecryptable(&read),
        "a value in clear is never passed through as if it were sealed: {read:?}"
    );

    assert_eq!(store.seal_plaintext(T0).await.unwrap(), 3);
    assert_eq!(
        store.seal_plaintext(T0).await.unwrap(),
        0,
        "nothing left to seal"
    );
    for sql in [
        "SELECT state FROM conversations WHERE tenant_id = $1",
        "SELECT body FROM messages WHERE tenant_id = $1",
        "SELECT context FROM queue_entries WHERE tenant_id = $1",
    ] {
        let stored = raw.texts(sql, tenant.id).await;
        assert!(stored[0].starts_with("enc1."), "{sql}");
    }
    let read = store.get_conversation(tenant.id, c).await.unwrap().unwrap();
    assert_eq!(read.state, "{\"legacy\":true}");
    let messages = store.messages_after(tenant.id, c, 0, 10).await.unwrap();
    assert_eq!(bodies(&messages), ["alte Nachricht"]);
    let queue = store.list_queue(tenant.id, "beratung").await.unwrap();
    assert_eq!(queue[0].context, "{\"old\":1}");
}
