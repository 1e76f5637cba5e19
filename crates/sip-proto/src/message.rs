//! The message model: requests, responses, serialisation and the response builder a UAS uses.

use crate::headers::Headers;
use crate::method::Method;
use crate::uri::Uri;

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// Either kind of message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

/// Writes headers and body; Content-Length always reflects the body actually sent.
fn write_rest(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    let mut wrote_length = false;
    for h in headers.iter() {
        if h.name == "Content-Length" {
            if wrote_length {
                continue;
            }
            wrote_length = true;
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            continue;
        }
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !wrote_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

impl Request {
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} SIP/2.0\r\n", self.method, self.uri).into_bytes();
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            reason: reason_phrase(status).to_owned(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// A response to `req` per RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq copied, a To tag
    /// added when the request had none (except for 100 Trying), Record-Route copied for
    /// dialog-creating responses.
    pub fn to_request(req: &Request, status: u16, to_tag: Option<&str>) -> Response {
        let mut resp = Response::new(status);
        for h in req.headers.iter() {
            let copy = matches!(h.name.as_str(), "Via" | "From" | "Call-ID" | "CSeq")
                || (h.name == "Record-Route" && (101..300).contains(&status));
            if copy {
                resp.headers.0.push(h.clone());
            }
            if h.name == "To" {
                let mut value = h.value.clone();
                if let (Some(tag), Ok(to)) = (to_tag, req.headers.to())
                    && to.tag().is_none()
                    && status != 100
                {
                    value.push_str(";tag=");
                    value.push_str(tag);
                }
                resp.headers.0.push(crate::headers::Header {
                    name: "To".into(),
                    value,
                });
            }
        }
        resp
    }

    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {} {}\r\n", self.status, self.reason).into_bytes();
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

/// The RFC 3261 default reason phrase for a status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Unknown",
    }
}
