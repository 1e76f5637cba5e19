//! The contact centre's rows: one operation's tasks, agents, queues and presence changes
//! written together; live tasks and tasks by time; notes, canned answers and settings; and
//! every lookup kept to its tenant.

use domain::{ConversationId, Redacted, Role, Timestamp};
use store::{
    CannedResponse, CcAgent, CcNote, CcPresenceChange, CcQueue, CcTask, CcWrite, Store, StoreError,
};

use crate::support::{T0, add_user, create_tenant};

fn task(id: &str, conversation: ConversationId, state: &str, live: bool, at: i64) -> CcTask {
    CcTask {
        id: id.to_owned(),
        conversation_id: conversation,
        queue: "beratung".to_owned(),
        state: state.to_owned(),
        agent_id: None,
        live,
        record: Redacted::new(format!("{{\"id\":\"{id}\"}}")),
        created_at: Timestamp::from_millis(at),
        updated_at: Timestamp::from_millis(at),
    }
}

fn conversation() -> ConversationId {
    ConversationId::from_random_bytes(uuid::Uuid::new_v4().into_bytes())
}

async fn one_write_holds_tasks_agents_queues_and_presence(store: Store) {
    let (tenant, _) = create_tenant(&store, "A", "a-admin").await;
    let agent = add_user(&store, tenant.id, "maria", Role::Agent).await;
    let c = conversation();
    let write = CcWrite {
        queues: vec![CcQueue {
            name: "beratung".to_owned(),
            config: "{}".to_owned(),
            updated_at: T0,
        }],
        tasks: vec![
            task("t1", c, "pending", true, 1_000),
            task("t2", c, "completed", false, 2_000),
        ],
        agents: vec![CcAgent {
            user_id: agent.id,
            profile: "{\"chat\":3}".to_owned(),
            presence: "\"Available\"".to_owned(),
            presence_since: T0,
            updated_at: T0,
        }],
        presence: vec![CcPresenceChange {
            user_id: agent.id,
            presence: "available".to_owned(),
            at: T0,
        }],
    };
    store.save_cc(tenant.id, &write).await.unwrap();
    let live = store.list_live_cc_tasks(tenant.id).await.unwrap();
    assert_eq!(
        live.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t1"]
    );
    assert_eq!(live[0].record.expose(), "{\"id\":\"t1\"}");
    let between = store
        .list_cc_tasks_between(
            tenant.id,
            Timestamp::from_millis(1_500),
            Timestamp::from_millis(3_000),
        )
        .await
        .unwrap();
    assert_eq!(
        between.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t2"]
    );
    assert_eq!(
        store
            .cc_tasks_of_conversation(tenant.id, c)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.list_cc_agents(tenant.id).await.unwrap(), write.agents);
    assert_eq!(store.list_cc_queues(tenant.id).await.unwrap(), write.queues);
    assert_eq!(
        store
            .list_cc_presence(tenant.id, T0, Timestamp::from_millis(T0.millis() + 1))
            .await
            .unwrap(),
        write.presence
    );

    // Writing a task again replaces it (it moves on); finished tasks are no longer live.
    let mut moved = task("t1", c, "assigned", true, 1_000);
    moved.agent_id = Some(agent.id);
    moved.updated_at = Timestamp::from_millis(5_000);
    store
        .save_cc(
            tenant.id,
            &CcWrite {
                tasks: vec![moved.clone()],
                ..CcWrite::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.list_live_cc_tasks(tenant.id).await.unwrap(), [moved]);
    // An empty write is a no-op; a task without an id is refused and writes nothing.
    store.save_cc(tenant.id, &CcWrite::default()).await.unwrap();
    let bad = CcWrite {
        tasks: vec![
            task("t3", c, "pending", true, 1),
            task("", c, "pending", true, 1),
        ],
        ..CcWrite::default()
    };
    assert!(matches!(
        store.save_cc(tenant.id, &bad).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.list_live_cc_tasks(tenant.id).await.unwrap().len(), 1);
}

async fn notes_canned_answers_and_settings(store: Store) {
    let (tenant, admin) = create_tenant(&store, "A", "a-admin").await;
    let c = conversation();
    for (i, text) in ["erste", "zweite"].iter().enumerate() {
        store
            .insert_cc_note(
                tenant.id,
                &CcNote {
                    id: format!("n{i}"),
                    conversation_id: c,
                    author_id: admin.id,
                    body: Redacted::new((*text).to_owned()),
                    at: Timestamp::from_millis(T0.millis() + i as i64),
                },
            )
            .await
            .unwrap();
    }
    let notes = store.list_cc_notes(tenant.id, c).await.unwrap();
    assert_eq!(
        notes
            .iter()
            .map(|n| n.body.expose().as_str())
            .collect::<Vec<_>>(),
        ["erste", "zweite"]
    );
    let canned = CannedResponse {
        id: "hallo".to_owned(),
        title: "Begrüßung".to_owned(),
        body: "Guten Tag!".to_owned(),
        language: Some("de".to_owned()),
        updated_at: T0,
    };
    store.put_canned(tenant.id, &canned).await.unwrap();
    let changed = CannedResponse {
        body: "Hallo!".to_owned(),
        ..canned.clone()
    };
    store.put_canned(tenant.id, &changed).await.unwrap();
    assert_eq!(store.list_canned(tenant.id).await.unwrap(), [changed]);
    assert!(store.delete_canned(tenant.id, "hallo").await.unwrap());
    assert!(!store.delete_canned(tenant.id, "hallo").await.unwrap());
    assert_eq!(store.get_cc_settings(tenant.id).await.unwrap(), None);
    store
        .put_cc_settings(tenant.id, "{\"a\":1}", T0)
        .await
        .unwrap();
    store
        .put_cc_settings(tenant.id, "{\"a\":2}", T0)
        .await
        .unwrap();
    assert_eq!(
        store.get_cc_settings(tenant.id).await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );
    store
        .put_cc_queue(
            tenant.id,
            &CcQueue {
                name: "q".to_owned(),
                config: "{}".to_owned(),
                updated_at: T0,
            },
        )
        .await
        .unwrap();
    assert!(store.delete_cc_queue(tenant.id, "q").await.unwrap());
    assert!(!store.delete_cc_queue(tenant.id, "q").await.unwrap());
}

async fn every_contact_centre_lookup_stays_in_its_tenant(store: Store) {
    let (a, a_admin) = create_tenant(&store, "A", "a-admin").await;
    let (b, _) = create_tenant(&store, "B", "b-admin").await;
    let c = conversation();
    store
        .save_cc(
            a.id,
            &CcWrite {
                tasks: vec![task("t1", c, "pending", true, 1_000)],
                queues: vec![CcQueue {
                    name: "q".to_owned(),
                    config: "{}".to_owned(),
                    updated_at: T0,
                }],
                agents: vec![CcAgent {
                    user_id: a_admin.id,
                    profile: "{}".to_owned(),
                    presence: "\"Offline\"".to_owned(),
                    presence_since: T0,
                    updated_at: T0,
                }],
                presence: vec![CcPresenceChange {
                    user_id: a_admin.id,
                    presence: "offline".to_owned(),
                    at: T0,
                }],
            },
        )
        .await
        .unwrap();
    store
        .insert_cc_note(
            a.id,
            &CcNote {
                id: "n".to_owned(),
                conversation_id: c,
                author_id: a_admin.id,
                body: Redacted::new("x".to_owned()),
                at: T0,
            },
        )
        .await
        .unwrap();
    store
        .put_canned(
            a.id,
            &CannedResponse {
                id: "c".to_owned(),
                title: "t".to_owned(),
                body: "b".to_owned(),
                language: None,
                updated_at: T0,
            },
        )
        .await
        .unwrap();
    store.put_cc_settings(a.id, "{}", T0).await.unwrap();
    let end = Timestamp::from_millis(i64::MAX / 2);
    let from = Timestamp::from_millis(0);
    assert!(store.list_live_cc_tasks(b.id).await.unwrap().is_empty());
    assert!(
        store
            .list_cc_tasks_between(b.id, from, end)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .cc_tasks_of_conversation(b.id, c)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_cc_agents(b.id).await.unwrap().is_empty());
    assert!(store.list_cc_queues(b.id).await.unwrap().is_empty());
    assert!(
        store
            .list_cc_presence(b.id, from, end)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_cc_notes(b.id, c).await.unwrap().is_empty());
    assert!(store.list_canned(b.id).await.unwrap().is_empty());
    assert_eq!(store.get_cc_settings(b.id).await.unwrap(), None);
    assert!(!store.delete_canned(b.id, "c").await.unwrap());
    assert!(!store.delete_cc_queue(b.id, "q").await.unwrap());
    // A's rows are all still there.
    assert_eq!(store.list_live_cc_tasks(a.id).await.unwrap().len(), 1);
    assert_eq!(store.list_canned(a.id).await.unwrap().len(), 1);
    assert_eq!(store.list_cc_queues(a.id).await.unwrap().len(), 1);
}

on_both_backends!(
    one_write_holds_tasks_agents_queues_and_presence,
    notes_canned_answers_and_settings,
    every_contact_centre_lookup_stays_in_its_tenant,
);
