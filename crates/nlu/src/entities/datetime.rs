//! Dates, times and durations in German and English, resolved against a reference time:
//! "morgen um 10", "nächsten Dienstag", "am 3. Dezember", "heute um 4 Uhr nachmittags",
//! "tomorrow at 10 am", "next Tuesday", "in two hours", "zwei Stunden".

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::{ToSpan, ZonedDateTime};

use super::words::{Tok, number_at};
use super::{DateTimeGrain, EntityKind, EntityValue};

/// A found span in token indices [first, last] with its value.
pub(super) struct Found {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) kind: EntityKind,
    pub(super) value: EntityValue,
}

enum Part {
    Date(Date),
    Time {
        hour: i8,
        minute: i8,
        explicit_minute: bool,
    },
    Relative {
        seconds: i64,
        grain: DateTimeGrain,
    },
    Duration(i64),
}

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("montag", Weekday::Monday),
    ("monday", Weekday::Monday),
    ("dienstag", Weekday::Tuesday),
    ("tuesday", Weekday::Tuesday),
    ("dienstach", Weekday::Tuesday),
    ("mittwoch", Weekday::Wednesday),
    ("wednesday", Weekday::Wednesday),
    ("mittwoch", Weekday::Wednesday),
    ("donnerstag", Weekday::Thursday),
    ("thursday", Weekday::Thursday),
    ("freitag", Weekday::Friday),
    ("friday", Weekday::Friday),
    ("samstag", Weekday::Saturday),
    ("sonnabend", Weekday::Saturday),
    ("saturday", Weekday::Saturday),
    ("sonntag", Weekday::Sunday),
    ("sunday", Weekday::Sunday),
];

const MONTHS: &[(&str, i8)] = &[
    ("januar", 1),
    ("jaenner", 1),
    ("january", 1),
    ("jan", 1),
    ("februar", 2),
    ("february", 2),
    ("feb", 2),
    ("maerz", 3),
    ("marz", 3),
    ("march", 3),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("juli", 7),
    ("july", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("dezember", 12),
    ("december", 12),
    ("dez", 12),
    ("dec", 12),
];

const UNITS: &[(&str, i64, DateTimeGrain)] = &[
    ("minute", 60, DateTimeGrain::Minute),
    ("minuten", 60, DateTimeGrain::Minute),
    ("min", 60, DateTimeGrain::Minute),
    ("minutes", 60, DateTimeGrain::Minute),
    ("mins", 60, DateTimeGrain::Minute),
    ("stunde", 3600, DateTimeGrain::Hour),
    ("stunden", 3600, DateTimeGrain::Hour),
    ("std", 3600, DateTimeGrain::Hour),
    ("hour", 3600, DateTimeGrain::Hour),
    ("hours", 3600, DateTimeGrain::Hour),
    ("tag", 86400, DateTimeGrain::Day),
    ("tage", 86400, DateTimeGrain::Day),
    ("tagen", 86400, DateTimeGrain::Day),
    ("day", 86400, DateTimeGrain::Day),
    ("days", 86400, DateTimeGrain::Day),
    ("woche", 604_800, DateTimeGrain::Day),
    ("wochen", 604_800, DateTimeGrain::Day),
    ("week", 604_800, DateTimeGrain::Day),
    ("weeks", 604_800, DateTimeGrain::Day),
];

fn word(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.norm.as_str())
}

fn weekday(w: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(n, _)| *n == w).map(|&(_, d)| d)
}

fn month(w: &str) -> Option<i8> {
    MONTHS.iter().find(|(n, _)| *n == w).map(|&(_, m)| m)
}

fn small(toks: &[Tok], i: usize, max: i64) -> Option<(i64, usize)> {
    number_at(toks, i).filter(|&(v, _)| (0..=max).contains(&v))
}

/// Whether the gap between tokens `a` and `b` in the text is exactly `sep`.
fn gap_is(text: &str, toks: &[Tok], a: usize, b: usize, sep: &str) -> bool {
    match (toks.get(a), toks.get(b)) {
        (Some(x), Some(y)) => text.get(x.end..y.start) == Some(sep),
        _ => false,
    }
}

fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(days.days()).ok()
}

