//! Dialect and colloquial German written the standard way: Bavarian and Austrian ("i hob ned
//! gwusst"), Swiss German ("i ha nöd gwüsst"), South Tyrolean and everyday spoken forms with
//! clitics ("hab's", "gibt's", "willste"). Callers write as they speak; examples are written in
//! standard German. [`standardize`] maps the words it knows to their standard forms so that
//! both the sparse features (as additional word features beside the original ones, so nothing
//! is lost) and the sentence encoder (which knows standard German far better than dialect) see
//! what the caller meant.
//!
//! The table (`words`) is written by hand from general knowledge of the dialects, word by word
//! (not from any test set); a later batch of everyday words (days, numbers, times) was noted
//! while reading the dialect dev sets. Words that are also common English words only count as
//! evidence of German when other evidence agrees, so English utterances are left alone.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::lang::{Lang, detect_language};
use crate::normalize::normalize;

mod words;

use words::{ENGLISH_TOO, TABLE};

fn table() -> &'static HashMap<String, &'static str> {
    static TABLE_MAP: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE_MAP.get_or_init(|| {
        let mut m = HashMap::with_capacity(TABLE.len());
        for &(from, to) in TABLE {
            // Keys as the tokens of `normalize` spell them; the first entry of a form wins
            // (the table lists the likelier reading first). Identities say nothing.
            let key = normalize(from);
            if key != normalize(to) {
                m.entry(key).or_insert(to);
            }
        }
        m
    })
}

/// The standard form of one normalised token, if it is a dialect or colloquial form the
/// table knows.
fn standard_of(token: &str) -> Option<&'static str> {
    table().get(token).copied()
}

/// The language `text` is spoken in, reading dialect as German: [`detect_language`] takes
/// Bavarian or Swiss German for English where its words look English ("i", "is", "no",
/// "do"); a word the table knows that is not an English word too, with the utterance reading
/// as German once its dialect words are standard, says German.
pub(crate) fn spoken_language(text: &str) -> Lang {
    match detect_language(text) {
        Lang::En
            if read_standard(text).is_some_and(|(standard, evidence)| {
                evidence > 0 && detect_language(&standard) == Lang::De
            }) =>
        {
            Lang::De
        }
        language => language,
    }
}

/// Whether the table knows `word` as a dialect form that is not an English word too.
pub(crate) fn german_only(word: &str) -> bool {
    let key = normalize(word);
    standard_of(&key).is_some() && !ENGLISH_TOO.contains(&key.as_str())
}

/// The utterance with each word the table knows replaced by its standard form, and how many
/// of those words are not English words too (evidence of German whatever else the text holds);
/// `None` when the table knows no word of it.
pub(crate) fn read_standard(text: &str) -> Option<(String, usize)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | '"'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::with_capacity(words.len());
    let (mut changed, mut evidence) = (false, 0usize);
    for w in &words {
        let key = normalize(w);
        match standard_of(&key) {
            Some(standard) => {
                changed = true;
                if !ENGLISH_TOO.contains(&key.as_str()) {
                    evidence += 1;
                }
                out.push(standard.to_owned());
            }
            None => out.push((*w).to_owned()),
        }
    }
    changed.then(|| (out.join(" "), evidence))
}

/// The utterance in standard German where it is written in a dialect or colloquially: each
/// word the table knows replaced by its standard form, the others kept as written. `None` when
/// nothing changed, or when the utterance reads as English (words like "i" or "is" are German
/// dialect only where other German agrees).
pub fn standardize(text: &str) -> Option<String> {
    let (standard, evidence) = read_standard(text)?;
    let german = match detect_language(text) {
        Lang::De => true,
        Lang::Unknown => evidence >= 1,
        Lang::En => evidence >= 2 || evidence == 1 && detect_language(&standard) == Lang::De,
    };
    german.then_some(standard)
}

#[cfg(test)]
mod tests {
    use super::standardize;

    #[test]
    fn bavarian_swiss_and_colloquial_german_read_as_standard_german() {
        assert_eq!(
            standardize("i mog mi impfn lassn").as_deref(),
            Some("ich mag mich impfen lassen")
        );
        assert_eq!(
            standardize("Wia lang mues i dihei bliibe?").as_deref(),
            Some("wie lang muss ich zu hause bleiben")
        );
        assert_eq!(
            standardize("hab's ned kriegt").as_deref(),
            Some("habe es nicht bekommt")
        );
        assert_eq!(
            standardize("kannste mir helfen").as_deref(),
            Some("kannst du mir helfen")
        );
    }

    #[test]
    fn dialect_that_looks_english_is_spoken_german() {
        use super::spoken_language;
        use crate::lang::{Lang, detect_language};
        let bavarian = "wia is des in london so";
        assert_eq!(detect_language(bavarian), Lang::En, "what it takes it for");
        assert_eq!(spoken_language(bavarian), Lang::De);
        for english in [
            "I need a doctor",
            "is it going to rain today",
            "so what do you do",
        ] {
            assert_eq!(spoken_language(english), Lang::En, "{english}");
        }
    }

    #[test]
    fn standard_german_and_english_are_left_alone() {
        assert_eq!(standardize("Ich möchte einen Termin"), None);
        assert_eq!(standardize("I need a doctor"), None);
        assert_eq!(standardize("is it going to rain today"), None);
    }
}
