//! Helpers shared by the tests: the level of a signal, and fake engines.

use std::path::{Path, PathBuf};

/// Root mean square level.
pub(crate) fn rms(samples: &[i16]) -> f64 {
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (energy / samples.len().max(1) as f64).sqrt()
}

/// Writes a shell script that stands in for espeak-ng. It answers `probe` by exiting, and the helper runs it so
/// once: executing a file that a concurrently forked test process still holds open for writing fails with
/// ETXTBSY, and after one successful run no process can hold it any more.
pub(crate) fn fake_engine(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\n[ \"$1\" = probe ] && exit 0\n{body}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..1_000 {
        match std::process::Command::new(&path).arg("probe").status() {
            Ok(status) => {
                assert!(status.success());
                return path;
            }
            Err(e) if e.raw_os_error() == Some(26) => std::thread::yield_now(),
            Err(e) => panic!("fake engine does not run: {e}"),
        }
    }
    panic!("fake engine stayed busy");
}
