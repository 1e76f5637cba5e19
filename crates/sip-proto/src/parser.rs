//! The message parser: start line, folded header lines, compact names, mandatory-header and scalar
//! validation, and body framing for datagrams and streams. Strict where RFC 4475 expects a 400,
//! liberal where it expects tolerance.

use crate::error::ParseError;
use crate::headers::Headers;
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::scan::is_token_char;
use crate::uri::Uri;

/// Largest message we accept (header section plus body).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Most header lines we accept.
pub const MAX_HEADERS: usize = 100;
/// Longest single physical line we accept.
pub const MAX_LINE: usize = 8 * 1024;

/// Parses one datagram. Without Content-Length the body runs to the end of the datagram; extra
/// bytes after a Content-Length body are ignored (RFC 4475 dblreq).
pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    if bytes.len() > MAX_MESSAGE {
        return Err(ParseError::TooLarge("message"));
    }
    let start = skip_leading_crlf(bytes);
    if start == bytes.len() {
        return Err(ParseError::Empty);
    }
    let (head_end, body_start) = find_head_end(&bytes[start..]).ok_or(ParseError::Incomplete)?;
    let mut msg = parse_head(&bytes[start..start + head_end])?;
    let rest = &bytes[start + body_start..];
    let body = match msg_headers(&msg).content_length()? {
        Some(len) if len > rest.len() => return Err(ParseError::BodyTruncated),
        Some(len) => &rest[..len],
        None => rest,
    };
    set_body(&mut msg, body.to_vec());
    Ok(msg)
}

/// Parses one message from the front of a stream buffer (TCP, TLS). Returns `Ok(None)` when more
/// bytes are needed, otherwise the message and how many bytes it used. Content-Length is mandatory
/// on streams; a missing one is read as zero.
pub fn parse_stream(bytes: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let start = skip_leading_crlf(bytes);
    let Some((head_end, body_start)) = find_head_end(&bytes[start..]) else {
        return if bytes.len() > MAX_MESSAGE {
            Err(ParseError::TooLarge("message"))
        } else {
            Ok(None)
        };
    };
    let mut msg = parse_head(&bytes[start..start + head_end])?;
    let len = msg_headers(&msg).content_length()?.unwrap_or(0);
    let total = start + body_start + len;
    if total - start > MAX_MESSAGE {
        return Err(ParseError::TooLarge("message"));
    }
    if bytes.len() < total {
        return Ok(None);
    }
    set_body(&mut msg, bytes[start + body_start..total].to_vec());
    Ok(Some((msg, total)))
}

fn skip_leading_crlf(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len())
}

/// Finds the blank line: returns (end of header section, start of body). Bare LF is tolerated.
fn find_head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|b| *b == b'\n') {
        let nl = i + off;
        let next = nl + 1;
        if bytes.get(next) == Some(&b'\n') {
            return Some((nl, next + 1));
        }
        if bytes.get(next) == Some(&b'\r') && bytes.get(next + 1) == Some(&b'\n') {
            return Some((nl, next + 2));
        }
        i = next;
    }
    None
}

fn msg_headers(m: &Message) -> &Headers {
    m.headers()
}

fn set_body(m: &mut Message, body: Vec<u8>) {
    match m {
        Message::Request(r) => r.body = body,
        Message::Response(r) => r.body = body,
    }
}

fn parse_head(head: &[u8]) -> Result<Message, ParseError> {
    let (start_line, headers) = split_head(head)?;
    let msg = if let Some(rest) = start_line.strip_prefix("SIP/") {
        parse_status_line(rest, headers)?
    } else {
        parse_request_line(&start_line, headers)?
    };
    validate(&msg)?;
    Ok(msg)
}

/// The headers of a request that failed validation, so that the endpoint can answer it with
/// 400 or 505. `None` for responses, ACKs (never answered) and inputs without a usable head.
pub(crate) fn salvage_request_headers(bytes: &[u8]) -> Option<Headers> {
    if bytes.len() > MAX_MESSAGE {
        return None;
    }
    let start = skip_leading_crlf(bytes);
    let (head_end, _) = find_head_end(&bytes[start..])?;
    let (start_line, headers) = split_head(&bytes[start..start + head_end]).ok()?;
    let is_request = !start_line.starts_with("SIP/") && !start_line.starts_with("ACK ");
    let routable = headers.get("Via").is_some() && headers.get("CSeq").is_some();
    (is_request && routable).then_some(headers)
}

