//! The nodes that wait for the caller, `ask` and `menu`: every branch, as transcripts.

use crate::support::{Case, run_table};

const ASK: &str = r#"
    - {id: q, type: ask, prompt: "Your postcode?", pattern: "^[0-9]{5}$", save_as: plz, retries: 1, next: ok, no_match: nm, no_input: ni}
    - {id: ok, type: end, text: "Got {{plz}}"}
    - {id: nm, type: end, text: "no match"}
    - {id: ni, type: end, text: "no input"}
"#;

#[test]
fn ask() {
    run_table(&[
        Case {
            name: "valid answer is saved and leads on",
            top: "",
            nodes: ASK,
            script: "
                start
                text  10115 ",
            expect: r#"
                > start
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text  10115
                  cancel 1
                  say "Got 10115"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "a greeting is greeted back and asked again, without counting as an attempt",
            top: "",
            nodes: ASK,
            script: "
                start
                text Hallo!
                text abc
                text 10115",
            expect: r#"
                > start
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text Hallo!
                  cancel 1
                  say "Hello, good to have you here."
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 2 @+10000
                  = input q timer=2
                > text abc
                  cancel 2
                  say "Sorry, I did not understand."
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 3 @+10000
                  = input q timer=3
                > text 10115
                  cancel 3
                  say "Got 10115"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "pattern mismatch retries, then takes no_match",
            top: "",
            nodes: ASK,
            script: "
                start
                text abc
                text 1234",
            expect: r#"
                > start
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text abc
                  cancel 1
                  say "Sorry, I did not understand."
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 2 @+10000
                  = input q timer=2
                > text 1234
                  cancel 2
                  say "no match"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "no input retries, then takes no_input; stale timers are ignored",
            top: "",
            nodes: ASK,
            script: "
                start
                @+10000 timer 1
                @+11000 timer 1
                @+20000 timer 2",
            expect: r#"
                > start
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > timer 1
                  say "I did not hear anything."
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 2 @+10000
                  = input q timer=2
                > timer 1
                  = input q timer=2
                > timer 2
                  say "no input"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "missing no_match goes to the fallback",
            top: "fallback: fb",
            nodes: r#"
                - {id: q, type: ask, prompt: "Name?", pattern: "^[A-Z]", retries: 0, next: ok}
                - {id: ok, type: end}
                - {id: fb, type: enqueue, queue: humans}
            "#,
            script: "
                start
                text alex",
            expect: r#"
                > start
                  say "Name?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > text alex
                  cancel 1
                  enqueue humans p=0
                  = queue humans"#,
        },
        Case {
            name: "missing no_input without fallback ends as failed",
            top: "",
            nodes: r#"
                - {id: q, type: ask, prompt: "Name?", retries: 0, timeout_secs: 5, next: ok}
                - {id: ok, type: end}
            "#,
            script: "
                start
                @+5000 timer 1",
            expect: r#"
                > start
                  say "Name?"
                  gather digits,speech,text
                  timer 1 @+5000
                  = input q timer=1
                > timer 1
                  end failed
                  = ended failed"#,
        },
        Case {
            name: "num_digits: wrong length is no match, right length passes, typed digits count",
            top: "",
            nodes: r#"
                - {id: q, type: ask, prompt: "PIN?", input: [digits], num_digits: 4, save_as: pin, next: a}
                - {id: a, type: ask, prompt: "Again?", input: [digits], num_digits: 4, save_as: pin2, next: ok}
                - {id: ok, type: end, text: "{{pin}} {{pin2}}"}
            "#,
            script: "
                start voice
                digits 123
                digits 1234
                text 98765
                text 9876",
            expect: r#"
                > start voice
                  say "PIN?"
                  gather digits n=4
                  timer 1 @+10000
                  = input q timer=1
                > digits 123
                  cancel 1
                  say "Sorry, I did not understand."
                  say "PIN?"
                  gather digits n=4
                  timer 2 @+10000
                  = input q timer=2
                > digits 1234
                  cancel 2
                  say "Again?"
                  gather digits n=4
                  timer 3 @+10000
                  = input a timer=3
                > text 98765
                  cancel 3
                  say "Sorry, I did not understand."
                  say "Again?"
                  gather digits n=4
                  timer 4 @+10000
                  = input a timer=4
                > text 9876
                  cancel 4
                  say "1234 9876"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "finish_on_key ends digit input early; the key alone is no match",
            top: "",
            nodes: r##"
                - {id: q, type: ask, prompt: "Number, then hash", input: [digits], num_digits: 6, finish_on_key: "#", save_as: n, next: ok}
                - {id: ok, type: end, text: "n={{n}}"}
            "##,
            script: "
                start voice
                digits #
                digits 42#",
            expect: r#"
                > start voice
                  say "Number, then hash"
                  gather digits n=6 finish=#
                  timer 1 @+10000
                  = input q timer=1
                > digits #
                  cancel 1
                  say "Sorry, I did not understand."
                  say "Number, then hash"
                  gather digits n=6 finish=#
                  timer 2 @+10000
                  = input q timer=2
                > digits 42#
                  cancel 2
                  say "n=42"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "speech with low confidence is no match (in German)",
            top: "languages: [en, de]",
            nodes: r#"
                - {id: q, type: ask, prompt: {en: "Your name?", de: "Ihr Name?"}, input: [speech], save_as: name, next: ok}
                - {id: ok, type: end, text: {en: "Hi {{name}}", de: "Hallo {{name}}"}}
            "#,
            script: "
                start voice de
                speech 0.2 Alex
                speech 0.8 Alex",
            expect: r#"
                > start voice de
                  say "Ihr Name?"
                  gather speech
                  timer 1 @+10000
                  = input q timer=1
                > speech 0.2 Alex
                  cancel 1
                  say "Entschuldigung, das habe ich nicht verstanden."
                  say "Ihr Name?"
                  gather speech
                  timer 2 @+10000
                  = input q timer=2
                > speech 0.8 Alex
                  cancel 2
                  say "Hallo Alex"
                  end completed
                  = ended completed"#,
        },
        Case {
            name: "hang-up while asking cancels the timer",
            top: "",
            nodes: ASK,
            script: "
                start
                hangup
                text 10115",
            expect: r#"
                > start
                  say "Your postcode?"
                  gather digits,speech,text
                  timer 1 @+10000
                  = input q timer=1
                > hangup
                  cancel 1
                  end hangup
                  = ended hangup
                > text 10115
                  = ended hangup"#,
        },
    ]);
}

