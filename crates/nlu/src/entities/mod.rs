//! Entity extraction for German and English: numbers and digit strings (also spoken),
//! dates, times and durations relative to a reference time, yes/no, German postcodes,
//! phone-number-like strings (so they can be redacted) and operator-defined lists.

use serde::{Deserialize, Serialize};

mod datetime;
mod words;

use words::{Tok, digit_word, number_at, tokenize};

use crate::lang::Lang;

/// The kind of an [`Entity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A number, in digits or words.
    Number,
    /// A sequence of digits said one by one ("eins zwei drei" → "123").
    DigitString,
    /// A date, a time or both.
    DateTime,
    /// A span of time ("zwei Stunden").
    Duration,
    /// Agreement or refusal.
    YesNo,
    /// A German five-digit postcode.
    Postcode,
    /// Something that looks like a phone number.
    PhoneLike,
    /// A value of an operator-defined list.
    Custom,
}

/// How precise a date/time value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateTimeGrain {
    /// A day.
    Day,
    /// An hour.
    Hour,
    /// A minute.
    Minute,
}

/// The value of an [`Entity`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntityValue {
    /// A number.
    Number {
        /// The value.
        value: f64,
    },
    /// Digits.
    Digits {
        /// The digits, e.g. "123".
        digits: String,
    },
    /// A civil (time-zone-local) date and time, with the grain it was said in; a time alone
    /// is resolved to its next occurrence after the reference.
    DateTime {
        /// The point in time, local to the reference's time zone (ISO 8601 in JSON).
        #[serde(with = "iso_datetime")]
        value: jiff::civil::DateTime,
        /// How precise it is.
        grain: DateTimeGrain,
    },
    /// A span of time.
    Duration {
        /// Length in seconds.
        seconds: i64,
    },
    /// Yes (`true`) or no (`false`).
    YesNo {
        /// Whether it is agreement.
        yes: bool,
    },
    /// A postcode.
    Postcode {
        /// Its five digits.
        code: String,
    },
    /// A phone-number-like string.
    Phone {
        /// Its digits (with a leading `+` if written).
        digits: String,
    },
    /// A value of a custom list.
    Custom {
        /// The list's name.
        list: String,
        /// The canonical value.
        value: String,
    },
}

/// An entity found in an utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// What kind it is.
    pub kind: EntityKind,
    /// Byte offset of its start in the original text.
    pub start: usize,
    /// Byte offset just past its end in the original text.
    pub end: usize,
    /// The original text of the span.
    pub text: String,
    /// Its value.
    pub value: EntityValue,
}

/// An operator-defined list of values with synonyms, e.g. districts or services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityList {
    /// The list's name.
    pub name: String,
    /// Canonical values with their synonyms.
    pub values: Vec<(String, Vec<String>)>,
}

/// Precision and recall of the date/time extractor against gold slots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotReport {
    /// Gold datetime slots.
    pub gold: usize,
    /// DateTime/Duration entities found.
    pub found: usize,
    /// Gold slots overlapped by a found entity.
    pub recalled: usize,
    /// Found entities overlapping a gold slot.
    pub precise: usize,
    /// Gold slots exactly equal to a found entity's text.
    pub exact: usize,
    /// `precise / found`.
    pub precision: f64,
    /// `recalled / gold`.
    pub recall: f64,
}