/// Splits the header section into the start line and unfolded, canonically named headers.
fn split_head(head: &[u8]) -> Result<(String, Headers), ParseError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next().ok_or(ParseError::Empty)?;
    if start_line.len() > MAX_LINE {
        return Err(ParseError::TooLarge("line"));
    }
    let mut logical: Vec<String> = Vec::new();
    for line in lines {
        if line.len() > MAX_LINE {
            return Err(ParseError::TooLarge("line"));
        }
        if line.starts_with([' ', '\t']) {
            // Folding: a continuation line joins the previous header with its white space.
            let prev = logical.last_mut().ok_or(ParseError::BadHeaderLine)?;
            prev.push_str(line);
        } else {
            if logical.len() >= MAX_HEADERS {
                return Err(ParseError::TooLarge("header count"));
            }
            logical.push(line.to_owned());
        }
    }
    let mut headers = Headers::default();
    for line in &logical {
        let (name, value) = line.split_once(':').ok_or(ParseError::BadHeaderLine)?;
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.chars().all(is_token_char) {
            return Err(ParseError::BadHeaderLine);
        }
        headers.push(name, value.trim_matches([' ', '\t']));
    }
    Ok((start_line.to_owned(), headers))
}

fn parse_status_line(rest: &str, headers: Headers) -> Result<Message, ParseError> {
    let (version, rest) = rest
        .split_once(' ')
        .ok_or(ParseError::BadStartLine("status line"))?;
    if version != "2.0" {
        return Err(ParseError::BadVersion);
    }
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::BadStartLine("status code must be three digits"));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| ParseError::BadStartLine("status code"))?;
    if !(100..700).contains(&status) {
        return Err(ParseError::BadStartLine("status code out of range"));
    }
    Ok(Message::Response(Response {
        status,
        reason: reason.to_owned(),
        headers,
        body: Vec::new(),
    }))
}

fn parse_request_line(line: &str, headers: Headers) -> Result<Message, ParseError> {
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts[..] else {
        return Err(ParseError::BadStartLine(
            "request line needs exactly three elements",
        ));
    };
    let method = Method::parse(method).ok_or(ParseError::BadStartLine("method is not a token"))?;
    if !version.starts_with("SIP/") {
        return Err(ParseError::BadStartLine("missing SIP version"));
    }
    if version != "SIP/2.0" {
        return Err(ParseError::BadVersion);
    }
    let uri = Uri::parse(uri).map_err(|_| ParseError::BadStartLine("bad Request-URI"))?;
    if let Uri::Sip(sip) = &uri
        && sip.headers.is_some()
    {
        return Err(ParseError::BadStartLine(
            "Request-URI must not contain headers",
        ));
    }
    Ok(Message::Request(Request {
        method,
        uri,
        headers,
        body: Vec::new(),
    }))
}

/// Checks that mandatory headers exist once and that every header we interpret is well formed,
/// so that transaction and dialog code can rely on the typed accessors.
fn validate(msg: &Message) -> Result<(), ParseError> {
    let h = msg.headers();
    for name in [
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Max-Forwards",
        "Content-Length",
        "Content-Type",
    ] {
        if h.count(name) > 1 {
            return Err(ParseError::DuplicateHeader(name));
        }
    }
    let vias = h.vias()?;
    if vias.is_empty() {
        return Err(ParseError::MissingHeader("Via"));
    }
    h.from()?;
    h.to()?;
    let call_id = h.call_id()?;
    if call_id.is_empty() || call_id.contains([' ', '\t']) {
        return Err(ParseError::InvalidHeader {
            name: "Call-ID".into(),
            reason: "empty or spaced",
        });
    }
    let cseq = h.cseq()?;
    h.max_forwards()?;
    h.content_length()?;
    h.expires()?;
    h.contacts()?;
    h.routes()?;
    h.record_routes()?;
    if let Some(date) = h.get("Date")
        && !date.ends_with("GMT")
    {
        return Err(ParseError::InvalidHeader {
            name: "Date".into(),
            reason: "must be in GMT",
        });
    }
    if let Message::Request(req) = msg
        && cseq.method != req.method
    {
        return Err(ParseError::CSeqMismatch);
    }
    Ok(())
}
