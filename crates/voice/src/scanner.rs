//! SIP scanner defence, pure (time passed in): a source that announces a known scanner in
//! its User-Agent, or whose requests keep failing authentication (INVITE challenges it never
//! answers, REGISTER refusals), is banned for an hour; a banned source's datagrams are dropped
//! unanswered, so a scanner learns nothing and moves on. Bans and drops are counted for
//! `/metrics`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// How long a ban lasts.
pub const BAN_MS: u64 = 60 * 60 * 1000;
/// Failures within [`FAILURE_WINDOW_MS`] that ban a source.
pub const MAX_FAILURES: usize = 20;
/// The window failures are counted in.
pub const FAILURE_WINDOW_MS: u64 = 60 * 1000;
/// Sources tracked at most; past that the quiet ones are forgotten first.
const MAX_SOURCES: usize = 50_000;

/// User-Agent fragments of known SIP scanners and war-dialers (lowercase).
const SCANNERS: &[&str] = &[
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sipscan",
    "vaxsipuseragent",
    "pplsip",
    "iwar",
    "sundayddr",
    "svwar",
    "svcrack",
    "smap",
    "nmap",
    "sip-pbx-scanner",
    "cpxconsole",
];

/// Whether a User-Agent names a known scanner.
pub fn is_scanner(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    SCANNERS.iter().any(|s| ua.contains(s))
}

/// The User-Agent header of a raw SIP message, if it has one (looked for in the header
/// section only, without parsing the rest).
pub fn user_agent(bytes: &[u8]) -> Option<&str> {
    let head = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes, |end| &bytes[..end]);
    let head = std::str::from_utf8(head).ok()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("user-agent")
            .then(|| value.trim())
    })
}

/// What the guard decided about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Pass,
    /// Drop it unanswered: the source is banned.
    Banned,
    /// Drop it unanswered and ban the source: it announced a scanner.
    Scanner,
}

/// The bans and failure counts.
#[derive(Debug, Default)]
pub struct Guard {
    bans: HashMap<IpAddr, u64>,
    failures: HashMap<IpAddr, VecDeque<u64>>,
    /// Sources banned so far.
    pub banned_total: u64,
}

impl Guard {
    /// Decides about a message from `ip` carrying `user_agent`. Sources in `trusted` (the
    /// trunk's) are never banned.
    pub fn check(
        &mut self,
        ip: IpAddr,
        user_agent: Option<&str>,
        trusted: bool,
        now: u64,
    ) -> Verdict {
        if trusted {
            return Verdict::Pass;
        }
        if self.banned(ip, now) {
            return Verdict::Banned;
        }
        if user_agent.is_some_and(is_scanner) {
            self.ban(ip, now);
            return Verdict::Scanner;
        }
        Verdict::Pass
    }

    /// Whether `ip` is banned at `now`.
    pub fn banned(&mut self, ip: IpAddr, now: u64) -> bool {
        match self.bans.get(&ip) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.bans.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// A failed authentication from `ip`; `true` when it got the source banned.
    pub fn failure(&mut self, ip: IpAddr, now: u64) -> bool {
        if self.failures.len() >= MAX_SOURCES && !self.failures.contains_key(&ip) {
            self.failures.retain(|_, f| {
                f.back()
                    .is_some_and(|t| now.saturating_sub(*t) < FAILURE_WINDOW_MS)
            });
            if self.failures.len() >= MAX_SOURCES {
                return false;
            }
        }
        let f = self.failures.entry(ip).or_default();
        while f
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= FAILURE_WINDOW_MS)
        {
            f.pop_front();
        }
        f.push_back(now);
        if f.len() >= MAX_FAILURES {
            self.failures.remove(&ip);
            self.ban(ip, now);
            return true;
        }
        false
    }

    fn ban(&mut self, ip: IpAddr, now: u64) {
        if self.bans.len() >= MAX_SOURCES {
            self.bans.retain(|_, until| *until > now);
        }
        if self.bans.len() < MAX_SOURCES {
            self.bans.insert(ip, now + BAN_MS);
            self.banned_total += 1;
        }
    }

    /// Sources banned now.
    pub fn active_bans(&self, now: u64) -> usize {
        self.bans.values().filter(|until| **until > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[test]
    fn a_scanner_is_banned_for_an_hour_and_others_pass() {
        let mut g = Guard::default();
        assert_eq!(
            g.check(ip(1), Some("friendly-scanner"), false, 0),
            Verdict::Scanner
        );
        assert_eq!(
            g.check(ip(1), Some("Linphone/5"), false, 1),
            Verdict::Banned
        );
        assert_eq!(g.check(ip(2), Some("Linphone/5"), false, 1), Verdict::Pass);
        assert_eq!(
            g.check(ip(3), Some("SIPVicious 0.3"), true, 1),
            Verdict::Pass,
            "trusted"
        );
        assert_eq!(
            g.check(ip(1), None, false, BAN_MS),
            Verdict::Pass,
            "after an hour"
        );
        assert_eq!(g.banned_total, 1);
    }

    #[test]
    fn repeated_failures_within_a_minute_ban_a_source() {
        let mut g = Guard::default();
        for i in 0..(MAX_FAILURES as u64 - 1) {
            assert!(!g.failure(ip(1), i * 1000));
        }
        // Slow failures never add up to a ban.
        assert!(!g.failure(ip(2), 0));
        assert!(!g.failure(ip(2), FAILURE_WINDOW_MS * 2));
        assert!(g.failure(ip(1), 30_000));
        assert!(g.banned(ip(1), 30_001));
        assert_eq!(g.active_bans(30_001), 1);
    }

    #[test]
    fn the_user_agent_is_read_from_the_header_section_only() {
        let msg = b"OPTIONS sip:100@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1\r\nuser-agent: friendly-scanner\r\n\r\nUser-Agent: body";
        assert_eq!(user_agent(msg), Some("friendly-scanner"));
        let body_only =
            b"OPTIONS sip:100@example.com SIP/2.0\r\nVia: x\r\n\r\nUser-Agent: sipvicious";
        assert_eq!(user_agent(body_only), None);
        assert_eq!(user_agent(b"\xff\xfe"), None);
        assert!(is_scanner("VaxSIPUserAgent/3.1"));
        assert!(!is_scanner("baresip v1.0.0"));
    }
}
