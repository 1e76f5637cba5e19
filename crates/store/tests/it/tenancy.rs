//! Tenants and the wall between them: creating a tenant with its admin atomically, the
//! installation-level registry, the store's lifecycle (migrate, ping, close), and a table that
//! calls every tenant-scoped method with one tenant's id and another tenant's object ids.

use std::future::Future;
use std::pin::Pin;

use domain::{ApiKeyId, AuditEntryId, DisplayName, Role, TenantId, UserId};
use store::{Store, StoreError, UserChanges};

use crate::support::{
    HOUR, T0, add_user, api_key, append_events, create_tenant, entry_id, event, session,
    sip_account, tenant, user,
};

async fn creating_a_tenant_stores_it_with_its_admin(store: Store) {
    let (tenant, admin) = create_tenant(&store, "Crisis Line North", "root@north").await;

    assert_eq!(
        store.get_tenant(tenant.id).await.unwrap(),
        Some(tenant.clone())
    );
    assert_eq!(store.list_tenants().await.unwrap(), vec![tenant.clone()]);
    assert_eq!(
        store.get_user(tenant.id, admin.id).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(
        store.find_login(&admin.username).await.unwrap(),
        Some((tenant.id, admin.id))
    );
}

async fn a_taken_admin_name_leaves_no_tenant_behind(store: Store) {
    let (first, admin) = create_tenant(&store, "First", "admin").await;

    let second = tenant("Second");
    let clash = user(second.id, admin.username.as_str(), Role::Admin);
    let result = store.create_tenant_with_admin(&second, &clash).await;

    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.get_tenant(second.id).await.unwrap(), None);
    assert_eq!(store.list_tenants().await.unwrap(), vec![first.clone()]);
    assert!(store.list_users(second.id).await.unwrap().is_empty());
    assert_eq!(
        store.find_login(&admin.username).await.unwrap(),
        Some((first.id, admin.id))
    );
    // Nothing of the failed attempt blocks a retry under another name.
    let retry = user(second.id, "second-admin", Role::Admin);
    store
        .create_tenant_with_admin(&second, &retry)
        .await
        .unwrap();
    assert_eq!(store.list_tenants().await.unwrap().len(), 2);
}

async fn an_admin_of_another_tenant_is_refused(store: Store) {
    let (existing, _) = create_tenant(&store, "Existing", "admin").await;

    // The admin record names the existing tenant, not the one being created.
    let new = tenant("New");
    let stray = user(existing.id, "stray", Role::Admin);
    let result = store.create_tenant_with_admin(&new, &stray).await;

    assert!(
        matches!(result, Err(StoreError::WrongTenant { what: "user" })),
        "{result:?}"
    );
    assert_eq!(store.get_tenant(new.id).await.unwrap(), None);
    assert_eq!(store.list_users(existing.id).await.unwrap().len(), 1);
    assert_eq!(store.find_login(&stray.username).await.unwrap(), None);
}

