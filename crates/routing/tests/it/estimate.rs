//! Position, estimated wait and queue figures, against figures worked out by hand; and the
//! bounded memory of finished tasks.

use crate::helpers::{Sim, a, agent, q, queue, t, task};
use routing::{Channel, Presence, PresenceCounts, QueueStats, RouterConfig, RoutingError};

/// Queue `q` needs debt ≥ 2, gives a minute to accept and has a 20 s wrap-up. Agents: x (debt 3, available), y (debt 5,
/// away), z (debt 4, offline), w (no debt). Tasks t1…t5 enqueued at 0, 1, 2, 3, 4 s.
fn five_waiting() -> Sim {
    let mut sim = Sim::new();
    let mut spec = queue("q", &[("debt", 2)]);
    spec.wrap_up_ms = 20_000;
    spec.offer_timeout_ms = 60_000;
    sim.add_queue(spec);
    sim.add_agent(agent("x", &[("debt", 3)], &[]));
    for (id, level, presence) in [("y", 5, Presence::Away), ("z", 4, Presence::Offline)] {
        sim.router
            .handle_add_agent(agent(id, &[("debt", level)], &[]), presence, 0)
            .expect("agent");
    }
    sim.add_agent(agent("w", &[], &[]));
    for i in 1..=5u64 {
        sim.now = (i - 1) * 1_000;
        sim.enqueue(task(&format!("t{i}"), "q", Channel::Voice, 0));
    }
    sim.events();
    sim
}

#[test]
fn estimated_wait_shares_the_callers_ahead_among_the_agents() {
    let mut sim = five_waiting();
    // Agents counted: x and y (away counts, offline z does not, w lacks the skill) = 2.
    // No history yet: the default handle time, 5 min = 300 000 ms.
    // t1 is offered to x but still waiting: position 1.
    //   t1: ceil(1/2) = 1 × 300 000 = 300 000
    //   t2: ceil(2/2) = 1 × 300 000 = 300 000
    //   t3: ceil(3/2) = 2 × 300 000 = 600 000
    //   t4: ceil(4/2) = 2 × 300 000 = 600 000
    //   t5: ceil(5/2) = 3 × 300 000 = 900 000
    let ewt = |sim: &Sim, id: &str| sim.router.estimated_wait_ms(&t(id));
    let expected = [300_000, 300_000, 600_000, 600_000, 900_000];
    for (i, want) in expected.iter().enumerate() {
        let id = format!("t{}", i + 1);
        assert_eq!(sim.router.position(&t(&id)), Some(i as u32 + 1));
        assert_eq!(ewt(&sim, &id), Some(*want), "{id}");
    }
    // x handles t1: accepted at 10 s, done at 130 s, wrap-up to 150 s: 140 000 ms.
    sim.router
        .handle_accept(&t("t1"), &a("x"), 10_000)
        .expect("accept");
    assert_eq!(sim.router.position(&t("t1")), None, "assigned: not waiting");
    assert_eq!(ewt(&sim, "t1"), None);
    sim.router
        .handle_complete(&t("t1"), &a("x"), 130_000)
        .expect("complete");
    sim.advance_to(150_000);
    // t2 is offered to x at 150 s; accepted at 160 s, done at 260 s, wrap-up to 280 s:
    // 120 000 ms.
    sim.router
        .handle_accept(&t("t2"), &a("x"), 160_000)
        .expect("accept");
    sim.router
        .handle_complete(&t("t2"), &a("x"), 260_000)
        .expect("complete");
    sim.advance_to(280_000);
    // Average handle time (140 000 + 120 000) / 2 = 130 000. Waiting: t3 (offered to x), t4,
    // t5 at positions 1, 2, 3.
    //   t5: ceil(3/2) = 2 × 130 000 = 260 000
    assert_eq!(sim.router.average_handle_ms(&q("q")), Some(130_000));
    assert_eq!(sim.router.position(&t("t5")), Some(3));
    assert_eq!(ewt(&sim, "t5"), Some(260_000));
    // z logs in (busy): agents x, y, z = 3. t5: ceil(3/3) = 1 × 130 000.
    sim.router
        .handle_presence(&a("z"), Presence::Busy, 280_000)
        .expect("presence");
    assert_eq!(ewt(&sim, "t5"), Some(130_000));
}

