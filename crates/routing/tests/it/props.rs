//! Random sequences of operations on a virtual clock, routing rules, updates and restores
//! included. After every step: no task is lost (the router's live tasks are exactly those
//! enqueued and not yet ended by a final event, and a final state never changes while the task
//! is remembered), finished tasks are forgotten beyond the configured few, no task is assigned
//! to two agents (checked against the event stream), no agent holds more tasks of a channel
//! than its capacity, a refused operation changed nothing, and the router's derived orders
//! match a rebuild from scratch with no offer left unmade (`Router::check_invariants`). And
//! the whole run replays to the same events on a fresh router.

use crate::helpers::{Sim, a, agent, q, queue, t, task};
use proptest::prelude::*;
use routing::{
    AgentSpec, AttributeTest, CancelReason, Channel, Event, LevelRange, Presence, QueueSpec,
    Router, RouterConfig, RoutingError, RoutingRule, RuleTarget, TaskCondition, TaskState,
    Transfer,
};
use std::collections::{BTreeMap, BTreeSet};

/// Finished tasks the router remembers in these runs: few, so forgetting happens.
const KEPT: usize = 3;

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
        vip: bool,
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
    UpdateAgent {
        agent: usize,
        variant: usize,
    },
    UpdateQueue {
        queue: usize,
        variant: usize,
    },
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..TASKS, 0..QUEUES, 0..CHANNELS.len(), -1..3i32, any::<bool>())
            .prop_map(|(task, queue, channel, priority, vip)| Op::Enqueue { task, queue, channel, priority, vip }),
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
        1 => (0..AGENTS, 0..3usize).prop_map(|(agent, variant)| Op::UpdateAgent { agent, variant }),
        1 => (0..QUEUES, 0..4usize).prop_map(|(queue, variant)| Op::UpdateQueue { queue, variant }),
        1 => Just(Op::Restore),
    ]
}

