//! Loading a tenant's contact centre from the store (at first use and after a restart), and
//! what supervisors configure and watch: queues, agents' profiles, the tenant's settings
//! (crisis text and terms, the hand-over queue) and live figures.

use std::collections::{BTreeMap, HashMap};

use domain::{AuditAction, TenantId, Timestamp, UserId};
use routing::{Presence, QueueId, RouterConfig};
use security::rbac::Permission;
use serde::{Deserialize, Serialize};
use store::CcQueue;

use super::centre::{Centre, agent_id, agent_spec, queue_spec, refused};
use super::kpi::{KpiInterval, KpiRow};
use super::model::{AgentProfile, AgentView, QueueConfig, QueueView, TaskRecord, presence_name};
use crate::conversation::lock;
use crate::{App, AppError, AppResult, Principal};

/// The most queues a tenant may configure.
const MAX_QUEUES: usize = 500;
/// How long a proxy session stays open after its last message unless configured (three
/// days: time for a caller to answer a follow-up).
pub(crate) const DEFAULT_PROXY_TTL_HOURS: u32 = 72;
/// The longest a tenant may keep proxy sessions open (thirty days).
const MAX_PROXY_TTL_HOURS: u32 = 720;
/// The longest reply to an unknown sender on a proxy number (one SMS segment or three).
const MAX_PROXY_REPLY: usize = 480;
/// The most crisis terms a tenant may add.
const MAX_CRISIS_TERMS: usize = 500;

/// A tenant's contact-centre settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactSettings {
    /// The crisis text per language (`de`, `en`, …); missing languages use the built-in text.
    pub crisis_text: BTreeMap<String, String>,
    /// The tenant's own crisis expressions, any language, added to the built-in lexicon.
    pub crisis_terms: Vec<String>,
    /// The queue automatic hand-overs use when the flow's fallback is not an `enqueue`.
    pub handover_queue: String,
    /// Where call-backs may go, and how often to one number range (admins change it). Left
    /// out of a change, it stays as it is; reads always fill it in.
    pub outbound: Option<crate::fraud::OutboundPolicy>,
    /// The number proxy (follow-up SMS). Left out of a change, it stays as it is; reads
    /// always fill it in.
    pub proxy: Option<ProxySettings>,
}

/// How the tenant's number proxy answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySettings {
    /// What a message to a proxy number gets when it belongs to no open session (an unknown
    /// sender, or a session that ran out); `None` answers nothing.
    pub reply: Option<String>,
    /// How long a proxy session stays open after its last message, in hours.
    pub ttl_hours: u32,
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings {
            reply: None,
            ttl_hours: DEFAULT_PROXY_TTL_HOURS,
        }
    }
}

impl ContactSettings {
    /// The outbound policy in force.
    pub fn outbound_policy(&self) -> crate::fraud::OutboundPolicy {
        self.outbound.clone().unwrap_or_default()
    }

    /// The number proxy's settings in force.
    pub fn proxy_settings(&self) -> ProxySettings {
        self.proxy.clone().unwrap_or_default()
    }
}

impl Default for ContactSettings {
    fn default() -> Self {
        ContactSettings {
            crisis_text: BTreeMap::new(),
            crisis_terms: Vec::new(),
            handover_queue: "default".to_owned(),
            outbound: None,
            proxy: None,
        }
    }
}

/// A queue name as enqueue nodes and the API use it.
pub(crate) fn check_queue_name(name: &str) -> AppResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(AppError::field(
            "name",
            "1 to 64 letters, digits, '-', '_' or '.' (not first)",
        ))
    }
}

