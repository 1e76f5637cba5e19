//! The `hotline` executable: first-start output printed once, a failed first start naming
//! its cause, `--help` everywhere,
//! `config check` redaction, graceful shutdown on SIGTERM, and `audit verify` catching an
//! edited, a deleted and a reordered entry on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_hotline");

fn hotline() -> Command {
    let mut cmd = Command::new(BIN);
    // The tests' own environment must not leak settings into the child.
    for (key, _) in std::env::vars() {
        if key.starts_with("HOTLINE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOTLINE_LOG_FORMAT", "json");
    cmd
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
}

impl Server {
    fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Self::start_with_env(data_dir, extra, &[])
    }

    fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = hotline()
            .envs(env.iter().copied())
            .args([
                "serve",
                "--http-addr",
                "127.0.0.1:0",
                "--sip-addr",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hotline starts");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            stdout: Vec::new(),
        };
        server.wait_for("listening on");
        server
    }

    /// Reads stdout until a line contains `needle` (the server prints it when ready).
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; stdout so far: {:?}", self.stdout),
            }
        }
    }

    fn url(&self) -> String {
        let line = self
            .stdout
            .iter()
            .find(|l| l.contains("listening on"))
            .unwrap();
        line.split_whitespace().last().unwrap().to_owned()
    }

    /// Sends SIGTERM and returns the exit status and everything printed.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.stdout.push(line);
        }
        let mut stderr = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        (status, self.stdout, stderr)
    }
}

#[test]
fn first_start_prints_the_one_time_password_once_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Server::start(dir.path(), &[]);
    let otp_line = first.wait_for("one-time password: ");
    let otp = otp_line.rsplit(' ').next().unwrap().to_owned();
    assert!(otp.len() >= 12, "{otp_line}");
    assert!(dir.path().join("hotline.db").exists());
    let url = first.url();
    let (status, _, stderr) = first.terminate();
    assert!(status.success(), "exit status {status:?}; stderr: {stderr}");
    assert!(
        !stderr.contains(&otp),
        "the password must not reach the logs"
    );
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(url.starts_with("http://127.0.0.1:"));

    let second = Server::start(dir.path(), &[]);
    let (status, stdout, _) = second.terminate();
    assert!(status.success());
    let all = stdout.join("\n");
    assert!(!all.contains("one-time password"), "printed again: {all}");
    assert!(!all.contains(&otp));
}

