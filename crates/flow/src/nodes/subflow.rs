//! `subflow` and `return`: run a group of nodes and come back. The return address is kept
//! on the conversation's stack (node ids, so a stored state stays readable).

use crate::engine::EndReason;
use crate::step::{Next, Run};

/// `subflow`: remember `next`, go to the group's `start`.
pub(super) fn enter(run: &mut Run<'_>, start: u32, next: u32) -> Next {
    if run.push_return(next) {
        Next::Node(start)
    } else {
        // Subflows nested too deep: a flow calling itself without end.
        run.end(EndReason::Failed);
        Next::Stop
    }
}

/// `return`: go back to where the innermost subflow said; outside a subflow the
/// conversation cannot go on.
pub(super) fn leave(run: &mut Run<'_>) -> Next {
    match run.pop_return() {
        Some(next) => Next::Node(next),
        None => {
            run.end(EndReason::Failed);
            Next::Stop
        }
    }
}
