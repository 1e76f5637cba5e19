//! A sign-in flow built from the primitives the way `app` will: policy, hashing, TOTP
//! enrolment and replay protection, backup codes, the rate limiter and permissions.

use domain::{Role, Timestamp};
use security::ratelimit::{Limiter, RetryAfter};
use security::rbac::{self, Permission};
use security::totp::{self, TotpError, TotpSecret};
use security::{backup_codes, password};

/// What the store would hold for one user.
struct Account {
    username: &'static str,
    password_hash: password::PasswordHash,
    totp_secret: TotpSecret,
    last_totp_step: Option<i64>,
    backup_hashes: Vec<Option<password::PasswordHash>>,
}

#[derive(Debug, PartialEq)]
enum SignIn {
    Ok,
    BadCredentials,
    SecondFactor(TotpError),
    Limited(RetryAfter),
}

/// One attempt: rate limit, password (or equal-cost dummy for unknown users), TOTP.
fn sign_in(
    limiter: &mut Limiter,
    account: Option<&mut Account>,
    username: &str,
    typed_password: &str,
    typed_code: &str,
    now_secs: i64,
) -> SignIn {
    let now = Timestamp::from_secs(now_secs);
    if let Err(retry) = limiter.check(username, now) {
        return SignIn::Limited(retry);
    }
    let Some(account) = account else {
        password::verify_dummy(typed_password);
        limiter.record_failure(username, now);
        return SignIn::BadCredentials;
    };
    if !password::verify(typed_password, &account.password_hash) {
        limiter.record_failure(username, now);
        return SignIn::BadCredentials;
    }
    match totp::verify(
        &account.totp_secret,
        typed_code,
        now_secs,
        account.last_totp_step,
    ) {
        Ok(step) => {
            account.last_totp_step = Some(step);
            limiter.clear(username);
            SignIn::Ok
        }
        Err(e) => {
            limiter.record_failure(username, now);
            SignIn::SecondFactor(e)
        }
    }
}

fn enrol(random: [u8; 20]) -> Account {
    let chosen = "correct lantern orbit marmalade";
    assert_eq!(password::check_policy(chosen, "alice"), Ok(()));
    Account {
        username: "alice",
        password_hash: password::hash(chosen).unwrap(),
        totp_secret: TotpSecret::from_bytes(random),
        last_totp_step: None,
        backup_hashes: Vec::new(),
    }
}

#[test]
fn totp_enrolment_then_sign_in_then_replay_is_refused() {
    let mut account = enrol(*b"an enrolment secret!");
    let t = 1_750_000_000;

    // Enrolment: the app shows the URI as a QR code; the authenticator stores the secret.
    let uri = totp::otpauth_uri(&account.totp_secret, "Hotline", account.username);
    let svg = totp::qr_svg(&uri).unwrap();
    assert!(svg.contains("<svg"));
    let shown = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let in_app = TotpSecret::from_base32(shown).unwrap();
    // The user confirms enrolment with a first code.
    let first = totp::code_at(&in_app, t);
    let step = totp::verify(&account.totp_secret, &first, t, None).unwrap();
    account.last_totp_step = Some(step);

    let mut limiter = Limiter::new(5, 15 * 60_000);
    // The same code again, even with the right password, is a replay.
    assert_eq!(
        sign_in(
            &mut limiter,
            Some(&mut account),
            "alice",
            "correct lantern orbit marmalade",
            &first,
            t + 5
        ),
        SignIn::SecondFactor(TotpError::Replayed)
    );
    // The next code works once, typed with a space.
    let next = totp::code_at(&in_app, t + 30);
    let spaced = format!("{} {}", &next[..3], &next[3..]);
    assert_eq!(
        sign_in(
            &mut limiter,
            Some(&mut account),
            "alice",
            "correct lantern orbit marmalade",
            &spaced,
            t + 31
        ),
        SignIn::Ok
    );
    assert_eq!(
        sign_in(
            &mut limiter,
            Some(&mut account),
            "alice",
            "correct lantern orbit marmalade",
            &next,
            t + 40
        ),
        SignIn::SecondFactor(TotpError::Replayed)
    );
}

