//! First start: on an empty database, create the demo tenant and its first admin, whose
//! one-time password is returned once for the binary to print. Later starts find the tenant
//! and do nothing, so the password is never shown again.

use domain::{
    ActorKind, AuditAction, AuditEvent, AuthMethod, DisplayName, Outcome, Role, TenantId,
    TenantName, Username,
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

/// The German demo flow, as shipped in `flows/demo-de.yaml`.
pub const DEMO_FLOW_DE: &str = include_str!("../../../flows/demo-de.yaml");
/// The English demo flow, as shipped in `flows/demo-en.yaml`.
pub const DEMO_FLOW_EN: &str = include_str!("../../../flows/demo-en.yaml");

pub(crate) fn system_event(action: AuditAction, object_id: String) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::System,
        actor_id: None,
        auth_method: AuthMethod::Cli,
        source_ip: None,
        request_id: None,
        action: action.as_str().to_owned(),
        object_type: Some(action.object_type().to_owned()),
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
        let created = self.create_tenant(name, username, display).await?;
        self.install_demo(created.tenant.id).await?;
        Ok(Some(created))
    }

    /// Gives the demo tenant the demo hotline: the German and English demo flows, published,
    /// each behind a web chat widget (`demo-de`, `demo-en`) that any origin may embed and a
    /// phone number (SIP user) of the same name, and
    /// permission for its flows to call Hotline's own demo endpoint on loopback.
    async fn install_demo(&self, tenant: TenantId) -> AppResult<()> {
        let demos = [
            (
                DEMO_FLOW_DE,
                "demo-de",
                "Gesundheitsamt – Chat",
                "Fragen zu Impfung, Test und Quarantäne? Schreiben Sie uns.",
            ),
            (
                DEMO_FLOW_EN,
                "demo-en",
                "Health office chat",
                "Questions about vaccination, tests or quarantine? Write to us.",
            ),
        ];
        let now = self.now();
        for (source, widget_id, title, greeting) in demos {
            let doc = crate::flows::parse_source(source)?;
            let errors: Vec<_> = flow::validate(&doc)
                .into_iter()
                .filter(|d| d.severity == flow::Severity::Error)
                .collect();
            if !errors.is_empty() {
                return Err(AppError::InvalidFlow(errors));
            }
            let record = store::FlowRecord {
                tenant_id: tenant,
                id: domain::FlowId::from_random_bytes(random_bytes()?),
                name: doc.name.clone(),
                draft: source.to_owned(),
                active_version: None,
                created_at: now,
                updated_at: now,
                layout: "{}".to_owned(),
                revision: 1,
            };
            self.store().insert_flow(&record).await?;
            let version = self
                .store()
                .publish_flow_version(tenant, record.id, source, "The demo hotline", None, now)
                .await?;
            self.store()
                .insert_widget(&store::Widget {
                    id: widget_id.to_owned(),
                    tenant_id: tenant,
                    name: doc.name.clone(),
                    flow_id: Some(record.id),
                    title: title.to_owned(),
                    primary_color: "#0b5cad".to_owned(),
                    greeting: greeting.to_owned(),
                    allowed_origins: vec!["*".to_owned()],
                    created_at: now,
                    updated_at: now,
                })
                .await?;
            self.audit(
                tenant,
                system_event(AuditAction::FlowPublish, format!("{}@{version}", record.id)),
            )
            .await?;
            self.audit(
                tenant,
                system_event(AuditAction::WidgetCreate, widget_id.to_owned()),
            )
            .await?;
            // Train the model and synthesise the prompts now, so the first caller waits for neither.
            self.compiled(tenant, record.id, version).await?;
            // Calls to the SIP user of the same name reach the same flow.
            self.bind_demo_number(
                tenant,
                widget_id,
                record.id,
                &doc.language,
                // The demo answers SMS and WhatsApp on the same name, once a provider is
                // configured for it (README: "Try SMS locally").
                &[
                    domain::Channel::Voice,
                    domain::Channel::Sms,
                    domain::Channel::Whatsapp,
                ],
                now,
            )
            .await?;
            self.audit(
                tenant,
                system_event(AuditAction::PhoneNumberPut, widget_id.to_owned()),
            )
            .await?;
        }
        Ok(())
    }

    /// Whether the tenant exists and is not disabled.
    pub(crate) async fn tenant_enabled(&self, tenant: TenantId) -> AppResult<bool> {
        Ok(self
            .store()
            .get_tenant(tenant)
            .await?
            .is_some_and(|t| t.disabled_at.is_none()))
    }

    /// Disables a tenant or enables it again (an operator at the machine: `hotline tenant
    /// disable|enable`). Disabling ends every session of its staff at once; its API keys,
    /// widgets and phone numbers stop working; nothing is deleted. Audited in the tenant's log.
    pub async fn set_tenant_disabled_as_system(
        &self,
        tenant: TenantId,
        disabled: bool,
    ) -> AppResult<()> {
        let at = disabled.then(|| self.now());
        if !self.store().set_tenant_disabled(tenant, at).await? {
            return Err(AppError::NotFound);
        }
        if disabled {
            for user in self.store().list_users(tenant).await? {
                self.store().delete_user_sessions(tenant, user.id).await?;
            }
        }
        let action = if disabled {
            AuditAction::TenantDisable
        } else {
            AuditAction::TenantEnable
        };
        self.audit(tenant, system_event(action, tenant.to_string()))
            .await
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
            disabled_at: None,
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
            system_event(AuditAction::TenantCreate, tenant.id.to_string()),
        )
        .await?;
        self.audit(
            tenant.id,
            system_event(AuditAction::UserCreate, created.user.id.to_string()),
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
            system_event(AuditAction::UserCreate, created.user.id.to_string()),
        )
        .await?;
        Ok(created)
    }

    /// Creates an API key from the command line (an operator with access to the data
    /// directory, for scripts and monitoring); audited as the system acting from the CLI.
    /// The token is returned once and stored only as a hash.
    pub async fn create_api_key_as_system(
        &self,
        tenant: TenantId,
        name: DisplayName,
        role: Role,
    ) -> AppResult<crate::CreatedApiKey> {
        self.store()
            .get_tenant(tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        let id = domain::ApiKeyId::from_random_bytes(crate::random_bytes()?);
        let token = security::token::ApiKeyToken::new(tenant, id, crate::random_bytes()?);
        let key = store::ApiKey {
            tenant_id: tenant,
            id,
            name,
            role,
            secret_hash: token.secret_hash(),
            created_by: None,
            created_at: self.now(),
            revoked_at: None,
            last_used_at: None,
        };
        self.store().insert_api_key(&key).await?;
        self.audit(
            tenant,
            system_event(AuditAction::ApiKeyCreate, id.to_string()),
        )
        .await?;
        Ok(crate::CreatedApiKey {
            key,
            token: token.encode(),
        })
    }
}
