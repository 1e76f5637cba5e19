//! The crisis lexicon: a small pattern language over normalised words, its compiler and its
//! matcher. The curated German and English patterns live in `lexicon.txt`; a tenant's own
//! terms compile into the same structure without going through the language (so their
//! text is never read as syntax).
//!
//! # The language
//!
//! One pattern per line; `#` starts a comment line. `[suicide]`, `[self_harm]` and
//! `[violence]` open the section whose category the following patterns report; `[block]`
//! lists words that never take part in any match (compounds such as
//! `selbstmordattentat*`, where the crisis word is part of something else).
//! `@NAME = a|b|c` defines a class (`@NAME += …` extends it; spaces around `=`); `@NEG` (negators) and
//! `@BREAK` (words that end a clause) are read by the matcher itself.
//!
//! A pattern is a sequence of items separated by spaces. An item is one word or several
//! alternatives joined by `|`; each alternative is
//!
//! - `word`: the word; words of seven or more letters also match with one edit (insertion,
//!   deletion, substitution or swap of neighbours), ten or more with two, so `umbrigen`
//!   and `selbsmord` still match;
//! - `word=`: the word exactly;
//! - `word*`: any word that starts with `word` (German compounds: `suizid*`);
//! - `<num>`: any number in digits; `<many>`: a number of at least 10 ("30 pills");
//! - `@NAME`: the alternatives of a class.
//!
//! Alternatives are normalised like caller text (`möchte` is `moechte`). Items must follow
//! each other directly, unless `~N` stands between them: then up to `N` other words may
//! come between, none of them a negator (`ich will ~3 sterben` matches "ich will einfach
//! nur sterben" but not "ich will nicht sterben"). `^` first and `$` last anchor the
//! pattern at the start or end of a clause: of the message, or at `.`, `,`, `;`, `:`,
//! `!`, `?` or a line break ("ich kann nicht mehr. bitte hilf mir"). Flags at the
//! end of the line:
//!
//! - `!neg`: no match when a negator stands in the two words before it (looking back no
//!   further than a clause break): "I don't want to die" is not "I want to die";
//! - `!beforeN=a|b`, `!afterN=a|b`: no match when one of the alternatives is among the `N`
//!   words before the match or after it (`suicide !after1=bomber|bombing`);
//! - `!within=a|b`: no match when one of the alternatives is a word inside the match
//!   ("muss ich alle Tabletten nehmen?" is a question about a prescription).

use std::collections::HashMap;

use super::CrisisCategory;
use crate::normalize::{MAX_CHARS, normalize};

type AtomId = u32;

/// The smallest word length (in characters) matched with one edit, and with two.
const ONE_EDIT_FROM: usize = 7;
const TWO_EDITS_FROM: usize = 12;

/// What one alternative of an item matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Atom {
    /// The word, or within `max_edits` edits of it.
    Word { text: String, max_edits: u8 },
    /// Any word starting with this.
    Prefix(String),
    /// Any number in digits.
    Number,
    /// A number in digits of at least 10.
    Many,
}

/// Every distinct atom of a lexicon, with the indexes that find a word's atoms quickly:
/// exact words by hash, prefixes by each prefix of the word, words within an edit distance
/// by their deletion neighbourhoods (the SymSpell idea: two words within `k` edits share a
/// string reachable from each by at most `k` deletions).
#[derive(Debug, Default)]
struct AtomIndex {
    ids: HashMap<Atom, AtomId>,
    exact: HashMap<String, Vec<AtomId>>,
    prefixes: HashMap<String, Vec<AtomId>>,
    deletions: HashMap<String, Vec<AtomId>>,
    /// For atoms matched with edits: their text (chars) and edit budget, by id.
    fuzzy: HashMap<AtomId, (Vec<char>, u8)>,
    number: Option<AtomId>,
    many: Option<AtomId>,
    longest_prefix: usize,
    /// The most characters a word may have and still be within the edit budget of an atom
    /// matched with edits (its length plus its budget): longer words skip the edit search.
    longest_fuzzy: usize,
}