#[test]
fn failures_are_limited_for_known_and_unknown_users_alike() {
    let mut account = enrol([3; 20]);
    let mut limiter = Limiter::new(3, 60_000);
    let t = 1_750_000_000;
    for i in 0..3 {
        assert_eq!(
            sign_in(
                &mut limiter,
                Some(&mut account),
                "alice",
                "wrong password!!",
                "000000",
                t + i
            ),
            SignIn::BadCredentials
        );
        assert_eq!(
            sign_in(
                &mut limiter,
                None,
                "mallory",
                "wrong password!!",
                "000000",
                t + i
            ),
            SignIn::BadCredentials
        );
    }
    // Even the right password is not tried while limited, and both look the same.
    let code = totp::code_at(&account.totp_secret, t + 3);
    let known = sign_in(
        &mut limiter,
        Some(&mut account),
        "alice",
        "correct lantern orbit marmalade",
        &code,
        t + 3,
    );
    let unknown = sign_in(
        &mut limiter,
        None,
        "mallory",
        "correct lantern orbit marmalade",
        &code,
        t + 3,
    );
    assert_eq!(known, SignIn::Limited(RetryAfter { secs: 57 }));
    assert_eq!(known, unknown);
    // A minute after the first failure, the right credentials work again.
    let later = t + 60;
    let code = totp::code_at(&account.totp_secret, later);
    assert_eq!(
        sign_in(
            &mut limiter,
            Some(&mut account),
            "alice",
            "correct lantern orbit marmalade",
            &code,
            later
        ),
        SignIn::Ok
    );
}

#[test]
fn backup_codes_are_single_use_when_the_caller_marks_them() {
    let mut account = enrol([5; 20]);
    let mut random = [0u8; 80];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    let codes = backup_codes::generate(&random);
    assert_eq!(codes.len(), backup_codes::COUNT);
    account.backup_hashes = codes
        .iter()
        .map(|c| Some(backup_codes::hash(c).unwrap()))
        .collect();

    let mut redeem = |typed: &str| -> bool {
        for slot in account.backup_hashes.iter_mut() {
            if let Some(hash) = slot
                && backup_codes::verify(typed, hash)
            {
                *slot = None;
                return true;
            }
        }
        false
    };
    let typed = codes[7].to_uppercase();
    assert!(redeem(&typed));
    assert!(!redeem(&typed), "a used code must not work twice");
    assert!(redeem(&codes[0].replace('-', " ")));
    assert!(!redeem("aaaaa-aaaaa"));
}

#[test]
fn one_time_passwords_work_as_initial_passwords() {
    let initial = password::one_time_password(*b"0123456789abcde");
    assert_eq!(password::check_policy(&initial, "bob"), Ok(()));
    let hash = password::hash(&initial).unwrap();
    assert!(password::verify(&initial, &hash));
    assert!(!password::verify(&initial.replace('-', ""), &hash));
}

#[test]
fn roles_gate_what_a_signed_in_user_may_do() {
    let may = |role, permission| rbac::allows(role, permission);
    assert!(may(Role::Admin, Permission::UsersManage));
    assert!(!may(Role::Supervisor, Permission::UsersManage));
    assert!(may(Role::Auditor, Permission::AuditVerify));
    assert!(!may(Role::Agent, Permission::AuditRead));
    assert!(!may(Role::Integrator, Permission::ApiKeysManage));
    for role in Role::ALL {
        assert!(may(role, Permission::TenantRead), "{role}");
        assert_eq!(
            rbac::permissions(role).len(),
            Permission::ALL.iter().filter(|p| may(role, **p)).count()
        );
    }
}
