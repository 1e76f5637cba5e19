//! Reading and verifying the audit log.

use std::collections::{BTreeMap, BTreeSet};

use domain::{AuditAction, AuditEntry, Outcome, TenantId};
use security::audit::{self, ChainBreak};

use security::rbac::Permission;

use crate::{App, AppResult, Principal};

/// One page of entries, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEntry>,
    /// Pass as `before_seq` for the next (older) page; `None` at the start of the chain.
    pub next_before_seq: Option<i64>,
    /// What the ids in these entries name today (a user's name, a key's, a flow's), for
    /// people reading the log; the entries keep the ids, which is what the chain covers.
    pub names: BTreeMap<String, String>,
}

/// The result of verifying one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The tenant verified.
    pub tenant_id: TenantId,
    /// Entries checked before the result.
    pub count: u64,
    /// The verified head's sequence number, if the chain is intact.
    pub head_seq: Option<i64>,
    /// The first break, if any.
    pub error: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

const VERIFY_PAGE: u32 = 1000;

/// Why an authenticated request was refused, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller's role does not allow it.
    Forbidden,
    /// The CSRF check refused a state change.
    Csrf,
}

/// A new random audit key (32 bytes) for the key file.
pub fn new_audit_key() -> AppResult<Vec<u8>> {
    Ok(crate::random_bytes::<32>()?.to_vec())
}

impl App {
    /// Installs the audit key (read from outside the database at start-up): from now on every
    /// chain head is signed with it, and verification requires the signature.
    pub fn set_audit_key(&self, key: Vec<u8>) {
        self.store().set_audit_key(key.clone());
        let _ = self.inner.audit_key.set(key);
    }

    /// Signs the heads written before the audit key existed, each only after its chain
    /// verifies (called once, when the key is made); the number signed.
    pub async fn adopt_audit_heads(&self) -> AppResult<usize> {
        let mut signed = 0;
        for tenant in self.store().list_tenants().await? {
            let report = self.verify_tenant_chain_unsigned(tenant.id).await?;
            if !report.ok() {
                tracing::warn!(tenant = %tenant.id, "audit chain broken: its head is left unsigned");
                continue;
            }
            if let Some((seq, hash, None)) = self.store().audit_head_signed(tenant.id).await?
                && self.store().sign_audit_head(tenant.id, seq, &hash).await?
            {
                signed += 1;
            }
        }
        Ok(signed)
    }

    /// Records that `who` was refused `route` (a route template, never a concrete path),
    /// aggregated: one entry per caller, kind of refusal and minute, however many refusals
    /// there were, so refused requests cannot flood the log.
    pub async fn audit_refusal(
        &self,
        who: &Principal,
        refusal: Refusal,
        route: &str,
    ) -> AppResult<()> {
        let action = match refusal {
            Refusal::Forbidden => AuditAction::RouteDenied,
            Refusal::Csrf => AuditAction::RouteCsrfRefused,
        };
        let actor = who
            .user_id()
            .map(|u| u.to_string())
            .unwrap_or_else(|| match &who.kind {
                crate::PrincipalKind::ApiKey { key_id, .. } => key_id.to_string(),
                crate::PrincipalKind::User { user_id, .. } => user_id.to_string(),
            });
        let key = format!("{}:{actor}:{}", who.tenant_id, action.as_str());
        let now = self.now();
        {
            let mut limits = self.limits();
            if limits.refusals.check(&key, now).is_err() {
                return Ok(());
            }
            limits.refusals.record_failure(&key, now);
            limits.refusals.prune(now);
        }
        let event = who.event(action, route.to_owned(), Outcome::Denied);
        self.audit(who.tenant_id, event).await
    }

    /// Records that `who` did `action`, successfully, to the object with id `object_id` (its
    /// kind follows from the action): the entry most use cases end with.
    pub(crate) async fn audit_success(
        &self,
        who: &Principal,
        action: AuditAction,
        object_id: impl ToString,
    ) -> AppResult<()> {
        let event = who.event(action, object_id.to_string(), Outcome::Success);
        self.audit(who.tenant_id, event).await
    }

    /// A page of the caller's tenant's audit log, newest first, with the entries `filter`
    /// matches.
    pub async fn audit_page(
        &self,
        who: &Principal,
        before_seq: Option<i64>,
        limit: u32,
        filter: &store::AuditFilter,
    ) -> AppResult<AuditPage> {
        who.require(Permission::AuditRead)?;
        let limit = limit.clamp(1, 200);
        let items = self
            .store()
            .list_audit_filtered(who.tenant_id, before_seq, limit, filter)
            .await?;
        let next_before_seq = match items.last() {
            Some(last) if last.seq > 1 && items.len() == limit as usize => Some(last.seq),
            _ => None,
        };
        let names = self.audit_names(who, &items).await?;
        Ok(AuditPage {
            items,
            next_before_seq,
            names,
        })
    }