impl AtomIndex {
    fn intern(&mut self, atom: Atom) -> AtomId {
        if let Some(&id) = self.ids.get(&atom) {
            return id;
        }
        let id = self.ids.len() as AtomId;
        match &atom {
            Atom::Word { text, max_edits } => {
                self.exact.entry(text.clone()).or_default().push(id);
                if *max_edits > 0 {
                    let chars: Vec<char> = text.chars().collect();
                    for variant in deletion_variants(&chars, *max_edits) {
                        self.deletions.entry(variant).or_default().push(id);
                    }
                    self.longest_fuzzy = self
                        .longest_fuzzy
                        .max(chars.len() + usize::from(*max_edits));
                    self.fuzzy.insert(id, (chars, *max_edits));
                }
            }
            Atom::Prefix(p) => {
                self.prefixes.entry(p.clone()).or_default().push(id);
                self.longest_prefix = self.longest_prefix.max(p.len());
            }
            Atom::Number => self.number = Some(id),
            Atom::Many => self.many = Some(id),
        }
        self.ids.insert(atom, id);
        id
    }

    /// Whether a word of `n` characters is searched for atoms within their edit budget. A
    /// word more than an atom's budget longer than the atom cannot be within it; without
    /// this bound, one long word (a chat message of 2,000 letters) cost O(n³) in `lookup`.
    fn edit_search(&self, n: usize) -> bool {
        n + 1 >= ONE_EDIT_FROM && n <= self.longest_fuzzy && !self.fuzzy.is_empty()
    }

