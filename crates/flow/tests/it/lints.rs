//! The IVR design linter: a well-designed flow gets no warning, and each rule fires on a
//! minimal flow that breaks it (showing only that rule's warnings).

use flow::diagnostic::codes;
use flow::{Severity, check, lint, parse_yaml};

use crate::support::{flow_yaml, lines, trim_indent};

const GOOD_TOP: &str = "
    languages: [de, en]
    fallback: human
";

const GOOD: &str = r#"
    - {id: hello, type: say, text: {de: "Hallo, hier ist der Chatbot der Beratungsstelle.", en: "Hi, this is the counselling service's chatbot."}, next: menu}
    - {id: menu, type: menu, prompt: {de: "1 Info, 2 Beratung", en: "1 info, 2 counselling"}, repeat: {digit: 9}, no_input: human, no_match: human, options: [{digit: 1, label: {de: Info, en: Info}, next: ask}, {digit: 2, label: {de: Beratung, en: Counselling}, next: human}]}
    - {id: ask, type: ask, prompt: {de: "Worum geht es?", en: "What is it about?"}, save_as: topic, next: human, no_input: human, no_match: human}
    - {id: human, type: enqueue, queue: counselling, context: {topic: "{{topic}}"}}
"#;

#[test]
fn a_well_designed_flow_gets_no_diagnostic() {
    let doc = parse_yaml(&flow_yaml(GOOD_TOP, GOOD)).unwrap_or_else(|d| panic!("{}", lines(&d)));
    assert_eq!(lines(&check(&doc)), "");
}

/// The warnings with `code` that `lint` finds in a flow.
fn warnings(code: &str, yaml: &str) -> String {
    let doc = parse_yaml(yaml).unwrap_or_else(|d| panic!("{}\n{yaml}", lines(&d)));
    let all = lint(&doc);
    assert!(
        all.iter().all(|d| d.severity == Severity::Warning),
        "lint returns warnings only"
    );
    lines(
        &all.into_iter()
            .filter(|d| d.code == code)
            .collect::<Vec<_>>(),
    )
}

