//! Every other node kind and branch, as transcripts: say, split, set, send_message,
//! http_request, enqueue, record, transfer, end, subflow/return, hang-up, the runaway guard.

use crate::support::{Case, compile, flow_yaml, run_script, run_table, trim_indent};

#[test]
fn say_and_languages() {
    let nodes = r#"
        - {id: a, type: say, text: {en: "Hello {{name}}", de: "Hallo {{name}}"}, voice: anna, next: b}
        - {id: b, type: say, audio: beep.wav, next: c}
        - {id: c, type: end}
    "#;
    let top = "languages: [en, de]";
    run_table(&[
        Case {
            name: "say renders, with voice and audio, in the conversation's language",
            top,
            nodes,
            script: "start voice de name=Alex",
            expect: r#"
                > start voice de name=Alex
                  say "Hallo Alex" voice=anna
                  say "" audio=beep.wav
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "an unknown language falls back to the flow's",
            top,
            nodes,
            script: "start chat fr",
            expect: r#"
                > start chat fr
                  say "Hello " voice=anna
                  say "" audio=beep.wav
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "start at an entry node; an unknown entry fails",
            top,
            nodes,
            script: "start entry=b",
            expect: r#"
                > start entry=b
                  say "" audio=beep.wav
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "an unknown entry fails; inputs before the start are ignored",
            top,
            nodes,
            script: "
                text hello
                start entry=nope",
            expect: r#"
                > text hello
                  = not started
                > start entry=nope
                  end failed
                  = ended failed"#,
        },
    ]);
}

const SPLIT_INTENT: &str = r#"
    - {id: q, type: ask, prompt: "How are you?", next: s}
    - {id: s, type: split, branches: [{when: {intent: crisis}, next: urgent}, {when: {regex: {pattern: "^(?i)gut"}}, next: fine}, {when: {regex: {var: mood, pattern: "^ok$"}}, next: fine}], default: other}
    - {id: urgent, type: end, text: "urgent"}
    - {id: fine, type: end, text: "fine"}
    - {id: other, type: end, text: "other"}
"#;
const SPLIT_INTENT_TOP: &str =
    r#"intents: {crisis: {keywords: [suizid], patterns: ["nicht mehr leben"]}}"#;

const COMPARE: &str = r#"
    - {id: s1, type: split, branches: [{when: {compare: {var: age, op: lt, value: 18}}, next: y1}], default: s2}
    - {id: y1, type: say, text: lt, next: s2}
    - {id: s2, type: split, branches: [{when: {compare: {var: age, op: gt, value: "65"}}, next: y2}], default: s3}
    - {id: y2, type: say, text: gt, next: s3}
    - {id: s3, type: split, branches: [{when: {compare: {var: name, op: eq, value: "{{expected}}"}}, next: y3}], default: s4}
    - {id: y3, type: say, text: eq, next: s4}
    - {id: s4, type: split, branches: [{when: {compare: {var: name, op: ne, value: Bob}}, next: y4}], default: s5}
    - {id: y4, type: say, text: ne, next: s5}
    - {id: s5, type: split, branches: [{when: {compare: {var: topic, op: contains, value: SUCHT}}, next: y5}], default: s6}
    - {id: y5, type: say, text: contains, next: s6}
    - {id: s6, type: split, branches: [{when: {compare: {var: missing, op: exists}}, next: y6}, {when: {compare: {var: name, op: exists}}, next: y7}], default: done}
    - {id: y6, type: say, text: exists missing, next: done}
    - {id: y7, type: say, text: exists name, next: done}
    - {id: done, type: end}
"#;

