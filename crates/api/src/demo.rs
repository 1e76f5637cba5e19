//! The demo: `/demo` is a host page with the web chat widget of the demo tenant, and
//! `/demo/api/appointment` is the endpoint the demo flows call with `http_request`, standing
//! in for a booking system. Both are public and hold no personal data.

use axum::extract::Query;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The demo widgets' public ids (created with the demo tenant on first start).
pub const DEMO_WIDGET_DE: &str = "demo-de";
/// The English demo widget.
pub const DEMO_WIDGET_EN: &str = "demo-en";

#[derive(Deserialize)]
pub(crate) struct DemoQuery {
    lang: Option<String>,
}

fn wants_german(query: Option<&str>, headers: &HeaderMap) -> bool {
    match query {
        Some(lang) => lang.starts_with("de"),
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.trim_start().to_ascii_lowercase().starts_with("de")),
    }
}

/// `GET /demo[?lang=de|en]`
pub(crate) async fn page(
    query: Result<Query<DemoQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let lang = query.as_ref().ok().and_then(|q| q.0.lang.as_deref());
    let german = wants_german(lang, &headers);
    let (html_lang, widget, title, intro, other) = if german {
        (
            "de",
            DEMO_WIDGET_DE,
            "Hotline – Demo",
            "Dies ist eine Beispielseite eines Gesundheitsamts. Unten rechts öffnen Sie den Chat mit der \
             Demo-Hotline: ein Bot beantwortet häufige Fragen, und ein Mensch ist immer einen Schritt entfernt.",
            "<a href=\"/demo?lang=en\">English version</a>",
        )
    } else {
        (
            "en",
            DEMO_WIDGET_EN,
            "Hotline – demo",
            "This is a sample page of a health office. Open the chat with the demo hotline at the bottom \
             right: a bot answers common questions, and a human is always one step away.",
            "<a href=\"/demo?lang=de\">Deutsche Fassung</a>",
        )
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n</head>\n\
         <body>\n<main>\n<h1>{title}</h1>\n<p>{intro}</p>\n<p>{other}</p>\n</main>\n\
         <script src=\"/widget.js\" data-widget=\"{widget}\" async></script>\n</body>\n</html>\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct AppointmentQuery {
    postcode: Option<String>,
    lang: Option<String>,
}

#[derive(Serialize)]
struct Appointment {
    slot: String,
    place: String,
}

/// `GET /demo/api/appointment?postcode=12345&lang=de` — the next free slot, derived from the
/// postcode so answers are stable.
pub(crate) async fn appointment(
    query: Result<Query<AppointmentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.ok().map(|q| q.0);
    let postcode = q
        .as_ref()
        .and_then(|q| q.postcode.clone())
        .unwrap_or_default();
    let german = q
        .as_ref()
        .and_then(|q| q.lang.as_deref())
        .is_none_or(|l| l.starts_with("de"));
    let n: u32 = postcode
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .sum();
    let days_de = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"];
    let days_en = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
    let places = ["Mitte", "Nord", "Süd", "Ost", "West"];
    let day = (n % 5) as usize;
    let hour = 8 + n % 9;
    let minute = if n.is_multiple_of(2) { "00" } else { "30" };
    let body = if german {
        Appointment {
            slot: format!("{} um {hour}:{minute} Uhr", days_de[day]),
            place: format!("Impfzentrum {}", places[(n as usize / 5) % 5]),
        }
    } else {
        Appointment {
            slot: format!("{} at {hour}:{minute}", days_en[day]),
            place: format!("Vaccination centre {}", places[(n as usize / 5) % 5]),
        }
    };
    axum::Json(body).into_response()
}
