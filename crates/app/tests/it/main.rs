//! Use-case tests of `app` over a real SQLite store and a manual clock: the login state
//! machine's steps and the audit chain verification under concurrent appends and forgery.

use std::sync::Arc;

use app::{
    App, AppError, AuthPolicy, Clock, ManualClock, NextStep, RequestMeta, SecondFactor, SystemClock,
};
use domain::{DisplayName, TenantName, Username};
use store::{Repository, SqliteStore};

async fn setup() -> (App, Arc<ManualClock>, Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap(),
    );
    sqlite.migrate().await.unwrap();
    sqlite
        .unlock(security::crypto::Key::from_bytes([7; 32]))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = App::new(sqlite.clone(), clock.clone(), AuthPolicy::default());
    (app, clock, sqlite, dir)
}

#[tokio::test]
async fn login_steps_must_come_in_order() {
    let (app, clock, _, _dir) = setup().await;
    let boot = app.bootstrap_if_empty().await.unwrap().unwrap();
    assert!(
        app.bootstrap_if_empty().await.unwrap().is_none(),
        "bootstraps once"
    );
    let meta = RequestMeta::default();
    let step = app
        .login(&meta, None, "admin", &boot.one_time_password)
        .await
        .unwrap();
    assert_eq!(step.next, NextStep::ChangePassword);
    let info = app.authenticate_session(&meta, &step.token).await.unwrap();
    assert!(
        info.principal().is_none(),
        "a partial session is no principal"
    );
    // Steps out of order are refused.
    assert!(matches!(
        app.start_totp_enrolment(&info).await,
        Err(AppError::WrongStep)
    ));
    assert!(matches!(
        app.second_factor(&info, SecondFactor::Totp("123456")).await,
        Err(AppError::WrongStep)
    ));
    let next = app
        .change_password(&info, None, "a long enough passphrase")
        .await
        .unwrap();
    assert_eq!(next, NextStep::EnrolTotp);
    let info = app.authenticate_session(&meta, &step.token).await.unwrap();
    assert_eq!(info.next, NextStep::EnrolTotp);
    let enrol = app.start_totp_enrolment(&info).await.unwrap();
    let secret = security::totp::TotpSecret::from_base32(&enrol.secret).unwrap();
    let code = security::totp::code_at(&secret, clock.now().secs());
    let done = app.confirm_totp_enrolment(&info, &code).await.unwrap();
    assert_eq!(done.next, NextStep::Done);
    assert_eq!(done.backup_codes.as_ref().map(Vec::len), Some(10));
    assert!(matches!(
        app.authenticate_session(&meta, &step.token).await,
        Err(AppError::Unauthenticated)
    ));
    let full = app.authenticate_session(&meta, &done.token).await.unwrap();
    assert!(full.principal().is_some());
    // Partial sessions expire after 10 minutes even if used.
    let again = app
        .login(&meta, None, "admin", "a long enough passphrase")
        .await
        .unwrap();
    clock.advance_secs(9 * 60);
    app.authenticate_session(&meta, &again.token).await.unwrap();
    clock.advance_secs(2 * 60);
    assert!(app.authenticate_session(&meta, &again.token).await.is_err());
}

#[tokio::test]
async fn verification_keeps_up_with_concurrent_appends() {
    let (app, _, _, _dir) = setup().await;
    let boot = app.bootstrap_if_empty().await.unwrap().unwrap();
    let tenant = boot.tenant.id;
    let initial = app.verify_tenant_chain(tenant).await.unwrap().count;
    // Each append runs at the same time as a verification (both in flight together), so
    // every verification overlaps a write. It sees the chain either just before or just
    // after that append, never a broken one.
    for i in 0..60 {
        let append = app.create_user_as_system(
            tenant,
            Username::parse(&format!("user-{i}")).unwrap(),
            DisplayName::parse("u").unwrap(),
            domain::Role::Agent,
        );
        let (appended, report) = tokio::join!(append, app.verify_tenant_chain(tenant));
        appended.unwrap();
        let report = report.unwrap();
        assert!(
            report.ok(),
            "false break while appending entry {i}: {:?}",
            report.error
        );
        assert!(
            [initial + i, initial + i + 1].contains(&report.count),
            "verification {i} saw {} entries",
            report.count
        );
    }
    let report = app.verify_tenant_chain(tenant).await.unwrap();
    assert!(report.ok());
    assert_eq!(report.count, initial + 60);
}

#[tokio::test]
async fn a_forged_entry_past_the_head_is_detected() {
    let (app, _, sqlite, _dir) = setup().await;
    let boot = app.bootstrap_if_empty().await.unwrap().unwrap();
    let other = app
        .create_tenant(
            TenantName::parse("Other").unwrap(),
            Username::parse("other-admin").unwrap(),
            DisplayName::parse("o").unwrap(),
        )
        .await
        .unwrap();
    let tenant = boot.tenant.id.to_string();
    let (head, _) = sqlite.audit_head(boot.tenant.id).await.unwrap().unwrap();
    // An attacker copies the last entry past the head with a correct link but no head update.
    sqlx::query(
        "INSERT INTO audit_log SELECT tenant_id, seq + 1, id, at, actor_kind, actor_id, auth_method, source_ip, \
         request_id, action, object_type, object_id, outcome, hash, hash FROM audit_log \
         WHERE tenant_id = $1 AND seq = $2",
    )
    .bind(&tenant)
    .bind(head)
    .execute(sqlite.pool())
    .await
    .unwrap();
    let report = app.verify_tenant_chain(boot.tenant.id).await.unwrap();
    assert!(!report.ok(), "forged tail entry passed");
    // The other tenant's chain is unaffected.
    assert!(app.verify_tenant_chain(other.tenant.id).await.unwrap().ok());
}
