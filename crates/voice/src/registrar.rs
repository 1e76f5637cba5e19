//! The registrar's bookkeeping for agents' phones, without IO: the nonces we issued (when, and the highest nonce
//! count a phone used with each), the binding of each agent's phone (where it is, until when), and a count of
//! failed attempts per source address. Time is the app's clock in milliseconds, passed in, so tests move it
//! instead of waiting. The SIP task ([`crate::sip`]) does the IO around it: it draws nonces from the OS, asks the
//! app for accounts, checks digests and answers.
//!
//! One binding per agent: a phone that registers replaces the agent's earlier one, and calls go to the newest.
//! Bindings live in memory only; phones refresh them within their lifetime, so a restart loses an agent's phone
//! until its next refresh (at most [`MAX_EXPIRES_SECS`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};

use sip_proto::{Transport, Uri};

/// A nonce is accepted this long after it was issued.
pub(crate) const NONCE_LIFETIME_MS: u64 = 5 * 60 * 1000;
/// Expired nonces are remembered this much longer, so a phone using one is told "stale" and retries at once.
const NONCE_REMEMBERED_MS: u64 = 2 * NONCE_LIFETIME_MS;
/// The most nonces held at once (a flood of unauthenticated REGISTERs gets 503 beyond it).
pub(crate) const MAX_NONCES: usize = 100_000;
/// Shorter registrations are refused with 423 (RFC 3261 §10.3 step 7).
pub(crate) const MIN_EXPIRES_SECS: u32 = 60;
/// Longer registrations are granted this long.
pub(crate) const MAX_EXPIRES_SECS: u32 = 3600;
/// A registration that names no lifetime gets this one.
pub(crate) const DEFAULT_EXPIRES_SECS: u32 = 3600;
/// Failed attempts are counted per source over this window…
pub(crate) const FAILURE_WINDOW_MS: u64 = 60_000;
/// …and a source with this many is refused without a look at its credentials until the window has passed.
pub(crate) const MAX_FAILURES: u32 = 10;

/// Where an agent's phone is.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The phone's Contact: the Request-URI of calls to it.
    pub(crate) contact: Uri,
    /// The address of record it registered (the To of calls to it).
    pub(crate) aor: Uri,
    /// Where calls go (see [`destination`]).
    pub(crate) destination: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) expires_at_ms: u64,
}

impl std::fmt::Debug for Binding {
    // A phone's addresses are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding")
            .field("transport", &self.transport)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// What a nonce in a phone's credentials is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// Ours and valid: check the digest.
    Fresh,
    /// Ours but expired, or its nonce count was used already: challenge again with `stale=true`.
    Stale,
    /// Not ours (or long forgotten): challenge again.
    Unknown,
}

#[derive(Debug, Clone, Copy)]
struct Nonce {
    issued_ms: u64,
    /// The highest nonce count accepted with it.
    last_nc: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    since_ms: u64,
    count: u32,
}

/// The registrar's state; `K` names an agent (the SIP task uses tenant and user).
#[derive(Debug)]
pub(crate) struct Registrar<K> {
    nonces: HashMap<String, Nonce>,
    bindings: HashMap<K, Binding>,
    failures: HashMap<IpAddr, Failures>,
}

impl<K: Eq + Hash + Clone> Registrar<K> {
    pub(crate) fn new() -> Self {
        Self {
            nonces: HashMap::new(),
            bindings: HashMap::new(),
            failures: HashMap::new(),
        }
    }

    /// Remembers a nonce just issued; false (and nothing remembered) when too many are outstanding.
    pub(crate) fn issue_nonce(&mut self, nonce: String, now_ms: u64) -> bool {
        if self.nonces.len() >= MAX_NONCES {
            self.prune(now_ms);
            if self.nonces.len() >= MAX_NONCES {
                return false;
            }
        }
        self.nonces.insert(
            nonce,
            Nonce {
                issued_ms: now_ms,
                last_nc: None,
            },
        );
        true
    }

    /// What the nonce (with nonce count `nc`, when the phone uses `qop=auth`) of some credentials is.
    pub(crate) fn check_nonce(&self, nonce: &str, nc: Option<u32>, now_ms: u64) -> NonceCheck {
        let Some(n) = self.nonces.get(nonce) else {
            return NonceCheck::Unknown;
        };
        let age = now_ms.saturating_sub(n.issued_ms);
        if age >= NONCE_REMEMBERED_MS {
            NonceCheck::Unknown
        } else if age >= NONCE_LIFETIME_MS {
            NonceCheck::Stale
        } else if n.last_nc.is_some_and(|last| nc.is_none_or(|nc| nc <= last)) {
            // A count used before is a replay of credentials someone saw.
            NonceCheck::Stale
        } else {
            NonceCheck::Fresh
        }
    }

