//! Server-side sessions: stored by the hash of their secret, touched forward only, ended one
//! at a time, per user, or in bulk when past their absolute or idle limit.

use domain::{AuthMethod, Role};
use store::{SessionStage, Store, StoreError};

use crate::support::{HOUR, T0, add_user, create_tenant, session, user};

async fn a_session_reads_back_as_stored(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let mut partial = session(&admin, "hash-partial");
    partial.stage = SessionStage::Partial;
    partial.auth_method = AuthMethod::Password;
    partial.expires_at = T0.plus_millis(HOUR);
    let full = session(&admin, "hash-full");
    store.insert_session(&partial).await.unwrap();
    store.insert_session(&full).await.unwrap();

    let read = store
        .get_session(tenant.id, "hash-partial")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.csrf_token, partial.csrf_token);
    assert_eq!(read, partial);
    assert_eq!(
        store.get_session(tenant.id, "hash-full").await.unwrap(),
        Some(full)
    );
    assert_eq!(
        store.get_session(tenant.id, "hash-unknown").await.unwrap(),
        None
    );
}

async fn a_token_hash_is_stored_once(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let first = session(&admin, "same-hash");
    store.insert_session(&first).await.unwrap();

    let mut second = session(&admin, "same-hash");
    second.csrf_token = "other".to_owned();
    let result = store.insert_session(&second).await;

    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(
        store.get_session(tenant.id, "same-hash").await.unwrap(),
        Some(first)
    );
}

async fn a_session_needs_an_existing_user(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let ghost = user(tenant.id, "ghost", Role::Agent);

    assert!(
        store
            .insert_session(&session(&ghost, "orphan"))
            .await
            .is_err()
    );
    assert_eq!(store.get_session(tenant.id, "orphan").await.unwrap(), None);
}

async fn touch_moves_last_seen_forward_only(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    store.insert_session(&session(&admin, "tok")).await.unwrap();
    let last_seen = |store: Store| async move {
        store
            .get_session(tenant.id, "tok")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at
    };

    store
        .touch_session(tenant.id, "tok", T0.plus_secs(60))
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.plus_secs(60));

    // A slow request that finishes after a newer one must not pull the time back.
    store
        .touch_session(tenant.id, "tok", T0.plus_secs(30))
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.plus_secs(60));

    store
        .touch_session(tenant.id, "tok", T0.plus_secs(90))
        .await
        .unwrap();
    assert_eq!(last_seen(store.clone()).await, T0.plus_secs(90));

    // Touching an unknown session is not an error and creates nothing.
    store
        .touch_session(tenant.id, "unknown", T0.plus_secs(90))
        .await
        .unwrap();
    assert_eq!(store.get_session(tenant.id, "unknown").await.unwrap(), None);
}

async fn delete_session_ends_one_session(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    store.insert_session(&session(&admin, "one")).await.unwrap();
    store.insert_session(&session(&admin, "two")).await.unwrap();

    assert!(store.delete_session(tenant.id, "one").await.unwrap());
    assert!(!store.delete_session(tenant.id, "one").await.unwrap());

    assert_eq!(store.get_session(tenant.id, "one").await.unwrap(), None);
    assert!(store.get_session(tenant.id, "two").await.unwrap().is_some());
}

async fn delete_user_sessions_ends_that_users_sessions(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let agent = add_user(&store, tenant.id, "agent", Role::Agent).await;
    for token in ["a1", "a2", "a3"] {
        store.insert_session(&session(&admin, token)).await.unwrap();
    }
    store.insert_session(&session(&agent, "b1")).await.unwrap();

    assert_eq!(
        store
            .delete_user_sessions(tenant.id, admin.id)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .delete_user_sessions(tenant.id, admin.id)
            .await
            .unwrap(),
        0
    );

    for token in ["a1", "a2", "a3"] {
        assert_eq!(store.get_session(tenant.id, token).await.unwrap(), None);
    }
    assert!(store.get_session(tenant.id, "b1").await.unwrap().is_some());
}

async fn expired_and_idle_sessions_are_removed(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let now = T0.plus_millis(10 * HOUR);
    let idle_cutoff = now.plus_millis(-HOUR);
    // (token, last seen, absolute expiry, survives)
    let cases = [
        ("fresh", now, now.plus_millis(1), true),
        ("expires-now", now, now, false),
        ("expired", now, now.plus_millis(-1), false),
        ("idle-at-cutoff", idle_cutoff, now.plus_millis(HOUR), true),
        (
            "idle-past-cutoff",
            idle_cutoff.plus_millis(-1),
            now.plus_millis(HOUR),
            false,
        ),
    ];
    for (token, last_seen, expires, _) in cases {
        let mut s = session(&admin, token);
        s.last_seen_at = last_seen;
        s.expires_at = expires;
        store.insert_session(&s).await.unwrap();
    }

    let removed = store
        .delete_expired_sessions(tenant.id, now, idle_cutoff)
        .await
        .unwrap();

    assert_eq!(removed, 3);
    for (token, _, _, survives) in cases {
        let present = store.get_session(tenant.id, token).await.unwrap().is_some();
        assert_eq!(present, survives, "session {token}");
    }
    assert_eq!(
        store
            .delete_expired_sessions(tenant.id, now, idle_cutoff)
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(
    a_session_reads_back_as_stored,
    a_token_hash_is_stored_once,
    a_session_needs_an_existing_user,
    touch_moves_last_seen_forward_only,
    delete_session_ends_one_session,
    delete_user_sessions_ends_that_users_sessions,
    expired_and_idle_sessions_are_removed,
);
