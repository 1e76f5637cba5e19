//! The node kinds, one module each: its checks, its lints, how it compiles and what it does
//! when a conversation enters it or an input arrives for it.
//!
//! This module only dispatches on [`Node`]. Adding a kind means adding a variant to
//! `format::Node`, a module here, and one arm in each function below; the compiler points
//! at every place.

use crate::diagnostic::Diagnostic;
use crate::engine::EndReason;
use crate::format::Node;
use crate::node_cx::{NodeCx, Resolver};
use crate::step::{Miss, Next, Reply, Run};

mod ask;
mod end;
mod enqueue;
mod http_request;
mod menu;
mod record;
mod say;
mod send_message;
mod set;
mod split;
mod subflow;
mod transfer;

/// A node's precompiled data: resolved transitions, compiled patterns.
#[derive(Debug)]
pub(crate) enum Compiled {
    /// `say`, `set`, `send_message`: the next node.
    Next(u32),
    /// `ask`.
    Ask(ask::Links),
    /// `menu`.
    Menu(menu::Links),
    /// `split`.
    Split(split::Links),
    /// `http_request`.
    Http {
        /// After a 2xx answer.
        next: u32,
        /// After anything else.
        on_error: u32,
    },
    /// `enqueue`.
    Enqueue {
        /// After the wait timed out.
        on_timeout: Option<u32>,
    },
    /// `record`.
    Record {
        /// After a recording.
        next: u32,
        /// After nothing was recorded.
        no_input: Option<u32>,
    },
    /// `transfer`.
    Transfer {
        /// After the transfer failed.
        on_failure: Option<u32>,
    },
    /// `subflow`.
    Subflow {
        /// The group's first node.
        start: u32,
        /// Where the group returns to.
        next: u32,
    },
    /// `end`, `return`.
    Leaf,
}

/// Checks one node on its own (graph-wide checks live in `validate`).
pub(crate) fn check(node: &Node, cx: &mut NodeCx<'_, '_>) {
    match node {
        Node::Say(n) => say::check(n, cx),
        Node::Ask(n) => ask::check(n, cx),
        Node::Menu(n) => menu::check(n, cx),
        Node::Split(n) => split::check(n, cx),
        Node::SendMessage(n) => cx.text("text", &n.text),
        Node::HttpRequest(n) => http_request::check(n, cx),
        Node::Enqueue(n) => enqueue::check(n, cx),
        Node::Record(n) => cx.text("prompt", &n.prompt),
        Node::Transfer(n) => transfer::check(n, cx),
        Node::End(n) => end::check(n, cx),
        Node::Set(_) | Node::Subflow(_) | Node::Return(_) => {}
    }
}

/// IVR design rules for one node.
pub(crate) fn lint(node: &Node, cx: &mut NodeCx<'_, '_>) {
    match node {
        Node::Ask(n) => ask::lint(n, cx),
        Node::Menu(n) => menu::lint(n, cx),
        _ => {}
    }
}

/// Compiles one node of a validated document.
pub(crate) fn compile(node: &Node, r: &Resolver<'_>) -> Result<Compiled, Diagnostic> {
    Ok(match node {
        Node::Say(n) => Compiled::Next(r.node("next", &n.next)?),
        Node::Set(n) => Compiled::Next(r.node("next", &n.next)?),
        Node::SendMessage(n) => Compiled::Next(r.node("next", &n.next)?),
        Node::Ask(n) => Compiled::Ask(ask::compile(n, r)?),
        Node::Menu(n) => Compiled::Menu(menu::compile(n, r)?),
        Node::Split(n) => Compiled::Split(split::compile(n, r)?),
        Node::HttpRequest(n) => Compiled::Http {
            next: r.node("next", &n.next)?,
            on_error: r.node("on_error", &n.on_error)?,
        },
        Node::Enqueue(n) => Compiled::Enqueue {
            on_timeout: r.opt("on_timeout", n.on_timeout.as_ref())?,
        },
        Node::Record(n) => Compiled::Record {
            next: r.node("next", &n.next)?,
            no_input: r.opt("no_input", n.no_input.as_ref())?,
        },
        Node::Transfer(n) => Compiled::Transfer {
            on_failure: r.opt("on_failure", n.on_failure.as_ref())?,
        },
        Node::Subflow(n) => Compiled::Subflow {
            start: r.node("start", &n.start)?,
            next: r.node("next", &n.next)?,
        },
        Node::End(_) | Node::Return(_) => Compiled::Leaf,
    })
}

