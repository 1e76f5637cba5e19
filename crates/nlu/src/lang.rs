//! Language identification per utterance: German, English or unknown. Function words decide
//! most utterances; character clues (umlauts, ß, "sch", "th", "ing") break ties and carry
//! short or function-word-free text. Short or balanced evidence gives `Unknown`.

use serde::{Deserialize, Serialize};

use crate::normalize::MAX_CHARS;

/// A language Hotline understands, or `Unknown` for short, ambiguous or other-language text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// German.
    De,
    /// English.
    En,
    /// Not decidable.
    Unknown,
}

pub(crate) const DE_WORDS: &[&str] = &[
    "ich", "du", "er", "sie", "es", "wir", "ihr", "mein", "meine", "meinen", "meinem", "mich",
    "mir", "dich", "dir", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen",
    "einem", "einer", "und", "oder", "aber", "nicht", "kein", "keine", "ist", "bin", "sind", "hat",
    "habe", "haben", "wird", "werden", "kann", "koennen", "können", "möchte", "moechte", "will",
    "wie", "was", "wann", "wo", "warum", "wer", "welche", "mit", "von", "zu", "zum", "zur", "auf",
    "für", "fuer", "bei", "nach", "aus", "über", "ueber", "noch", "schon", "auch", "bitte",
    "danke", "heute", "morgen", "gibt", "geht", "hallo", "guten", "tag", "ja", "nein", "nee",
    "wieder", "mal", "gerne", "sich", "dass", "wenn", "ob", "im", "am", "um", "vom", "beim",
    "sehr", "jetzt", "hier", "da", "habt", "hast", "bist", "uhr", "stelle", "zeige", "spiele",
    "erinnere", "wecker", "wetter",
];

pub(crate) const EN_WORDS: &[&str] = &[
    "i", "you", "he", "she", "it", "we", "they", "my", "me", "your", "our", "the", "a", "an",
    "and", "or", "but", "not", "no", "is", "am", "are", "was", "were", "be", "have", "has", "had",
    "do", "does", "did", "can", "could", "would", "will", "should", "like", "want", "what", "when",
    "where", "why", "who", "which", "how", "with", "from", "to", "of", "on", "for", "at", "by",
    "about", "please", "thanks", "thank", "today", "tomorrow", "there", "this", "that", "these",
    "those", "hello", "hi", "yes", "again", "some", "any", "if", "in", "up", "out", "set", "show",
    "tell", "play", "remind", "alarm", "weather", "time", "much", "many", "need", "get", "let",
    "help", "just", "now", "here",
];

pub(crate) fn char_clues(word: &str) -> (f32, f32) {
    let (mut de, mut en) = (0.0f32, 0.0f32);
    if word.chars().any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'ß')) {
        de += 2.0;
    }
    for (clue, weight) in [
        ("sch", 0.6),
        ("ung", 0.6),
        ("cht", 0.6),
        ("ei", 0.3),
        ("ie", 0.2),
        ("tz", 0.5),
        ("pf", 0.5),
        ("chen", 0.6),
        ("keit", 0.8),
        ("lich", 0.6),
    ] {
        if word.contains(clue) {
            de += weight;
        }
    }
    for (clue, weight) in [
        ("th", 0.6),
        ("ing", 0.6),
        ("wh", 0.6),
        ("ould", 0.8),
        ("ght", 0.5),
        ("ea", 0.3),
        ("oo", 0.3),
        ("ay", 0.4),
        ("tion", 0.4),
        ("y", 0.2),
    ] {
        if word.contains(clue) {
            en += weight;
        }
    }
    if word.ends_with("en") && word.len() > 3 {
        de += 0.3;
    }
    (de, en)
}

/// `text` in lower case, at most [`MAX_CHARS`] characters of it; [`words`] splits it.
pub(crate) fn lowercase(text: &str) -> String {
    text.chars()
        .take(MAX_CHARS)
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text`: its runs of letters.
pub(crate) fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Detects whether `text` is German or English; `Unknown` when the evidence is thin or even.
pub fn detect_language(text: &str) -> Lang {
    let lower = lowercase(text);
    let words = words(&lower);
    let (mut de, mut en) = (0.0f32, 0.0f32);
    for w in &words {
        let in_de = DE_WORDS.contains(w);
        let in_en = EN_WORDS.contains(w);
        if in_de && !in_en {
            de += 1.5;
        }
        if in_en && !in_de {
            en += 1.5;
        }
        let (d, e) = char_clues(w);
        de += d;
        en += e;
    }
    let letters = words.iter().map(|w| w.len()).sum::<usize>();
    if words.len() < 2 && letters < 8 {
        return Lang::Unknown;
    }
    if de >= en + 1.0 && de >= 1.5 {
        Lang::De
    } else if en >= de + 1.0 && en >= 1.5 {
        Lang::En
    } else {
        Lang::Unknown
    }
}
