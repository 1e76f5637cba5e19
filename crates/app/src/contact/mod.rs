//! The contact centre's shell around the pure router (`routing`): one router per tenant,
//! loaded from the store on first use and after a restart, every operation written to the
//! store before anyone is told, and what the router decides carried out on the desk, on the
//! supervisor view and in the conversations themselves.
//!
//! An operation runs under the tenant's lock: the router handles the input (a refused input
//! changes nothing and returns its typed error), its events are drained into a store write
//! (tasks, agents, presence log) that is saved in one transaction, and only then are desk
//! events published and conversations changed (the bot silenced when an agent takes over,
//! the caller told their place in the queue). Conversation changes take the conversation's
//! own lock after the tenant lock is released, so the two locks are never held in the
//! opposite order by a conversation step that enqueues.

mod call_back;
mod centre;
mod desk;
mod handover;
pub(crate) mod kpi;
mod model;
mod notify;
mod restore;
mod sip_accounts;
mod supervise;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::TenantId;
use tokio::sync::broadcast;

pub use call_back::{MAX_CALL_BACK_ATTEMPTS, call_back_number};
pub(crate) use centre::Centre;
pub use desk::{CannedSpec, ConversationView};
pub use handover::builtin_crisis_text;
pub use kpi::{KpiInterval, KpiRow};
pub use model::{
    AgentProfile, AgentView, CallBack, Desk, DeskEvent, HAND_OVER_REASON_NAMES, HandOverReason,
    PRESENCE_NAMES, QueueConfig, QueueView, ServiceLevelVariant, TASK_STATE_NAMES, TaskRecord,
    TaskView,
};
pub use sip_accounts::{DEFAULT_SIP_REALM, SipAccount, SipAccountView};
pub use supervise::{ContactSettings, ProxySettings};

use crate::conversation::lock;
use crate::{App, AppError, AppResult};

/// Per-process state of the contact centre: each tenant's router (behind its own lock) and
/// the desk event streams.
#[derive(Default)]
pub(crate) struct ContactRuntime {
    centres: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<Option<Centre>>>>>,
    desks: Mutex<HashMap<TenantId, broadcast::Sender<DeskEvent>>>,
    agent_desks: Mutex<HashMap<(TenantId, domain::UserId), broadcast::Sender<DeskEvent>>>,
    /// Each tenant's crisis detector (built-in lexicon and model plus the tenant's terms).
    pub(crate) detectors: Mutex<HashMap<TenantId, Arc<nlu::CrisisDetector>>>,
    /// The call shell's dialer for call-backs, when calls are configured with a trunk.
    pub(crate) dialer: std::sync::OnceLock<Arc<dyn crate::CallBackDialer>>,
    /// Call-backs per tenant and number range within the hour (toll-fraud velocity).
    pub(crate) velocity: Mutex<crate::fraud::Velocity>,
    /// Call-backs in progress per tenant (the concurrency cap).
    pub(crate) outbound_calls: crate::fraud::OutboundCalls,
}

impl std::fmt::Debug for ContactRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactRuntime { .. }")
    }
}

impl App {
    fn contact(&self) -> &ContactRuntime {
        &self.inner.contact
    }