    /// Records the nonce count of credentials that were accepted, so they cannot be replayed.
    pub(crate) fn accept_nonce_count(&mut self, nonce: &str, nc: Option<u32>) {
        if let Some(n) = self.nonces.get_mut(nonce) {
            // Without qop there is no count: the nonce is then good for one REGISTER only.
            n.last_nc = Some(nc.unwrap_or(u32::MAX));
        }
    }

    /// Whether a source has failed too often lately to be heard.
    pub(crate) fn blocked(&self, ip: IpAddr, now_ms: u64) -> bool {
        self.failures.get(&ip).is_some_and(|f| {
            now_ms.saturating_sub(f.since_ms) < FAILURE_WINDOW_MS && f.count >= MAX_FAILURES
        })
    }

    /// Counts a failed attempt (wrong password, unknown user) from a source.
    pub(crate) fn record_failure(&mut self, ip: IpAddr, now_ms: u64) {
        let f = self.failures.entry(ip).or_insert(Failures {
            since_ms: now_ms,
            count: 0,
        });
        if now_ms.saturating_sub(f.since_ms) >= FAILURE_WINDOW_MS {
            *f = Failures {
                since_ms: now_ms,
                count: 0,
            };
        }
        f.count = f.count.saturating_add(1);
    }

    /// Binds (or re-binds) an agent's phone.
    pub(crate) fn bind(&mut self, agent: K, binding: Binding) {
        self.bindings.insert(agent, binding);
    }

    /// Removes an agent's binding: any (`contact` `None`, for `Contact: *`), or the one with this contact.
    pub(crate) fn unbind(&mut self, agent: &K, contact: Option<&Uri>) {
        if contact.is_none_or(|c| self.bindings.get(agent).is_some_and(|b| b.contact == *c)) {
            self.bindings.remove(agent);
        }
    }

    /// The agent's phone, unless its registration has expired.
    pub(crate) fn binding(&self, agent: &K, now_ms: u64) -> Option<&Binding> {
        self.bindings
            .get(agent)
            .filter(|b| b.expires_at_ms > now_ms)
    }

    /// Forgets expired nonces, bindings and failure windows.
    pub(crate) fn prune(&mut self, now_ms: u64) {
        self.nonces
            .retain(|_, n| now_ms.saturating_sub(n.issued_ms) < NONCE_REMEMBERED_MS);
        self.bindings.retain(|_, b| b.expires_at_ms > now_ms);
        self.failures
            .retain(|_, f| now_ms.saturating_sub(f.since_ms) < FAILURE_WINDOW_MS);
    }
}

/// Where calls to a phone go: the address its Contact names, when that is the address its REGISTER came from
/// (the phone may take calls on another port than it registers from); otherwise — a Contact with a private
/// address behind a NAT, or a host name — where the REGISTER came from, the one address known to reach it.
pub(crate) fn destination(contact: &Uri, source: SocketAddr) -> SocketAddr {
    let named = contact.as_sip().and_then(|u| {
        let ip: IpAddr = u
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, u.port.unwrap_or(5060)))
    });
    match named {
        Some(addr) if addr.ip() == source.ip() => addr,
        _ => source,
    }
}