async fn tenants_are_listed_oldest_first(store: Store) {
    let mut later = tenant("Later");
    later.created_at = T0.plus_secs(60);
    let mut earlier = tenant("Earlier");
    earlier.created_at = T0;
    for (t, admin) in [(&later, "later-admin"), (&earlier, "earlier-admin")] {
        store
            .create_tenant_with_admin(t, &user(t.id, admin, Role::Admin))
            .await
            .unwrap();
    }

    assert_eq!(
        store.list_tenants().await.unwrap(),
        vec![earlier.clone(), later.clone()]
    );

    // Disabling is recorded with its time, and undone.
    let at = T0.plus_secs(120);
    assert!(store.set_tenant_disabled(later.id, Some(at)).await.unwrap());
    let got = store.get_tenant(later.id).await.unwrap().unwrap();
    assert_eq!(got.disabled_at, Some(at));
    assert_eq!(
        store
            .get_tenant(earlier.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_at,
        None
    );
    assert!(store.set_tenant_disabled(later.id, None).await.unwrap());
    assert_eq!(store.get_tenant(later.id).await.unwrap(), Some(later));
    let unknown = TenantId::from_random_bytes([7; 16]);
    assert!(!store.set_tenant_disabled(unknown, Some(at)).await.unwrap());
}

async fn an_unknown_tenant_is_none(store: Store) {
    create_tenant(&store, "Known", "admin").await;
    assert_eq!(store.get_tenant(tenant("Unknown").id).await.unwrap(), None);
}

async fn migrate_is_idempotent_and_close_ends_the_pool(store: Store) {
    store.ping().await.unwrap();
    let (tenant, _) = create_tenant(&store, "Kept", "admin").await;

    store.migrate().await.unwrap();
    assert_eq!(store.list_tenants().await.unwrap(), vec![tenant.clone()]);

    store.close().await;
    let ping = store.ping().await;
    assert!(matches!(ping, Err(StoreError::Closed)), "{ping:?}");
    // Writers that queue at the write gate learn it the same way as those that go straight
    // to the pool.
    let append = store
        .append_audit(tenant.id, entry_id(), T0, &event("after.close"))
        .await;
    assert!(matches!(append, Err(StoreError::Closed)), "{append:?}");
    let insert = store
        .insert_user(tenant.id, &user(tenant.id, "late", Role::Agent))
        .await;
    assert!(matches!(insert, Err(StoreError::Closed)), "{insert:?}");
}

// ---- isolation ----

/// One tenant with one of everything.
#[derive(Debug, Clone)]
struct Side {
    tenant: TenantId,
    user: UserId,
    token_hash: String,
    key: ApiKeyId,
    audit_ids: Vec<AuditEntryId>,
    audit_head_hash: String,
}

/// Tenant A, whose id every probe passes, and tenant B, whose objects it names.
#[derive(Debug, Clone)]
struct World {
    a: Side,
    b: Side,
}

impl World {
    /// Both tenants get a user with an enrolled second factor, backup codes, a session, an
    /// API key and three audit entries. B's session is old enough that any clean-up at the
    /// probes' "now" would remove it, while A's is not, so a clean-up that ignored the tenant
    /// would show.
    async fn build(store: &Store) -> Self {
        let a = Self::side(store, "a", 10 * HOUR).await;
        let b = Self::side(store, "b", 0).await;
        Self { a, b }
    }

    async fn side(store: &Store, name: &str, session_start: i64) -> Side {
        let (tenant, _) =
            create_tenant(store, &format!("Tenant {name}"), &format!("admin-{name}")).await;
        let user = add_user(store, tenant.id, &format!("agent-{name}"), Role::Agent).await;
        assert!(
            store
                .set_totp_secret(tenant.id, user.id, Some("JBSWY3DPEHPK3PXP"), T0)
                .await
                .unwrap()
        );
        assert!(
            store
                .confirm_totp(tenant.id, user.id, 10, T0)
                .await
                .unwrap()
        );
        let codes: Vec<String> = (0..3).map(|i| format!("code-{name}-{i}")).collect();
        store
            .replace_backup_codes(tenant.id, user.id, &codes)
            .await
            .unwrap();

        let mut session = session(&user, &format!("token-{name}"));
        session.created_at = T0.plus_millis(session_start);
        session.last_seen_at = session.created_at;
        session.expires_at = session.created_at.plus_millis(HOUR);
        store.insert_session(&session).await.unwrap();

        let key = api_key(tenant.id, &format!("key {name}"), Some(user.id), T0);
        store.insert_api_key(&key).await.unwrap();

        store
            .put_sip_account(tenant.id, &sip_account(tenant.id, user.id, name))
            .await
            .unwrap();
        assert!(
            store
                .set_private_http_destination(tenant.id, &format!("{name}.internal:80"), true, T0)
                .await
                .unwrap()
        );

        let entries = append_events(store, tenant.id, 3).await;
        Side {
            tenant: tenant.id,
            user: user.id,
            token_hash: session.token_hash,
            key: key.id,
            audit_ids: entries.iter().map(|e| e.id).collect(),
            audit_head_hash: entries[2].hash.clone(),
        }
    }
}

/// Everything of a tenant that a probe could change, read through its own tenant id.
#[derive(Debug, PartialEq)]
struct Snapshot {
    tenant: Option<store::Tenant>,
    user: Option<store::User>,
    users: Vec<store::User>,
    backup_codes: Vec<store::BackupCode>,
    session: Option<store::Session>,
    key: Option<store::ApiKey>,
    keys: Vec<store::ApiKey>,
    audit: Vec<domain::AuditEntry>,
    audit_head: Option<(i64, String)>,
    sip_account: Option<store::SipAccount>,
    destinations: Vec<String>,
}

async fn snapshot(store: &Store, side: &Side) -> Snapshot {
    let t = side.tenant;
    Snapshot {
        tenant: store.get_tenant(t).await.unwrap(),
        user: store.get_user(t, side.user).await.unwrap(),
        users: store.list_users(t).await.unwrap(),
        backup_codes: store.unused_backup_codes(t, side.user).await.unwrap(),
        session: store.get_session(t, &side.token_hash).await.unwrap(),
        key: store.get_api_key(t, side.key).await.unwrap(),
        keys: store.list_api_keys(t).await.unwrap(),
        audit: store.audit_page_ascending(t, 0, 1000).await.unwrap(),
        audit_head: store.audit_head(t).await.unwrap(),
        sip_account: store.get_sip_account(t, side.user).await.unwrap(),
        destinations: store.private_http_destinations(t).await.unwrap(),
    }
}

/// What a probe reports: `Some(what)` when it saw or touched something of tenant B.
type Seen = store::Result<Option<String>>;

/// A probe: one tenant-scoped method called with A's tenant id and B's object ids.
type Probe = fn(Store, World) -> Pin<Box<dyn Future<Output = Seen> + Send>>;

/// Turns a write the database refused into "nothing happened": a foreign key that stops a
/// record of tenant A from pointing at B's user is the wall doing its job.
fn refused(result: store::Result<()>) -> store::Result<()> {
    match result {
        Err(StoreError::Database(_) | StoreError::WrongTenant { .. }) => Ok(()),
        other => other,
    }
}

/// Every tenant-scoped method of `Repository`. When a method is added to the trait, add a row
/// here: the test runs each probe and then checks that B's data is exactly as it was.
/// Installation-level methods (`create_tenant_with_admin`, `list_tenants`, `find_login`,
/// `resolve_sip_account`) and the lifecycle (`migrate`, `ping`, `close`, `backend`) have no
/// tenant to cross.
fn probes() -> Vec<(&'static str, Probe)> {
    vec![
        ("get_tenant", |s, w| {
            Box::pin(async move {
                let t = s.get_tenant(w.a.tenant).await?;
                Ok(t.filter(|t| t.id != w.a.tenant).map(|t| format!("{t:?}")))
            })
        }),
        ("insert_user", |s, w| {
            Box::pin(async move {
                // A user that claims to be B's, inserted under A's id.
                let stray = user(w.b.tenant, "stray", Role::Admin);
                match s.insert_user(w.a.tenant, &stray).await {
                    Ok(()) => Ok(Some("a user of B inserted under A".to_owned())),
                    Err(_) => Ok(None),
                }
            })
        }),
        ("get_user", |s, w| {
            Box::pin(async move {
                let u = s.get_user(w.a.tenant, w.b.user).await?;
                Ok(u.map(|u| format!("{u:?}")))
            })
        }),
        ("list_users", |s, w| {
            Box::pin(async move {
                let users = s.list_users(w.a.tenant).await?;
                Ok(users
                    .iter()
                    .find(|u| u.id == w.b.user || u.tenant_id != w.a.tenant)
                    .map(|u| format!("{u:?}")))
            })
        }),
        ("update_user", |s, w| {
            Box::pin(async move {
                let changes = UserChanges {
                    display_name: Some(DisplayName::parse("Hijacked").unwrap()),
                    role: Some(Role::Admin),
                    disabled: Some(true),
                };
                let u = s
                    .update_user(w.a.tenant, w.b.user, &changes, T0.plus_secs(1))
                    .await?;
                Ok(u.map(|u| format!("{u:?}")))
            })
        }),
        ("set_password", |s, w| {
            Box::pin(async move {
                let changed = s
                    .set_password(w.a.tenant, w.b.user, "hijacked", true, T0.plus_secs(1))
                    .await?;
                Ok(changed.then(|| "changed B's password".to_owned()))
            })
        }),
        ("set_totp_secret", |s, w| {
            Box::pin(async move {
                let changed = s
                    .set_totp_secret(w.a.tenant, w.b.user, None, T0.plus_secs(1))
                    .await?;
                Ok(changed.then(|| "reset B's second factor".to_owned()))
            })
        }),
        ("confirm_totp", |s, w| {
            Box::pin(async move {
                let changed = s
                    .confirm_totp(w.a.tenant, w.b.user, 1_000, T0.plus_secs(1))
                    .await?;
                Ok(changed.then(|| "confirmed B's second factor".to_owned()))
            })
        }),
        ("advance_totp_step", |s, w| {
            Box::pin(async move {
                let changed = s.advance_totp_step(w.a.tenant, w.b.user, 1_000).await?;
                Ok(changed.then(|| "advanced B's TOTP step".to_owned()))
            })
        }),
        ("replace_backup_codes", |s, w| {
            Box::pin(async move {
                refused(
                    s.replace_backup_codes(w.a.tenant, w.b.user, &["planted".to_owned()])
                        .await,
                )?;
                let planted = s.unused_backup_codes(w.a.tenant, w.b.user).await?;
                Ok((!planted.is_empty()).then(|| "codes stored under A for B's user".to_owned()))
            })
        }),
        ("unused_backup_codes", |s, w| {
            Box::pin(async move {
                let codes = s.unused_backup_codes(w.a.tenant, w.b.user).await?;
                Ok((!codes.is_empty()).then(|| format!("{codes:?}")))
            })
        }),
        ("use_backup_code", |s, w| {
            Box::pin(async move {
                let used = s
                    .use_backup_code(w.a.tenant, w.b.user, 0, T0.plus_secs(1))
                    .await?;
                Ok(used.then(|| "used B's backup code".to_owned()))
            })
        }),
        ("insert_session", |s, w| {
            Box::pin(async move {
                // A session under A for B's user.
                let mut stray = session(
                    &user(w.a.tenant, "nobody", Role::Agent),
                    "stray-session-token",
                );
                stray.user_id = w.b.user;
                refused(s.insert_session(&stray).await)?;
                let found = s.get_session(w.a.tenant, "stray-session-token").await?;
                Ok(found.map(|f| format!("{f:?}")))
            })
        }),
        ("get_session", |s, w| {
            Box::pin(async move {
                let found = s.get_session(w.a.tenant, &w.b.token_hash).await?;
                Ok(found.map(|f| format!("{f:?}")))
            })
        }),
        ("touch_session", |s, w| {
            Box::pin(async move {
                s.touch_session(w.a.tenant, &w.b.token_hash, T0.plus_millis(HOUR / 2))
                    .await?;
                Ok(None)
            })
        }),
        ("delete_session", |s, w| {
            Box::pin(async move {
                let deleted = s.delete_session(w.a.tenant, &w.b.token_hash).await?;
                Ok(deleted.then(|| "deleted B's session".to_owned()))
            })
        }),
        ("delete_user_sessions", |s, w| {
            Box::pin(async move {
                let n = s.delete_user_sessions(w.a.tenant, w.b.user).await?;
                Ok((n > 0).then(|| format!("deleted {n} sessions")))
            })
        }),
        ("delete_expired_sessions", |s, w| {
            Box::pin(async move {
                // B's session is past both limits at this instant; A's is within both.
                let at = T0.plus_millis(2 * HOUR);
                let n = s.delete_expired_sessions(w.a.tenant, at, at).await?;
                Ok((n > 0).then(|| format!("deleted {n} sessions")))
            })
        }),
        ("insert_api_key", |s, w| {
            Box::pin(async move {
                // A key's tenant is a field of the key, so the probe inserts one for A and
                // checks that B cannot see it (the snapshot checks B's own keys).
                let key = api_key(w.a.tenant, "key of a", None, T0.plus_secs(1));
                s.insert_api_key(&key).await?;
                let under_b = s.get_api_key(w.b.tenant, key.id).await?;
                Ok(under_b.map(|k| format!("B sees {k:?}")))
            })
        }),
        ("get_api_key", |s, w| {
            Box::pin(async move {
                let key = s.get_api_key(w.a.tenant, w.b.key).await?;
                Ok(key.map(|k| format!("{k:?}")))
            })
        }),
        ("list_api_keys", |s, w| {
            Box::pin(async move {
                let keys = s.list_api_keys(w.a.tenant).await?;
                Ok(keys
                    .iter()
                    .find(|k| k.tenant_id != w.a.tenant)
                    .map(|k| format!("{k:?}")))
            })
        }),
        ("revoke_api_key", |s, w| {
            Box::pin(async move {
                let revoked = s
                    .revoke_api_key(w.a.tenant, w.b.key, T0.plus_secs(1))
                    .await?;
                Ok(revoked.then(|| "revoked B's key".to_owned()))
            })
        }),
        ("touch_api_key", |s, w| {
            Box::pin(async move {
                s.touch_api_key(w.a.tenant, w.b.key, T0.plus_secs(1))
                    .await?;
                Ok(None)
            })
        }),
        ("append_audit", |s, w| {
            Box::pin(async move {
                let entry = s
                    .append_audit(w.a.tenant, entry_id(), T0.plus_secs(9), &event("probe"))
                    .await?;
                let crossed = entry.tenant_id != w.a.tenant
                    || entry.prev_hash == w.b.audit_head_hash
                    || entry.seq != 4;
                Ok(crossed.then(|| format!("{entry:?}")))
            })
        }),
        ("list_audit", |s, w| {
            Box::pin(async move {
                let entries = s.list_audit(w.a.tenant, None, 1000).await?;
                Ok(entries
                    .iter()
                    .find(|e| e.tenant_id != w.a.tenant || w.b.audit_ids.contains(&e.id))
                    .map(|e| format!("{e:?}")))
            })
        }),
        ("audit_page_ascending", |s, w| {
            Box::pin(async move {
                let entries = s.audit_page_ascending(w.a.tenant, 0, 1000).await?;
                Ok(entries
                    .iter()
                    .find(|e| e.tenant_id != w.a.tenant || w.b.audit_ids.contains(&e.id))
                    .map(|e| format!("{e:?}")))
            })
        }),
        ("put_sip_account", |s, w| {
            Box::pin(async move {
                // B's user given a SIP account under A's id, and an account claiming to be
                // B's, inserted under A's id.
                let mut foreign = sip_account(w.a.tenant, w.b.user, "b-by-a");
                refused(s.put_sip_account(w.a.tenant, &foreign).await)?;
                foreign.tenant_id = w.b.tenant;
                refused(s.put_sip_account(w.a.tenant, &foreign).await)?;
                Ok(None)
            })
        }),
        ("get_sip_account", |s, w| {
            Box::pin(async move {
                let a = s.get_sip_account(w.a.tenant, w.b.user).await?;
                Ok(a.map(|a| format!("{a:?}")))
            })
        }),
        ("delete_sip_account", |s, w| {
            Box::pin(async move {
                let gone = s.delete_sip_account(w.a.tenant, w.b.user).await?;
                Ok(gone.then(|| "B's SIP account deleted".to_owned()))
            })
        }),
        ("set_tenant_disabled", |s, w| {
            Box::pin(async move {
                // Disabling A (and enabling it again) changes nothing of B's.
                s.set_tenant_disabled(w.a.tenant, Some(T0)).await?;
                s.set_tenant_disabled(w.a.tenant, None).await?;
                Ok(None)
            })
        }),
        ("private_http_destinations", |s, w| {
            Box::pin(async move {
                let d = s.private_http_destinations(w.a.tenant).await?;
                Ok(d.into_iter().find(|d| d.starts_with("b.")))
            })
        }),
        ("set_private_http_destination", |s, w| {
            Box::pin(async move {
                // Closing B's destination through A's id closes nothing of B's.
                let closed = s
                    .set_private_http_destination(w.a.tenant, "b.internal:80", false, T0)
                    .await?;
                Ok(closed.then(|| "B's destination closed".to_owned()))
            })
        }),
        ("audit_head_signed", |s, w| {
            Box::pin(async move {
                let head = s.audit_head_signed(w.a.tenant).await?;
                Ok(head
                    .filter(|(_, hash, _)| *hash == w.b.audit_head_hash)
                    .map(|h| format!("{h:?}")))
            })
        }),
        ("sign_audit_head", |s, w| {
            Box::pin(async move {
                // B's head under A's id: nothing to sign (and no key is set here).
                let signed = s
                    .sign_audit_head(w.a.tenant, 3, &w.b.audit_head_hash)
                    .await?;
                Ok(signed.then(|| "B's head signed through A".to_owned()))
            })
        }),
        ("audit_head", |s, w| {
            Box::pin(async move {
                let head = s.audit_head(w.a.tenant).await?;
                Ok(head
                    .filter(|(_, hash)| *hash == w.b.audit_head_hash)
                    .map(|h| format!("{h:?}")))
            })
        }),
    ]
}

async fn no_tenant_scoped_method_reaches_another_tenant(store: Store) {
    let world = World::build(&store).await;
    let b_before = snapshot(&store, &world.b).await;
    // The fixture must hold something of every kind, or "unchanged" proves nothing.
    assert!(b_before.user.as_ref().is_some_and(|u| u.totp_enrolled));
    assert_eq!(b_before.backup_codes.len(), 3);
    assert!(b_before.session.is_some() && b_before.key.is_some());
    assert_eq!(b_before.audit.len(), 3);
    assert!(b_before.sip_account.is_some());
    assert!(!b_before.destinations.is_empty());

    let mut leaks = Vec::new();
    let probes = probes();
    for (method, probe) in &probes {
        match probe(store.clone(), world.clone()).await {
            Ok(None) => {}
            Ok(Some(seen)) => leaks.push(format!("{method}: {seen}")),
            Err(e) => leaks.push(format!("{method}: failed: {e}")),
        }
        if snapshot(&store, &world.b).await != b_before {
            leaks.push(format!("{method}: changed tenant B's data"));
        }
    }

    assert!(leaks.is_empty(), "tenant A reached tenant B: {leaks:#?}");
    // A's own chain took the probe's entry and still verifies; B's was never touched.
    assert_eq!(
        crate::support::verify(&store, world.a.tenant)
            .await
            .unwrap()
            .count,
        4
    );
    assert_eq!(
        crate::support::verify(&store, world.b.tenant)
            .await
            .unwrap()
            .count,
        3
    );
    // The names of B's user still resolve to B.
    let b_user = store
        .get_user(world.b.tenant, world.b.user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.find_login(&b_user.username).await.unwrap(),
        Some((world.b.tenant, world.b.user))
    );
}

on_both_backends!(
    creating_a_tenant_stores_it_with_its_admin,
    a_taken_admin_name_leaves_no_tenant_behind,
    an_admin_of_another_tenant_is_refused,
    tenants_are_listed_oldest_first,
    an_unknown_tenant_is_none,
    migrate_is_idempotent_and_close_ends_the_pool,
    no_tenant_scoped_method_reaches_another_tenant,
);
