//! Messaging: a contact's thread on a number, provider message ids taken once, and delivery
//! rows written in the step that writes the message, moved by status reports, found by the
//! provider's id within the tenant only, and gone with the conversation's erasure.

use domain::{Channel, ConversationId, DeliveryState, FlowId, Redacted, Sender, TenantId};
use store::{
    Conversation, ConversationStatus, DeliveryUpdate, FlowRecord, Message, StepWrite, Store,
};

use crate::support::{T0, create_tenant};

on_both_backends!(
    threads_point_at_the_latest_conversation,
    inbound_ids_are_taken_once_per_tenant,
    deliveries_are_written_with_their_messages_and_move_by_report,
    erasure_removes_threads_ids_and_deliveries,
);

async fn flow(store: &Store, tenant: TenantId) -> FlowId {
    let f = FlowRecord {
        tenant_id: tenant,
        id: FlowId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        name: "SMS".to_owned(),
        draft: "name: SMS".to_owned(),
        active_version: None,
        created_at: T0,
        updated_at: T0,
        layout: "{}".to_owned(),
        revision: 1,
    };
    store.insert_flow(&f).await.unwrap();
    f.id
}

pub(crate) fn message(sender: Sender, body: &str) -> Message {
    Message {
        seq: 0,
        sender,
        body: Redacted::new(body.to_owned()),
        choices: None,
        client_id: None,
        at: T0,
    }
}

/// Creates an SMS conversation whose first step writes `messages` (delivered).
pub(crate) async fn sms_conversation(
    store: &Store,
    tenant: TenantId,
    messages: Vec<Message>,
) -> ConversationId {
    let flow = flow(store, tenant).await;
    let c = Conversation {
        tenant_id: tenant,
        id: ConversationId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        channel: Channel::Sms,
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
    let id = c.id;
    store
        .save_step(
            tenant,
            id,
            &StepWrite {
                expected_last_seq: 0,
                state: "{}".to_owned(),
                status: ConversationStatus::Active,
                messages,
                set_timers: Vec::new(),
                cancel_timers: Vec::new(),
                enqueue: None,
                dequeue: false,
                at: T0,
                create: Some(c),
                deliver: true,
                routes: Vec::new(),
            },
        )
        .await
        .unwrap();
    id
}

async fn threads_point_at_the_latest_conversation(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let first = sms_conversation(&store, north.id, vec![]).await;
    let second = sms_conversation(&store, north.id, vec![]).await;
    let t = |s: &Store, tenant, channel| {
        let s = s.clone();
        async move {
            s.message_thread(tenant, channel, "+4930555", "pseudo")
                .await
                .unwrap()
        }
    };
    assert_eq!(t(&store, north.id, Channel::Sms).await, None);
    store
        .put_message_thread(north.id, Channel::Sms, "+4930555", "pseudo", first, T0)
        .await
        .unwrap();
    assert_eq!(t(&store, north.id, Channel::Sms).await, Some(first));
    store
        .put_message_thread(north.id, Channel::Sms, "+4930555", "pseudo", second, T0)
        .await
        .unwrap();
    assert_eq!(t(&store, north.id, Channel::Sms).await, Some(second));
    // Another channel, another tenant: their own threads.
    assert_eq!(t(&store, north.id, Channel::Whatsapp).await, None);
    assert_eq!(t(&store, south.id, Channel::Sms).await, None);
}

async fn inbound_ids_are_taken_once_per_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let n = sms_conversation(&store, north.id, vec![]).await;
    let s = sms_conversation(&store, south.id, vec![]).await;
    assert!(
        store
            .record_inbound_message(north.id, Channel::Sms, "SM1", n, T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_inbound_message(north.id, Channel::Sms, "SM1", n, T0)
            .await
            .unwrap(),
        "a retry is recognised"
    );
    assert_eq!(
        store
            .inbound_message(north.id, Channel::Sms, "SM1")
            .await
            .unwrap(),
        Some(n)
    );
    // The same id at another tenant's provider is another message.
    assert_eq!(
        store
            .inbound_message(south.id, Channel::Sms, "SM1")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .record_inbound_message(south.id, Channel::Sms, "SM1", s, T0)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .inbound_message(north.id, Channel::Whatsapp, "SM1")
            .await
            .unwrap(),
        None
    );
}

async fn deliveries_are_written_with_their_messages_and_move_by_report(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let c = sms_conversation(
        &store,
        north.id,
        vec![
            message(Sender::User, "Hallo"),
            message(Sender::Bot, "Guten Tag"),
            message(Sender::Bot, "Wobei kann ich helfen?"),
        ],
    )
    .await;
    let rows = store.deliveries(north.id, c).await.unwrap();
    assert_eq!(
        rows.iter().map(|d| d.seq).collect::<Vec<_>>(),
        vec![2, 3],
        "the contact's own message is not sent back"
    );
    assert!(rows.iter().all(|d| d.state == DeliveryState::Queued));
    assert!(store.deliveries(south.id, c).await.unwrap().is_empty());
    let due = store.due_deliveries(T0, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|d| d.tenant_id == north.id));
    // Not due before its time.
    assert!(
        store
            .due_deliveries(T0.plus_millis(-1), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let sent = DeliveryUpdate {
        state: DeliveryState::Sent,
        attempts: 1,
        provider_id: Some("SMabc".to_owned()),
        error: None,
        next_attempt_at: T0,
        at: T0.plus_millis(10),
    };
    assert!(store.update_delivery(north.id, c, 2, &sent).await.unwrap());
    assert!(
        !store.update_delivery(south.id, c, 2, &sent).await.unwrap(),
        "another tenant changes nothing"
    );
    let found = store
        .delivery_by_provider_id(north.id, "SMabc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.seq, found.state, found.attempts),
        (2, DeliveryState::Sent, 1)
    );
    assert_eq!(
        store
            .delivery_by_provider_id(south.id, "SMabc")
            .await
            .unwrap(),
        None
    );
    // A report keeps the provider id it does not repeat.
    let delivered = DeliveryUpdate {
        state: DeliveryState::Delivered,
        provider_id: None,
        ..sent
    };
    assert!(
        store
            .update_delivery(north.id, c, 2, &delivered)
            .await
            .unwrap()
    );
    let d = store
        .delivery_by_provider_id(north.id, "SMabc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.state, DeliveryState::Delivered);
    let due = store.due_deliveries(T0, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.seq).collect::<Vec<_>>(), vec![3]);
}

async fn erasure_removes_threads_ids_and_deliveries(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let c = sms_conversation(&store, north.id, vec![message(Sender::Bot, "Hallo")]).await;
    store
        .put_message_thread(north.id, Channel::Sms, "+4930555", "p", c, T0)
        .await
        .unwrap();
    store
        .record_inbound_message(north.id, Channel::Sms, "SM1", c, T0)
        .await
        .unwrap();
    let erased = store.erase_conversation(north.id, c).await.unwrap();
    assert!(erased.conversation);
    assert!(store.deliveries(north.id, c).await.unwrap().is_empty());
    assert_eq!(
        store
            .message_thread(north.id, Channel::Sms, "+4930555", "p")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .inbound_message(north.id, Channel::Sms, "SM1")
            .await
            .unwrap(),
        None
    );
}
