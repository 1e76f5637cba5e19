//! The web UI: the files Vite built into `web/dist`, embedded in the binary at compile time.
//! A path outside `/api` that is not a file gets `index.html` when it can be a client-side
//! route (so they work on reload): letters, digits, `-`, `_` and `/` only, not under
//! `/assets/`. Anything else — `widget.bak`, `.env`, `login~` — is a 404, never the page.
//! Only `GET` and `HEAD` are answered: a `POST` or `OPTIONS` to a page is a 405, not the page
//! with 200 (the web scan found every method answered like `GET`).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

/// Whether a built UI is embedded (false when the binary was built before `npm run build`).
pub fn ui_embedded() -> bool {
    Assets::get("index.html").is_some()
}

/// Serves an embedded file, or `index.html` for client-side routes.
pub(crate) async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return StatusCode::NOT_FOUND.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
        )
            .into_response();
    }
    if let Some(file) = (!path.is_empty()).then(|| Assets::get(path)).flatten() {
        let mime = file.metadata.mimetype().to_owned();
        // Vite names assets by content hash, so they may be cached for good.
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
            file.data,
        )
            .into_response();
    }
    if !client_route(path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match Assets::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            index.data,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The web UI was not built into this binary. Run `npm ci && npm run build` in web/ and rebuild.",
        )
            .into_response(),
    }
}

/// Whether `path` (without its leading slash) may be a route of the single-page app: not
/// under `assets/`, and only the characters the app's routes use (`users`, `api-keys`,
/// ids); file names, editor backups and dot-files are not routes.
fn client_route(path: &str) -> bool {
    !path.starts_with("assets/")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::client_route;

    #[test]
    fn only_extensionless_paths_outside_assets_are_client_routes() {
        for route in ["", "users", "audit", "flows/abc-123/edit", "account"] {
            assert!(client_route(route), "{route}");
        }
        for file in [
            "widget.bak",
            ".env",
            "assets/missing",
            "assets/index-0.js",
            "users/.git",
            "backup.sql",
            "login~",
            "%2e%2e/etc/passwd",
        ] {
            assert!(!client_route(file), "{file}");
        }
    }
}