#[test]
fn split_on_intent_regex_and_compare() {
    run_table(&[
        Case {
            name: "intent (pattern, case-insensitive)",
            top: SPLIT_INTENT_TOP,
            nodes: SPLIT_INTENT,
            script: "
                start
                text Ich will NICHT MEHR LEBEN",
            expect: r#"
                > start
                  say "How are you?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text Ich will NICHT MEHR LEBEN
                  cancel 1
                  say "urgent"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "regex on the last input",
            top: SPLIT_INTENT_TOP,
            nodes: SPLIT_INTENT,
            script: "
                start
                text Gut, danke",
            expect: r#"
                > start
                  say "How are you?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text Gut, danke
                  cancel 1
                  say "fine"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "regex on a variable, then default",
            top: SPLIT_INTENT_TOP,
            nodes: SPLIT_INTENT,
            script: "
                start mood=ok
                text hm
                ",
            expect: r#"
                > start mood=ok
                  say "How are you?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text hm
                  cancel 1
                  say "fine"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "no branch holds: default",
            top: SPLIT_INTENT_TOP,
            nodes: SPLIT_INTENT,
            script: "
                start
                text hm",
            expect: r#"
                > start
                  say "How are you?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text hm
                  cancel 1
                  say "other"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "compare: lt, eq (templated value), ne, contains, exists",
            top: "",
            nodes: COMPARE,
            script: "start age=17 name=Alex expected=Alex topic=Spielsucht",
            expect: r#"
                > start age=17 name=Alex expected=Alex topic=Spielsucht
                  say "lt"
                  say "eq"
                  say "ne"
                  say "contains"
                  say "exists name"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "compare: gt; eq and ne fail; not a number compares false",
            top: "",
            nodes: COMPARE,
            script: "start age=70 name=Bob",
            expect: r#"
                > start age=70 name=Bob
                  say "gt"
                  say "exists name"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "compare: a text is neither less nor greater; two unset values are equal",
            top: "",
            nodes: COMPARE,
            script: "start age=old",
            expect: r#"
                > start age=old
                  say "eq"
                  say "ne"
                  end completed
                  = ended completed"#,
        },
    ]);
}

const CALENDAR_TOP: &str = r#"
    calendars:
      office:
        time_zone: Europe/Berlin
        hours: {mon: ["08:00-17:00"], tue: ["08:00-12:00", "13:00-17:00"], fri: ["08:00-17:00"]}
        holidays: ["2026-01-06"]
"#;
const CALENDAR: &str = r#"
    - {id: s, type: split, branches: [{when: {open: office}, next: open}], default: closed}
    - {id: open, type: end, text: open}
    - {id: closed, type: end, text: closed}
"#;

#[test]
fn split_on_business_hours() {
    let case = |name, script, answer: &str| Case {
        name,
        top: CALENDAR_TOP,
        nodes: CALENDAR,
        script,
        expect: Box::leak(
            format!("> start\n  say {answer:?}\n  end completed\n  = ended completed")
                .into_boxed_str(),
        ),
    };
    run_table(&[
        // Monday 2026-01-05, Berlin is UTC+1 in winter.
        case(
            "one minute before opening",
            "@2026-01-05T06:59:00Z start",
            "closed",
        ),
        case("at opening", "@2026-01-05T07:00:00Z start", "open"),
        case("at closing", "@2026-01-05T16:00:00Z start", "closed"),
        case(
            "Tuesday lunch break",
            "@2026-01-13T11:30:00Z start",
            "closed",
        ),
        case("Tuesday afternoon", "@2026-01-13T12:30:00Z start", "open"),
        case(
            "holiday (Tuesday 6 January)",
            "@2026-01-06T09:00:00Z start",
            "closed",
        ),
        case("weekend", "@2026-01-10T09:00:00Z start", "closed"),
        // Daylight saving starts on Sunday 2026-03-29: 06:30 UTC is 07:30 local on the Friday
        // before, and 08:30 local on the Monday after.
        case(
            "Friday before the change, 07:30 local",
            "@2026-03-27T06:30:00Z start",
            "closed",
        ),
        case(
            "Monday after the change, 08:30 local",
            "@2026-03-30T06:30:00Z start",
            "open",
        ),
        case(
            "Monday after the change, 17:00 local",
            "@2026-03-30T15:00:00Z start",
            "closed",
        ),
    ]);
}

