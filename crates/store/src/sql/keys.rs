//! The key hierarchy's rows: the root-key check, tenant keys (wrapped by the root key) and
//! data keys (one per object, wrapped by a tenant key); unlocking, rotation and shredding.

use domain::{TenantId, Timestamp};
use security::crypto::{self, Aad, Key};

use super::Sql;
use crate::vault::{self, ObjectKey, Vault};
use crate::{Result, StoreError};

/// The name of the root-key check in `crypto_meta`.
const ROOT_CHECK: &str = "root_check";

/// Data keys re-wrapped per transaction during a rotation.
const REWRAP_BATCH: i64 = 500;

/// A data key made for an object, to be inserted in the transaction that first writes it.
#[derive(Debug)]
pub(super) struct NewDataKey {
    pub(super) key: ObjectKey,
    version: i64,
    wrapped: Vec<u8>,
    at: i64,
}

impl<'a> Sql<'a> {
    /// The unlocked keyring, or [`StoreError::Locked`]: nothing personal is read or written
    /// without it.
    pub(super) fn vault(self) -> Result<&'a Vault> {
        self.vault.ok_or(StoreError::Locked)
    }

    /// The stored root-key check, if the database has one.
    pub(super) async fn root_check(self) -> Result<Option<Vec<u8>>> {
        on_backend!(self.db, pool, {
            let row: Option<(Vec<u8>,)> =
                sqlx::query_as("SELECT value FROM crypto_meta WHERE name = $1")
                    .bind(ROOT_CHECK)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(v,)| v))
        })
    }

    /// Checks `root` against the database's root-key check, writing the check first if the
    /// database has none. `Ok(true)`: the check was written now (a new or upgraded database).
    pub(super) async fn check_root_key(self, root: &Key) -> Result<bool> {
        if let Some(check) = self.root_check().await? {
            return if crypto::root_check_matches(root, &check) {
                Ok(false)
            } else {
                Err(StoreError::WrongRootKey)
            };
        }
        let check = crypto::root_check(root, vault::nonce()?);
        let _writer = self.writer().await?;
        let written = on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO crypto_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO \
                 NOTHING",
            )
            .bind(ROOT_CHECK)
            .bind(check)
            .execute(pool)
            .await?
            .rows_affected()
        });
        drop(_writer);
        // Another node may have written its check first: it must be ours too.
        match self.root_check().await? {
            Some(check) if crypto::root_check_matches(root, &check) => Ok(written == 1),
            _ => Err(StoreError::WrongRootKey),
        }
    }

    /// One version of a tenant's key.
    async fn tenant_key(self, tenant: &str, version: i64) -> Result<Key> {
        let vault = self.vault()?;
        if let Some(key) = vault.cached(tenant, version) {
            return Ok(key);
        }
        let row: Option<(Vec<u8>,)> = on_backend!(self.db, pool, {
            sqlx::query_as("SELECT wrapped FROM tenant_keys WHERE tenant_id = $1 AND version = $2")
                .bind(tenant.to_owned())
                .bind(version)
                .fetch_optional(pool)
                .await?
        });
        let (wrapped,) = row.ok_or_else(|| StoreError::Undecryptable {
            what: "tenant key",
            object: format!("{tenant} v{version}"),
        })?;
        vault.unwrap_tenant_key(tenant, version, &wrapped)
    }

    /// The tenant's current key (its highest version), made if the tenant has none yet.
    async fn current_tenant_key(self, tenant: &str, now: Timestamp) -> Result<(i64, Key)> {
        for _ in 0..3 {
            let current: Option<(i64,)> = on_backend!(self.db, pool, {
                sqlx::query_as(
                    "SELECT version FROM tenant_keys WHERE tenant_id = $1 ORDER BY version DESC \
                     LIMIT 1",
                )
                .bind(tenant.to_owned())
                .fetch_optional(pool)
                .await?
            });
            if let Some((version,)) = current {
                return Ok((version, self.tenant_key(tenant, version).await?));
            }
            self.insert_tenant_key(tenant, 1, now).await?;
        }
        Err(StoreError::Conflict("tenant key"))
    }

    /// Makes and stores a new tenant key version (nothing if that version exists already).
    async fn insert_tenant_key(self, tenant: &str, version: i64, now: Timestamp) -> Result<bool> {
        let vault = self.vault()?;
        let key = vault::random_key()?;
        let wrapped = crypto::wrap_key(
            vault.root(),
            vault::nonce()?,
            &Aad::tenant_key(tenant, version),
            &key,
        );
        let _writer = self.writer().await?;
        let n = on_backend!(self.db, pool, {
            sqlx::query(
                "INSERT INTO tenant_keys (tenant_id, version, wrapped, created_at) VALUES ($1, \
                 $2, $3, $4) ON CONFLICT (tenant_id, version) DO NOTHING",
            )
            .bind(tenant.to_owned())
            .bind(version)
            .bind(wrapped)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// An object's data key, if it has one.
    pub(super) async fn object_key(
        self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
    ) -> Result<Option<ObjectKey>> {
        let tenant = tenant.to_string();
        let row: Option<(i64, Vec<u8>)> = on_backend!(self.db, pool, {
            sqlx::query_as(
                "SELECT key_version, wrapped FROM data_keys WHERE tenant_id = $1 AND kind = $2 \
                 AND object_id = $3",
            )
            .bind(tenant.clone())
            .bind(kind)
            .bind(object.to_owned())
            .fetch_optional(pool)
            .await?
        });
        let Some((version, wrapped)) = row else {
            return Ok(None);
        };
        let tenant_key = self.tenant_key(&tenant, version).await?;
        let key = crypto::unwrap_key(&tenant_key, &Aad::data_key(&tenant, kind, object), &wrapped)
            .map_err(|_| StoreError::Undecryptable {
                what: kind,
                object: object.to_owned(),
            })?;
        Ok(Some(ObjectKey {
            tenant,
            kind,
            object: object.to_owned(),
            key,
        }))
    }

    /// An object's data key, which must exist: a missing one was erased (or never made), and
    /// the object's data cannot be read.
    pub(super) async fn existing_object_key(
        self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
    ) -> Result<ObjectKey> {
        self.object_key(tenant, kind, object)
            .await?
            .ok_or_else(|| StoreError::Undecryptable {
                what: kind,
                object: object.to_owned(),
            })
    }

    /// Opens one sealed field of an object (a single read: lists of many objects call it once
    /// per row).
    pub(super) async fn open_field(
        self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        field: &str,
        sealed: &str,
    ) -> Result<String> {
        self.existing_object_key(tenant, kind, object)
            .await?
            .open(field, sealed)
    }

    /// A new data key for an object, wrapped under the tenant's current key; the caller
    /// inserts it ([`insert_data_key_query`]) in the transaction that first writes the object.
    pub(super) async fn new_data_key(
        self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        now: Timestamp,
    ) -> Result<NewDataKey> {
        let tenant = tenant.to_string();
        let (version, tenant_key) = self.current_tenant_key(&tenant, now).await?;
        let key = vault::random_key()?;
        let wrapped = crypto::wrap_key(
            &tenant_key,
            vault::nonce()?,
            &Aad::data_key(&tenant, kind, object),
            &key,
        );
        Ok(NewDataKey {
            key: ObjectKey {
                tenant,
                kind,
                object: object.to_owned(),
                key,
            },
            version,
            wrapped,
            at: now.millis(),
        })
    }

    /// An object's data key, made and stored (in its own write) if it has none.
    pub(super) async fn object_key_or_create(
        self,
        tenant: TenantId,
        kind: &'static str,
        object: &str,
        now: Timestamp,
    ) -> Result<ObjectKey> {
        if let Some(key) = self.object_key(tenant, kind, object).await? {
            return Ok(key);
        }
        let new = self.new_data_key(tenant, kind, object, now).await?;
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            insert_data_key_query(&new).execute(pool).await?;
        });
        drop(_writer);
        // Whoever inserted first won; read theirs.
        self.existing_object_key(tenant, kind, object).await
    }

    /// Deletes an object's data key: whatever was sealed under it is unreadable from now on,
    /// in this database and in every backup of it.
    pub(super) async fn shred(self, tenant: TenantId, kind: &str, object: &str) -> Result<bool> {
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            let n = sqlx::query(
                "DELETE FROM data_keys WHERE tenant_id = $1 AND kind = $2 AND object_id = $3",
            )
            .bind(tenant.to_string())
            .bind(kind.to_owned())
            .bind(object.to_owned())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Rotates a tenant's key: a new version is made, every data key is re-wrapped under it
    /// (no sealed value is touched), and the versions no data key uses any more are deleted.
    /// Returns the new version and how many data keys were re-wrapped.
    pub(super) async fn rotate_tenant_key(
        self,
        tenant: TenantId,
        now: Timestamp,
    ) -> Result<(i64, u64)> {
        let tenant_text = tenant.to_string();
        let (current, _) = self.current_tenant_key(&tenant_text, now).await?;
        let version = current + 1;
        if !self.insert_tenant_key(&tenant_text, version, now).await? {
            return Err(StoreError::Conflict(
                "tenant key version (a rotation is running)",
            ));
        }
        let new_key = self.tenant_key(&tenant_text, version).await?;
        let mut rewrapped = 0u64;
        loop {
            let rows: Vec<(String, String, i64, Vec<u8>)> = on_backend!(self.db, pool, {
                sqlx::query_as(
                    "SELECT kind, object_id, key_version, wrapped FROM data_keys WHERE tenant_id \
                     = $1 AND key_version < $2 ORDER BY kind, object_id LIMIT $3",
                )
                .bind(tenant_text.clone())
                .bind(version)
                .bind(REWRAP_BATCH)
                .fetch_all(pool)
                .await?
            });
            if rows.is_empty() {
                break;
            }
            let mut updates = Vec::with_capacity(rows.len());
            for (kind, object, old_version, wrapped) in rows {
                let aad = Aad::data_key(&tenant_text, &kind, &object);
                let old_key = self.tenant_key(&tenant_text, old_version).await?;
                let data_key = crypto::unwrap_key(&old_key, &aad, &wrapped).map_err(|_| {
                    StoreError::Undecryptable {
                        what: "data key",
                        object: object.clone(),
                    }
                })?;
                let rewrapped_key = crypto::wrap_key(&new_key, vault::nonce()?, &aad, &data_key);
                updates.push((kind, object, old_version, rewrapped_key));
            }
            let _writer = self.writer().await?;
            on_backend!(self.db, pool, {
                let mut tx = pool.begin_with(self.begin_write()).await?;
                for (kind, object, old_version, wrapped) in &updates {
                    sqlx::query(
                        "UPDATE data_keys SET key_version = $4, wrapped = $5 WHERE tenant_id = $1 \
                         AND kind = $2 AND object_id = $3 AND key_version = $6",
                    )
                    .bind(tenant_text.clone())
                    .bind(kind.clone())
                    .bind(object.clone())
                    .bind(version)
                    .bind(wrapped.clone())
                    .bind(*old_version)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            });
            rewrapped += updates.len() as u64;
        }
        let _writer = self.writer().await?;
        on_backend!(self.db, pool, {
            sqlx::query(
                "DELETE FROM tenant_keys WHERE tenant_id = $1 AND version < $2 AND NOT EXISTS \
                 (SELECT 1 FROM data_keys d WHERE d.tenant_id = tenant_keys.tenant_id AND \
                 d.key_version = tenant_keys.version)",
            )
            .bind(tenant_text.clone())
            .bind(version)
            .execute(pool)
            .await?;
        });
        self.vault()?.forget_tenant(&tenant_text);
        Ok((version, rewrapped))
    }

    /// The versions of a tenant's key in the database, oldest first.
    pub(super) async fn tenant_key_versions(self, tenant: TenantId) -> Result<Vec<i64>> {
        on_backend!(self.db, pool, {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT version FROM tenant_keys WHERE tenant_id = $1 ORDER BY version",
            )
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(v,)| v).collect())
        })
    }
}

/// The INSERT of a new data key, bound, for either backend (in a transaction or alone). An
/// object that got a key meanwhile keeps it.
pub(super) fn insert_data_key_query<'q, DB>(
    new: &'q NewDataKey,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO data_keys (tenant_id, kind, object_id, key_version, wrapped, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, kind, object_id) DO NOTHING",
    )
    .bind(new.key.tenant.clone())
    .bind(new.key.kind)
    .bind(new.key.object.clone())
    .bind(new.version)
    .bind(new.wrapped.clone())
    .bind(new.at)
}
