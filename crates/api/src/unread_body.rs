//! `Connection: close` on the answer to a request whose body was not read to its end.
//!
//! A request refused before its body is read (a method the route does not have, a wrong content
//! type, no credentials, a CSRF refusal, a body over the limit) leaves bytes of that body on
//! the connection, so hyper closes the connection after the answer. When the body had not fully
//! arrived by then, hyper closes it without saying so, and a client that sends its next request
//! on the same connection finds it gone ("remote end closed connection without response");
//! clients retry at most idempotent requests. This layer watches the body and marks the answer
//! `Connection: close` when the body was not read to its end, so the client opens a new
//! connection instead. The web scan found it: after wapiti's XML posts to the JSON routes
//! (answered 405 or 415), its next request failed on the closed connection.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// Runs the request and adds `Connection: close` to the answer when its body was left unread.
pub(crate) async fn close_after_unread_body(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let read = Arc::new(AtomicBool::new(false));
    let watched = read.clone();
    let request = request.map(|inner| {
        Body::new(Watched {
            inner,
            read: watched,
        })
    });
    let mut response = next.run(request).await;
    if !read.load(Ordering::Relaxed) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body that notes when it has been read to its end.
struct Watched {
    inner: Body,
    read: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Relaxed);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
