//! Checks over the whole transition graph: reachability, loops that never wait for the
//! caller, `return` outside a subflow (errors); menu nesting, the way to a human and the
//! bot's self-disclosure (warnings).
//!
//! Every analysis is linear in nodes plus transitions and iterative (no recursion), so a
//! 1 MiB flow with thousands of nodes is checked in milliseconds and cannot overflow the
//! stack.

use std::collections::{HashMap, HashSet, VecDeque};

use super::Facts;
use crate::diagnostic::{Diagnostic, codes};
use crate::format::{Channel, Node, Text};
use crate::matcher::normalize;

/// Words and phrases that tell the caller they talk to a machine, normalised like
/// [`normalize`]; a trailing `*` accepts any ending (German inflection: "automatische").
const DISCLOSURE: &[&str] = &[
    // German
    "bot",
    "bots",
    "chatbot*",
    "voicebot*",
    "digitale* assistent*",
    "virtuelle* assistent*",
    "automatisch*",
    "automatisiert*",
    "kiassistent*",
    "ki assistent*",
    "sprachassistent*",
    "sprachcomputer*",
    "computer*",
    "kein mensch",
    // English
    "chatbots",
    "virtual assistant*",
    "digital assistant*",
    "automated",
    "ai assistant*",
    "aiassistant*",
    "not a human",
    "not a person",
];

/// Whether a text says it comes from a bot.
pub(crate) fn discloses_bot(text: &str) -> bool {
    let norm = normalize(text);
    let tokens: Vec<&str> = norm.split(' ').collect();
    DISCLOSURE.iter().any(|phrase| {
        let words: Vec<&str> = phrase.split(' ').collect();
        tokens.windows(words.len()).any(|window| {
            window
                .iter()
                .zip(&words)
                .all(|(token, word)| match word.strip_suffix('*') {
                    Some(prefix) => token.starts_with(prefix),
                    None => token == word,
                })
        })
    })
}

/// Whether a node waits for the caller (so a loop through it is not a runaway).
fn waits_for_caller(node: &Node) -> bool {
    matches!(
        node,
        Node::Ask(_) | Node::Menu(_) | Node::Record(_) | Node::Enqueue(_)
    )
}

fn node_diag(facts: &Facts<'_>, i: usize, d: Diagnostic) -> Diagnostic {
    match facts.doc.nodes.get(i) {
        Some(n) => d.with_node(n.id()),
        None => d,
    }
}

fn id_of<'d>(facts: &Facts<'d>, i: usize) -> &'d str {
    facts.doc.nodes.get(i).map_or("", Node::id)
}

/// Breadth-first reachability from `roots` over `edges`.
fn reachable(edges: &[Vec<usize>], roots: impl IntoIterator<Item = usize>) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for r in roots {
        if r < seen.len() && !seen[r] {
            seen[r] = true;
            queue.push_back(r);
        }
    }
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if !seen[w] {
                seen[w] = true;
                queue.push_back(w);
            }
        }
    }
    seen
}

pub(super) fn errors(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    unreachable_nodes(facts, out);
    loops_without_input(facts, out);
    returns_outside_subflow(facts, out);
}

pub(super) fn warnings(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    menus_too_deep(facts, out);
    no_path_to_human(facts, out);
    bot_not_disclosed(facts, out);
}

fn unreachable_nodes(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    // Without a start every node would be reported; `unknown-start` says it all.
    let Some(start) = facts.start else { return };
    let seen = reachable(
        &facts.edges,
        [Some(start), facts.fallback].into_iter().flatten(),
    );
    for (i, reached) in seen.iter().enumerate() {
        if !reached && facts.is_canonical(i) {
            let d = Diagnostic::error(
                codes::UNREACHABLE_NODE,
                format!("nodes[{i}]"),
                "no path from `start` or `fallback` leads here",
            );
            out.push(node_diag(facts, i, d));
        }
    }
}

