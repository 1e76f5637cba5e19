//! The number proxy: the store keeps an (address, proxy number) pair unique among open
//! sessions, frees the pairs of sessions that ran out, drops a closed session's addresses,
//! keeps sessions apart per tenant, writes relayed messages' delivery rows with their route,
//! and drops transient contact addresses once their conversation no longer needs them.

use domain::{
    ConversationStatus, DeliveryState, ProxyPartner, ProxyRole, ProxySessionId, Redacted, Sender,
    Timestamp,
};
use store::{
    DeliveryRoute, ProxyParticipant, ProxyRoute, ProxySession, StepWrite, Store, StoreError,
};

use crate::messaging::{message, sms_conversation};
use crate::support::{T0, create_tenant};

on_both_backends!(
    a_pair_is_unique_among_open_sessions,
    sessions_run_out_extend_and_close,
    relayed_messages_get_delivery_rows_with_their_route,
    transient_addresses_go_when_no_longer_needed,
);

const HOUR: i64 = 3_600_000;

fn session(
    tenant: domain::TenantId,
    conversation: domain::ConversationId,
    at: Timestamp,
) -> ProxySession {
    ProxySession {
        tenant_id: tenant,
        id: ProxySessionId::from_random_bytes(uuid::Uuid::new_v4().into_bytes()),
        conversation_id: conversation,
        partner: ProxyPartner::Desk,
        open: true,
        ttl_ms: HOUR,
        expires_at: at.plus_millis(HOUR),
        created_at: at,
        updated_at: at,
    }
}

fn caller(number: &str) -> ProxyParticipant {
    ProxyParticipant {
        role: ProxyRole::Contact,
        contact: "p_caller".to_owned(),
        address: Some(Redacted::new("+4915112345678".to_owned())),
        proxy_number: number.to_owned(),
    }
}

