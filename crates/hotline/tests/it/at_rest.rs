//! The root key of data at rest, as an operator meets it: made on first start, owner-only;
//! the server refuses to open the database without it, with a wrong one or with a malformed
//! one, and says why; the key may come from the environment instead of the file; a tenant's
//! key rotates from the command line.

use std::path::Path;
use std::process::Output;

use crate::binary::hotline;

fn tenant(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = hotline();
    cmd.arg("tenant").args(args).arg("--data-dir").arg(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"))
        .to_owned()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_database_opens_only_with_its_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let created = ok(&tenant(
        dir.path(),
        &["create", "--name", "Nord", "--admin", "nord-admin"],
        &[],
    ));
    let id = created
        .split_whitespace()
        .nth(2)
        .expect("created tenant ID (…)")
        .to_owned();
    let key_file = dir.path().join("root.key");
    let key = std::fs::read_to_string(&key_file).expect("the first start made the root key");
    assert_eq!(key.trim().len(), 64, "64 hex characters");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }

    // Without it the database is not opened, and no new key is made in its place.
    let moved = dir.path().join("elsewhere.key");
    std::fs::rename(&key_file, &moved).unwrap();
    let out = tenant(dir.path(), &["list"], &[]);
    assert!(!out.status.success());
    let error = error_line(&out);
    assert!(error.contains("no root key"), "{error}");
    assert!(error.contains("encrypted"), "{error}");
    assert!(
        !key_file.exists(),
        "a missing key is never replaced by a new one"
    );

    // A wrong key is refused before anything is read or written.
    std::fs::write(&key_file, "ab".repeat(32)).unwrap();
    let out = tenant(dir.path(), &["list"], &[]);
    assert!(!out.status.success());
    let error = error_line(&out);
    assert!(error.contains("does not open this database"), "{error}");

    // A malformed one says what a key looks like.
    std::fs::write(&key_file, "not a key").unwrap();
    let error = error_line(&tenant(dir.path(), &["list"], &[]));
    assert!(error.contains("64 hex characters"), "{error}");

    // The right key from the environment (the file is ignored then), or from its file.
    let listed = ok(&tenant(
        dir.path(),
        &["list"],
        &[("HOTLINE_ROOT_KEY", key.trim())],
    ));
    assert!(listed.contains("Nord"), "{listed}");
    std::fs::remove_file(&key_file).unwrap();
    let listed = ok(&tenant(
        dir.path(),
        &["list"],
        &[("HOTLINE_ROOT_KEY_FILE", moved.to_str().unwrap())],
    ));
    assert!(listed.contains("Nord"), "{listed}");

    // Rotation, twice: each makes a new version.
    let env = [("HOTLINE_ROOT_KEY_FILE", moved.to_str().unwrap())];
    let rotated = ok(&tenant(dir.path(), &["rotate-key", "--tenant", &id], &env));
    assert!(rotated.contains("key version 2"), "{rotated}");
    let rotated = ok(&tenant(dir.path(), &["rotate-key", "--tenant", &id], &env));
    assert!(rotated.contains("key version 3"), "{rotated}");
    let unknown = tenant(
        dir.path(),
        &[
            "rotate-key",
            "--tenant",
            "00000000-0000-4000-8000-000000000000",
        ],
        &env,
    );
    assert!(!unknown.status.success(), "an unknown tenant is an error");
}
