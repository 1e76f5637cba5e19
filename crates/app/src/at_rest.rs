//! Callers' data at rest: the root key for a new installation, sealing and opening
//! recordings (the files themselves are the voice shell's), and tenant-key rotation.
//!
//! The store seals every personal column itself once it is unlocked (`store::vault`); what
//! lives outside the database — recording files — is sealed here under a data key of its own,
//! so that deleting that key shreds the file's content wherever copies of it went.

use domain::{AuditAction, TenantId};
use security::crypto::Key;
use store::vault::kind;

use crate::{App, AppError, AppResult};

/// A new random root key for the key file of a new installation.
pub fn new_root_key() -> AppResult<Key> {
    Ok(Key::from_bytes(crate::random_bytes::<32>()?))
}

/// The file extension of a sealed recording.
pub const RECORDING_EXTENSION: &str = "wav.enc";

/// The recording id in a recording's reference (`TENANT/ID.wav.enc`), if the reference is one
/// of `tenant`'s.
pub fn recording_id(tenant: TenantId, reference: &str) -> Option<&str> {
    let (dir, file) = reference.split_once('/')?;
    let id = file.strip_suffix(RECORDING_EXTENSION)?.strip_suffix('.')?;
    let safe = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (dir == tenant.to_string() && safe).then_some(id)
}

/// The reference of a recording: where its sealed file lives below the recordings folder.
pub fn recording_reference(tenant: TenantId, id: &str) -> String {
    format!("{tenant}/{id}.{RECORDING_EXTENSION}")
}

impl App {
    /// Seals a recording's audio under a new data key of its own (`id` names it, e.g.
    /// `CONVERSATION-MILLIS`); the shell writes the result to its file.
    pub async fn seal_recording(
        &self,
        tenant: TenantId,
        id: &str,
        audio: &[u8],
    ) -> AppResult<Vec<u8>> {
        Ok(self
            .store()
            .seal_object_bytes(tenant, kind::RECORDING, id, audio, self.now())
            .await?)
    }

    /// Opens a sealed recording file's content; [`AppError::Unreadable`] if its key was
    /// erased or the file altered or taken from another recording.
    pub async fn open_recording(
        &self,
        tenant: TenantId,
        reference: &str,
        sealed: &[u8],
    ) -> AppResult<Vec<u8>> {
        let id = recording_id(tenant, reference).ok_or(AppError::NotFound)?;
        Ok(self
            .store()
            .open_object_bytes(tenant, kind::RECORDING, id, sealed)
            .await?)
    }

    /// Rotates a tenant's key (an operator at the machine: `hotline keys rotate`): every data
    /// key is re-wrapped under a new version, no stored value is rewritten, old versions no
    /// data key uses are deleted. Audited in the tenant's log. Returns the new version and
    /// how many data keys were re-wrapped.
    pub async fn rotate_tenant_key_as_system(&self, tenant: TenantId) -> AppResult<(i64, u64)> {
        if self.store().get_tenant(tenant).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let rotated = self.store().rotate_tenant_key(tenant, self.now()).await?;
        self.audit(
            tenant,
            crate::bootstrap::system_event(AuditAction::TenantKeyRotate, tenant.to_string()),
        )
        .await?;
        Ok(rotated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_a_recording_of_its_own_tenant_only() {
        let t = TenantId::from_random_bytes([1; 16]);
        let other = TenantId::from_random_bytes([2; 16]);
        let r = recording_reference(t, "abc-123");
        assert_eq!(recording_id(t, &r), Some("abc-123"));
        assert_eq!(recording_id(other, &r), None);
        for bad in [
            format!("{t}/../x.wav.enc"),
            format!("{t}/.wav.enc"),
            format!("{t}/a.wav"),
            "x".to_owned(),
        ] {
            assert_eq!(recording_id(t, &bad), None, "{bad}");
        }
    }
}
