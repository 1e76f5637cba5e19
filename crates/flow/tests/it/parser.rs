//! The parser: syntax errors with line and column, every broken node at once, wrong types,
//! unknown types and fields, the size limit, and lenient YAML scalars.

use flow::{FlowDocument, Node, parse_auto, parse_json, parse_yaml};

use crate::support::{flow_yaml, lines, trim_indent};

fn diags(result: Result<FlowDocument, Vec<flow::Diagnostic>>) -> String {
    match result {
        Ok(doc) => format!("parsed: {} nodes", doc.nodes.len()),
        Err(d) => lines(&d),
    }
}

#[track_caller]
fn check(result: Result<FlowDocument, Vec<flow::Diagnostic>>, expect: &str) {
    let actual = diags(result);
    assert_eq!(actual, trim_indent(expect), "\nactual:\n{actual}");
}

#[test]
fn syntax_errors_have_line_and_column() {
    check(
        parse_yaml("flow: 1\nnodes:\n  - {id: a, type: say\n  - x"),
        "error[parse]: invalid YAML: did not find expected ',' or '}' at line 5 column 1, while parsing a flow mapping at line 3 column 5",
    );
    check(
        parse_yaml("flow: 1\nid: t\n  name: x\n"),
        "error[parse]: invalid YAML: mapping values are not allowed in this context at line 3 column 7",
    );
    check(
        parse_json("{\n  \"flow\": 1,\n  \"nodes\": [,]\n}"),
        "error[parse]: invalid JSON: expected value at line 3 column 13",
    );
}

#[test]
fn documents_that_are_not_mappings() {
    check(
        parse_yaml(""),
        "error[parse]: a flow must be a mapping with the keys flow, id, name, language, start and nodes, not nothing (null)",
    );
    check(
        parse_yaml("- a\n- b"),
        "error[parse]: a flow must be a mapping with the keys flow, id, name, language, start and nodes, not a list",
    );
    check(
        parse_json("42"),
        "error[parse]: a flow must be a mapping with the keys flow, id, name, language, start and nodes, not a number",
    );
}

#[test]
fn every_broken_node_and_top_level_field_is_reported() {
    let yaml = trim_indent(
        r#"
        flow: one
        id: t
        language: en
        languages: en
        start: a
        colour: blue
        intents: {book: {keywords: [x], examples: 3}}
        calendars: {office: {time_zone: UTC, hour: {}}}
        nodes:
          - {id: a, type: say, text: hi, next: b}
          - {id: b, type: shout, text: hi}
          - {id: c, type: ask, prompt: q, timeout_secs: ten, next: a}
          - {id: d, type: menu, prompt: p, options: [{label: x}]}
          - {type: end}
          - just text
          - {id: e, type: end, text: bye, extra: 1}
        tests: [{name: t1, steps: [{send: hi, wait: 3}]}, {name: t2, channel: fax, steps: []}]
        "#,
    );
    check(
        parse_yaml(&yaml),
        r#"
        error[parse] calendars.office: unknown field `hour`, expected one of `time_zone`, `hours`, `holidays`
        error[parse] colour: unknown field `colour`, expected one of flow, id, name, language, languages, start, fallback, variables, intents, calendars, nodes, tests
        error[parse] flow: invalid type: string "one", expected u32
        error[parse] intents.book: invalid type: integer `3`, expected a map
        error[parse] languages: invalid type: string "en", expected a sequence
        error[parse] name: missing field `name`
        error[parse] nodes[1] (id "b"): unknown variant `shout`, expected one of `say`, `ask`, `menu`, `split`, `set`, `send_message`, `http_request`, `enqueue`, `record`, `transfer`, `end`, `subflow`, `return`
        error[parse] nodes[2] (id "c"): invalid type: string "ten", expected u32
        error[parse] nodes[3] (id "d"): missing field `next`
        error[parse] nodes[4]: missing field `id`
        error[parse] nodes[5]: expected a node (a mapping), not a string
        error[parse] nodes[6] (id "e"): unknown field `extra`, expected `id` or `text`
        error[parse] tests[0]: test "t1": unknown field `wait`, expected one of `send`, `digits`, `silence`, `http`, `expect`, `reject`, `at_node`
        error[parse] tests[1]: test "t2": unknown variant `fax`, expected one of `chat`, `voice`, `sms`, `whatsapp`"#,
    );
}

