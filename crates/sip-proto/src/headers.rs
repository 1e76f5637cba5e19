//! The ordered header list of a message, with compact-form expansion, case-insensitive lookup and
//! typed accessors. Values are stored as received (unfolded) so that unknown headers round-trip.

use crate::error::ParseError;
use crate::scan::split_list;
use crate::typed::{AuthHeader, CSeq, NameAddr, Via};

/// One header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Canonical spellings of the headers we know, used when parsing so that lookups and output are
/// stable regardless of how the peer spelled them.
const KNOWN: &[&str] = &[
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Content-Type",
    "Content-Length",
    "Content-Encoding",
    "Allow",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
    "Route",
    "Record-Route",
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Expires",
    "Min-Expires",
    "Subject",
    "Date",
    "User-Agent",
    "Server",
    "Accept",
    "Event",
    "Refer-To",
    "Referred-By",
    "Retry-After",
    "Timestamp",
    "Warning",
    "Reason",
    "Allow-Events",
    "Session-Expires",
];

/// Expands a compact form (RFC 3261 §7.3.3 and extensions) and canonicalises known names.
pub fn canonical_name(name: &str) -> String {
    let compact = match name {
        "i" | "I" => Some("Call-ID"),
        "m" | "M" => Some("Contact"),
        "e" | "E" => Some("Content-Encoding"),
        "l" | "L" => Some("Content-Length"),
        "f" | "F" => Some("From"),
        "t" | "T" => Some("To"),
        "v" | "V" => Some("Via"),
        "k" | "K" => Some("Supported"),
        "c" | "C" => Some("Content-Type"),
        "s" | "S" => Some("Subject"),
        "o" | "O" => Some("Event"),
        "r" | "R" => Some("Refer-To"),
        "b" | "B" => Some("Referred-By"),
        "u" | "U" => Some("Allow-Events"),
        "x" | "X" => Some("Session-Expires"),
        _ => None,
    };
    if let Some(c) = compact {
        return c.to_owned();
    }
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |k| (*k).to_owned())
}

/// Headers in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(pub Vec<Header>);

fn invalid(name: &str, reason: &'static str) -> ParseError {
    ParseError::InvalidHeader {
        name: name.to_owned(),
        reason,
    }
}

impl Headers {
    /// Appends a header, canonicalising its name.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(Header {
            name: canonical_name(name),
            value: value.into(),
        });
    }

    /// Replaces every occurrence of `name` with one header at the position of the first.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let value = value.into();
        match self
            .0
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&name))
        {
            Some(i) => {
                self.0[i].value = value;
                let mut seen = 0;
                self.0.retain(|h| {
                    if h.name.eq_ignore_ascii_case(&name) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.0.push(Header { name, value }),
        }
    }

    /// Inserts a header before all others (used for Via).
    pub fn prepend(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(
            0,
            Header {
                name: canonical_name(name),
                value: value.into(),
            },
        );
    }

    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.0.retain(|h| !h.name.eq_ignore_ascii_case(&name));
    }

    /// The first value of `name` (compact forms accepted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every line of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    /// Every comma-separated element over every line of a list header.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.get_all(name).flat_map(split_list).collect()
    }

    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.list("Via")
            .into_iter()
            .map(|v| Via::parse(v).map_err(|r| invalid("Via", r)))
            .collect()
    }

    pub fn top_via(&self) -> Result<Via, ParseError> {
        let first = self
            .list("Via")
            .into_iter()
            .next()
            .ok_or(ParseError::MissingHeader("Via"))?;
        Via::parse(first).map_err(|r| invalid("Via", r))
    }

    fn name_addr(&self, name: &'static str) -> Result<NameAddr, ParseError> {
        let v = self.get(name).ok_or(ParseError::MissingHeader(name))?;
        NameAddr::parse(v).map_err(|r| invalid(name, r))
    }

    pub fn from(&self) -> Result<NameAddr, ParseError> {
        self.name_addr("From")
    }

    pub fn to(&self) -> Result<NameAddr, ParseError> {
        self.name_addr("To")
    }

    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.get("Call-ID")
            .ok_or(ParseError::MissingHeader("Call-ID"))
    }

    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        let v = self.get("CSeq").ok_or(ParseError::MissingHeader("CSeq"))?;
        CSeq::parse(v).map_err(|r| invalid("CSeq", r))
    }

    /// Contact values; `Ok(None)` for the wildcard `*`.
    pub fn contacts(&self) -> Result<Option<Vec<NameAddr>>, ParseError> {
        let list = self.list("Contact");
        if list == ["*"] {
            return Ok(None);
        }
        list.into_iter()
            .map(|v| NameAddr::parse(v).map_err(|r| invalid("Contact", r)))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    fn name_addrs(&self, name: &'static str) -> Result<Vec<NameAddr>, ParseError> {
        self.list(name)
            .into_iter()
            .map(|v| NameAddr::parse(v).map_err(|r| invalid(name, r)))
            .collect()
    }

    pub fn routes(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.name_addrs("Route")
    }

    pub fn record_routes(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.name_addrs("Record-Route")
    }

    fn number(&self, name: &'static str, max: u64) -> Result<Option<u64>, ParseError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                let v = v.trim();
                let ok = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit());
                let n: u64 = v
                    .parse()
                    .ok()
                    .filter(|n| ok && *n <= max)
                    .ok_or_else(|| invalid(name, "not a number in range"))?;
                Ok(Some(n))
            }
        }
    }

    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        Ok(self.number("Max-Forwards", 255)?.map(|n| n as u8))
    }

    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        Ok(self
            .number("Content-Length", u32::MAX.into())?
            .map(|n| n as usize))
    }

    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        Ok(self.number("Expires", u32::MAX.into())?.map(|n| n as u32))
    }

    /// The media type without parameters, lower-cased (`application/sdp`).
    pub fn content_type(&self) -> Option<String> {
        self.get("Content-Type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn allow(&self) -> Vec<&str> {
        self.list("Allow")
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn supported(&self) -> Vec<&str> {
        self.list("Supported")
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn require(&self) -> Vec<&str> {
        self.list("Require")
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn auth(&self, name: &'static str) -> Result<Option<AuthHeader>, ParseError> {
        self.get(name)
            .map(|v| AuthHeader::parse(v).map_err(|r| invalid(name, r)))
            .transpose()
    }

    pub fn authorization(&self) -> Result<Option<AuthHeader>, ParseError> {
        self.auth("Authorization")
    }

    pub fn www_authenticate(&self) -> Result<Option<AuthHeader>, ParseError> {
        self.auth("WWW-Authenticate")
    }

    pub fn proxy_authenticate(&self) -> Result<Option<AuthHeader>, ParseError> {
        self.auth("Proxy-Authenticate")
    }
}