#[test]
fn one_flow_per_warning_code() {
    let say_bot = r#"- {id: hi, type: say, text: "I am a bot.", next: "#;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            codes::MENU_TOO_LONG,
            flow_yaml(
                "",
                &format!(
                    "{say_bot}m}}\n- {{id: m, type: menu, prompt: p, options: [{}]}}\n- {{id: h, type: enqueue, queue: q}}",
                    (1..=6).map(|d| format!("{{digit: {d}, label: o{d}, next: h}}")).collect::<Vec<_>>().join(", ")
                ),
            ),
            r#"warning[menu-too-long] nodes[1] (id "m").options: 6 options: callers remember at most 5; split the menu or let them say what they need"#,
        ),
        (
            codes::MENU_TOO_DEEP,
            flow_yaml(
                "",
                &format!(
                    "{say_bot}m1}}\n{}- {{id: h, type: enqueue, queue: q}}",
                    (1..=5)
                        .map(|i| format!(
                            "- {{id: m{i}, type: menu, prompt: p, options: [{{digit: 1, label: deeper, next: m{}}}, {{digit: 0, label: top, next: m1}}, {{digit: 2, label: human, next: h}}]}}\n",
                            if i == 5 { "h".to_owned() } else { (i + 1).to_string() }
                        ))
                        .collect::<String>()
                ),
            ),
            r#"warning[menu-too-deep] nodes[4] (id "m4"): this menu is nested 4 deep (m1 → m2 → m3 → m4); callers lose their way beyond 3 levels — flatten the menus"#,
        ),
        (
            codes::NO_PATH_TO_HUMAN,
            flow_yaml(
                "",
                &format!("{say_bot}q}}\n- {{id: q, type: ask, prompt: p, next: e, no_input: e, no_match: e}}\n- {{id: e, type: end}}"),
            ),
            r#"warning[no-path-to-human] nodes[1] (id "q"): no enqueue or transfer can be reached from here: a caller who needs a person is stuck with the bot"#,
        ),
        (
            codes::BOT_NOT_DISCLOSED,
            flow_yaml(
                "languages: [de, en]\ncalendars: {c: {time_zone: UTC}}",
                r#"
                - {id: s, type: split, branches: [{when: {open: c}, next: open}], default: closed}
                - {id: open, type: say, text: {de: "Hier ist der digitale Assistent.", en: "This is the digital assistant."}, next: h}
                - {id: closed, type: say, text: {de: "Wir haben geschlossen.", en: "We are closed; I am an automated assistant."}, next: q}
                - {id: q, type: ask, prompt: {de: Nachricht?, en: Message?}, next: h}
                - {id: h, type: enqueue, queue: q}
                "#,
            ),
            r#"warning[bot-not-disclosed] nodes[3] (id "q"): in "de" the caller gets here without being told they talk to a bot: say so in the first message (e.g. "I am the automated assistant of …")"#,
        ),
        (
            codes::ASK_WITHOUT_FALLBACK,
            flow_yaml("", &format!("{say_bot}q}}\n- {{id: q, type: ask, prompt: p, next: h, no_input: h}}\n- {{id: h, type: enqueue, queue: q}}")),
            r#"warning[ask-without-fallback] nodes[1] (id "q"): this ask has no no_match branch: after the retries the caller is sent to the flow's fallback, or the conversation fails"#,
        ),
        (
            codes::MENU_WITHOUT_REPEAT,
            flow_yaml("", &format!("{say_bot}m}}\n- {{id: m, type: menu, prompt: p, options: [{{label: a, next: h}}], no_input: h, no_match: h}}\n- {{id: h, type: enqueue, queue: q}}")),
            r#"warning[menu-without-repeat] nodes[1] (id "m").repeat: no repeat option: a caller who missed the choices cannot hear them again (add e.g. digit 9 or "repeat")"#,
        ),
        (
            codes::MENU_WITHOUT_FALLBACK,
            flow_yaml("", &format!("{say_bot}m}}\n- {{id: m, type: menu, prompt: p, options: [{{label: a, next: h}}], repeat: {{keywords: [again]}}}}\n- {{id: h, type: enqueue, queue: q}}")),
            r#"warning[menu-without-fallback] nodes[1] (id "m"): this menu has no no_input or no_match branch: after the retries the caller is sent to the flow's fallback, or the conversation fails"#,
        ),
    ];
    let mut failures = String::new();
    for (code, yaml, expect) in &cases {
        let actual = warnings(code, yaml);
        let expected = trim_indent(expect);
        if actual != expected {
            failures.push_str(&format!(
                "\n=== {code}\n--- expected\n{expected}\n--- actual\n{actual}\n"
            ));
        }
    }
    assert_eq!(failures, "", "warnings differ:{failures}");
    let missing: Vec<&&str> = codes::WARNINGS
        .iter()
        .filter(|c| !cases.iter().any(|(code, ..)| code == *c))
        .collect();
    assert!(
        missing.is_empty(),
        "warning codes without a test: {missing:?}"
    );
}

#[test]
fn lint_survives_broken_flows() {
    // Dangling transitions, duplicate ids and an unknown start: no analysis may trip.
    let yaml = flow_yaml(
        "fallback: nowhere",
        "- {id: a, type: menu, prompt: p, options: [{label: x, next: gone}]}\n- {id: a, type: ask, prompt: q, next: a}",
    )
    .replace("start: a", "start: missing");
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let all = check(&doc);
    assert!(
        all.iter().any(|d| d.code == codes::UNKNOWN_START),
        "{}",
        lines(&all)
    );
    assert!(
        all.iter().any(|d| d.code == codes::MENU_WITHOUT_REPEAT),
        "{}",
        lines(&all)
    );
}
