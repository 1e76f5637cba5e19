//! Rebuilding a router from stored rows after a restart (`Router::restore`): open offers,
//! waiting order, wrap-ups that ran out while the shell was down, final tasks, the sequence
//! counter, the handle-time history, and rows that contradict each other.

use crate::helpers::{Sim, a, agent, q, queue, t, task};
use routing::{
    Agent, Channel, Event, Presence, QueueId, RequeueReason, Router, RouterConfig, RouterSnapshot,
    RoutingError, Task, TaskState, WithdrawReason,
};
use std::collections::BTreeMap;

fn restore(snapshot: RouterSnapshot, now: u64) -> Result<Router, RoutingError> {
    Router::restore(RouterConfig::default(), snapshot, now)
}

fn events(router: &mut Router) -> Vec<Event> {
    std::iter::from_fn(|| router.poll_event()).collect()
}

/// Queue `q`, agents x (idle since 0) and y (idle since 1), task t1 offered to x at 0.
fn offered() -> Sim {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.now = 1;
    sim.add_agent(agent("y", &[], &[]));
    sim.events();
    sim
}

fn pending(id: &str, priority: i32, created_ms: u64, seq: u64) -> Task {
    Task {
        spec: task(id, "q", Channel::Voice, priority),
        state: TaskState::Pending,
        created_ms,
        enqueued_ms: created_ms,
        seq,
        assigned_ms: None,
        skipped: Default::default(),
    }
}

fn available(id: &str) -> Agent {
    Agent {
        spec: agent(id, &[], &[]),
        presence: Presence::Available,
        idle_since_ms: 0,
        missed_offers: 0,
    }
}

#[test]
fn an_open_offer_is_renewed_to_the_same_agent_with_a_fresh_expiry() {
    let sim = offered();
    let mut router = restore(sim.router.snapshot(), 5_000).expect("restore");
    assert_eq!(
        events(&mut router),
        vec![Event::OfferMade {
            task: t("t1"),
            agent: a("x"),
            expires_at_ms: 15_000
        }]
    );
    assert_eq!(router.poll_timeout(), Some(15_000));
    router.check_invariants().expect("invariants");
}

#[test]
fn an_offer_to_an_agent_no_longer_available_goes_to_the_next() {
    let sim = offered();
    let mut snapshot = sim.router.snapshot();
    // The shell stored x as logged out while it was down.
    snapshot.agents[0].presence = Presence::Offline;
    let mut router = restore(snapshot, 5_000).expect("restore");
    assert_eq!(
        events(&mut router),
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("x"),
                reason: WithdrawReason::AgentUnavailable
            },
            Event::TaskRequeued {
                task: t("t1"),
                queue: q("q"),
                reason: RequeueReason::AgentUnavailable
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("y"),
                expires_at_ms: 15_000
            },
        ]
    );
    // x is not counted as having missed it.
    assert_eq!(router.agent(&a("x")).map(|x| x.missed_offers), Some(0));
}

