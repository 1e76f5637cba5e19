//! What the contact-centre shell changes while the router runs: agents who name no language
//! take every language, a waiting caller found to be in crisis moves to the front, and a
//! queue is removed only when nothing depends on it. Refusals change nothing.

use routing::{ANY_LANGUAGE, Channel, RoutingError};

use crate::helpers::{Sim, a, agent, pair, q, queue, t, task};

#[test]
fn an_agent_for_any_language_takes_tasks_in_every_language_and_an_agent_for_one_only_that() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("de-only", &[], &["de"]));
    let mut fr = task("fr", "q", Channel::Chat, 0);
    fr.language = Some("fr".to_owned());
    sim.enqueue(fr);
    assert_eq!(
        sim.offers(),
        Vec::<(String, String)>::new(),
        "nobody speaks French yet"
    );
    sim.advance(1_000);
    sim.add_agent(agent("any", &[], &[ANY_LANGUAGE]));
    assert_eq!(sim.offers(), [pair("fr", "any")]);
    let mut de = task("de", "q", Channel::Chat, 0);
    de.language = Some("de".to_owned());
    sim.enqueue(de);
    // Both may take it; the longest idle gets it (de-only has been idle since the start).
    assert_eq!(sim.offers(), [pair("de", "de-only")]);
}

#[test]
fn raising_a_waiting_tasks_priority_puts_it_first_and_keeps_its_age() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    for id in ["t1", "t2", "t3"] {
        sim.enqueue(task(id, "q", Channel::Voice, 0));
        sim.advance(1_000);
    }
    assert_eq!(sim.router.position(&t("t3")), Some(3));
    sim.router
        .handle_set_priority(&t("t3"), 1_000_000, sim.now)
        .expect("raise");
    assert_eq!(sim.router.position(&t("t3")), Some(1));
    assert_eq!(sim.router.position(&t("t1")), Some(2));
    assert_eq!(
        sim.router.task(&t("t3")).unwrap().created_ms,
        2_000,
        "age kept"
    );
    sim.add_agent(agent("x", &[], &[]));
    assert_eq!(sim.offers(), [pair("t3", "x")]);
    // An offered task is still waiting and may be raised; an assigned one may not.
    sim.router
        .handle_accept(&t("t3"), &a("x"), sim.now)
        .unwrap();
    let before = sim.snapshot();
    assert_eq!(
        sim.router.handle_set_priority(&t("t3"), 5, sim.now),
        Err(RoutingError::NotWaiting(t("t3")))
    );
    assert_eq!(
        sim.router.handle_set_priority(&t("nope"), 5, sim.now),
        Err(RoutingError::UnknownTask(t("nope")))
    );
    assert_eq!(sim.snapshot(), before, "refusals change nothing");
}

#[test]
fn a_queue_is_removed_only_when_empty_and_no_overflow_target() {
    let mut sim = Sim::new();
    sim.add_queue(queue("spill", &[]));
    let mut main = queue("main", &[]);
    main.overflow = Some(q("spill"));
    main.max_wait_ms = Some(60_000);
    sim.add_queue(main);
    sim.enqueue(task("t1", "main", Channel::Chat, 0));
    let before = sim.snapshot();
    assert_eq!(
        sim.router.handle_remove_queue(&q("main"), sim.now),
        Err(RoutingError::QueueInUse(q("main")))
    );
    assert_eq!(
        sim.router.handle_remove_queue(&q("spill"), sim.now),
        Err(RoutingError::QueueInUse(q("spill")))
    );
    assert_eq!(
        sim.router.handle_remove_queue(&q("none"), sim.now),
        Err(RoutingError::UnknownQueue(q("none")))
    );
    assert_eq!(sim.snapshot(), before);
    // Once its task is gone, the queue can go; then the one it overflowed to.
    sim.router
        .handle_cancel(&t("t1"), routing::CancelReason::CallerLeft, sim.now)
        .unwrap();
    sim.router.handle_remove_queue(&q("main"), sim.now).unwrap();
    sim.router
        .handle_remove_queue(&q("spill"), sim.now)
        .unwrap();
    assert!(sim.router.queue(&q("main")).is_none());
    // An agent eligible for the removed queue is fine afterwards (no stale index).
    sim.add_agent(agent("x", &[], &[]));
    sim.add_queue(queue("main", &[]));
    sim.enqueue(task("t2", "main", Channel::Chat, 0));
    assert_eq!(sim.offers(), [pair("t2", "x")]);
    sim.router.check_invariants().unwrap();
}
