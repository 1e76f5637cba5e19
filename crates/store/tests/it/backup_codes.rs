//! Backup codes: a fresh set replaces the old one entirely, and each code works once, even
//! when the same code arrives twice at the same moment.

use domain::Role;
use store::Store;

use crate::support::{T0, add_user, create_tenant, user};

fn hashes(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-hash-{i}")).collect()
}

async fn replaced_codes_are_listed_in_order(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let ann = add_user(&store, tenant.id, "ann", Role::Agent).await;
    let ben = add_user(&store, tenant.id, "ben", Role::Agent).await;
    assert!(
        store
            .unused_backup_codes(tenant.id, ann.id)
            .await
            .unwrap()
            .is_empty()
    );

    store
        .replace_backup_codes(tenant.id, ann.id, &hashes("first", 10))
        .await
        .unwrap();
    store
        .replace_backup_codes(tenant.id, ben.id, &hashes("ben", 2))
        .await
        .unwrap();
    let codes = store.unused_backup_codes(tenant.id, ann.id).await.unwrap();

    let listed: Vec<(i64, String)> = codes
        .into_iter()
        .map(|c| (c.ordinal, c.code_hash))
        .collect();
    let expected: Vec<(i64, String)> = (0..).zip(hashes("first", 10)).collect();
    assert_eq!(listed, expected);
}

async fn a_new_set_replaces_the_old_one(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let ann = add_user(&store, tenant.id, "ann", Role::Agent).await;
    let ben = add_user(&store, tenant.id, "ben", Role::Agent).await;
    store
        .replace_backup_codes(tenant.id, ann.id, &hashes("first", 10))
        .await
        .unwrap();
    store
        .replace_backup_codes(tenant.id, ben.id, &hashes("ben", 2))
        .await
        .unwrap();
    assert!(
        store
            .use_backup_code(tenant.id, ann.id, 3, T0)
            .await
            .unwrap()
    );

    store
        .replace_backup_codes(tenant.id, ann.id, &hashes("second", 4))
        .await
        .unwrap();

    let codes = store.unused_backup_codes(tenant.id, ann.id).await.unwrap();
    let hashes_now: Vec<String> = codes.iter().map(|c| c.code_hash.clone()).collect();
    assert_eq!(hashes_now, hashes("second", 4));
    // The used ordinal 3 is fresh again in the new set.
    assert!(
        store
            .use_backup_code(tenant.id, ann.id, 3, T0)
            .await
            .unwrap()
    );
    // Another user's set is not part of the replacement.
    assert_eq!(
        store
            .unused_backup_codes(tenant.id, ben.id)
            .await
            .unwrap()
            .len(),
        2
    );

    // An empty set leaves no codes at all.
    store
        .replace_backup_codes(tenant.id, ann.id, &[])
        .await
        .unwrap();
    assert!(
        store
            .unused_backup_codes(tenant.id, ann.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_code_can_be_used_once(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let ann = add_user(&store, tenant.id, "ann", Role::Agent).await;
    store
        .replace_backup_codes(tenant.id, ann.id, &hashes("set", 3))
        .await
        .unwrap();

    assert!(
        store
            .use_backup_code(tenant.id, ann.id, 1, T0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_backup_code(tenant.id, ann.id, 1, T0.plus_secs(1))
            .await
            .unwrap()
    );
    let ordinals: Vec<i64> = store
        .unused_backup_codes(tenant.id, ann.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.ordinal)
        .collect();
    assert_eq!(ordinals, [0, 2]);

    // No such code, and no such user.
    assert!(
        !store
            .use_backup_code(tenant.id, ann.id, 7, T0)
            .await
            .unwrap()
    );
    let ghost = user(tenant.id, "ghost", Role::Agent);
    assert!(
        !store
            .use_backup_code(tenant.id, ghost.id, 0, T0)
            .await
            .unwrap()
    );
}

async fn a_code_wins_once_under_concurrency(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let ann = add_user(&store, tenant.id, "ann", Role::Agent).await;
    store
        .replace_backup_codes(tenant.id, ann.id, &hashes("set", 2))
        .await
        .unwrap();

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.use_backup_code(tenant.id, ann.id, 0, T0).await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            winners += 1;
        }
    }

    assert_eq!(winners, 1);
    let left = store.unused_backup_codes(tenant.id, ann.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].ordinal, 1);
}

on_both_backends!(
    replaced_codes_are_listed_in_order,
    a_new_set_replaces_the_old_one,
    a_code_can_be_used_once,
    a_code_wins_once_under_concurrency,
);
