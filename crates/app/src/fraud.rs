//! Toll-fraud guard for the calls Hotline places itself (call-backs): which destinations a
//! tenant allows — national numbers, other countries only when listed, premium-rate and other
//! special-tariff numbers only when allowed, short codes never — and how many call-backs may go
//! to one number range per hour. An attacker who controls the caller id (or a trunk that passes
//! any) cannot make a hotline call an expensive number over and over. Pure: time is passed in.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// What a tenant allows for calls it places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundPolicy {
    /// The country code of national numbers (digits, e.g. `49`): a number written
    /// nationally (`030…`) belongs there.
    pub home_country: String,
    /// Other country codes that may be called (e.g. `["43", "41"]`); none by default.
    pub allowed_countries: Vec<String>,
    /// Whether premium-rate and special-tariff numbers may be called (never by default).
    pub allow_premium: bool,
    /// Call-backs to one number range (country code and the next four digits) per hour.
    pub per_range_per_hour: u32,
    /// Calls placed (call-backs and transfers to numbers) per day, all destinations together:
    /// the spend cap.
    pub max_per_day: u32,
    /// Call-backs ringing or connected at once: the concurrency cap. A transfer leaves
    /// Hotline's hands once the trunk takes it, so only the daily cap counts transfers.
    pub max_concurrent: u32,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            home_country: "49".to_owned(),
            allowed_countries: Vec::new(),
            allow_premium: false,
            per_range_per_hour: 5,
            max_per_day: 500,
            max_concurrent: 10,
        }
    }
}

impl OutboundPolicy {
    /// The first problem with the policy itself, as (field, message).
    pub fn invalid(&self) -> Option<(&'static str, &'static str)> {
        let code = |c: &String| (1..=3).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit());
        if !code(&self.home_country) {
            return Some(("outbound.home_country", "a country code: 1 to 3 digits"));
        }
        if self.allowed_countries.len() > 50 || !self.allowed_countries.iter().all(code) {
            return Some((
                "outbound.allowed_countries",
                "at most 50 country codes of 1 to 3 digits",
            ));
        }
        if !(1..=1000).contains(&self.per_range_per_hour) {
            return Some(("outbound.per_range_per_hour", "1 to 1000"));
        }
        if !(1..=100_000).contains(&self.max_per_day) {
            return Some(("outbound.max_per_day", "1 to 100000"));
        }
        if !(1..=1000).contains(&self.max_concurrent) {
            return Some(("outbound.max_concurrent", "1 to 1000"));
        }
        None
    }
}

/// The kind of number a destination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberClass {
    /// An ordinary number in the home country.
    National,
    /// An ordinary number abroad.
    International,
    /// Premium-rate or another special tariff (by the country's plan).
    Premium,
    /// Too short to be a subscriber's number (short codes, service numbers).
    Short,
}

/// A number as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The number in international form, digits only (`4930123456`).
    pub international: String,
    /// Its country code, when it is one of those the policy names.
    pub country: Option<String>,
    /// What kind of number it is.
    pub class: NumberClass,
}

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Abroad, in a country the tenant has not allowed.
    Country,
    /// Premium-rate or special tariff, not allowed.
    Premium,
    /// A short code or service number.
    Short,
    /// Too many call-backs to this number range within the hour.
    Velocity,
    /// The tenant's calls for the day are used up.
    DailyCap,
    /// As many calls as the tenant may place at once are ringing or connected.
    Concurrency,
    /// Not a phone number.
    NotANumber,
}

impl Refusal {
    /// A short reason, for logs and answers (no digits of the number).
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Country => "destinations in that country are not allowed",
            Refusal::Premium => "premium-rate numbers are not allowed",
            Refusal::Short => "short and service numbers cannot be called",
            Refusal::Velocity => "too many calls to that number range in the last hour",
            Refusal::DailyCap => "the calls allowed per day are used up",
            Refusal::Concurrency => "as many calls as allowed at once are in progress",
            Refusal::NotANumber => "not a phone number",
        }
    }
}

