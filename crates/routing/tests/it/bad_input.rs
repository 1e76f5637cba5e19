//! Every refused input returns its typed error and leaves the router exactly as it was: the
//! serialised state is byte-for-byte the same and no event is emitted.

use crate::helpers::{Sim, a, agent, q, queue, t, task};
use routing::{
    CancelReason, Channel, Presence, Router, RouterConfig, RouterSnapshot, RoutingError,
    RoutingRule, RuleProblem, RuleTarget, TaskState, Transfer,
};

/// Queues `q` and `crisis` (skill crisis ≥ 5, overflowing to `q`); agents a1 (crisis 6), a2, a3 (away);
/// t1 voice assigned to a1, t2 voice offered to a2 until 10 002, t3 voice pending,
/// t6 chat abandoned.
fn fixture() -> Sim {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    let mut crisis = queue("crisis", &[("crisis", 5)]);
    crisis.overflow = Some(q("q"));
    sim.add_queue(crisis);
    sim.add_agent(agent("a1", &[("crisis", 6)], &["de"]));
    sim.now = 1;
    sim.add_agent(agent("a2", &[], &["de"]));
    sim.router
        .handle_add_agent(agent("a3", &[("crisis", 9)], &[]), Presence::Away, 1)
        .expect("a3");
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("t1"), &a("a1"), 1)
        .expect("accept");
    sim.now = 2;
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    sim.enqueue(task("t3", "q", Channel::Voice, 0));
    sim.enqueue(task("t6", "q", Channel::Chat, 0));
    sim.router
        .handle_cancel(&t("t6"), CancelReason::CallerLeft, 2)
        .expect("cancel");
    sim.events();
    let state = |id: &str| sim.router.task(&t(id)).map(|t| t.state.clone());
    assert_eq!(state("t1"), Some(TaskState::Assigned { agent: a("a1") }));
    assert_eq!(
        state("t2"),
        Some(TaskState::Offered {
            agent: a("a2"),
            until_ms: 10_002
        })
    );
    assert_eq!(state("t3"), Some(TaskState::Pending));
    assert_eq!(state("t6"), Some(TaskState::Abandoned));
    sim
}

type Op = Box<dyn Fn(&mut Router) -> Result<(), RoutingError>>;

