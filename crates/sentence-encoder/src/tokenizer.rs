//! The SentencePiece unigram tokenizer of the encoder's `sp.model`: the model's protobuf
//! (pieces with scores, and the normaliser's precompiled character map), the `nmt_nfkc`
//! normaliser walking that map's double-array trie, whitespace escaping to `▁`, and the
//! Viterbi segmentation that picks the highest-scoring pieces.

use std::collections::HashMap;

use crate::LoadError;

/// Piece ids of the special tokens, fixed by the model.
pub(crate) const UNK: u32 = 0;
pub(crate) const BOS: u32 = 1;
pub(crate) const EOS: u32 = 2;
/// The escaped space SentencePiece puts before each word.
const SPACE: &str = "\u{2581}";

/// A loaded SentencePiece unigram model.
pub(crate) struct Tokenizer {
    scores: Vec<f32>,
    /// Every piece and every proper prefix of a piece (in characters): the value is the
    /// piece id plus one, or 0 for a prefix that is no piece itself. A walk from one
    /// position stops at the first string that is not even a prefix.
    prefixes: HashMap<Box<str>, u32>,
    /// The longest piece, in characters.
    max_chars: usize,
    unk_score: f64,
    normalizer: Normalizer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("pieces", &self.scores.len())
            .finish_non_exhaustive()
    }
}

/// A field of a protobuf message: its number and, for length-delimited fields, its bytes.
struct Field<'a> {
    number: u64,
    bytes: &'a [u8],
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of one message; varints are skipped (their bytes left empty), 32-bit values
/// kept as their four bytes.
fn fields(b: &[u8]) -> Result<Vec<Field<'_>>, LoadError> {
    let corrupt = || LoadError::Tokenizer("corrupt protobuf".into());
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let tag = varint(b, &mut pos).ok_or_else(corrupt)?;
        let (number, wire) = (tag >> 3, tag & 7);
        let bytes: &[u8] = match wire {
            0 => {
                varint(b, &mut pos).ok_or_else(corrupt)?;
                &[]
            }
            1 => {
                pos += 8;
                &[]
            }
            2 => {
                let len = usize::try_from(varint(b, &mut pos).ok_or_else(corrupt)?)
                    .map_err(|_| corrupt())?;
                let s = b.get(pos..pos.saturating_add(len)).ok_or_else(corrupt)?;
                pos += len;
                s
            }
            5 => {
                let s = b.get(pos..pos + 4).ok_or_else(corrupt)?;
                pos += 4;
                s
            }
            _ => return Err(corrupt()),
        };
        if pos > b.len() {
            return Err(corrupt());
        }
        out.push(Field { number, bytes });
    }
    Ok(out)
}

impl Tokenizer {
    /// Reads a SentencePiece `ModelProto`: field 1 holds the pieces (piece text in 1, score
    /// in 2), field 3 the normaliser spec whose field 2 is the precompiled character map.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Tokenizer, LoadError> {
        let mut pieces: Vec<&str> = Vec::new();
        let mut scores = Vec::new();
        let mut charsmap: &[u8] = &[];
        for field in fields(bytes)? {
            match field.number {
                1 => {
                    let mut text = None;
                    let mut score = 0.0f32;
                    for f in fields(field.bytes)? {
                        match f.number {
                            1 => text = std::str::from_utf8(f.bytes).ok(),
                            2 if f.bytes.len() == 4 => {
                                score = f32::from_le_bytes([
                                    f.bytes[0], f.bytes[1], f.bytes[2], f.bytes[3],
                                ]);
                            }
                            _ => {}
                        }
                    }
                    let text = text
                        .ok_or_else(|| LoadError::Tokenizer("a piece has no UTF-8 text".into()))?;
                    pieces.push(text);
                    scores.push(score);
                }
                3 => {
                    for f in fields(field.bytes)? {
                        if f.number == 2 {
                            charsmap = f.bytes;
                        }
                    }
                }
                _ => {}
            }
        }
        if pieces.len() <= EOS as usize {
            return Err(LoadError::Tokenizer("too few pieces".into()));
        }
        let mut prefixes: HashMap<Box<str>, u32> = HashMap::with_capacity(pieces.len() * 2);
        let mut max_chars = 0;
        for (id, piece) in pieces.iter().enumerate() {
            let mut chars = 0;
            for (at, _) in piece.char_indices().skip(1) {
                prefixes.entry(piece[..at].into()).or_insert(0);
                chars += 1;
            }
            max_chars = max_chars.max(chars + 1);
            prefixes.insert((*piece).into(), id as u32 + 1);
        }
        let min_score = scores.iter().copied().fold(f32::INFINITY, f32::min);
        Ok(Tokenizer {
            unk_score: f64::from(min_score) - 10.0,
            scores,
            prefixes,
            max_chars,
            normalizer: Normalizer::new(charsmap)?,
        })
    }

    /// Piece ids of `text`, framed by `<s>` and `</s>`; text that normalises to nothing
    /// becomes a single `<unk>`.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalizer.normalize(text);
        let mut ids = vec![BOS];
        if normalized.is_empty() {
            ids.push(UNK);
        } else {
            self.viterbi(&normalized, &mut ids);
        }
        ids.push(EOS);
        ids
    }

    /// Appends the best segmentation of `s`: the one whose piece scores sum highest, ties
    /// going to the earliest start (as SentencePiece's lattice does); a character no piece
    /// starts with becomes `<unk>`.
    fn viterbi(&self, s: &str, out: &mut Vec<u32>) {
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .collect();
        let n = bounds.len() - 1;
        let mut best = vec![f64::MIN; n + 1];
        best[0] = 0.0;
        let mut start_of = vec![0usize; n + 1];
        let mut piece_of = vec![UNK; n + 1];
        for i in 0..n {
            let base = best[i];
            let mut has_single = false;
            for j in i + 1..=(i + self.max_chars).min(n) {
                match self.prefixes.get(&s[bounds[i]..bounds[j]]) {
                    None => break,
                    Some(0) => {}
                    Some(&v) => {
                        let score = base + f64::from(self.scores[v as usize - 1]);
                        if score > best[j] {
                            best[j] = score;
                            start_of[j] = i;
                            piece_of[j] = v - 1;
                        }
                        has_single |= j == i + 1;
                    }
                }
            }
            if !has_single {
                let score = base + self.unk_score;
                if score > best[i + 1] {
                    best[i + 1] = score;
                    start_of[i + 1] = i;
                    piece_of[i + 1] = UNK;
                }
            }
        }
        let first = out.len();
        let mut p = n;
        while p > 0 {
            out.push(piece_of[p]);
            p = start_of[p];
        }
        out[first..].reverse();
    }
}

