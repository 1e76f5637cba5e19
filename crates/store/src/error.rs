//! Store errors: the cases a caller can act on, and the database error underneath for logs.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (for example a taken username).
    #[error("conflict: {0} already exists")]
    Conflict(&'static str),
    /// A stored value could not be read back into a domain type.
    #[error("corrupt {what} in stored row")]
    Corrupt {
        /// Which field.
        what: &'static str,
    },
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

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return StoreError::Conflict("record");
        }
        StoreError::Database(err)
    }
}