fn cases() -> Vec<(&'static str, Op, RoutingError)> {
    let taken = RoutingError::AlreadyTaken {
        task: t("t1"),
        agent: a("a1"),
    };
    let mut overflow_self = queue("x", &[]);
    overflow_self.overflow = Some(q("x"));
    let mut overflow_unknown = queue("y", &[]);
    overflow_unknown.overflow = Some(q("nowhere"));
    let over_level = agent("a9", &[("crisis", 11)], &[]);
    let mut overflow_circle = queue("q", &[]);
    overflow_circle.overflow = Some(q("crisis"));
    let target = |timeout_ms| RuleTarget {
        skills: Default::default(),
        agents: None,
        timeout_ms,
        priority_bump: 0,
    };
    let rule = |targets| RoutingRule {
        name: "r".into(),
        filter: vec![],
        targets,
    };
    let mut no_targets = queue("q", &[]);
    no_targets.rules = vec![rule(vec![])];
    let mut zero_timeout = queue("z", &[]);
    zero_timeout.rules = vec![rule(vec![target(Some(0)), target(None)])];
    vec![
        (
            "accept a taken task",
            Box::new(|r| r.handle_accept(&t("t1"), &a("a1"), 100)),
            taken.clone(),
        ),
        (
            "accept another's offer",
            Box::new(|r| r.handle_accept(&t("t2"), &a("a1"), 100)),
            RoutingError::OfferedToOther {
                task: t("t2"),
                agent: a("a1"),
            },
        ),
        (
            "accept an expired offer",
            Box::new(|r| r.handle_accept(&t("t2"), &a("a2"), 10_002)),
            RoutingError::OfferExpired(t("t2")),
        ),
        (
            "accept a task never offered",
            Box::new(|r| r.handle_accept(&t("t3"), &a("a2"), 100)),
            RoutingError::NotOffered(t("t3")),
        ),
        (
            "accept a finished task",
            Box::new(|r| r.handle_accept(&t("t6"), &a("a2"), 100)),
            RoutingError::TaskFinished(t("t6")),
        ),
        (
            "accept an unknown task",
            Box::new(|r| r.handle_accept(&t("nope"), &a("a2"), 100)),
            RoutingError::UnknownTask(t("nope")),
        ),
        (
            "accept by an unknown agent",
            Box::new(|r| r.handle_accept(&t("t2"), &a("nope"), 100)),
            RoutingError::UnknownAgent(a("nope")),
        ),
        (
            "decline another's offer",
            Box::new(|r| r.handle_decline(&t("t2"), &a("a1"), 100)),
            RoutingError::OfferedToOther {
                task: t("t2"),
                agent: a("a1"),
            },
        ),
        (
            "complete an offered task",
            Box::new(|r| r.handle_complete(&t("t2"), &a("a2"), 100)),
            RoutingError::NotAssigned {
                task: t("t2"),
                agent: a("a2"),
            },
        ),
        (
            "complete another's task",
            Box::new(|r| r.handle_complete(&t("t1"), &a("a2"), 100)),
            RoutingError::NotAssigned {
                task: t("t1"),
                agent: a("a2"),
            },
        ),
        (
            "cancel an assigned task",
            Box::new(|r| r.handle_cancel(&t("t1"), CancelReason::CallerLeft, 100)),
            taken,
        ),
        (
            "cancel a finished task",
            Box::new(|r| r.handle_cancel(&t("t6"), CancelReason::Withdrawn, 100)),
            RoutingError::TaskFinished(t("t6")),
        ),
        (
            "transfer to an unknown queue",
            Box::new(|r| r.handle_transfer(&t("t3"), Transfer::Queue(q("nowhere")), 100)),
            RoutingError::UnknownQueue(q("nowhere")),
        ),
        (
            "transfer to an agent without the skill",
            Box::new(|r| {
                r.handle_transfer(
                    &t("t3"),
                    Transfer::Agent {
                        queue: q("crisis"),
                        agent: a("a2"),
                    },
                    100,
                )
            }),
            RoutingError::SkillMismatch {
                agent: a("a2"),
                queue: q("crisis"),
            },
        ),
        (
            "transfer to an agent over capacity",
            Box::new(|r| {
                r.handle_transfer(
                    &t("t3"),
                    Transfer::Agent {
                        queue: q("crisis"),
                        agent: a("a1"),
                    },
                    100,
                )
            }),
            RoutingError::AtCapacity {
                agent: a("a1"),
                channel: Channel::Voice,
            },
        ),
        (
            "transfer to an agent who is away",
            Box::new(|r| {
                r.handle_transfer(
                    &t("t3"),
                    Transfer::Agent {
                        queue: q("crisis"),
                        agent: a("a3"),
                    },
                    100,
                )
            }),
            RoutingError::AgentUnavailable(a("a3")),
        ),
        (
            "transfer a finished task",
            Box::new(|r| r.handle_transfer(&t("t6"), Transfer::Queue(q("q")), 100)),
            RoutingError::TaskFinished(t("t6")),
        ),
        (
            "enqueue a task twice",
            Box::new(|r| r.handle_enqueue(task("t1", "q", Channel::Voice, 0), 100)),
            RoutingError::DuplicateTask(t("t1")),
        ),
        (
            "enqueue to an unknown queue",
            Box::new(|r| r.handle_enqueue(task("t9", "nowhere", Channel::Voice, 0), 100)),
            RoutingError::UnknownQueue(q("nowhere")),
        ),
        (
            "add an agent twice",
            Box::new(|r| r.handle_add_agent(agent("a1", &[], &[]), Presence::Available, 100)),
            RoutingError::DuplicateAgent(a("a1")),
        ),
        (
            "add an agent with skill level 11",
            Box::new(move |r| r.handle_add_agent(over_level.clone(), Presence::Available, 100)),
            RoutingError::InvalidSkillLevel {
                skill: "crisis".into(),
                level: 11,
            },
        ),
        (
            "add a queue twice",
            Box::new(|r| r.handle_add_queue(queue("q", &[]), true, 100)),
            RoutingError::DuplicateQueue(q("q")),
        ),
        (
            "add a queue overflowing to itself",
            Box::new(move |r| r.handle_add_queue(overflow_self.clone(), true, 100)),
            RoutingError::OverflowToSelf { queue: q("x") },
        ),
        (
            "add a queue overflowing to an unknown queue",
            Box::new(move |r| r.handle_add_queue(overflow_unknown.clone(), true, 100)),
            RoutingError::UnknownQueue(q("nowhere")),
        ),
        (
            "set presence WrapUp",
            Box::new(|r| r.handle_presence(&a("a2"), Presence::WrapUp { until_ms: 5 }, 100)),
            RoutingError::WrapUpNotSettable,
        ),
        (
            "set an unknown agent's presence",
            Box::new(|r| r.handle_presence(&a("nope"), Presence::Away, 100)),
            RoutingError::UnknownAgent(a("nope")),
        ),
        (
            "remove an agent holding a task",
            Box::new(|r| r.handle_remove_agent(&a("a1"), 100)),
            RoutingError::AgentBusyWithTasks(a("a1")),
        ),
        (
            "update an unknown agent",
            Box::new(|r| r.handle_update_agent(agent("nope", &[], &[]), 100)),
            RoutingError::UnknownAgent(a("nope")),
        ),
        (
            "update an agent to skill level 11",
            Box::new(|r| r.handle_update_agent(agent("a2", &[("crisis", 11)], &[]), 100)),
            RoutingError::InvalidSkillLevel {
                skill: "crisis".into(),
                level: 11,
            },
        ),
        (
            "update an unknown queue",
            Box::new(|r| r.handle_update_queue(queue("nowhere", &[]), 100)),
            RoutingError::UnknownQueue(q("nowhere")),
        ),
        (
            "update a queue to overflow in a circle",
            Box::new(move |r| r.handle_update_queue(overflow_circle.clone(), 100)),
            RoutingError::OverflowCycle { queue: q("q") },
        ),
        (
            "update a queue with a rule without targets",
            Box::new(move |r| r.handle_update_queue(no_targets.clone(), 100)),
            RoutingError::InvalidRule {
                queue: q("q"),
                rule: 0,
                problem: RuleProblem::NoTargets,
            },
        ),
        (
            "add a queue with a zero timeout before the last target",
            Box::new(move |r| r.handle_add_queue(zero_timeout.clone(), true, 100)),
            RoutingError::InvalidRule {
                queue: q("z"),
                rule: 0,
                problem: RuleProblem::ZeroTimeout { target: 0 },
            },
        ),
        (
            "open an unknown queue",
            Box::new(|r| r.handle_queue_open(&q("nowhere"), true, 100)),
            RoutingError::UnknownQueue(q("nowhere")),
        ),
    ]
}

