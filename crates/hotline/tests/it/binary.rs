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

pub(crate) fn hotline() -> Command {
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
    /// Everything the server logged, read as it comes: a pipe left unread fills up (64 KiB)
    /// and blocks the server mid-write, which at debug level happens within one call.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Drop for Server {
    /// A failing test leaves no server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut err, &mut text).unwrap();
            text
        });
        let mut server = Server {
            child,
            lines,
            stdout: Vec::new(),
            stderr: Some(stderr),
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
        // A server that does not stop within a minute fails the test rather than hang the suite.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                self.child.kill().unwrap();
                self.child.wait().unwrap();
                let stderr = self.stderr.take().unwrap().join().unwrap();
                panic!("the server did not stop within 60 s of SIGTERM; stderr: {stderr}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.stdout.push(line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, std::mem::take(&mut self.stdout), stderr)
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
        vec!["tenant", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["tenant", "list", "--help"],
        vec!["tenant", "disable", "--help"],
        vec!["tenant", "enable", "--help"],
        vec!["api-key", "--help"],
        vec!["api-key", "create", "--help"],
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

/// Runs `hotline tenant ARGS --data-dir DIR`; its stdout (the command must succeed).
fn tenant_cli(dir: &Path, args: &[&str]) -> String {
    let out = hotline()
        .arg("tenant")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "tenant {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test]
async fn tenants_are_created_listed_disabled_and_enabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    Server::start(dir.path(), &[]).terminate();
    let created = tenant_cli(
        dir.path(),
        &[
            "create",
            "--name",
            "Krisendienst Nord",
            "--admin",
            "nord.admin",
        ],
    );
    let id = created
        .lines()
        .find_map(|l| l.strip_prefix("created tenant "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let otp = created
        .lines()
        .find_map(|l| l.strip_prefix("admin nord.admin one-time password: "))
        .unwrap_or_else(|| panic!("{created}"))
        .trim()
        .to_owned();
    let listed = tenant_cli(dir.path(), &["list"]);
    assert_eq!(
        listed.lines().count(),
        2,
        "the demo tenant and the new one: {listed}"
    );
    assert!(
        listed.contains(&id) && listed.contains("Krisendienst Nord"),
        "{listed}"
    );
    // A taken admin name changes nothing.
    let taken = hotline()
        .args([
            "tenant",
            "create",
            "--name",
            "Zwei",
            "--admin",
            "nord.admin",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!taken.status.success());
    assert_eq!(tenant_cli(dir.path(), &["list"]).lines().count(), 2);

    let server = Server::start(dir.path(), &[]);
    let http = reqwest::Client::new();
    let url = server.url();
    let login = |password: String| {
        let req = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "nord.admin", "password": password}));
        async move { req.send().await.unwrap() }
    };
    let first = login(otp.clone()).await;
    assert_eq!(first.status(), reqwest::StatusCode::OK);
    let cookie = first.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session = || {
        let req = http
            .get(format!("{url}/api/v1/auth/session"))
            .header("cookie", cookie.clone());
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(session().await, reqwest::StatusCode::OK);

    // Disabled while the server runs: the session ends and sign-in is refused.
    let out = tenant_cli(dir.path(), &["disable", "--tenant", &id]);
    assert!(out.contains("disabled"), "{out}");
    assert_eq!(session().await, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(otp.clone()).await.status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    let listed = tenant_cli(dir.path(), &["list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains(&id) && l.contains("disabled")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.contains("enabled") && l.contains("Demo")),
        "the demo tenant is untouched: {listed}"
    );

    // Enabled again: the admin signs in.
    tenant_cli(dir.path(), &["enable", "--tenant", &id]);
    assert_eq!(login(otp).await.status(), reqwest::StatusCode::OK);
    let unknown = hotline()
        .args([
            "tenant",
            "disable",
            "--tenant",
            "00000000-0000-4000-8000-000000000000",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!unknown.status.success(), "an unknown tenant is an error");
    let (status, _, _) = server.terminate();
    assert!(status.success());
}

#[tokio::test]
async fn api_key_create_prints_a_token_once_that_works_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    Server::start(dir.path(), &[]).terminate();
    let out = hotline()
        .args([
            "api-key",
            "create",
            "--name",
            "monitoring",
            "--role",
            "admin",
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
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once; send it as `Authorization: Bearer …`): "))
        .unwrap_or_else(|| panic!("no token line: {text}"))
        .trim()
        .to_owned();
    assert!(token.starts_with("hlk_"), "{token}");
    let bad = hotline()
        .args([
            "api-key",
            "create",
            "--name",
            "x",
            "--role",
            "king",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--role"));

    let server = Server::start(dir.path(), &[]);
    let http = reqwest::Client::new();
    let queues = http
        .get(format!("{}/api/v1/queues", server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(queues.status(), reqwest::StatusCode::OK);
    let audit: serde_json::Value = http
        .get(format!("{}/api/v1/audit?limit=20", server.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "api_key.create")
        .unwrap_or_else(|| panic!("{audit}"))
        .clone();
    assert_eq!(created["actor_kind"], "system", "{created}");
    assert!(
        !audit.to_string().contains(&token),
        "the token is never stored or shown again"
    );
    server.terminate();
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
    db_url: &str,
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

    // The probe's attack: edit an entry, then recompute every hash after it and the head, as
    // anyone with write access to the database can. Only the head's signature, made with the
    // key outside the database, gives it away.
    let store = store::connect(db_url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap()[0].id;
    let original = store.audit_page_ascending(tenant, 0, 1000).await.unwrap();
    store.close().await;
    let mut prev = original[1].hash.clone();
    let mut forged = Vec::new();
    for entry in &original[2..] {
        let mut event = entry.event.clone();
        if entry.seq == 3 {
            event.outcome = domain::Outcome::Failure;
        }
        let sealed = security::audit::seal(tenant, entry.seq, entry.id, entry.at, event, prev);
        prev = sealed.hash.clone();
        forged.push(sealed);
    }
    let rewrite = |entries: &[domain::AuditEntry]| {
        let mut statements: Vec<String> = entries
            .iter()
            .map(|e| {
                format!(
                    "UPDATE audit_log SET outcome = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                    e.event.outcome.as_str(),
                    e.prev_hash,
                    e.hash,
                    e.seq
                )
            })
            .collect();
        let last = entries.last().unwrap();
        statements.push(format!(
            "UPDATE audit_heads SET hash = '{}' WHERE seq = {}",
            last.hash, last.seq
        ));
        statements
    };
    for stmt in rewrite(&forged) {
        sqlx::query(sqlx::AssertSqlSafe(stmt))
            .execute(pool)
            .await
            .unwrap();
    }
    let (code, out) = verify(store_args);
    assert_eq!(code, 1, "a recomputed chain passed: {out}");
    assert!(out.contains("not signed by the audit key"), "{out}");
    for stmt in rewrite(&original[2..]) {
        sqlx::query(sqlx::AssertSqlSafe(stmt))
            .execute(pool)
            .await
            .unwrap();
    }
    assert_eq!(
        verify(store_args).0,
        0,
        "the original chain and its head verify"
    );

    // Without the server's key nothing can be vouched for.
    let empty = tempfile::tempdir().unwrap();
    let out = hotline()
        .args(["audit", "verify"])
        .args(store_args)
        .env("HOTLINE_AUDIT_KEY_FILE", empty.path().join("audit.key"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("no audit key"), "{text}");
    assert!(
        !empty.path().join("audit.key").exists(),
        "verification never makes a key"
    );

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
    let url = format!("sqlite://{}", dir.path().join("hotline.db").display());
    tamper_checks(
        &pool,
        &url,
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
    let dir = tempfile::tempdir().unwrap();
    // The data directory holds the audit key every command of the installation shares.
    let args = vec![
        "--database-url".to_owned(),
        url.clone(),
        "--data-dir".to_owned(),
        dir.path().display().to_string(),
    ];

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
        &url,
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