#[test]
fn waiting_tasks_keep_their_order_priority_then_age_then_sequence() {
    let snapshot = RouterSnapshot {
        queues: vec![routing::Queue {
            spec: queue("q", &[]),
            open: true,
        }],
        // Stored in no particular order.
        tasks: vec![
            pending("late", 0, 3_000, 2),
            pending("tie-second", 0, 1_000, 7),
            pending("urgent", 1, 5_000, 9),
            pending("tie-first", 0, 1_000, 4),
        ],
        next_seq: 10,
        ..RouterSnapshot::default()
    };
    let mut router = restore(snapshot, 10_000).expect("restore");
    let order: Vec<_> = ["urgent", "tie-first", "tie-second", "late"]
        .iter()
        .map(|id| router.position(&t(id)))
        .collect();
    assert_eq!(order, vec![Some(1), Some(2), Some(3), Some(4)]);
    assert!(events(&mut router).is_empty());
    let mut x = agent("x", &[], &[]);
    x.capacity = BTreeMap::from([(Channel::Voice, 4)]);
    router
        .handle_add_agent(x, Presence::Available, 10_000)
        .expect("agent");
    let offered: Vec<_> = events(&mut router)
        .into_iter()
        .filter_map(|e| match e {
            Event::OfferMade { task, .. } => Some(task.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(offered, vec!["urgent", "tie-first", "tie-second", "late"]);
    // The sequence counter continues after the stored one.
    router
        .handle_enqueue(task("new", "q", Channel::Voice, 0), 10_000)
        .expect("enqueue");
    assert_eq!(router.task(&t("new")).map(|t| t.seq), Some(10));
}

#[test]
fn the_sequence_counter_is_raised_above_every_stored_task() {
    let snapshot = RouterSnapshot {
        queues: vec![routing::Queue {
            spec: queue("q", &[]),
            open: true,
        }],
        tasks: vec![pending("old", 0, 0, 41)],
        next_seq: 3,
        ..RouterSnapshot::default()
    };
    let mut router = restore(snapshot, 0).expect("restore");
    router
        .handle_enqueue(task("new", "q", Channel::Voice, 0), 0)
        .expect("enqueue");
    assert_eq!(router.task(&t("new")).map(|t| t.seq), Some(42));
}

#[test]
fn a_wrap_up_that_ended_while_down_completes_on_the_next_timeout() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    spec.wrap_up_ms = 30_000;
    sim.add_queue(spec);
    sim.add_agent(agent("x", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("t1"), &a("x"), 0)
        .expect("accept");
    sim.router
        .handle_complete(&t("t1"), &a("x"), 1_000)
        .expect("complete");
    sim.now = 1_000;
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    sim.events();
    let mut router = restore(sim.router.snapshot(), 120_000).expect("restore");
    assert!(events(&mut router).is_empty());
    // The wrap-up ended at 31 s, before the restart: the shell's next timeout handles it.
    assert_eq!(router.poll_timeout(), Some(31_000));
    router.handle_timeout(120_000);
    assert_eq!(
        events(&mut router),
        vec![
            Event::TaskCompleted {
                task: t("t1"),
                agent: a("x")
            },
            Event::AgentPresenceChanged {
                agent: a("x"),
                presence: Presence::Available
            },
            Event::OfferMade {
                task: t("t2"),
                agent: a("x"),
                expires_at_ms: 130_000
            },
        ]
    );
    // The handle time counts to the wrap-up's end: 31 s from the accept at 0.
    assert_eq!(router.average_handle_ms(&q("q")), Some(31_000));
}

#[test]
fn final_tasks_are_dropped_and_the_handle_time_history_kept() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &[]));
    sim.enqueue(task("done", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("done"), &a("x"), 0)
        .expect("accept");
    sim.router
        .handle_complete(&t("done"), &a("x"), 90_000)
        .expect("complete");
    sim.events();
    let mut snapshot = sim.router.snapshot();
    assert!(snapshot.tasks.is_empty(), "the snapshot holds live tasks");
    assert_eq!(
        snapshot.handle_times,
        BTreeMap::from([(q("q"), vec![90_000])])
    );
    // A shell that stored a finished row anyway: it is not kept.
    let mut finished = pending("done", 0, 0, 0);
    finished.state = TaskState::Completed { agent: a("x") };
    snapshot.tasks.push(finished);
    let router = restore(snapshot, 100_000).expect("restore");
    assert_eq!(router.tasks().count(), 0);
    assert!(router.task(&t("done")).is_none());
    assert_eq!(router.average_handle_ms(&q("q")), Some(90_000));
}

#[test]
fn rows_that_contradict_each_other_are_refused() {
    let base = || RouterSnapshot {
        agents: vec![available("x")],
        queues: vec![routing::Queue {
            spec: queue("q", &[]),
            open: true,
        }],
        tasks: vec![],
        next_seq: 0,
        handle_times: BTreeMap::new(),
    };
    let assigned = |id: &str, agent: &str, seq| {
        let mut task = pending(id, 0, 0, seq);
        task.state = TaskState::Assigned { agent: a(agent) };
        task
    };
    let mut cases: Vec<(&str, RouterSnapshot, RoutingError)> = Vec::new();
    let mut s = base();
    s.agents.push(available("x"));
    cases.push(("duplicate agent", s, RoutingError::DuplicateAgent(a("x"))));
    let mut s = base();
    s.queues.push(s.queues[0].clone());
    cases.push(("duplicate queue", s, RoutingError::DuplicateQueue(q("q"))));
    let mut s = base();
    s.tasks = vec![pending("t1", 0, 0, 0), pending("t1", 0, 0, 1)];
    cases.push(("duplicate task", s, RoutingError::DuplicateTask(t("t1"))));
    let mut s = base();
    s.tasks = vec![pending("t1", 0, 0, 5), pending("t2", 0, 0, 5)];
    cases.push((
        "duplicate sequence number",
        s,
        RoutingError::DuplicateSeq {
            seq: 5,
            task: t("t1"),
            other: t("t2"),
        },
    ));
    let mut s = base();
    s.tasks = vec![assigned("t1", "ghost", 0)];
    cases.push((
        "assigned to an unknown agent",
        s,
        RoutingError::HeldByUnknownAgent {
            task: t("t1"),
            agent: a("ghost"),
        },
    ));
    let mut s = base();
    s.tasks = vec![assigned("t1", "x", 0), assigned("t2", "x", 1)];
    cases.push((
        "two voice tasks for a capacity of one",
        s,
        RoutingError::OverCapacity {
            agent: a("x"),
            channel: Channel::Voice,
            held: 2,
            capacity: 1,
        },
    ));
    let mut s = base();
    let mut lost = pending("t1", 0, 0, 0);
    lost.spec.queue = QueueId::new("gone");
    s.tasks = vec![lost];
    cases.push((
        "task in an unknown queue",
        s,
        RoutingError::UnknownQueue(q("gone")),
    ));
    let mut s = base();
    s.queues[0].spec.overflow = Some(q("r"));
    let mut r = queue("r", &[]);
    r.overflow = Some(q("q"));
    s.queues.push(routing::Queue {
        spec: r,
        open: true,
    });
    cases.push((
        "overflow in a circle",
        s,
        RoutingError::OverflowCycle { queue: q("q") },
    ));
    let mut s = base();
    s.agents[0].spec.skills.insert("crisis".into(), 12);
    cases.push((
        "skill level beyond 10",
        s,
        RoutingError::InvalidSkillLevel {
            skill: "crisis".into(),
            level: 12,
        },
    ));
    for (name, snapshot, expected) in cases {
        assert_eq!(restore(snapshot, 0).err(), Some(expected), "{name}");
    }
    // An offer is not counted against capacity: it is renewed or withdrawn instead.
    let mut s = base();
    let mut offered = pending("t2", 0, 0, 1);
    offered.state = TaskState::Offered {
        agent: a("x"),
        until_ms: 5,
    };
    s.tasks = vec![assigned("t1", "x", 0), offered];
    let mut router = restore(s, 0).expect("an offer beyond capacity is withdrawn");
    assert!(matches!(
        events(&mut router).first(),
        Some(Event::OfferWithdrawn { .. })
    ));
}