#[test]
fn every_bad_input_is_refused_and_changes_nothing() {
    for (name, op, expected) in cases() {
        let mut sim = fixture();
        let before = sim.snapshot();
        let timeout = sim.router.poll_timeout();
        assert_eq!(op(&mut sim.router), Err(expected), "{name}");
        assert_eq!(sim.snapshot(), before, "{name}: state changed");
        assert_eq!(
            sim.router.poll_timeout(),
            timeout,
            "{name}: timeout changed"
        );
        assert!(sim.events().is_empty(), "{name}: events emitted");
    }
}

#[test]
fn the_snapshot_round_trips() {
    let sim = fixture();
    let snapshot = sim.router.snapshot();
    let json = serde_json::to_string(&snapshot).expect("serialise");
    let back: RouterSnapshot = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, snapshot);
    // Restored at the instant it was taken, the open offer is renewed with the same expiry.
    let mut restored = Router::restore(RouterConfig::default(), back, sim.now).expect("restore");
    assert_eq!(restored.snapshot(), snapshot);
    assert_eq!(
        restored.poll_event(),
        Some(routing::Event::OfferMade {
            task: t("t2"),
            agent: a("a2"),
            expires_at_ms: 10_002
        })
    );
    assert_eq!(restored.poll_event(), None);
}
