//! `enqueue`: hand the conversation to a human queue, with context for the agent, and wait.
//!
//! While it waits, the caller's messages are kept as `last_input` only (the agent reads the
//! transcript). With `timeout_secs` the wait ends after that long: the shell withdraws the
//! conversation from the queue and the flow goes on at `on_timeout`.

use crate::diagnostic::codes;
use crate::engine::{Effect, Waiting};
use crate::format::Enqueue;
use crate::node_cx::NodeCx;
use crate::step::{Next, Run};
use crate::template::Escape;

pub(super) fn check(n: &Enqueue, cx: &mut NodeCx<'_, '_>) {
    if let Some(text) = &n.text {
        cx.text("text", text);
    }
    match (n.timeout_secs, &n.on_timeout) {
        (Some(_), None) => cx.error(
            codes::MISSING_TIMEOUT_BRANCH,
            "on_timeout",
            "timeout_secs is set but on_timeout is missing: where does the caller go when nobody answers?",
        ),
        (None, Some(_)) => cx.error(
            codes::MISSING_TIMEOUT_BRANCH,
            "timeout_secs",
            "on_timeout is set but timeout_secs is missing: the wait never times out",
        ),
        _ => {}
    }
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &Enqueue) -> Next {
    if let Some(text) = &n.text {
        run.say(text, Vec::new());
    }
    let context = n
        .context
        .iter()
        .map(|(k, v)| (k.clone(), run.render(v, Escape::None)))
        .collect();
    run.effects.push(Effect::Enqueue {
        queue: n.queue.clone(),
        priority: n.priority,
        context,
    });
    let timer = n.timeout_secs.map(|secs| run.timer(secs));
    run.wait(
        i,
        Waiting::Queue {
            queue: n.queue.clone(),
            timer,
        },
    );
    Next::Stop
}

pub(super) fn timeout(run: &mut Run<'_>, n: &Enqueue, on_timeout: Option<u32>) -> Next {
    run.effects.push(Effect::LeaveQueue {
        queue: n.queue.clone(),
    });
    run.give_up(on_timeout)
}