/// SentencePiece's normaliser: longest-match replacement through the precompiled map (a
/// darts-clone double-array trie followed by NUL-terminated replacement strings), then
/// whitespace collapsing and escaping.
struct Normalizer {
    units: Vec<u32>,
    replacements: Vec<u8>,
}

impl Normalizer {
    fn new(charsmap: &[u8]) -> Result<Normalizer, LoadError> {
        if charsmap.is_empty() {
            return Ok(Normalizer {
                units: Vec::new(),
                replacements: Vec::new(),
            });
        }
        let corrupt = || LoadError::Tokenizer("corrupt character map".into());
        let size = charsmap
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(corrupt)?;
        let trie = charsmap.get(4..4 + size).ok_or_else(corrupt)?;
        Ok(Normalizer {
            units: trie
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            replacements: charsmap[4 + size..].to_vec(),
        })
    }

    fn offset(unit: u32) -> usize {
        ((unit >> 10) << ((unit & 0x200) >> 6)) as usize
    }

    /// The replacement of the longest key that starts `data`, and how many bytes it
    /// consumed; without a match, the first character unchanged.
    fn prefix<'a>(&'a self, data: &'a [u8]) -> (&'a [u8], usize) {
        let (mut best_len, mut best_value) = (0usize, 0usize);
        if let Some(&root) = self.units.first() {
            let mut node = Self::offset(root);
            for (i, &c) in data.iter().enumerate() {
                node ^= usize::from(c);
                let Some(&unit) = self.units.get(node) else {
                    break;
                };
                if unit & 0x8000_00FF != u32::from(c) {
                    break;
                }
                node ^= Self::offset(unit);
                if unit & 0x100 != 0 {
                    let Some(&leaf) = self.units.get(node) else {
                        break;
                    };
                    best_len = i + 1;
                    best_value = (leaf & 0x7FFF_FFFF) as usize;
                }
            }
        }
        if best_len == 0 || best_value >= self.replacements.len() {
            // Input comes from a `&str`, so the first character is whole.
            let len = match data[0] {
                b if b < 0x80 => 1,
                b if b >> 5 == 0b110 => 2,
                b if b >> 4 == 0b1110 => 3,
                _ => 4,
            };
            let len = len.min(data.len());
            return (&data[..len], len);
        }
        let rest = &self.replacements[best_value..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        (&rest[..end], best_len)
    }

    fn normalize(&self, text: &str) -> String {
        let data = text.as_bytes();
        let mut pos = 0;
        while pos < data.len() {
            let (p, used) = self.prefix(&data[pos..]);
            if p != b" " {
                break;
            }
            pos += used;
        }
        if pos >= data.len() {
            return String::new();
        }
        let mut out: Vec<u8> = Vec::with_capacity(data.len() * 2);
        out.extend_from_slice(SPACE.as_bytes());
        let mut prev_space = true;
        while pos < data.len() {
            let (mut p, used) = self.prefix(&data[pos..]);
            pos += used;
            if prev_space {
                while let [b' ', rest @ ..] = p {
                    p = rest;
                }
            }
            if let Some(&last) = p.last() {
                for &b in p {
                    if b == b' ' {
                        out.extend_from_slice(SPACE.as_bytes());
                    } else {
                        out.push(b);
                    }
                }
                prev_space = last == b' ';
            }
        }
        while out.ends_with(SPACE.as_bytes()) {
            out.truncate(out.len() - SPACE.len());
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}
