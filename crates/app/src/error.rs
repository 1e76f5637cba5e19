//! What a use case can fail with: cases the API maps to HTTP statuses, plus `Internal` for
//! everything a client must not see the details of.

/// One problem with one input field, safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The JSON field name.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// A use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session or API key.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong username or password (deliberately not saying which).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A wrong, malformed or already used second-factor code.
    #[error("invalid code")]
    InvalidCode,
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// Authenticated, but the role does not allow it.
    #[error("not permitted")]
    Forbidden,
    /// The login has not reached the step this request belongs to.
    #[error("this step is not available now")]
    WrongStep,
    /// No such object in the caller's tenant.
    #[error("not found")]
    NotFound,
    /// The object exists already (for example a taken username).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The request does not fit the object's current state, with a stable code a client can
    /// act on (`already-taken`, `offer-expired`, …) and a sentence for people.
    #[error("{detail}")]
    Refused {
        /// A stable, kebab-case code.
        code: &'static str,
        /// What happened, for people.
        detail: &'static str,
    },
    /// Input broke a rule; every problem is listed.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// A flow document has errors; all of them are listed.
    #[error("the flow has errors")]
    InvalidFlow(Vec<flow::Diagnostic>),
    /// An object's stored data does not decrypt: its key was erased (retention, erasure) or
    /// the stored value was altered or moved. Only this object is affected.
    #[error("the {what}'s stored data cannot be decrypted")]
    Unreadable {
        /// The kind of object (`conversation`, `user`, `recording`).
        what: &'static str,
    },
    /// Anything else; logged with its cause chain, never shown to clients.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error for one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field,
            message: message.into(),
        }])
    }
}

impl From<store::StoreError> for AppError {
    fn from(err: store::StoreError) -> Self {
        match err {
            store::StoreError::Conflict(what) => AppError::Conflict(what),
            // The object a use case names is not in the caller's tenant: the same answer as
            // a lookup that found nothing. (`WrongTenant` is different: a record the app
            // built names another tenant, which is a bug and stays internal.)
            store::StoreError::NotFound { .. } => AppError::NotFound,
            store::StoreError::Undecryptable { what, object } => {
                tracing::warn!(what, object = %object, "stored data does not decrypt");
                AppError::Unreadable { what }
            }
            other => {
                AppError::Internal(anyhow::Error::new(other).context("store operation failed"))
            }
        }
    }
}

/// The result type of use cases.
pub type AppResult<T> = Result<T, AppError>;
