//! `spawn_app()` and a small HTTP client that keeps the session cookie and CSRF token the
//! way a browser would.

use std::sync::Arc;

use app::{Clock, ManualClock, SystemClock};
use hotline::server::{self, Running};
use hotline::settings::{Overrides, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running server with its own temporary database and clock.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) running: Option<Running>,
    pub(crate) admin_otp: String,
    pub(crate) http: reqwest::Client,
    dir: tempfile::TempDir,
}

pub(crate) async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    spawn_in(dir, clock).await
}

/// Starts the server on an existing data directory (used to restart).
pub(crate) async fn spawn_in(dir: tempfile::TempDir, clock: Arc<ManualClock>) -> TestApp {
    spawn_configured(dir, clock, |_| {}).await
}

/// Starts a server whose settings `configure` changes first.
pub(crate) async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    spawn_configured(dir, clock, configure).await
}

async fn spawn_configured(
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::load(
        None,
        &Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            http_addr: Some("127.0.0.1:0".parse().unwrap()),
            database_url: None,
            sip_addr: Some("127.0.0.1:0".parse().unwrap()),
        },
    )
    .expect("settings");
    configure(&mut settings);
    let running = server::start(&settings, clock.clone())
        .await
        .expect("server starts");
    // Only the first start on a directory bootstraps (and prints a password).
    let admin_otp = running
        .bootstrapped
        .as_ref()
        .map(|b| b.one_time_password.clone())
        .unwrap_or_default();
    TestApp {
        base: running.base_url(),
        clock,
        running: Some(running),
        admin_otp,
        http: reqwest::Client::builder().build().unwrap(),
        dir,
    }
}

impl TestApp {
    /// The server's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn app(&self) -> &app::App {
        &self.running.as_ref().unwrap().app
    }

    /// The `/metrics` exposition text.
    pub(crate) async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client without a session.
    pub(crate) fn client(&self) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            cookie: None,
            csrf: None,
            bearer: None,
        }
    }

    /// The TOTP code for `secret` at the app's current time.
    pub(crate) fn code(&self, secret: &str) -> String {
        let secret = security::totp::TotpSecret::from_base32(secret).unwrap();
        security::totp::code_at(&secret, self.clock.now().secs())
    }

    /// Signs in the bootstrap admin through the whole first-login flow: one-time password,
    /// new password, TOTP enrolment. Returns the client and the TOTP secret.
    pub(crate) async fn admin(&self) -> (Client, String) {
        self.first_login("admin", &self.admin_otp.clone(), ADMIN_PASSWORD)
            .await
    }

    /// Completes the first login of any user: returns the signed-in client and TOTP secret.
    pub(crate) async fn first_login(
        &self,
        username: &str,
        otp: &str,
        new_password: &str,
    ) -> (Client, String) {
        let mut c = self.client();
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({"username": username, "password": otp}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["next"], "change_password");
        let r = c
            .post(
                "/api/v1/auth/password",
                json!({"new_password": new_password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["next"], "enrol_totp");
        let r = c.post("/api/v1/auth/totp/enrol", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        let r = c
            .post(
                "/api/v1/auth/totp/confirm",
                json!({"code": self.code(&secret)}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["next"], "done");
        (c, secret)
    }

    /// Logs in an enrolled user with password and a TOTP code. Moves the clock forward one
    /// step first, since a code can only be used once.
    pub(crate) async fn login(&self, username: &str, password: &str, secret: &str) -> Client {
        self.clock.advance_secs(30);
        let mut c = self.client();
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["next"], "totp");
        let r = c
            .post("/api/v1/auth/totp", json!({"code": self.code(secret)}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        c
    }

    /// Creates a user through the API as `admin` and returns (id, one-time password).
    pub(crate) async fn create_user(
        &self,
        admin: &mut Client,
        username: &str,
        role: &str,
    ) -> (String, String) {
        let r = admin
            .post(
                "/api/v1/users",
                json!({"username": username, "display_name": username, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (
            r.body["user"]["id"].as_str().unwrap().to_owned(),
            r.body["one_time_password"].as_str().unwrap().to_owned(),
        )
    }

    /// Stops the server and starts a new one on the same database and clock.
    pub(crate) async fn restart(mut self) -> TestApp {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean shutdown");
        }
        spawn_in(self.dir, self.clock).await
    }

    pub(crate) async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean shutdown");
        }
    }
}

pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A response: status, headers and the JSON body (or `Value::Null`).
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

/// A client that keeps the session cookie and CSRF token like the web UI does.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    pub(crate) cookie: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) bearer: Option<String>,
}

impl Client {
    /// The same session against another server (the same data directory after a restart).
    pub(crate) fn on(&self, t: &TestApp) -> Client {
        Client {
            base: t.base.clone(),
            ..self.clone()
        }
    }

    pub(crate) fn with_bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&mut self, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub(crate) async fn delete(&mut self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", format!("{}={cookie}", api::SESSION_COOKIE));
        }
        if let Some(csrf) = &self.csrf {
            req = req.header(api::CSRF_HEADER, csrf);
        }
        if let Some(token) = &self.bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        req
    }

    pub(crate) async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.finish(req).await
    }

    pub(crate) async fn finish(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        for set in headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if name == api::SESSION_COOKIE {
                self.cookie = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        let text = resp.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(csrf) = body.get("csrf_token").and_then(Value::as_str) {
            self.csrf = Some(csrf.to_owned());
        }
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// Tests whose assertions depend on media arriving in real time (audio levels, packet
/// pacing, relayed RTP) take turns, so that on a two-core machine two of them never starve
/// each other's media of CPU. Hold the guard for the whole test.
pub(crate) async fn realtime_turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}