#[test]
fn set_send_message_and_end() {
    run_table(&[Case {
        name: "set renders templates (language, channel, numbers) before assigning",
        top: "variables: {phone: 0800 111 0 111, count: 3}",
        nodes: r#"
            - {id: a, type: set, values: {greeting: "Hi {{name}}", lang: "{{language}}/{{channel}}", count: 4, old: "{{count}}"}, next: b}
            - {id: b, type: say, text: "{{greeting}} {{lang}} {{old}}->{{count}} {{ nothing }}!", next: c}
            - {id: c, type: send_message, text: "Call {{phone}}", channel: sms, next: d}
            - {id: d, type: send_message, text: "Bye", next: e}
            - {id: e, type: end, text: "Take care"}
        "#,
        script: "
            start voice name=Alex
            ?vars",
        expect: r#"
            > start voice name=Alex
              say "Hi Alex en/voice 3->4 !"
              send sms "Call 0800 111 0 111"
              send same "Bye"
              say "Take care"
              end completed
              = ended completed
            ? vars count=4, greeting=Hi Alex, lang=en/voice, name=Alex, old=3, phone=0800 111 0 111"#,
    }]);
}

const HTTP_TOP: &str = r#"variables: {crm: "https://crm.example/api", token: abc}"#;
const HTTP: &str = r#"
    - {id: h, type: http_request, method: GET, url: "{{crm}}/contacts?phone={{phone}}", headers: {Authorization: "Bearer {{token}}"}, timeout_secs: 3, save: {cname: /name, visits: /visits, vip: /vip, tags: /tags, gone: /nope}, next: ok, on_error: err}
    - {id: ok, type: say, text: "Hello {{cname}} ({{visits}}, {{vip}}, {{tags}}{{gone}})", next: done}
    - {id: err, type: say, text: "No data.", next: done}
    - {id: done, type: end}
"#;
const HTTP_START: &str = r#"
    > start phone=+49&30
      http 1 GET https://crm.example/api/contacts?phone=%2B49%2630 timeout=3000 Authorization:Bearer abc
      = http h request=1"#;

#[test]
fn http_request() {
    let case = |name, script, rest: &str| Case {
        name,
        top: HTTP_TOP,
        nodes: HTTP,
        script,
        expect: Box::leak(
            format!("{}\n{}", trim_indent(HTTP_START), trim_indent(rest)).into_boxed_str(),
        ),
    };
    run_table(&[
        case(
            "2xx saves JSON values as text",
            r#"
            start phone=+49&30
            http 1 200 {"name": "Alex", "visits": 3, "vip": true, "tags": ["a"]}"#,
            r#"
            > http 1 200 {"name": "Alex", "visits": 3, "vip": true, "tags": ["a"]}
              say "Hello Alex (3, true, [\"a\"])"
              end completed
              = ended completed"#,
        ),
        case(
            "error status",
            "
            start phone=+49&30
            http 1 500 oops",
            r#"
            > http 1 500 oops
              say "No data."
              end completed
              = ended completed"#,
        ),
        case(
            "status 0 (timeout) is an error; a stale result is ignored",
            "
            start phone=+49&30
            http 7 200 {}
            text hello?
            http 1 0",
            r#"
            > http 7 200 {}
              = http h request=1
            > text hello?
              = http h request=1
            > http 1 0
              say "No data."
              end completed
              = ended completed"#,
        ),
        case(
            "a 2xx body that is no JSON cannot be saved: error",
            "
            start phone=+49&30
            http 1 204",
            r#"
            > http 1 204
              say "No data."
              end completed
              = ended completed"#,
        ),
    ]);
    run_table(&[Case {
        name: "a JSON body escapes what the caller said",
        top: "",
        nodes: r#"
            - {id: q, type: ask, prompt: "Note?", save_as: note, next: h}
            - {id: h, type: http_request, method: POST, url: "https://crm.example/notes", body: '{"note": "{{note}}"}', next: done, on_error: done}
            - {id: done, type: end}
        "#,
        script: r#"
            start
            text say "hi"\ and go
            http 2 201"#,
        expect: r#"
            > start
              say "Note?"
              gather digits,speech,text
              timer 1 @+10000
              = input q timer=1
            > text say "hi"\ and go
              cancel 1
              http 2 POST https://crm.example/notes timeout=5000 body={"note": "say \"hi\"\\ and go"}
              = http h request=2
            > http 2 201
              end completed
              = ended completed"#,
    }]);
}