#[test]
fn a_node_list_of_the_wrong_type() {
    let yaml = flow_yaml("", "").replace("nodes:\n", "nodes: 5\n");
    check(
        parse_yaml(&yaml),
        "error[parse] nodes: expected a list, not a number",
    );
    let yaml = flow_yaml("", "- {id: a, type: end}").replace("flow: 1", "flow: 3");
    let yaml = yaml.replace("type: end", "type: hangup");
    check(
        parse_yaml(&yaml),
        r#"
        error[format-version] flow: format version 3 is not supported; this Hotline reads version 1
        error[parse] nodes[0] (id "a"): unknown variant `hangup`, expected one of `say`, `ask`, `menu`, `split`, `set`, `send_message`, `http_request`, `enqueue`, `record`, `transfer`, `end`, `subflow`, `return`"#,
    );
}

#[test]
fn documents_over_one_mebibyte_are_refused() {
    let mut yaml = flow_yaml("", "- {id: a, type: end}");
    yaml.push_str(&format!("# {}\n", "x".repeat(2 * 1024 * 1024)));
    check(
        parse_yaml(&yaml),
        "error[parse]: the document has 2097231 bytes; flows are limited to 1 MiB (1048576 bytes)",
    );
    check(
        parse_json(&yaml),
        "error[parse]: the document has 2097231 bytes; flows are limited to 1 MiB (1048576 bytes)",
    );
}

#[test]
fn hostile_yaml_fails_cleanly() {
    // Exponential aliases ("billion laughs") and deep nesting.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(
        diags(parse_yaml(&bomb))
            .starts_with("error[parse]: invalid YAML: repetition limit exceeded")
    );
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(
        diags(parse_yaml(&deep))
            .starts_with("error[parse]: invalid YAML: recursion limit exceeded")
    );
    assert!(
        diags(parse_json(&deep))
            .starts_with("error[parse]: invalid JSON: recursion limit exceeded")
    );
}

#[test]
fn yaml_scalars_are_read_leniently() {
    let yaml = flow_yaml(
        "variables: {count: 3, ratio: 0.5, on: true}",
        "- {id: m, type: menu, prompt: p, options: [{digit: 1, label: one, next: s}], repeat: {digit: 9}}\n- {id: s, type: set, values: {n: 4}, next: x}\n- {id: x, type: split, branches: [{when: {compare: {var: n, op: gt, value: 3}}, next: e}], default: e}\n- {id: e, type: end}",
    );
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    assert_eq!(doc.variables["count"], "3");
    assert_eq!(doc.variables["ratio"], "0.5");
    assert_eq!(doc.variables["on"], "true");
    let Node::Menu(menu) = &doc.nodes[0] else {
        panic!("a menu")
    };
    assert_eq!(menu.options[0].digit.as_deref(), Some("1"));
    assert_eq!(
        menu.repeat.as_ref().and_then(|r| r.digit.as_deref()),
        Some("9")
    );
    let Node::Set(set) = &doc.nodes[1] else {
        panic!("a set")
    };
    assert_eq!(set.values["n"], "4");
    // Objects are still refused where text belongs.
    let bad = yaml.replace("count: 3", "count: {a: 1}");
    check(
        parse_yaml(&bad),
        "error[parse] variables: invalid type: map, expected a string, number or boolean",
    );
}

#[test]
fn format_detection_and_round_trips() {
    let yaml = flow_yaml(
        "languages: [en, de]",
        "- {id: a, type: say, text: {en: Hi, de: Hallo}, next: b}\n- {id: b, type: end}",
    );
    let doc = parse_yaml(&yaml).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let yaml_again = serde_norway::to_string(&doc).unwrap_or_default();
    assert_eq!(parse_json(&json).as_ref(), Ok(&doc));
    assert_eq!(parse_auto(&json, None).as_ref(), Ok(&doc));
    assert_eq!(parse_auto(&json, Some("flow.JSON")).as_ref(), Ok(&doc));
    assert_eq!(
        parse_auto(&yaml_again, Some("flows/crisis.yml")).as_ref(),
        Ok(&doc)
    );
    assert_eq!(parse_auto(&yaml, Some("crisis.yaml")).as_ref(), Ok(&doc));
    assert_eq!(parse_auto(&yaml, None).as_ref(), Ok(&doc));
    // The extension wins over the content.
    assert!(diags(parse_auto(&yaml, Some("flow.json"))).starts_with("error[parse]: invalid JSON"));
}
