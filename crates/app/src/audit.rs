//! Reading and verifying the audit log.

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

impl App {
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

    /// A page of the caller's tenant's audit log, newest first.
    pub async fn audit_page(
        &self,
        who: &Principal,
        before_seq: Option<i64>,
        limit: u32,
    ) -> AppResult<AuditPage> {
        who.require(Permission::AuditRead)?;
        let limit = limit.clamp(1, 200);
        let items = self
            .store()
            .list_audit(who.tenant_id, before_seq, limit)
            .await?;
        let next_before_seq = match items.last() {
            Some(last) if last.seq > 1 && items.len() == limit as usize => Some(last.seq),
            _ => None,
        };
        Ok(AuditPage {
            items,
            next_before_seq,
        })
    }

    /// Verifies the caller's tenant's chain.
    pub async fn audit_verify(&self, who: &Principal) -> AppResult<ChainReport> {
        who.require(Permission::AuditVerify)?;
        self.verify_tenant_chain(who.tenant_id).await
    }

    /// Recomputes one tenant's chain from the first entry to the recorded head. Used by the
    /// API (with a permission check first) and by `hotline audit verify`.
    pub async fn verify_tenant_chain(&self, tenant: TenantId) -> AppResult<ChainReport> {
        // Read every entry, then the recorded head. If the head moved on meanwhile (entries
        // appended while we read), read on; a head behind the entries means forged entries
        // past it or a cut chain, and `finish` reports that.
        let mut verifier = audit::ChainVerifier::new();
        let mut after = 0;
        let mut rounds = 0;
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
            let head = self.store().audit_head(tenant).await?;
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
