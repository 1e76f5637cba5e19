//! First start: on an empty database, create the demo tenant and its first admin, whose
//! one-time password is returned once for the binary to print. Later starts find the tenant
//! and do nothing, so the password is never shown again.

use domain::{
    ActorKind, AuditEvent, AuthMethod, DisplayName, Outcome, Role, TenantId, TenantName, Username,
};
use store::Tenant;

use crate::users::new_user_with_otp;
use crate::{App, AppError, AppResult, random_bytes};

/// What the first start created.
#[derive(Clone)]
pub struct Bootstrapped {
    /// The new tenant.
    pub tenant: Tenant,
    /// The admin's login name.
    pub admin_username: Username,
    /// The admin's one-time password; print it once and forget it.
    pub one_time_password: String,
}

impl std::fmt::Debug for Bootstrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrapped")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

fn system_event(action: &str, object_type: &str, object_id: String) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::System,
        actor_id: None,
        auth_method: AuthMethod::Cli,
        source_ip: None,
        request_id: None,
        action: action.to_owned(),
        object_type: Some(object_type.to_owned()),
        object_id: Some(object_id),
        outcome: Outcome::Success,
    }
}

impl App {
    /// Creates the "Demo" tenant and an `admin` account if the installation has no tenant.
    pub async fn bootstrap_if_empty(&self) -> AppResult<Option<Bootstrapped>> {
        if !self.store().list_tenants().await?.is_empty() {
            return Ok(None);
        }
        let name = TenantName::parse("Demo").map_err(|e| AppError::Internal(e.into()))?;
        let username = Username::parse("admin").map_err(|e| AppError::Internal(e.into()))?;
        let display =
            DisplayName::parse("Administrator").map_err(|e| AppError::Internal(e.into()))?;
        self.create_tenant(name, username, display).await.map(Some)
    }

    /// Creates a tenant with its first admin (used by first start and `hotline tenant create`).
    pub async fn create_tenant(
        &self,
        name: TenantName,
        admin_username: Username,
        admin_display_name: DisplayName,
    ) -> AppResult<Bootstrapped> {
        let tenant = Tenant {
            id: TenantId::from_random_bytes(random_bytes()?),
            name,
            created_at: self.now(),
        };
        let created = new_user_with_otp(
            self,
            tenant.id,
            admin_username.clone(),
            admin_display_name,
            Role::Admin,
        )
        .await?;
        match self
            .store()
            .create_tenant_with_admin(&tenant, &created.user)
            .await
        {
            Err(store::StoreError::Conflict(_)) => {
                return Err(AppError::field(
                    "username",
                    "this username is already taken",
                ));
            }
            other => other?,
        }
        self.audit(
            tenant.id,
            system_event("tenant.create", "tenant", tenant.id.to_string()),
        )
        .await?;
        self.audit(
            tenant.id,
            system_event("user.create", "user", created.user.id.to_string()),
        )
        .await?;
        Ok(Bootstrapped {
            tenant,
            admin_username,
            one_time_password: created.one_time_password,
        })
    }

    /// Creates a user from the command line (an operator with access to the data directory).
    pub async fn create_user_as_system(
        &self,
        tenant: TenantId,
        username: Username,
        display_name: DisplayName,
        role: Role,
    ) -> AppResult<crate::CreatedUser> {
        self.store()
            .get_tenant(tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        let created = new_user_with_otp(self, tenant, username, display_name, role).await?;
        match self.store().insert_user(tenant, &created.user).await {
            Err(store::StoreError::Conflict(_)) => {
                return Err(AppError::field(
                    "username",
                    "this username is already taken",
                ));
            }
            other => other?,
        }
        self.audit(
            tenant,
            system_event("user.create", "user", created.user.id.to_string()),
        )
        .await?;
        Ok(created)
    }
}
