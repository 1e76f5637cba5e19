//! Tokens with byte offsets, and the German and English number words.

/// A word or number of the original text with its byte span; `norm` is lower case with
/// umlauts and ß folded (`nächsten` → `naechsten`).
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) norm: String,
    /// Ends in a dot directly after it ("3." as an ordinal, "03.12.").
    pub(super) dot: bool,
}

pub(super) fn tokenize(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = start + c.len_utf8();
        let digits = c.is_ascii_digit();
        while let Some(&(i, d)) = iter.peek() {
            // Digits stay apart from letters ("10uhr" → "10", "uhr"), letters keep hyphens out.
            if d.is_alphanumeric() && d.is_ascii_digit() == digits {
                end = i + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let dot = text[end..].starts_with('.');
        let mut norm = String::new();
        for l in text[start..end].chars().flat_map(char::to_lowercase) {
            match l {
                'ä' => norm.push_str("ae"),
                'ö' => norm.push_str("oe"),
                'ü' => norm.push_str("ue"),
                'ß' => norm.push_str("ss"),
                other => norm.push(other),
            }
        }
        toks.push(Tok {
            start,
            end,
            norm,
            dot,
        });
    }
    toks
}

const UNITS: &[(&str, i64)] = &[
    ("null", 0),
    ("zero", 0),
    ("oh", 0),
    ("eins", 1),
    ("ein", 1),
    ("eine", 1),
    ("einen", 1),
    ("one", 1),
    ("zwei", 2),
    ("zwo", 2),
    ("two", 2),
    ("drei", 3),
    ("three", 3),
    ("vier", 4),
    ("four", 4),
    ("fuenf", 5),
    ("funf", 5),
    ("five", 5),
    ("sechs", 6),
    ("six", 6),
    ("sieben", 7),
    ("seven", 7),
    ("acht", 8),
    ("eight", 8),
    ("neun", 9),
    ("nine", 9),
];

const TEENS: &[(&str, i64)] = &[
    ("zehn", 10),
    ("ten", 10),
    ("elf", 11),
    ("eleven", 11),
    ("zwoelf", 12),
    ("twelve", 12),
    ("dreizehn", 13),
    ("thirteen", 13),
    ("vierzehn", 14),
    ("fourteen", 14),
    ("fuenfzehn", 15),
    ("fifteen", 15),
    ("sechzehn", 16),
    ("sixteen", 16),
    ("siebzehn", 17),
    ("seventeen", 17),
    ("achtzehn", 18),
    ("eighteen", 18),
    ("neunzehn", 19),
    ("nineteen", 19),
];

const TENS: &[(&str, i64)] = &[
    ("zwanzig", 20),
    ("twenty", 20),
    ("dreissig", 30),
    ("dreisig", 30),
    ("thirty", 30),
    ("vierzig", 40),
    ("forty", 40),
    ("fourty", 40),
    ("fuenfzig", 50),
    ("fifty", 50),
    ("sechzig", 60),
    ("sixty", 60),
    ("siebzig", 70),
    ("seventy", 70),
    ("achtzig", 80),
    ("eighty", 80),
    ("neunzig", 90),
    ("ninety", 90),
];

fn lookup(table: &[(&str, i64)], word: &str) -> Option<i64> {
    table.iter().find(|(w, _)| *w == word).map(|&(_, v)| v)
}

/// A single digit said as a word ("eins", "zwo", "five"), as in digit-by-digit dictation.
pub(super) fn digit_word(word: &str) -> Option<i64> {
    match word {
        "ein" | "eine" | "einen" | "oh" => None,
        _ => lookup(UNITS, word),
    }
}

/// The value of one number word, German compounds included ("dreiundzwanzig", "hundertzwei").
pub(super) fn number_word(word: &str) -> Option<i64> {
    if word.len() > 40 {
        return None;
    }
    if let Some(v) = lookup(UNITS, word)
        .or_else(|| lookup(TEENS, word))
        .or_else(|| lookup(TENS, word))
    {
        return Some(v);
    }
    if let Some((head, tail)) = word.split_once("tausend") {
        let h = if head.is_empty() {
            1
        } else {
            number_word(head)?
        };
        let t = if tail.is_empty() {
            0
        } else {
            number_word(tail.trim_start_matches("und"))?
        };
        return Some(h * 1000 + t);
    }
    if let Some((head, tail)) = word.split_once("hundert") {
        let h = if head.is_empty() {
            1
        } else {
            number_word(head)?
        };
        let t = if tail.is_empty() {
            0
        } else {
            number_word(tail.trim_start_matches("und"))?
        };
        return Some(h * 100 + t);
    }
    if let Some((unit, tens)) = word.split_once("und") {
        let u = lookup(UNITS, unit).filter(|&u| u > 0)?;
        let t = lookup(TENS, tens)?;
        return Some(t + u);
    }
    None
}

/// A number starting at token `i` (digits or words, "twenty three", "two hundred"): its
/// value and how many tokens it spans.
pub(super) fn number_at(toks: &[Tok], i: usize) -> Option<(i64, usize)> {
    let word = toks.get(i)?.norm.as_str();
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return word
            .parse()
            .ok()
            .filter(|_| word.len() <= 12)
            .map(|v| (v, 1));
    }
    let mut value = number_word(word)?;
    let mut used = 1;
    if ["a", "an"].contains(&word) {
        return None;
    }
    // English tens followed by a unit: "twenty three".
    if lookup(TENS, word).is_some()
        && let Some(u) = toks
            .get(i + 1)
            .and_then(|t| lookup(UNITS, &t.norm))
            .filter(|&u| u > 0)
    {
        value += u;
        used += 1;
    }
    if let Some(next) = toks.get(i + used) {
        let mult = match next.norm.as_str() {
            "hundred" | "hundert" => 100,
            "thousand" | "tausend" => 1000,
            _ => 1,
        };
        if mult > 1 {
            value *= mult;
            used += 1;
            if let Some((rest, n)) = toks
                .get(i + used)
                .and_then(|_| number_at(toks, i + used))
                .filter(|&(r, _)| r < mult)
            {
                value += rest;
                used += n;
            }
        }
    }
    Some((value, used))
}
