//! Whether a caller asks for a person rather than the bot, in German or English, in any
//! flow: "Mensch", "Mitarbeiterin bitte", "Verbinden Sie mich mit einem Berater", "agent",
//! "can I talk to a real person", "I need someone to talk to", "kein Bot", or the key 0
//! typed into a chat.
//!
//! The words come in three strengths. Staff words ("Mitarbeiter", "Berater", "agent",
//! "operator", "representative", …) count when the message is short or asks for something
//! (a verb of talking or connecting, "bitte", "I want", "echt"). "Mensch" and "human"
//! also name people in general ("Menschen sind grausam"), so they count in short messages,
//! with a verb of talking or connecting, a word like "echt" or "real", or right after a
//! wish ("ich will einen Menschen"). "Person", "jemand" and "someone" count only with a
//! verb of talking or connecting, a word like "echt", or a wish in a short message ("ich
//! brauche jemanden"). No word counts in a self-description ("ich bin kein Mensch mehr",
//! "I'm only human"), right after a negation ("ich will keinen Menschen sprechen"), or
//! after "my"/"mein" without a verb of talking ("my agent called").

use crate::normalize::normalize;

/// Staff: people whose job is to talk to callers.
const STAFF: &[&str] = &[
    "mitarbeiter",
    "mitarbeiterin",
    "mitarbeiterinnen",
    "mitarbeitende",
    "mitarbeitenden",
    "mitarbeitender",
    "berater",
    "beraterin",
    "beraterinnen",
    "beratern",
    "ansprechpartner",
    "ansprechpartnerin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "kundenberater",
    "kundenberaterin",
    "telefonist",
    "telefonistin",
    "agent",
    "agentin",
    "agents",
    "operator",
    "operators",
    "operatorin",
    "representative",
    "rep",
    "advisor",
    "adviser",
    "counsellor",
    "counselor",
    "supervisor",
    "vorgesetzten",
    "beratung",
    "therapeut",
    "therapeutin",
    "therapist",
];

/// "Mensch" and "human": people in general as often as the person wanted.
const HUMAN: &[&str] = &[
    "mensch",
    "menschen",
    "menschlichen",
    "menschlicher",
    "human",
    "humans",
    "humaine",
    "hooman",
];

/// Anyone: needs a verb of talking or a quality ("echte Person").
const ANYONE: &[&str] = &[
    "person",
    "personen",
    "jemand",
    "jemanden",
    "jemandem",
    "jmd",
    "jmnd",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "leute",
    "people",
    "menschenwesen",
    "being",
];

/// Verbs (and their parts) of talking to someone or being put through.
const TALK: &[&str] = &[
    "sprechen",
    "spreche",
    "sprechn",
    "reden",
    "rede",
    "redn",
    "quatschen",
    "schreiben",
    "chatten",
    "telefonieren",
    "verbinden",
    "verbinde",
    "verbindet",
    "verbunden",
    "durchstellen",
    "durchgestellt",
    "weiterleiten",
    "weitergeleitet",
    "weiterverbinden",
    "zurueckrufen",
    "talk",
    "talking",
    "speak",
    "speaking",
    "chat",
    "chatting",
    "connect",
    "connected",
    "transfer",
    "transferred",
    "put",
    "reach",
    "call",
];

/// Qualities that make "a person" a real one.
const QUALITY: &[&str] = &[
    "echt",
    "echte",
    "echten",
    "echter",
    "echtem",
    "richtig",
    "richtige",
    "richtigen",
    "richtiger",
    "lebendig",
    "lebendige",
    "lebendigen",
    "menschlich",
    "menschliche",
    "menschlichen",
    "menschlicher",
    "persoenlich",
    "real",
    "actual",
    "live",
    "living",
];

/// Wishes and requests.
const WANT: &[&str] = &[
    "will", "moechte", "mochte", "moecht", "haette", "brauche", "brauch", "wuensche", "suche",
    "hätte", "want", "wanna", "need", "get", "give", "like", "can", "could", "may", "bitte",
    "please", "pls", "plz",
];

