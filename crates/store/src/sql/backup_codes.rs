//! Backup codes: a user's set of hashed one-time codes, replaced as a whole and used up one
//! at a time.

use domain::{TenantId, Timestamp, UserId};

use super::Sql;
use crate::{BackupCode, Result};

impl Sql<'_> {
    pub(super) async fn replace_backup_codes(
        self,
        tenant: TenantId,
        user: UserId,
        hashes: &[String],
    ) -> Result<()> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("DELETE FROM backup_codes WHERE tenant_id = $1 AND user_id = $2")
                .bind(tenant.to_string())
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
            for (ordinal, hash) in hashes.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO backup_codes (tenant_id, user_id, ordinal, code_hash, used_at) \
                     VALUES ($1, $2, $3, $4, NULL)",
                )
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(i64::try_from(ordinal).unwrap_or(i64::MAX))
                .bind(hash.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub(super) async fn unused_backup_codes(
        self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<BackupCode>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT ordinal, code_hash FROM backup_codes WHERE tenant_id = $1 AND user_id = $2 \
                 AND used_at IS NULL ORDER BY ordinal",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(ordinal, code_hash)| BackupCode { ordinal, code_hash })
                .collect())
        })
    }

    pub(super) async fn use_backup_code(
        self,
        tenant: TenantId,
        user: UserId,
        ordinal: i64,
        now: Timestamp,
    ) -> Result<bool> {
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "UPDATE backup_codes SET used_at = $4 WHERE tenant_id = $1 AND user_id = $2 AND \
                 ordinal = $3 AND used_at IS NULL",
            )
            .bind(tenant.to_string())
            .bind(user.to_string())
            .bind(ordinal)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }
}
