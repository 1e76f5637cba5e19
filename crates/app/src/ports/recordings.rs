//! Recording files: the call shell writes them (sealed, below its recordings folder, as
//! `TENANT/ID.wav.enc`); data-subject requests and retention read and delete them here.

/// Where recording files live, by their reference (`TENANT/ID.wav.enc`).
#[async_trait::async_trait]
pub trait RecordingFiles: Send + Sync + std::fmt::Debug {
    /// The references of the tenant's recordings whose id begins with `prefix` (a
    /// conversation's id gives that conversation's recordings).
    async fn list(&self, tenant: &str, prefix: &str) -> std::io::Result<Vec<String>>;

    /// A recording's sealed bytes; `None` when there is no such file.
    async fn read(&self, reference: &str) -> std::io::Result<Option<Vec<u8>>>;

    /// Deletes a recording's file; `false` when there was none.
    async fn remove(&self, reference: &str) -> std::io::Result<bool>;
}
