//! `record`: take a voicemail on the phone, or one written message on chat, SMS and
//! WhatsApp, and store its reference (or text) in `save_as`.

use crate::engine::{Effect, Waiting};
use crate::format::Record;
use crate::step::{Next, Run};

pub(super) fn enter(run: &mut Run<'_>, i: u32, n: &Record) -> Next {
    run.say(&n.prompt, Vec::new());
    run.effects.push(Effect::Record {
        max_secs: n.max_secs,
    });
    run.wait(i, Waiting::Recording);
    Next::Stop
}

/// The recording (or message) arrived; empty means nothing was recorded.
pub(super) fn done(
    run: &mut Run<'_>,
    n: &Record,
    next: u32,
    no_input: Option<u32>,
    reference: &str,
) -> Next {
    let reference = reference.trim();
    if reference.is_empty() {
        return run.give_up(no_input);
    }
    run.set_var(&n.save_as, reference);
    Next::Node(next)
}
