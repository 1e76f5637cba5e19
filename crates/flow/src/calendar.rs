//! Business-hour calendars: parsed once when a flow compiles, asked "open now?" with the
//! time the shell passes in.
//!
//! Times are local to the calendar's IANA time zone, resolved with jiff's bundled time-zone
//! database, so daylight-saving changes move the opening hours with the wall clock. An
//! interval is `HH:MM-HH:MM` with the end after the start (`24:00` ends at midnight);
//! overnight hours are two intervals on consecutive days.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::diagnostic::{Diagnostic, codes};
use crate::format::{Calendar, Weekday};

/// A calendar ready to answer.
#[derive(Clone)]
pub(crate) struct CompiledCalendar {
    tz: TimeZone,
    /// Opening intervals in minutes after midnight, per weekday from Monday.
    hours: [Vec<(u16, u16)>; 7],
    /// Closed dates, sorted.
    holidays: Vec<Date>,
}

impl fmt::Debug for CompiledCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledCalendar")
            .field("tz", &self.tz.iana_name())
            .field("hours", &self.hours)
            .field("holidays", &self.holidays)
            .finish()
    }
}

impl CompiledCalendar {
    /// Parses `cal`, pushing an `invalid-calendar` diagnostic for every problem; returns
    /// the calendar only when there was none.
    pub(crate) fn compile(name: &str, cal: &Calendar, out: &mut Vec<Diagnostic>) -> Option<Self> {
        let before = out.len();
        let tz = match TimeZone::get(&cal.time_zone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                out.push(Diagnostic::error(
                    codes::INVALID_CALENDAR,
                    format!("calendars.{name}.time_zone"),
                    format!(
                        "{:?} is not an IANA time zone such as \"Europe/Berlin\"",
                        cal.time_zone
                    ),
                ));
                None
            }
        };
        let mut hours: [Vec<(u16, u16)>; 7] = Default::default();
        for (day, intervals) in &cal.hours {
            for (i, interval) in intervals.iter().enumerate() {
                match parse_interval(interval) {
                    Ok(iv) => hours[weekday_index(*day)].push(iv),
                    Err(why) => out.push(Diagnostic::error(
                        codes::INVALID_CALENDAR,
                        format!("calendars.{name}.hours.{}[{i}]", weekday_name(*day)),
                        format!("{interval:?} {why}"),
                    )),
                }
            }
        }
        let mut holidays = Vec::with_capacity(cal.holidays.len());
        for (i, h) in cal.holidays.iter().enumerate() {
            match parse_date(h) {
                Some(d) => holidays.push(d),
                None => out.push(Diagnostic::error(
                    codes::INVALID_CALENDAR,
                    format!("calendars.{name}.holidays[{i}]"),
                    format!("{h:?} is not a date written YYYY-MM-DD"),
                )),
            }
        }
        holidays.sort_unstable();
        match tz {
            Some(tz) if out.len() == before => Some(CompiledCalendar {
                tz,
                hours,
                holidays,
            }),
            _ => None,
        }
    }

    /// Whether the calendar is open at `now_ms` (Unix milliseconds).
    pub(crate) fn is_open(&self, now_ms: i64) -> bool {
        let Ok(ts) = Timestamp::from_millisecond(now_ms) else {
            return false;
        };
        let local = self.tz.to_datetime(ts);
        if self.holidays.binary_search(&local.date()).is_ok() {
            return false;
        }
        let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
        let minute =
            u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        self.hours[day % 7]
            .iter()
            .any(|&(from, to)| from <= minute && minute < to)
    }
}

fn weekday_index(day: Weekday) -> usize {
    match day {
        Weekday::Mon => 0,
        Weekday::Tue => 1,
        Weekday::Wed => 2,
        Weekday::Thu => 3,
        Weekday::Fri => 4,
        Weekday::Sat => 5,
        Weekday::Sun => 6,
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][weekday_index(day)]
}

/// Parses `HH:MM-HH:MM` into minutes after midnight; the reason when it is not one.
fn parse_interval(text: &str) -> Result<(u16, u16), &'static str> {
    let (from, to) = text
        .split_once('-')
        .ok_or("is not an interval written HH:MM-HH:MM")?;
    let from = parse_hhmm(from.trim())
        .filter(|&m| m < 24 * 60)
        .ok_or("does not start with a time HH:MM")?;
    let to = parse_hhmm(to.trim()).ok_or("does not end with a time HH:MM (24:00 for midnight)")?;
    if to <= from {
        return Err(
            "ends before it starts; write overnight hours as two intervals, e.g. 22:00-24:00 and 00:00-06:00",
        );
    }
    Ok((from, to))
}

/// Parses `HH:MM` (00:00 to 24:00) into minutes after midnight.
fn parse_hhmm(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    match (h, m) {
        (0..=23, 0..=59) | (24, 0) => Some(h * 60 + m),
        _ => None,
    }
}

/// Parses a date written exactly `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    text.parse::<Date>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_dates_parse_strictly() {
        assert_eq!(parse_interval("08:00-17:30"), Ok((480, 1050)));
        assert_eq!(parse_interval("22:00-24:00"), Ok((1320, 1440)));
        assert!(parse_interval("17:00-08:00").is_err());
        assert!(parse_interval("8:00-17:00").is_err());
        assert!(parse_interval("24:00-24:00").is_err());
        assert!(parse_interval("08:00").is_err());
        assert!(parse_interval("08:60-09:00").is_err());
        assert!(parse_date("2026-12-24").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("24.12.2026").is_none());
        assert!(parse_date("2026-1-05").is_none());
    }
}

/// A [`Calendar`] checked and compiled for use outside flows (a contact-centre queue's
/// business hours): the same rules and diagnostics as a flow's calendars.
#[derive(Debug, Clone)]
pub struct BusinessHours(CompiledCalendar);

impl BusinessHours {
    /// Compiles `cal`; every problem is returned as a diagnostic.
    pub fn compile(cal: &Calendar) -> Result<Self, Vec<Diagnostic>> {
        let mut out = Vec::new();
        match CompiledCalendar::compile("business_hours", cal, &mut out) {
            Some(c) if out.iter().all(|d| d.severity != crate::Severity::Error) => Ok(Self(c)),
            _ => Err(out),
        }
    }

    /// Whether the calendar is open at `now_ms` (Unix milliseconds).
    pub fn is_open(&self, now_ms: i64) -> bool {
        self.0.is_open(now_ms)
    }
}