fn check_config(c: &QueueConfig) -> AppResult<Option<flow::BusinessHours>> {
    if c.required_skills.values().any(|l| *l > 10) {
        return Err(AppError::field("required_skills", "levels are 0 to 10"));
    }
    if c.offer_timeout_secs == 0 || c.offer_timeout_secs > 3600 {
        return Err(AppError::field(
            "offer_timeout_secs",
            "between 1 and 3600 seconds",
        ));
    }
    if c.wrap_up_secs > 3600 {
        return Err(AppError::field("wrap_up_secs", "at most 3600 seconds"));
    }
    if c.max_wait_secs == Some(0) {
        return Err(AppError::field(
            "max_wait_secs",
            "at least 1 second, or none",
        ));
    }
    if c.wrap_up_codes.len() > 50
        || c.wrap_up_codes
            .iter()
            .any(|w| w.is_empty() || w.len() > 200)
    {
        return Err(AppError::field(
            "wrap_up_codes",
            "at most 50 codes of 1 to 200 bytes",
        ));
    }
    match &c.business_hours {
        None => Ok(None),
        Some(cal) => flow::BusinessHours::compile(cal).map(Some).map_err(|d| {
            AppError::field(
                "business_hours",
                d.first()
                    .map_or_else(|| "invalid calendar".to_owned(), |d| d.message.clone()),
            )
        }),
    }
}

fn corrupt(what: &'static str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "stored contact-centre {what} unreadable: {e}"
    ))
}

