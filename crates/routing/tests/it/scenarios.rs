//! Simulations on a virtual clock, one routing rule each: skills, priority before age, longest
//! idle first, offer timeout and decline, overflow, wrap-up, capacity, closed queues, cancel.

use crate::helpers::{Sim, a, agent, pair, q, queue, t, task};
use routing::{
    CancelReason, Channel, Event, Presence, RequeueReason, RouterConfig, TaskState, Transfer,
    WithdrawReason,
};

#[test]
fn skills_levels_and_language_decide_who_is_offered() {
    let mut sim = Sim::new();
    sim.add_agent(agent("novice", &[("crisis", 3)], &["de"]));
    sim.add_agent(agent("english", &[("crisis", 9)], &["en"]));
    sim.add_agent(agent("expert", &[("crisis", 8)], &["de", "en"]));
    sim.add_queue(queue("crisis", &[("crisis", 7)]));
    let mut spec = task("t1", "crisis", Channel::Chat, 0);
    spec.language = Some("de".into());
    sim.now = 5;
    sim.enqueue(spec);
    assert_eq!(sim.offers(), vec![pair("t1", "expert")]);
}

#[test]
fn nobody_qualified_means_the_task_waits() {
    let mut sim = Sim::new();
    sim.add_agent(agent("a1", &[("billing", 10)], &["de"]));
    sim.add_queue(queue("crisis", &[("crisis", 1)]));
    sim.enqueue(task("t1", "crisis", Channel::Voice, 0));
    assert!(sim.offers().is_empty());
    assert_eq!(
        sim.router.task(&t("t1")).map(|t| &t.state),
        Some(&TaskState::Pending)
    );
}

#[test]
fn priority_before_age() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.enqueue(task("old-low", "q", Channel::Voice, 0));
    sim.now = 1_000;
    sim.enqueue(task("new-high", "q", Channel::Voice, 5));
    sim.now = 2_000;
    sim.enqueue(task("newer-low", "q", Channel::Voice, 0));
    sim.now = 3_000;
    sim.add_agent(agent("a1", &[], &[]));
    assert_eq!(sim.offers(), vec![pair("new-high", "a1")]);
    sim.add_agent(agent("a2", &[], &[]));
    assert_eq!(sim.offers(), vec![pair("old-low", "a2")]);
}

#[test]
fn longest_idle_agent_first() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.now = 100;
    sim.add_agent(agent("b", &[], &[]));
    sim.now = 50;
    sim.add_agent(agent("c", &[], &[]));
    sim.now = 200;
    sim.add_agent(agent("a", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    assert_eq!(sim.offers(), vec![pair("t1", "c"), pair("t2", "b")]);
}

#[test]
fn offer_timeout_goes_to_the_next_agent_and_away_after_missed_offers() {
    let mut sim = Sim::with_config(RouterConfig {
        missed_offers_before_away: 1,
        ..RouterConfig::default()
    });
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("first", &[], &[]));
    sim.now = 10;
    sim.add_agent(agent("second", &[], &[]));
    sim.now = 1_000;
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    assert_eq!(sim.offers(), vec![pair("t1", "first")]);
    assert_eq!(sim.router.poll_timeout(), Some(11_000));
    sim.advance_to(10_999);
    assert!(sim.events().is_empty());
    sim.advance_to(11_000);
    let events = sim.events();
    assert_eq!(
        events,
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("first"),
                reason: WithdrawReason::Expired
            },
            Event::TaskRequeued {
                task: t("t1"),
                queue: q("q"),
                reason: RequeueReason::OfferExpired
            },
            Event::AgentPresenceChanged {
                agent: a("first"),
                presence: Presence::Away
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("second"),
                expires_at_ms: 21_000
            },
        ]
    );
}

#[test]
fn accepting_after_the_offer_instant_is_refused() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.events();
    assert!(
        sim.router
            .handle_accept(&t("t1"), &a("a1"), 10_000)
            .is_err()
    );
    sim.router
        .handle_accept(&t("t1"), &a("a1"), 9_999)
        .expect("accept in time");
    assert_eq!(
        sim.events(),
        vec![Event::TaskAssigned {
            task: t("t1"),
            agent: a("a1")
        }]
    );
}

