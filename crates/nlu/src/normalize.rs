//! Text normalisation shared by features, language identification and entities: one
//! spelling for the many ways callers type the same word.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Input beyond this many characters is ignored: callers do not say 2,000 characters in one
/// turn, and a bound keeps inference time bounded for hostile input.
pub(crate) const MAX_CHARS: usize = 2_000;

/// Normalises text for matching: Unicode NFKC, lower case, German umlauts and ß written as
/// their two-letter forms (`ä` and `ae` both become `ae`, `ß` becomes `ss`), other accents
/// dropped, apostrophes removed (`geht's` → `gehts`), all other punctuation, symbols, emoji
/// and control characters turned into spaces, letters repeated three or more times cut to
/// two, whitespace collapsed. Only the first 2,000 characters are looked at.
pub fn normalize(text: &str) -> String {
    let mut folded = String::with_capacity(text.len().min(MAX_CHARS * 2));
    for c in text.chars().take(MAX_CHARS).nfkc() {
        for lower in c.to_lowercase() {
            match lower {
                'ä' => folded.push_str("ae"),
                'ö' => folded.push_str("oe"),
                'ü' => folded.push_str("ue"),
                'ß' => folded.push_str("ss"),
                other => folded.push(other),
            }
        }
    }
    let mut out = String::with_capacity(folded.len());
    let mut last: Option<char> = None;
    let mut run = 0usize;
    let mut pending_space = false;
    for c in folded.nfd() {
        if is_combining_mark(c) || c == '\'' || c == '’' || c == '`' || c == '´' {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
                last = None;
            }
            pending_space = false;
            if Some(c) == last {
                run += 1;
                if run >= 3 && c.is_alphabetic() {
                    continue;
                }
            } else {
                last = Some(c);
                run = 1;
            }
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    // NFD split precomposed letters; compose again so the output is stable text.
    out.nfc().collect()
}

/// Splits normalised text into tokens.
pub(crate) fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|t| !t.is_empty())
}
