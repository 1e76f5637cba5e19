//! API keys: stored with the hash of their secret, listed newest first, revoked exactly once,
//! and touched forward only on use.

use domain::{ApiKeyId, Role};
use store::Store;

use crate::support::{T0, api_key, create_tenant};

async fn a_key_reads_back_as_stored(store: Store) {
    let (tenant, admin) = create_tenant(&store, "North", "admin").await;
    let mut key = api_key(tenant.id, "CRM sync", Some(admin.id), T0);
    key.role = Role::Supervisor;
    key.last_used_at = Some(T0.plus_secs(1));
    let anonymous = api_key(tenant.id, "bootstrap", None, T0);
    store.insert_api_key(&key).await.unwrap();
    store.insert_api_key(&anonymous).await.unwrap();

    let read = store.get_api_key(tenant.id, key.id).await.unwrap().unwrap();
    assert_eq!(read.secret_hash, key.secret_hash);
    assert_eq!(read.name, key.name);
    assert_eq!(read.created_by, Some(admin.id));
    assert_eq!(read, key);
    assert_eq!(
        store.get_api_key(tenant.id, anonymous.id).await.unwrap(),
        Some(anonymous)
    );
    let unknown = ApiKeyId::from_random_bytes(uuid::Uuid::new_v4().into_bytes());
    assert_eq!(store.get_api_key(tenant.id, unknown).await.unwrap(), None);
}

async fn keys_are_listed_newest_first(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let (other, _) = create_tenant(&store, "South", "south-admin").await;
    let old = api_key(tenant.id, "old", None, T0);
    let new = api_key(tenant.id, "new", None, T0.plus_secs(20));
    let middle = api_key(tenant.id, "middle", None, T0.plus_secs(10));
    let elsewhere = api_key(other.id, "elsewhere", None, T0.plus_secs(30));
    for key in [&old, &new, &middle, &elsewhere] {
        store.insert_api_key(key).await.unwrap();
    }

    let ids: Vec<ApiKeyId> = store
        .list_api_keys(tenant.id)
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();

    assert_eq!(ids, [new.id, middle.id, old.id]);
    assert!(
        store
            .list_api_keys(tenant.id)
            .await
            .unwrap()
            .iter()
            .all(|k| k.tenant_id == tenant.id)
    );
}

async fn a_key_is_revoked_once(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let key = api_key(tenant.id, "CRM sync", None, T0);
    let kept = api_key(tenant.id, "kept", None, T0);
    store.insert_api_key(&key).await.unwrap();
    store.insert_api_key(&kept).await.unwrap();

    assert!(
        store
            .revoke_api_key(tenant.id, key.id, T0.plus_secs(5))
            .await
            .unwrap()
    );
    // A second revocation neither succeeds nor moves the recorded time.
    assert!(
        !store
            .revoke_api_key(tenant.id, key.id, T0.plus_secs(9))
            .await
            .unwrap()
    );

    let revoked = store.get_api_key(tenant.id, key.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(T0.plus_secs(5)));
    let untouched = store
        .get_api_key(tenant.id, kept.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.revoked_at, None);
    let unknown = ApiKeyId::from_random_bytes(uuid::Uuid::new_v4().into_bytes());
    assert!(!store.revoke_api_key(tenant.id, unknown, T0).await.unwrap());
}

async fn touch_records_the_latest_use(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let key = api_key(tenant.id, "CRM sync", None, T0);
    store.insert_api_key(&key).await.unwrap();
    let last_used = |store: Store| async move {
        store
            .get_api_key(tenant.id, key.id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
    };
    assert_eq!(last_used(store.clone()).await, None);

    store
        .touch_api_key(tenant.id, key.id, T0.plus_secs(60))
        .await
        .unwrap();
    assert_eq!(last_used(store.clone()).await, Some(T0.plus_secs(60)));

    store
        .touch_api_key(tenant.id, key.id, T0.plus_secs(30))
        .await
        .unwrap();
    assert_eq!(last_used(store.clone()).await, Some(T0.plus_secs(60)));

    store
        .touch_api_key(tenant.id, key.id, T0.plus_secs(61))
        .await
        .unwrap();
    assert_eq!(last_used(store.clone()).await, Some(T0.plus_secs(61)));
}

on_both_backends!(
    a_key_reads_back_as_stored,
    keys_are_listed_newest_first,
    a_key_is_revoked_once,
    touch_records_the_latest_use,
);
