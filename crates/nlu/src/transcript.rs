//! Speech transcripts in the other language: a speech server with the wrong model (an English
//! one behind a German line) answers with words of its own language, which the flow must not
//! take for the caller's. [`other_language`] tells them apart from callers who mix languages or
//! speak dialect.

use crate::dialect::{german_only, read_standard};
use crate::lang::{DE_WORDS, EN_WORDS, Lang, char_clues, detect_language, lowercase, words};

/// Fewest words a transcript needs before [`other_language`] calls it another language: "okay",
/// "yes please" or a name are said on lines of every language.
pub const OTHER_LANGUAGE_MIN_WORDS: usize = 3;

/// The language a speech recogniser's transcript reads as, when it is clearly not `expected`:
/// a server with the wrong model (an English one for German callers) answers with words of
/// its own language. `None` when the text reads as `expected`, is short (fewer than
/// [`OTHER_LANGUAGE_MIN_WORDS`] words), or its language cannot be told; and always `None`
/// when `expected` is `Unknown`, because only German and English can be told apart here.
///
/// A wrong model answers with words of its own language only, while callers mix: a German
/// caller speaks dialect, whose words often look English ("i", "is", "no", "do"), and names
/// English titles and places. So a transcript counts as the other language only when not one
/// of its words is evidence of `expected`: a function word only `expected` has, for German
/// also umlauts, ß, German letter groups ("sch", "cht", "ung", …) and dialect words that are
/// not English words too.
#[must_use]
pub fn other_language(text: &str, expected: Lang) -> Option<Lang> {
    if expected == Lang::Unknown {
        return None;
    }
    let lower = lowercase(text);
    let words = words(&lower);
    if words.len() < OTHER_LANGUAGE_MIN_WORDS {
        return None;
    }
    let heard = detect_language(text);
    if heard == Lang::Unknown || heard == expected {
        return None;
    }
    let evidence = |w: &&str| match expected {
        Lang::De => {
            DE_WORDS.contains(w) && !EN_WORDS.contains(w)
                || char_clues(w).0 >= 0.6
                || german_only(w)
        }
        Lang::En => EN_WORDS.contains(w) && !DE_WORDS.contains(w),
        Lang::Unknown => false,
    };
    if words.iter().any(evidence) {
        return None;
    }
    // Dialect words that are English words too ("i", "is", "no") may still make German.
    if expected == Lang::De
        && read_standard(text).is_some_and(|(standard, _)| detect_language(&standard) != Lang::En)
    {
        return None;
    }
    Some(heard)
}