    /// Subscribes to a tenant's changes (the supervisor view): one `DeskEvent::Changed` after
    /// every operation that changed tasks, agents or queues.
    pub fn desk_subscribe(&self, tenant: TenantId) -> broadcast::Receiver<DeskEvent> {
        lock(&self.contact().desks)
            .entry(tenant)
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    /// Subscribes to one agent's desk events: their offers, tasks, presence, and the messages
    /// and notes of the conversations they hold. Each agent has a stream of their own, so a
    /// busy tenant's events never crowd an agent's socket.
    pub fn agent_desk_subscribe(
        &self,
        tenant: TenantId,
        agent: domain::UserId,
    ) -> broadcast::Receiver<DeskEvent> {
        lock(&self.contact().agent_desks)
            .entry((tenant, agent))
            .or_insert_with(|| broadcast::channel(256).0)
            .subscribe()
    }

    fn publish_desk(&self, tenant: TenantId, events: Vec<DeskEvent>) {
        if events.is_empty() {
            return;
        }
        let mut changed = false;
        {
            let mut agents = lock(&self.contact().agent_desks);
            for e in events {
                if matches!(e, DeskEvent::Changed) {
                    changed = true;
                    continue;
                }
                changed = true;
                for agent in e.agents() {
                    let key = (tenant, agent);
                    if let Some(tx) = agents.get(&key) {
                        if tx.receiver_count() == 0 {
                            agents.remove(&key);
                        } else {
                            let _ = tx.send(e.clone());
                        }
                    }
                }
            }
        }
        if changed && let Some(tx) = lock(&self.contact().desks).get(&tenant) {
            let _ = tx.send(DeskEvent::Changed);
        }
    }

    /// Drops the tenant's loaded centre; the next operation loads it from the store again.
    pub(crate) async fn forget_centre(&self, tenant: TenantId) {
        *self.centre_slot(tenant).lock().await = None;
    }

    fn centre_slot(&self, tenant: TenantId) -> Arc<tokio::sync::Mutex<Option<Centre>>> {
        lock(&self.contact().centres)
            .entry(tenant)
            .or_default()
            .clone()
    }

    /// Runs `op` on the tenant's centre (loading it first), stores what changed, then tells
    /// the desks and changes the conversations. A refused operation changes nothing.
    pub(crate) async fn with_centre<R>(
        &self,
        tenant: TenantId,
        op: impl FnOnce(&mut Centre, u64) -> AppResult<R>,
    ) -> AppResult<R> {
        let slot = self.centre_slot(tenant);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = Some(self.load_centre(tenant).await?);
        }
        let Some(centre) = guard.as_mut() else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "contact centre not loaded"
            )));
        };
        let now = self.now();
        let now_ms = u64::try_from(now.millis()).unwrap_or(0);
        let result = op(centre, now_ms)?;
        let drained = centre.drain(now);
        if let Err(e) = self.store().save_cc(tenant, &drained.write).await {
            // The router moved on but the store did not: forget the router so the next
            // operation reloads it from what is stored.
            *guard = None;
            return Err(e.into());
        }
        drop(guard);
        self.publish_desk(tenant, drained.desk);
        for action in drained.conversations {
            self.carry_out_action(tenant, action).await;
        }
        Ok(result)
    }

    /// [`App::with_centre`] for a caller holding a conversation's lock: it never loads a
    /// centre (`None` when the tenant's is not loaded: a load changes conversations under
    /// their locks), and it returns the conversation changes the operation decided instead of
    /// carrying them out, for the caller to do once its lock is released.
    pub(crate) async fn with_loaded_centre<R>(
        &self,
        tenant: TenantId,
        op: impl FnOnce(&mut Centre, u64) -> AppResult<R>,
    ) -> AppResult<Option<(R, Vec<centre::ConvAction>)>> {
        let slot = self.centre_slot(tenant);
        let mut guard = slot.lock().await;
        let Some(centre) = guard.as_mut() else {
            return Ok(None);
        };
        let now = self.now();
        let now_ms = u64::try_from(now.millis()).unwrap_or(0);
        let result = op(centre, now_ms)?;
        let drained = centre.drain(now);
        if let Err(e) = self.store().save_cc(tenant, &drained.write).await {
            *guard = None;
            return Err(e.into());
        }
        drop(guard);
        self.publish_desk(tenant, drained.desk);
        Ok(Some((result, drained.conversations)))
    }

    /// Reads (without changing) the tenant's centre.
    pub(crate) async fn read_centre<R>(
        &self,
        tenant: TenantId,
        read: impl FnOnce(&Centre, u64) -> R,
    ) -> AppResult<R> {
        let slot = self.centre_slot(tenant);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            // Loading may re-offer what was open: that goes through an operation, so its
            // events are stored and published like any other.
            drop(guard);
            // Boxed: loading carries out conversation changes, which read the centre.
            Box::pin(self.with_centre(tenant, |_, _| Ok(()))).await?;
            guard = slot.lock().await;
        }
        let Some(centre) = guard.as_ref() else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "contact centre not loaded"
            )));
        };
        let now_ms = u64::try_from(self.now().millis()).unwrap_or(0);
        Ok(read(centre, now_ms))
    }

    /// Reads the tenant's centre only if it is loaded (`None` otherwise): for callers that
    /// hold a conversation's lock, which must never wait for a load (a load changes
    /// conversations under their locks).
    pub(crate) async fn peek_centre<R>(
        &self,
        tenant: TenantId,
        read: impl FnOnce(&Centre) -> R,
    ) -> Option<R> {
        let slot = self.centre_slot(tenant);
        let guard = slot.lock().await;
        guard.as_ref().map(read)
    }

    /// Fires the routers' timers (offer timeouts, wrap-ups, maximum waits, business hours)
    /// of every loaded tenant. The server calls this with the conversation timers.
    pub async fn fire_contact_timers(&self) -> AppResult<usize> {
        let tenants: Vec<TenantId> = lock(&self.contact().centres).keys().copied().collect();
        let mut fired = 0;
        for tenant in tenants {
            fired += self.with_centre(tenant, |c, now| Ok(c.tick(now))).await?;
        }
        Ok(fired)
    }

    /// Loads every tenant's contact centre (at start-up: offers that were open are made
    /// again and waiting callers hear from the queue).
    pub async fn restore_contact_centres(&self) -> AppResult<usize> {
        let tenants = self.store().list_tenants().await?;
        let mut restored = 0;
        for t in tenants {
            restored += self
                .with_centre(t.id, |c, _| Ok(c.live_task_count()))
                .await?;
        }
        Ok(restored)
    }
}
