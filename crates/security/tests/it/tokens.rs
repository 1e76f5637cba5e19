//! Session tokens and API keys: issue, hand out, parse back, and look up by hash.

use domain::{ApiKeyId, TenantId};
use security::token::{self, ApiKeyToken, SessionToken, TokenError};

#[test]
fn a_session_token_survives_the_cookie_round_trip_and_matches_its_stored_hash() {
    let tenant = TenantId::from_random_bytes([0x42; 16]);
    let issued = SessionToken::new(tenant, [0x99; 32]);
    let stored_hash = issued.secret_hash();
    let cookie = issued.encode();

    let presented = SessionToken::parse(&cookie).unwrap();
    assert_eq!(presented.tenant_id, tenant);
    assert!(token::ct_eq(
        &token::hash_secret(&presented.secret),
        &stored_hash
    ));

    // Another tenant's id with the same secret scopes the lookup elsewhere.
    let other = TenantId::from_random_bytes([0x43; 16]);
    let forged = SessionToken {
        tenant_id: other,
        secret: presented.secret.clone(),
    }
    .encode();
    assert_eq!(SessionToken::parse(&forged).unwrap().tenant_id, other);
    // An API key is not a session token, nor the reverse.
    let key = ApiKeyToken::new(tenant, ApiKeyId::from_random_bytes([1; 16]), [2; 32]).encode();
    assert_eq!(SessionToken::parse(&key), Err(TokenError::Malformed));
    assert_eq!(ApiKeyToken::parse(&cookie), Err(TokenError::Malformed));
}

#[test]
fn api_keys_round_trip_and_never_print_their_secret() {
    let tenant = TenantId::from_random_bytes([7; 16]);
    let key_id = ApiKeyId::from_random_bytes([8; 16]);
    for byte in [0u8, 0x3e, 0xfb, 0xff] {
        let issued = ApiKeyToken::new(tenant, key_id, [byte; 32]);
        let text = issued.encode();
        assert!(text.starts_with("hlk_"));
        let parsed = ApiKeyToken::parse(&text).unwrap();
        assert_eq!(parsed, issued);
        assert_eq!(parsed.secret_hash().len(), 64);
        let shown = format!("{parsed:?}");
        assert!(!shown.contains(&parsed.secret), "{shown}");
    }
}
