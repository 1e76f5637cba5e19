//! `send_message`: send a message outside the spoken/written stream (e.g. a follow-up SMS
//! with a phone number to keep), then go on.

use crate::engine::Effect;
use crate::format::SendMessage;
use crate::step::{Next, Run};

pub(super) fn enter(run: &mut Run<'_>, n: &SendMessage, next: u32) -> Next {
    let text = run.text(&n.text);
    run.effects.push(Effect::SendMessage {
        channel: n.channel,
        text,
    });
    Next::Node(next)
}
