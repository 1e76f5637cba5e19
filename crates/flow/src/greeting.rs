//! Greetings. A caller who answers a menu or a question with "Hallo", "hi", "Grüß Gott" or
//! "Guten Morgen" is greeted back and asked again: never told that they were not understood,
//! and it does not count as a failed attempt.

use crate::matcher::normalize_padded;

/// Greetings, as normalised words (`ä` → `ae`, `ß` → `ss`, lower case).
const GREETINGS: &[&[&str]] = &[
    // German, Austrian, Bavarian, Swiss, northern
    &["hallo"],
    &["halloechen"],
    &["hey"],
    &["hi"],
    &["huhu"],
    &["moin"],
    &["servus"],
    &["tach"],
    &["nabend"],
    &["gruezi"],
    &["grueezi"],
    &["gruessech"],
    &["gruess", "gott"],
    &["gruess", "dich"],
    &["gruess", "sie"],
    &["guten", "tag"],
    &["guten", "morgen"],
    &["guten", "abend"],
    &["schoenen", "guten", "tag"],
    &["einen", "schoenen", "guten", "tag"],
    // English
    &["hello"],
    &["hiya"],
    &["howdy"],
    &["greetings"],
    &["good", "morning"],
    &["good", "afternoon"],
    &["good", "evening"],
    &["good", "day"],
];

/// Words that may follow a greeting ("Hallo zusammen", "hi there").
const AFTER: &[&str] = &[
    "zusammen", "bot", "chatbot", "ihr", "da", "there", "everyone", "all", "again",
];

/// The most words a greeting has ("Hallo, guten Tag zusammen").
const MAX_WORDS: usize = 8;

/// Whether `text` is nothing but a greeting.
pub fn is_greeting(text: &str) -> bool {
    let mut normal = String::with_capacity(text.len() + 2);
    normalize_padded(text, &mut normal);
    let words: Vec<&str> = normal.split_whitespace().collect();
    if words.is_empty() || words.len() > MAX_WORDS {
        return false;
    }
    let mut i = 0;
    let mut greeted = false;
    while i < words.len() {
        let rest = &words[i..];
        let longest = GREETINGS
            .iter()
            .filter(|g| rest.starts_with(g))
            .map(|g| g.len())
            .max();
        if let Some(n) = longest {
            i += n;
            greeted = true;
        } else if greeted && AFTER.contains(&rest[0]) {
            i += 1;
        } else {
            return false;
        }
    }
    greeted
}

/// What the bot says back, in German or English (English for any other language).
pub(crate) fn reply(language: &str) -> &'static str {
    if language == "de" {
        "Hallo! Schön, dass Sie da sind."
    } else {
        "Hello, good to have you here."
    }
}

#[cfg(test)]
mod tests {
    use super::is_greeting;

    #[test]
    fn greetings_in_german_dialects_and_english_are_recognised() {
        for text in [
            "Hallo",
            "hi",
            "Grüß Gott",
            "Grüss Gott!",
            "Servus",
            "Moin moin",
            "Grüezi",
            "Guten Morgen",
            "Hallo, guten Tag zusammen!",
            "Schönen guten Tag",
            "hello there",
            "Good evening",
            "hey bot",
        ] {
            assert!(is_greeting(text), "{text:?}");
        }
    }

    #[test]
    fn anything_more_than_a_greeting_is_not_one() {
        for text in [
            "",
            "zusammen",
            "Hallo, ich brauche einen Termin",
            "hi I need help",
            "Morgen",
            "guten",
            "Tag",
            "Gott",
            "da",
            "hallo hallo hallo hallo hallo hallo hallo hallo hallo",
        ] {
            assert!(!is_greeting(text), "{text:?}");
        }
    }
}
