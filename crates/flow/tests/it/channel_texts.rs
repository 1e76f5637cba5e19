//! Texts by channel: a phone caller hears other words than a chat user reads ("press 9"
//! against buttons). Each channel gets its own wording, SMS and WhatsApp fall back to chat,
//! both `voice` and `chat` are required, and the bot must disclose itself on each.

use flow::simulate::{SimSetup, simulate};
use flow::{Channel, KeywordMatcher, check, parse_yaml};

use crate::support::{T0, compile, flow_yaml};

const NODES: &str = r#"
    - id: m
      type: menu
      prompt:
        voice: {en: "I am a bot. Press 1 for info. Press 9 to hear this again.", de: "Ich bin ein Bot. Drücken Sie die 1. Mit 9 hören Sie das noch einmal."}
        chat: {en: "I am a bot. How can I help?", de: "Ich bin ein Bot. Wobei kann ich helfen?"}
      options: [{digit: "1", label: Info, next: e}]
      repeat: {digit: "9"}
      no_input: e
      no_match: e
    - {id: e, type: end, text: "Bye"}
"#;

fn first_words(channel: Channel, language: &str) -> String {
    let flow = compile(&flow_yaml("languages: [en, de]", NODES));
    let turns = simulate(
        &flow,
        &KeywordMatcher::from_flow(&flow),
        &SimSetup {
            channel,
            language: Some(language.to_owned()),
            start_ms: T0,
        },
        &[],
    );
    turns[0].replies[0].text.clone()
}

#[test]
fn each_channel_gets_its_own_wording_in_each_language() {
    assert!(first_words(Channel::Voice, "en").contains("Press 9"));
    assert_eq!(
        first_words(Channel::Chat, "en"),
        "I am a bot. How can I help?"
    );
    assert_eq!(
        first_words(Channel::Chat, "de"),
        "Ich bin ein Bot. Wobei kann ich helfen?"
    );
    assert!(first_words(Channel::Voice, "de").contains("Mit 9"));
    // SMS and WhatsApp read the chat wording.
    assert_eq!(
        first_words(Channel::Sms, "en"),
        "I am a bot. How can I help?"
    );
    assert_eq!(
        first_words(Channel::Whatsapp, "de"),
        "Ich bin ein Bot. Wobei kann ich helfen?"
    );
}

#[test]
fn a_text_by_channel_round_trips_and_needs_both_wordings() {
    let yaml = flow_yaml("languages: [en, de]", NODES);
    let doc = parse_yaml(&yaml).unwrap();
    let again = parse_yaml(&flow::to_yaml(&doc)).unwrap();
    assert_eq!(again, doc, "YAML round trip");
    assert!(
        check(&doc)
            .iter()
            .all(|d| d.severity != flow::Severity::Error),
        "{:?}",
        check(&doc)
    );

    let voice_only: String = yaml
        .lines()
        .filter(|l| !l.trim_start().starts_with("chat:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(voice_only, yaml);
    let found = check(&parse_yaml(&voice_only).unwrap());
    assert!(
        found
            .iter()
            .any(|d| d.code == "missing-text" && d.message.contains("no chat wording")),
        "{found:?}"
    );

    // A language missing in one channel's wording is named with its path.
    let no_german_chat = yaml.replace(", de: \"Ich bin ein Bot. Wobei kann ich helfen?\"", "");
    let found = check(&parse_yaml(&no_german_chat).unwrap());
    assert!(
        found
            .iter()
            .any(|d| d.code == "missing-text" && d.path.ends_with("prompt.chat")),
        "{found:?}"
    );
}

#[test]
fn the_bot_must_say_it_is_a_bot_on_every_channel() {
    let chat_silent = flow_yaml("languages: [en, de]", NODES)
        .replace("I am a bot. How can I help?", "How can I help?");
    let found = check(&parse_yaml(&chat_silent).unwrap());
    assert!(
        found.iter().any(|d| d.code == "bot-not-disclosed"),
        "{found:?}"
    );
}