#[test]
fn decline_goes_to_the_next_agent_and_never_back() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    sim.now = 1;
    sim.add_agent(agent("a2", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    assert_eq!(sim.offers(), vec![pair("t1", "a1")]);
    sim.router
        .handle_decline(&t("t1"), &a("a1"), 2)
        .expect("decline");
    assert_eq!(sim.offers(), vec![pair("t1", "a2")]);
    sim.router
        .handle_decline(&t("t1"), &a("a2"), 3)
        .expect("decline");
    assert!(sim.offers().is_empty());
    assert_eq!(
        sim.router.task(&t("t1")).map(|t| &t.state),
        Some(&TaskState::Pending)
    );
}

#[test]
fn overflow_after_max_wait_then_time_out() {
    let mut sim = Sim::new();
    let mut last = queue("last", &[("rare", 1)]);
    last.max_wait_ms = Some(30_000);
    sim.add_queue(last);
    let mut first = queue("first", &[("rare", 1)]);
    first.max_wait_ms = Some(60_000);
    first.overflow = Some(q("last"));
    sim.add_queue(first);
    sim.enqueue(task("t1", "first", Channel::Voice, 0));
    assert_eq!(sim.router.poll_timeout(), Some(60_000));
    sim.advance_to(60_000);
    assert_eq!(
        sim.events(),
        vec![Event::TaskOverflowed {
            task: t("t1"),
            from: q("first"),
            to: q("last")
        }]
    );
    sim.advance_to(90_000);
    assert_eq!(
        sim.events(),
        vec![Event::TaskTimedOut {
            task: t("t1"),
            queue: q("last")
        }]
    );
    assert_eq!(
        sim.router.task(&t("t1")).map(|t| &t.state),
        Some(&TaskState::TimedOut)
    );
    assert_eq!(sim.router.poll_timeout(), None);
}

#[test]
fn overflow_withdraws_an_open_offer_and_the_overflow_queue_offers_again() {
    let mut sim = Sim::new();
    sim.add_queue(queue("general", &[]));
    let mut first = queue("first", &[]);
    first.max_wait_ms = Some(5_000);
    first.overflow = Some(q("general"));
    sim.add_queue(first);
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "first", Channel::Voice, 0));
    sim.events();
    sim.advance_to(5_000);
    assert_eq!(
        sim.events(),
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("a1"),
                reason: WithdrawReason::Overflowed
            },
            Event::TaskOverflowed {
                task: t("t1"),
                from: q("first"),
                to: q("general")
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("a1"),
                expires_at_ms: 15_000
            },
        ]
    );
}

#[test]
fn wrap_up_timer_then_available_and_offered_again() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    spec.wrap_up_ms = 30_000;
    sim.add_queue(spec);
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("t1"), &a("a1"), 1_000)
        .expect("accept");
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    sim.events();
    sim.router
        .handle_complete(&t("t1"), &a("a1"), 60_000)
        .expect("complete");
    sim.now = 60_000;
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskWrapUp {
                task: t("t1"),
                agent: a("a1"),
                until_ms: 90_000
            },
            Event::AgentPresenceChanged {
                agent: a("a1"),
                presence: Presence::WrapUp { until_ms: 90_000 }
            },
        ]
    );
    assert_eq!(sim.router.poll_timeout(), Some(90_000));
    sim.advance_to(89_999);
    assert!(sim.events().is_empty());
    sim.advance_to(90_000);
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskCompleted {
                task: t("t1"),
                agent: a("a1")
            },
            Event::AgentPresenceChanged {
                agent: a("a1"),
                presence: Presence::Available
            },
            Event::OfferMade {
                task: t("t2"),
                agent: a("a1"),
                expires_at_ms: 100_000
            },
        ]
    );
}

#[test]
fn ending_wrap_up_early_completes_the_task() {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[]);
    spec.wrap_up_ms = 30_000;
    sim.add_queue(spec);
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("t1"), &a("a1"), 0)
        .expect("accept");
    sim.router
        .handle_complete(&t("t1"), &a("a1"), 10)
        .expect("complete");
    sim.router
        .handle_presence(&a("a1"), Presence::Available, 20)
        .expect("presence");
    let state = sim.router.task(&t("t1")).map(|t| t.state.clone());
    assert_eq!(state, Some(TaskState::Completed { agent: a("a1") }));
    assert_eq!(sim.router.poll_timeout(), None);
}

#[test]
fn capacity_per_channel() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    for i in 0..4 {
        sim.enqueue(task(&format!("c{i}"), "q", Channel::Chat, 0));
    }
    sim.enqueue(task("v1", "q", Channel::Voice, 0));
    sim.enqueue(task("v2", "q", Channel::Voice, 0));
    sim.enqueue(task("s1", "q", Channel::Sms, 0));
    let offers = sim.offers();
    assert_eq!(
        offers,
        vec![
            pair("c0", "a1"),
            pair("c1", "a1"),
            pair("c2", "a1"),
            pair("v1", "a1")
        ]
    );
    assert_eq!(sim.router.load(&a("a1"), Channel::Chat), 3);
    sim.router
        .handle_accept(&t("c0"), &a("a1"), 1)
        .expect("accept");
    sim.router
        .handle_complete(&t("c0"), &a("a1"), 2)
        .expect("complete");
    // Zero wrap-up: the chat slot frees at once and the fourth chat is offered.
    assert!(sim.offers().contains(&pair("c3", "a1")));
}

#[test]
fn closed_queue_holds_tasks_until_opened() {
    let mut sim = Sim::new();
    sim.router
        .handle_add_queue(queue("q", &[]), false, 0)
        .expect("queue");
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.advance_to(3_600_000);
    assert!(sim.offers().is_empty());
    sim.router
        .handle_queue_open(&q("q"), true, sim.now)
        .expect("open");
    assert_eq!(sim.offers(), vec![pair("t1", "a1")]);
}