/// Strongly connected components (Tarjan, iterative) of the nodes with `include` set.
fn components(edges: &[Vec<usize>], include: &[bool]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut index, mut low, mut on_stack) = (vec![UNSEEN; n], vec![0; n], vec![false; n]);
    let (mut stack, mut calls, mut out) = (Vec::new(), Vec::<(usize, usize)>::new(), Vec::new());
    let mut counter = 0;
    for root in 0..n {
        if !include[root] || index[root] != UNSEEN {
            continue;
        }
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&(v, pos)) = calls.last() {
            if let Some(&w) = edges[v].get(pos) {
                if let Some(top) = calls.last_mut() {
                    top.1 += 1;
                }
                if !include[w] {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// The shortest cycle from `from` back to itself through nodes for which `member` holds.
fn shortest_cycle(edges: &[Vec<usize>], member: impl Fn(usize) -> bool, from: usize) -> Vec<usize> {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if w == from {
                let mut path = vec![v];
                let mut x = v;
                while let Some(&p) = parent.get(&x) {
                    path.push(p);
                    x = p;
                }
                path.reverse();
                return path;
            }
            if member(w) && !parent.contains_key(&w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![from]
}

/// Node ids for a message, at most `limit` of them.
fn some_names(facts: &Facts<'_>, nodes: &[usize], limit: usize) -> String {
    let mut names: Vec<&str> = nodes.iter().take(limit).map(|&i| id_of(facts, i)).collect();
    if nodes.len() > limit {
        names.push("…");
    }
    names.join(", ")
}

fn loops_without_input(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    const SHOWN: usize = 12;
    let nodes = &facts.doc.nodes;
    let include: Vec<bool> = (0..nodes.len())
        .map(|i| facts.is_canonical(i) && !waits_for_caller(&nodes[i]))
        .collect();
    let components = components(&facts.edges, &include);
    let mut component_of = vec![usize::MAX; nodes.len()];
    for (c, component) in components.iter().enumerate() {
        for &v in component {
            component_of[v] = c;
        }
    }
    for (c, component) in components.iter().enumerate() {
        let Some(&first) = component.iter().min() else {
            continue;
        };
        if component.len() == 1 && !facts.edges[first].contains(&first) {
            continue;
        }
        let cycle = shortest_cycle(&facts.edges, |w| component_of[w] == c, first);
        let mut names: Vec<&str> = cycle.iter().take(SHOWN).map(|&i| id_of(facts, i)).collect();
        if cycle.len() > SHOWN {
            names.push("…");
        }
        names.push(id_of(facts, first));
        let mut message = format!(
            "these nodes loop without ever waiting for the caller: {}",
            names.join(" → ")
        );
        let on_cycle: HashSet<usize> = cycle.iter().copied().collect();
        let mut others: Vec<usize> = component
            .iter()
            .copied()
            .filter(|c| !on_cycle.contains(c))
            .collect();
        others.sort_unstable();
        if !others.is_empty() {
            message.push_str(&format!(
                " (entangled with {})",
                some_names(facts, &others, SHOWN)
            ));
        }
        message.push_str("; put an ask or menu in the loop, or break it");
        let d = Diagnostic::error(
            codes::LOOP_WITHOUT_INPUT,
            format!("nodes[{first}]"),
            message,
        );
        out.push(node_diag(facts, first, d));
    }
}

fn returns_outside_subflow(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    let Some(start) = facts.start else { return };
    // The top level: from `start` and `fallback`, stepping over subflows (their `next`).
    let top_edges: Vec<Vec<usize>> = facts
        .doc
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| match node {
            Node::Subflow(s) => facts
                .ids
                .get(s.next.as_str())
                .copied()
                .into_iter()
                .collect(),
            _ => facts.edges[i].clone(),
        })
        .collect();
    let seen = reachable(
        &top_edges,
        [Some(start), facts.fallback].into_iter().flatten(),
    );
    for (i, node) in facts.doc.nodes.iter().enumerate() {
        if seen[i] && matches!(node, Node::Return(_)) && facts.is_canonical(i) {
            let d = Diagnostic::error(
                codes::RETURN_OUTSIDE_SUBFLOW,
                format!("nodes[{i}]"),
                "this return can be reached from `start` without entering a subflow, where it would end the conversation as failed",
            );
            out.push(node_diag(facts, i, d));
        }
    }
}

/// Menus more than 3 deep: the depth of a menu is the least number of menus on a path from
/// `start` to it (itself included), so a "back to the main menu" link does not deepen it.
fn menus_too_deep(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    const LIMIT: u32 = 3;
    let Some(start) = facts.start else { return };
    let nodes = &facts.doc.nodes;
    let weight = |i: usize| u32::from(matches!(nodes[i], Node::Menu(_)));
    let mut depth = vec![u32::MAX; nodes.len()];
    let mut parent = vec![usize::MAX; nodes.len()];
    let mut queue = VecDeque::from([start]);
    depth[start] = weight(start);
    while let Some(v) = queue.pop_front() {
        for &w in &facts.edges[v] {
            let d = depth[v] + weight(w);
            if d < depth[w] {
                depth[w] = d;
                parent[w] = v;
                if weight(w) == 0 {
                    queue.push_front(w)
                } else {
                    queue.push_back(w)
                }
            }
        }
    }
    for (i, &d) in depth.iter().enumerate() {
        if d != LIMIT + 1 || weight(i) == 0 {
            continue;
        }
        // Walk back to `start`, collecting the menus (the walk is bounded, for safety).
        let mut chain = Vec::new();
        let mut x = i;
        for _ in 0..nodes.len() {
            if x == usize::MAX {
                break;
            }
            if weight(x) == 1 {
                chain.push(id_of(facts, x));
            }
            x = parent[x];
        }
        chain.reverse();
        let d = Diagnostic::warning(
            codes::MENU_TOO_DEEP,
            format!("nodes[{i}]"),
            format!(
                "this menu is nested {} deep ({}); callers lose their way beyond {LIMIT} levels — flatten the menus",
                LIMIT + 1,
                chain.join(" → ")
            ),
        );
        out.push(node_diag(facts, i, d));
    }
}

fn no_path_to_human(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    let nodes = &facts.doc.nodes;
    // Reverse edges, plus where the engine goes on its own: to the fallback when a branch is
    // missing, and from a `return` back to whichever subflow called it — through one extra
    // "return hub" vertex, so many returns and subflows cost linear, not quadratic, time.
    let hub = nodes.len();
    let mut reverse = vec![Vec::new(); nodes.len() + 1];
    for (i, node) in nodes.iter().enumerate() {
        if !facts.is_canonical(i) {
            continue;
        }
        for &t in &facts.edges[i] {
            reverse[t].push(i);
        }
        let gives_up = match node {
            Node::Ask(a) => a.no_input.is_none() || a.no_match.is_none(),
            Node::Menu(m) => m.no_input.is_none() || m.no_match.is_none(),
            Node::Record(r) => r.no_input.is_none(),
            Node::Enqueue(e) => e.on_timeout.is_none(),
            _ => false,
        };
        if let (true, Some(f)) = (gives_up, facts.fallback) {
            reverse[f].push(i);
        }
        match node {
            Node::Return(_) => reverse[hub].push(i),
            Node::Subflow(s) => {
                if let Some(&next) = facts.ids.get(s.next.as_str()) {
                    reverse[next].push(hub);
                }
            }
            _ => {}
        }
    }
    let humans =
        (0..nodes.len()).filter(|&i| matches!(nodes[i], Node::Enqueue(_) | Node::Transfer(_)));
    let helped = reachable(&reverse, humans);
    for (i, node) in nodes.iter().enumerate() {
        if matches!(node, Node::Ask(_) | Node::Menu(_)) && !helped[i] && facts.is_canonical(i) {
            let d = Diagnostic::warning(
                codes::NO_PATH_TO_HUMAN,
                format!("nodes[{i}]"),
                "no enqueue or transfer can be reached from here: a caller who needs a person is stuck with the bot",
            );
            out.push(node_diag(facts, i, d));
        }
    }
}

/// The caller-facing texts of a node.
fn texts(node: &Node) -> Vec<&Text> {
    match node {
        Node::Say(n) => n.text.iter().collect(),
        Node::Ask(n) => vec![&n.prompt],
        Node::Menu(n) => vec![&n.prompt],
        Node::Record(n) => vec![&n.prompt],
        Node::SendMessage(n) => vec![&n.text],
        Node::End(n) => n.text.iter().collect(),
        _ => Vec::new(),
    }
}

fn text_in<'t>(text: &'t Text, lang: &str) -> &'t str {
    match text {
        Text::Plain(s) => s,
        Text::ByLanguage(m) => m.get(lang).map_or("", String::as_str),
        Text::ByChannel(_) => "",
    }
}

/// On every path from `start` to the first node that waits for the caller, some text must
/// say that a bot is speaking, in every language of the flow. A hand-over to a human
/// (enqueue, transfer) needs no such notice.
fn bot_not_disclosed(facts: &Facts<'_>, out: &mut Vec<Diagnostic>) {
    let Some(start) = facts.start else { return };
    let nodes = &facts.doc.nodes;
    for lang in &facts.langs {
        let mut seen = vec![false; nodes.len()];
        let mut queue = VecDeque::from([start]);
        seen[start] = true;
        while let Some(v) = queue.pop_front() {
            let node = &nodes[v];
            // On every channel: the phone's wording and the chat's.
            if texts(node).iter().any(|t| {
                [Channel::Voice, Channel::Chat]
                    .into_iter()
                    .all(|c| discloses_bot(text_in(t.for_channel(c), lang)))
            }) {
                continue;
            }
            if matches!(node, Node::Enqueue(_) | Node::Transfer(_)) {
                continue;
            }
            if waits_for_caller(node) {
                let d = Diagnostic::warning(
                    codes::BOT_NOT_DISCLOSED,
                    format!("nodes[{v}]"),
                    format!(
                        "in {lang:?} the caller gets here without being told they talk to a bot: say so in the first message (e.g. \"I am the automated assistant of …\")"
                    ),
                );
                out.push(node_diag(facts, v, d));
                break;
            }
            for &w in &facts.edges[v] {
                if !seen[w] {
                    seen[w] = true;
                    queue.push_back(w);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disclosure_words_are_whole_words_with_inflections() {
        assert!(discloses_bot(
            "Hallo, ich bin der Chatbot der Beratungsstelle."
        ));
        assert!(discloses_bot("Hier spricht unser automatischer Assistent."));
        assert!(discloses_bot("Ich bin ein KI-Assistent."));
        assert!(discloses_bot("Hi! I am a virtual assistant."));
        assert!(discloses_bot("This is an automated line, not a human."));
        assert!(discloses_bot("Sie sprechen mit einem Bot."));
        assert!(!discloses_bot("Ihre Botschaft ist angekommen."));
        assert!(!discloses_bot("Welcome to the crisis line."));
        assert!(!discloses_bot(""));
    }

    #[test]
    fn components_find_cycles_iteratively() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 3, 4 alone; 5 excluded but on a cycle with 4.
        let edges = vec![vec![1], vec![2], vec![0, 3], vec![3], vec![5], vec![4]];
        let include = [true, true, true, true, true, false];
        let mut comps: Vec<Vec<usize>> = components(&edges, &include)
            .into_iter()
            .map(|mut c| {
                c.sort_unstable();
                c
            })
            .collect();
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3], vec![4]]);
        assert_eq!(shortest_cycle(&edges, |w| w < 3, 0), vec![0, 1, 2]);
    }
}
