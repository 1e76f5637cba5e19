//! `say`: speak or show a text (or play audio), then go on.

use crate::diagnostic::codes;
use crate::engine::Effect;
use crate::format::Say;
use crate::node_cx::NodeCx;
use crate::step::{Next, Run};

pub(super) fn check(n: &Say, cx: &mut NodeCx<'_, '_>) {
    match &n.text {
        Some(text) => cx.text("text", text),
        None if n.audio.is_none() => cx.error(
            codes::MISSING_TEXT,
            "text",
            "a say needs a text, an audio file or both",
        ),
        None => {}
    }
}

pub(super) fn enter(run: &mut Run<'_>, n: &Say, next: u32) -> Next {
    let text = n.text.as_ref().map(|t| run.text(t)).unwrap_or_default();
    run.effects.push(Effect::Say {
        text,
        voice: n.voice.clone(),
        audio: n.audio.clone(),
        choices: Vec::new(),
    });
    Next::Node(next)
}