#[test]
fn nobody_able_to_take_the_task_counts_as_one_agent() {
    let mut sim = Sim::new();
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &["de"]));
    let mut spec = task("t1", "q", Channel::Voice, 0);
    spec.language = Some("fr".into());
    sim.enqueue(spec);
    let mut spec = task("t2", "q", Channel::Voice, 0);
    spec.language = Some("fr".into());
    sim.enqueue(spec);
    // Nobody speaks French: max(1, 0) = 1 agent; t2 at position 2: 2 × 300 000.
    assert_eq!(sim.router.estimated_wait_ms(&t("t2")), Some(600_000));
}

#[test]
fn the_average_is_over_the_last_samples_only() {
    let mut sim = Sim::with_config(RouterConfig {
        handle_time_samples: 2,
        ..RouterConfig::default()
    });
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &[]));
    // Handle times 10 s, 20 s, 60 s: the last two average (20 000 + 60 000) / 2 = 40 000.
    for (i, ms) in [10_000u64, 20_000, 60_000].into_iter().enumerate() {
        let id = format!("t{i}");
        sim.enqueue(task(&id, "q", Channel::Voice, 0));
        sim.router
            .handle_accept(&t(&id), &a("x"), sim.now)
            .expect("accept");
        sim.now += ms;
        sim.router
            .handle_complete(&t(&id), &a("x"), sim.now)
            .expect("complete");
    }
    assert_eq!(sim.router.average_handle_ms(&q("q")), Some(40_000));
}

#[test]
fn queue_stats_for_the_supervisor() {
    let mut sim = five_waiting();
    sim.router
        .handle_accept(&t("t1"), &a("x"), 10_000)
        .expect("accept");
    sim.router
        .handle_complete(&t("t1"), &a("x"), 30_000)
        .expect("complete");
    // At 40 s: t1 wraps up (x until 50 s), t2…t5 wait, none offered (x is in wrap-up). The
    // task that entered first among them, t2, came at 1 s: 39 000 ms.
    let stats = sim.router.queue_stats(&q("q"), 40_000).expect("stats");
    assert_eq!(
        stats,
        QueueStats {
            waiting: 4,
            offered: 0,
            assigned: 0,
            wrap_up: 1,
            longest_wait_ms: Some(39_000),
            agents: PresenceCounts {
                available: 0,
                busy: 0,
                wrap_up: 1,
                away: 1,
                offline: 1
            },
            average_handle_ms: 300_000,
        }
    );
    assert_eq!(sim.router.queue_stats(&q("nowhere"), 0), None);
}

#[test]
fn finished_tasks_are_forgotten_beyond_the_configured_few() {
    let mut sim = Sim::with_config(RouterConfig {
        finished_tasks_kept: 5,
        ..RouterConfig::default()
    });
    sim.add_queue(queue("q", &[]));
    sim.add_agent(agent("x", &[], &[]));
    for i in 0..10_000u32 {
        let id = format!("t{i:05}");
        sim.enqueue(task(&id, "q", Channel::Voice, 0));
        sim.router
            .handle_accept(&t(&id), &a("x"), sim.now)
            .expect("accept");
        sim.now += 1_000;
        sim.router
            .handle_complete(&t(&id), &a("x"), sim.now)
            .expect("complete");
        if i % 1_000 == 0 {
            sim.events();
        }
    }
    sim.events();
    // 10 000 tasks handled; the router holds none live, 5 finished, 20 handle times.
    assert_eq!(sim.router.tasks().count(), 0);
    let kept: Vec<_> = sim
        .router
        .finished_tasks()
        .map(|t| t.spec.id.to_string())
        .collect();
    assert_eq!(kept, ["t09995", "t09996", "t09997", "t09998", "t09999"]);
    assert_eq!(sim.router.snapshot().handle_times[&q("q")].len(), 20);
    assert!(sim.router.task(&t("t00000")).is_none());
    // A forgotten id may come again; a remembered one is still refused.
    sim.enqueue(task("t00000", "q", Channel::Voice, 0));
    assert_eq!(
        sim.router
            .handle_enqueue(task("t09999", "q", Channel::Voice, 0), sim.now),
        Err(RoutingError::DuplicateTask(t("t09999")))
    );
}