/// Extracts entities from `text`. Word lists of both languages are always tried, so mixed
/// and wrong-language input still yields entities; `lang` is kept for language-specific
/// rules. Relative dates resolve against `reference`. Never panics; sorted by start.
pub fn extract_entities(
    text: &str,
    lang: Lang,
    reference: jiff::ZonedDateTime,
    lists: &[EntityList],
) -> Vec<Entity> {
    let _ = lang;
    let text = truncate(text, crate::normalize::MAX_CHARS * 4);
    let toks = tokenize(text);
    let mut taken = vec![false; toks.len()];
    let mut out: Vec<Entity> = Vec::new();
    let push =
        |out: &mut Vec<Entity>, taken: &mut [bool], first: usize, last: usize, kind, value| {
            if taken[first..=last].iter().any(|&t| t) {
                return;
            }
            taken[first..=last].iter_mut().for_each(|t| *t = true);
            let (start, end) = (toks[first].start, toks[last].end);
            out.push(Entity {
                kind,
                start,
                end,
                text: text[start..end].to_owned(),
                value,
            });
        };
    // Phone numbers first: a run of digit groups with ≥ 7 digits, so they are redacted whole.
    let mut i = 0;
    while i < toks.len() {
        let mut j = i;
        let mut digits = String::new();
        while j < toks.len() && toks[j].norm.bytes().all(|b| b.is_ascii_digit()) {
            let gap_ok = j == i
                || text[toks[j - 1].end..toks[j].start]
                    .chars()
                    .all(|c| " -/()".contains(c));
            if !gap_ok {
                break;
            }
            digits.push_str(&toks[j].norm);
            j += 1;
        }
        if digits.len() >= 7 && j > i {
            let plus = text[..toks[i].start].ends_with('+');
            let digits = if plus { format!("+{digits}") } else { digits };
            push(
                &mut out,
                &mut taken,
                i,
                j - 1,
                EntityKind::PhoneLike,
                EntityValue::Phone { digits },
            );
            i = j;
        } else {
            i += 1;
        }
    }
    for f in datetime::find(text, &toks, &reference) {
        push(&mut out, &mut taken, f.first, f.last, f.kind, f.value);
    }
    for (i, tok) in toks.iter().enumerate() {
        if tok.norm.len() == 5
            && tok.norm.bytes().all(|b| b.is_ascii_digit())
            && !tok.norm.starts_with("00")
        {
            push(
                &mut out,
                &mut taken,
                i,
                i,
                EntityKind::Postcode,
                EntityValue::Postcode {
                    code: tok.norm.clone(),
                },
            );
        }
        if let Some(yes) = yes_no(&tok.norm) {
            push(
                &mut out,
                &mut taken,
                i,
                i,
                EntityKind::YesNo,
                EntityValue::YesNo { yes },
            );
        }
    }
    custom(&toks, lists, &mut |first, last, list: &str, value: &str| {
        push(
            &mut out,
            &mut taken,
            first,
            last,
            EntityKind::Custom,
            EntityValue::Custom {
                list: list.to_owned(),
                value: value.to_owned(),
            },
        );
    });
    // Digit strings said one by one ("eins zwei drei"), then numbers.
    let mut i = 0;
    while i < toks.len() {
        let mut j = i;
        let mut digits = String::new();
        while j < toks.len() && !taken[j] {
            match digit_word(&toks[j].norm) {
                Some(d) => digits.push(char::from(b'0' + d as u8)),
                None => break,
            }
            j += 1;
        }
        if j - i >= 2 {
            push(
                &mut out,
                &mut taken,
                i,
                j - 1,
                EntityKind::DigitString,
                EntityValue::Digits { digits },
            );
            i = j;
        } else {
            i += 1;
        }
    }
    let mut i = 0;
    while i < toks.len() {
        match number_at(&toks, i) {
            Some((value, used)) if !taken[i..i + used].iter().any(|&t| t) => {
                push(
                    &mut out,
                    &mut taken,
                    i,
                    i + used - 1,
                    EntityKind::Number,
                    EntityValue::Number {
                        value: value as f64,
                    },
                );
                i += used;
            }
            _ => i += 1,
        }
    }
    out.sort_by_key(|e| (e.start, e.end));
    out
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn yes_no(word: &str) -> Option<bool> {
    match word {
        "ja" | "jo" | "jep" | "jup" | "jap" | "jaa" | "jawohl" | "klar" | "genau" | "gerne"
        | "gern" | "sicher" | "yes" | "yeah" | "yep" | "yup" | "yea" | "sure" | "ok" | "okay"
        | "oke" | "passt" | "freilich" | "jou" => Some(true),
        "nein" | "nee" | "ne" | "noe" | "naa" | "na" | "nae" | "no" | "nope" | "nah" | "nay"
        | "noo" | "nicht" | "niemals" => Some(false),
        _ => None,
    }
}

/// Damerau–Levenshtein (optimal string alignment) distance, at most `limit + 1`.
fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Custom list values and synonyms (possibly several words); words of ≥ 5 letters match
/// with one typo.
fn custom(toks: &[Tok], lists: &[EntityList], emit: &mut dyn FnMut(usize, usize, &str, &str)) {
    let mut phrases: Vec<(Vec<String>, &str, &str)> = Vec::new();
    for list in lists {
        for (canonical, synonyms) in &list.values {
            for phrase in std::iter::once(canonical).chain(synonyms) {
                let words: Vec<String> = tokenize(phrase).into_iter().map(|t| t.norm).collect();
                if !words.is_empty() {
                    phrases.push((words, &list.name, canonical));
                }
            }
        }
    }
    // Longer phrases first, so "Bad Cannstatt" wins over "Bad".
    phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    for i in 0..toks.len() {
        for (words, list, canonical) in &phrases {
            let matches = words.len() <= toks.len() - i
                && words.iter().zip(&toks[i..]).all(|(w, t)| {
                    w == &t.norm || (w.chars().count() >= 5 && edit_distance(w, &t.norm, 1) <= 1)
                });
            if matches {
                emit(i, i + words.len() - 1, list, canonical);
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct SlotLine {
    text: String,
    #[serde(default)]
    slots: Vec<Slot>,
}

#[derive(serde::Deserialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// Evaluates date/time extraction on JSON Lines with `slots` (`[{"type","value"}]`) as in
/// xSID's `*_slots.jsonl`: a gold `datetime` slot is recalled when a DateTime or Duration
/// entity overlaps it (slots are located as substrings of the utterance). Lines that do not
/// parse are skipped.
pub fn datetime_slot_report(
    jsonl: &str,
    lang: Lang,
    reference: &jiff::ZonedDateTime,
) -> SlotReport {
    let mut r = SlotReport {
        gold: 0,
        found: 0,
        recalled: 0,
        precise: 0,
        exact: 0,
        precision: 0.0,
        recall: 0.0,
    };
    for line in jsonl.lines() {
        let Ok(parsed) = serde_json::from_str::<SlotLine>(line) else {
            continue;
        };
        let spans: Vec<(usize, usize)> = parsed
            .slots
            .iter()
            .filter(|s| s.kind == "datetime")
            .filter_map(|s| {
                parsed
                    .text
                    .find(&s.value)
                    .map(|start| (start, start + s.value.len()))
            })
            .collect();
        let found: Vec<Entity> = extract_entities(&parsed.text, lang, reference.clone(), &[])
            .into_iter()
            .filter(|e| matches!(e.kind, EntityKind::DateTime | EntityKind::Duration))
            .collect();
        let overlaps = |a: (usize, usize), e: &Entity| a.0 < e.end && e.start < a.1;
        r.gold += spans.len();
        r.found += found.len();
        r.recalled += spans
            .iter()
            .filter(|&&s| found.iter().any(|e| overlaps(s, e)))
            .count();
        r.exact += spans
            .iter()
            .filter(|&&s| found.iter().any(|e| (e.start, e.end) == s))
            .count();
        r.precise += found
            .iter()
            .filter(|e| spans.iter().any(|&s| overlaps(s, e)))
            .count();
    }
    r.precision = if r.found == 0 {
        0.0
    } else {
        r.precise as f64 / r.found as f64
    };
    r.recall = if r.gold == 0 {
        0.0
    } else {
        r.recalled as f64 / r.gold as f64
    };
    r
}

/// jiff's serde support is not enabled in the workspace; civil date-times travel as ISO 8601.
mod iso_datetime {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &jiff::civil::DateTime,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<jiff::civil::DateTime, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