/// Negations right before a word.
const NEGATION: &[&str] = &[
    "kein", "keine", "keinen", "keinem", "keiner", "nicht", "nie", "no", "not", "never", "dont",
    "without", "ohne",
];

/// First-person possessives: "my agent", "mein Berater".
const MINE: &[&str] = &[
    "mein", "meine", "meinen", "meinem", "meiner", "my", "unser", "unsere", "unseren", "our",
];

/// A first-person self-description ends in one of these before the word.
const SELF: &[(&str, &str)] = &[
    ("ich", "bin"),
    ("bin", "ich"),
    ("i", "am"),
    ("im", ""),
    ("i", "m"),
    ("fuehle", "mich"),
    ("feel", ""),
    ("wir", "sind"),
    ("we", "are"),
    ("als", ""),
    ("as", ""),
];

/// Bots people refuse: "kein Bot", "not a robot", "stop the machine".
const BOTS: &[&str] = &[
    "bot", "bots", "chatbot", "roboter", "robot", "maschine", "machine", "computer", "automat",
    "ki", "ai",
];

/// How many words make a message short enough that a staff or human word alone asks.
const SHORT: usize = 3;

/// Whether a caller asks for a person: "Mensch", "Mitarbeiter(in)", "Berater(in)", "echte
/// Person", "agent", "operator", "human", "real person", "someone to talk to",
/// "representative", "kein Bot", … in German or English, or a lone `0` (the key 0 typed in
/// a chat). Not for self-descriptions ("ich bin kein Mensch mehr"), people in general
/// ("Menschen sind grausam"), or a flow's ordinary words ("eine Person bitte" when booking).
pub fn asks_for_human(text: &str) -> bool {
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return false;
    }
    if words.iter().all(|w| *w == "0") {
        return true;
    }
    let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
    let talk = has(TALK);
    let short = words.len() <= SHORT;
    if refuses_bot(&words) {
        return true;
    }
    words.iter().enumerate().any(|(i, w)| {
        let strength = if STAFF.contains(w) {
            Strength::Staff
        } else if HUMAN.contains(w) {
            Strength::Human
        } else if ANYONE.contains(w) {
            Strength::Anyone
        } else {
            return false;
        };
        if describes_self(&words, i) || negated(&words, i) {
            return false;
        }
        let before = &words[i.saturating_sub(3)..i];
        let quality = before.iter().any(|b| QUALITY.contains(b))
            || words.get(i + 1).is_some_and(|n| QUALITY.contains(n));
        if before.iter().any(|b| MINE.contains(b)) && !talk {
            return false;
        }
        let wish_before = before.iter().any(|b| WANT.contains(b));
        match strength {
            Strength::Staff => short || talk || quality || has(WANT),
            Strength::Human => short || talk || quality || wish_before,
            Strength::Anyone => talk || quality || (wish_before && words.len() <= 5),
        }
    })
}

#[derive(Clone, Copy)]
enum Strength {
    Staff,
    Human,
    Anyone,
}

/// "ich bin (k)ein Mensch", "I'm only human", "als Mitarbeiterin": the word describes the
/// caller, in the four words before it.
fn describes_self(words: &[&str], i: usize) -> bool {
    let from = i.saturating_sub(4);
    (from..i).any(|k| {
        SELF.iter().any(|(a, b)| {
            words[k] == *a && (b.is_empty() || words.get(k + 1).is_some_and(|n| n == b))
        })
    })
}

/// A negation in the three words before ("keinen Menschen", "nicht mit einem Menschen",
/// "not a human"); "nicht den Bot, sondern einen Menschen" has none right before
/// "Menschen".
fn negated(words: &[&str], i: usize) -> bool {
    words[i.saturating_sub(3)..i]
        .iter()
        .any(|w| NEGATION.contains(w))
}

/// "kein Bot", "no robot", "I don't want a bot", "stop the machine".
fn refuses_bot(words: &[&str]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        BOTS.contains(w)
            && words[i.saturating_sub(4)..i]
                .iter()
                .any(|b| NEGATION.contains(b) || matches!(*b, "stop" | "hate" | "genug" | "enough"))
    })
}