/// Parses one date/time part starting at token `i`: its value and tokens used.
fn part_at(text: &str, toks: &[Tok], i: usize, today: Date) -> Option<(Part, usize)> {
    let w = word(toks, i);
    let prev = if i > 0 { word(toks, i - 1) } else { "" };
    match w {
        "heute" | "today" => return Some((Part::Date(today), 1)),
        "morgen" if !matches!(prev, "heute" | "am" | "gestern") => {
            return Some((Part::Date(add_days(today, 1)?), 1));
        }
        "tomorrow" | "tmrw" | "tomorow" => return Some((Part::Date(add_days(today, 1)?), 1)),
        "uebermorgen" | "ubermorgen" => return Some((Part::Date(add_days(today, 2)?), 1)),
        "gestern" | "yesterday" => return Some((Part::Date(add_days(today, -1)?), 1)),
        "day" if word(toks, i + 1) == "after" && word(toks, i + 2) == "tomorrow" => {
            return Some((Part::Date(add_days(today, 2)?), 3));
        }
        _ => {}
    }
    // "nächsten Dienstag", "next tuesday", "am Freitag".
    let skip = match w {
        "naechsten" | "naechste" | "naechster" | "nachsten" | "kommenden" | "kommende" | "next"
        | "coming" => 1,
        "diesen" | "this" => 1,
        _ => 0,
    };
    if let Some(day) = weekday(word(toks, i + skip)) {
        let ahead = (i64::from(day.to_monday_zero_offset())
            - i64::from(today.weekday().to_monday_zero_offset()))
        .rem_euclid(7);
        // Today's weekday means the one a week ahead, with or without "next".
        let ahead = if ahead == 0 { 7 } else { ahead };
        return Some((Part::Date(add_days(today, ahead)?), skip + 1));
    }
    // "in zwei Stunden", "in 2 hours", "in einer Stunde", "in an hour", "in einer halben Stunde".
    if w == "in" {
        let (n, used) = match word(toks, i + 1) {
            "a" | "an" | "einer" => (1, 1),
            _ => small(toks, i + 1, 10_000)?,
        };
        if let Some(&(_, secs, grain)) = UNITS
            .iter()
            .find(|(u, _, _)| *u == word(toks, i + 1 + used))
        {
            return Some((
                Part::Relative {
                    seconds: n * secs,
                    grain,
                },
                2 + used,
            ));
        }
        return None;
    }
    // Durations: "zwei Stunden", "10 minutes", "eine halbe Stunde", "half an hour".
    if matches!(w, "halbe" | "halben")
        && UNITS
            .iter()
            .any(|(u, s, _)| *u == word(toks, i + 1) && *s == 3600)
    {
        return Some((Part::Duration(1800), 2));
    }
    if w == "half" && word(toks, i + 1) == "an" && word(toks, i + 2) == "hour" {
        return Some((Part::Duration(1800), 3));
    }
    // Times: "um 10", "um 10 Uhr 30", "at 10 am", "10:30", "4 Uhr nachmittags", "10pm".
    let cue = matches!(w, "um" | "at" | "gegen" | "around" | "ab");
    let start = i + usize::from(cue);
    if let Some((h, used)) = small(toks, start, 24) {
        let mut j = start + used;
        let mut minute = 0i64;
        let mut explicit_minute = false;
        let mut marked = cue;
        if (gap_is(text, toks, j - 1, j, ":")
            || (cue && gap_is(text, toks, j - 1, j, ".") && word(toks, j).len() == 2))
            && let Some((m, u)) = small(toks, j, 59)
        {
            minute = m;
            explicit_minute = true;
            marked = true;
            j += u;
        }
        let mut hour = h;
        if matches!(word(toks, j), "uhr" | "oclock" | "h")
            || (word(toks, j) == "o" && word(toks, j + 1) == "clock")
        {
            j += if word(toks, j) == "o" { 2 } else { 1 };
            marked = true;
            if !explicit_minute
                && let Some((m, u)) = small(toks, j, 59).filter(|_| {
                    toks.get(j)
                        .is_some_and(|t| t.norm.bytes().all(|b| b.is_ascii_digit()))
                })
            {
                minute = m;
                explicit_minute = true;
                j += u;
            }
        }
        // "am" after a number is a.m. unless a date follows (German "am Dienstag").
        let next_is_date = weekday(word(toks, j + 1)).is_some() || small(toks, j + 1, 31).is_some();
        match word(toks, j) {
            "pm" | "p" | "nachmittags" | "abends" | "nachts" => {
                if hour < 12 && !(word(toks, j) == "nachts" && hour < 5) {
                    hour += 12;
                }
                j += 1;
                marked = true;
            }
            "am" if !next_is_date => {
                if hour == 12 {
                    hour = 0;
                }
                j += 1;
                marked = true;
            }
            "morgens" | "vormittags" | "frueh" => {
                j += 1;
                marked = true;
            }
            "in" if word(toks, j + 1) == "the"
                && matches!(word(toks, j + 2), "afternoon" | "evening") =>
            {
                if hour < 12 {
                    hour += 12;
                }
                j += 3;
            }
            _ => {}
        }
        if marked && hour <= 24 {
            let hour = if hour == 24 { 0 } else { hour };
            return Some((
                Part::Time {
                    hour: hour as i8,
                    minute: minute as i8,
                    explicit_minute,
                },
                j - i,
            ));
        }
    }
    // Dates: "3. Dezember", "3rd of December", "December 3", "03.12.", "3.12.2025".
    if let Some((day, used)) = small(toks, i, 31).filter(|&(d, _)| d >= 1) {
        let mut j = i + used;
        if matches!(word(toks, j), "st" | "nd" | "rd" | "th" | "ten" | "ter") {
            j += 1;
        }
        if word(toks, j) == "of" {
            j += 1;
        }
        if let Some(m) = month(word(toks, j)) {
            return Some((
                Part::Date(resolve(today, m, day as i8, year_at(toks, j + 1))?),
                j + 1 + usize::from(year_at(toks, j + 1).is_some()) - i,
            ));
        }
        let dotted = toks.get(i).is_some_and(|t| t.dot);
        if dotted
            && gap_is(text, toks, i, i + 1, ".")
            && let Some((m, _)) =
                small(toks, i + 1, 12).filter(|&(m, _)| m >= 1 && toks[i + 1].norm.len() <= 2)
        {
            let year = if gap_is(text, toks, i + 1, i + 2, ".") {
                year_at(toks, i + 2)
            } else {
                None
            };
            let end = i + 2 + usize::from(year.is_some());
            return Some((
                Part::Date(resolve(today, m as i8, day as i8, year)?),
                end - i,
            ));
        }
    }
    if let Some(m) = month(w)
        && let Some((day, used)) = small(toks, i + 1, 31).filter(|&(d, _)| d >= 1)
    {
        let mut j = i + 1 + used;
        if matches!(word(toks, j), "st" | "nd" | "rd" | "th") {
            j += 1;
        }
        return Some((
            Part::Date(resolve(today, m, day as i8, year_at(toks, j))?),
            j + usize::from(year_at(toks, j).is_some()) - i,
        ));
    }
    // Durations without "in": "zwei Stunden", "10 minutes".
    if let Some((n, used)) = small(toks, i, 10_000)
        && let Some(&(_, secs, _)) = UNITS.iter().find(|(u, _, _)| *u == word(toks, i + used))
    {
        return Some((Part::Duration(n * secs), used + 1));
    }
    None
}

