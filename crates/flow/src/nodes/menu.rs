//! `menu`: offer options, chosen by keypad digit, by a keyword, by the option's label
//! (a chat button) or by intent; a repeat option says the menu again.
//!
//! An input is matched in this order: an option's digit (pressed, typed or sent by a
//! button), an option's label, an option's keyword (whole words, normalised), the repeat
//! option's keywords, and finally the intent the matcher found. No match and no input cost
//! attempts exactly as in `ask`.

use crate::diagnostic::{Diagnostic, codes};
use crate::engine::{Choice, Effect, Waiting};
use crate::format::{InputKind, Menu};
use crate::matcher::{keyword_needle, normalize_padded};
use crate::node_cx::{NodeCx, Resolver};
use crate::step::{Miss, Next, Reply, Run};

/// More options than this are hard to keep in mind on the phone.
const MAX_OPTIONS: usize = 5;

/// Compiled `menu`.
#[derive(Debug)]
pub(crate) struct Links {
    options: Vec<OptionLinks>,
    repeat_keywords: Vec<String>,
    no_input: Option<u32>,
    no_match: Option<u32>,
}

#[derive(Debug)]
struct OptionLinks {
    next: u32,
    /// Normalised, padded keywords (see `matcher::keyword_needle`).
    keywords: Vec<String>,
}

fn is_digit(d: &str) -> bool {
    matches!(d.as_bytes(), [b'0'..=b'9' | b'*' | b'#'])
}

pub(super) fn check(n: &Menu, cx: &mut NodeCx<'_, '_>) {
    cx.text("prompt", &n.prompt);
    if n.options.is_empty() {
        cx.error(
            codes::MENU_EMPTY,
            "options",
            "a menu needs at least one option",
        );
    }
    let mut seen: Vec<(&str, String)> = Vec::new();
    let digits = n
        .options
        .iter()
        .enumerate()
        .map(|(k, o)| (format!("options[{k}].digit"), o.digit.as_deref()))
        .chain(std::iter::once((
            "repeat.digit".to_owned(),
            n.repeat.as_ref().and_then(|r| r.digit.as_deref()),
        )));
    for (field, digit) in digits {
        let Some(digit) = digit else { continue };
        if !is_digit(digit) {
            cx.error(
                codes::INVALID_DIGIT,
                &field,
                format_args!("{digit:?} is not a keypad key: use one of 0-9, * or #"),
            );
        } else if let Some((_, first)) = seen.iter().find(|(d, _)| *d == digit) {
            cx.error(
                codes::DUPLICATE_DIGIT,
                &field,
                format_args!("the digit {digit:?} is already used by {first}"),
            );
        } else {
            seen.push((digit, field));
        }
    }
    for (k, option) in n.options.iter().enumerate() {
        cx.text(&format!("options[{k}].label"), &option.label);
        if let Some(intent) = &option.intent {
            cx.intent(&format!("options[{k}].intent"), intent);
        }
    }
}