/// National significant number prefixes of premium-rate and special-tariff services, by
/// country code (numbering plans of the regulators: BNetzA, RTR, BAKOM, Ofcom, ARCEP, NANPA,
/// AGCOM, ACM, CNMC), and international networks billed as premium.
const PREMIUM: &[(&str, &[&str])] = &[
    ("49", &["900", "137", "138", "118", "12", "19"]),
    ("43", &["900", "901", "930", "931", "939", "118"]),
    ("41", &["900", "901", "906", "18"]),
    ("44", &["9", "871", "872", "873", "118", "70"]),
    ("33", &["89", "81", "82", "118"]),
    ("1", &["900", "976"]),
    ("39", &["89", "12", "4"]),
    ("31", &["900", "906", "909", "18"]),
    ("34", &["803", "806", "807", "905", "118"]),
    ("881", &[""]),
    ("882", &[""]),
    ("883", &[""]),
    ("870", &[""]),
];

/// The shortest national number a call-back goes to.
const MIN_NATIONAL_DIGITS: usize = 6;

/// Classifies a number as written in a caller id: `+CC…` or `00CC…` (international), `0…`
/// (national, in the home country), or digits alone (international without the `+`, as trunks
/// often send them).
pub fn classify(number: &str, policy: &OutboundPolicy) -> Option<Destination> {
    let trimmed = number.trim();
    let (international, national) = if let Some(rest) = trimmed.strip_prefix('+') {
        (rest.to_owned(), false)
    } else if let Some(rest) = trimmed.strip_prefix("00") {
        (rest.to_owned(), false)
    } else if let Some(rest) = trimmed.strip_prefix('0') {
        (format!("{}{rest}", policy.home_country), true)
    } else {
        (trimmed.to_owned(), false)
    };
    if international.is_empty() || !international.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let home = international.starts_with(&policy.home_country);
    let country = if national || home {
        Some(policy.home_country.clone())
    } else {
        // The longest listed code that prefixes it (a caller may list `1` and `1876`-style
        // codes alike).
        policy
            .allowed_countries
            .iter()
            .filter(|c| international.starts_with(c.as_str()))
            .max_by_key(|c| c.len())
            .cloned()
    };
    let premium = PREMIUM.iter().any(|(cc, prefixes)| {
        international
            .strip_prefix(cc)
            .is_some_and(|nsn| prefixes.iter().any(|p| nsn.starts_with(p)))
    });
    let nsn_len = country
        .as_ref()
        .map_or(international.len(), |c| international.len() - c.len());
    let class = if premium {
        NumberClass::Premium
    } else if nsn_len < MIN_NATIONAL_DIGITS {
        NumberClass::Short
    } else if country.as_deref() == Some(policy.home_country.as_str()) {
        NumberClass::National
    } else {
        NumberClass::International
    };
    Some(Destination {
        international,
        country,
        class,
    })
}

/// Whether the policy allows calling `number` (the rate is checked separately).
pub fn allowed(number: &str, policy: &OutboundPolicy) -> Result<Destination, Refusal> {
    let d = classify(number, policy).ok_or(Refusal::NotANumber)?;
    match d.class {
        NumberClass::Short => Err(Refusal::Short),
        NumberClass::Premium if !policy.allow_premium => Err(Refusal::Premium),
        NumberClass::International if d.country.is_none() => Err(Refusal::Country),
        _ => Ok(d),
    }
}

/// The number range a rate applies to: the country code and four more digits.
pub(crate) fn range_of(d: &Destination) -> String {
    let cc = d.country.as_ref().map_or(2, String::len);
    d.international.chars().take(cc + 4).collect()
}

/// Calls placed per number range within the last hour, and per tenant within the last day.
#[derive(Debug, Default)]
pub(crate) struct Velocity {
    hits: HashMap<String, VecDeque<i64>>,
}

/// An hour.
const HOUR_MS: i64 = 60 * 60 * 1000;
/// A day.
const DAY_MS: i64 = 24 * HOUR_MS;