    /// The atoms `word` matches, sorted and without repetitions.
    fn lookup(&self, word: &str, out: &mut Vec<AtomId>) {
        out.clear();
        if let Some(ids) = self.exact.get(word) {
            out.extend(ids);
        }
        if word.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(self.number);
            if word.trim_start_matches('0').len() >= 2 {
                out.extend(self.many);
            }
        }
        for (end, _) in word.char_indices().skip(1).chain([(word.len(), ' ')]) {
            if end > self.longest_prefix {
                break;
            }
            if let Some(ids) = self.prefixes.get(&word[..end]) {
                out.extend(ids);
            }
        }
        let n = word.chars().count();
        if self.edit_search(n) {
            let depth = if n + 2 >= TWO_EDITS_FROM { 2 } else { 1 };
            // Candidates first: many deletion variants lead to the same atom, whose edit
            // distance is then computed once, not once per variant.
            let mut candidates: Vec<AtomId> = Vec::new();
            let mut collect = |variant: &str| {
                candidates.extend(self.deletions.get(variant).into_iter().flatten());
            };
            collect(word);
            // Every string one or two deletions away, built in one reused buffer.
            let mut buf = String::with_capacity(word.len());
            for (i, ci) in word.char_indices() {
                let rest = i + ci.len_utf8();
                buf.clear();
                buf.push_str(&word[..i]);
                buf.push_str(&word[rest..]);
                collect(&buf);
                if depth == 2 {
                    for (k, ck) in word[rest..].char_indices() {
                        let at = rest + k;
                        buf.clear();
                        buf.push_str(&word[..i]);
                        buf.push_str(&word[rest..at]);
                        buf.push_str(&word[at + ck.len_utf8()..]);
                        collect(&buf);
                    }
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            let chars: Vec<char> = word.chars().collect();
            for id in candidates {
                if let Some((text, max)) = self.fuzzy.get(&id)
                    && edit_distance(&chars, text, *max as usize) <= *max as usize
                {
                    out.push(id);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// The word and every string reachable from it by up to `depth` deletions.
fn deletion_variants(chars: &[char], depth: u8) -> Vec<String> {
    let mut all: Vec<Vec<char>> = vec![chars.to_vec()];
    let mut frontier: Vec<Vec<char>> = vec![chars.to_vec()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for w in &frontier {
            if w.len() <= 2 {
                continue;
            }
            for i in 0..w.len() {
                let mut v = w.clone();
                v.remove(i);
                next.push(v);
            }
        }
        next.sort_unstable();
        next.dedup();
        all.extend(next.iter().cloned());
        frontier = next;
    }
    let mut out: Vec<String> = all.into_iter().map(|v| v.into_iter().collect()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Edit distance with swaps of neighbours (optimal string alignment); any result above
/// `max` is reported as `max + 1`.
fn edit_distance(a: &[char], b: &[char], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let width = b.len() + 1;
    let mut prev2 = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(max + 1)
}

/// One position of a pattern.
#[derive(Debug, Clone)]
struct Item {
    /// Sorted atoms, any of which matches.
    alts: Vec<AtomId>,
    /// How many words may stand between the previous item and this one.
    gap: usize,
}

/// Where a guard looks.
#[derive(Debug, Clone, Copy)]
enum Side {
    Before(usize),
    After(usize),
    Within,
}

/// A condition that cancels a match when it holds: one of `alts` is a word on `side`.
#[derive(Debug, Clone)]
struct Guard {
    side: Side,
    alts: Vec<AtomId>,
}

/// The section a pattern belongs to: a crisis category, or the block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Crisis(CrisisCategory),
    Block,
}

#[derive(Debug, Clone)]
struct Pattern {
    category: CrisisCategory,
    items: Vec<Item>,
    at_start: bool,
    at_end: bool,
    neg: bool,
    guards: Vec<Guard>,
}

/// A pattern found in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match {
    pub(super) category: CrisisCategory,
    /// First and last word of the match.
    pub(super) start: usize,
    pub(super) end: usize,
    /// How many items the pattern has: longer patterns are more specific.
    pub(super) items: usize,
}

/// A compiled lexicon.
#[derive(Debug, Default)]
pub(super) struct Lexicon {
    atoms: AtomIndex,
    patterns: Vec<Pattern>,
    /// Patterns by an atom of their first item.
    starts: HashMap<AtomId, Vec<usize>>,
    negators: Vec<AtomId>,
    breaks: Vec<AtomId>,
    blockers: Vec<AtomId>,
    /// Terms of scripts written without spaces, matched inside the normalised text.
    unspaced: Vec<String>,
}

/// A mistake in the lexicon's source, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("crisis lexicon line {line}: {message}")]
pub(super) struct LexiconError {
    pub(super) line: usize,
    pub(super) message: String,
}

/// An alternative as written, before it becomes an atom.
#[derive(Debug, Clone)]
enum Alt {
    Word(String, bool),
    Prefix(String),
    Number,
    Many,
}

impl Lexicon {
    /// Compiles the pattern language (see the module documentation).
    pub(super) fn parse(source: &str) -> Result<Self, LexiconError> {
        let mut lexicon = Self::default();
        let mut classes: HashMap<String, Vec<Alt>> = HashMap::new();
        let mut section: Option<Section> = None;
        for (index, raw) in source.lines().enumerate() {
            let line = index + 1;
            let err = |message: String| LexiconError { line, message };
            let text = raw.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            if let Some(name) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                section = Some(match name {
                    "suicide" => Section::Crisis(CrisisCategory::Suicide),
                    "self_harm" => Section::Crisis(CrisisCategory::SelfHarm),
                    "violence" => Section::Crisis(CrisisCategory::Violence),
                    "block" => Section::Block,
                    other => return Err(err(format!("unknown section [{other}]"))),
                });
                continue;
            }
            let mut parts = text.splitn(3, ' ');
            if let (Some(name), Some(op @ ("=" | "+=")), Some(alts)) =
                (parts.next(), parts.next(), parts.next())
            {
                let append = op == "+=";
                let name = name
                    .strip_prefix('@')
                    .ok_or_else(|| err("a class name starts with `@`".into()))?
                    .to_owned();
                let parsed = parse_alts(alts.trim(), &classes).map_err(err)?;
                match (append, classes.get_mut(&name)) {
                    (true, Some(existing)) => existing.extend(parsed),
                    (true, None) => return Err(err(format!("@{name} += before @{name} ="))),
                    (false, Some(_)) => return Err(err(format!("@{name} defined twice"))),
                    (false, None) => {
                        classes.insert(name, parsed);
                    }
                }
                continue;
            }
            match section {
                None => return Err(err("a pattern before any [section]".into())),
                Some(Section::Block) => {
                    for alt in parse_alts(text, &classes).map_err(err)? {
                        let id = lexicon.intern(alt);
                        lexicon.blockers.push(id);
                    }
                }
                Some(Section::Crisis(category)) => {
                    let pattern = lexicon
                        .parse_pattern(text, category, &classes)
                        .map_err(err)?;
                    lexicon.add(pattern);
                }
            }
        }
        for (name, target) in [("NEG", 0), ("BREAK", 1)] {
            let alts = classes.get(name).cloned().unwrap_or_default();
            let ids: Vec<AtomId> = alts.into_iter().map(|a| lexicon.intern(a)).collect();
            if target == 0 {
                lexicon.negators = ids;
            } else {
                lexicon.breaks = ids;
            }
        }
        lexicon.negators.sort_unstable();
        lexicon.breaks.sort_unstable();
        lexicon.blockers.sort_unstable();
        Ok(lexicon)
    }

    /// Compiles a tenant's terms: each is a phrase whose words must follow each other,
    /// matched like lexicon words (long words with small typos); a word ending in `*`
    /// matches any word it starts; a term in a script written without spaces (Chinese,
    /// Japanese, Thai, …) matches anywhere inside the text.
    pub(super) fn from_terms(terms: &[String]) -> Self {
        let mut lexicon = Self::default();
        for term in terms {
            let normalized = normalize(term);
            if normalized.chars().any(unspaced_script) {
                lexicon.unspaced.push(normalized);
                continue;
            }
            // The term's words as a message's words are read (digits inside words as letters,
            // split reflexives joined), so a term always matches the text it was written as.
            let parts = term.split_whitespace().flat_map(|word| {
                let prefix = word.ends_with('*');
                normalize(word)
                    .split(' ')
                    .filter(|p| !p.is_empty())
                    .map(|p| (unleet(p), prefix))
                    .collect::<Vec<_>>()
            });
            let mut items = Vec::new();
            for (part, prefix) in join_reflexives(parts) {
                let alt = if prefix {
                    Alt::Prefix(part)
                } else {
                    Alt::Word(part, true)
                };
                let id = lexicon.intern(alt);
                items.push(Item {
                    alts: vec![id],
                    gap: 0,
                });
            }
            if !items.is_empty() {
                lexicon.add(Pattern {
                    category: CrisisCategory::Custom,
                    items,
                    at_start: false,
                    at_end: false,
                    neg: false,
                    guards: Vec::new(),
                });
            }
        }
        lexicon
    }

    /// How many patterns and terms the lexicon has (for `Debug` and tests).
    pub(super) fn len(&self) -> usize {
        self.patterns.len() + self.unspaced.len()
    }

    fn intern(&mut self, alt: Alt) -> AtomId {
        let atom = match alt {
            Alt::Word(text, fuzzy) => {
                let n = text.chars().count();
                let max_edits = match (fuzzy, n) {
                    (false, _) => 0,
                    (true, n) if n >= TWO_EDITS_FROM => 2,
                    (true, n) if n >= ONE_EDIT_FROM => 1,
                    _ => 0,
                };
                Atom::Word { text, max_edits }
            }
            Alt::Prefix(p) => Atom::Prefix(p),
            Alt::Number => Atom::Number,
            Alt::Many => Atom::Many,
        };
        self.atoms.intern(atom)
    }

    fn add(&mut self, pattern: Pattern) {
        let index = self.patterns.len();
        if let Some(first) = pattern.items.first() {
            for &id in &first.alts {
                self.starts.entry(id).or_default().push(index);
            }
        }
        self.patterns.push(pattern);
    }

    fn parse_pattern(
        &mut self,
        text: &str,
        category: CrisisCategory,
        classes: &HashMap<String, Vec<Alt>>,
    ) -> Result<Pattern, String> {
        let mut pattern = Pattern {
            category,
            items: Vec::new(),
            at_start: false,
            at_end: false,
            neg: false,
            guards: Vec::new(),
        };
        let mut gap = 0usize;
        for part in text.split_whitespace() {
            if part == "^" && pattern.items.is_empty() {
                pattern.at_start = true;
            } else if part == "$" {
                pattern.at_end = true;
            } else if let Some(n) = part.strip_prefix('~') {
                gap = n.parse().map_err(|_| format!("bad gap `{part}`"))?;
            } else if part == "!neg" {
                pattern.neg = true;
            } else if let Some(flag) = part.strip_prefix('!') {
                let (side, alts) = flag
                    .split_once('=')
                    .ok_or_else(|| format!("flag `{part}` needs `=`"))?;
                let window = |n: &str| {
                    n.parse::<usize>()
                        .map_err(|_| format!("flag `{part}` needs a window"))
                };
                let side = if side == "within" {
                    Side::Within
                } else if let Some(n) = side.strip_prefix("after") {
                    Side::After(window(n)?)
                } else if let Some(n) = side.strip_prefix("before") {
                    Side::Before(window(n)?)
                } else {
                    return Err(format!("unknown flag `{part}`"));
                };
                let alts = self.atoms_of(parse_alts(alts, classes)?);
                pattern.guards.push(Guard { side, alts });
            } else {
                if pattern.at_end {
                    return Err("`$` must come last".into());
                }
                let alts = self.atoms_of(parse_alts(part, classes)?);
                pattern.items.push(Item { alts, gap });
                gap = 0;
            }
        }
        if pattern.items.is_empty() {
            return Err("a pattern without words".into());
        }
        Ok(pattern)
    }

    fn atoms_of(&mut self, alts: Vec<Alt>) -> Vec<AtomId> {
        let mut ids: Vec<AtomId> = alts.into_iter().map(|a| self.intern(a)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The atoms of each word of a message; blocked words match nothing.
    fn word_atoms(&self, words: &[String]) -> Vec<Vec<AtomId>> {
        let mut out = Vec::with_capacity(words.len());
        for w in words {
            let mut ids = Vec::new();
            self.atoms.lookup(w, &mut ids);
            if intersects(&ids, &self.blockers) {
                ids.clear();
            }
            out.push(ids);
        }
        out
    }

    /// Every pattern match in a message (`words` from [`Words::of`], `normalized` the whole
    /// normalised text).
    pub(super) fn find(&self, words: &Words, normalized: &str) -> Vec<Match> {
        let mut found = Vec::new();
        for term in &self.unspaced {
            if normalized.contains(term.as_str()) {
                found.push(Match {
                    category: CrisisCategory::Custom,
                    start: 0,
                    end: 0,
                    items: 1,
                });
            }
        }
        if self.patterns.is_empty() {
            return found;
        }
        let atoms = self.word_atoms(&words.words);
        let ends = &words.clause_end;
        let mut candidates: Vec<usize> = Vec::new();
        for (start, ids) in atoms.iter().enumerate() {
            candidates.clear();
            for id in ids {
                candidates.extend(self.starts.get(id).into_iter().flatten());
            }
            candidates.sort_unstable();
            candidates.dedup();
            for &p in &candidates {
                let pattern = &self.patterns[p];
                if pattern.at_start && start != 0 && !ends[start - 1] {
                    continue;
                }
                if let Some(end) = self.match_rest(pattern, &atoms, ends, 1, start)
                    && self.accepted(pattern, &atoms, ends, start, end)
                {
                    found.push(Match {
                        category: pattern.category,
                        start,
                        end,
                        items: pattern.items.len(),
                    });
                }
            }
        }
        found
    }

    /// Matches items `item..` after the word `pos`; returns the last word of the match.
    fn match_rest(
        &self,
        pattern: &Pattern,
        atoms: &[Vec<AtomId>],
        ends: &[bool],
        item: usize,
        pos: usize,
    ) -> Option<usize> {
        let Some(next) = pattern.items.get(item) else {
            return (!pattern.at_end || ends[pos]).then_some(pos);
        };
        for j in pos + 1..=(pos + 1 + next.gap).min(atoms.len().saturating_sub(1)) {
            if j > pos + 1 && intersects(&atoms[j - 1], &self.negators) {
                break;
            }
            if intersects(&atoms[j], &next.alts)
                && let Some(end) = self.match_rest(pattern, atoms, ends, item + 1, j)
            {
                return Some(end);
            }
        }
        None
    }

    fn accepted(
        &self,
        pattern: &Pattern,
        atoms: &[Vec<AtomId>],
        ends: &[bool],
        start: usize,
        end: usize,
    ) -> bool {
        if pattern.neg {
            for k in (start.saturating_sub(2)..start).rev() {
                if ends[k] {
                    break;
                }
                if intersects(&atoms[k], &self.negators) {
                    return false;
                }
                if intersects(&atoms[k], &self.breaks) {
                    break;
                }
            }
        }
        pattern.guards.iter().all(|g| {
            let range = match g.side {
                Side::After(n) => end + 1..(end + 1 + n).min(atoms.len()),
                Side::Before(n) => start.saturating_sub(n)..start,
                Side::Within => start..end + 1,
            };
            !atoms[range].iter().any(|ids| intersects(ids, &g.alts))
        })
    }
}

fn intersects(a: &[AtomId], b: &[AtomId]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

fn parse_alts(text: &str, classes: &HashMap<String, Vec<Alt>>) -> Result<Vec<Alt>, String> {
    let mut out = Vec::new();
    for alt in text.split('|') {
        let alt = alt.trim();
        if let Some(name) = alt.strip_prefix('@') {
            let class = classes
                .get(name)
                .ok_or_else(|| format!("unknown class @{name}"))?;
            out.extend(class.iter().cloned());
        } else if alt == "<num>" {
            out.push(Alt::Number);
        } else if alt == "<many>" {
            out.push(Alt::Many);
        } else if let Some(p) = alt.strip_suffix('*') {
            out.push(Alt::Prefix(one_word(p)?));
        } else if let Some(w) = alt.strip_suffix('=') {
            out.push(Alt::Word(one_word(w)?, false));
        } else {
            out.push(Alt::Word(one_word(alt)?, true));
        }
    }
    Ok(out)
}

fn one_word(text: &str) -> Result<String, String> {
    let n = normalize(text);
    if n.is_empty() || n.contains(' ') {
        return Err(format!("`{text}` is not one word"));
    }
    Ok(n)
}

/// Whether `c` belongs to a script written without spaces between words.
fn unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
    )
}

/// Characters that end a clause.
const CLAUSE_ENDS: &[char] = &['.', ',', ';', ':', '!', '?', '\n', '…', '¿', '¡'];

/// The words of a message as the lexicon sees them, and where its clauses end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Words {
    pub(super) words: Vec<String>,
    /// Per word: whether a clause ends after it (always true for the last word).
    pub(super) clause_end: Vec<bool>,
}

impl Words {
    /// Splits `text` (its first 2,000 characters) into clauses at punctuation and each
    /// clause into [`words`].
    pub(super) fn of(text: &str) -> Self {
        let capped: String = text.chars().take(MAX_CHARS).collect();
        let mut out = Self::default();
        for clause in capped.split(CLAUSE_ENDS) {
            let w = words(&normalize(clause));
            if w.is_empty() {
                continue;
            }
            out.clause_end
                .extend((0..w.len()).map(|i| i + 1 == w.len()));
            out.words.extend(w);
        }
        out
    }
}

/// The words of normalised text as the lexicon sees them: digits inside words read as the
/// letters they stand for (`su1c1de`, `k1ll`), and split reflexives joined (`my self` →
/// `myself`).
pub(super) fn words(normalized: &str) -> Vec<String> {
    join_reflexives(
        normalized
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(|t| (unleet(t), ())),
    )
    .into_iter()
    .map(|(w, ())| w)
    .collect()
}

/// Joins split reflexives (`my self` → `myself`) in a sequence of words, each carrying a
/// mark that the joined word takes from its second half (a tenant term's `*`).
fn join_reflexives<M>(tokens: impl Iterator<Item = (String, M)>) -> Vec<(String, M)> {
    let mut out: Vec<(String, M)> = Vec::new();
    for (word, mark) in tokens {
        let joined = match (out.last().map(|(w, _)| w.as_str()), word.as_str()) {
            (Some(p @ ("my" | "him" | "her" | "your")), "self") => Some(format!("{p}self")),
            (Some(p @ ("them" | "our")), "selves" | "self") => Some(format!("{p}selves")),
            _ => None,
        };
        match joined {
            Some(j) => {
                if let Some(last) = out.last_mut() {
                    *last = (j, mark);
                }
            }
            None => out.push((word, mark)),
        }
    }
    out
}

fn unleet(token: &str) -> String {
    let letters = token.chars().any(char::is_alphabetic);
    let digits = token.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits) {
        return token.to_owned();
    }
    token
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '8' => 'b',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn long_words_skip_the_edit_search_but_typos_within_budget_still_match() {
        let lexicon = Lexicon::from_terms(&["umbringen".to_owned()]);
        let index = &lexicon.atoms;
        let longest = index.longest_fuzzy;
        assert!(longest >= "umbringen".len(), "{longest}");
        assert!(index.edit_search(longest));
        assert!(!index.edit_search(longest + 1));
        assert!(!index.edit_search(5_000));
        let mut out = Vec::new();
        index.lookup("umbrigen", &mut out);
        assert!(!out.is_empty(), "a typo within the budget matches");
        index.lookup(&"u".repeat(5_000), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance(&chars("myslef"), &chars("myself"), 2), 1);
        assert_eq!(edit_distance(&chars("umbrigen"), &chars("umbringen"), 2), 1);
        assert_eq!(edit_distance(&chars("abc"), &chars("abc"), 0), 0);
        assert_eq!(edit_distance(&chars("kitten"), &chars("sitting"), 1), 2);
    }

    fn matches(source: &str, text: &str) -> bool {
        let lexicon = Lexicon::parse(source).expect("parses");
        !lexicon.find(&Words::of(text), &normalize(text)).is_empty()
    }

    #[test]
    fn gaps_negators_anchors_and_guards() {
        let src = "@NEG = nicht|dont\n@BREAK = und\n[suicide]\nwill ~2 sterben= !neg\nsuicide !after1=bomber\n^ nope $\n";
        assert!(matches(src, "ich will einfach sterben"));
        assert!(!matches(src, "ich will nicht sterben"));
        assert!(!matches(src, "dont will sterben"));
        assert!(matches(src, "dont know und will sterben"));
        assert!(!matches(src, "ich will ja so gar sterben"));
        assert!(matches(src, "Suicde"), "one edit on a seven-letter word");
        assert!(!matches(src, "suicide bomber"));
        assert!(matches(src, "Nope!"));
        assert!(!matches(src, "nope nope"));
        assert!(matches(src, "nope, nope"), "a comma ends a clause");
        assert!(matches(src, "well. Nope! ok"));
    }

    #[test]
    fn prefixes_blocks_and_numbers() {
        let src = "[suicide]\nsuizid*\num <num>\n<many> pills\nall ~3 pills !within=must\n[block]\nsuizidattent*\n";
        assert!(matches(src, "Suizidgedanken"));
        assert!(!matches(src, "ein Suizidattentäter"));
        assert!(matches(src, "um 8"));
        assert!(!matches(src, "um acht"));
        assert!(matches(src, "I took 30 pills"));
        assert!(!matches(src, "I took 2 pills"));
        assert!(!matches(src, "I took 05 pills"));
        assert!(matches(src, "all the pills"));
        assert!(!matches(src, "all must pills"));
    }

    #[test]
    fn errors_name_the_line() {
        let err = Lexicon::parse("# c\n[nonsense]\n").expect_err("bad section");
        assert_eq!(err.line, 2);
        assert!(Lexicon::parse("[suicide]\n@X = a\nfoo @Y\n").is_err());
        assert!(Lexicon::parse("foo\n").is_err());
    }

    #[test]
    fn words_unleet_and_join() {
        assert_eq!(
            words("i want to k1ll my self"),
            ["i", "want", "to", "kill", "myself"]
        );
        assert_eq!(words("su1c1de 2024"), ["suicide", "2024"]);
    }
}