/// The lifetime granted for a requested one (in seconds): `None` when it is too short to accept (423), 0 to
/// remove the binding, otherwise capped at [`MAX_EXPIRES_SECS`].
pub(crate) fn granted_expires(requested: u32) -> Option<u32> {
    match requested {
        0 => Some(0),
        r if r < MIN_EXPIRES_SECS => None,
        r => Some(r.min(MAX_EXPIRES_SECS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(port: u16, expires_at_ms: u64) -> Binding {
        let contact = Uri::parse(&format!("sip:maria@192.0.2.7:{port}")).unwrap();
        Binding {
            aor: Uri::parse("sip:maria@hotline").unwrap(),
            contact,
            destination: SocketAddr::from(([192, 0, 2, 7], port)),
            transport: Transport::Udp,
            expires_at_ms,
        }
    }

    #[test]
    fn a_nonce_is_fresh_for_its_lifetime_then_stale_then_forgotten() {
        let mut r = Registrar::<u8>::new();
        assert!(r.issue_nonce("n1".to_owned(), 1_000));
        assert_eq!(r.check_nonce("n1", Some(1), 1_000), NonceCheck::Fresh);
        assert_eq!(r.check_nonce("other", Some(1), 1_000), NonceCheck::Unknown);
        let expiry = 1_000 + NONCE_LIFETIME_MS;
        assert_eq!(r.check_nonce("n1", Some(1), expiry - 1), NonceCheck::Fresh);
        assert_eq!(r.check_nonce("n1", Some(1), expiry), NonceCheck::Stale);
        r.prune(1_000 + NONCE_REMEMBERED_MS);
        assert_eq!(
            r.check_nonce("n1", Some(1), 1_000 + NONCE_REMEMBERED_MS),
            NonceCheck::Unknown
        );
    }

    #[test]
    fn a_nonce_count_works_once() {
        let mut r = Registrar::<u8>::new();
        r.issue_nonce("n".to_owned(), 0);
        r.accept_nonce_count("n", Some(1));
        assert_eq!(
            r.check_nonce("n", Some(1), 10),
            NonceCheck::Stale,
            "a replay"
        );
        assert_eq!(r.check_nonce("n", Some(2), 10), NonceCheck::Fresh);
        // Without qop the nonce itself is used up.
        r.issue_nonce("plain".to_owned(), 0);
        r.accept_nonce_count("plain", None);
        assert_eq!(r.check_nonce("plain", None, 10), NonceCheck::Stale);
    }

    #[test]
    fn too_many_outstanding_nonces_are_refused() {
        let mut r = Registrar::<u8>::new();
        for i in 0..MAX_NONCES {
            assert!(r.issue_nonce(format!("n{i}"), 0));
        }
        assert!(!r.issue_nonce("one more".to_owned(), 1));
        // Once the old ones are gone, there is room again.
        assert!(r.issue_nonce("later".to_owned(), NONCE_REMEMBERED_MS));
    }

    #[test]
    fn a_source_that_fails_too_often_is_blocked_for_the_window() {
        let mut r = Registrar::<u8>::new();
        let ip = IpAddr::from([198, 51, 100, 1]);
        for _ in 0..MAX_FAILURES - 1 {
            r.record_failure(ip, 5_000);
        }
        assert!(!r.blocked(ip, 5_000));
        r.record_failure(ip, 6_000);
        assert!(r.blocked(ip, 6_000));
        assert!(
            !r.blocked(IpAddr::from([198, 51, 100, 2]), 6_000),
            "only that source"
        );
        assert!(r.blocked(ip, 5_000 + FAILURE_WINDOW_MS - 1));
        assert!(!r.blocked(ip, 5_000 + FAILURE_WINDOW_MS));
        // A new window starts counting afresh.
        r.record_failure(ip, 5_000 + FAILURE_WINDOW_MS);
        assert!(!r.blocked(ip, 5_000 + FAILURE_WINDOW_MS));
    }

    #[test]
    fn a_binding_holds_until_it_expires_is_replaced_and_removed() {
        let mut r = Registrar::<u8>::new();
        r.bind(1, binding(5070, 60_000));
        assert_eq!(
            r.binding(&1, 59_999).map(|b| b.destination.port()),
            Some(5070)
        );
        assert!(r.binding(&1, 60_000).is_none(), "expired");
        r.bind(1, binding(5072, 120_000));
        assert_eq!(
            r.binding(&1, 60_000).map(|b| b.destination.port()),
            Some(5072)
        );
        // Removing another contact leaves the binding; removing its own, or all, ends it.
        r.unbind(&1, Some(&binding(5070, 0).contact));
        assert!(r.binding(&1, 60_000).is_some());
        r.unbind(&1, Some(&binding(5072, 0).contact));
        assert!(r.binding(&1, 60_000).is_none());
        r.bind(2, binding(5074, 120_000));
        r.unbind(&2, None);
        assert!(r.binding(&2, 0).is_none());
    }

    #[test]
    fn calls_go_to_the_contact_unless_the_phone_is_behind_a_nat() {
        let source = SocketAddr::from(([198, 51, 100, 7], 40_000));
        let uri = |s: &str| Uri::parse(s).unwrap();
        assert_eq!(
            destination(&uri("sip:maria@198.51.100.7:5070"), source),
            SocketAddr::from(([198, 51, 100, 7], 5070))
        );
        assert_eq!(
            destination(&uri("sip:maria@198.51.100.7"), source),
            SocketAddr::from(([198, 51, 100, 7], 5060))
        );
        for behind_nat in ["sip:maria@10.0.0.5:5060", "sip:maria@phone.example"] {
            assert_eq!(
                destination(&uri(behind_nat), source),
                source,
                "{behind_nat}"
            );
        }
    }

    #[test]
    fn lifetimes_below_the_minimum_are_refused_and_long_ones_capped() {
        assert_eq!(granted_expires(0), Some(0));
        assert_eq!(granted_expires(MIN_EXPIRES_SECS - 1), None);
        assert_eq!(granted_expires(MIN_EXPIRES_SECS), Some(MIN_EXPIRES_SECS));
        assert_eq!(granted_expires(86_400), Some(MAX_EXPIRES_SECS));
    }

    #[test]
    fn a_binding_does_not_print_where_the_phone_is() {
        let printed = format!("{:?}", binding(5070, 1));
        assert!(!printed.contains("192.0.2.7"), "{printed}");
    }
}