/// Checks and counts one call to `destination` by `tenant` against the policy's rates: the
/// number range's hourly rate and the tenant's daily cap. Counted only when both allow it.
pub(crate) fn check_rates(
    velocity: &mut Velocity,
    tenant: &str,
    destination: &Destination,
    policy: &OutboundPolicy,
    now_ms: i64,
) -> Result<(), Refusal> {
    let range = format!("{tenant}:{}", range_of(destination));
    let day = format!("{tenant}:day");
    if !velocity.would_allow(&range, policy.per_range_per_hour, HOUR_MS, now_ms) {
        return Err(Refusal::Velocity);
    }
    if !velocity.would_allow(&day, policy.max_per_day, DAY_MS, now_ms) {
        return Err(Refusal::DailyCap);
    }
    velocity.allow(&range, policy.per_range_per_hour, now_ms);
    velocity.allow_within(&day, policy.max_per_day, DAY_MS, now_ms);
    Ok(())
}
/// The calls each tenant has placed that are still ringing or connected.
#[derive(Debug, Default, Clone)]
pub struct OutboundCalls {
    active: Arc<Mutex<HashMap<String, u32>>>,
}

impl OutboundCalls {
    /// A slot for one more call of `tenant`, if fewer than `max` are in progress; the slot is
    /// given back when dropped (the call ended, failed or was never placed).
    pub fn take(&self, tenant: &str, max: u32) -> Result<OutboundSlot, Refusal> {
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let n = active.entry(tenant.to_owned()).or_default();
        if *n >= max {
            return Err(Refusal::Concurrency);
        }
        *n += 1;
        Ok(OutboundSlot {
            calls: self.clone(),
            tenant: tenant.to_owned(),
        })
    }

    /// How many calls of `tenant` are in progress.
    pub fn in_progress(&self, tenant: &str) -> u32 {
        let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        active.get(tenant).copied().unwrap_or(0)
    }
}

/// One placed call counted against its tenant's concurrency cap, until dropped.
#[derive(Debug)]
pub struct OutboundSlot {
    calls: OutboundCalls,
    tenant: String,
}

impl Drop for OutboundSlot {
    fn drop(&mut self) {
        let mut active = self.calls.active.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = active.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                active.remove(&self.tenant);
            }
        }
    }
}

/// Ranges tracked at most (the oldest are forgotten first when a flood invents ranges).
const MAX_RANGES: usize = 10_000;

impl Velocity {
    /// Counts a call-back to `key` at `now` if fewer than `max` went there within the hour;
    /// `false` (and nothing counted) otherwise.
    pub(crate) fn allow(&mut self, key: &str, max: u32, now_ms: i64) -> bool {
        self.allow_within(key, max, HOUR_MS, now_ms)
    }

    /// Whether [`Velocity::allow_within`] would count a call now (counts nothing).
    fn would_allow(&self, key: &str, max: u32, window_ms: i64, now_ms: i64) -> bool {
        let recent = self
            .hits
            .get(key)
            .map_or(0, |h| h.iter().filter(|t| now_ms - **t < window_ms).count());
        recent < max as usize
    }