async fn a_pair_is_unique_among_open_sessions(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let first = sms_conversation(&store, north.id, vec![]).await;
    let second = sms_conversation(&store, north.id, vec![]).await;
    let s1 = session(north.id, first, T0);
    store
        .open_proxy_session(&s1, &[caller("+4930600")])
        .await
        .unwrap();
    // The same caller on the same proxy number in another open session: refused, and
    // nothing of that session is stored.
    let s2 = session(north.id, second, T0);
    let err = store
        .open_proxy_session(&s2, &[caller("+4930600")])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        store.get_proxy_session(north.id, s2.id).await.unwrap(),
        None
    );
    // On another proxy number it is a pair of its own.
    store
        .open_proxy_session(&s2, &[caller("+4930601")])
        .await
        .unwrap();
    let mut in_use = store
        .proxy_numbers_in_use(north.id, "p_caller", T0)
        .await
        .unwrap();
    in_use.sort();
    assert_eq!(in_use, ["+4930600", "+4930601"]);
    // A message to a proxy number names exactly one session, and who sent it.
    let (found, role) = store
        .proxy_session_of_pair(north.id, "+4930601", "p_caller", T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, role), (s2.id, ProxyRole::Contact));
    assert_eq!(
        store
            .proxy_session_of_pair(north.id, "+4930601", "p_other", T0)
            .await
            .unwrap(),
        None
    );
    // The address is kept sealed and read back in clear.
    let p = store.proxy_participants(north.id, s1.id).await.unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].address.as_ref().map(|a| a.expose().as_str()),
        Some("+4915112345678")
    );
    // Another tenant sees none of it.
    assert_eq!(
        store.get_proxy_session(south.id, s1.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .proxy_session_of_pair(south.id, "+4930600", "p_caller", T0)
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .proxy_participants(south.id, s1.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .close_proxy_session(south.id, s1.id, T0)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .proxy_sessions_of(north.id, first)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .proxy_sessions_of(south.id, first)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn sessions_run_out_extend_and_close(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let first = sms_conversation(&store, north.id, vec![]).await;
    let second = sms_conversation(&store, north.id, vec![]).await;
    let s1 = session(north.id, first, T0);
    store
        .open_proxy_session(&s1, &[caller("+4930600")])
        .await
        .unwrap();
    // A message keeps it open for its time to live from then.
    let later = T0.plus_millis(HOUR / 2);
    assert!(
        store
            .extend_proxy_session(north.id, s1.id, later)
            .await
            .unwrap()
    );
    let s = store
        .get_proxy_session(north.id, s1.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.expires_at, later.plus_millis(HOUR));
    // Once it ran out, it relays nothing, cannot be extended, and its pair is free for a
    // new session even before the sweep closes it.
    let gone = later.plus_millis(HOUR);
    assert_eq!(
        store
            .proxy_session_of_pair(north.id, "+4930600", "p_caller", gone)
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .extend_proxy_session(north.id, s1.id, gone)
            .await
            .unwrap()
    );
    assert_eq!(
        store.expired_proxy_sessions(gone, 10).await.unwrap(),
        [(north.id, s1.id)]
    );
    let s2 = session(north.id, second, gone);
    store
        .open_proxy_session(&s2, &[caller("+4930600")])
        .await
        .unwrap();
    assert_eq!(
        store
            .proxy_session_of_pair(north.id, "+4930600", "p_caller", gone)
            .await
            .unwrap()
            .map(|(s, _)| s.id),
        Some(s2.id)
    );
    // Closing drops the addresses; closing twice changes nothing.
    assert!(
        store
            .close_proxy_session(north.id, s1.id, gone)
            .await
            .unwrap()
    );
    assert!(
        !store
            .close_proxy_session(north.id, s1.id, gone)
            .await
            .unwrap()
    );
    let p = store.proxy_participants(north.id, s1.id).await.unwrap();
    assert!(p.iter().all(|p| p.address.is_none()), "{p:?}");
    assert!(
        !store
            .get_proxy_session(north.id, s1.id)
            .await
            .unwrap()
            .unwrap()
            .open
    );
    assert!(
        store
            .expired_proxy_sessions(gone, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .close_proxy_session(north.id, s2.id, gone)
            .await
            .unwrap()
    );
    assert!(
        store
            .open_proxy_sessions(north.id, gone, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Ends a conversation at `at` (a step that writes nothing else).
async fn end(store: &Store, tenant: domain::TenantId, id: domain::ConversationId, at: Timestamp) {
    let c = store.get_conversation(tenant, id).await.unwrap().unwrap();
    store
        .save_step(
            tenant,
            id,
            &StepWrite {
                expected_last_seq: c.last_seq,
                state: c.state.clone(),
                status: ConversationStatus::Ended,
                messages: Vec::new(),
                set_timers: Vec::new(),
                cancel_timers: Vec::new(),
                enqueue: None,
                dequeue: false,
                at,
                create: None,
                deliver: false,
                routes: Vec::new(),
            },
        )
        .await
        .unwrap();
}

async fn relayed_messages_get_delivery_rows_with_their_route(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let id = sms_conversation(&store, north.id, vec![]).await;
    let s = session(north.id, id, T0);
    store
        .open_proxy_session(&s, &[caller("+4930600")])
        .await
        .unwrap();
    let c = store.get_conversation(north.id, id).await.unwrap().unwrap();
    let route = ProxyRoute {
        session: s.id,
        to: ProxyRole::Contact,
    };
    store
        .save_step(
            north.id,
            id,
            &StepWrite {
                expected_last_seq: c.last_seq,
                state: c.state.clone(),
                status: c.status,
                messages: vec![
                    message(Sender::User, "on the conversation's own channel"),
                    message(Sender::Agent, "through the proxy"),
                    message(Sender::Bot, "nowhere"),
                ],
                set_timers: Vec::new(),
                cancel_timers: Vec::new(),
                enqueue: None,
                dequeue: false,
                at: T0,
                create: None,
                deliver: false,
                routes: vec![
                    (1, DeliveryRoute::Proxy(route)),
                    (
                        2,
                        DeliveryRoute::Failed("no proxy number is free".to_owned()),
                    ),
                ],
            },
        )
        .await
        .unwrap();
    let d = store.deliveries(north.id, id).await.unwrap();
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].seq, c.last_seq + 2);
    assert_eq!(d[0].state, DeliveryState::Queued);
    assert_eq!(d[0].via_proxy, Some(route));
    assert_eq!(d[1].state, DeliveryState::Failed);
    assert_eq!(d[1].via_proxy, None);
    assert_eq!(d[1].error.as_deref(), Some("no proxy number is free"));
    // Due like any other delivery.
    assert!(
        store
            .due_deliveries(T0, 10)
            .await
            .unwrap()
            .iter()
            .any(|x| x.seq == d[0].seq)
    );
}

async fn transient_addresses_go_when_no_longer_needed(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin").await;
    let kept = sms_conversation(&store, north.id, vec![]).await;
    let transient = sms_conversation(&store, north.id, vec![]).await;
    let proxied = sms_conversation(&store, north.id, vec![]).await;
    for (id, t) in [(kept, false), (transient, true), (proxied, true)] {
        store
            .record_contact(north.id, id, "p_caller", Some("+4915112345678"), t, T0)
            .await
            .unwrap();
    }
    assert!(
        !store
            .contact_address_transient(north.id, kept)
            .await
            .unwrap()
    );
    assert!(
        store
            .contact_address_transient(north.id, transient)
            .await
            .unwrap()
    );
    let address = |id| {
        let store = store.clone();
        async move {
            store
                .conversation_contact(north.id, id)
                .await
                .unwrap()
                .and_then(|(_, a)| a)
        }
    };
    // While the conversations run, every address stays.
    store.drop_transient_addresses(T0, T0).await.unwrap();
    assert!(address(transient).await.is_some());
    // Ended: only after the grace, and not while a proxy session still needs it.
    let ended = T0.plus_millis(1000);
    for id in [kept, transient, proxied] {
        end(&store, north.id, id, ended).await;
    }
    store
        .open_proxy_session(&session(north.id, proxied, ended), &[caller("+4930600")])
        .await
        .unwrap();
    store.drop_transient_addresses(T0, ended).await.unwrap();
    assert!(address(transient).await.is_some(), "within the grace");
    store.drop_transient_addresses(ended, ended).await.unwrap();
    assert_eq!(address(transient).await, None);
    assert!(address(proxied).await.is_some(), "a proxy session is open");
    assert!(address(kept).await.is_some(), "identified: kept");
    // The pseudonym stays, for the contact's history.
    assert_eq!(
        store
            .conversation_contact(north.id, transient)
            .await
            .unwrap()
            .map(|(c, _)| c)
            .as_deref(),
        Some("p_caller")
    );
}
