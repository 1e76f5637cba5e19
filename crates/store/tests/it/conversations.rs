//! Flows, versions, widgets and conversations: versions numbered per flow and immutable,
//! rollback only to an existing version, widgets resolved to their tenant, and an engine step
//! written atomically with a compare-and-set on the last sequence number.

use domain::{Channel, ConversationId, FlowId, Redacted, Sender, TenantId, Timestamp};
use store::{
    Conversation, ConversationFilter, ConversationStatus, DraftSave, FlowRecord, Message,
    PhoneNumber, QueueEntry, StepWrite, Store, StoreError, Widget,
};

use crate::support::{Raw, T0, create_tenant};

fn new_flow(tenant: TenantId, name: &str) -> FlowRecord {
    FlowRecord {
        tenant_id: tenant,
        id: FlowId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        name: name.to_owned(),
        draft: format!("name: {name}"),
        active_version: None,
        created_at: T0,
        updated_at: T0,
        layout: "{}".to_owned(),
        revision: 1,
    }
}

fn widget(tenant: TenantId, id: &str, flow: Option<FlowId>) -> Widget {
    Widget {
        id: id.to_owned(),
        tenant_id: tenant,
        name: id.to_owned(),
        flow_id: flow,
        title: "Chat".to_owned(),
        primary_color: "#112233".to_owned(),
        greeting: "Hallo".to_owned(),
        allowed_origins: vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ],
        created_at: T0,
        updated_at: T0,
    }
}

fn conversation(tenant: TenantId, flow: FlowId, session_hash: &str) -> Conversation {
    Conversation {
        tenant_id: tenant,
        id: ConversationId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        channel: Channel::Chat,
        widget_id: Some("w".to_owned()),
        flow_id: flow,
        flow_version: 1,
        session_hash: session_hash.to_owned(),
        state: "{\"n\":0}".to_owned(),
        status: ConversationStatus::Active,
        last_seq: 0,
        created_at: T0,
        updated_at: T0,
    }
}

fn message(sender: Sender, body: &str, client_id: Option<&str>) -> Message {
    Message {
        seq: 0,
        sender,
        body: Redacted::new(body.to_owned()),
        choices: None,
        client_id: client_id.map(str::to_owned),
        at: T0,
    }
}

fn step(expected: i64, messages: Vec<Message>) -> StepWrite {
    StepWrite {
        expected_last_seq: expected,
        state: format!("{{\"n\":{expected}}}"),
        status: ConversationStatus::Active,
        messages,
        set_timers: Vec::new(),
        cancel_timers: Vec::new(),
        enqueue: None,
        dequeue: false,
        at: T0.plus_millis(expected + 1),
        create: None,
        deliver: false,
        routes: Vec::new(),
    }
}

async fn versions_count_up_per_flow_and_rollback_needs_an_existing_one(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let a = new_flow(tenant.id, "A");
    let b = new_flow(tenant.id, "B");
    store.insert_flow(&a).await.unwrap();
    store.insert_flow(&b).await.unwrap();
    assert_eq!(
        store
            .publish_flow_version(tenant.id, a.id, "v1", "", None, T0)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .publish_flow_version(tenant.id, a.id, "v2", "", None, T0)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .publish_flow_version(tenant.id, b.id, "b1", "", None, T0)
            .await
            .unwrap(),
        1
    );
    let read = store.get_flow(tenant.id, a.id).await.unwrap().unwrap();
    assert_eq!(read.active_version, Some(2));
    let versions = store.list_flow_versions(tenant.id, a.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(
        versions[1].source, "v1",
        "published sources stay as published"
    );

    // Editing the draft changes neither published version.
    assert_eq!(
        store
            .update_flow_draft(tenant.id, a.id, "A2", "draft 3", None, T0)
            .await
            .unwrap(),
        DraftSave::Saved { revision: 2 }
    );
    let v1 = store
        .get_flow_version(tenant.id, a.id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1.source, "v1");

    assert!(
        store
            .set_active_version(tenant.id, a.id, 1, T0)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_flow(tenant.id, a.id)
            .await
            .unwrap()
            .unwrap()
            .active_version,
        Some(1)
    );
    assert!(
        !store
            .set_active_version(tenant.id, a.id, 7, T0)
            .await
            .unwrap(),
        "no version 7"
    );
    let flows = store.list_flows(tenant.id).await.unwrap();
    assert_eq!(
        flows.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["A2", "B"]
    );
}

async fn concurrent_publishes_get_distinct_versions(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let f = new_flow(tenant.id, "F");
    store.insert_flow(&f).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .publish_flow_version(tenant.id, f.id, &format!("v{i}"), "", None, T0)
                .await
                .unwrap()
        }));
    }
    let mut got: Vec<i64> = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, (1..=8).collect::<Vec<_>>());
}