/// A node and compiled data that do not belong together: only a bug could cause it, and
/// the conversation ends rather than the process.
fn mismatch(run: &mut Run<'_>) -> Next {
    run.end(EndReason::Failed);
    Next::Stop
}

/// The conversation enters node `i`.
pub(crate) fn enter(run: &mut Run<'_>, i: u32, node: &Node, c: &Compiled) -> Next {
    match (node, c) {
        (Node::Say(n), &Compiled::Next(next)) => say::enter(run, n, next),
        (Node::Set(n), &Compiled::Next(next)) => set::enter(run, n, next),
        (Node::SendMessage(n), &Compiled::Next(next)) => send_message::enter(run, n, next),
        (Node::Ask(n), Compiled::Ask(_)) => ask::enter(run, i, n),
        (Node::Menu(n), Compiled::Menu(_)) => menu::enter(run, i, n),
        (Node::Split(n), Compiled::Split(links)) => split::enter(run, n, links),
        (Node::HttpRequest(n), Compiled::Http { .. }) => http_request::enter(run, i, n),
        (Node::Enqueue(n), Compiled::Enqueue { .. }) => enqueue::enter(run, i, n),
        (Node::Record(n), Compiled::Record { .. }) => record::enter(run, i, n),
        (Node::Transfer(n), &Compiled::Transfer { on_failure }) => {
            transfer::enter(run, i, n, on_failure)
        }
        (Node::End(n), Compiled::Leaf) => end::enter(run, i, n),
        (Node::Subflow(_), &Compiled::Subflow { start, next }) => subflow::enter(run, start, next),
        (Node::Return(_), Compiled::Leaf) => subflow::leave(run),
        _ => mismatch(run),
    }
}

/// The caller answered the node waiting for input.
pub(crate) fn reply(
    run: &mut Run<'_>,
    i: u32,
    node: &Node,
    c: &Compiled,
    reply: Reply<'_>,
) -> Next {
    match (node, c) {
        (Node::Ask(n), Compiled::Ask(links)) => ask::reply(run, i, n, links, reply),
        (Node::Menu(n), Compiled::Menu(links)) => menu::reply(run, i, n, links, reply),
        _ => mismatch(run),
    }
}

/// The input timer of the node waiting for input fired.
pub(crate) fn no_input(run: &mut Run<'_>, i: u32, node: &Node, c: &Compiled) -> Next {
    match (node, c) {
        (Node::Ask(n), Compiled::Ask(links)) => ask::missed(run, i, n, links, Miss::NoInput),
        (Node::Menu(n), Compiled::Menu(links)) => menu::missed(run, i, n, links, Miss::NoInput),
        _ => mismatch(run),
    }
}

/// The caller's answer was not understood at all (speech with low confidence).
pub(crate) fn no_match(run: &mut Run<'_>, i: u32, node: &Node, c: &Compiled) -> Next {
    match (node, c) {
        (Node::Ask(n), Compiled::Ask(links)) => ask::missed(run, i, n, links, Miss::NoMatch),
        (Node::Menu(n), Compiled::Menu(links)) => menu::missed(run, i, n, links, Miss::NoMatch),
        _ => mismatch(run),
    }
}

/// The HTTP request of the waiting node finished.
pub(crate) fn http_result(
    run: &mut Run<'_>,
    node: &Node,
    c: &Compiled,
    status: u16,
    body: &str,
) -> Next {
    match (node, c) {
        (Node::HttpRequest(n), &Compiled::Http { next, on_error }) => {
            http_request::result(run, n, next, on_error, status, body)
        }
        _ => mismatch(run),
    }
}

/// The recording (or the written message on chat) of the waiting node arrived.
pub(crate) fn recorded(run: &mut Run<'_>, node: &Node, c: &Compiled, reference: &str) -> Next {
    match (node, c) {
        (Node::Record(n), &Compiled::Record { next, no_input }) => {
            record::done(run, n, next, no_input, reference)
        }
        _ => mismatch(run),
    }
}

/// The queue wait of the waiting node timed out.
pub(crate) fn queue_timeout(run: &mut Run<'_>, node: &Node, c: &Compiled) -> Next {
    match (node, c) {
        (Node::Enqueue(n), &Compiled::Enqueue { on_timeout }) => {
            enqueue::timeout(run, n, on_timeout)
        }
        _ => mismatch(run),
    }
}

/// The transfer of the waiting node failed.
pub(crate) fn transfer_failed(run: &mut Run<'_>, node: &Node, c: &Compiled) -> Next {
    match (node, c) {
        (Node::Transfer(_), &Compiled::Transfer { on_failure }) => run.give_up(on_failure),
        _ => mismatch(run),
    }
}
