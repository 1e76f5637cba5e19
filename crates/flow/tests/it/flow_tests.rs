//! Running the test conversations a flow carries (`hotline flow test`).

use flow::{Flow, KeywordMatcher, TestOutcome, parse_yaml, run_tests};

use crate::support::{lines, trim_indent};

const FLOW: &str = r#"
flow: 1
id: crisis
name: Crisis line
language: de
languages: [de, en]
fallback: human
start: hello
intents: {human: {keywords: [mensch, human]}}
calendars: {office: {time_zone: Europe/Berlin, hours: {mon: ["08:00-18:00"]}}}
nodes:
  - {id: hello, type: say, text: {de: "Hallo, ich bin der Chatbot.", en: "Hi, I am the chatbot."}, next: hours}
  - {id: hours, type: split, branches: [{when: {open: office}, next: menu}], default: closed}
  - {id: closed, type: end, text: {de: "Wir sind geschlossen.", en: "We are closed."}}
  - id: menu
    type: menu
    prompt: {de: "1 Termin, 2 Mensch", en: "1 appointment, 2 human"}
    options:
      - {digit: 1, label: {de: Termin, en: Appointment}, next: name}
      - {digit: 2, label: {de: Mensch, en: Human}, intent: human, next: human}
    repeat: {digit: 9}
    no_input: human
    no_match: human
  - {id: name, type: ask, prompt: {de: "Ihr Name?", en: "Your name?"}, save_as: name, next: lookup, no_input: human, no_match: human}
  - {id: lookup, type: http_request, method: GET, url: "https://crm.example/slots", save: {slot: /slot}, next: booked, on_error: human}
  - {id: booked, type: end, text: {de: "Termin {{slot}} für {{name}}.", en: "Appointment {{slot}} for {{name}}."}}
  - {id: human, type: enqueue, queue: counselling}
tests:
  - name: books an appointment
    steps:
      - expect: [Chatbot, 1 Termin]
        at_node: menu
      - digits: 1
        at_node: name
      - send: Alex
        at_node: lookup
      - http: {status: 200, body: '{"slot": "Mo 10:00"}'}
        expect: ["Termin Mo 10:00 für Alex"]
    end: ended
  - name: silence leads to a human
    language: en
    channel: voice
    steps:
      - expect: [chatbot]
      - silence: true
        expect: [I did not hear anything., 1 appointment]
      - silence: true
      - silence: true
    end: {queued: counselling}
  - name: closed at night
    at: "2026-01-05T22:00:00+01:00"
    steps: [{expect: [geschlossen], reject: [Termin]}]
    end: ended
  - name: wrong expectations
    steps:
      - expect: [Hallo, Willkommen]
        reject: [Chatbot]
        at_node: name
      - send: "2"
        expect: [Termin]
      - http: {status: 200}
    end: transferred
"#;

#[test]
fn passing_and_failing_tests_with_readable_diffs() {
    let doc = parse_yaml(FLOW).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let flow = Flow::compile(doc).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let outcomes = run_tests(&flow, &KeywordMatcher::from_flow(&flow));
    let summary: Vec<(&str, bool)> = outcomes
        .iter()
        .map(|o| (o.name.as_str(), o.passed))
        .collect();
    assert_eq!(
        summary,
        [
            ("books an appointment", true),
            ("silence leads to a human", true),
            ("closed at night", true),
            ("wrong expectations", false)
        ],
        "{outcomes:#?}"
    );
    assert!(outcomes[..3].iter().all(|o| o.failures.is_empty()));
    let TestOutcome { failures, .. } = &outcomes[3];
    let expected = trim_indent(
        r#"
        step 1 (start): expected "Willkommen" after "Hallo"; did not expect "Chatbot"; expected to wait at "name", but the conversation is waiting for input at "menu"
          replies:
          bot: Hallo, ich bin der Chatbot.
          bot: 1 Termin, 2 Mensch
        ---
        step 2 (caller sends "2"): expected "Termin"
          replies:
          (no reply)
        ---
        step 3: HTTP answer 200, but no request is pending
        ---
        end: expected transferred, but the conversation is queued in "counselling"
        "#,
    );
    let actual = failures.join("\n---\n");
    assert_eq!(actual, expected, "\nactual:\n{actual}");
}
