//! The editor's simulator: replays a conversation with a draft and reports each turn.

use flow::simulate::{SimAction, SimInput, SimRefusal, SimSetup, simulate};
use flow::{Channel, KeywordMatcher};

use crate::support::{T0, compile};

fn demo() -> flow::Flow {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../flows/demo-en.yaml"
    ))
    .unwrap();
    compile(&yaml)
}

fn setup(channel: Channel) -> SimSetup {
    SimSetup {
        channel,
        language: None,
        start_ms: T0,
    }
}

fn text(t: &str) -> SimInput {
    SimInput::Text { text: t.to_owned() }
}

#[test]
fn each_turn_shows_the_path_the_replies_the_understanding_and_the_variables() {
    let flow = demo();
    let matcher = KeywordMatcher::from_flow(&flow);
    let turns = simulate(
        &flow,
        &matcher,
        &setup(Channel::Chat),
        &[text("I need an appointment"), text("10115")],
    );
    assert_eq!(turns.len(), 3);

    let start = &turns[0];
    assert_eq!(start.input, None);
    assert_eq!(
        start.path,
        ["greeting", "remember_channel", "office_hours", "main_menu"]
    );
    assert!(start.replies[0].text.contains("a bot, not a human"));
    let menu = start.replies.last().unwrap();
    assert_eq!(menu.choices.len(), 5, "the menu's options as buttons");
    assert_eq!(start.state.waiting, "input");
    assert_eq!(start.state.node, "main_menu");
    assert_eq!(start.variables["topic"], "general");

    let chosen = &turns[1];
    assert_eq!(chosen.path, ["main_menu", "ask_postcode"]);
    assert_eq!(chosen.understood.len(), 1);
    assert_eq!(chosen.understood[0].intent.as_deref(), Some("appointment"));
    assert_eq!(chosen.variables["last_intent"], "appointment");

    let postcode = &turns[2];
    assert_eq!(postcode.path, ["ask_postcode", "find_slot"]);
    assert_eq!(postcode.variables["postcode"], "10115");
    assert!(matches!(
        &postcode.actions[..],
        [SimAction::HttpRequest { method, url }] if method == "GET" && url.contains("postcode=10115")
    ));
    assert_eq!(postcode.state.waiting, "http");
}

#[test]
fn the_operator_answers_the_flows_http_request_and_a_refused_input_changes_nothing() {
    let flow = demo();
    let matcher = KeywordMatcher::from_flow(&flow);
    let turns = simulate(
        &flow,
        &matcher,
        &setup(Channel::Chat),
        &[
            SimInput::Digits { digits: "1".into() },
            text("10115"),
            text("hello?"),
            SimInput::Http {
                status: 200,
                body: r#"{"slot": "Monday 9:00", "place": "Town hall"}"#.into(),
            },
        ],
    );
    let refused = &turns[3];
    assert_eq!(refused.refused, Some(SimRefusal::HttpPending));
    assert!(refused.replies.is_empty() && refused.path.is_empty());
    assert_eq!(refused.state.waiting, "http");

    let answered = &turns[4];
    assert_eq!(answered.refused, None);
    assert_eq!(
        answered.path,
        ["find_slot", "offer_slot", "slot_note", "anything_else"]
    );
    assert!(
        answered.replies[0]
            .text
            .contains("Monday 9:00 at Town hall")
    );
    assert!(
        answered.actions.iter().any(
            |a| matches!(a, SimAction::SendMessage { text, .. } if text.contains("Town hall"))
        )
    );
}

#[test]
fn silence_lets_the_timer_run_out_and_the_fallback_queues_the_conversation() {
    let flow = demo();
    let matcher = KeywordMatcher::from_flow(&flow);
    let turns = simulate(
        &flow,
        &matcher,
        &setup(Channel::Voice),
        &[SimInput::Silence, SimInput::Silence, SimInput::Silence],
    );
    // Asked once more, then handed over; the queue's own timeout then leads to voicemail.
    assert_eq!(turns[1].state.waiting, "input");
    assert_eq!(turns[2].state.waiting, "queue");
    assert_eq!(turns[2].state.queue.as_deref(), Some("counselling"));
    assert!(turns[2].path.iter().any(|n| n == "handoff"));
    assert!(
        turns[2]
            .actions
            .iter()
            .any(|a| matches!(a, SimAction::Enqueue { queue } if queue == "counselling"))
    );
    assert_eq!(turns[3].state.waiting, "recording");
    assert!(
        turns[3]
            .actions
            .iter()
            .any(|a| matches!(a, SimAction::LeaveQueue { .. }))
    );
    assert_eq!(turns[3].path, ["handoff", "voicemail"]);
}

#[test]
fn on_the_phone_a_sentence_is_speech_and_after_the_end_nothing_is_taken() {
    let flow = demo();
    let matcher = KeywordMatcher::from_flow(&flow);
    let turns = simulate(
        &flow,
        &matcher,
        &setup(Channel::Voice),
        &[text("test result"), SimInput::Hangup, text("anyone?")],
    );
    assert_eq!(
        turns[1].understood[0].intent.as_deref(),
        Some("test_result")
    );
    assert_eq!(turns[2].state.waiting, "ended");
    assert_eq!(turns[2].state.ended.as_deref(), Some("hangup"));
    assert_eq!(turns[3].refused, Some(SimRefusal::Ended));
}

#[test]
fn the_same_inputs_on_the_same_draft_give_the_same_conversation() {
    let flow = demo();
    let matcher = KeywordMatcher::from_flow(&flow);
    let inputs = [text("quarantine"), SimInput::Digits { digits: "1".into() }];
    let a = simulate(&flow, &matcher, &setup(Channel::Chat), &inputs);
    let b = simulate(&flow, &matcher, &setup(Channel::Chat), &inputs);
    assert_eq!(a, b);
    assert!(
        a[1].path.iter().any(|n| n == "quarantine_rules"),
        "the subflow's nodes are on the path: {:?}",
        a[1].path
    );
}
