//! Store errors: the cases a caller can act on, and the error underneath as the `source`, so
//! that whoever logs a failure can log its whole cause chain.

/// An error below a [`StoreError::Corrupt`]: why a stored value could not be read back.
pub type ReadError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store was closed (shutdown): no connection and no write slot will be handed out
    /// again. Retrying is pointless.
    #[error("the store is closed")]
    Closed,
    /// An object the operation needs does not exist in the tenant.
    #[error("no such {what}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// A record handed in names another tenant than the one the call is for (a caller's bug,
    /// refused before anything is written).
    #[error("the {what} belongs to another tenant")]
    WrongTenant {
        /// Which record.
        what: &'static str,
    },
    /// A uniqueness rule was violated (for example a taken username), or a concurrent writer
    /// got there first.
    #[error("conflict: {0} already exists")]
    Conflict(&'static str),
    /// A stored value could not be read back into a domain type.
    #[error("corrupt {what} in stored row")]
    Corrupt {
        /// Which field.
        what: &'static str,
        /// Why it could not be read, where the parser said.
        #[source]
        source: Option<ReadError>,
    },
    /// Personal data is encrypted and the store has not been unlocked with the root key.
    #[error("the store is locked: personal data cannot be read or written without the root key")]
    Locked,
    /// The root key given does not open this database's keys.
    #[error(
        "the root key does not match this database (its keys were made under another root key)"
    )]
    WrongRootKey,
    /// An object's sealed data did not decrypt: its key was erased, or the stored value was
    /// altered or moved from another row. Only this object is affected.
    #[error(
        "the {what} {object} cannot be decrypted (its key was erased, or the stored value was altered or moved)"
    )]
    Undecryptable {
        /// The kind of object.
        what: &'static str,
        /// Its id (never personal data).
        object: String,
    },
    /// The system's random source failed (no key or nonce could be made).
    #[error("the system's random source failed")]
    Random,
    /// The database URL is not one we support.
    #[error("unsupported database URL: expected sqlite:… or postgres://…")]
    UnsupportedUrl,
    /// Migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// A stored `what` that its parser refused with `source`.
    pub(crate) fn corrupt(
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Corrupt {
            what,
            source: Some(Box::new(source)),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("record"),
            sqlx::Error::PoolClosed => StoreError::Closed,
            _ => StoreError::Database(err),
        }
    }
}
