//! Login, the second factor, sessions and logout.
//!
//! A login is a small state machine kept in the server-side session: the password opens a
//! *partial* session whose next step is a forced password change, TOTP enrolment or a TOTP
//! code; only then is a *full* session issued, under a new id. Unknown users and wrong
//! passwords take the same path and the same time, and both count against the same limits.

use domain::{
    ActorKind, AuditAction, AuditEvent, AuthMethod, Outcome, TenantId, Timestamp, UserId, Username,
};
use security::password::{self, PasswordHash};
use security::token::{self, SessionToken};
use security::{backup_codes, totp};
use store::{Session, SessionStage, Tenant, User};

use crate::{App, AppError, AppResult, Principal, PrincipalKind, RequestMeta, random_bytes};

/// What the client must do next to finish signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Choose a new password (after a generated one-time password).
    ChangePassword,
    /// Enrol an authenticator app.
    EnrolTotp,
    /// Enter a TOTP or backup code.
    Totp,
    /// Signed in.
    Done,
}

impl NextStep {
    /// The name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            NextStep::ChangePassword => "change_password",
            NextStep::EnrolTotp => "enrol_totp",
            NextStep::Totp => "totp",
            NextStep::Done => "done",
        }
    }

    fn for_session(stage: SessionStage, user: &User) -> Self {
        match stage {
            SessionStage::Full => NextStep::Done,
            SessionStage::Partial if user.must_change_password => NextStep::ChangePassword,
            SessionStage::Partial if !user.totp_enrolled => NextStep::EnrolTotp,
            SessionStage::Partial => NextStep::Totp,
        }
    }
}

/// The result of a login step: a (new) session cookie value and what comes next.
#[derive(Clone)]
pub struct LoginOutcome {
    /// The session cookie's value.
    pub token: String,
    /// The anti-CSRF token of that session.
    pub csrf_token: String,
    /// What the client must do next.
    pub next: NextStep,
    /// Freshly generated backup codes, shown once at the end of enrolment.
    pub backup_codes: Option<Vec<String>>,
}

impl std::fmt::Debug for LoginOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOutcome")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// An authenticated session (partial or full) with its user and tenant.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The stored session.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// The user's tenant.
    pub tenant: Tenant,
    /// What the client must do next.
    pub next: NextStep,
    /// Where the request came from.
    pub meta: RequestMeta,
}

impl SessionInfo {
    /// The principal of a fully signed-in session; `None` while login is unfinished.
    pub fn principal(&self) -> Option<Principal> {
        (self.session.stage == SessionStage::Full).then(|| self.actor(AuthMethod::Session))
    }

    /// The session's user as the actor of an audit entry, authenticated by `auth_method`
    /// (mid-login, the factor just presented rather than the session).
    fn actor(&self, auth_method: AuthMethod) -> Principal {
        Principal {
            tenant_id: self.tenant.id,
            kind: PrincipalKind::User {
                user_id: self.user.id,
                session_hash: self.session.token_hash.clone(),
            },
            role: self.user.role,
            auth_method,
            meta: self.meta.clone(),
        }
    }

    /// An entry about the session's own user, who is also the actor.
    fn event(&self, action: AuditAction, auth_method: AuthMethod, outcome: Outcome) -> AuditEvent {
        self.actor(auth_method)
            .event(action, self.user.id.to_string(), outcome)
    }
}

/// The start of TOTP enrolment: the seed in the forms an authenticator app takes.
#[derive(Clone)]
pub struct EnrolmentStart {
    /// Base32 seed for manual entry.
    pub secret: String,
    /// `otpauth://` URI.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for EnrolmentStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrolmentStart { .. }")
    }
}

