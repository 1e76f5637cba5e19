//! API keys: created with a secret shown once, stored as a hash, scoped to the tenant and a
//! role, revocable.

use domain::{ApiKeyId, AuditAction, DisplayName, Role};
use security::rbac::Permission;
use security::token::ApiKeyToken;
use store::ApiKey;

use crate::{App, AppError, AppResult, Principal, random_bytes};

/// A new key and its token (shown once, never stored).
#[derive(Clone)]
pub struct CreatedApiKey {
    /// The stored key.
    pub key: ApiKey,
    /// The bearer token to hand to the integrating system.
    pub token: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The tenant's keys, revoked ones included.
    pub async fn list_api_keys(&self, who: &Principal) -> AppResult<Vec<ApiKey>> {
        who.require(Permission::ApiKeysRead)?;
        Ok(self.store().list_api_keys(who.tenant_id).await?)
    }

    /// One key of the caller's tenant.
    pub async fn get_api_key(&self, who: &Principal, id: ApiKeyId) -> AppResult<ApiKey> {
        who.require(Permission::ApiKeysRead)?;
        self.store()
            .get_api_key(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Creates a key with the given role.
    pub async fn create_api_key(
        &self,
        who: &Principal,
        name: DisplayName,
        role: Role,
    ) -> AppResult<CreatedApiKey> {
        who.require(Permission::ApiKeysManage)?;
        let id = ApiKeyId::from_random_bytes(random_bytes()?);
        let token = ApiKeyToken::new(who.tenant_id, id, random_bytes()?);
        let key = ApiKey {
            tenant_id: who.tenant_id,
            id,
            name,
            role,
            secret_hash: token.secret_hash(),
            created_by: who.user_id(),
            created_at: self.now(),
            revoked_at: None,
            last_used_at: None,
        };
        self.store().insert_api_key(&key).await?;
        self.audit_success(who, AuditAction::ApiKeyCreate, id)
            .await?;
        Ok(CreatedApiKey {
            key,
            token: token.encode(),
        })
    }

    /// Revokes a key; it authenticates nothing from now on.
    pub async fn revoke_api_key(&self, who: &Principal, id: ApiKeyId) -> AppResult<()> {
        who.require(Permission::ApiKeysManage)?;
        self.store()
            .get_api_key(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self
            .store()
            .revoke_api_key(who.tenant_id, id, self.now())
            .await?
        {
            return Err(AppError::Conflict("revocation"));
        }
        self.audit_success(who, AuditAction::ApiKeyRevoke, id).await
    }
}