fn prompt(name: &str, ulaw: Vec<u8>, at: i64) -> store::Prompt {
    store::Prompt {
        info: store::PromptInfo {
            name: name.to_owned(),
            format: "mp3".to_owned(),
            source_bytes: 12_345,
            duration_ms: ulaw.len() as i64 / 8,
            created_at: Timestamp::from_millis(at),
            updated_at: Timestamp::from_millis(at),
        },
        ulaw,
    }
}

async fn prompts_are_kept_per_tenant_and_replaced_by_name(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let audio: Vec<u8> = (0..=255).cycle().take(16_000).collect();
    store
        .put_prompt(north.id, &prompt("welcome", audio.clone(), 1_000))
        .await
        .unwrap();
    let got = store
        .get_prompt(north.id, "welcome")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.ulaw, audio, "the audio comes back byte for byte");
    assert_eq!(got.info.duration_ms, 2000);
    assert_eq!(store.get_prompt(south.id, "welcome").await.unwrap(), None);
    assert!(store.list_prompts(south.id).await.unwrap().is_empty());
    assert!(!store.delete_prompt(south.id, "welcome").await.unwrap());

    // A new upload under the same name replaces the audio; the first upload's time stays.
    store
        .put_prompt(north.id, &prompt("welcome", vec![0xFF; 800], 5_000))
        .await
        .unwrap();
    store
        .put_prompt(north.id, &prompt("after-hours", vec![0x7F; 80], 6_000))
        .await
        .unwrap();
    let listed = store.list_prompts(north.id).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["after-hours", "welcome"]);
    let welcome = &listed[1];
    assert_eq!(welcome.duration_ms, 100);
    assert_eq!(welcome.created_at, Timestamp::from_millis(1_000));
    assert_eq!(welcome.updated_at, Timestamp::from_millis(5_000));

    assert!(store.delete_prompt(north.id, "welcome").await.unwrap());
    assert_eq!(store.get_prompt(north.id, "welcome").await.unwrap(), None);
    assert_eq!(store.list_prompts(north.id).await.unwrap().len(), 1);
}