#[test]
fn cancel_withdraws_the_offer_and_frees_the_agent() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    sim.events();
    sim.router
        .handle_cancel(&t("t1"), CancelReason::CallerLeft, 100)
        .expect("cancel");
    assert_eq!(
        sim.events(),
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("a1"),
                reason: WithdrawReason::Cancelled
            },
            Event::TaskAbandoned { task: t("t1") },
            Event::OfferMade {
                task: t("t2"),
                agent: a("a1"),
                expires_at_ms: 10_100
            },
        ]
    );
    sim.router
        .handle_cancel(&t("t2"), CancelReason::Withdrawn, 200)
        .expect("cancel");
    assert_eq!(
        sim.router.task(&t("t2")).map(|t| &t.state),
        Some(&TaskState::Cancelled)
    );
}

#[test]
fn going_away_withdraws_offers() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.events();
    sim.router
        .handle_presence(&a("a1"), Presence::Away, 5)
        .expect("away");
    assert_eq!(
        sim.events(),
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("a1"),
                reason: WithdrawReason::AgentUnavailable
            },
            Event::TaskRequeued {
                task: t("t1"),
                queue: q("q"),
                reason: RequeueReason::AgentUnavailable
            },
            Event::AgentPresenceChanged {
                agent: a("a1"),
                presence: Presence::Away
            },
        ]
    );
}

#[test]
fn transfer_to_a_qualified_agent_offers_it_directly() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_queue(queue("crisis", &[("crisis", 5)]));
    sim.add_agent(agent("a1", &[], &[]));
    sim.now = 1;
    sim.add_agent(agent("a2", &[("crisis", 6)], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.router
        .handle_accept(&t("t1"), &a("a1"), 2)
        .expect("accept");
    sim.events();
    let to = Transfer::Agent {
        queue: q("crisis"),
        agent: a("a2"),
    };
    sim.router
        .handle_transfer(&t("t1"), to, 3)
        .expect("transfer");
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskRequeued {
                task: t("t1"),
                queue: q("crisis"),
                reason: RequeueReason::Transferred
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("a2"),
                expires_at_ms: 10_003
            },
        ]
    );
    assert_eq!(sim.router.load(&a("a1"), Channel::Voice), 0);
}

#[test]
fn a_lowered_capacity_keeps_taken_tasks_and_withdraws_the_later_offers() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("a1", &[], &[]));
    for i in 0..3 {
        sim.enqueue(task(&format!("c{i}"), "q", Channel::Chat, 0));
    }
    sim.router
        .handle_accept(&t("c0"), &a("a1"), 1)
        .expect("accept");
    sim.events();
    // Chat capacity 3 → 2: c0 (taken) stays, c1 (offered first) stays, c2 is withdrawn.
    let mut spec = agent("a1", &[], &[]);
    spec.capacity.insert(Channel::Chat, 2);
    sim.router.handle_update_agent(spec, 2).expect("update");
    assert_eq!(
        sim.events(),
        vec![
            Event::OfferWithdrawn {
                task: t("c2"),
                agent: a("a1"),
                reason: WithdrawReason::AgentUpdated
            },
            Event::TaskRequeued {
                task: t("c2"),
                queue: q("q"),
                reason: RequeueReason::AgentUpdated
            },
        ]
    );
    // Capacity 0: even the taken task stays, but no offer stands.
    let mut spec = agent("a1", &[], &[]);
    spec.capacity.insert(Channel::Chat, 0);
    sim.router.handle_update_agent(spec, 3).expect("update");
    assert!(matches!(
        sim.events().as_slice(),
        [Event::OfferWithdrawn { .. }, Event::TaskRequeued { .. }]
    ));
    assert_eq!(
        sim.router.task(&t("c0")).map(|t| &t.state),
        Some(&TaskState::Assigned { agent: a("a1") })
    );
    assert_eq!(sim.router.load(&a("a1"), Channel::Chat), 1);
}

#[test]
fn an_agent_who_loses_a_skill_loses_the_offers_that_need_it() {
    let mut sim = Sim::new();
    sim.add_queue(queue("crisis", &[("crisis", 5)]));
    sim.add_agent(agent("a1", &[("crisis", 6)], &[]));
    sim.enqueue(task("t1", "crisis", Channel::Voice, 0));
    assert_eq!(sim.offers(), vec![pair("t1", "a1")]);
    sim.router
        .handle_update_agent(agent("a1", &[("crisis", 4)], &[]), 1)
        .expect("update");
    assert_eq!(
        sim.events(),
        vec![
            Event::OfferWithdrawn {
                task: t("t1"),
                agent: a("a1"),
                reason: WithdrawReason::AgentUpdated
            },
            Event::TaskRequeued {
                task: t("t1"),
                queue: q("crisis"),
                reason: RequeueReason::AgentUpdated
            },
        ]
    );
    // Lowering the queue's requirement to the agent's level offers it to them again.
    sim.router
        .handle_update_queue(queue("crisis", &[("crisis", 4)]), 2)
        .expect("update queue");
    assert_eq!(sim.offers(), vec![pair("t1", "a1")]);
}
