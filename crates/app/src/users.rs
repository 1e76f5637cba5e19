//! Staff accounts: listing, creation with a one-time password, role and status changes,
//! and ending a user's sessions.

use domain::{AuditAction, DisplayName, Role, UserId, Username};
use security::password;
use security::rbac::Permission;
use store::{User, UserChanges};

use crate::{App, AppError, AppResult, Principal, random_bytes};

/// A new user and the one-time password to hand over (shown once).
#[derive(Clone)]
pub struct CreatedUser {
    /// The stored user.
    pub user: User,
    /// The generated password; it must be changed at first login.
    pub one_time_password: String,
}

impl std::fmt::Debug for CreatedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedUser")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Builds a user with a fresh one-time password (hashing happens here, off the async workers).
pub(crate) async fn new_user_with_otp(
    app: &App,
    tenant: domain::TenantId,
    username: Username,
    display_name: DisplayName,
    role: Role,
) -> AppResult<CreatedUser> {
    let otp = password::one_time_password(random_bytes()?);
    let to_hash = otp.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&to_hash))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing failed: {e}")))?;
    let now = app.now();
    let user = User {
        tenant_id: tenant,
        id: UserId::from_random_bytes(random_bytes()?),
        username,
        display_name,
        role,
        password_hash: hash.into_string(),
        must_change_password: true,
        totp_secret: None,
        totp_enrolled: false,
        totp_last_step: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    Ok(CreatedUser {
        user,
        one_time_password: otp,
    })
}

impl App {
    /// The tenant's users.
    pub async fn list_users(&self, who: &Principal) -> AppResult<Vec<User>> {
        who.require(Permission::UsersRead)?;
        Ok(self.store().list_users(who.tenant_id).await?)
    }

    /// One user of the caller's tenant.
    pub async fn get_user(&self, who: &Principal, id: UserId) -> AppResult<User> {
        who.require(Permission::UsersRead)?;
        self.store()
            .get_user(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Creates a user with a generated one-time password that must be changed at first login.
    pub async fn create_user(
        &self,
        who: &Principal,
        username: Username,
        display_name: DisplayName,
        role: Role,
    ) -> AppResult<CreatedUser> {
        who.require(Permission::UsersManage)?;
        let created = new_user_with_otp(self, who.tenant_id, username, display_name, role).await?;
        match self.store().insert_user(who.tenant_id, &created.user).await {
            Err(store::StoreError::Conflict(_)) => {
                return Err(AppError::field(
                    "username",
                    "this username is already taken",
                ));
            }
            other => other?,
        }
        self.audit_success(who, AuditAction::UserCreate, created.user.id)
            .await?;
        Ok(created)
    }

    /// Changes a user's display name, role or disabled flag. Disabling ends the user's
    /// sessions. Nobody can change their own role or disable themselves (so a tenant cannot
    /// lose its last admin by accident).
    pub async fn update_user(
        &self,
        who: &Principal,
        id: UserId,
        changes: UserChanges,
    ) -> AppResult<User> {
        who.require(Permission::UsersManage)?;
        let existing = self
            .store()
            .get_user(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if who.user_id() == Some(id) {
            if changes.role.is_some_and(|r| r != existing.role) {
                return Err(AppError::field("role", "you cannot change your own role"));
            }
            if changes.disabled == Some(true) {
                return Err(AppError::field(
                    "disabled",
                    "you cannot disable your own account",
                ));
            }
        }
        let updated = self
            .store()
            .update_user(who.tenant_id, id, &changes, self.now())
            .await?
            .ok_or(AppError::NotFound)?;
        if changes.disabled == Some(true) {
            self.store().delete_user_sessions(who.tenant_id, id).await?;
        }
        let action = if changes.role.is_some_and(|r| r != existing.role) {
            AuditAction::UserRoleChange
        } else {
            AuditAction::UserUpdate
        };
        self.audit_success(who, action, id).await?;
        Ok(updated)
    }

    /// Deletes a user account for good: its sessions, backup codes, phone account and agent
    /// profile go, and the API keys it created stop working. The audit log keeps the id. Only
    /// a disabled account can be deleted (so it is signed out and takes no new conversations
    /// first), never one's own, and not while it holds a conversation.
    pub async fn delete_user(&self, who: &Principal, id: UserId) -> AppResult<()> {
        who.require(Permission::UsersManage)?;
        if who.user_id() == Some(id) {
            return Err(AppError::Refused {
                code: "own-account",
                detail: "You cannot delete your own account.",
            });
        }
        let user = self
            .store()
            .get_user(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !user.disabled {
            return Err(AppError::Refused {
                code: "disable-first",
                detail: "Disable the account first, so that it is signed out and takes no new \
                         conversations; then delete it.",
            });
        }
        let holds = self
            .store()
            .list_live_cc_tasks(who.tenant_id)
            .await?
            .iter()
            .any(|t| t.agent_id == Some(id));
        if holds {
            return Err(AppError::Refused {
                code: "holds-conversations",
                detail: "The user still holds conversations; move them to a queue first.",
            });
        }
        if !self
            .store()
            .delete_user(who.tenant_id, id, self.now())
            .await?
        {
            return Err(AppError::NotFound);
        }
        // The contact centre loads its agents afresh, without this one.
        self.forget_centre(who.tenant_id).await;
        self.audit_success(who, AuditAction::UserDelete, id).await
    }

    /// Clears the second factor of a user who lost it (their phone): the TOTP seed and the
    /// backup codes go, every session ends, and the next sign-in enrols a new authenticator.
    /// Not for one's own account (a signed-in user still has theirs).
    pub async fn reset_second_factor(&self, who: &Principal, id: UserId) -> AppResult<()> {
        who.require(Permission::UsersManage)?;
        if who.user_id() == Some(id) {
            return Err(AppError::field(
                "id",
                "you cannot reset your own second factor; another admin can",
            ));
        }
        self.store()
            .get_user(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let now = self.now();
        self.store()
            .set_totp_secret(who.tenant_id, id, None, now)
            .await?;
        self.store()
            .replace_backup_codes(who.tenant_id, id, &[])
            .await?;
        self.store().delete_user_sessions(who.tenant_id, id).await?;
        self.audit_success(who, AuditAction::UserSecondFactorReset, id)
            .await?;
        Ok(())
    }

    /// Ends every session of a user of the caller's tenant.
    pub async fn end_user_sessions(&self, who: &Principal, id: UserId) -> AppResult<u64> {
        who.require(Permission::SessionsManage)?;
        self.store()
            .get_user(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let ended = self.store().delete_user_sessions(who.tenant_id, id).await?;
        self.audit_success(who, AuditAction::UserSessionsEnd, id)
            .await?;
        Ok(ended)
    }
}

impl App {
    /// The caller's own tenant.
    pub async fn tenant(&self, who: &Principal) -> AppResult<store::Tenant> {
        who.require(Permission::TenantRead)?;
        self.store()
            .get_tenant(who.tenant_id)
            .await?
            .ok_or(AppError::NotFound)
    }
}