/// A second factor as entered.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactor<'a> {
    /// A 6-digit TOTP code.
    Totp(&'a str),
    /// One of the backup codes.
    BackupCode(&'a str),
}

fn user_event(
    meta: &RequestMeta,
    user: UserId,
    method: AuthMethod,
    action: AuditAction,
    outcome: Outcome,
) -> AuditEvent {
    AuditEvent {
        actor_kind: ActorKind::User,
        actor_id: Some(user.to_string()),
        auth_method: method,
        source_ip: meta.source_ip.clone(),
        request_id: meta.request_id,
        action: action.as_str().to_owned(),
        object_type: Some(action.object_type().to_owned()),
        object_id: Some(user.to_string()),
        outcome,
    }
}

fn account_key(raw_username: &str) -> String {
    let normalised: String = raw_username
        .trim()
        .to_lowercase()
        .chars()
        .take(128)
        .collect();
    format!("account:{normalised}")
}

fn ip_key(meta: &RequestMeta) -> Option<String> {
    meta.source_ip.as_ref().map(|ip| format!("ip:{ip}"))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    // Argon2 is deliberately slow; keep it off the async workers.
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        AppError::Internal(anyhow::Error::new(e).context("password hashing task failed"))
    })
}

impl App {
    fn throttle_check(&self, keys: &[Option<String>], now: Timestamp) -> AppResult<()> {
        let limits = self.limits();
        let mut worst = 0u64;
        for (limiter, key) in [&limits.per_account, &limits.per_ip].into_iter().zip(keys) {
            if let Some(key) = key
                && let Err(retry) = limiter.check(key, now)
            {
                worst = worst.max(retry.secs);
            }
        }
        if worst > 0 {
            return Err(AppError::RateLimited {
                retry_after_secs: worst,
            });
        }
        Ok(())
    }

    fn throttle_failure(&self, keys: &[Option<String>], now: Timestamp) {
        let mut limits = self.limits();
        let limits = &mut *limits;
        for (limiter, key) in [&mut limits.per_account, &mut limits.per_ip]
            .into_iter()
            .zip(keys)
        {
            if let Some(key) = key {
                limiter.record_failure(key, now);
            }
        }
        limits.per_account.prune(now);
        limits.per_ip.prune(now);
    }

    async fn new_session(
        &self,
        tenant: TenantId,
        user: UserId,
        stage: SessionStage,
        auth_method: AuthMethod,
    ) -> AppResult<(String, Session)> {
        let now = self.now();
        let token = SessionToken::new(tenant, random_bytes()?);
        let lifetime = match stage {
            SessionStage::Partial => self.policy().partial_timeout_ms,
            SessionStage::Full => self.policy().absolute_timeout_ms,
        };
        let session = Session {
            tenant_id: tenant,
            token_hash: token.secret_hash(),
            user_id: user,
            stage,
            auth_method,
            csrf_token: token::secret_from_random(random_bytes()?),
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_millis(lifetime),
        };
        self.store().insert_session(&session).await?;
        Ok((token.encode(), session))
    }

    /// Ends the session a cookie names, if any (used before issuing a new one at login).
    async fn drop_presented_session(&self, presented: Option<&str>) {
        if let Some(Ok(old)) = presented.map(SessionToken::parse) {
            // Best effort: a stale or foreign cookie is simply ignored.
            let _ = self
                .store()
                .delete_session(old.tenant_id, &old.secret_hash())
                .await;
        }
    }

