//! Random sequences of operations on a virtual clock. After every step: no task is lost (each
//! enqueued task is still known, in exactly one state, and a final state never changes), no
//! task is assigned to two agents (checked against the event stream), no agent holds more
//! tasks of a channel than its capacity, and a refused operation changed nothing.

use crate::helpers::{Sim, a, agent, q, queue, t, task};
use proptest::prelude::*;
use routing::{CancelReason, Channel, Event, Presence, RoutingError, TaskState, Transfer};
use std::collections::BTreeMap;

const AGENTS: usize = 4;
const QUEUES: usize = 3;
const TASKS: usize = 12;
const CHANNELS: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Sms];
const PRESENCES: [Presence; 4] = [
    Presence::Available,
    Presence::Busy,
    Presence::Away,
    Presence::Offline,
];

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        task: usize,
        queue: usize,
        channel: usize,
        priority: i32,
    },
    AcceptOffered {
        task: usize,
    },
    Accept {
        task: usize,
        agent: usize,
    },
    Decline {
        task: usize,
        agent: usize,
    },
    CompleteAssigned {
        task: usize,
    },
    Complete {
        task: usize,
        agent: usize,
    },
    Cancel {
        task: usize,
        caller_left: bool,
    },
    Transfer {
        task: usize,
        queue: usize,
        agent: Option<usize>,
    },
    Presence {
        agent: usize,
        presence: usize,
    },
    QueueOpen {
        queue: usize,
        open: bool,
    },
    Advance {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..TASKS, 0..QUEUES, 0..CHANNELS.len(), -1..3i32)
            .prop_map(|(task, queue, channel, priority)| Op::Enqueue { task, queue, channel, priority }),
        3 => (0..TASKS).prop_map(|task| Op::AcceptOffered { task }),
        1 => (0..TASKS, 0..AGENTS).prop_map(|(task, agent)| Op::Accept { task, agent }),
        1 => (0..TASKS, 0..AGENTS).prop_map(|(task, agent)| Op::Decline { task, agent }),
        2 => (0..TASKS).prop_map(|task| Op::CompleteAssigned { task }),
        1 => (0..TASKS, 0..AGENTS).prop_map(|(task, agent)| Op::Complete { task, agent }),
        1 => (0..TASKS, any::<bool>()).prop_map(|(task, caller_left)| Op::Cancel { task, caller_left }),
        1 => (0..TASKS, 0..QUEUES, proptest::option::of(0..AGENTS))
            .prop_map(|(task, queue, agent)| Op::Transfer { task, queue, agent }),
        1 => (0..AGENTS, 0..PRESENCES.len()).prop_map(|(agent, presence)| Op::Presence { agent, presence }),
        1 => (0..QUEUES, any::<bool>()).prop_map(|(queue, open)| Op::QueueOpen { queue, open }),
        3 => (0..40_000u64).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn name(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

fn setup() -> Sim {
    let mut sim = Sim::new();
    let mut q0 = queue("q0", &[]);
    q0.max_wait_ms = Some(120_000);
    q0.wrap_up_ms = 5_000;
    sim.add_queue(q0);
    let mut q1 = queue("q1", &[("crisis", 5)]);
    q1.max_wait_ms = Some(30_000);
    q1.overflow = Some(q("q0"));
    q1.priority = 2;
    sim.add_queue(q1);
    let mut q2 = queue("q2", &[("billing", 3)]);
    q2.language = Some("en".into());
    q2.max_wait_ms = Some(50_000);
    q2.overflow = Some(q("q1"));
    q2.offer_timeout_ms = 3_000;
    sim.add_queue(q2);
    sim.add_agent(agent("a0", &[("crisis", 7)], &["de"]));
    sim.add_agent(agent("a1", &[("billing", 3)], &["en", "de"]));
    sim.add_agent(agent("a2", &[("crisis", 5), ("billing", 9)], &["en"]));
    sim.add_agent(agent("a3", &[], &["de"]));
    sim.events();
    sim
}

fn apply(sim: &mut Sim, op: &Op) -> Result<(), RoutingError> {
    let now = sim.now;
    let r = &mut sim.router;
    let agent_of = |r: &routing::Router, i: usize| {
        r.task(&t(&name("t", i)))
            .and_then(|x| x.state.agent().cloned())
    };
    match op {
        Op::Enqueue {
            task: i,
            queue: qi,
            channel,
            priority,
        } => r.handle_enqueue(
            task(
                &name("t", *i),
                &name("q", *qi),
                CHANNELS[*channel],
                *priority,
            ),
            now,
        ),
        Op::AcceptOffered { task: i } => {
            let holder = agent_of(r, *i).unwrap_or_else(|| a("a0"));
            r.handle_accept(&t(&name("t", *i)), &holder, now)
        }
        Op::Accept { task: i, agent: j } => {
            r.handle_accept(&t(&name("t", *i)), &a(&name("a", *j)), now)
        }
        Op::Decline { task: i, agent: j } => {
            r.handle_decline(&t(&name("t", *i)), &a(&name("a", *j)), now)
        }
        Op::CompleteAssigned { task: i } => {
            let holder = agent_of(r, *i).unwrap_or_else(|| a("a0"));
            r.handle_complete(&t(&name("t", *i)), &holder, now)
        }
        Op::Complete { task: i, agent: j } => {
            r.handle_complete(&t(&name("t", *i)), &a(&name("a", *j)), now)
        }
        Op::Cancel {
            task: i,
            caller_left,
        } => {
            let reason = if *caller_left {
                CancelReason::CallerLeft
            } else {
                CancelReason::Withdrawn
            };
            r.handle_cancel(&t(&name("t", *i)), reason, now)
        }
        Op::Transfer {
            task: i,
            queue: qi,
            agent,
        } => {
            let queue = q(&name("q", *qi));
            let to = match agent {
                Some(j) => Transfer::Agent {
                    queue,
                    agent: a(&name("a", *j)),
                },
                None => Transfer::Queue(queue),
            };
            r.handle_transfer(&t(&name("t", *i)), to, now)
        }
        Op::Presence { agent: j, presence } => {
            r.handle_presence(&a(&name("a", *j)), PRESENCES[*presence], now)
        }
        Op::QueueOpen { queue: qi, open } => r.handle_queue_open(&q(&name("q", *qi)), *open, now),
        Op::Advance { ms } => {
            sim.advance(*ms);
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_task_lost_or_assigned_twice_and_no_agent_over_capacity(ops in proptest::collection::vec(op(), 1..80)) {
        let mut sim = setup();
        let mut enqueued = 0usize;
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        let mut finals: BTreeMap<String, TaskState> = BTreeMap::new();
        for op in &ops {
            let before = sim.snapshot();
            let result = apply(&mut sim, op);
            if result.is_err() {
                prop_assert_eq!(&sim.snapshot(), &before, "refused {:?} changed the state", op);
            } else if matches!(op, Op::Enqueue { .. }) {
                enqueued += 1;
            }
            for event in sim.events() {
                match event {
                    Event::TaskAssigned { task, agent } => {
                        let previous = owner.insert(task.to_string(), agent.to_string());
                        prop_assert!(previous.is_none(), "{} assigned twice", task);
                    }
                    Event::TaskRequeued { task, .. } | Event::TaskCompleted { task, .. } => {
                        owner.remove(task.as_str());
                    }
                    _ => {}
                }
            }
            // No task lost: every enqueued task is known, and a final state is final.
            prop_assert_eq!(sim.router.tasks().count(), enqueued);
            for task in sim.router.tasks() {
                let id = task.spec.id.to_string();
                if let Some(state) = finals.get(&id) {
                    prop_assert_eq!(state, &task.state, "{} left a final state", id);
                } else if task.state.is_final() {
                    finals.insert(id.clone(), task.state.clone());
                }
                // The router's owner agrees with the event stream.
                if let TaskState::Assigned { agent } | TaskState::WrapUp { agent, .. } = &task.state {
                    prop_assert_eq!(owner.get(&id).map(String::as_str), Some(agent.as_str()));
                }
            }
            // No agent over capacity on any channel.
            for agent in sim.router.agents() {
                for channel in CHANNELS {
                    let cap = agent.spec.capacity.get(&channel).copied().unwrap_or(0);
                    prop_assert!(sim.router.load(&agent.spec.id, channel) <= cap);
                }
            }
            // Time never runs backwards in what the router asks for.
            if let Some(at) = sim.router.poll_timeout() {
                prop_assert!(at > sim.now, "timeout {} not after now {}", at, sim.now);
            }
        }
    }
}