fn year_at(toks: &[Tok], i: usize) -> Option<i16> {
    let w = word(toks, i);
    (w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
        .filter(|y| (1900..=2200).contains(y))
}

/// A day and month without a year mean the next such day from today.
fn resolve(today: Date, month: i8, day: i8, year: Option<i16>) -> Option<Date> {
    match year {
        Some(y) => Date::new(y, month, day).ok(),
        None => {
            let this = Date::new(today.year(), month, day).ok()?;
            if this < today {
                Date::new(today.year() + 1, month, day).ok()
            } else {
                Some(this)
            }
        }
    }
}

/// Finds dates, times and durations; adjacent date and time parts merge into one entity.
pub(super) fn find(text: &str, toks: &[Tok], reference: &ZonedDateTime) -> Vec<Found> {
    let now = reference.datetime();
    let today = now.date();
    let mut parts: Vec<(usize, usize, Part)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match part_at(text, toks, i, today) {
            Some((part, used)) if used > 0 => {
                parts.push((i, i + used - 1, part));
                i += used;
            }
            _ => i += 1,
        }
    }
    let mut found = Vec::new();
    let mut k = 0;
    while k < parts.len() {
        let (first, last, ref part) = parts[k];
        let joinable = |a: usize, b: usize| {
            b == a + 1
                || (b == a + 2 && matches!(word(toks, a + 1), "am" | "on" | "um" | "at" | "gegen"))
        };
        match *part {
            Part::Date(date) => {
                if let Some(&(
                    f2,
                    l2,
                    Part::Time {
                        hour,
                        minute,
                        explicit_minute,
                    },
                )) = parts.get(k + 1)
                    && joinable(last, f2)
                {
                    let value = date.to_datetime(Time::new(hour, minute, 0, 0).unwrap_or_default());
                    found.push(dt(first, l2, value, explicit_minute));
                    k += 2;
                    continue;
                }
                found.push(Found {
                    first,
                    last,
                    kind: EntityKind::DateTime,
                    value: EntityValue::DateTime {
                        value: date.to_datetime(Time::midnight()),
                        grain: DateTimeGrain::Day,
                    },
                });
            }
            Part::Time {
                hour,
                minute,
                explicit_minute,
            } => {
                let time = Time::new(hour, minute, 0, 0).unwrap_or_default();
                if let Some(&(f2, l2, Part::Date(date))) = parts.get(k + 1)
                    && joinable(last, f2)
                {
                    found.push(dt(first, l2, date.to_datetime(time), explicit_minute));
                    k += 2;
                    continue;
                }
                let mut value = today.to_datetime(time);
                if value <= now {
                    value = add_days(today, 1).map_or(value, |d| d.to_datetime(time));
                }
                found.push(dt(first, last, value, explicit_minute));
            }
            Part::Relative { seconds, grain } => {
                let value = reference
                    .checked_add(seconds.seconds())
                    .map_or(now, |z| z.datetime());
                found.push(Found {
                    first,
                    last,
                    kind: EntityKind::DateTime,
                    value: EntityValue::DateTime { value, grain },
                });
            }
            Part::Duration(seconds) => {
                found.push(Found {
                    first,
                    last,
                    kind: EntityKind::Duration,
                    value: EntityValue::Duration { seconds },
                });
            }
        }
        k += 1;
    }
    found
}

fn dt(first: usize, last: usize, value: DateTime, explicit_minute: bool) -> Found {
    let grain = if explicit_minute {
        DateTimeGrain::Minute
    } else {
        DateTimeGrain::Hour
    };
    Found {
        first,
        last,
        kind: EntityKind::DateTime,
        value: EntityValue::DateTime { value, grain },
    }
}
