//! Interpreter throughput: node visits per second on one core.
//!
//! A menu leads into a chain of 100 nodes that do not wait (say, set, split — the common
//! hot path: rendering, variables, conditions) and back to the menu; every input walks the
//! whole chain. Run with `cargo bench -p flow --bench interpreter`. The target is at least
//! one million node visits per second per core.

// A benchmark reports on the terminal; that is its purpose.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use flow::{Channel, ConversationState, Engine, Flow, Input, KeywordMatcher, parse_yaml};

const CHAIN: usize = 100;

fn flow() -> Flow {
    let mut nodes = String::from(
        "- {id: menu, type: menu, prompt: 'Hallo {{name}}, 1 für weiter', options: [{digit: 1, label: weiter, next: c0}, {digit: 2, label: Mensch, next: human}], repeat: {digit: 9}, no_input: human, no_match: human}\n- {id: human, type: enqueue, queue: q}\n",
    );
    for i in 0..CHAIN {
        let next = if i + 1 == CHAIN {
            "menu".to_owned()
        } else {
            format!("c{}", i + 1)
        };
        let node = match i % 3 {
            0 => format!(
                "- {{id: c{i}, type: say, text: 'Schritt {i} für {{{{name}}}}', next: {next}}}\n"
            ),
            1 => format!("- {{id: c{i}, type: set, values: {{step: '{i}'}}, next: {next}}}\n"),
            _ => format!(
                "- {{id: c{i}, type: split, branches: [{{when: {{compare: {{var: step, op: gt, value: '1000'}}}}, next: human}}], default: {next}}}\n"
            ),
        };
        nodes.push_str(&node);
    }
    let yaml =
        format!("flow: 1\nid: bench\nname: Bench\nlanguage: de\nstart: menu\nnodes:\n{nodes}");
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{d:?}"));
    Flow::compile(doc).unwrap_or_else(|d| panic!("{d:?}"))
}

fn main() {
    let flow = flow();
    let matcher = KeywordMatcher::from_flow(&flow);
    let engine = Engine::new(&flow, &matcher);
    let mut state = ConversationState::new(Channel::Voice, "de");
    let start = Input::Start {
        channel: Channel::Voice,
        language: None,
        entry: None,
        variables: BTreeMap::from([("name".to_owned(), "Alex".to_owned())]),
    };
    let mut now = 1_767_603_600_000_i64;
    black_box(engine.handle(&mut state, start, now));
    let inputs = 20_000;
    let began = Instant::now();
    let mut effects = 0;
    for _ in 0..inputs {
        now += 1000;
        effects += black_box(engine.handle(
            &mut state,
            Input::Digits {
                digits: "1".to_owned(),
            },
            now,
        ))
        .len();
    }
    let elapsed = began.elapsed();
    let visits = inputs * (CHAIN + 1);
    let per_second = visits as f64 / elapsed.as_secs_f64();
    println!(
        "interpreter: {visits} node visits in {:.1} ms = {:.2} M visits/s ({effects} effects, {:.0} ns per visit)",
        elapsed.as_secs_f64() * 1e3,
        per_second / 1e6,
        elapsed.as_nanos() as f64 / visits as f64
    );
}
