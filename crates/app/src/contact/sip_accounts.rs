//! Agents' phones: the SIP account an agent's phone registers with (a username unique in the
//! installation and a password of at least 12 characters), set by the agent or by someone who
//! supervises queues, and looked up by the voice channel's registrar. The password is never
//! stored, logged or returned: the store keeps RFC 2617's HA1, `MD5(username:realm:password)`,
//! which is what digest authentication needs (and which is as good as the password for this
//! realm, so it is never logged either). Every change is audited, naming only the agent.

use domain::{AuditAction, TenantId, UserId};
use security::rbac::{self, Permission};

use crate::{App, AppError, AppResult, Principal};

/// The realm when the installation names none (`sip.realm`).
pub const DEFAULT_SIP_REALM: &str = "hotline";

/// Longest SIP username.
const MAX_USERNAME_LEN: usize = 64;

/// An agent's SIP account as the registrar uses it. `Debug` leaves the HA1 out.
#[derive(Clone, PartialEq, Eq)]
pub struct SipAccount {
    /// The agent's tenant.
    pub tenant: TenantId,
    /// The agent.
    pub user: UserId,
    /// The username the phone registers with.
    pub username: String,
    /// The digest realm.
    pub realm: String,
    ha1: String,
}

impl SipAccount {
    /// Lower-case hex `MD5(username:realm:password)`, for `sip_proto::auth::verify_ha1`.
    pub fn ha1(&self) -> &str {
        &self.ha1
    }
}

impl std::fmt::Debug for SipAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipAccount")
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// What setting an account returns: never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAccountView {
    /// The username the phone registers with.
    pub username: String,
    /// The realm the phone will be challenged with.
    pub realm: String,
}

fn check_username(username: &str) -> AppResult<()> {
    let ok = !username.is_empty()
        && username.len() <= MAX_USERNAME_LEN
        && username.starts_with(|c: char| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "username",
            format!(
                "1–{MAX_USERNAME_LEN} characters: letters, digits, '.', '-' or '_', starting \
                 with a letter or digit"
            ),
        ))
    }
}

fn check_password(password: &str, username: &str) -> AppResult<()> {
    security::password::check_policy(password, username)
        .map_err(|e| AppError::field("password", e.to_string()))?;
    if password.chars().any(char::is_control) {
        return Err(AppError::field(
            "password",
            "must not contain control characters",
        ));
    }
    Ok(())
}

impl App {
    /// Sets the digest realm agents' phones are challenged with (at start-up, from
    /// `sip.realm`). Accounts set under another realm stop working until their password is
    /// set again, since their HA1 names the old realm.
    pub fn set_sip_realm(&self, realm: String) {
        let _ = self.inner.sip_realm.set(realm);
    }

    /// The digest realm of agents' phones.
    pub fn sip_realm(&self) -> &str {
        self.inner
            .sip_realm
            .get()
            .map_or(DEFAULT_SIP_REALM, String::as_str)
    }

    /// Who may change `agent`'s phone: the agent, or a supervisor of the same tenant. An agent
    /// of another tenant is "not found".
    async fn may_manage_phone(&self, who: &Principal, agent: UserId) -> AppResult<()> {
        if who.user_id() == Some(agent) {
            return who.require(Permission::ConversationsHandle);
        }
        who.require(Permission::QueuesSupervise)?;
        let user = self
            .store()
            .get_user(who.tenant_id, agent)
            .await?
            .ok_or(AppError::NotFound)?;
        if !rbac::allows(user.role, Permission::ConversationsHandle) {
            return Err(AppError::field(
                "user_id",
                "this user does not handle conversations",
            ));
        }
        Ok(())
    }

    /// Sets (or replaces) an agent's SIP username and password. The password must follow the
    /// password policy (at least 12 characters, not a common password, not the username).
    pub async fn set_agent_sip_account(
        &self,
        who: &Principal,
        agent: UserId,
        username: &str,
        password: &str,
    ) -> AppResult<SipAccountView> {
        self.may_manage_phone(who, agent).await?;
        check_username(username)?;
        check_password(password, username)?;
        let realm = self.sip_realm().to_owned();
        let now = self.now();
        let created_at = self
            .store()
            .get_sip_account(who.tenant_id, agent)
            .await?
            .map_or(now, |a| a.created_at);
        let account = store::SipAccount {
            tenant_id: who.tenant_id,
            user_id: agent,
            username: username.to_owned(),
            ha1: sip_proto::auth::ha1(username, &realm, password),
            realm: realm.clone(),
            created_at,
            updated_at: now,
        };
        self.store()
            .put_sip_account(who.tenant_id, &account)
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => AppError::Conflict("SIP username"),
                e => e.into(),
            })?;
        self.audit_success(who, AuditAction::AgentSipAccountSet, agent)
            .await?;
        Ok(SipAccountView {
            username: username.to_owned(),
            realm,
        })
    }

    /// Removes an agent's SIP account: the phone can no longer register (a binding it holds
    /// expires as registered).
    pub async fn remove_agent_sip_account(&self, who: &Principal, agent: UserId) -> AppResult<()> {
        self.may_manage_phone(who, agent).await?;
        if !self
            .store()
            .delete_sip_account(who.tenant_id, agent)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.audit_success(who, AuditAction::AgentSipAccountRemove, agent)
            .await
    }

    /// Whether an agent may be rung on a phone now: they have a SIP account under the current
    /// realm. A phone whose account was removed (or set under another realm) may still hold a
    /// registration until it runs out; the call shell asks this before ringing it.
    pub async fn agent_has_phone_account(
        &self,
        tenant: TenantId,
        agent: UserId,
    ) -> AppResult<bool> {
        Ok(self
            .store()
            .get_sip_account(tenant, agent)
            .await?
            .is_some_and(|a| a.realm == self.sip_realm()))
    }

    /// The account a REGISTER names, for the registrar: `None` when there is none, its agent
    /// is disabled or gone, or it was set under another realm. Installation-level like
    /// `Repository::resolve_sip_account`: this is how a phone finds its tenant.
    pub async fn sip_account(&self, username: &str) -> AppResult<Option<SipAccount>> {
        let Some(account) = self.store().resolve_sip_account(username).await? else {
            return Ok(None);
        };
        if account.realm != self.sip_realm() {
            return Ok(None);
        }
        let active = self
            .store()
            .get_user(account.tenant_id, account.user_id)
            .await?
            .is_some_and(|u| !u.disabled);
        Ok(active.then_some(SipAccount {
            tenant: account.tenant_id,
            user: account.user_id,
            username: account.username,
            realm: account.realm,
            ha1: account.ha1,
        }))
    }
}
