//! Typed header values: Via, name-addr (From, To, Contact, Route), CSeq and the digest
//! challenge/credential syntax. Each parses from and displays to the wire form.

use std::fmt;

use crate::method::Method;
use crate::scan::{Params, Scanner, is_token_char, is_ws, write_quoted};
use crate::uri::{Uri, split_hostport};

/// The RFC 3261 branch prefix that marks a globally unique transaction id.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// The transport named in a Via header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Sctp,
    Ws,
    Wss,
    Other(String),
}

impl Transport {
    pub fn parse(s: &str) -> Transport {
        match s.to_ascii_uppercase().as_str() {
            "UDP" => Transport::Udp,
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            "SCTP" => Transport::Sctp,
            "WS" => Transport::Ws,
            "WSS" => Transport::Wss,
            _ => Transport::Other(s.to_owned()),
        }
    }

    /// Reliable transports skip retransmissions (RFC 3261 §17).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }
}

/// One Via header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub transport: Transport,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    /// A Via with the given sent-by and branch.
    pub fn new(transport: Transport, host: &str, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::default();
        params.set("branch", Some(branch));
        Via {
            transport,
            host: host.to_owned(),
            port,
            params,
        }
    }

    pub fn parse(s: &str) -> Result<Via, &'static str> {
        let mut sc = Scanner::new(s.trim_matches(is_ws));
        let proto = sc.token("missing protocol name")?;
        sc.skip_ws();
        sc.expect('/', "expected '/' in Via protocol")?;
        sc.skip_ws();
        let version = sc.token("missing protocol version")?;
        if !proto.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err("unsupported protocol version");
        }
        sc.skip_ws();
        sc.expect('/', "expected '/' before transport")?;
        sc.skip_ws();
        let transport = Transport::parse(sc.token("missing transport")?);
        if !sc.skip_ws() {
            return Err("expected white space before sent-by");
        }
        let hostport = sc.take_while(|c| c.is_ascii_alphanumeric() || "-._:[]".contains(c));
        let (host, port) = split_hostport(hostport).map_err(|_| "bad sent-by")?;
        let params = Params::parse(&mut sc)?;
        sc.skip_ws();
        if !sc.at_end() {
            return Err("trailing characters in Via");
        }
        Ok(Via {
            transport,
            host,
            port,
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// The branch when it is an RFC 3261 transaction id: the magic cookie followed by something
    /// (RFC 4475 §3.2.1 "badbranch" carries only the cookie).
    pub fn rfc3261_branch(&self) -> Option<&str> {
        self.branch()
            .filter(|b| b.starts_with(MAGIC_COOKIE) && b.len() > MAGIC_COOKIE.len())
    }

    pub fn received(&self) -> Option<&str> {
        self.params.value("received")
    }

    /// `None` without rport, `Some(None)` for a bare `;rport` request, `Some(Some(port))` when filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// `host[:port]` as used for transaction matching.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host.to_ascii_lowercase()),
            None => self.host.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport.as_str(), self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

/// A name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display_name: Option<String>,
    pub uri: Uri,
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::default(),
        }
    }

    pub fn parse(s: &str) -> Result<NameAddr, &'static str> {
        let mut sc = Scanner::new(s.trim_matches(is_ws));
        let display_name = if sc.peek() == Some('"') {
            let d = sc.quoted()?;
            sc.skip_ws();
            if sc.peek() != Some('<') {
                return Err("display name without <URI>");
            }
            Some(d)
        } else if s.contains('<') {
            // Display names that are not quoted must be tokens separated by LWS (RFC 4475 baddn).
            let before = sc.take_while(|c| c != '<');
            let words: Vec<&str> = before.split(is_ws).filter(|w| !w.is_empty()).collect();
            if words.iter().any(|w| !w.chars().all(is_token_char)) {
                return Err("display name is not a token list or quoted string");
            }
            (!words.is_empty()).then(|| words.join(" "))
        } else {
            None
        };
        let uri = if sc.eat('<') {
            let inner = sc.take_while(|c| c != '>');
            sc.expect('>', "missing '>'")?;
            Uri::parse(inner).map_err(|_| "bad URI in <>")?
        } else {
            // Without brackets the URI ends at ';' and may not contain ',' or '?' (RFC 3261 §20).
            let spec = sc.take_while(|c| c != ';' && !is_ws(c));
            if spec.contains(['?', ',']) {
                return Err("addr-spec with '?' or ',' must be enclosed in <>");
            }
            Uri::parse(spec).map_err(|_| "bad URI")?
        };
        let params = Params::parse(&mut sc)?;
        sc.skip_ws();
        if !sc.at_end() {
            return Err("trailing characters after name-addr");
        }
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            write_quoted(f, d)?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// The CSeq header: sequence number (below 2^31) and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(s: &str) -> Result<CSeq, &'static str> {
        let mut sc = Scanner::new(s.trim_matches(is_ws));
        let digits = sc.take_while(|c| c.is_ascii_digit());
        let seq: u32 = digits
            .parse()
            .map_err(|_| "CSeq number missing or too large")?;
        if seq >= 1 << 31 {
            return Err("CSeq number must be below 2^31");
        }
        if !sc.skip_ws() {
            return Err("expected white space after CSeq number");
        }
        let method = Method::parse(sc.rest().trim_end_matches(is_ws)).ok_or("bad CSeq method")?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// An authentication challenge or credentials: `scheme name=value, name="value", …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub scheme: String,
    pub params: Params,
}

impl AuthHeader {
    pub fn parse(s: &str) -> Result<AuthHeader, &'static str> {
        let mut sc = Scanner::new(s.trim_matches(is_ws));
        let scheme = sc.token("missing auth scheme")?.to_owned();
        let mut params = Params::default();
        loop {
            sc.skip_ws();
            if sc.at_end() {
                break;
            }
            let name = sc.token("bad auth parameter")?.to_owned();
            sc.skip_ws();
            sc.expect('=', "expected '=' in auth parameter")?;
            sc.skip_ws();
            let (value, quoted) = if sc.peek() == Some('"') {
                (sc.quoted()?, true)
            } else {
                let v = sc.take_while(|c| is_token_char(c) || "/:=".contains(c));
                (v.to_owned(), false)
            };
            params.0.push(crate::scan::Param {
                name,
                value: Some(value),
                quoted,
            });
            sc.skip_ws();
            if !sc.eat(',') && !sc.at_end() {
                return Err("expected ',' between auth parameters");
            }
        }
        Ok(AuthHeader { scheme, params })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.value(name)
    }
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (i, p) in self.params.0.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            f.write_str(&p.name)?;
            f.write_str("=")?;
            let v = p.value.as_deref().unwrap_or_default();
            if p.quoted {
                write_quoted(f, v)?
            } else {
                f.write_str(v)?
            }
        }
        Ok(())
    }
}
