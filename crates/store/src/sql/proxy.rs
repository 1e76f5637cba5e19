//! The number proxy: sessions that pair a contact with the agent desk or an operator's phone
//! through the tenant's proxy numbers. Participants name addresses by pseudonym; the address
//! itself is sealed under the conversation's key and dropped when the session closes.
//!
//! The invariant *an (address, proxy number) pair is unique among active sessions* is the
//! partial unique index `proxy_participants_pair`: opening a session first retires pairs whose
//! session has run out, then inserts its own, and a pair still held by an open session makes
//! the insert fail ([`StoreError::Conflict`]).

use domain::{ConversationId, ProxyRole, ProxySessionId, Redacted, TenantId, Timestamp};
use sqlx::FromRow;

use super::{Sql, limit_i64, parse};
use crate::vault::kind;
use crate::{ProxyParticipant, ProxySession, Result, StoreError};

#[derive(FromRow)]
struct SessionRow {
    tenant_id: String,
    id: String,
    conversation_id: String,
    partner: String,
    status: String,
    ttl_ms: i64,
    expires_at: i64,
    created_at: i64,
    updated_at: i64,
}

impl SessionRow {
    fn into_session(self) -> Result<ProxySession> {
        Ok(ProxySession {
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            id: parse(&self.id, "proxy session id")?,
            conversation_id: parse(&self.conversation_id, "conversation id")?,
            partner: parse(&self.partner, "proxy partner")?,
            open: self.status == "open",
            ttl_ms: self.ttl_ms,
            expires_at: Timestamp::from_millis(self.expires_at),
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const SESSION_COLUMNS: &str = "s.tenant_id, s.id, s.conversation_id, s.partner, s.status, \
                               s.ttl_ms, s.expires_at, s.created_at, s.updated_at";

/// The field a participant's address is sealed under (bound to its session and role).
fn address_field(session: ProxySessionId, role: ProxyRole) -> String {
    format!("proxy_address:{session}:{role}")
}

impl Sql<'_> {
    pub(super) async fn open_proxy_session(
        self,
        session: &ProxySession,
        participants: &[ProxyParticipant],
    ) -> Result<()> {
        let tenant = session.tenant_id;
        let key = self
            .existing_object_key(
                tenant,
                kind::CONVERSATION,
                &session.conversation_id.to_string(),
            )
            .await?;
        let mut sealed = Vec::with_capacity(participants.len());
        for p in participants {
            sealed.push(match &p.address {
                Some(a) => Some(key.seal(&address_field(session.id, p.role), a.expose())?),
                None => None,
            });
        }
        let now = session.created_at.millis();
        let _writer = self.writer().await?;
        let result: Result<()> = on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for p in participants {
                // A pair whose session ran out is free again (the sweep closes the session
                // itself later).
                sqlx::query(
                    "UPDATE proxy_participants SET active = 0, address = NULL WHERE \
                     proxy_number = $1 AND contact = $2 AND active = 1 AND EXISTS (SELECT 1 FROM \
                     proxy_sessions s WHERE s.tenant_id = proxy_participants.tenant_id AND s.id = \
                     proxy_participants.session_id AND (s.expires_at <= $3 OR s.status <> \
                     'open'))",
                )
                .bind(p.proxy_number.clone())
                .bind(p.contact.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO proxy_sessions (tenant_id, id, conversation_id, partner, status, \
                 ttl_ms, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, \
                 $6, $7, $7)",
            )
            .bind(tenant.to_string())
            .bind(session.id.to_string())
            .bind(session.conversation_id.to_string())
            .bind(session.partner.as_str())
            .bind(session.ttl_ms)
            .bind(session.expires_at.millis())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (p, address) in participants.iter().zip(&sealed) {
                sqlx::query(
                    "INSERT INTO proxy_participants (tenant_id, session_id, conversation_id, \
                     role, contact, address, proxy_number, active) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7, 1)",
                )
                .bind(tenant.to_string())
                .bind(session.id.to_string())
                .bind(session.conversation_id.to_string())
                .bind(p.role.as_str())
                .bind(p.contact.clone())
                .bind(address.clone())
                .bind(p.proxy_number.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        });
        result.map_err(|e| match e {
            StoreError::Conflict(_) => {
                StoreError::Conflict("proxy number (paired with this address in an open session)")
            }
            e => e,
        })
    }

    pub(super) async fn proxy_session_of_pair(
        self,
        tenant: TenantId,
        proxy_number: &str,
        contact: &str,
        now: Timestamp,
    ) -> Result<Option<(ProxySession, ProxyRole)>> {
        #[derive(FromRow)]
        struct Row {
            role: String,
            #[sqlx(flatten)]
            session: SessionRow,
        }
        let row: Option<Row> = on_backend!(self.db, pool, {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT p.role, {SESSION_COLUMNS} FROM proxy_participants p JOIN proxy_sessions \
                 s ON s.tenant_id = p.tenant_id AND s.id = p.session_id WHERE p.tenant_id = $1 \
                 AND p.proxy_number = $2 AND p.contact = $3 AND p.active = 1 AND s.status = \
                 'open' AND s.expires_at > $4"
            )))
            .bind(tenant.to_string())
            .bind(proxy_number.to_owned())
            .bind(contact.to_owned())
            .bind(now.millis())
            .fetch_optional(pool)
            .await?
        });
        row.map(|r| Ok((r.session.into_session()?, parse(&r.role, "proxy role")?)))
            .transpose()
    }

    pub(super) async fn get_proxy_session(
        self,
        tenant: TenantId,
        id: ProxySessionId,
    ) -> Result<Option<ProxySession>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM proxy_sessions s WHERE s.tenant_id = $1 AND s.id \
                 = $2"
            )))
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?
            .map(SessionRow::into_session)
            .transpose()
        })
    }

    pub(super) async fn proxy_sessions_of(
        self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> Result<Vec<ProxySession>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM proxy_sessions s WHERE s.tenant_id = $1 AND \
                 s.conversation_id = $2 ORDER BY s.created_at DESC, s.id"
            )))
            .bind(tenant.to_string())
            .bind(conversation.to_string())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(SessionRow::into_session)
            .collect()
        })
    }

    pub(super) async fn open_proxy_sessions(
        self,
        tenant: TenantId,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<ProxySession>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM proxy_sessions s WHERE s.tenant_id = $1 AND \
                 s.status = 'open' AND s.expires_at > $2 ORDER BY s.created_at DESC, s.id LIMIT \
                 $3"
            )))
            .bind(tenant.to_string())
            .bind(now.millis())
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(SessionRow::into_session)
            .collect()
        })
    }

    pub(super) async fn proxy_participants(
        self,
        tenant: TenantId,
        session: ProxySessionId,
    ) -> Result<Vec<ProxyParticipant>> {
        let rows: Vec<(String, String, Option<String>, String, String)> =
            on_backend!(self.db, pool, {
                sqlx::query_as(
                    "SELECT role, contact, address, proxy_number, conversation_id FROM \
                     proxy_participants WHERE tenant_id = $1 AND session_id = $2 ORDER BY role",
                )
                .bind(tenant.to_string())
                .bind(session.to_string())
                .fetch_all(pool)
                .await?
            });
        let mut out = Vec::with_capacity(rows.len());
        for (role, contact, sealed, proxy_number, conversation) in rows {
            let role: ProxyRole = parse(&role, "proxy role")?;
            let address = match sealed {
                Some(s) => Some(Redacted::new(
                    self.open_field(
                        tenant,
                        kind::CONVERSATION,
                        &conversation,
                        &address_field(session, role),
                        &s,
                    )
                    .await?,
                )),
                None => None,
            };
            out.push(ProxyParticipant {
                role,
                contact,
                address,
                proxy_number,
            });
        }
        Ok(out)
    }

    pub(super) async fn proxy_numbers_in_use(
        self,
        tenant: TenantId,
        contact: &str,
        now: Timestamp,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT p.proxy_number FROM proxy_participants p JOIN proxy_sessions s ON \
                 s.tenant_id = p.tenant_id AND s.id = p.session_id WHERE p.tenant_id = $1 AND \
                 p.contact = $2 AND p.active = 1 AND s.status = 'open' AND s.expires_at > $3",
            )
            .bind(tenant.to_string())
            .bind(contact.to_owned())
            .bind(now.millis())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    pub(super) async fn extend_proxy_session(
        self,
        tenant: TenantId,
        id: ProxySessionId,
        now: Timestamp,
    ) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE proxy_sessions SET expires_at = $3 + ttl_ms, updated_at = $3 WHERE \
                 tenant_id = $1 AND id = $2 AND status = 'open' AND expires_at > $3",
            )
            .bind(tenant.to_string())
            .bind(id.to_string())
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    pub(super) async fn close_proxy_session(
        self,
        tenant: TenantId,
        id: ProxySessionId,
        now: Timestamp,
    ) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let n = sqlx::query(
                "UPDATE proxy_sessions SET status = 'closed', updated_at = $3, expires_at = CASE \
                 WHEN expires_at < $3 THEN expires_at ELSE $3 END WHERE tenant_id = $1 AND id = \
                 $2 AND status = 'open'",
            )
            .bind(tenant.to_string())
            .bind(id.to_string())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE proxy_participants SET active = 0, address = NULL WHERE tenant_id = $1 \
                 AND session_id = $2",
            )
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub(super) async fn expired_proxy_sessions(
        self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TenantId, ProxySessionId)>> {
        let rows: Vec<(String, String)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT tenant_id, id FROM proxy_sessions WHERE status = 'open' AND expires_at \
                 <= $1 ORDER BY expires_at LIMIT $2",
            )
            .bind(now.millis())
            .bind(limit_i64(limit))
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(t, id)| Ok((parse(t, "tenant id")?, parse(id, "proxy session id")?)))
            .collect()
    }
}