fn name(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

/// Queue `qi` in one of its variants: 0 as set up, 1 with other skills and limits, 2 without
/// rules, 3 overflowing in a circle (refused, except for q0 which then overflows to q2).
fn queue_variant(qi: usize, variant: usize) -> QueueSpec {
    let vip_rule = RoutingRule {
        name: "vip".into(),
        filter: vec![TaskCondition::Attribute {
            name: "vip".into(),
            test: AttributeTest::Equals("yes".into()),
        }],
        targets: vec![
            RuleTarget {
                skills: BTreeMap::from([("crisis".to_string(), LevelRange::at_least(7))]),
                agents: None,
                timeout_ms: Some(20_000),
                priority_bump: 1,
            },
            RuleTarget {
                skills: BTreeMap::new(),
                agents: Some(BTreeSet::from([a("a3"), a("a1")])),
                timeout_ms: Some(15_000),
                priority_bump: 0,
            },
        ],
    };
    let mut spec = match qi {
        0 => {
            let mut q0 = queue("q0", &[]);
            q0.max_wait_ms = Some(120_000);
            q0.wrap_up_ms = 5_000;
            q0.rules = vec![vip_rule];
            q0
        }
        1 => {
            let mut q1 = queue("q1", &[("crisis", 5)]);
            q1.max_wait_ms = Some(30_000);
            q1.overflow = Some(q("q0"));
            q1.priority = 2;
            q1
        }
        _ => {
            let mut q2 = queue("q2", &[("billing", 3)]);
            q2.language = Some("en".into());
            q2.max_wait_ms = Some(50_000);
            q2.overflow = Some(q("q1"));
            q2.offer_timeout_ms = 3_000;
            q2.rules = vec![RoutingRule {
                name: "chats".into(),
                filter: vec![TaskCondition::Channel(BTreeSet::from([Channel::Chat]))],
                targets: vec![RuleTarget {
                    skills: BTreeMap::from([(
                        "billing".to_string(),
                        LevelRange { min: 5, max: 10 },
                    )]),
                    agents: None,
                    timeout_ms: Some(8_000),
                    priority_bump: -1,
                }],
            }];
            q2
        }
    };
    match variant {
        1 => {
            spec.required_skills.insert("crisis".into(), 6);
            spec.max_wait_ms = spec.max_wait_ms.map(|m| m / 2);
            spec.wrap_up_ms = 1_000;
        }
        2 => spec.rules.clear(),
        3 => spec.overflow = Some(q(["q2", "q0", "q1"][qi])),
        _ => {}
    }
    spec
}

/// Agent `ai` in one of its variants: 0 as set up, 1 with less capacity, 2 with other skills
/// and languages.
fn agent_variant(ai: usize, variant: usize) -> AgentSpec {
    let mut spec = match ai {
        0 => agent("a0", &[("crisis", 7)], &["de"]),
        1 => agent("a1", &[("billing", 3)], &["en", "de"]),
        2 => agent("a2", &[("crisis", 5), ("billing", 9)], &["en"]),
        _ => agent("a3", &[], &["de"]),
    };
    match variant {
        1 => spec.capacity = BTreeMap::from([(Channel::Chat, 1), (Channel::Sms, 1)]),
        2 => {
            spec.skills = BTreeMap::from([("crisis".into(), 9), ("billing".into(), 5)]);
            spec.languages.insert("en".into());
        }
        _ => {}
    }
    spec
}

fn config() -> RouterConfig {
    RouterConfig {
        finished_tasks_kept: KEPT,
        ..RouterConfig::default()
    }
}

fn setup() -> Sim {
    let mut sim = Sim::with_config(config());
    for qi in 0..QUEUES {
        sim.add_queue(queue_variant(qi, 0));
    }
    for ai in 0..AGENTS {
        sim.add_agent(agent_variant(ai, 0));
    }
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
            vip,
        } => {
            let mut spec = task(
                &name("t", *i),
                &name("q", *qi),
                CHANNELS[*channel],
                *priority,
            );
            if *vip {
                spec.attributes.insert("vip".into(), "yes".into());
            }
            r.handle_enqueue(spec, now)
        }
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
        Op::UpdateAgent { agent, variant } => {
            r.handle_update_agent(agent_variant(*agent, *variant), now)
        }
        Op::UpdateQueue { queue, variant } => {
            r.handle_update_queue(queue_variant(*queue, *variant), now)
        }
        Op::Restore => {
            let before = r.snapshot();
            let restored = Router::restore(config(), before.clone(), now)?;
            let after = restored.snapshot();
            // The same tasks; those held by an agent stay exactly as they were.
            let ids = |s: &routing::RouterSnapshot| -> Vec<_> {
                s.tasks.iter().map(|t| t.spec.id.clone()).collect()
            };
            assert_eq!(ids(&before), ids(&after));
            for (x, y) in before.tasks.iter().zip(&after.tasks) {
                if matches!(
                    x.state,
                    TaskState::Assigned { .. } | TaskState::WrapUp { .. }
                ) {
                    assert_eq!(x, y);
                }
            }
            assert_eq!(before.agents, after.agents);
            *r = restored;
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_task_lost_or_assigned_twice_and_no_agent_over_capacity(ops in proptest::collection::vec(op(), 1..80)) {
        let mut sim = setup();
        let mut live: BTreeSet<String> = BTreeSet::new();
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        let mut finals: BTreeMap<String, TaskState> = BTreeMap::new();
        let mut log: Vec<Event> = Vec::new();
        for op in &ops {
            let before = sim.snapshot();
            let result = apply(&mut sim, op);
            if result.is_err() {
                prop_assert_eq!(&sim.snapshot(), &before, "refused {:?} changed the state", op);
            } else if let Op::Enqueue { task: i, .. } = op {
                let id = name("t", *i);
                prop_assert!(live.insert(id.clone()), "{} enqueued while live", id);
                finals.remove(&id);
            }
            let events = sim.events();
            log.extend(events.iter().cloned());
            for event in events {
                match event {
                    Event::TaskAssigned { task, agent } => {
                        let previous = owner.insert(task.to_string(), agent.to_string());
                        prop_assert!(previous.is_none(), "{} assigned twice", task);
                    }
                    Event::TaskRequeued { task, .. } => {
                        owner.remove(task.as_str());
                    }
                    Event::TaskCompleted { task, .. }
                    | Event::TaskAbandoned { task }
                    | Event::TaskCancelled { task }
                    | Event::TaskTimedOut { task, .. } => {
                        owner.remove(task.as_str());
                        prop_assert!(live.remove(task.as_str()), "{} ended twice", task);
                    }
                    _ => {}
                }
            }
            // No task lost or resurrected: the live tasks are those enqueued and not ended.
            let known: BTreeSet<String> = sim.router.tasks().map(|t| t.spec.id.to_string()).collect();
            prop_assert_eq!(&known, &live);
            for task in sim.router.tasks() {
                prop_assert!(!task.state.is_final());
                // The router's owner agrees with the event stream.
                if let TaskState::Assigned { agent } | TaskState::WrapUp { agent, .. } = &task.state {
                    prop_assert_eq!(owner.get(task.spec.id.as_str()).map(String::as_str), Some(agent.as_str()));
                }
            }
            // Finished tasks are remembered, unchanged, only up to the bound.
            prop_assert!(sim.router.finished_tasks().count() <= KEPT);
            for task in sim.router.finished_tasks() {
                let id = task.spec.id.to_string();
                prop_assert!(task.state.is_final());
                let first = finals.entry(id.clone()).or_insert_with(|| task.state.clone());
                prop_assert_eq!(&*first, &task.state, "{} left a final state", id);
            }
            // No agent over capacity on any channel.
            for agent in sim.router.agents() {
                for channel in CHANNELS {
                    let cap = agent.spec.capacity.get(&channel).copied().unwrap_or(0);
                    let held = sim.router.tasks().filter(|t| {
                        t.spec.channel == channel
                            && matches!(&t.state, TaskState::Assigned { agent: x } | TaskState::WrapUp { agent: x, .. } if *x == agent.spec.id)
                    }).count() as u32;
                    // A lowered capacity keeps tasks already taken, but no new offer beyond it.
                    prop_assert!(sim.router.load(&agent.spec.id, channel) <= cap.max(held));
                }
            }
            if let Err(problem) = sim.router.check_invariants() {
                prop_assert!(false, "after {:?}: {}", op, problem);
            }
            // Time never runs backwards in what the router asks for.
            if let Some(at) = sim.router.poll_timeout() {
                prop_assert!(at > sim.now, "timeout {} not after now {}", at, sim.now);
            }
        }
        // Deterministic: the same inputs on a fresh router give the same decisions.
        let mut again = setup();
        let mut replayed = Vec::new();
        for op in &ops {
            let _ = apply(&mut again, op);
            replayed.extend(again.events());
        }
        prop_assert_eq!(replayed, log);
    }
}