#[test]
fn enqueue() {
    run_table(&[
        Case {
            name: "without timeout: waits; texts are kept, timers and a second start ignored; hang-up ends",
            top: "",
            nodes: r#"
                - {id: q, type: enqueue, queue: counselling, priority: 5, text: "Please wait", context: {topic: "{{topic}}", lang: "{{language}}"}}
            "#,
            script: "
                start topic=debt
                text are you there?
                timer 1
                start voice
                ?vars
                hangup",
            expect: r#"
                > start topic=debt
                  say "Please wait"
                  enqueue counselling p=5 {lang=en, topic=debt}
                  = queue counselling
                > text are you there?
                  = queue counselling
                > timer 1
                  = queue counselling
                > start voice
                  = queue counselling
                ? vars last_input=are you there?, topic=debt
                > hangup
                  end hangup
                  = ended hangup"#,
        },
        Case {
            name: "with timeout: leaves the queue and goes on",
            top: "",
            nodes: r#"
                - {id: q, type: enqueue, queue: counselling, timeout_secs: 60, on_timeout: busy}
                - {id: busy, type: end, text: "All lines are busy."}
            "#,
            script: "
                start
                @+30000 timer 2
                @+60000 timer 1",
            expect: r#"
                > start
                  enqueue counselling p=0
                  timer 1 @+60000
                  = queue counselling timer=1
                > timer 2
                  = queue counselling timer=1
                > timer 1
                  leave counselling
                  say "All lines are busy."
                  end completed
                  = ended completed"#,
        },
    ]);
}

const RECORD: &str = r#"
    - {id: r, type: record, prompt: "Speak after the tone", max_secs: 60, save_as: msg, next: thanks, no_input: nothing}
    - {id: thanks, type: end, text: "Saved: {{msg}}"}
    - {id: nothing, type: end, text: "Nothing recorded"}
"#;

#[test]
fn record() {
    run_table(&[
        Case {
            name: "voice: the recording's reference is saved; text is ignored",
            top: "",
            nodes: RECORD,
            script: "
                start voice
                text hello
                recording rec-123",
            expect: r#"
                > start voice
                  say "Speak after the tone"
                  record 60
                  = recording r
                > text hello
                  = recording r
                > recording rec-123
                  say "Saved: rec-123"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "voice: nothing recorded",
            top: "",
            nodes: RECORD,
            script: "
                start voice
                recording",
            expect: r#"
                > start voice
                  say "Speak after the tone"
                  record 60
                  = recording r
                > recording
                  say "Nothing recorded"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "chat: the next message is the recording",
            top: "",
            nodes: RECORD,
            script: "
                start chat
                text I am not well",
            expect: r#"
                > start chat
                  say "Speak after the tone"
                  record 60
                  = recording r
                > text I am not well
                  say "Saved: I am not well"
                  end completed
                  = ended completed"#,
        },
    ]);
}

const TRANSFER: &str = r#"
    - {id: t, type: transfer, to: "{{hotline}}", text: "Connecting you", on_failure: failed}
    - {id: failed, type: end, text: "Transfer failed"}
"#;

#[test]
fn transfer() {
    run_table(&[
        Case {
            name: "voice: transfers and waits; the caller's hang-up ends it as transferred",
            top: "",
            nodes: TRANSFER,
            script: "
                start voice hotline=+498001110111
                hangup",
            expect: r#"
                > start voice hotline=+498001110111
                  say "Connecting you"
                  transfer +498001110111
                  = transfer t
                > hangup
                  end transferred
                  = ended transferred"#,
        },
        Case {
            name: "voice: a failed transfer takes on_failure",
            top: "",
            nodes: TRANSFER,
            script: "
                start voice hotline=+498001110111
                transfer-failed",
            expect: r#"
                > start voice hotline=+498001110111
                  say "Connecting you"
                  transfer +498001110111
                  = transfer t
                > transfer-failed
                  say "Transfer failed"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "chat cannot transfer: on_failure at once",
            top: "",
            nodes: TRANSFER,
            script: "start chat",
            expect: r#"
                > start chat
                  say "Transfer failed"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "chat, no on_failure, no fallback: failed",
            top: "",
            nodes: r#"- {id: t, type: transfer, to: "+49800"}"#,
            script: "start sms",
            expect: r#"
                > start sms
                  end failed
                  = ended failed"#,
        },
    ]);
}