#[tokio::test]
async fn a_failed_first_start_names_its_cause() {
    // A database that migrates but refuses the demo tenant: the first start fails inside
    // the bootstrap, and the error must say why, down to the database's own message.
    let dir = tempfile::tempdir().unwrap();
    let out = hotline()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = open_database(dir.path()).await;
    sqlx::query(
        "CREATE TRIGGER refuse_tenants BEFORE INSERT ON tenants \
         BEGIN SELECT RAISE(ABORT, 'tenants refused by the test'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let out = hotline()
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--sip-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(error.contains("first start"), "{error}");
    assert!(error.contains("tenants refused by the test"), "{error}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "a failed start never announced itself"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "--help"],
        vec!["user", "create", "--help"],
        vec!["audit", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["config", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let out = hotline().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let serve =
        String::from_utf8(hotline().args(["serve", "--help"]).output().unwrap().stdout).unwrap();
    for flag in ["--data-dir", "--http-addr", "--database-url", "--config"] {
        assert!(serve.contains(flag), "serve --help lacks {flag}");
    }
    let bad = hotline()
        .args(["serve", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn config_check_merges_file_and_environment_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotline.toml");
    std::fs::write(
        &config,
        "log_level = \"debug\"\n[auth]\nidle_timeout_secs = 600\n",
    )
    .unwrap();
    let secret_file = dir.path().join("db-url");
    std::fs::write(
        &secret_file,
        "postgres://hotline:topsecret@db.internal:5432/hotline\n",
    )
    .unwrap();
    let out = hotline()
        .args(["config", "check", "--config"])
        .arg(&config)
        .env("HOTLINE_HTTP_ADDR", "127.0.0.1:9999")
        .env("HOTLINE_DATABASE_URL_FILE", &secret_file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("log_level = \"debug\""), "{text}");
    assert!(text.contains("idle_timeout_secs = 600"), "{text}");
    assert!(text.contains("http_addr = \"127.0.0.1:9999\""), "{text}");
    assert!(
        text.contains("postgres://[redacted]@db.internal:5432/hotline"),
        "{text}"
    );
    assert!(!text.contains("topsecret"), "{text}");

    std::fs::write(&config, "no_such_setting = 1\n").unwrap();
    let out = hotline()
        .args(["config", "check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_setting"));
}

#[test]
fn user_create_prints_a_one_time_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    server.terminate();
    let out = hotline()
        .args([
            "user",
            "create",
            "--username",
            "night.shift",
            "--role",
            "supervisor",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("one-time password: "), "{text}");
    let again = hotline()
        .args([
            "user",
            "create",
            "--username",
            "night.shift",
            "--role",
            "agent",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already taken"));
}

/// Runs `hotline audit verify` and returns (exit code, stdout).
fn verify(store_args: &[String]) -> (i32, String) {
    let out = hotline()
        .args(["audit", "verify"])
        .args(store_args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn tamper_checks<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    store_args: &[String],
    drop_triggers: &[&'static str],
) where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let (code, out) = verify(store_args);
    assert_eq!(code, 0, "{out}");
    // First start (tenant, admin, two demo flows, widgets and phone numbers) and three users.
    assert!(out.contains("OK, 11 entries"), "{out}");

    // The database refuses edits while its triggers are in place.
    assert!(
        sqlx::query("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3")
            .execute(pool)
            .await
            .is_err()
    );
    for stmt in drop_triggers {
        sqlx::query(*stmt).execute(pool).await.unwrap();
    }

    // Edited.
    sqlx::query("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3")
        .execute(pool)
        .await
        .unwrap();
    let (code, out) = verify(store_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN") && out.contains("entry 3"), "{out}");
    sqlx::query("UPDATE audit_log SET outcome = 'success' WHERE seq = 3")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        verify(store_args).0,
        0,
        "restoring the value restores the chain"
    );

    // Reordered: entries 3 and 4 swap places.
    sqlx::query("UPDATE audit_log SET seq = -3 WHERE seq = 3")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 3 WHERE seq = 4")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 4 WHERE seq = -3")
        .execute(pool)
        .await
        .unwrap();
    let (code, out) = verify(store_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 3"), "{out}");
    sqlx::query("UPDATE audit_log SET seq = -3 WHERE seq = 3")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 3 WHERE seq = 4")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 4 WHERE seq = -3")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(verify(store_args).0, 0);

    // Deleted in the middle.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(pool)
        .await
        .unwrap();
    let (code, out) = verify(store_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing"), "{out}");

    // Deleted at the end (the head remembers).
    sqlx::query("DELETE FROM audit_log WHERE seq >= 2")
        .execute(pool)
        .await
        .unwrap();
    let (code, out) = verify(store_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("head"), "{out}");
}

#[tokio::test]
async fn audit_verify_catches_edit_delete_and_reorder_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let args = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
    let server = Server::start(dir.path(), &[]);
    server.terminate();
    for name in ["a.one", "a.two", "a.three"] {
        let out = hotline()
            .args(["user", "create", "--role", "agent", "--username", name])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pool = open_database(dir.path()).await;
    tamper_checks(
        &pool,
        &args,
        &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
    )
    .await;
}

#[tokio::test]
async fn audit_verify_catches_edit_delete_and_reorder_on_postgres() {
    let base = std::env::var("HOTLINE_TEST_POSTGRES_URL")
        .expect("set HOTLINE_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    let args = vec!["--database-url".to_owned(), url.clone()];

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--database-url", &url]);
    server.terminate();
    assert!(
        !dir.path().join("hotline.db").exists(),
        "PostgreSQL was used, not SQLite"
    );
    for name in ["a.one", "a.two", "a.three"] {
        let out = hotline()
            .args(["user", "create", "--role", "agent", "--username", name])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    tamper_checks(
        &pool,
        &args,
        &["DROP TRIGGER audit_log_append_only ON audit_log"],
    )
    .await;
    pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}

#[test]
fn a_callers_number_reaches_no_log_line_even_at_debug_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with_env(dir.path(), &[], &[("HOTLINE_LOG_LEVEL", "debug")]);
    let sip_line = server.wait_for("SIP listening on");
    let sip_addr = sip_line.split_whitespace().nth(3).unwrap().to_owned();
    let number = "4915112345678";
    let logs = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp/caller_number.xml");
    let out = Command::new("sipp")
        .current_dir(logs.path())
        .arg("-sf")
        .arg(&scenario)
        .args([
            "-key",
            "caller",
            number,
            "-s",
            "demo-de",
            "-i",
            "127.0.0.1",
            "-p",
            "0",
        ])
        .args(["-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin"])
        .arg(&sip_addr)
        .output()
        .expect("sipp runs (Debian package sip-tester)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (status, stdout, stderr) = server.terminate();
    assert!(status.success());
    assert!(
        stderr.contains("call answered") && stderr.contains("call ended"),
        "the call was logged (by ids): {stderr}"
    );
    assert!(
        !stderr.contains(number) && !stdout.join("\n").contains(number),
        "the caller's number reached the logs"
    );
}

/// The SQLite database the binary made in `data_dir`, for a test to tamper with.
async fn open_database(data_dir: &std::path::Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data_dir.join("hotline.db").display()
    ))
    .await
    .unwrap()
}