async fn widgets_resolve_to_their_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let w = widget(north.id, "north-chat", None);
    store.insert_widget(&w).await.unwrap();
    assert_eq!(
        store.resolve_widget("north-chat").await.unwrap(),
        Some(north.id)
    );
    assert_eq!(store.resolve_widget("nope").await.unwrap(), None);
    assert_eq!(
        store.get_widget(north.id, "north-chat").await.unwrap(),
        Some(w.clone())
    );
    assert_eq!(
        store.get_widget(south.id, "north-chat").await.unwrap(),
        None
    );
    assert!(matches!(
        store
            .insert_widget(&widget(south.id, "north-chat", None))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut changed = w.clone();
    changed.title = "Neu".to_owned();
    changed.allowed_origins = vec!["*".to_owned()];
    assert!(store.update_widget(&changed).await.unwrap());
    assert_eq!(
        store.get_widget(north.id, "north-chat").await.unwrap(),
        Some(changed.clone())
    );
    let mut foreign = changed.clone();
    foreign.tenant_id = south.id;
    assert!(
        !store.update_widget(&foreign).await.unwrap(),
        "another tenant cannot change it"
    );
    assert_eq!(
        store.list_widgets(south.id).await.unwrap(),
        Vec::<Widget>::new()
    );
}

async fn a_step_is_atomic_and_ordered(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let f = new_flow(tenant.id, "F");
    store.insert_flow(&f).await.unwrap();
    let c = conversation(tenant.id, f.id, "hash-1");
    store.insert_conversation(&c).await.unwrap();
    assert_eq!(
        store
            .find_conversation_by_session(tenant.id, "hash-1")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(c.id)
    );

    let mut first = step(
        0,
        vec![
            message(Sender::Bot, "Hallo", None),
            message(Sender::Bot, "Menü", None),
        ],
    );
    first.set_timers = vec![(1, T0.plus_millis(10_000))];
    store.save_step(tenant.id, c.id, &first).await.unwrap();
    let mut second = step(
        2,
        vec![
            message(Sender::User, "1", Some("client-a")),
            message(Sender::Bot, "PLZ?", None),
        ],
    );
    second.cancel_timers = vec![1];
    second.set_timers = vec![(2, T0.plus_millis(20_000))];
    store.save_step(tenant.id, c.id, &second).await.unwrap();

    let read = store
        .get_conversation(tenant.id, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.last_seq, 4);
    assert_eq!(read.state, "{\"n\":2}");
    let all = store.messages_after(tenant.id, c.id, 0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(all[2].body.expose(), "1");
    assert_eq!(all[2].client_id.as_deref(), Some("client-a"));
    assert_eq!(
        store
            .messages_after(tenant.id, c.id, 3, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .find_client_message(tenant.id, c.id, "client-a")
            .await
            .unwrap(),
        Some(3)
    );
    assert_eq!(
        store
            .find_client_message(tenant.id, c.id, "client-b")
            .await
            .unwrap(),
        None
    );

    // A stale step (someone else advanced the conversation) writes nothing.
    let stale = step(2, vec![message(Sender::Bot, "doppelt", None)]);
    assert!(matches!(
        store.save_step(tenant.id, c.id, &stale).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .messages_after(tenant.id, c.id, 0, 100)
            .await
            .unwrap()
            .len(),
        4
    );

    // The same client id twice is refused by the store as well.
    let dup = step(4, vec![message(Sender::User, "1", Some("client-a"))]);
    assert!(store.save_step(tenant.id, c.id, &dup).await.is_err());
    assert_eq!(
        store
            .get_conversation(tenant.id, c.id)
            .await
            .unwrap()
            .unwrap()
            .last_seq,
        4,
        "rolled back"
    );

    // Timers: only timer 2 is left, and it is due at its time.
    assert!(
        store
            .due_timers(T0.plus_millis(19_999), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.due_timers(T0.plus_millis(20_000), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].conversation_id, due[0].timer_id), (c.id, 2));
    assert!(store.take_timer(tenant.id, c.id, 2).await.unwrap());
    assert!(
        !store.take_timer(tenant.id, c.id, 2).await.unwrap(),
        "a timer fires once"
    );
}

async fn queue_entries_follow_priority_then_waiting_time(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let f = new_flow(tenant.id, "F");
    store.insert_flow(&f).await.unwrap();
    let mut ids = Vec::new();
    for (i, priority) in [0i64, 5, 0].into_iter().enumerate() {
        let c = conversation(tenant.id, f.id, &format!("h{i}"));
        store.insert_conversation(&c).await.unwrap();
        let mut s = step(0, vec![message(Sender::Bot, "Warte", None)]);
        s.status = ConversationStatus::Queued;
        s.enqueue = Some(QueueEntry {
            conversation_id: c.id,
            queue: "beratung".to_owned(),
            priority,
            context: "{\"thema\":\"x\"}".to_owned(),
            enqueued_at: T0.plus_millis(i as i64 * 1000),
        });
        store.save_step(tenant.id, c.id, &s).await.unwrap();
        ids.push(c.id);
    }
    let queue = store.list_queue(tenant.id, "beratung").await.unwrap();
    assert_eq!(
        queue.iter().map(|e| e.conversation_id).collect::<Vec<_>>(),
        vec![ids[1], ids[0], ids[2]]
    );
    assert!(
        store
            .list_queue(tenant.id, "other")
            .await
            .unwrap()
            .is_empty()
    );
    let mut leave = step(1, vec![]);
    leave.dequeue = true;
    leave.status = ConversationStatus::Ended;
    store.save_step(tenant.id, ids[1], &leave).await.unwrap();
    assert_eq!(
        store.list_queue(tenant.id, "beratung").await.unwrap().len(),
        2
    );
    let ended = store
        .get_conversation(tenant.id, ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ConversationStatus::Ended);
}

async fn private_http_destinations_are_none_by_default_and_per_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let at = domain::Timestamp::from_millis(1_000);
    assert!(
        store
            .private_http_destinations(north.id)
            .await
            .unwrap()
            .is_empty()
    );
    for d in ["crm.internal:8443", "10.0.0.5:80"] {
        assert!(
            store
                .set_private_http_destination(north.id, d, true, at)
                .await
                .unwrap()
        );
    }
    // Opening twice changes nothing; the other tenant sees none of it.
    assert!(
        !store
            .set_private_http_destination(north.id, "10.0.0.5:80", true, at)
            .await
            .unwrap()
    );
    assert_eq!(
        store.private_http_destinations(north.id).await.unwrap(),
        ["10.0.0.5:80", "crm.internal:8443"]
    );
    assert!(
        store
            .private_http_destinations(south.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .set_private_http_destination(south.id, "10.0.0.5:80", false, at)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_private_http_destination(north.id, "10.0.0.5:80", false, at)
            .await
            .unwrap()
    );
    assert_eq!(
        store.private_http_destinations(north.id).await.unwrap(),
        ["crm.internal:8443"]
    );
    let unknown = TenantId::from_random_bytes([9; 16]);
    assert!(
        store
            .private_http_destinations(unknown)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn another_tenant_sees_none_of_it(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let f = new_flow(north.id, "F");
    store.insert_flow(&f).await.unwrap();
    store
        .publish_flow_version(north.id, f.id, "v1", "", None, T0)
        .await
        .unwrap();
    let c = conversation(north.id, f.id, "hash-n");
    store.insert_conversation(&c).await.unwrap();
    store
        .save_step(
            north.id,
            c.id,
            &step(0, vec![message(Sender::Bot, "Hallo", None)]),
        )
        .await
        .unwrap();

    assert_eq!(store.get_flow(south.id, f.id).await.unwrap(), None);
    assert!(
        store
            .list_flow_versions(south.id, f.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_flow_version(south.id, f.id, 1).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .update_flow_draft(south.id, f.id, "x", "x", None, T0)
            .await
            .unwrap(),
        DraftSave::Missing
    );
    assert!(
        !store
            .set_active_version(south.id, f.id, 1, T0)
            .await
            .unwrap()
    );
    assert!(matches!(
        store
            .publish_flow_version(south.id, f.id, "evil", "", None, T0)
            .await,
        Err(StoreError::NotFound { what: "flow" })
    ));
    assert_eq!(store.get_conversation(south.id, c.id).await.unwrap(), None);
    assert_eq!(
        store
            .find_conversation_by_session(south.id, "hash-n")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .messages_after(south.id, c.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .save_step(
                south.id,
                c.id,
                &step(1, vec![message(Sender::Bot, "x", None)])
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .get_conversation(north.id, c.id)
            .await
            .unwrap()
            .unwrap()
            .last_seq,
        1
    );
    assert_eq!(
        store.get_flow(north.id, f.id).await.unwrap().unwrap().name,
        "F"
    );
}

/// A draft saved on a stale revision is refused and changes nothing; the layout is kept apart
/// from the draft; a version keeps its note.
async fn drafts_have_revisions_and_a_layout_of_their_own(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let f = new_flow(tenant.id, "F");
    store.insert_flow(&f).await.unwrap();
    let save = |draft: &'static str, base: Option<i64>| {
        let store = store.clone();
        async move {
            store
                .update_flow_draft(tenant.id, f.id, "F", draft, base, T0)
                .await
                .unwrap()
        }
    };
    assert_eq!(save("one", Some(1)).await, DraftSave::Saved { revision: 2 });
    // Someone else saved revision 2 meanwhile: an edit based on revision 1 is stale.
    assert_eq!(save("two", Some(1)).await, DraftSave::Stale { revision: 2 });
    let read = store.get_flow(tenant.id, f.id).await.unwrap().unwrap();
    assert_eq!((read.draft.as_str(), read.revision), ("one", 2));
    assert_eq!(
        save("three", Some(2)).await,
        DraftSave::Saved { revision: 3 }
    );

    let layout = r#"{"greeting":{"x":10,"y":20}}"#;
    assert!(
        store
            .update_flow_layout(tenant.id, f.id, layout)
            .await
            .unwrap()
    );
    let read = store.get_flow(tenant.id, f.id).await.unwrap().unwrap();
    assert_eq!(read.layout, layout);
    assert_eq!(
        (read.draft.as_str(), read.revision),
        ("three", 3),
        "a layout is not an edit"
    );

    let other = FlowId::from_random_bytes(uuid::Uuid::new_v4().into_bytes());
    assert!(
        !store
            .update_flow_layout(tenant.id, other, layout)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .update_flow_draft(tenant.id, other, "F", "x", Some(1), T0)
            .await
            .unwrap(),
        DraftSave::Missing
    );
    let (south, _) = create_tenant(&store, "South", "south-admin").await;
    assert!(
        !store
            .update_flow_layout(south.id, f.id, "{}")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .update_flow_draft(south.id, f.id, "F", "x", None, T0)
            .await
            .unwrap(),
        DraftSave::Missing,
        "another tenant's flow"
    );

    store
        .publish_flow_version(tenant.id, f.id, "three", "first release", None, T0)
        .await
        .unwrap();
    let versions = store.list_flow_versions(tenant.id, f.id).await.unwrap();
    assert_eq!(versions[0].note, "first release");
}

on_both_backends!(
    drafts_have_revisions_and_a_layout_of_their_own,
    versions_count_up_per_flow_and_rollback_needs_an_existing_one,
    concurrent_publishes_get_distinct_versions,
    widgets_resolve_to_their_tenant,
    prompts_are_kept_per_tenant_and_replaced_by_name,
    phone_numbers_resolve_to_their_tenant,
    ending_a_conversation_drops_its_timers_and_queue_entry,
    a_new_conversation_is_created_with_its_first_step,
    recent_conversations_are_newest_first_and_the_tenants_own,
    conversations_are_searched_by_time_channel_and_flow_page_by_page,
    a_step_is_atomic_and_ordered,
    queue_entries_follow_priority_then_waiting_time,
    private_http_destinations_are_none_by_default_and_per_tenant,
    another_tenant_sees_none_of_it,
);

on_both_backends!(raw: words_no_enum_knows_make_a_corrupt_row);

/// Channel, sender and status are read back as enums; a stored word outside them is reported
/// as a corrupt row naming the field, not passed on as text.
async fn words_no_enum_knows_make_a_corrupt_row(store: Store, raw: Raw) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let flow = new_flow(tenant.id, "IVR");
    store.insert_flow(&flow).await.unwrap();
    let c = conversation(tenant.id, flow.id, "hash");
    let mut first = step(0, vec![message(Sender::Bot, "Hallo", None)]);
    first.create = Some(c.clone());
    store.save_step(tenant.id, c.id, &first).await.unwrap();
    let stored = store.messages_after(tenant.id, c.id, 0, 10).await.unwrap();
    assert_eq!(stored[0].sender, Sender::Bot);

    let edits = [
        "UPDATE messages SET sender = 'robot' WHERE tenant_id = $1",
        "UPDATE conversations SET channel = 'fax' WHERE tenant_id = $1",
    ];
    for sql in edits {
        assert_eq!(raw.execute(sql, tenant.id).await.unwrap(), 1, "{sql}");
    }
    let messages = store.messages_after(tenant.id, c.id, 0, 10).await;
    assert!(
        matches!(
            messages,
            Err(StoreError::Corrupt {
                what: "sender",
                source: Some(_)
            })
        ),
        "{messages:?}"
    );
    let conversation = store.get_conversation(tenant.id, c.id).await;
    assert!(
        matches!(
            conversation,
            Err(StoreError::Corrupt {
                what: "channel",
                ..
            })
        ),
        "{conversation:?}"
    );
}

async fn recent_conversations_are_newest_first_and_the_tenants_own(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let flow = new_flow(north.id, "IVR");
    store.insert_flow(&flow).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut c = conversation(north.id, flow.id, &format!("h{i}"));
        c.created_at = domain::Timestamp::from_millis(T0.millis() + i);
        store.insert_conversation(&c).await.unwrap();
        ids.push(c.id);
    }
    let recent: Vec<_> = store
        .recent_conversations(north.id, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(recent, vec![ids[2], ids[1]]);
    assert!(
        store
            .recent_conversations(south.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn conversations_are_searched_by_time_channel_and_flow_page_by_page(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let ivr = new_flow(north.id, "IVR");
    let chat = new_flow(north.id, "Chat");
    store.insert_flow(&ivr).await.unwrap();
    store.insert_flow(&chat).await.unwrap();
    let mut all = Vec::new();
    for i in 0..6i64 {
        let flow = if i % 2 == 0 { ivr.id } else { chat.id };
        let mut c = conversation(north.id, flow, &format!("s{i}"));
        c.channel = if i % 2 == 0 {
            Channel::Voice
        } else {
            Channel::Chat
        };
        // Two start in the same millisecond: the id orders them.
        c.created_at = domain::Timestamp::from_millis(T0.millis() + (i / 2) * 1000 + i % 2);
        store.insert_conversation(&c).await.unwrap();
        all.push(c);
    }
    let ids = |list: Vec<Conversation>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let newest_first: Vec<_> = all.iter().rev().map(|c| c.id).collect();
    let everything = ConversationFilter::default();
    assert_eq!(
        ids(store
            .search_conversations(north.id, &everything, 100)
            .await
            .unwrap()),
        newest_first
    );
    // Page by page: each page goes on after the last of the one before, nothing twice.
    let mut seen = Vec::new();
    let mut filter = ConversationFilter::default();
    loop {
        let page = store
            .search_conversations(north.id, &filter, 4)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        filter.after = Some((last.created_at, last.id));
        seen.extend(ids(page));
    }
    assert_eq!(seen, newest_first);
    // By channel, by flow, by time.
    let voice = ConversationFilter {
        channel: Some(Channel::Voice),
        ..ConversationFilter::default()
    };
    let got = store
        .search_conversations(north.id, &voice, 100)
        .await
        .unwrap();
    assert!(got.len() == 3 && got.iter().all(|c| c.channel == Channel::Voice));
    let by_flow = ConversationFilter {
        flow_id: Some(chat.id),
        ..ConversationFilter::default()
    };
    let got = store
        .search_conversations(north.id, &by_flow, 100)
        .await
        .unwrap();
    assert!(got.len() == 3 && got.iter().all(|c| c.flow_id == chat.id));
    let window = ConversationFilter {
        from: Some(domain::Timestamp::from_millis(T0.millis() + 1000)),
        to: Some(domain::Timestamp::from_millis(T0.millis() + 2000)),
        ..ConversationFilter::default()
    };
    assert_eq!(
        ids(store
            .search_conversations(north.id, &window, 100)
            .await
            .unwrap()),
        vec![all[3].id, all[2].id]
    );
    assert!(
        store
            .search_conversations(south.id, &everything, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_new_conversation_is_created_with_its_first_step(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "admin-s").await;
    let flow = new_flow(tenant.id, "IVR");
    store.insert_flow(&flow).await.unwrap();
    let c = conversation(tenant.id, flow.id, "new");
    let mut first = step(0, vec![message(Sender::Bot, "Hallo", None)]);
    first.create = Some(c.clone());
    // Filed under another tenant: refused, nothing written.
    assert!(matches!(
        store.save_step(other.id, c.id, &first).await,
        Err(StoreError::WrongTenant {
            what: "conversation"
        })
    ));
    assert!(
        store
            .get_conversation(tenant.id, c.id)
            .await
            .unwrap()
            .is_none()
    );
    store.save_step(tenant.id, c.id, &first).await.unwrap();
    let stored = store
        .get_conversation(tenant.id, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_seq, 1);
    assert_eq!(stored.state, first.state);
    // Creating it twice fails and changes nothing.
    assert!(store.save_step(tenant.id, c.id, &first).await.is_err());
    assert_eq!(
        store
            .messages_after(tenant.id, c.id, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn ending_a_conversation_drops_its_timers_and_queue_entry(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let flow = new_flow(tenant.id, "IVR");
    store.insert_flow(&flow).await.unwrap();
    let c = conversation(tenant.id, flow.id, "h");
    store.insert_conversation(&c).await.unwrap();
    let mut waiting = step(0, vec![message(Sender::Bot, "Bitte warten", None)]);
    waiting.set_timers = vec![(1, T0.plus_millis(1_000)), (2, T0.plus_millis(2_000))];
    waiting.status = ConversationStatus::Queued;
    waiting.enqueue = Some(QueueEntry {
        conversation_id: c.id,
        queue: "team".to_owned(),
        priority: 0,
        context: "{}".to_owned(),
        enqueued_at: T0,
    });
    store.save_step(tenant.id, c.id, &waiting).await.unwrap();
    assert_eq!(store.list_queue(tenant.id, "team").await.unwrap().len(), 1);
    let mut hangup = step(1, Vec::new());
    hangup.status = ConversationStatus::Ended;
    store.save_step(tenant.id, c.id, &hangup).await.unwrap();
    assert!(
        store
            .due_timers(T0.plus_millis(10_000), 10)
            .await
            .unwrap()
            .is_empty(),
        "no timer fires into an ended conversation"
    );
    assert!(
        store
            .list_queue(tenant.id, "team")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn phone_numbers_resolve_to_their_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let flow = new_flow(north.id, "IVR");
    store.insert_flow(&flow).await.unwrap();
    let n = PhoneNumber {
        number: "+4930123456".to_owned(),
        tenant_id: north.id,
        flow_id: Some(flow.id),
        language: Some("de".to_owned()),
        caller_id: domain::CallerIdMode::Identified,
        channels: vec![domain::Channel::Voice, domain::Channel::Sms],
        proxy: false,
        created_at: T0,
        updated_at: T0,
    };
    store.insert_phone_number(&n).await.unwrap();
    assert_eq!(
        store.resolve_phone_number("+4930123456").await.unwrap(),
        Some(n.clone())
    );
    assert_eq!(store.resolve_phone_number("+49").await.unwrap(), None);
    let mut taken = n.clone();
    taken.tenant_id = south.id;
    assert!(
        matches!(
            store.insert_phone_number(&taken).await,
            Err(StoreError::Conflict(_))
        ),
        "a number belongs to one tenant"
    );
    assert!(
        !store.update_phone_number(&taken).await.unwrap(),
        "another tenant cannot rebind it"
    );
    assert!(
        !store
            .delete_phone_number(south.id, "+4930123456")
            .await
            .unwrap(),
        "another tenant cannot remove it"
    );
    assert_eq!(store.list_phone_numbers(south.id).await.unwrap(), vec![]);
    let mut changed = n.clone();
    changed.flow_id = None;
    changed.language = None;
    changed.caller_id = domain::CallerIdMode::Anonymous;
    assert!(store.update_phone_number(&changed).await.unwrap());
    assert_eq!(
        store.list_phone_numbers(north.id).await.unwrap(),
        vec![changed]
    );
    assert!(
        store
            .delete_phone_number(north.id, "+4930123456")
            .await
            .unwrap()
    );
    assert_eq!(
        store.resolve_phone_number("+4930123456").await.unwrap(),
        None
    );
}