pub(super) fn lint(n: &Menu, cx: &mut NodeCx<'_, '_>) {
    if n.options.len() > MAX_OPTIONS {
        cx.warning(
            codes::MENU_TOO_LONG,
            "options",
            format_args!(
                "{} options: callers remember at most {MAX_OPTIONS}; split the menu or let them say what they need",
                n.options.len()
            ),
        );
    }
    if n.repeat.is_none() {
        cx.warning(
            codes::MENU_WITHOUT_REPEAT,
            "repeat",
            "no repeat option: a caller who missed the choices cannot hear them again (add e.g. digit 9 or \"repeat\")",
        );
    }
    let missing: Vec<&str> = [
        ("no_input", n.no_input.is_none()),
        ("no_match", n.no_match.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if !missing.is_empty() {
        cx.warning(
            codes::MENU_WITHOUT_FALLBACK,
            "",
            format_args!(
                "this menu has no {} branch: after the retries the caller is sent to the flow's fallback, or the conversation fails",
                missing.join(" or ")
            ),
        );
    }
}

pub(super) fn compile(n: &Menu, r: &Resolver<'_>) -> Result<Links, Diagnostic> {
    let mut options = Vec::with_capacity(n.options.len());
    for (k, o) in n.options.iter().enumerate() {
        options.push(OptionLinks {
            next: r.node(&format!("options[{k}].next"), &o.next)?,
            keywords: o
                .keywords
                .iter()
                .filter_map(|kw| keyword_needle(kw))
                .collect(),
        });
    }
    Ok(Links {
        options,
        repeat_keywords: n
            .repeat
            .iter()
            .flat_map(|r| &r.keywords)
            .filter_map(|kw| keyword_needle(kw))
            .collect(),
        no_input: r.opt("no_input", n.no_input.as_ref())?,
        no_match: r.opt("no_match", n.no_match.as_ref())?,
    })
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &Menu) -> Next {
    prompt(run, i, n);
    Next::Stop
}

fn prompt(run: &mut Run<'_>, i: u32, n: &Menu) {
    let choices = n
        .options
        .iter()
        .map(|o| {
            let label = run.text(&o.label);
            Choice {
                value: o.digit.clone().unwrap_or_else(|| label.clone()),
                label,
            }
        })
        .collect();
    run.say(&n.prompt, choices);
    let keyed = n.options.iter().any(|o| o.digit.is_some());
    run.effects.push(Effect::Gather {
        kinds: vec![InputKind::Digits, InputKind::Speech, InputKind::Text],
        num_digits: keyed.then_some(1),
        finish_on_key: None,
    });
    let timer = run.timer(n.timeout_secs);
    run.wait(i, Waiting::Input { timer });
}

/// What an input chose.
enum Pick {
    Option(usize),
    Repeat,
    /// Only a greeting: greeted back and asked again, not counted as a failed attempt.
    Greeting,
    Nothing,
}

pub(super) fn reply(run: &mut Run<'_>, i: u32, n: &Menu, links: &Links, reply: Reply<'_>) -> Next {
    match pick(run, n, links, reply) {
        Pick::Option(k) => match links.options.get(k) {
            Some(option) => Next::Node(option.next),
            None => missed(run, i, n, links, Miss::NoMatch),
        },
        Pick::Repeat => {
            prompt(run, i, n);
            Next::Stop
        }
        Pick::Greeting => {
            run.say_fixed(crate::greeting::reply(&run.state.language));
            prompt(run, i, n);
            Next::Stop
        }
        Pick::Nothing => missed(run, i, n, links, Miss::NoMatch),
    }
}

pub(super) fn missed(run: &mut Run<'_>, i: u32, n: &Menu, links: &Links, miss: Miss) -> Next {
    let branch = match miss {
        Miss::NoInput => links.no_input,
        Miss::NoMatch => links.no_match,
    };
    match run.miss(miss, n.retries, branch) {
        Some(next) => next,
        None => {
            prompt(run, i, n);
            Next::Stop
        }
    }
}

fn pick(run: &Run<'_>, n: &Menu, links: &Links, reply: Reply<'_>) -> Pick {
    let (raw, words) = match reply {
        Reply::Digits(d) => (d.trim(), false),
        Reply::Text(t) | Reply::Speech(t) => (t.trim(), true),
    };
    if let Some(k) = n
        .options
        .iter()
        .position(|o| o.digit.as_deref() == Some(raw))
    {
        return Pick::Option(k);
    }
    if n.repeat.as_ref().and_then(|r| r.digit.as_deref()) == Some(raw) {
        return Pick::Repeat;
    }
    if !words {
        return Pick::Nothing;
    }
    let mut said = String::with_capacity(raw.len() + 2);
    normalize_padded(raw, &mut said);
    let mut label = String::new();
    for (k, o) in n.options.iter().enumerate() {
        normalize_padded(&run.text(&o.label), &mut label);
        if label.trim().is_empty() {
            continue;
        }
        if label == said {
            return Pick::Option(k);
        }
    }
    if let Some(k) = links
        .options
        .iter()
        .position(|o| o.keywords.iter().any(|kw| said.contains(kw.as_str())))
    {
        return Pick::Option(k);
    }
    if links
        .repeat_keywords
        .iter()
        .any(|kw| said.contains(kw.as_str()))
    {
        return Pick::Repeat;
    }
    // A greeting carries no intent, whatever a model makes of it.
    if crate::greeting::is_greeting(raw) {
        return Pick::Greeting;
    }
    if let Some(intent) = run.state.last_intent.as_deref()
        && let Some(k) = n
            .options
            .iter()
            .position(|o| o.intent.as_deref() == Some(intent))
    {
        return Pick::Option(k);
    }
    Pick::Nothing
}
