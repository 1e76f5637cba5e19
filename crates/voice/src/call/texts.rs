//! What a call says on its own, beside the flow's prompts: one table per language.
//!
//! The flow carries the texts of its nodes (an `enqueue` node's `text` is spoken once, as a prompt); what it
//! cannot carry is a sentence with a number that only the engine knows, such as the caller's position in a
//! queue. Those sentences live here. To add a language, add a variant to [`Language`], a constant [`Texts`] for
//! it and its arm in [`Language::texts`]: the compiler points at each.

/// The languages the call engine speaks its own sentences in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// German.
    German,
    /// English, also the language for any tag without a table of its own.
    English,
}

/// The sentences of one language.
#[derive(Debug)]
pub struct Texts {
    /// Told every 30 seconds while a caller waits in a queue: their position, counting from 1.
    pub queue_position: fn(usize) -> String,
    /// Said after the position where the caller may ask for a call-back.
    pub call_back_hint: &'static str,
    /// Said when a call-back cannot be arranged (an agent is already taking the call, say).
    pub call_back_refused: &'static str,
    /// Said once when speech recognition fails during a call: the caller uses the keys.
    pub speech_unavailable: &'static str,
}

const GERMAN: Texts = Texts {
    queue_position: |position| {
        format!("Sie sind an Position {position}. Bitte bleiben Sie in der Leitung.")
    },
    call_back_hint: "Oder drücken Sie die 1, dann rufen wir Sie zurück und Sie behalten Ihren Platz.",
    call_back_refused: "Ein Rückruf ist gerade nicht möglich. Bitte bleiben Sie in der Leitung.",
    speech_unavailable: "Die Spracheingabe ist gerade nicht verfügbar. Bitte antworten Sie mit den Tasten Ihres Telefons.",
};

const ENGLISH: Texts = Texts {
    queue_position: |position| {
        format!("You are number {position} in the queue. Please stay on the line.")
    },
    call_back_hint: "Or press 1 and we will call you back; you keep your place.",
    call_back_refused: "A call-back is not possible right now. Please stay on the line.",
    speech_unavailable: "Speech input is not available right now. Please answer with the keys on your phone.",
};

impl Language {
    /// The table for a conversation's language tag (`"de"`, `"en"`, …); only the primary subtag counts, so
    /// `"de-AT"` is German. Tags without a table get English.
    #[must_use]
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("de") {
            Language::German
        } else {
            Language::English
        }
    }

    /// The language's sentences.
    #[must_use]
    pub fn texts(self) -> &'static Texts {
        match self {
            Language::German => &GERMAN,
            Language::English => &ENGLISH,
        }
    }
}
