//! The recordings folder as the app's [`app::RecordingFiles`]: sealed files at
//! `FOLDER/TENANT/ID.wav.enc`, listed, read and deleted for exports, erasure and retention.
//! A reference that names anything but a recording of its own tenant's folder is refused.

use std::io;
use std::path::PathBuf;

use domain::TenantId;

/// The folder the call shell writes recordings to.
#[derive(Debug, Clone)]
pub struct RecordingDir {
    root: PathBuf,
}

impl RecordingDir {
    /// The folder (it need not exist yet).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The file of a reference, if it is a well-formed recording reference.
    fn path(&self, reference: &str) -> io::Result<PathBuf> {
        let (tenant, _) = reference
            .split_once('/')
            .ok_or_else(|| bad("a recording reference is TENANT/ID.wav.enc"))?;
        let tenant: TenantId = tenant
            .parse()
            .map_err(|_| bad("a recording reference begins with its tenant"))?;
        app::recording_id(tenant, reference).ok_or_else(|| bad("not a recording reference"))?;
        Ok(self.root.join(reference))
    }
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

#[async_trait::async_trait]
impl app::RecordingFiles for RecordingDir {
    async fn list(&self, tenant: &str, prefix: &str) -> io::Result<Vec<String>> {
        let tenant: TenantId = tenant.parse().map_err(|_| bad("not a tenant id"))?;
        let dir = self.root.join(tenant.to_string());
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut found = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let reference = format!("{tenant}/{name}");
            if app::recording_id(tenant, &reference).is_some_and(|id| id.starts_with(prefix)) {
                found.push(reference);
            }
        }
        found.sort();
        Ok(found)
    }

    async fn read(&self, reference: &str) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(reference)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn remove(&self, reference: &str) -> io::Result<bool> {
        match tokio::fs::remove_file(self.path(reference)?).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use app::RecordingFiles;

    use super::*;

    #[tokio::test]
    async fn files_are_listed_read_and_removed_by_reference_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let files = RecordingDir::new(dir.path().to_owned());
        let tenant = TenantId::from_random_bytes([3; 16]);
        let other = TenantId::from_random_bytes([4; 16]);
        assert_eq!(
            files.list(&tenant.to_string(), "c1").await.unwrap(),
            Vec::<String>::new()
        );
        std::fs::create_dir_all(dir.path().join(tenant.to_string())).unwrap();
        for name in [
            "c1-100.wav.enc",
            "c1-200.wav.enc",
            "c2-100.wav.enc",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(tenant.to_string()).join(name), name).unwrap();
        }
        let c1 = files.list(&tenant.to_string(), "c1").await.unwrap();
        assert_eq!(
            c1,
            vec![
                format!("{tenant}/c1-100.wav.enc"),
                format!("{tenant}/c1-200.wav.enc")
            ]
        );
        assert_eq!(
            files.read(&c1[0]).await.unwrap().as_deref(),
            Some(&b"c1-100.wav.enc"[..])
        );
        assert!(files.remove(&c1[0]).await.unwrap());
        assert!(!files.remove(&c1[0]).await.unwrap(), "gone already");
        assert_eq!(files.read(&c1[0]).await.unwrap(), None);
        for bad in [
            format!("{tenant}/../../etc/passwd"),
            format!("{tenant}/notes.txt"),
            "x/c1-200.wav.enc".to_owned(),
            format!("{other}/../{tenant}/c1-200.wav.enc"),
        ] {
            assert!(files.read(&bad).await.is_err(), "{bad}");
            assert!(files.remove(&bad).await.is_err(), "{bad}");
        }
        assert!(files.list("not-a-tenant", "").await.is_err());
    }
}
