//! Callers' typos and compounds read against the flow's own vocabulary: a word the examples
//! never use is looked up among the words they do use — a close spelling ("quarantene" →
//! "quarantaene", "verschiben" → "verschieben") or a compound of two of them ("coronatest" →
//! "corona" + "test") — and what it finds joins the utterance's word features. The written word
//! keeps its own features, so nothing is lost when the guess is wrong.
//!
//! Only words of four letters or more are corrected, with at most one edit up to seven letters
//! and two from eight (insertions, deletions, substitutions, swaps of neighbours), keeping the
//! first letter, and only when one vocabulary word is closest.

/// The vocabulary of a set of utterances: their normalised words of three letters or more,
/// sorted, each once.
pub(crate) fn vocabulary<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut words: Vec<String> = texts
        .flat_map(|t| {
            crate::normalize::tokens(&crate::normalize::normalize(t))
                .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Optimal string alignment distance (Levenshtein with swaps of neighbours), or `None` when
/// it exceeds `max`.
fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    // rows[i % 3] is row i; row i-2 is kept for swaps.
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut best = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
            best = best.min(d);
        }
        if best > max {
            return None;
        }
    }
    let d = rows[a.len() % 3][b.len()];
    (d <= max).then_some(d)
}

/// The one vocabulary word closest to `word` within its allowed edits, if there is one.
fn closest<'v>(word: &str, vocabulary: &'v [String]) -> Option<&'v str> {
    let chars: Vec<char> = word.chars().collect();
    let max = if chars.len() >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for v in vocabulary {
        let vc: Vec<char> = v.chars().collect();
        if vc.first() != chars.first() || vc.len() < 4 {
            continue;
        }
        if let Some(d) = distance(&chars, &vc, max) {
            match best {
                Some((b, _)) if d > b => {}
                Some((b, _)) if d == b => tied = true,
                _ => {
                    best = Some((d, v.as_str()));
                    tied = false;
                }
            }
        }
    }
    match best {
        Some((_, w)) if !tied => Some(w),
        _ => None,
    }
}

/// Two vocabulary words `word` is made of (German compounds, with a linking "s" allowed).
fn compound_parts<'v>(word: &str, vocabulary: &'v [String]) -> Option<(&'v str, &'v str)> {
    let known = |w: &str| {
        vocabulary
            .binary_search_by(|v| v.as_str().cmp(w))
            .ok()
            .map(|i| vocabulary[i].as_str())
    };
    let indices: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
    for &at in indices.iter().skip(3) {
        let (left, right) = word.split_at(at);
        if right.chars().count() < 3 {
            break;
        }
        let left_known = known(left).or_else(|| left.strip_suffix('s').and_then(known));
        if let (Some(l), Some(r)) = (left_known, known(right)) {
            return Some((l, r));
        }
    }
    None
}

/// The vocabulary words an utterance's unknown words stand for (corrections and compound
/// parts), each once.
pub(crate) fn readings(normalized: &str, vocabulary: &[String]) -> Vec<String> {
    if vocabulary.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for word in crate::normalize::tokens(normalized) {
        let letters = word.chars().count();
        if letters < 4
            || word.chars().any(|c| c.is_ascii_digit())
            || vocabulary
                .binary_search_by(|v| v.as_str().cmp(word))
                .is_ok()
        {
            continue;
        }
        let found: Vec<&str> = match closest(word, vocabulary) {
            Some(w) => vec![w],
            None => compound_parts(word, vocabulary).map_or_else(Vec::new, |(l, r)| vec![l, r]),
        };
        for w in found {
            if !out.iter().any(|o| o == w) {
                out.push(w.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vec<String> {
        vocabulary(
            [
                "Wie lange muss ich in Quarantäne?",
                "Ich muss meinen Termin verschieben",
                "Wo ist mein Testergebnis?",
                "Ich brauche einen Test wegen Corona",
                "Wann haben Sie Öffnungszeiten?",
            ]
            .into_iter(),
        )
    }

    #[test]
    fn typos_find_the_flows_word() {
        let v = vocab();
        let n = crate::normalize::normalize;
        assert_eq!(readings(&n("quarantene wie lange"), &v), ["quarantaene"]);
        assert_eq!(readings(&n("termin verschiben"), &v), ["verschieben"]);
        assert_eq!(readings(&n("testergebniss fehlt"), &v), ["testergebnis"]);
        assert_eq!(readings(&n("öfnungszeiten"), &v), ["oeffnungszeiten"]);
    }

    #[test]
    fn compounds_split_into_the_flows_words() {
        let v = vocab();
        assert_eq!(readings("coronatest", &v), ["corona", "test"]);
    }

    #[test]
    fn known_words_short_words_and_strangers_are_left_alone() {
        let v = vocab();
        assert!(readings("wie lange muss ich", &v).is_empty());
        assert!(readings("hund katze maus", &v).is_empty());
        assert!(readings("quarantaene", &[]).is_empty());
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        let d = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            distance(&a, &b, 2)
        };
        assert_eq!(d("termin", "termin"), Some(0));
        assert_eq!(d("temrin", "termin"), Some(1));
        assert_eq!(d("termn", "termin"), Some(1));
        assert_eq!(d("abcdef", "uvwxyz"), None);
    }
}
