//! The HTTP client flows use. Operators point `http_request` nodes at their CRM or booking
//! system, so the URL is tenant-controlled input: unless an admin opened the destination
//! (`host:port`) for the tenant, every address the host resolves to must be public (no loopback, private,
//! link-local, carrier-grade NAT, multicast or unspecified address), the request goes to
//! exactly the checked address (no second DNS lookup), and redirects are not followed.
//!
//! A request without an answer reaches the flow as status 0 whatever the reason; the
//! response's [`OutboundOutcome`] keeps the reason (refused by the guard, timed out, failed)
//! apart for the log and the tests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use app::{HttpClient, OutboundOutcome, OutboundRequest, OutboundResponse, PrivateAccess};

/// Largest response body kept.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Whether an address is on the public internet.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24, protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

/// A URL's destination as `host:port`, in the form destinations are opened in (host in lower
/// case, IPv6 in brackets, the port always written). Read from the parsed URL, so what is
/// checked is what the request goes to.
pub fn destination(url: &reqwest::Url) -> Option<String> {
    // The parser has already lower-cased names, written IPv4 in dotted form and put IPv6 in
    // brackets.
    Some(format!(
        "{}:{}",
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?
    ))
}

/// Whether `access` opens the URL's destination to private addresses: an admin opened it, or
/// it is one of this server's own demo endpoints (the path as parsed, so `..` cannot climb
/// out of `/demo/api/`).
fn opened(url: &reqwest::Url, access: &PrivateAccess) -> bool {
    if let Some(d) = destination(url)
        && access.destinations.contains(&d)
    {
        return true;
    }
    access
        .own_demo_base
        .as_deref()
        .and_then(|b| reqwest::Url::parse(b).ok())
        .is_some_and(|base| {
            base.scheme() == url.scheme()
                && destination(&base) == destination(url)
                && url.path().starts_with("/demo/api/")
                && url.username().is_empty()
                && url.password().is_none()
        })
}

/// The flows' HTTP client.
#[derive(Debug, Clone, Default)]
pub struct FlowHttpClient;

/// No answer: logged with its reason (never the URL, which may carry personal data).
fn unanswered(outcome: OutboundOutcome, reason: &str) -> OutboundResponse {
    tracing::info!(?outcome, reason, "flow HTTP request got no answer");
    OutboundResponse::unanswered(outcome)
}

fn refused(reason: &str) -> OutboundResponse {
    unanswered(OutboundOutcome::Refused, reason)
}

fn failed(reason: &str) -> OutboundResponse {
    unanswered(OutboundOutcome::Failed, reason)
}

impl FlowHttpClient {
    /// A new client.
    pub fn new() -> Self {
        Self
    }

    async fn resolve(url: &reqwest::Url) -> Result<Vec<SocketAddr>, &'static str> {
        let host = url.host_str().ok_or("the URL has no host")?;
        let port = url.port_or_known_default().ok_or("the URL has no port")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| "the host name does not resolve")?
            .collect();
        if addrs.is_empty() {
            return Err("the host name does not resolve");
        }
        Ok(addrs)
    }
}

#[async_trait::async_trait]
impl HttpClient for FlowHttpClient {
    async fn send(&self, request: OutboundRequest, access: &PrivateAccess) -> OutboundResponse {
        let Ok(url) = reqwest::Url::parse(&request.url) else {
            return failed("invalid URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refused("only http and https URLs are allowed");
        }
        let addrs = match Self::resolve(&url).await {
            Ok(a) => a,
            Err(reason) => return failed(reason),
        };
        if !addrs.iter().all(|a| is_public_ip(a.ip())) && !opened(&url, access) {
            return refused("the host resolves to a private or loopback address");
        }
        let timeout = Duration::from_millis(request.timeout_ms.clamp(100, 30_000));
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Hotline/", env!("CARGO_PKG_VERSION")));
        if let Some(host) = url.host_str()
            && host.parse::<IpAddr>().is_err()
        {
            // Pin the checked addresses so a second lookup cannot swap in another one.
            builder = builder.resolve_to_addrs(host, &addrs);
        }
        let Ok(client) = builder.build() else {
            return failed("HTTP client unavailable");
        };
        let Ok(method) = reqwest::Method::from_bytes(request.method.as_bytes()) else {
            return failed("invalid method");
        };
        let mut req = client.request(method, url);
        for (name, value) in &request.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            req = req.body(body);
        }
        let mut response = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return unanswered(OutboundOutcome::TimedOut, "timed out");
            }
            Err(_) => return failed("connection failed"),
        };
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_BODY_BYTES.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= MAX_BODY_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return unanswered(OutboundOutcome::TimedOut, "the body timed out");
                }
                Err(_) => return failed("the response broke off"),
            }
        }
        OutboundResponse::answered(status, String::from_utf8_lossy(&body).into_owned())
    }
}
