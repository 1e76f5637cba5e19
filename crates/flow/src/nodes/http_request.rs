//! `http_request`: call a CRM or booking system, store parts of its JSON answer, and branch
//! on success or error.
//!
//! The engine does no IO: it emits the request (URL, headers and body rendered, values put
//! into the URL percent-encoded and into a JSON body JSON-escaped) and waits for the shell
//! to feed the result back. Status 0 means no answer (timeout, refused address).

use serde_json::Value;

use crate::diagnostic::codes;
use crate::engine::{Effect, Waiting};
use crate::format::HttpRequest;
use crate::node_cx::NodeCx;
use crate::step::{Next, Run};
use crate::template::Escape;

/// The allowed request timeouts, seconds.
const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 1..=30;

pub(super) fn check(n: &HttpRequest, cx: &mut NodeCx<'_, '_>) {
    if !TIMEOUT_RANGE.contains(&n.timeout_secs) {
        cx.error(
            codes::MISSING_TIMEOUT_BRANCH,
            "timeout_secs",
            format_args!(
                "{} s is outside 1–30 s: a caller must never wait long for a back-end",
                n.timeout_secs
            ),
        );
    }
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &HttpRequest) -> Next {
    let id = run.new_id();
    let url = run.render(&n.url, Escape::Url);
    let headers = n
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), run.render(v, Escape::None)))
        .collect();
    let body = n.body.as_deref().map(|b| {
        let json = matches!(b.trim_start().as_bytes().first(), Some(b'{' | b'['));
        run.render(b, if json { Escape::Json } else { Escape::None })
    });
    let timeout_ms = u64::from(n.timeout_secs) * 1000;
    run.effects.push(Effect::HttpRequest {
        id,
        method: n.method,
        url,
        headers,
        body,
        timeout_ms,
    });
    run.wait(i, Waiting::Http { request: id });
    Next::Stop
}

pub(super) fn result(
    run: &mut Run<'_>,
    n: &HttpRequest,
    next: u32,
    on_error: u32,
    status: u16,
    body: &str,
) -> Next {
    if !(200..300).contains(&status) {
        return Next::Node(on_error);
    }
    if n.save.is_empty() {
        return Next::Node(next);
    }
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        // A success that cannot be read is no success for a node that needs its data.
        return Next::Node(on_error);
    };
    for (var, pointer) in &n.save {
        match json.pointer(pointer) {
            Some(Value::String(s)) => run.set_var(var, s),
            Some(Value::Null) | None => {}
            Some(other) => run.set_var(var, &other.to_string()),
        }
    }
    Next::Node(next)
}
