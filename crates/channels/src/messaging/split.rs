//! Long texts in parts a provider takes (pure): at most `max` characters each, cut after a
//! paragraph, a line, a sentence or a word where one is near the end, never inside a
//! character.

/// `text` in parts of at most `max` characters (`max` ≥ 1), in order; one part when it fits.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max {
        // The byte offset just after the `max`th character.
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        // Prefer the last paragraph, line, sentence or word break in the second half.
        let half = window.len() / 2;
        let cut = ["\n\n", "\n", ". ", "! ", "? ", " "]
            .iter()
            .find_map(|sep| {
                window
                    .rfind(sep)
                    .filter(|&i| i >= half)
                    .map(|i| i + sep.trim_end().len())
            })
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_one_part() {
        assert_eq!(split_text("Hallo", 10), vec!["Hallo"]);
        assert_eq!(split_text("", 10), vec![""]);
    }

    #[test]
    fn long_texts_break_at_sentences_and_words() {
        let text = "Erster Satz hier. Zweiter Satz folgt gleich danach.";
        let parts = split_text(text, 30);
        assert_eq!(
            parts,
            vec!["Erster Satz hier.", "Zweiter Satz folgt gleich", "danach."]
        );
        for p in &parts {
            assert!(p.chars().count() <= 30);
        }
    }

    #[test]
    fn no_part_is_too_long_and_nothing_is_lost() {
        let text = "ä".repeat(25) + " " + &"ö".repeat(3);
        let parts = split_text(&text, 10);
        assert!(parts.iter().all(|p| p.chars().count() <= 10), "{parts:?}");
        let joined: String = parts.concat();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
    }
}
