//! Agents' SIP accounts: one per agent, a username unique across the installation that
//! resolves to its tenant and agent, replaced and removed only through the agent's tenant.

use domain::Role;
use store::{Store, StoreError};

use crate::support::{T0, add_user, create_tenant, sip_account};

async fn an_account_resolves_to_its_tenant_and_agent(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-n").await;
    let maria = add_user(&store, north.id, "maria", Role::Agent).await;
    let account = sip_account(north.id, maria.id, "maria");
    store.put_sip_account(north.id, &account).await.unwrap();

    assert_eq!(
        store.resolve_sip_account("sip-maria").await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(
        store.get_sip_account(north.id, maria.id).await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(store.resolve_sip_account("sip-nobody").await.unwrap(), None);
    // The HA1 is a secret: never in a debug print.
    assert!(!format!("{account:?}").contains(&account.ha1));
}

async fn a_new_username_or_password_replaces_the_agents_account(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-n").await;
    let maria = add_user(&store, north.id, "maria", Role::Agent).await;
    store
        .put_sip_account(north.id, &sip_account(north.id, maria.id, "maria"))
        .await
        .unwrap();
    let mut renamed = sip_account(north.id, maria.id, "maria-desk");
    renamed.ha1 = "0123456789abcdef0123456789abcdef".to_owned();
    renamed.created_at = T0.plus_secs(60);
    renamed.updated_at = T0.plus_secs(60);
    store.put_sip_account(north.id, &renamed).await.unwrap();

    assert_eq!(store.resolve_sip_account("sip-maria").await.unwrap(), None);
    let stored = store
        .resolve_sip_account("sip-maria-desk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ha1, renamed.ha1);
    assert_eq!(stored.created_at, T0, "the account keeps its creation time");
    assert_eq!(stored.updated_at, T0.plus_secs(60));
}

async fn a_username_belongs_to_one_agent_in_the_installation(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-n").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let maria = add_user(&store, north.id, "maria", Role::Agent).await;
    let jonas = add_user(&store, north.id, "jonas", Role::Agent).await;
    let ines = add_user(&store, south.id, "ines", Role::Agent).await;
    store
        .put_sip_account(north.id, &sip_account(north.id, maria.id, "desk"))
        .await
        .unwrap();

    for (tenant, user) in [(north.id, jonas.id), (south.id, ines.id)] {
        let taken = sip_account(tenant, user, "desk");
        assert!(
            matches!(
                store.put_sip_account(tenant, &taken).await,
                Err(StoreError::Conflict(_))
            ),
            "the username is taken"
        );
        assert_eq!(store.get_sip_account(tenant, user).await.unwrap(), None);
    }
    assert_eq!(
        store
            .resolve_sip_account("sip-desk")
            .await
            .unwrap()
            .map(|a| a.user_id),
        Some(maria.id)
    );
}

async fn only_the_agents_tenant_removes_the_account(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-n").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let maria = add_user(&store, north.id, "maria", Role::Agent).await;
    store
        .put_sip_account(north.id, &sip_account(north.id, maria.id, "maria"))
        .await
        .unwrap();

    assert!(!store.delete_sip_account(south.id, maria.id).await.unwrap());
    assert!(
        store
            .resolve_sip_account("sip-maria")
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.delete_sip_account(north.id, maria.id).await.unwrap());
    assert!(!store.delete_sip_account(north.id, maria.id).await.unwrap());
    assert_eq!(store.resolve_sip_account("sip-maria").await.unwrap(), None);
}

async fn an_account_needs_a_user_of_its_tenant(store: Store) {
    let (north, _) = create_tenant(&store, "North", "admin-n").await;
    let (south, _) = create_tenant(&store, "South", "admin-s").await;
    let ines = add_user(&store, south.id, "ines", Role::Agent).await;

    let claims_south = sip_account(south.id, ines.id, "ines");
    assert!(matches!(
        store.put_sip_account(north.id, &claims_south).await,
        Err(StoreError::WrongTenant { .. })
    ));
    // North's account for South's user: the database refuses it.
    let foreign_user = sip_account(north.id, ines.id, "ines");
    assert!(
        store
            .put_sip_account(north.id, &foreign_user)
            .await
            .is_err()
    );
    assert_eq!(store.resolve_sip_account("sip-ines").await.unwrap(), None);
}

on_both_backends!(
    an_account_resolves_to_its_tenant_and_agent,
    a_new_username_or_password_replaces_the_agents_account,
    a_username_belongs_to_one_agent_in_the_installation,
    only_the_agents_tenant_removes_the_account,
    an_account_needs_a_user_of_its_tenant,
);