    /// Checks a username and password. On success opens a partial session whose next step
    /// says what is still due; the previous session cookie, if any, is ended.
    pub async fn login(
        &self,
        meta: &RequestMeta,
        presented_session: Option<&str>,
        raw_username: &str,
        password: &str,
    ) -> AppResult<LoginOutcome> {
        let now = self.now();
        let keys = [Some(account_key(raw_username)), ip_key(meta)];
        // A throttled attempt is refused before anything is looked up: it costs the same for
        // a known and an unknown name (no username oracle) and writes nothing (no audit flood;
        // the throttle's start is audited once, below).
        self.throttle_check(&keys, now)?;
        let found = match Username::parse(raw_username) {
            Ok(username) => self.store().find_login(&username).await?,
            Err(_) => None,
        };
        // A disabled tenant's staff sign in nowhere; they look like unknown names.
        let found = match found {
            Some((tenant, user)) if self.tenant_enabled(tenant).await? => Some((tenant, user)),
            _ => None,
        };
        let user = match found {
            Some((tenant, user_id)) => self.store().get_user(tenant, user_id).await?,
            None => None,
        };
        let candidate = password.to_owned();
        let verified = match &user {
            Some(user) => {
                let hash = PasswordHash::from_stored(user.password_hash.clone());
                blocking(move || password::verify(&candidate, &hash)).await? && !user.disabled
            }
            None => {
                blocking(move || password::verify_dummy(&candidate)).await?;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            self.throttle_failure(&keys, now);
            if let Some((tenant, user_id)) = found {
                self.audit(
                    tenant,
                    user_event(
                        meta,
                        user_id,
                        AuthMethod::Password,
                        AuditAction::AuthLogin,
                        Outcome::Failure,
                    ),
                )
                .await?;
                if self.throttle_check(&keys[..1], now).is_err() {
                    // This failure started the account's throttle: one entry for the window,
                    // however many attempts it then refuses.
                    self.audit(
                        tenant,
                        user_event(
                            meta,
                            user_id,
                            AuthMethod::None,
                            AuditAction::AuthLogin,
                            Outcome::Denied,
                        ),
                    )
                    .await?;
                }
            } else {
                tracing::info!(
                    event = AuditAction::AuthLogin.as_str(),
                    outcome = "failure",
                    "login for an unknown account"
                );
            }
            return Err(AppError::InvalidCredentials);
        };
        self.drop_presented_session(presented_session).await;
        let (token, session) = self
            .new_session(
                user.tenant_id,
                user.id,
                SessionStage::Partial,
                AuthMethod::Password,
            )
            .await?;
        self.audit(
            user.tenant_id,
            user_event(
                meta,
                user.id,
                AuthMethod::Password,
                AuditAction::AuthLogin,
                Outcome::Success,
            ),
        )
        .await?;
        Ok(LoginOutcome {
            token,
            csrf_token: session.csrf_token,
            next: NextStep::for_session(SessionStage::Partial, &user),
            backup_codes: None,
        })
    }

    /// Resolves a session cookie. Expired sessions (idle or absolute) are deleted and refused.
    pub async fn authenticate_session(
        &self,
        meta: &RequestMeta,
        cookie: &str,
    ) -> AppResult<SessionInfo> {
        let token = SessionToken::parse(cookie).map_err(|_| AppError::Unauthenticated)?;
        let tenant_id = token.tenant_id;
        let hash = token.secret_hash();
        let session = self
            .store()
            .get_session(tenant_id, &hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let now = self.now();
        let idle_deadline = session
            .last_seen_at
            .plus_millis(self.policy().idle_timeout_ms);
        if now >= session.expires_at || now >= idle_deadline {
            self.store().delete_session(tenant_id, &hash).await?;
            return Err(AppError::Unauthenticated);
        }
        let user = self
            .store()
            .get_user(tenant_id, session.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AppError::Unauthenticated)?;
        let tenant = self
            .store()
            .get_tenant(tenant_id)
            .await?
            .filter(|t| t.disabled_at.is_none())
            .ok_or(AppError::Unauthenticated)?;
        self.store().touch_session(tenant_id, &hash, now).await?;
        let next = NextStep::for_session(session.stage, &user);
        Ok(SessionInfo {
            session,
            user,
            tenant,
            next,
            meta: meta.clone(),
        })
    }

    /// Sets a new password. In a partial session this is the forced change after a one-time
    /// password; a signed-in user must also give the current password. Other sessions of the
    /// user end.
    pub async fn change_password(
        &self,
        info: &SessionInfo,
        current: Option<&str>,
        new_password: &str,
    ) -> AppResult<NextStep> {
        match info.next {
            NextStep::ChangePassword => {}
            NextStep::Done => {
                self.verify_current_password(info, current, AuditAction::UserPasswordChange)
                    .await?;
            }
            NextStep::EnrolTotp | NextStep::Totp => return Err(AppError::WrongStep),
        }
        password::check_policy(new_password, info.user.username.as_str())
            .map_err(|e| AppError::field("new_password", e.to_string()))?;
        let new_password = new_password.to_owned();
        let hash = blocking(move || password::hash(&new_password))
            .await?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing the password failed: {e}")))?;
        let now = self.now();
        self.store()
            .set_password(info.tenant.id, info.user.id, hash.as_str(), false, now)
            .await?;
        // End every other session: whoever knew the old password is out.
        let sessions = self
            .store()
            .delete_user_sessions(info.tenant.id, info.user.id)
            .await?;
        self.store().insert_session(&info.session).await?;
        tracing::debug!(
            ended = sessions.saturating_sub(1),
            "other sessions ended after password change"
        );
        let method = match info.next {
            NextStep::Done => AuthMethod::Session,
            _ => AuthMethod::Password,
        };
        self.audit_success(
            &info.actor(method),
            AuditAction::UserPasswordChange,
            info.user.id,
        )
        .await?;
        let mut user = info.user.clone();
        user.must_change_password = false;
        Ok(NextStep::for_session(info.session.stage, &user))
    }

    /// Checks the password a signed-in user gives to confirm a sensitive change. A stolen
    /// session must not become a password oracle: wrong passwords are throttled per user like
    /// wrong second-factor codes, and each is audited as a failed `action`.
    async fn verify_current_password(
        &self,
        info: &SessionInfo,
        current: Option<&str>,
        action: AuditAction,
    ) -> AppResult<()> {
        let Some(current) = current.map(str::to_owned) else {
            return Err(AppError::field(
                "current_password",
                "the current password is required",
            ));
        };
        let key = format!("password:{}", info.user.id);
        self.limits()
            .per_user_totp
            .check(&key, self.now())
            .map_err(|r| AppError::RateLimited {
                retry_after_secs: r.secs,
            })?;
        let hash = PasswordHash::from_stored(info.user.password_hash.clone());
        if blocking(move || password::verify(&current, &hash)).await? {
            return Ok(());
        }
        let now = self.now();
        {
            let mut limits = self.limits();
            limits.per_user_totp.record_failure(&key, now);
            limits.per_user_totp.prune(now);
        }
        self.audit(
            info.tenant.id,
            info.event(action, AuthMethod::Session, Outcome::Failure),
        )
        .await?;
        Err(AppError::field(
            "current_password",
            "the current password is not correct",
        ))
    }

    /// How many unused backup codes the signed-in user has left.
    pub async fn backup_codes_left(&self, info: &SessionInfo) -> AppResult<usize> {
        if info.next != NextStep::Done {
            return Err(AppError::WrongStep);
        }
        Ok(self
            .store()
            .unused_backup_codes(info.tenant.id, info.user.id)
            .await?
            .len())
    }

    /// Replaces the signed-in user's backup codes with ten new ones (shown once), after they
    /// confirm with their password; the old codes stop working.
    pub async fn renew_backup_codes(
        &self,
        info: &SessionInfo,
        current_password: Option<&str>,
    ) -> AppResult<Vec<String>> {
        if info.next != NextStep::Done {
            return Err(AppError::WrongStep);
        }
        self.verify_current_password(info, current_password, AuditAction::AuthBackupCodesRenew)
            .await?;
        let codes = self.store_new_backup_codes(info).await?;
        self.audit_success(
            &info.actor(AuthMethod::Session),
            AuditAction::AuthBackupCodesRenew,
            info.user.id,
        )
        .await?;
        Ok(codes)
    }

    /// Ten new backup codes for the user, stored hashed in place of the old ones.
    async fn store_new_backup_codes(&self, info: &SessionInfo) -> AppResult<Vec<String>> {
        let codes = backup_codes::generate(&random_bytes()?);
        let to_hash = codes.clone();
        let hashes = blocking(move || {
            to_hash
                .iter()
                .map(|c| backup_codes::hash(c).map(PasswordHash::into_string))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing backup codes failed: {e}")))?;
        self.store()
            .replace_backup_codes(info.tenant.id, info.user.id, &hashes)
            .await?;
        Ok(codes)
    }

    /// Starts TOTP enrolment for a user whose login is at that step: a new seed is stored
    /// (not yet active) and returned as text, URI and QR code.
    pub async fn start_totp_enrolment(&self, info: &SessionInfo) -> AppResult<EnrolmentStart> {
        if info.next != NextStep::EnrolTotp {
            return Err(AppError::WrongStep);
        }
        let secret = totp::TotpSecret::from_bytes(random_bytes()?);
        let base32 = secret.to_base32();
        self.store()
            .set_totp_secret(info.tenant.id, info.user.id, Some(&base32), self.now())
            .await?;
        let uri = totp::otpauth_uri(
            &secret,
            &self.policy().totp_issuer,
            info.user.username.as_str(),
        );
        let qr_svg = totp::qr_svg(&uri)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("QR code too large")))?;
        self.audit_success(
            &info.actor(AuthMethod::Password),
            AuditAction::AuthTotpEnrolStart,
            info.user.id,
        )
        .await?;
        Ok(EnrolmentStart {
            secret: base32,
            otpauth_uri: uri,
            qr_svg,
        })
    }

    /// Confirms enrolment with a first code: TOTP becomes active, ten backup codes are made,
    /// and the partial session is replaced by a full one under a new id.
    pub async fn confirm_totp_enrolment(
        &self,
        info: &SessionInfo,
        code: &str,
    ) -> AppResult<LoginOutcome> {
        if info.next != NextStep::EnrolTotp {
            return Err(AppError::WrongStep);
        }
        self.second_factor_throttle(info)?;
        let user = self
            .store()
            .get_user(info.tenant.id, info.user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let Some(secret) = user
            .totp_secret
            .as_deref()
            .and_then(|s| totp::TotpSecret::from_base32(s).ok())
        else {
            return Err(AppError::WrongStep);
        };
        let now = self.now();
        let step = match totp::verify(&secret, code, now.secs(), user.totp_last_step) {
            Ok(step)
                if self
                    .store()
                    .confirm_totp(info.tenant.id, info.user.id, step, now)
                    .await? =>
            {
                step
            }
            _ => {
                self.second_factor_failed(info, AuditAction::AuthTotpEnrol)
                    .await?;
                return Err(AppError::InvalidCode);
            }
        };
        tracing::debug!(step, "TOTP enrolment confirmed");
        let codes = self.store_new_backup_codes(info).await?;
        self.audit_success(
            &info.actor(AuthMethod::Totp),
            AuditAction::AuthTotpEnrol,
            info.user.id,
        )
        .await?;
        let mut outcome = self.promote(info, AuthMethod::Totp).await?;
        outcome.backup_codes = Some(codes);
        Ok(outcome)
    }

    /// Checks the second factor of a login at the TOTP step and, if right, replaces the
    /// partial session by a full one under a new id. A TOTP code is accepted once only.
    pub async fn second_factor(
        &self,
        info: &SessionInfo,
        factor: SecondFactor<'_>,
    ) -> AppResult<LoginOutcome> {
        if info.next != NextStep::Totp {
            return Err(AppError::WrongStep);
        }
        self.second_factor_throttle(info)?;
        let now = self.now();
        let ok = match factor {
            SecondFactor::Totp(code) => {
                let secret = info
                    .user
                    .totp_secret
                    .as_deref()
                    .and_then(|s| totp::TotpSecret::from_base32(s).ok())
                    .ok_or(AppError::WrongStep)?;
                match totp::verify(&secret, code, now.secs(), info.user.totp_last_step) {
                    Ok(step) => {
                        self.store()
                            .advance_totp_step(info.tenant.id, info.user.id, step)
                            .await?
                    }
                    Err(_) => false,
                }
            }
            SecondFactor::BackupCode(code) => self.use_backup_code(info, code, now).await?,
        };
        let method = match factor {
            SecondFactor::Totp(_) => AuthMethod::Totp,
            SecondFactor::BackupCode(_) => AuthMethod::BackupCode,
        };
        if !ok {
            self.second_factor_failed(info, AuditAction::AuthSecondFactor)
                .await?;
            return Err(AppError::InvalidCode);
        }
        self.audit_success(
            &info.actor(method),
            AuditAction::AuthSecondFactor,
            info.user.id,
        )
        .await?;
        self.limits()
            .per_account
            .clear(&account_key(info.user.username.as_str()));
        self.promote(info, method).await
    }

    async fn use_backup_code(
        &self,
        info: &SessionInfo,
        code: &str,
        now: Timestamp,
    ) -> AppResult<bool> {
        let stored = self
            .store()
            .unused_backup_codes(info.tenant.id, info.user.id)
            .await?;
        let code = code.to_owned();
        let matched = blocking(move || {
            stored
                .into_iter()
                .find(|c| {
                    backup_codes::verify(&code, &PasswordHash::from_stored(c.code_hash.clone()))
                })
                .map(|c| c.ordinal)
        })
        .await?;
        match matched {
            Some(ordinal) => Ok(self
                .store()
                .use_backup_code(info.tenant.id, info.user.id, ordinal, now)
                .await?),
            None => Ok(false),
        }
    }

    fn second_factor_throttle(&self, info: &SessionInfo) -> AppResult<()> {
        let key = format!("totp:{}", info.user.id);
        self.limits()
            .per_user_totp
            .check(&key, self.now())
            .map_err(|r| AppError::RateLimited {
                retry_after_secs: r.secs,
            })
    }

    async fn second_factor_failed(&self, info: &SessionInfo, action: AuditAction) -> AppResult<()> {
        let now = self.now();
        {
            let mut limits = self.limits();
            limits
                .per_user_totp
                .record_failure(&format!("totp:{}", info.user.id), now);
            limits.per_user_totp.prune(now);
        }
        self.audit(
            info.tenant.id,
            info.event(action, AuthMethod::Password, Outcome::Failure),
        )
        .await
    }

    async fn promote(&self, info: &SessionInfo, method: AuthMethod) -> AppResult<LoginOutcome> {
        self.store()
            .delete_session(info.tenant.id, &info.session.token_hash)
            .await?;
        let (token, session) = self
            .new_session(info.tenant.id, info.user.id, SessionStage::Full, method)
            .await?;
        Ok(LoginOutcome {
            token,
            csrf_token: session.csrf_token,
            next: NextStep::Done,
            backup_codes: None,
        })
    }

    /// Ends this session.
    pub async fn logout(&self, info: &SessionInfo) -> AppResult<()> {
        self.store()
            .delete_session(info.tenant.id, &info.session.token_hash)
            .await?;
        self.audit_success(
            &info.actor(AuthMethod::Session),
            AuditAction::AuthLogout,
            info.user.id,
        )
        .await
    }

    /// Ends every session of the signed-in user, this one included.
    pub async fn logout_everywhere(&self, info: &SessionInfo) -> AppResult<u64> {
        let ended = self
            .store()
            .delete_user_sessions(info.tenant.id, info.user.id)
            .await?;
        self.audit_success(
            &info.actor(AuthMethod::Session),
            AuditAction::AuthLogoutAll,
            info.user.id,
        )
        .await?;
        Ok(ended)
    }

    /// Resolves an API key token (`Authorization: Bearer hlk_…`) to a principal.
    pub async fn authenticate_api_key(
        &self,
        meta: &RequestMeta,
        presented: &str,
    ) -> AppResult<Principal> {
        let token = token::ApiKeyToken::parse(presented).map_err(|_| AppError::Unauthenticated)?;
        let key = self
            .store()
            .get_api_key(token.tenant_id, token.key_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if key.revoked_at.is_some() || !token::ct_eq(&key.secret_hash, &token.secret_hash()) {
            return Err(AppError::Unauthenticated);
        }
        if !self.tenant_enabled(key.tenant_id).await? {
            return Err(AppError::Unauthenticated);
        }
        // A key dies with its creator's account and acts with at most the creator's current
        // role: demoting or disabling a user takes their keys' powers with it.
        let creator_role = match key.created_by {
            Some(user_id) => {
                let creator = self
                    .store()
                    .get_user(key.tenant_id, user_id)
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or(AppError::Unauthenticated)?;
                Some(creator.role)
            }
            None => None,
        };
        self.store()
            .touch_api_key(key.tenant_id, key.id, self.now())
            .await?;
        Ok(Principal {
            tenant_id: key.tenant_id,
            kind: PrincipalKind::ApiKey {
                key_id: key.id,
                creator_role,
            },
            role: key.role,
            auth_method: AuthMethod::ApiKey,
            meta: meta.clone(),
        })
    }
}

impl App {
    /// Removes sessions past their absolute or idle timeout in every tenant.
    pub async fn expire_sessions(&self) -> AppResult<u64> {
        let now = self.now();
        let idle_cutoff = now.plus_millis(-self.policy().idle_timeout_ms);
        let mut total = 0;
        for tenant in self.store().list_tenants().await? {
            total += self
                .store()
                .delete_expired_sessions(tenant.id, now, idle_cutoff)
                .await?;
        }
        Ok(total)
    }
}
