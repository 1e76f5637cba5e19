//! What the intent matcher found reaches the flow as variables: `last_intent`,
//! `nlu.confidence` and `nlu.out_of_scope`.

use flow::{
    Channel, ConversationState, Engine, Flow, Input, IntentMatch, IntentMatcher, parse_yaml,
};

struct Fixed(Option<&'static str>, f32);

impl IntentMatcher for Fixed {
    fn classify(&self, _text: &str, _language: &str) -> IntentMatch {
        IntentMatch {
            intent: self.0.map(str::to_owned),
            confidence: self.1,
        }
    }
}

const FLOW: &str = r#"
flow: 1
id: t
name: T
language: en
languages: [en]
start: ask
intents:
  book: {keywords: [book]}
nodes:
  - {id: ask, type: ask, prompt: "I am a bot. What do you need?", next: human, no_input: human, no_match: human}
  - {id: human, type: enqueue, queue: q}
"#;

fn run(matcher: &dyn IntentMatcher) -> ConversationState {
    let flow = Flow::compile(parse_yaml(FLOW).unwrap()).unwrap();
    let engine = Engine::new(&flow, matcher);
    let mut state = ConversationState::new(Channel::Chat, "en");
    let start = Input::Start {
        channel: Channel::Chat,
        language: None,
        entry: None,
        variables: Default::default(),
    };
    engine.handle(&mut state, start, 0);
    engine.handle(
        &mut state,
        Input::Text {
            text: "something".to_owned(),
        },
        1000,
    );
    state
}

#[test]
fn an_understood_utterance_sets_intent_and_confidence() {
    let state = run(&Fixed(Some("book"), 0.873));
    assert_eq!(state.last_intent.as_deref(), Some("book"));
    assert_eq!(state.vars["nlu.confidence"], "0.87");
    assert_eq!(state.vars["nlu.out_of_scope"], "false");
}

#[test]
fn an_out_of_scope_utterance_says_so() {
    let state = run(&Fixed(None, 0.21));
    assert_eq!(state.last_intent, None);
    assert_eq!(state.vars["nlu.confidence"], "0.21");
    assert_eq!(state.vars["nlu.out_of_scope"], "true");
    let state = run(&Fixed(None, f32::NAN));
    assert_eq!(state.vars["nlu.confidence"], "0.00");
}