    /// Counts a call to `key` at `now` if fewer than `max` went there within `window_ms`.
    fn allow_within(&mut self, key: &str, max: u32, window_ms: i64, now_ms: i64) -> bool {
        if self.hits.len() >= MAX_RANGES && !self.hits.contains_key(key) {
            self.hits
                .retain(|_, h| h.back().is_some_and(|t| now_ms - t < DAY_MS));
            if self.hits.len() >= MAX_RANGES {
                return false;
            }
        }
        let hits = self.hits.entry(key.to_owned()).or_default();
        while hits.front().is_some_and(|t| now_ms - t >= window_ms) {
            hits.pop_front();
        }
        if hits.len() >= max as usize {
            return false;
        }
        hits.push_back(now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OutboundPolicy {
        OutboundPolicy::default()
    }

    #[test]
    fn concurrent_calls_are_capped_per_tenant_and_slots_come_back_when_dropped() {
        let calls = OutboundCalls::default();
        let a = calls.take("t1", 2).unwrap();
        let b = calls.take("t1", 2).unwrap();
        assert_eq!(calls.take("t1", 2).unwrap_err(), Refusal::Concurrency);
        // Another tenant has its own cap.
        let other = calls.take("t2", 2).unwrap();
        assert_eq!(calls.in_progress("t1"), 2);
        drop(a);
        assert_eq!(calls.in_progress("t1"), 1);
        let c = calls.take("t1", 2).unwrap();
        assert!(calls.take("t1", 2).is_err());
        drop((b, c, other));
        assert_eq!(calls.in_progress("t1"), 0);
        assert_eq!(calls.in_progress("t2"), 0);
    }

    #[test]
    fn national_numbers_in_every_writing_are_allowed() {
        for n in ["+4930123456", "004930123456", "030123456", "4930123456"] {
            let d = allowed(n, &policy()).unwrap();
            assert_eq!(d.international, "4930123456", "{n}");
            assert_eq!(d.class, NumberClass::National, "{n}");
        }
    }

    #[test]
    fn premium_short_and_foreign_numbers_are_refused_by_default() {
        for (n, why) in [
            ("+49900123456", Refusal::Premium),
            ("0900123456", Refusal::Premium),
            ("+4913712345", Refusal::Premium),
            ("+4411812345", Refusal::Premium),
            ("+881612345678", Refusal::Premium),
            ("112", Refusal::Short),
            ("+49110", Refusal::Short),
            ("+43123456789", Refusal::Country),
            ("+12125550100", Refusal::Country),
            ("+1900555010", Refusal::Premium),
            ("sipp", Refusal::NotANumber),
            ("+", Refusal::NotANumber),
        ] {
            assert_eq!(allowed(n, &policy()).unwrap_err(), why, "{n}");
        }
    }

    #[test]
    fn listed_countries_and_premium_open_only_what_they_name() {
        let p = OutboundPolicy {
            allowed_countries: vec!["43".to_owned()],
            allow_premium: true,
            ..policy()
        };
        assert_eq!(
            allowed("+43123456789", &p).unwrap().class,
            NumberClass::International
        );
        assert_eq!(allowed("+41441234567", &p).unwrap_err(), Refusal::Country);
        assert_eq!(
            allowed("+49900123456", &p).unwrap().class,
            NumberClass::Premium
        );
        assert_eq!(allowed("112", &p).unwrap_err(), Refusal::Short);
    }

    #[test]
    fn a_range_gets_so_many_call_backs_an_hour() {
        let mut v = Velocity::default();
        let d = allowed("+4930123456", &policy()).unwrap();
        let range = range_of(&d);
        assert_eq!(range, "493012");
        for i in 0..5 {
            assert!(v.allow(&range, 5, i * 1000));
        }
        assert!(!v.allow(&range, 5, 10_000), "the sixth within the hour");
        assert!(
            v.allow("493099", 5, 10_000),
            "another range is counted apart"
        );
        assert!(v.allow(&range, 5, HOUR_MS + 1), "an hour after the first");
    }

    #[test]
    fn the_daily_cap_holds_over_every_range_together() {
        let p = OutboundPolicy {
            max_per_day: 3,
            ..policy()
        };
        let mut v = Velocity::default();
        for (i, n) in ["+4930111111", "+4940222222", "+4989333333"]
            .iter()
            .enumerate()
        {
            let d = allowed(n, &p).unwrap();
            assert_eq!(check_rates(&mut v, "t1", &d, &p, i as i64), Ok(()), "{n}");
        }
        let d = allowed("+4921144444", &p).unwrap();
        assert_eq!(
            check_rates(&mut v, "t1", &d, &p, 10),
            Err(Refusal::DailyCap)
        );
        assert_eq!(
            check_rates(&mut v, "t2", &d, &p, 10),
            Ok(()),
            "another tenant's own cap"
        );
        assert_eq!(
            check_rates(&mut v, "t1", &d, &p, DAY_MS + 1),
            Ok(()),
            "a day later"
        );
    }

    #[test]
    fn bad_policies_are_named() {
        assert_eq!(policy().invalid(), None);
        let p = OutboundPolicy {
            home_country: "DE".to_owned(),
            ..policy()
        };
        assert_eq!(p.invalid().unwrap().0, "outbound.home_country");
        let p = OutboundPolicy {
            allowed_countries: vec!["4a".to_owned()],
            ..policy()
        };
        assert_eq!(p.invalid().unwrap().0, "outbound.allowed_countries");
        let p = OutboundPolicy {
            per_range_per_hour: 0,
            ..policy()
        };
        assert_eq!(p.invalid().unwrap().0, "outbound.per_range_per_hour");
    }
}
