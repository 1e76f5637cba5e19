//! Phone numbers: the number a call arrives on, which finds its tenant, and the flow and
//! language it answers with, and what it keeps of who called.

use domain::{FlowId, TenantId, Timestamp};
use sqlx::FromRow;

use super::{Sql, parse};
use crate::{PhoneNumber, Result};

#[derive(FromRow)]
struct PhoneNumberRow {
    number: String,
    tenant_id: String,
    flow_id: Option<String>,
    language: Option<String>,
    caller_id: String,
    channels: String,
    proxy: i64,
    created_at: i64,
    updated_at: i64,
}

impl PhoneNumberRow {
    fn into_number(self) -> Result<PhoneNumber> {
        Ok(PhoneNumber {
            number: self.number,
            tenant_id: parse(&self.tenant_id, "tenant id")?,
            flow_id: self
                .flow_id
                .as_deref()
                .map(|s| parse::<FlowId>(s, "flow id"))
                .transpose()?,
            language: self.language,
            caller_id: parse(&self.caller_id, "caller-id mode")?,
            channels: self
                .channels
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| parse(c, "channel"))
                .collect::<Result<_>>()?,
            proxy: self.proxy != 0,
            created_at: Timestamp::from_millis(self.created_at),
            updated_at: Timestamp::from_millis(self.updated_at),
        })
    }
}

const PHONE_NUMBER_COLUMNS: &str =
    "number, tenant_id, flow_id, language, caller_id, channels, proxy, created_at, updated_at";

/// A number's channels as stored: their texts, comma-separated.
fn channels_text(channels: &[domain::Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl Sql<'_> {
    pub(super) async fn resolve_phone_number(self, number: &str) -> Result<Option<PhoneNumber>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, PhoneNumberRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE number = $1"
            )))
            .bind(number.to_owned())
            .fetch_optional(pool)
            .await?
            .map(PhoneNumberRow::into_number)
            .transpose()
        })
    }

    pub(super) async fn insert_phone_number(self, n: &PhoneNumber) -> Result<()> {
        on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO phone_numbers (number, tenant_id, flow_id, language, caller_id, \
                 created_at, updated_at, channels, proxy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9)",
            )
            .bind(n.number.clone())
            .bind(n.tenant_id.to_string())
            .bind(n.flow_id.map(|f| f.to_string()))
            .bind(n.language.clone())
            .bind(n.caller_id.as_str())
            .bind(n.created_at.millis())
            .bind(n.updated_at.millis())
            .bind(channels_text(&n.channels))
            .bind(i64::from(n.proxy))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub(super) async fn list_phone_numbers(self, tenant: TenantId) -> Result<Vec<PhoneNumber>> {
        on_backend!(self.db, pool, {
            sqlx::query_as::<_, PhoneNumberRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE tenant_id = $1 ORDER BY number"
    )))
    .bind(tenant.to_string())
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(PhoneNumberRow::into_number)
    .collect()
        })
    }

    pub(super) async fn update_phone_number(self, n: &PhoneNumber) -> Result<bool> {
        on_backend!(self.db, pool, {
            let count = sqlx::query(
                "UPDATE phone_numbers SET flow_id = $3, language = $4, updated_at = $5, caller_id = \
                 $6, channels = $7, proxy = $8 WHERE tenant_id = $1 AND number = $2",
            )
            .bind(n.tenant_id.to_string())
            .bind(n.number.clone())
            .bind(n.flow_id.map(|f| f.to_string()))
            .bind(n.language.clone())
            .bind(n.updated_at.millis())
            .bind(n.caller_id.as_str())
            .bind(channels_text(&n.channels))
            .bind(i64::from(n.proxy))
            .execute(pool)
            .await?
            .rows_affected();
            Ok(count == 1)
        })
    }

    pub(super) async fn delete_phone_number(self, tenant: TenantId, number: &str) -> Result<bool> {
        on_backend!(self.db, pool, {
            let count =
                sqlx::query("DELETE FROM phone_numbers WHERE tenant_id = $1 AND number = $2")
                    .bind(tenant.to_string())
                    .bind(number.to_owned())
                    .execute(pool)
                    .await?
                    .rows_affected();
            Ok(count == 1)
        })
    }
}
