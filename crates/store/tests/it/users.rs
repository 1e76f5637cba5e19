//! Staff accounts: logins resolving to their tenant, installation-wide unique usernames,
//! profile changes, passwords, and the TOTP fields whose compare-and-set makes every code
//! single-use.

use domain::{DisplayName, Role, Username};
use store::{Store, StoreError, UserChanges};

use crate::support::{T0, add_user, create_tenant, sip_account, user};

async fn find_login_resolves_a_username_to_its_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;
    let alice = add_user(&store, south.id, "alice", Role::Agent).await;

    // Username::parse normalises, so what the person typed finds the stored name.
    let typed = Username::parse("  ALICE ").unwrap();
    assert_eq!(
        store.find_login(&typed).await.unwrap(),
        Some((south.id, alice.id))
    );
    assert_eq!(
        store
            .find_login(&Username::parse("nobody").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.list_users(north.id).await.unwrap().len(), 1);
}

async fn usernames_are_unique_across_tenants(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;
    let alice = add_user(&store, north.id, "alice", Role::Agent).await;

    let same_tenant = user(north.id, "alice", Role::Supervisor);
    let result = store.insert_user(north.id, &same_tenant).await;
    assert!(
        matches!(result, Err(StoreError::Conflict("username"))),
        "{result:?}"
    );

    let other_tenant = user(south.id, "alice", Role::Admin);
    let result = store.insert_user(south.id, &other_tenant).await;
    assert!(
        matches!(result, Err(StoreError::Conflict("username"))),
        "{result:?}"
    );

    assert_eq!(
        store.find_login(&alice.username).await.unwrap(),
        Some((north.id, alice.id))
    );
    assert_eq!(store.list_users(south.id).await.unwrap().len(), 1);
    assert_eq!(
        store.get_user(south.id, other_tenant.id).await.unwrap(),
        None
    );
}

async fn a_deleted_user_is_gone_with_its_sessions_and_its_name_is_free(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;
    let maria = add_user(&store, north.id, "maria", Role::Agent).await;
    // Her phone account goes with her (its row refers to her account).
    store
        .put_sip_account(north.id, &sip_account(north.id, maria.id, "maria"))
        .await
        .unwrap();
    assert!(
        !store.delete_user(south.id, maria.id, T0).await.unwrap(),
        "another tenant's staff cannot delete her"
    );
    assert!(store.get_user(north.id, maria.id).await.unwrap().is_some());
    assert!(store.delete_user(north.id, maria.id, T0).await.unwrap());
    assert_eq!(store.get_user(north.id, maria.id).await.unwrap(), None);
    assert_eq!(
        store.get_sip_account(north.id, maria.id).await.unwrap(),
        None
    );
    assert!(!store.delete_user(north.id, maria.id, T0).await.unwrap());
    add_user(&store, north.id, "maria", Role::Agent).await;
}

async fn a_user_is_stored_under_its_own_tenant_only(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-north").await;
    let (south, _) = create_tenant(&store, "South", "admin-south").await;

    let misfiled = user(south.id, "misfiled", Role::Agent);
    let result = store.insert_user(north.id, &misfiled).await;

    assert!(
        matches!(result, Err(StoreError::WrongTenant { what: "user" })),
        "{result:?}"
    );
    assert_eq!(store.find_login(&misfiled.username).await.unwrap(), None);
}

async fn get_user_returns_every_field_as_stored(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let mut bob = user(tenant.id, "bob", Role::Auditor);
    bob.must_change_password = true;
    bob.totp_secret = Some("JBSWY3DPEHPK3PXP".to_owned());
    bob.totp_enrolled = true;
    bob.totp_last_step = Some(56_666_666);
    bob.disabled = true;
    bob.created_at = T0.plus_millis(1);
    bob.updated_at = T0.plus_millis(2);
    store.insert_user(tenant.id, &bob).await.unwrap();

    // `User`'s Debug hides secrets, so compare the fields that it hides one by one too.
    let stored = store.get_user(tenant.id, bob.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, bob.password_hash);
    assert_eq!(stored.totp_secret, bob.totp_secret);
    assert_eq!(stored.totp_last_step, bob.totp_last_step);
    assert_eq!(stored, bob);
    assert_eq!(
        store
            .get_user(tenant.id, user(tenant.id, "ghost", Role::Agent).id)
            .await
            .unwrap(),
        None
    );
}

