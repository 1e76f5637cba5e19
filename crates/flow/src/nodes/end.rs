//! `end`: a last message, then the conversation is over.

use crate::engine::EndReason;
use crate::format::End;
use crate::node_cx::NodeCx;
use crate::step::{Next, Run};

pub(super) fn check(n: &End, cx: &mut NodeCx<'_, '_>) {
    if let Some(text) = &n.text {
        cx.text("text", text);
    }
}

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &End) -> Next {
    if let Some(text) = &n.text {
        run.say(text, Vec::new());
    }
    run.wait(
        i,
        crate::engine::Waiting::Ended {
            reason: EndReason::Completed,
        },
    );
    run.end(EndReason::Completed);
    Next::Stop
}