#[test]
fn subflow_and_return() {
    run_table(&[Case {
        name: "a subflow runs twice and returns each time",
        top: "",
        nodes: r#"
            - {id: main, type: subflow, start: greet, next: again}
            - {id: again, type: subflow, start: greet, next: bye}
            - {id: bye, type: end, text: "bye"}
            - {id: greet, type: ask, prompt: "Name?", save_as: name, next: thanks}
            - {id: thanks, type: say, text: "Thanks {{name}}", next: back}
            - {id: back, type: return}
        "#,
        script: "
            start
            text A
            text B",
        expect: r#"
            > start
              say "Name?"
              gather digits,speech,text
              timer 1 @+10000
              = input greet timer=1
            > text A
              cancel 1
              say "Thanks A"
              say "Name?"
              gather digits,speech,text
              timer 2 @+10000
              = input greet timer=2
            > text B
              cancel 2
              say "Thanks B"
              say "bye"
              end completed
              = ended completed"#,
    }]);
}

#[test]
fn runaway_guard_stops_after_max_steps() {
    // A chain longer than the per-input limit (no loop, so validation accepts it).
    let count = flow::MAX_STEPS_PER_INPUT + 10;
    let mut nodes = String::new();
    for i in 0..count {
        nodes.push_str(&format!(
            "- {{id: n{i}, type: say, text: '{i}', next: n{}}}\n",
            i + 1
        ));
    }
    nodes.push_str(&format!("- {{id: n{count}, type: end}}\n"));
    let flow = compile(&flow_yaml("", &nodes));
    let transcript = run_script(&flow, "start");
    let says = transcript
        .lines()
        .filter(|l| l.trim_start().starts_with("say "))
        .count();
    assert_eq!(says, flow::MAX_STEPS_PER_INPUT, "{transcript}");
    assert!(
        transcript.ends_with("  end failed\n  = ended failed"),
        "{transcript}"
    );
}

#[test]
fn hand_over() {
    let ask = r#"
        - {id: m, type: ask, prompt: "Your name?", save_as: name, next: one}
        - {id: one, type: end, text: "One."}
        - {id: human, type: enqueue, queue: counselling, priority: 3, text: "Connecting you."}
    "#;
    run_table(&[
        Case {
            name: "to the fallback when it is an enqueue node, cancelling the input timer",
            top: "fallback: human",
            nodes: ask,
            script: "
                start
                handover crisis default
                ?vars
                handover crisis default",
            expect: r#"
                > start
                  say "Your name?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input m timer=1
                > handover crisis default
                  cancel 1
                  say "Connecting you."
                  enqueue counselling p=3
                  = queue counselling
                ? vars handover.reason=crisis
                > handover crisis default
                  = queue counselling"#,
        },
        Case {
            name: "without an enqueue fallback: queued in the given queue; ignored before the start and after the end",
            top: "fallback: one",
            nodes: r#"
                - {id: m, type: ask, prompt: "Your name?", save_as: name, next: one}
                - {id: one, type: end, text: "One."}
            "#,
            script: "
                handover asked_for_human beratung
                start
                handover asked_for_human beratung
                hangup
                handover crisis beratung",
            expect: r#"
                > handover asked_for_human beratung
                  = not started
                > start
                  say "Your name?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input m timer=1
                > handover asked_for_human beratung
                  cancel 1
                  enqueue beratung p=0 {handover.reason=asked_for_human}
                  = queue beratung
                > hangup
                  end hangup
                  = ended hangup
                > handover crisis beratung
                  = ended hangup"#,
        },
    ]);
}