impl App {
    /// The tenant's settings (defaults when none are stored).
    pub(crate) async fn contact_settings_of(&self, tenant: TenantId) -> AppResult<ContactSettings> {
        match self.store().get_cc_settings(tenant).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("settings", e)),
            None => Ok(ContactSettings::default()),
        }
    }

    /// The contact-centre settings.
    pub async fn contact_settings(&self, who: &Principal) -> AppResult<ContactSettings> {
        who.require(Permission::QueuesSupervise)?;
        let mut settings = self.contact_settings_of(who.tenant_id).await?;
        settings.outbound = Some(settings.outbound_policy());
        settings.proxy = Some(settings.proxy_settings());
        Ok(settings)
    }

    /// Replaces the contact-centre settings (audited). Crisis terms are validated by the
    /// detector itself, so a stored term always loads.
    pub async fn put_contact_settings(
        &self,
        who: &Principal,
        settings: ContactSettings,
    ) -> AppResult<ContactSettings> {
        who.require(Permission::QueuesSupervise)?;
        check_queue_name(&settings.handover_queue).map_err(|_| {
            AppError::field("handover_queue", "1 to 64 letters, digits, '-', '_' or '.'")
        })?;
        let stored = self.contact_settings_of(who.tenant_id).await?;
        let current = stored.outbound_policy();
        let proxy = settings
            .proxy
            .clone()
            .unwrap_or_else(|| stored.proxy_settings());
        let outbound = settings.outbound.clone().unwrap_or_else(|| current.clone());
        if let Some((field, message)) = outbound.invalid() {
            return Err(AppError::field(field, message));
        }
        // Where Hotline may call is a toll-fraud control: admins only.
        if outbound != current {
            who.require(Permission::ConfigManage)?;
        }
        let settings = ContactSettings {
            outbound: Some(outbound),
            proxy: Some(proxy),
            ..settings
        };
        if settings.crisis_terms.len() > MAX_CRISIS_TERMS {
            return Err(AppError::field("crisis_terms", "at most 500 terms"));
        }
        let detector = nlu::CrisisDetector::builtin()
            .with_extra_terms(&settings.crisis_terms)
            .map_err(|e| AppError::field("crisis_terms", e.to_string()))?;
        if settings.crisis_text.iter().any(|(lang, text)| {
            lang.is_empty() || lang.len() > 16 || text.trim().is_empty() || text.len() > 2000
        }) {
            return Err(AppError::field(
                "crisis_text",
                "a language tag and a text of 1 to 2000 bytes",
            ));
        }
        let proxy = settings.proxy_settings();
        if !(1..=MAX_PROXY_TTL_HOURS).contains(&proxy.ttl_hours) {
            return Err(AppError::field(
                "proxy.ttl_hours",
                format!("1 to {MAX_PROXY_TTL_HOURS} hours"),
            ));
        }
        if let Some(reply) = &proxy.reply
            && (reply.trim().is_empty()
                || reply.len() > MAX_PROXY_REPLY
                || reply.chars().any(|c| c.is_control() && c != '\n'))
        {
            return Err(AppError::field(
                "proxy.reply",
                format!("a text of 1 to {MAX_PROXY_REPLY} bytes, or null for no reply"),
            ));
        }
        let json = serde_json::to_string(&settings).map_err(|e| AppError::Internal(e.into()))?;
        self.store()
            .put_cc_settings(who.tenant_id, &json, self.now())
            .await?;
        lock(&self.inner.contact.detectors).insert(who.tenant_id, std::sync::Arc::new(detector));
        self.audit_success(who, AuditAction::ContactCentreSettings, who.tenant_id)
            .await?;
        Ok(settings)
    }

    /// Builds a tenant's centre from the store: queues, agents with their presence, and every
    /// live task in its state (waiting callers keep their order; an open offer stands until it
    /// expires and is then made again).
    pub(super) async fn load_centre(&self, tenant: TenantId) -> AppResult<Centre> {
        let queues = self.store().list_cc_queues(tenant).await?;
        let agents = self.store().list_cc_agents(tenant).await?;
        let live = self.store().list_live_cc_tasks(tenant).await?;
        let names: HashMap<UserId, String> = self
            .store()
            .list_users(tenant)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name.to_string()))
            .collect();
        let mut configs = BTreeMap::new();
        for q in &queues {
            let config: QueueConfig =
                serde_json::from_str(&q.config).map_err(|e| corrupt("queue", e))?;
            configs.insert(q.name.clone(), config);
        }
        let mut profiles = BTreeMap::new();
        let mut presences = BTreeMap::new();
        for a in &agents {
            let profile: AgentProfile =
                serde_json::from_str(&a.profile).map_err(|e| corrupt("agent", e))?;
            let presence: Presence =
                serde_json::from_str(&a.presence).map_err(|e| corrupt("presence", e))?;
            profiles.insert(a.user_id, profile);
            presences.insert(a.user_id, (presence, a.presence_since));
        }
        let mut records = Vec::new();
        for t in &live {
            let record: TaskRecord =
                serde_json::from_str(t.record.expose()).map_err(|e| corrupt("task", e))?;
            records.push(record);
        }
        // Tasks may name queues that were created implicitly before their row was stored.
        for r in &records {
            configs.entry(r.queue().to_owned()).or_default();
        }
        let now = self.now();
        let day_ago = Timestamp::from_millis(now.millis() - 24 * 60 * 60 * 1000);
        let completed: Vec<TaskRecord> = self
            .store()
            .list_cc_tasks_between(tenant, day_ago, now)
            .await?
            .iter()
            .filter(|t| t.state == "completed")
            .filter_map(|t| serde_json::from_str(t.record.expose()).ok())
            .collect();
        let now_ms = u64::try_from(now.millis()).unwrap_or(0);
        let router = super::restore::router_from_parts(
            RouterConfig::default(),
            &super::restore::Parts {
                queues: &configs,
                agents: &profiles,
                presence: &presences,
                tasks: &records,
                completed: &completed,
            },
            now_ms,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("restoring the router: {e}")))?;
        let mut centre = Centre::new(router);
        for (name, config) in &configs {
            if let Some(cal) = &config.business_hours
                && let Ok(hours) = flow::BusinessHours::compile(cal)
            {
                centre.hours.insert(name.clone(), hours);
            }
        }
        centre.queues = configs;
        centre.agents = profiles;
        centre.presence_since = presences.iter().map(|(u, (_, at))| (*u, *at)).collect();
        centre.names = names;
        for r in records {
            centre
                .by_conversation
                .insert(r.conversation_id, r.id.clone());
            if matches!(r.routing.state, routing::TaskState::Assigned { .. }) {
                centre.with_agent.insert(r.id.clone());
            }
            centre.tasks.insert(r.id.clone(), r);
        }
        centre.apply_hours(now_ms);
        tracing::info!(tenant = %tenant, tasks = centre.tasks.len(), "contact centre loaded");
        Ok(centre)
    }

    /// Queues with their configuration and live figures.
    pub async fn list_queues(&self, who: &Principal) -> AppResult<Vec<QueueView>> {
        who.require(Permission::ConversationsHandle)
            .or_else(|_| who.require(Permission::QueuesSupervise))?;
        let today = self.kpis_today(who.tenant_id).await?;
        self.read_centre(who.tenant_id, |c, now| {
            c.queues
                .iter()
                .map(|(name, config)| queue_view(c, name, config, now, &today))
                .collect()
        })
        .await
    }

    /// Creates or changes a queue (audited).
    pub async fn put_queue(
        &self,
        who: &Principal,
        name: &str,
        config: QueueConfig,
    ) -> AppResult<QueueView> {
        who.require(Permission::QueuesSupervise)?;
        check_queue_name(name)?;
        let hours = check_config(&config)?;
        let now_ts = self.now();
        let stored = CcQueue {
            name: name.to_owned(),
            config: serde_json::to_string(&config).map_err(|e| AppError::Internal(e.into()))?,
            updated_at: now_ts,
        };
        self.with_centre(who.tenant_id, |c, now| {
            if let Some(o) = &config.overflow
                && !c.queues.contains_key(o)
            {
                return Err(AppError::field("overflow", "there is no such queue"));
            }
            if !c.queues.contains_key(name) && c.queues.len() >= MAX_QUEUES {
                return Err(AppError::field("name", "at most 500 queues"));
            }
            let spec = queue_spec(name, &config);
            if c.queues.contains_key(name) {
                c.router.handle_update_queue(spec, now).map_err(refused)?;
            } else {
                c.router
                    .handle_add_queue(spec, true, now)
                    .map_err(refused)?;
            }
            c.queues.insert(name.to_owned(), config.clone());
            match hours {
                Some(h) => {
                    c.hours.insert(name.to_owned(), h);
                }
                None => {
                    c.hours.remove(name);
                    let _ = c.router.handle_queue_open(&QueueId::new(name), true, now);
                }
            }
            c.apply_hours(now);
            Ok(())
        })
        .await?;
        self.store().put_cc_queue(who.tenant_id, &stored).await?;
        self.audit_success(who, AuditAction::QueuePut, name).await?;
        let today = self.kpis_today(who.tenant_id).await?;
        self.read_centre(who.tenant_id, |c, now| {
            queue_view(c, name, &config, now, &today)
        })
        .await
    }

    /// Removes a queue that holds no live task and no other queue overflows to (audited).
    pub async fn delete_queue(&self, who: &Principal, name: &str) -> AppResult<()> {
        who.require(Permission::QueuesSupervise)?;
        self.with_centre(who.tenant_id, |c, now| {
            if !c.queues.contains_key(name) {
                return Err(AppError::NotFound);
            }
            if c.tasks.values().any(|r| r.queue() == name) {
                return Err(AppError::Conflict("queue (it still holds tasks)"));
            }
            if c.queues
                .values()
                .any(|q| q.overflow.as_deref() == Some(name))
            {
                return Err(AppError::Conflict("queue (another queue overflows to it)"));
            }
            c.router
                .handle_remove_queue(&QueueId::new(name), now)
                .map_err(refused)?;
            c.queues.remove(name);
            c.hours.remove(name);
            Ok(())
        })
        .await?;
        self.store().delete_cc_queue(who.tenant_id, name).await?;
        self.audit_success(who, AuditAction::QueueDelete, name)
            .await
    }

    /// Every live task (waiting, offered, held, in wrap-up), crises and higher priority first,
    /// then oldest first: what a supervisor may move.
    pub async fn live_tasks(&self, who: &Principal) -> AppResult<Vec<super::TaskView>> {
        who.require(Permission::QueuesSupervise)?;
        self.read_centre(who.tenant_id, |c, _| {
            let mut views: Vec<super::TaskView> = c.tasks.values().map(|r| c.view(r)).collect();
            views.sort_by_key(|v| {
                (
                    std::cmp::Reverse(v.record.routing.spec.priority),
                    v.record.routing.created_ms,
                    v.record.routing.seq,
                )
            });
            views
        })
        .await
    }

    /// Every user who may handle conversations, as an agent.
    pub async fn list_agents(&self, who: &Principal) -> AppResult<Vec<AgentView>> {
        who.require(Permission::QueuesSupervise)?;
        let users = self.store().list_users(who.tenant_id).await?;
        let handlers: Vec<_> = users
            .into_iter()
            .filter(|u| {
                !u.disabled && security::rbac::allows(u.role, Permission::ConversationsHandle)
            })
            .collect();
        self.with_centre(who.tenant_id, |c, now| {
            for u in &handlers {
                c.ensure_agent(u.id, now)?;
                c.names.insert(u.id, u.display_name.to_string());
            }
            Ok(())
        })
        .await?;
        self.read_centre(who.tenant_id, |c, _| {
            handlers
                .iter()
                .map(|u| AgentView {
                    username: u.username.to_string(),
                    ..c.agent_view(u.id)
                })
                .collect()
        })
        .await
    }

    /// Changes an agent's skills, languages and capacity (audited).
    pub async fn put_agent(
        &self,
        who: &Principal,
        agent: UserId,
        profile: AgentProfile,
    ) -> AppResult<AgentView> {
        who.require(Permission::QueuesSupervise)?;
        let user = self
            .store()
            .get_user(who.tenant_id, agent)
            .await?
            .ok_or(AppError::NotFound)?;
        if !security::rbac::allows(user.role, Permission::ConversationsHandle) {
            return Err(AppError::field(
                "user_id",
                "this user's role does not handle conversations",
            ));
        }
        if profile.skills.values().any(|l| *l > 10) {
            return Err(AppError::field("skills", "levels are 0 to 10"));
        }
        if profile.voice > 10 || profile.chat > 50 {
            return Err(AppError::field(
                "capacity",
                "at most 10 calls and 50 chats at once",
            ));
        }
        self.with_centre(who.tenant_id, |c, now| {
            c.ensure_agent(agent, now)?;
            c.router
                .handle_update_agent(agent_spec(agent, &profile), now)
                .map_err(refused)?;
            c.agents.insert(agent, profile);
            c.names.insert(agent, user.display_name.to_string());
            c.touched_agents.insert(agent);
            Ok(())
        })
        .await?;
        self.audit_success(who, AuditAction::AgentUpdate, agent)
            .await?;
        self.read_centre(who.tenant_id, |c, _| AgentView {
            username: user.username.to_string(),
            ..c.agent_view(agent)
        })
        .await
    }

    /// Today's figures per queue (UTC day), for the live queue view.
    async fn kpis_today(&self, tenant: TenantId) -> AppResult<BTreeMap<String, KpiRow>> {
        let now = self.now().millis();
        let day = 24 * 60 * 60 * 1000;
        let from = Timestamp::from_millis(now - now.rem_euclid(day));
        let rows = self
            .kpi_rows(
                tenant,
                None,
                KpiInterval::Day,
                from,
                Timestamp::from_millis(from.millis() + day),
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.queue.clone(), r)).collect())
    }
}

