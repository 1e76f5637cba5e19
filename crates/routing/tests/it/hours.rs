//! Business hours are the shell's to decide (`handle_queue_open`); the router's part: a closed
//! queue holds its tasks in order (and their maximum wait keeps running), offers none, lets
//! open offers stand, and reopening offers its tasks in order.

use crate::helpers::{Sim, a, agent, pair, q, queue, t, task};
use routing::{Channel, Event, TaskState};

/// A closed queue `q` with tasks of mixed priority and age: low0 (0 s), high (10 s, priority
/// 2), low1 (20 s), low2 (30 s); two agents, free from 0.
fn closed_with_tasks() -> Sim {
    let mut sim = Sim::new();
    sim.router
        .handle_add_queue(queue("q", &[]), false, 0)
        .expect("queue");
    sim.add_agent(agent("x", &[], &[]));
    sim.add_agent(agent("y", &[], &[]));
    for (at, id, priority) in [
        (0, "low0", 0),
        (10_000, "high", 2),
        (20_000, "low1", 0),
        (30_000, "low2", 0),
    ] {
        sim.advance_to(at);
        sim.enqueue(task(id, "q", Channel::Voice, priority));
    }
    sim
}

#[test]
fn a_closed_queue_holds_tasks_in_order_and_reopening_offers_them_in_order() {
    let mut sim = closed_with_tasks();
    sim.advance_to(8 * 3_600_000);
    assert!(sim.events().is_empty(), "closed: no offers all night");
    let positions: Vec<_> = ["high", "low0", "low1", "low2"]
        .iter()
        .map(|id| sim.router.position(&t(id)))
        .collect();
    assert_eq!(positions, vec![Some(1), Some(2), Some(3), Some(4)]);
    let stats = sim.router.queue_stats(&q("q"), sim.now).expect("stats");
    assert_eq!(stats.waiting, 4);
    assert_eq!(stats.longest_wait_ms, Some(8 * 3_600_000));
    sim.router
        .handle_queue_open(&q("q"), true, sim.now)
        .expect("open");
    // Two agents: the two first in order, to the longest idle (x and y tie at 0: by id).
    assert_eq!(sim.offers(), vec![pair("high", "x"), pair("low0", "y")]);
    sim.router
        .handle_decline(&t("high"), &a("x"), sim.now)
        .expect("decline");
    // x is free again and takes the next in order; "high" waits for someone else.
    assert_eq!(sim.offers(), vec![pair("low1", "x")]);
}

#[test]
fn closing_lets_open_offers_stand_and_holds_the_rest() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &[]));
    sim.enqueue(task("t1", "q", Channel::Voice, 0));
    sim.enqueue(task("t2", "q", Channel::Voice, 0));
    assert_eq!(sim.offers(), vec![pair("t1", "x")]);
    sim.router
        .handle_queue_open(&q("q"), false, 1_000)
        .expect("close");
    assert!(sim.events().is_empty());
    sim.router
        .handle_accept(&t("t1"), &a("x"), 2_000)
        .expect("the offer stands");
    sim.router
        .handle_complete(&t("t1"), &a("x"), 3_000)
        .expect("complete");
    // x is free, but the queue is closed: t2 waits.
    assert!(sim.offers().is_empty());
    assert_eq!(
        sim.router.task(&t("t2")).map(|t| &t.state),
        Some(&TaskState::Pending)
    );
    sim.router
        .handle_queue_open(&q("q"), true, 4_000)
        .expect("open");
    assert_eq!(sim.offers(), vec![pair("t2", "x")]);
}

#[test]
fn the_maximum_wait_runs_while_closed_and_overflows_to_an_open_queue() {
    let mut sim = Sim::new();
    sim.add_queue(queue("night", &[]));
    let mut day = queue("day", &[]);
    day.max_wait_ms = Some(60_000);
    day.overflow = Some(q("night"));
    sim.router.handle_add_queue(day, false, 0).expect("day");
    sim.add_agent(agent("x", &[], &[]));
    sim.enqueue(task("t1", "day", Channel::Voice, 0));
    assert!(sim.events().is_empty());
    sim.advance_to(60_000);
    assert_eq!(
        sim.events(),
        vec![
            Event::TaskOverflowed {
                task: t("t1"),
                from: q("day"),
                to: q("night")
            },
            Event::OfferMade {
                task: t("t1"),
                agent: a("x"),
                expires_at_ms: 70_000
            },
        ]
    );
}