const MENU_TOP: &str = "intents: {human: {keywords: [person, mensch]}}";

const MENU: &str = r#"
    - {id: m, type: menu, prompt: "1 for info, 2 for a counsellor", retries: 1, no_input: ni, no_match: nm, repeat: {digit: 9, keywords: [repeat, nochmal]}, options: [{digit: 1, label: Info, keywords: [information, "öffnungszeiten"], next: info}, {digit: 2, label: Counsellor, intent: human, next: human}]}
    - {id: info, type: end, text: "info"}
    - {id: human, type: enqueue, queue: counselling}
    - {id: ni, type: end, text: "no input"}
    - {id: nm, type: end, text: "no match"}
"#;

const MENU_PROMPT: &str = r#"say "1 for info, 2 for a counsellor" [1=Info, 2=Counsellor]"#;

#[test]
fn menu() {
    let case = |name, script, expect| Case {
        name,
        top: MENU_TOP,
        nodes: MENU,
        script,
        expect,
    };
    let cases = [
        case(
            "digit",
            "
            start voice
            digits 1",
            r#"
            > start voice
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > digits 1
              cancel 1
              say "info"
              end completed
              = ended completed"#,
        ),
        case(
            "a greeting in dialect is greeted back and the options offered again",
            "
            start
            text Grüß Gott!
            digits 1",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > text Grüß Gott!
              cancel 1
              say "Hello, good to have you here."
              PROMPT
              gather digits,speech,text n=1
              timer 2 @+10000
              = input m timer=2
            > digits 1
              cancel 2
              say "info"
              end completed
              = ended completed"#,
        ),
        case(
            "keyword, whole word and umlaut-folded",
            "
            start
            text Wann sind eure Oeffnungszeiten?",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > text Wann sind eure Oeffnungszeiten?
              cancel 1
              say "info"
              end completed
              = ended completed"#,
        ),
        case(
            "intent from the matcher; a chat button sends the digit",
            "
            start
            text I need a real person",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > text I need a real person
              cancel 1
              enqueue counselling p=0
              = queue counselling"#,
        ),
        case(
            "label and button value",
            "
            start
            text counsellor",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > text counsellor
              cancel 1
              enqueue counselling p=0
              = queue counselling"#,
        ),
        case(
            "repeat does not cost an attempt; then no match twice",
            "
            start
            digits 9
            text nochmal bitte
            text bananas
            text bananas",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > digits 9
              cancel 1
              PROMPT
              gather digits,speech,text n=1
              timer 2 @+10000
              = input m timer=2
            > text nochmal bitte
              cancel 2
              PROMPT
              gather digits,speech,text n=1
              timer 3 @+10000
              = input m timer=3
            > text bananas
              cancel 3
              say "Sorry, I did not understand."
              PROMPT
              gather digits,speech,text n=1
              timer 4 @+10000
              = input m timer=4
            > text bananas
              cancel 4
              say "no match"
              end completed
              = ended completed"#,
        ),
        case(
            "no input twice",
            "
            start
            @+10000 timer 1
            @+20000 timer 2",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > timer 1
              say "I did not hear anything."
              PROMPT
              gather digits,speech,text n=1
              timer 2 @+10000
              = input m timer=2
            > timer 2
              say "no input"
              end completed
              = ended completed"#,
        ),
        case(
            "a digit that is no option, and words inside words, are no match",
            "
            start
            digits 5
            text informationen",
            r#"
            > start
              PROMPT
              gather digits,speech,text n=1
              timer 1 @+10000
              = input m timer=1
            > digits 5
              cancel 1
              say "Sorry, I did not understand."
              PROMPT
              gather digits,speech,text n=1
              timer 2 @+10000
              = input m timer=2
            > text informationen
              cancel 2
              say "no match"
              end completed
              = ended completed"#,
        ),
    ];
    let expanded: Vec<Case> = cases
        .into_iter()
        .map(|c| Case {
            expect: Box::leak(c.expect.replace("PROMPT", MENU_PROMPT).into_boxed_str()),
            ..c
        })
        .collect();
    run_table(&expanded);
}