    /// The names of the users, keys, flows and widgets the entries mention.
    async fn audit_names(
        &self,
        who: &Principal,
        items: &[AuditEntry],
    ) -> AppResult<BTreeMap<String, String>> {
        let mentioned: BTreeSet<&str> = items
            .iter()
            .flat_map(|e| [e.event.actor_id.as_deref(), e.event.object_id.as_deref()])
            .flatten()
            // A published version is `flow-id@version`.
            .map(|id| id.split('@').next().unwrap_or(id))
            .collect();
        let mut names = BTreeMap::new();
        if mentioned.is_empty() {
            return Ok(names);
        }
        let tenant = who.tenant_id;
        let mut known: Vec<(String, String)> = Vec::new();
        for u in self.store().list_users(tenant).await? {
            known.push((u.id.to_string(), u.username.to_string()));
        }
        for k in self.store().list_api_keys(tenant).await? {
            known.push((k.id.to_string(), k.name.to_string()));
        }
        for f in self.store().list_flows(tenant).await? {
            known.push((f.id.to_string(), f.name.clone()));
        }
        for (id, name) in known {
            if mentioned.contains(id.as_str()) {
                names.insert(id, name);
            }
        }
        Ok(names)
    }

    /// Verifies the caller's tenant's chain.
    pub async fn audit_verify(&self, who: &Principal) -> AppResult<ChainReport> {
        who.require(Permission::AuditVerify)?;
        self.verify_tenant_chain(who.tenant_id).await
    }

    /// Recomputes one tenant's chain from the first entry to the recorded head. Used by the
    /// API (with a permission check first) and by `hotline audit verify`.
    pub async fn verify_tenant_chain(&self, tenant: TenantId) -> AppResult<ChainReport> {
        self.verify_chain_of(tenant, true).await
    }

    /// [`App::verify_tenant_chain`] by the hashes alone (before the head is first signed).
    async fn verify_tenant_chain_unsigned(&self, tenant: TenantId) -> AppResult<ChainReport> {
        self.verify_chain_of(tenant, false).await
    }

    async fn verify_chain_of(&self, tenant: TenantId, signed: bool) -> AppResult<ChainReport> {
        // Read every entry, then the recorded head. If the head moved on meanwhile (entries
        // appended while we read), read on; a head behind the entries means forged entries
        // past it or a cut chain, and `finish` reports that.
        let mut verifier = audit::ChainVerifier::new();
        let mut after = 0;
        let mut rounds = 0;
        let mut mac: Option<String> = None;
        let (broken, head) = 'read: loop {
            loop {
                let page = self
                    .store()
                    .audit_page_ascending(tenant, after, VERIFY_PAGE)
                    .await?;
                for entry in &page {
                    if let Err(b) = verifier.push(entry) {
                        break 'read (Some(b), None);
                    }
                }
                match page.last() {
                    Some(last) if page.len() == VERIFY_PAGE as usize => after = last.seq,
                    Some(last) => {
                        after = last.seq;
                        break;
                    }
                    None => break,
                }
            }
            let signed = self.store().audit_head_signed(tenant).await?;
            let head = signed.as_ref().map(|(seq, hash, _)| (*seq, hash.clone()));
            mac = signed.and_then(|(_, _, mac)| mac);
            let head_seq = head.as_ref().map_or(0, |(seq, _)| *seq);
            rounds += 1;
            if head_seq <= verifier.head_seq() || rounds >= 10 {
                break (None, head);
            }
        };
        let count = verifier.count();
        let result = match broken {
            Some(b) => Err(b),
            None => verifier.finish(Some(match &head {
                Some((seq, hash)) => (*seq, hash.as_str()),
                None => (0, audit::GENESIS_HASH),
            })),
        };
        // With the audit key, the head must carry its signature: a chain recomputed by
        // someone without the key verifies by its hashes alone, never by its signature.
        let key = self.inner.audit_key.get().filter(|_| signed);
        let result = match (result, key, &head) {
            (Ok(_), Some(key), Some((seq, hash)))
                if !mac
                    .as_deref()
                    .is_some_and(|m| audit::head_mac_matches(key, tenant, *seq, hash, m)) =>
            {
                Err(ChainBreak::HeadSignature { seq: *seq })
            }
            (other, _, _) => other,
        };
        Ok(match result {
            Ok(verified) => ChainReport {
                tenant_id: tenant,
                count: verified.count,
                head_seq: Some(verified.head_seq),
                error: None,
            },
            Err(broken) => ChainReport {
                tenant_id: tenant,
                count,
                head_seq: None,
                error: Some(broken),
            },
        })
    }
}