async fn list_users_is_ordered_by_username_bytewise(store: Store) {
    let (north, admin) = create_tenant(&store, "North", "zed").await;
    let (south, _) = create_tenant(&store, "South", "south-admin").await;
    // Under a locale collation such as en_US, PostgreSQL would put `ab_e` first; the store
    // promises the bytewise order on both backends.
    for name in ["abb", "ab_e", "abaa", "ab-c", "ab.d"] {
        add_user(&store, north.id, name, Role::Agent).await;
    }
    add_user(&store, south.id, "aaaa", Role::Agent).await;

    let names: Vec<String> = store
        .list_users(north.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();

    assert_eq!(
        names,
        [
            "ab-c",
            "ab.d",
            "ab_e",
            "abaa",
            "abb",
            admin.username.as_str()
        ]
    );
}

async fn update_user_changes_only_what_is_given(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let carol = add_user(&store, tenant.id, "carol", Role::Agent).await;

    let renamed = store
        .update_user(
            tenant.id,
            carol.id,
            &UserChanges {
                display_name: Some(DisplayName::parse("Carol C.").unwrap()),
                ..UserChanges::default()
            },
            T0.plus_secs(10),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.display_name.as_str(), "Carol C.");
    assert_eq!(renamed.role, Role::Agent);
    assert!(!renamed.disabled);
    assert_eq!(renamed.updated_at, T0.plus_secs(10));
    assert_eq!(renamed.created_at, carol.created_at);

    let promoted = store
        .update_user(
            tenant.id,
            carol.id,
            &UserChanges {
                role: Some(Role::Supervisor),
                disabled: Some(true),
                ..UserChanges::default()
            },
            T0.plus_secs(20),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.display_name.as_str(), "Carol C.");
    assert_eq!(promoted.role, Role::Supervisor);
    assert!(promoted.disabled);
    assert_eq!(promoted.password_hash, carol.password_hash);
    assert_eq!(promoted.username, carol.username);

    let enabled = store
        .update_user(
            tenant.id,
            carol.id,
            &UserChanges {
                disabled: Some(false),
                ..UserChanges::default()
            },
            T0.plus_secs(30),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!enabled.disabled);
    assert_eq!(enabled.role, Role::Supervisor);

    assert_eq!(
        store.get_user(tenant.id, carol.id).await.unwrap(),
        Some(enabled)
    );
    let ghost = user(tenant.id, "ghost", Role::Agent);
    assert_eq!(
        store
            .update_user(tenant.id, ghost.id, &UserChanges::default(), T0)
            .await
            .unwrap(),
        None
    );
}

async fn set_password_replaces_the_hash_and_the_change_flag(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let dave = add_user(&store, tenant.id, "dave", Role::Agent).await;

    assert!(
        store
            .set_password(tenant.id, dave.id, "new-hash", true, T0.plus_secs(5))
            .await
            .unwrap()
    );
    let stored = store.get_user(tenant.id, dave.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "new-hash");
    assert!(stored.must_change_password);
    assert_eq!(stored.updated_at, T0.plus_secs(5));

    assert!(
        store
            .set_password(tenant.id, dave.id, "chosen-hash", false, T0.plus_secs(6))
            .await
            .unwrap()
    );
    let stored = store.get_user(tenant.id, dave.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "chosen-hash");
    assert!(!stored.must_change_password);

    let ghost = user(tenant.id, "ghost", Role::Agent);
    assert!(
        !store
            .set_password(tenant.id, ghost.id, "x", false, T0)
            .await
            .unwrap()
    );
}

async fn set_totp_secret_restarts_enrolment(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let erin = add_user(&store, tenant.id, "erin", Role::Agent).await;

    assert!(
        store
            .set_totp_secret(tenant.id, erin.id, Some("FIRSTSECRET"), T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .confirm_totp(tenant.id, erin.id, 100, T0)
            .await
            .unwrap()
    );
    let enrolled = store.get_user(tenant.id, erin.id).await.unwrap().unwrap();
    assert!(enrolled.totp_enrolled);
    assert_eq!(enrolled.totp_last_step, Some(100));

    // A new seed starts over: not enrolled, no step remembered.
    assert!(
        store
            .set_totp_secret(tenant.id, erin.id, Some("SECONDSECRET"), T0.plus_secs(1))
            .await
            .unwrap()
    );
    let restarted = store.get_user(tenant.id, erin.id).await.unwrap().unwrap();
    assert_eq!(restarted.totp_secret.as_deref(), Some("SECONDSECRET"));
    assert!(!restarted.totp_enrolled);
    assert_eq!(restarted.totp_last_step, None);
    assert_eq!(restarted.updated_at, T0.plus_secs(1));

    // `None` removes the second factor altogether.
    assert!(
        store
            .confirm_totp(tenant.id, erin.id, 50, T0)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_totp_secret(tenant.id, erin.id, None, T0.plus_secs(2))
            .await
            .unwrap()
    );
    let removed = store.get_user(tenant.id, erin.id).await.unwrap().unwrap();
    assert_eq!(removed.totp_secret, None);
    assert!(!removed.totp_enrolled);
    assert_eq!(removed.totp_last_step, None);

    let ghost = user(tenant.id, "ghost", Role::Agent);
    assert!(
        !store
            .set_totp_secret(tenant.id, ghost.id, Some("X"), T0)
            .await
            .unwrap()
    );
}

async fn confirm_totp_needs_a_seed_and_a_newer_step(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let fay = add_user(&store, tenant.id, "fay", Role::Agent).await;

    assert!(
        !store
            .confirm_totp(tenant.id, fay.id, 100, T0)
            .await
            .unwrap()
    );
    let untouched = store.get_user(tenant.id, fay.id).await.unwrap().unwrap();
    assert!(!untouched.totp_enrolled);

    store
        .set_totp_secret(tenant.id, fay.id, Some("SEED"), T0)
        .await
        .unwrap();
    assert!(
        store
            .confirm_totp(tenant.id, fay.id, 100, T0.plus_secs(3))
            .await
            .unwrap()
    );
    let confirmed = store.get_user(tenant.id, fay.id).await.unwrap().unwrap();
    assert!(confirmed.totp_enrolled);
    assert_eq!(confirmed.totp_last_step, Some(100));
    assert_eq!(confirmed.updated_at, T0.plus_secs(3));

    // The confirming code cannot be replayed, nor an older one used.
    assert!(
        !store
            .confirm_totp(tenant.id, fay.id, 100, T0)
            .await
            .unwrap()
    );
    assert!(!store.confirm_totp(tenant.id, fay.id, 99, T0).await.unwrap());
    assert!(
        store
            .confirm_totp(tenant.id, fay.id, 101, T0)
            .await
            .unwrap()
    );
    let after = store.get_user(tenant.id, fay.id).await.unwrap().unwrap();
    assert_eq!(after.totp_last_step, Some(101));
}

async fn advance_totp_step_accepts_only_newer_steps(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let gus = add_user(&store, tenant.id, "gus", Role::Agent).await;
    let step = |store: Store| async move {
        store
            .get_user(tenant.id, gus.id)
            .await
            .unwrap()
            .unwrap()
            .totp_last_step
    };

    assert!(
        store
            .advance_totp_step(tenant.id, gus.id, 10)
            .await
            .unwrap()
    );
    assert_eq!(step(store.clone()).await, Some(10));
    assert!(
        !store
            .advance_totp_step(tenant.id, gus.id, 10)
            .await
            .unwrap()
    );
    assert!(!store.advance_totp_step(tenant.id, gus.id, 9).await.unwrap());
    assert_eq!(step(store.clone()).await, Some(10));
    assert!(
        store
            .advance_totp_step(tenant.id, gus.id, 12)
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_totp_step(tenant.id, gus.id, 11)
            .await
            .unwrap()
    );
    assert_eq!(step(store.clone()).await, Some(12));

    let ghost = user(tenant.id, "ghost", Role::Agent);
    assert!(
        !store
            .advance_totp_step(tenant.id, ghost.id, 1)
            .await
            .unwrap()
    );
}

async fn a_totp_code_wins_once_under_concurrency(store: Store) {
    let (tenant, _) = create_tenant(&store, "North", "admin").await;
    let hal = add_user(&store, tenant.id, "hal", Role::Agent).await;
    store
        .advance_totp_step(tenant.id, hal.id, 41)
        .await
        .unwrap();

    // Ten requests present the same code at once; exactly one may be let in.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.advance_totp_step(tenant.id, hal.id, 42).await
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
    let stored = store.get_user(tenant.id, hal.id).await.unwrap().unwrap();
    assert_eq!(stored.totp_last_step, Some(42));
}

on_both_backends!(
    find_login_resolves_a_username_to_its_tenant,
    a_deleted_user_is_gone_with_its_sessions_and_its_name_is_free,
    usernames_are_unique_across_tenants,
    a_user_is_stored_under_its_own_tenant_only,
    get_user_returns_every_field_as_stored,
    list_users_is_ordered_by_username_bytewise,
    update_user_changes_only_what_is_given,
    set_password_replaces_the_hash_and_the_change_flag,
    set_totp_secret_restarts_enrolment,
    confirm_totp_needs_a_seed_and_a_newer_step,
    advance_totp_step_accepts_only_newer_steps,
    a_totp_code_wins_once_under_concurrency,
);
