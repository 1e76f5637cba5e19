//! Validation: one minimal flow per error code, and a broken flow whose problems all come
//! back at once, with node ids and paths.

use flow::diagnostic::codes;
use flow::{Severity, check, parse_yaml, validate};

use crate::support::{flow_yaml, lines, trim_indent};

const OK: &str = "
    - {id: a, type: say, text: hi, next: b}
    - {id: b, type: end}
";

/// The errors of a flow (parse errors if it does not parse), one per line.
fn errors(yaml: &str) -> String {
    match parse_yaml(yaml) {
        Ok(doc) => lines(&validate(&doc)),
        Err(diags) => lines(&diags),
    }
}

struct Case {
    code: &'static str,
    yaml: String,
    expect: &'static str,
}

fn case(code: &'static str, top: &str, nodes: &str, expect: &'static str) -> Case {
    Case {
        code,
        yaml: flow_yaml(top, nodes),
        expect,
    }
}

#[test]
fn the_minimal_flow_is_valid() {
    assert_eq!(errors(&flow_yaml("", OK)), "");
}

#[test]
fn one_flow_per_error_code() {
    let cases = vec![
        Case {
            code: codes::FORMAT_VERSION,
            yaml: flow_yaml("", OK).replace("flow: 1", "flow: 2"),
            expect: r##"
                error[format-version] flow: format version 2 is not supported; this Hotline reads version 1
            "##,
        },
        case(codes::PARSE, "", "- {id: a, type: say, txt: hi, next: b}", r##"
                error[parse] nodes[0] (id "a"): unknown field `txt`, expected one of `id`, `text`, `audio`, `voice`, `next`
            "##),
        case(codes::INVALID_ID, "", "- {id: Hello World, type: end}", r##"
                error[invalid-id] nodes[0] (id "Hello World").id: "Hello World" is not a node id: use 1 to 64 characters of a-z, 0-9, _ and -
            "##),
        case(codes::DUPLICATE_ID, "", "- {id: a, type: say, text: hi, next: a2}\n- {id: a2, type: end}\n- {id: a, type: end}", r##"
                error[duplicate-id] nodes[2] (id "a").id: the id "a" is already used by nodes[0]
            "##),
        Case { code: codes::UNKNOWN_START, yaml: flow_yaml("", OK).replace("start: a", "start: nope"), expect: r##"
                error[unknown-start] start: the start node "nope" does not exist
            "## },
        case(codes::DANGLING_TRANSITION, "fallback: gone", "- {id: a, type: say, text: hi, next: b}\n- {id: b, type: split, branches: [{when: {compare: {var: x, op: exists}}, next: c}], default: d}\n- {id: c, type: end}", r##"
                error[dangling-transition] fallback: the fallback node "gone" does not exist
                error[dangling-transition] nodes[1] (id "b").default: node "d" does not exist
            "##),
        case(codes::UNREACHABLE_NODE, "", "- {id: a, type: end}\n- {id: b, type: say, text: hi, next: a}", r##"
                error[unreachable-node] nodes[1] (id "b"): no path from `start` or `fallback` leads here
            "##),
        case(
            codes::MISSING_TIMEOUT_BRANCH,
            "",
            "- {id: a, type: http_request, method: GET, url: 'https://x.example', timeout_secs: 60, next: b, on_error: c}\n- {id: b, type: enqueue, queue: q, timeout_secs: 30}\n- {id: c, type: enqueue, queue: q, on_timeout: b}",
            r##"
                error[missing-timeout-branch] nodes[0] (id "a").timeout_secs: 60 s is outside 1–30 s: a caller must never wait long for a back-end
                error[missing-timeout-branch] nodes[1] (id "b").on_timeout: timeout_secs is set but on_timeout is missing: where does the caller go when nobody answers?
                error[missing-timeout-branch] nodes[2] (id "c").timeout_secs: on_timeout is set but timeout_secs is missing: the wait never times out
            "##,
        ),
        case(
            codes::LOOP_WITHOUT_INPUT,
            "",
            "- {id: a, type: say, text: hi, next: b}\n- {id: b, type: set, values: {x: '1'}, next: c}\n- {id: c, type: split, branches: [{when: {compare: {var: x, op: eq, value: '1'}}, next: a}], default: d}\n- {id: d, type: say, text: x, next: d}",
            r##"
                error[loop-without-input] nodes[0] (id "a"): these nodes loop without ever waiting for the caller: a → b → c → a; put an ask or menu in the loop, or break it
                error[loop-without-input] nodes[3] (id "d"): these nodes loop without ever waiting for the caller: d → d; put an ask or menu in the loop, or break it
            "##,
        ),
        case(
            codes::INVALID_REGEX,
            "intents: {i: {patterns: ['[a-']}}",
            "- {id: a, type: ask, prompt: q, pattern: '(', next: b}\n- {id: b, type: split, branches: [{when: {regex: {pattern: '*'}}, next: c}], default: c}\n- {id: c, type: end}",
            r##"
                error[invalid-regex] intents.i.patterns[0]: the pattern "[a-" does not compile: unclosed character class
                error[invalid-regex] nodes[0] (id "a").pattern: the pattern "(" does not compile: unclosed group
                error[invalid-regex] nodes[1] (id "b").branches[0].when.regex.pattern: the pattern "*" does not compile: repetition operator missing expression
            "##,
        ),
        case(
            codes::UNKNOWN_INTENT,
            "intents: {known: {keywords: [k]}}",
            "- {id: a, type: menu, prompt: p, options: [{label: x, intent: book, next: b}]}\n- {id: b, type: split, branches: [{when: {intent: cancel}, next: a}], default: a}",
            r##"
                error[unknown-intent] nodes[0] (id "a").options[0].intent: the intent "book" is not declared in `intents` (declared: known)
                error[unknown-intent] nodes[1] (id "b").branches[0].when.intent: the intent "cancel" is not declared in `intents` (declared: known)
            "##,
        ),
        case(codes::UNKNOWN_CALENDAR, "", "- {id: a, type: split, branches: [{when: {open: office}, next: b}], default: b}\n- {id: b, type: end}", r##"
                error[unknown-calendar] nodes[0] (id "a").branches[0].when.open: the calendar "office" is not declared in `calendars` (declared: none)
            "##),
        case(
            codes::INVALID_CALENDAR,
            "calendars: {office: {time_zone: Mars/Base, hours: {mon: ['9-17', '08:00-07:00']}, holidays: ['24.12.2026']}}",
            OK,
            r##"
                error[invalid-calendar] calendars.office.holidays[0]: "24.12.2026" is not a date written YYYY-MM-DD
                error[invalid-calendar] calendars.office.hours.mon[0]: "9-17" does not start with a time HH:MM
                error[invalid-calendar] calendars.office.hours.mon[1]: "08:00-07:00" ends before it starts; write overnight hours as two intervals, e.g. 22:00-24:00 and 00:00-06:00
                error[invalid-calendar] calendars.office.time_zone: "Mars/Base" is not an IANA time zone such as "Europe/Berlin"
            "##,
        ),
        case(
            codes::MISSING_TEXT,
            "languages: [de, en]",
            "- {id: a, type: say, text: {de: Hallo}, next: b}\n- {id: b, type: say, next: c}\n- {id: c, type: menu, prompt: {de: M, en: M}, options: [{label: {en: One}, next: d}]}\n- {id: d, type: end}",
            r##"
                error[missing-text] nodes[0] (id "a").text: no text in "en" (the flow's languages are de, en)
                error[missing-text] nodes[1] (id "b").text: a say needs a text, an audio file or both
                error[missing-text] nodes[2] (id "c").options[0].label: no text in "de" (the flow's languages are de, en)
            "##,
        ),
        Case {
            code: codes::UNKNOWN_LANGUAGE,
            yaml: flow_yaml("languages: [en, DE]\ntests: [{name: t, language: fr, steps: []}]", "- {id: a, type: say, text: {en: Hi, DE: Hallo, fr: Salut}, next: b}\n- {id: b, type: end}")
                .replace("language: en\n", "language: de\n"),
            expect: r##"
                error[unknown-language] language: the default language "de" is not among `languages` (en, DE)
                error[unknown-language] languages[1]: "DE" is not a language code: use two lower-case letters (ISO 639-1) such as "de"
                error[unknown-language] nodes[0] (id "a").text.fr: text in "fr", which is not among the flow's languages (en, DE)
                error[unknown-language] tests[0].language: test "t": "fr" is not among the flow's languages (en, DE)
            "##,
        },
        case(codes::MENU_EMPTY, "", "- {id: a, type: menu, prompt: p, options: []}", r##"
                error[menu-empty] nodes[0] (id "a").options: a menu needs at least one option
            "##),
        case(
            codes::DUPLICATE_DIGIT,
            "",
            "- {id: a, type: menu, prompt: p, options: [{digit: 1, label: x, next: b}, {digit: '1', label: y, next: b}], repeat: {digit: 1}}\n- {id: b, type: end}",
            r##"
                error[duplicate-digit] nodes[0] (id "a").options[1].digit: the digit "1" is already used by options[0].digit
                error[duplicate-digit] nodes[0] (id "a").repeat.digit: the digit "1" is already used by options[0].digit
            "##,
        ),
        case(
            codes::INVALID_DIGIT,
            "",
            "- {id: a, type: menu, prompt: p, options: [{digit: 12, label: x, next: b}, {digit: a, label: y, next: b}]}\n- {id: b, type: ask, prompt: q, num_digits: 0, finish_on_key: x, next: c}\n- {id: c, type: end}",
            r##"
                error[invalid-digit] nodes[0] (id "a").options[0].digit: "12" is not a keypad key: use one of 0-9, * or #
                error[invalid-digit] nodes[0] (id "a").options[1].digit: "a" is not a keypad key: use one of 0-9, * or #
                error[invalid-digit] nodes[1] (id "b").finish_on_key: "x" is not a finishing key: use "#" or "*"
                error[invalid-digit] nodes[1] (id "b").num_digits: num_digits must be at least 1
            "##,
        ),
        case(
            codes::RETURN_OUTSIDE_SUBFLOW,
            "",
            "- {id: a, type: subflow, start: s, next: r}\n- {id: s, type: say, text: in, next: r}\n- {id: r, type: return}",
            r##"
                error[return-outside-subflow] nodes[2] (id "r"): this return can be reached from `start` without entering a subflow, where it would end the conversation as failed
            "##,
        ),
        case(
            codes::INVALID_TEST,
            "tests: [{name: t, channel: voice, at: tomorrow, steps: [{send: hi, digits: '1', at_node: nope}], end: {queued: nobody}}, {name: u, steps: [], end: {waiting: gone}}]",
            OK,
            r##"
                error[invalid-test] tests[0].at: test "t": "tomorrow" is not a time like 2026-01-05T10:00:00+01:00
                error[invalid-test] tests[0].end: test "t": no enqueue node uses the queue "nobody"
                error[invalid-test] tests[0].steps[0]: test "t": a step has at most one input (send, digits, silence or http)
                error[invalid-test] tests[0].steps[0].at_node: test "t": node "nope" does not exist
                error[invalid-test] tests[1].end: test "u": node "gone" does not exist
            "##,
        ),
    ];
    let mut failures = String::new();
    let mut covered: Vec<&str> = Vec::new();
    for case in &cases {
        let actual = errors(&case.yaml);
        let expected = trim_indent(case.expect);
        if actual != expected {
            failures.push_str(&format!(
                "\n=== {}\n--- expected\n{expected}\n--- actual\n{actual}\n",
                case.code
            ));
        }
        if actual
            .lines()
            .any(|l| l.starts_with(&format!("error[{}]", case.code)))
        {
            covered.push(case.code);
        }
    }
    assert_eq!(failures, "", "diagnostics differ:{failures}");
    // `missing-audio` needs the tenant's recorded prompts, which only the application knows;
    // its tests are in `hotline`'s `prompts` module.
    let missing: Vec<&&str> = codes::ERRORS
        .iter()
        .filter(|c| !covered.contains(c) && **c != codes::MISSING_AUDIO)
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without a test: {missing:?}"
    );
}

#[test]
fn a_broken_flow_reports_every_problem_at_once() {
    let yaml = flow_yaml(
        "languages: [de, en]\nfallback: human",
        r#"
        - {id: start, type: say, text: {de: "Hallo"}, next: menu_main}
        - {id: menu_main, type: menu, prompt: {de: M, en: M}, options: [{digit: 1, label: {de: A, en: A}, next: faq}, {digit: 1, label: {de: B, en: B}, intent: book, next: ask_plz}]}
        - {id: ask_plz, type: ask, prompt: {de: P, en: P}, pattern: "([0-9]", next: loop1}
        - {id: loop1, type: say, text: {de: L, en: L}, next: loop2}
        - {id: loop2, type: split, branches: [{when: {open: office}, next: loop1}], default: human}
        - {id: human, type: enqueue, queue: q, timeout_secs: 10}
        - {id: Orphan, type: end}
        "#,
    );
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let all = check(&doc);
    let errors: Vec<_> = all
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let distinct: std::collections::BTreeSet<&str> = errors.iter().map(|d| d.code).collect();
    assert!(distinct.len() >= 5, "{}", lines(&errors));
    assert!(
        errors.iter().all(|d| d.node.is_some()),
        "every finding names its node"
    );
    let expected = trim_indent(
        r#"
        error[missing-text] nodes[0] (id "start").text: no text in "en" (the flow's languages are de, en)
        warning[bot-not-disclosed] nodes[1] (id "menu_main"): in "de" the caller gets here without being told they talk to a bot: say so in the first message (e.g. "I am the automated assistant of …")
        warning[bot-not-disclosed] nodes[1] (id "menu_main"): in "en" the caller gets here without being told they talk to a bot: say so in the first message (e.g. "I am the automated assistant of …")
        warning[menu-without-fallback] nodes[1] (id "menu_main"): this menu has no no_input or no_match branch: after the retries the caller is sent to the flow's fallback, or the conversation fails
        error[dangling-transition] nodes[1] (id "menu_main").options[0].next: node "faq" does not exist
        error[duplicate-digit] nodes[1] (id "menu_main").options[1].digit: the digit "1" is already used by options[0].digit
        error[unknown-intent] nodes[1] (id "menu_main").options[1].intent: the intent "book" is not declared in `intents` (declared: none)
        warning[menu-without-repeat] nodes[1] (id "menu_main").repeat: no repeat option: a caller who missed the choices cannot hear them again (add e.g. digit 9 or "repeat")
        warning[ask-without-fallback] nodes[2] (id "ask_plz"): this ask has no no_input or no_match branch: after the retries the caller is sent to the flow's fallback, or the conversation fails
        error[invalid-regex] nodes[2] (id "ask_plz").pattern: the pattern "([0-9]" does not compile: unclosed group
        error[loop-without-input] nodes[3] (id "loop1"): these nodes loop without ever waiting for the caller: loop1 → loop2 → loop1; put an ask or menu in the loop, or break it
        error[unknown-calendar] nodes[4] (id "loop2").branches[0].when.open: the calendar "office" is not declared in `calendars` (declared: none)
        error[missing-timeout-branch] nodes[5] (id "human").on_timeout: timeout_secs is set but on_timeout is missing: where does the caller go when nobody answers?
        error[unreachable-node] nodes[6] (id "Orphan"): no path from `start` or `fallback` leads here
        error[invalid-id] nodes[6] (id "Orphan").id: "Orphan" is not a node id: use 1 to 64 characters of a-z, 0-9, _ and -
        "#,
    );
    assert_eq!(lines(&all), expected, "\nactual:\n{}", lines(&all));
}

#[test]
fn a_huge_flow_is_checked_without_recursion_or_giant_messages() {
    // 15,000 say nodes in one loop, plus subflows and returns: a recursive analysis would
    // overflow the test thread's stack, a quadratic one would take minutes.
    let count = 15_000;
    let mut nodes = String::new();
    for i in 0..count {
        nodes.push_str(&format!(
            "- {{id: s{i}, type: say, text: b, next: s{}}}\n",
            (i + 1) % count
        ));
    }
    for i in 0..2_000 {
        nodes.push_str(&format!(
            "- {{id: f{i}, type: subflow, start: r{i}, next: s0}}\n- {{id: r{i}, type: return}}\n"
        ));
    }
    let mut yaml = flow_yaml("", &nodes);
    yaml = yaml.replace("start: s0", "start: s0\nfallback: f0");
    assert!(yaml.len() < 1 << 20, "{} bytes", yaml.len());
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let all = check(&doc);
    let loops: Vec<_> = all
        .iter()
        .filter(|d| d.code == codes::LOOP_WITHOUT_INPUT)
        .collect();
    assert_eq!(loops.len(), 1, "{}", lines(&loops));
    assert!(
        loops[0]
            .message
            .starts_with("these nodes loop without ever waiting for the caller: s0 → s1 → ")
    );
    assert!(loops[0].message.len() < 300, "{}", loops[0].message);
    // f1… are unreachable (only f0 is the fallback); their returns too.
    assert_eq!(
        all.iter()
            .filter(|d| d.code == codes::UNREACHABLE_NODE)
            .count(),
        2 * 1_999
    );
}
