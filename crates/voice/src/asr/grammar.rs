//! From a flow's phrases, as word lists ([`Grammar::normalized`], which every engine shares and so lives with
//! the port in `app`), to what a grammar-based engine needs: a pronunciation dictionary reduced to those words,
//! and a JSGF grammar that accepts exactly one phrase.

use std::collections::{HashMap, HashSet};

use super::Grammar;

/// A pronunciation dictionary in CMU format: each word with its pronunciations, as dictionary lines
/// (`word PH O N E S`, alternates as `word(2) …`).
#[derive(Debug, Default)]
pub(super) struct Dictionary {
    entries: HashMap<String, Vec<String>>,
}

impl Dictionary {
    /// Parses a CMU-format dictionary; malformed lines are skipped.
    pub(super) fn parse(text: &str) -> Self {
        let mut entries: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            let Some((word, phones)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            if phones.trim().is_empty() || line.starts_with(";;;") {
                continue;
            }
            // "read(2)" is the second pronunciation of "read".
            let base = word.split_once('(').map_or(word, |(base, _)| base);
            if !is_plain_word(base) {
                continue;
            }
            entries
                .entry(base.to_owned())
                .or_default()
                .push(format!("{word} {}", phones.trim()));
        }
        Self { entries }
    }

    /// How many words the dictionary has.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn get(&self, word: &str) -> Option<&[String]> {
        self.entries.get(word).map(Vec::as_slice)
    }
}

/// Words that are safe in a JSGF grammar and a dictionary file: lower-case letters, digits and apostrophes.
fn is_plain_word(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\'')
}

/// A grammar ready for the engine.
#[derive(Debug, Clone)]
pub(super) struct Compiled {
    /// Each phrase the grammar accepts, as the engine spells it (known words joined by single spaces), and the
    /// phrase as the flow gave it.
    pub(super) phrases: Vec<(String, String)>,
    /// The JSGF grammar.
    pub(super) jsgf: String,
    /// The dictionary lines of the grammar's words.
    pub(super) dictionary: String,
    /// Words left out because the dictionary does not know them.
    pub(super) unknown_words: usize,
}

/// Builds the engine's grammar: words the dictionary does not know are left out of their phrase (the rest of
/// the phrase still counts), and a phrase left without words, or the same as an earlier one, is dropped. `None`
/// when no phrase remains.
pub(super) fn compile(grammar: &Grammar, dictionary: &Dictionary) -> Option<Compiled> {
    let mut phrases = Vec::new();
    let mut seen = HashSet::new();
    let mut used: Vec<String> = Vec::new();
    let mut unknown_words = 0;
    for (original, words) in grammar.normalized() {
        let known: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| {
                let known = is_plain_word(w) && dictionary.get(w).is_some();
                unknown_words += usize::from(!known);
                known
            })
            .collect();
        if known.is_empty() {
            continue;
        }
        let spelled = known.join(" ");
        if seen.insert(spelled.clone()) {
            used.extend(known.iter().map(|w| (*w).to_owned()));
            phrases.push((spelled, original.to_owned()));
        }
    }
    if phrases.is_empty() {
        return None;
    }
    let alternatives: Vec<&str> = phrases.iter().map(|(s, _)| s.as_str()).collect();
    let jsgf = format!(
        "#JSGF V1.0;\ngrammar hotline;\npublic <phrase> = {};\n",
        alternatives.join(" | ")
    );
    used.sort_unstable();
    used.dedup();
    let mut dictionary_text = String::new();
    for word in &used {
        for line in dictionary.get(word).unwrap_or_default() {
            dictionary_text.push_str(line);
            dictionary_text.push('\n');
        }
    }
    Some(Compiled {
        phrases,
        jsgf,
        dictionary: dictionary_text,
        unknown_words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DICT: &str = "yes Y EH S\nno N OW\nagent EY JH AH N T\nan AH N\nan(2) AE N\nspeak S P IY K\nto T UW\n\
                        to(2) T IH\nhours AW ER Z\nopening OW P AH N IH NG\nmalformed\nNOT-PLAIN N AA T\n";

    #[test]
    fn unknown_words_are_left_out_and_empty_phrases_dropped() {
        let dictionary = Dictionary::parse(DICT);
        assert_eq!(dictionary.len(), 8);
        let grammar = Grammar::new(["Opening hours", "Impfzentrum", "yes xyzzy", "yes", "no"]);
        let compiled = compile(&grammar, &dictionary).unwrap();
        let spelled: Vec<&str> = compiled.phrases.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(spelled, ["opening hours", "yes", "no"]);
        assert_eq!(compiled.phrases[1].1, "yes xyzzy");
        assert_eq!(compiled.unknown_words, 2);
        assert_eq!(
            compiled.jsgf,
            "#JSGF V1.0;\ngrammar hotline;\npublic <phrase> = opening hours | yes | no;\n"
        );
        assert_eq!(
            compiled.dictionary,
            "hours AW ER Z\nno N OW\nopening OW P AH N IH NG\nyes Y EH S\n"
        );
        assert!(
            compile(
                &Grammar::new(["Impfzentrum", "Öffnungszeiten"]),
                &dictionary
            )
            .is_none()
        );
    }

    #[test]
    fn alternate_pronunciations_come_along() {
        let compiled = compile(
            &Grammar::new(["speak to an agent"]),
            &Dictionary::parse(DICT),
        )
        .unwrap();
        assert!(compiled.dictionary.contains("an(2) AE N\n"));
        assert!(compiled.dictionary.contains("to(2) T IH\n"));
    }
}
