//! `transfer`: hand the call to another number or SIP address. Only a phone call can be
//! transferred; on other channels the node fails at once and takes `on_failure`.

use crate::engine::{Effect, Waiting};
use crate::format::{Channel, Transfer};
use crate::node_cx::NodeCx;
use crate::step::{Next, Run};
use crate::template::Escape;

pub(super) fn check(n: &Transfer, cx: &mut NodeCx<'_, '_>) {
    if let Some(text) = &n.text {
        cx.text("text", text);
    }
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &Transfer, on_failure: Option<u32>) -> Next {
    if run.state.channel != Channel::Voice {
        return run.give_up(on_failure);
    }
    if let Some(text) = &n.text {
        run.say(text, Vec::new());
    }
    let to = run.render(&n.to, Escape::None);
    run.effects.push(Effect::Transfer { to });
    run.wait(i, Waiting::Transfer);
    Next::Stop
}
