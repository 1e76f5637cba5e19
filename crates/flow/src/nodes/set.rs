//! `set`: give variables new values (templates), then go on.

use crate::format::SetVars;
use crate::step::{Next, Run};
use crate::template::Escape;

pub(super) fn enter(run: &mut Run<'_>, n: &SetVars, next: u32) -> Next {
    // All values are rendered before any is assigned, so `a: "{{b}}"` and `b: "{{a}}"` swap.
    let values: Vec<(&str, String)> = n
        .values
        .iter()
        .map(|(name, template)| (name.as_str(), run.render(template, Escape::None)))
        .collect();
    for (name, value) in values {
        run.set_var(name, &value);
    }
    Next::Node(next)
}