fn queue_view(
    c: &Centre,
    name: &str,
    config: &QueueConfig,
    now: u64,
    today: &BTreeMap<String, KpiRow>,
) -> QueueView {
    let mut waiting = 0;
    let mut offered = 0;
    let mut assigned = 0;
    let mut longest = 0;
    for r in c.tasks.values().filter(|r| r.queue() == name) {
        match r.routing.state {
            routing::TaskState::Pending => waiting += 1,
            routing::TaskState::Offered { .. } => {
                waiting += 1;
                offered += 1;
            }
            routing::TaskState::Assigned { .. } | routing::TaskState::WrapUp { .. } => {
                assigned += 1
            }
            _ => {}
        }
        if r.routing.state.is_waiting() {
            longest = longest.max(now.saturating_sub(r.routing.enqueued_ms) / 1000);
        }
    }
    let mut agents: BTreeMap<&'static str, u32> = BTreeMap::new();
    for (user, profile) in &c.agents {
        let qualified = profile.qualifies_for(config);
        if qualified {
            let presence = c
                .router
                .agent(&agent_id(*user))
                .map_or(Presence::Offline, |a| a.presence);
            *agents.entry(presence_name(presence)).or_default() += 1;
        }
    }
    QueueView {
        name: name.to_owned(),
        config: config.clone(),
        waiting,
        longest_wait_secs: longest,
        offered,
        assigned,
        agents,
        open: c.router.queue(&QueueId::new(name)).is_none_or(|q| q.open),
        today: today
            .get(name)
            .cloned()
            .unwrap_or_else(|| KpiRow::empty(name)),
    }
}
