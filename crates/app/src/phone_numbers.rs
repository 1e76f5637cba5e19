//! Phone numbers: which flow answers a number, in which language, and what its calls keep of
//! the caller's number. Administered per tenant
//! through the API; every change forgets the cached call routes so the next call sees it.

use domain::{CallerIdMode, Channel, FlowId, TenantId, Timestamp};
use store::PhoneNumber;

use crate::{App, AppError, AppResult, Principal};

/// What a number is bound to, as the API shows and takes it.
#[derive(Debug, Clone)]
pub struct PhoneNumberSpec {
    /// The number or SIP user.
    pub number: String,
    /// The flow that answers.
    pub flow_id: Option<FlowId>,
    /// The language; `None` for the flow's default.
    pub language: Option<String>,
    /// What calls keep of the caller's number; `None` keeps the number's mode (pseudonymised
    /// for a new number).
    pub caller_id: Option<CallerIdMode>,
    /// The channels it serves; `None` keeps the number's channels (voice for a new number,
    /// SMS for a proxy number).
    pub channels: Option<Vec<Channel>>,
    /// In the tenant's pool of proxy numbers (SMS only, no flow); `None` keeps the number's
    /// setting (not a proxy number for a new one).
    pub proxy: Option<bool>,
}

/// The channels a list names, each once and in a fixed order; at least one.
fn check_channels(channels: &[Channel]) -> AppResult<Vec<Channel>> {
    if channels.is_empty() {
        return Err(AppError::field(
            "channels",
            "at least one of voice, sms, whatsapp",
        ));
    }
    if channels.contains(&Channel::Chat) {
        return Err(AppError::field(
            "channels",
            "voice, sms or whatsapp (web chat runs through widgets)",
        ));
    }
    Ok(Channel::ALL
        .iter()
        .copied()
        .filter(|c| channels.contains(c))
        .collect())
}

/// Longest number or SIP user accepted.
const MAX_NUMBER_LEN: usize = 64;

fn check_number(number: &str) -> AppResult<()> {
    let ok = !number.is_empty()
        && number.len() <= MAX_NUMBER_LEN
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.' | '*' | '#'));
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "number",
            format!(
                "1–{MAX_NUMBER_LEN} characters: digits, letters, '+', '-', '_', '.', '*' or '#'"
            ),
        ))
    }
}

impl App {
    /// The tenant's phone numbers.
    pub async fn list_phone_numbers(&self, who: &Principal) -> AppResult<Vec<PhoneNumber>> {
        who.require(security::rbac::Permission::FlowsRead)?;
        Ok(self.store().list_phone_numbers(who.tenant_id).await?)
    }

    /// Binds a number to a flow (creating it, or changing the tenant's own binding).
    pub async fn put_phone_number(
        &self,
        who: &Principal,
        spec: PhoneNumberSpec,
    ) -> AppResult<PhoneNumber> {
        who.require(security::rbac::Permission::FlowsManage)?;
        check_number(&spec.number)?;
        if let Some(flow) = spec.flow_id {
            self.store()
                .get_flow(who.tenant_id, flow)
                .await?
                .ok_or_else(|| AppError::field("flow_id", "no such flow"))?;
        }
        if let Some(l) = &spec.language
            && !matches!(l.as_str(), "de" | "en")
        {
            return Err(AppError::field("language", "de or en"));
        }
        let channels = spec.channels.as_deref().map(check_channels).transpose()?;
        let existing = self
            .store()
            .list_phone_numbers(who.tenant_id)
            .await?
            .into_iter()
            .find(|n| n.number == spec.number);
        let proxy = spec
            .proxy
            .unwrap_or_else(|| existing.as_ref().is_some_and(|n| n.proxy));
        let channels = if proxy {
            // A proxy number relays SMS within proxy sessions; no flow answers it.
            if spec.flow_id.is_some() {
                return Err(AppError::field(
                    "flow_id",
                    "a proxy number runs no flow (leave it out)",
                ));
            }
            if channels.as_ref().is_some_and(|c| c != &[Channel::Sms]) {
                return Err(AppError::field(
                    "channels",
                    "a proxy number serves sms only",
                ));
            }
            Some(vec![Channel::Sms])
        } else {
            channels
        };
        let now = self.now();
        let mut number = PhoneNumber {
            number: spec.number,
            tenant_id: who.tenant_id,
            flow_id: spec.flow_id,
            language: spec.language,
            caller_id: spec.caller_id.unwrap_or_default(),
            channels: channels.clone().unwrap_or_else(|| vec![Channel::Voice]),
            proxy,
            created_at: now,
            updated_at: now,
        };
        match existing {
            Some(old) => {
                number.created_at = old.created_at;
                number.caller_id = spec.caller_id.unwrap_or(old.caller_id);
                number.channels = channels.unwrap_or(old.channels);
                self.store().update_phone_number(&number).await?;
            }
            None => self
                .store()
                .insert_phone_number(&number)
                .await
                .map_err(|e| match e {
                    store::StoreError::Conflict(_) => AppError::Conflict("number (it is taken)"),
                    e => e.into(),
                })?,
        }
        self.invalidate_call_routes();
        self.audit_success(who, domain::AuditAction::PhoneNumberPut, &number.number)
            .await?;
        Ok(number)
    }

    /// Removes one of the tenant's numbers.
    pub async fn delete_phone_number(&self, who: &Principal, number: &str) -> AppResult<()> {
        who.require(security::rbac::Permission::FlowsManage)?;
        if !self
            .store()
            .delete_phone_number(who.tenant_id, number)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.invalidate_call_routes();
        self.audit_success(who, domain::AuditAction::PhoneNumberDelete, number)
            .await?;
        Ok(())
    }

    /// A number for the demo tenant (bootstrap).
    pub(crate) async fn bind_demo_number(
        &self,
        tenant: TenantId,
        number: &str,
        flow_id: FlowId,
        language: &str,
        channels: &[Channel],
        now: Timestamp,
    ) -> AppResult<()> {
        if self.store().resolve_phone_number(number).await?.is_some() {
            return Ok(());
        }
        self.store()
            .insert_phone_number(&PhoneNumber {
                number: number.to_owned(),
                tenant_id: tenant,
                flow_id: Some(flow_id),
                language: Some(language.to_owned()),
                caller_id: CallerIdMode::default(),
                channels: channels.to_vec(),
                proxy: false,
                created_at: now,
                updated_at: now,
            })
            .await?;
        Ok(())
    }
}
