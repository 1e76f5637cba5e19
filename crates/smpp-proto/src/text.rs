//! Message text: the GSM 03.38 default alphabet (7 bits, one septet per octet as SMPP's
//! `data_coding` 0 carries it, with the extension table behind the escape septet) and UCS-2
//! (`data_coding` 8, UTF-16 big-endian). German umlauts and `ß` are in the default alphabet;
//! `€ [ ] { } ~ \ | ^` take two septets; anything else (typographic quotes and dashes, emoji)
//! makes the whole message UCS-2.

/// `data_coding` of the SMSC's default alphabet (GSM 03.38 here).
pub const DATA_CODING_DEFAULT: u8 = 0x00;
/// `data_coding` of IA5 (ASCII).
pub const DATA_CODING_IA5: u8 = 0x01;
/// `data_coding` of Latin-1.
pub const DATA_CODING_LATIN1: u8 = 0x03;
/// `data_coding` of UCS-2.
pub const DATA_CODING_UCS2: u8 = 0x08;

/// The escape septet before a character of the extension table.
const ESCAPE: u8 = 0x1B;

/// The default alphabet, by septet.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: septet after the escape, and its character.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{c}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// The septets of one character: one for the default alphabet, two (escape first) for the
/// extension table, none when it has no GSM form.
pub fn gsm_septets(c: char) -> Option<([u8; 2], usize)> {
    if c != '\u{1b}'
        && let Some(i) = BASIC.iter().position(|&b| b == c)
    {
        return Some(([i as u8, 0], 1));
    }
    EXTENSION
        .iter()
        .find(|&&(_, e)| e == c)
        .map(|&(s, _)| ([ESCAPE, s], 2))
}

/// The text in the GSM default alphabet, one septet per octet; `None` when a character has no
/// GSM form.
pub fn encode_gsm(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let (s, n) = gsm_septets(c)?;
        out.extend_from_slice(&s[..n]);
    }
    Some(out)
}

/// Septets (one per octet) as text. An escape before a septet that is not in the extension
/// table reads as that septet's default character; a trailing escape reads as a space.
pub fn decode_gsm(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut i = 0;
    while i < septets.len() {
        let s = septets[i] & 0x7F;
        if s == ESCAPE {
            match septets.get(i + 1).map(|n| n & 0x7F) {
                Some(next) => {
                    match EXTENSION.iter().find(|&&(e, _)| e == next) {
                        Some(&(_, c)) => out.push(c),
                        None => out.push(BASIC[usize::from(next)]),
                    }
                    i += 2;
                }
                None => {
                    out.push(' ');
                    i += 1;
                }
            }
            continue;
        }
        out.push(BASIC[usize::from(s)]);
        i += 1;
    }
    out
}

/// The text as UCS-2 (UTF-16 big-endian; characters outside the BMP as surrogate pairs).
pub fn encode_ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// UCS-2 octets as text (an odd last octet is dropped; a lone surrogate becomes U+FFFD).
pub fn decode_ucs2(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// A message's text as `short_message` octets and how they are coded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// `data_coding`: [`DATA_CODING_DEFAULT`] (GSM) or [`DATA_CODING_UCS2`].
    pub data_coding: u8,
    /// The octets (GSM: one septet each).
    pub bytes: Vec<u8>,
}

/// The text in GSM when every character has a GSM form, else in UCS-2.
pub fn encode(text: &str) -> Encoded {
    match encode_gsm(text) {
        Some(bytes) => Encoded {
            data_coding: DATA_CODING_DEFAULT,
            bytes,
        },
        None => Encoded {
            data_coding: DATA_CODING_UCS2,
            bytes: encode_ucs2(text),
        },
    }
}

/// A received message's text, by its `data_coding` (unknown codings read as Latin-1, the
/// closest to "octets as they are"; so does "default" text with octets above 127, which some
/// SMSCs send as Latin-1).
pub fn decode(data_coding: u8, bytes: &[u8]) -> String {
    match data_coding {
        DATA_CODING_DEFAULT if bytes.iter().all(|&b| b < 0x80) => decode_gsm(bytes),
        DATA_CODING_UCS2 => decode_ucs2(bytes),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}
