//! `ask`: put a question, wait for digits, speech or text, check the answer and store it.
//!
//! No answer before the timeout, or one that does not fit (wrong number of digits, not
//! matching `pattern`, speech heard with low confidence), costs an attempt: the caller hears
//! a short apology and the question again, until `retries` are used up and the node takes
//! `no_input` / `no_match` (or the flow's fallback).

use regex::Regex;

use crate::diagnostic::{Diagnostic, codes};
use crate::engine::{Effect, Waiting};
use crate::format::{Ask, InputKind};
use crate::node_cx::{NodeCx, Resolver};
use crate::step::{Miss, Next, Reply, Run};

/// Every input kind, the default when `input` is empty.
pub(super) const ALL_KINDS: [InputKind; 3] =
    [InputKind::Digits, InputKind::Speech, InputKind::Text];

/// Compiled `ask`.
#[derive(Debug)]
pub(crate) struct Links {
    next: u32,
    no_input: Option<u32>,
    no_match: Option<u32>,
    pattern: Option<Regex>,
}

pub(super) fn check(n: &Ask, cx: &mut NodeCx<'_, '_>) {
    cx.text("prompt", &n.prompt);
    if let Some(p) = &n.pattern {
        cx.regex("pattern", p);
    }
    if n.num_digits == Some(0) {
        cx.error(
            codes::INVALID_DIGIT,
            "num_digits",
            "num_digits must be at least 1",
        );
    }
    if let Some(key) = n.finish_on_key
        && key != '#'
        && key != '*'
    {
        cx.error(
            codes::INVALID_DIGIT,
            "finish_on_key",
            format_args!(
                "{:?} is not a finishing key: use \"#\" or \"*\"",
                key.to_string()
            ),
        );
    }
}

pub(super) fn lint(n: &Ask, cx: &mut NodeCx<'_, '_>) {
    let missing: Vec<&str> = [
        ("no_input", n.no_input.is_none()),
        ("no_match", n.no_match.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if !missing.is_empty() {
        cx.warning(
            codes::ASK_WITHOUT_FALLBACK,
            "",
            format_args!(
                "this ask has no {} branch: after the retries the caller is sent to the flow's fallback, or the conversation fails",
                missing.join(" or ")
            ),
        );
    }
}

pub(super) fn compile(n: &Ask, r: &Resolver<'_>) -> Result<Links, Diagnostic> {
    Ok(Links {
        next: r.node("next", &n.next)?,
        no_input: r.opt("no_input", n.no_input.as_ref())?,
        no_match: r.opt("no_match", n.no_match.as_ref())?,
        pattern: n
            .pattern
            .as_deref()
            .map(|p| r.regex("pattern", p))
            .transpose()?,
    })
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &Ask) -> Next {
    prompt(run, i, n);
    Next::Stop
}

fn prompt(run: &mut Run<'_>, i: u32, n: &Ask) {
    run.say(&n.prompt, Vec::new());
    let kinds = if n.input.is_empty() {
        ALL_KINDS.to_vec()
    } else {
        n.input.clone()
    };
    run.effects.push(Effect::Gather {
        kinds,
        num_digits: n.num_digits,
        finish_on_key: n.finish_on_key,
    });
    let timer = run.timer(n.timeout_secs);
    run.wait(i, Waiting::Input { timer });
}

pub(super) fn reply(run: &mut Run<'_>, i: u32, n: &Ask, links: &Links, reply: Reply<'_>) -> Next {
    // Only a greeting is no answer: greeted back and asked again, not counted as an attempt.
    if let Reply::Text(t) | Reply::Speech(t) = reply
        && crate::greeting::is_greeting(t)
    {
        run.say_fixed(crate::greeting::reply(&run.state.language));
        prompt(run, i, n);
        return Next::Stop;
    }
    match accept(n, reply) {
        Some(answer) if links.pattern.as_ref().is_none_or(|p| p.is_match(answer)) => {
            if let Some(var) = &n.save_as {
                run.set_var(var, answer);
            }
            Next::Node(links.next)
        }
        _ => missed(run, i, n, links, Miss::NoMatch),
    }
}

pub(super) fn missed(run: &mut Run<'_>, i: u32, n: &Ask, links: &Links, miss: Miss) -> Next {
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

/// The answer, if the input is of a kind the question accepts and has the right shape.
fn accept<'i>(n: &Ask, reply: Reply<'i>) -> Option<&'i str> {
    let kinds: &[InputKind] = if n.input.is_empty() {
        &ALL_KINDS
    } else {
        &n.input
    };
    let digits_ok = kinds.contains(&InputKind::Digits);
    let words_ok = kinds.contains(&InputKind::Text) || kinds.contains(&InputKind::Speech);
    match reply {
        Reply::Digits(d) if digits_ok => digits(n, d),
        Reply::Digits(d) if words_ok => non_empty(d),
        Reply::Digits(_) => None,
        Reply::Text(t) | Reply::Speech(t) => {
            // Digits typed into a chat are digits when the question counts them.
            let keyed = looks_keyed(t) && n.num_digits.is_some();
            if digits_ok && (keyed || !words_ok) {
                digits(n, t)
            } else if words_ok {
                non_empty(t)
            } else {
                None
            }
        }
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Whether a text consists of keypad characters only.
fn looks_keyed(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// Keypad input checked against `num_digits` and `finish_on_key`.
fn digits<'i>(n: &Ask, input: &'i str) -> Option<&'i str> {
    let input = input.trim();
    let (body, finished) = match n.finish_on_key.and_then(|k| input.strip_suffix(k)) {
        Some(body) => (body, true),
        None => (input, false),
    };
    if !looks_keyed(body) {
        return None;
    }
    let fits = match n.num_digits.map(usize::from) {
        Some(want) if finished => body.len() <= want,
        Some(want) => body.len() == want,
        None => true,
    };
    fits.then_some(body)
}
