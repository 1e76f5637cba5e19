//! `routing::kpi` against figures worked out by hand, the arithmetic written beside each.
//! Times are milliseconds from the epoch; `m(x)` is x minutes.

use routing::kpi::{
    AgentState, Buckets, KpiConfig, Mean, OccupancyInterval, Outcome, PresenceInterval,
    QueueInterval, Ratio, ServiceLevelVariant, Targets, TaskRecord, report,
};
use routing::{AgentId, QueueId, TaskId};
use std::collections::BTreeMap;

const fn m(minutes: u64) -> u64 {
    minutes * 60_000
}

const Q: i64 = 900_000;

/// An answered contact's outcome.
fn answer(
    agent: &str,
    answered_ms: u64,
    ended_ms: Option<u64>,
    wrap_up_end_ms: Option<u64>,
    hold_ms: u64,
) -> Outcome {
    Outcome::Answered {
        agent: AgentId::new(agent),
        answered_ms,
        ended_ms,
        wrap_up_end_ms,
        hold_ms,
    }
}

fn record(id: &str, queue: &str, enqueued_ms: u64, outcome: Outcome) -> TaskRecord {
    TaskRecord {
        task: TaskId::new(id),
        queue: QueueId::new(queue),
        enqueued_ms,
        outcome,
    }
}

fn presence(agent: &str, from_ms: u64, to_ms: u64, state: AgentState) -> PresenceInterval {
    PresenceInterval {
        agent: AgentId::new(agent),
        from_ms,
        to_ms,
        state,
    }
}

/// Queue "sales" (default targets: within 20 s, short abandon under 5 s) and "support"
/// (within 60 s, service level of answered only).
fn records() -> Vec<TaskRecord> {
    vec![
        // r1: waits 10 s (within); talk 190 − 10 − 30 hold = 150 s; wrap-up 250 − 190 = 60 s;
        // handle 250 − 10 = 240 s.
        record(
            "r1",
            "sales",
            0,
            answer("ann", 10_000, Some(190_000), Some(250_000), 30_000),
        ),
        // r2: waits 100 − 60 = 40 s (not within); talk 400 − 100 = 300 s; wrap-up 20 s;
        // handle 320 s.
        record(
            "r2",
            "sales",
            m(1),
            answer("bob", 100_000, Some(400_000), Some(420_000), 0),
        ),
        // r3: abandoned after 3 s: short.
        record(
            "r3",
            "sales",
            m(2),
            Outcome::Abandoned {
                at_ms: m(2) + 3_000,
            },
        ),
        // r4: abandoned after 30 s: long.
        record(
            "r4",
            "sales",
            m(3),
            Outcome::Abandoned {
                at_ms: m(3) + 30_000,
            },
        ),
        // r5: timed out.
        record("r5", "sales", m(4), Outcome::TimedOut { at_ms: m(9) }),
        // r6: enters at 14:59, answered at 15:05 (waits 6 s, within), still wrapping up: it
        // counts in the first quarter hour, where it entered; answered, not completed.
        record(
            "r6",
            "sales",
            899_000,
            answer("ann", 905_000, Some(1_025_000), None, 0),
        ),
        // r7: enters at 16:00, abandons after 2 s (short): the second quarter hour's only one.
        record(
            "r7",
            "sales",
            m(16),
            Outcome::Abandoned {
                at_ms: m(16) + 2_000,
            },
        ),
        // s1 (support): waits 70 s (not within 60 s); bob talks to it beside r2 (a chat), to
        // 200 s, no wrap-up.
        record(
            "s1",
            "support",
            30_000,
            answer("bob", 100_000, Some(200_000), Some(200_000), 0),
        ),
    ]
}

fn config() -> KpiConfig {
    KpiConfig {
        default: Targets::default(),
        queues: BTreeMap::from([(
            QueueId::new("support"),
            Targets {
                answer_within_ms: 60_000,
                short_abandon_ms: 5_000,
                variant: ServiceLevelVariant::AnsweredOfAnswered,
            },
        )]),
    }
}

fn mean(total_ms: u64, count: u64) -> Option<Mean> {
    Some(Mean { total_ms, count })
}

fn ratio(part: u64, whole: u64) -> Option<Ratio> {
    Some(Ratio { part, whole })
}

#[test]
fn queue_figures_per_quarter_hour() {
    let r = report(&records(), &[], &config(), Buckets::quarter_hours());
    assert_eq!(
        r.queues,
        vec![
            QueueInterval {
                queue: QueueId::new("sales"),
                start_ms: 0,
                end_ms: Q,
                // r1…r6
                offered: 6,
                // r1, r2, r6
                answered: 3,
                // r1 (10 s), r6 (6 s)
                answered_within: 2,
                // r3, r4
                abandoned: 2,
                short_abandoned: 1,
                timed_out: 1,
                // r1, r2 (r6 still wraps up)
                completed: 2,
                // (10 + 40 + 6) s / 3 = 56 000 / 3 ≈ 18 667 ms
                asa: mean(56_000, 3),
                // (240 + 320) s / 2 = 280 s
                aht: mean(560_000, 2),
                // (150 + 300) / 2 = 225 s; (30 + 0) / 2 = 15 s; (60 + 20) / 2 = 40 s;
                // 225 + 15 + 40 = 280 = AHT
                talk: mean(450_000, 2),
                hold: mean(30_000, 2),
                wrap_up: mean(80_000, 2),
                // within / (answered + long abandons) = 2 / (3 + 1); r3 (short) and r5
                // (timed out) left out
                service_level: ratio(2, 4),
                // long abandons / (offered − short) = 1 / (6 − 1)
                abandonment_rate: ratio(1, 5),
            },
            QueueInterval {
                queue: QueueId::new("sales"),
                start_ms: Q,
                end_ms: 2 * Q,
                offered: 1,
                answered: 0,
                answered_within: 0,
                abandoned: 1,
                short_abandoned: 1,
                timed_out: 0,
                completed: 0,
                // Nothing answered or completed: no average, not NaN.
                asa: None,
                aht: None,
                talk: None,
                hold: None,
                wrap_up: None,
                // 0 / (0 answered + 0 long abandons): undefined.
                service_level: None,
                // 0 / (1 offered − 1 short): undefined.
                abandonment_rate: None,
            },
            QueueInterval {
                queue: QueueId::new("support"),
                start_ms: 0,
                end_ms: Q,
                offered: 1,
                answered: 1,
                answered_within: 0,
                abandoned: 0,
                short_abandoned: 0,
                timed_out: 0,
                completed: 1,
                asa: mean(70_000, 1),
                aht: mean(100_000, 1),
                talk: mean(100_000, 1),
                hold: mean(0, 1),
                wrap_up: mean(0, 1),
                // answered only: 0 / 1
                service_level: ratio(0, 1),
                abandonment_rate: ratio(0, 1),
            },
        ]
    );
    let asa = r.queues[0].asa.map(|m| m.ms()).unwrap_or_default();
    assert!((asa - 18_666.666).abs() < 0.001, "{asa}");
    assert_eq!(r.queues[0].service_level.map(|s| s.value()), Some(0.5));
}

#[test]
fn the_service_level_variants() {
    let sl = |variant| {
        let config = KpiConfig {
            default: Targets {
                variant,
                ..Targets::default()
            },
            queues: BTreeMap::new(),
        };
        let r = report(&records(), &[], &config, Buckets::quarter_hours());
        (r.queues[0].service_level, r.queues[1].service_level)
    };
    // First quarter hour: within 2, offered 6, answered 3, long abandons 1.
    // Second: within 0, offered 1, answered 0, long abandons 0.
    assert_eq!(
        sl(ServiceLevelVariant::AnsweredOfAnsweredAndLongAbandoned),
        (ratio(2, 4), None)
    );
    assert_eq!(
        sl(ServiceLevelVariant::AnsweredOfOffered),
        (ratio(2, 6), ratio(0, 1))
    );
    assert_eq!(
        sl(ServiceLevelVariant::AnsweredOfAnswered),
        (ratio(2, 3), None)
    );
}

#[test]
fn occupancy_per_agent_and_overall_cut_at_interval_boundaries() {
    let stretches = vec![
        // ann: staffed 0–5 min, away 5–6 min, staffed 6–20 min.
        presence("ann", 0, m(5), AgentState::Available),
        presence("ann", m(5), m(6), AgentState::Away),
        presence("ann", m(6), m(20), AgentState::Available),
        presence("ann", m(20), m(60), AgentState::Offline),
        // bob: busy (staffed) the first quarter hour.
        presence("bob", 0, Q as u64, AgentState::Busy),
    ];
    let r = report(&records(), &stretches, &config(), Buckets::quarter_hours());
    let row =
        |agent: Option<&str>, start_ms: i64, handling_ms: u64, staffed_ms: u64| OccupancyInterval {
            agent: agent.map(AgentId::new),
            start_ms,
            end_ms: start_ms + Q,
            handling_ms,
            staffed_ms,
            occupancy: ratio(handling_ms, staffed_ms),
        };
    assert_eq!(
        r.agents,
        vec![
            // ann, first quarter hour: staffed 300 000 (0–5 min) + 900 000 − 360 000
            // (6–15 min) = 840 000; handling r1 10 000–250 000 = 240 000; r6 starts at 15:05.
            // 240 000 / 840 000 = 2/7.
            row(Some("ann"), 0, 240_000, 840_000),
            // ann, second: staffed 15–20 min = 300 000; r6 from 905 000, still wrapping up,
            // counts to the end of her staffed time 1 200 000: 295 000.
            row(Some("ann"), Q, 295_000, 300_000),
            // bob: r2 100 000–420 000 and s1 100 000–200 000 at the same time count once:
            // 320 000 of 900 000.
            row(Some("bob"), 0, 320_000, 900_000),
        ]
    );
    assert_eq!(
        r.overall,
        vec![
            // (240 000 + 320 000) / (840 000 + 900 000) = 560 000 / 1 740 000
            row(None, 0, 560_000, 1_740_000),
            row(None, Q, 295_000, 300_000),
        ]
    );
    // Away and offline time and a record without presence add nothing.
    let only_away = [presence("cid", 0, m(10), AgentState::Away)];
    assert!(
        report(&[], &only_away, &config(), Buckets::quarter_hours())
            .agents
            .is_empty()
    );
}

#[test]
fn intervals_aligned_to_an_offset_and_local_days() {
    // Quarter hours from 00:05 (offset 5 min): a contact entering at 00:04 belongs to the one
    // starting at 23:50 the day before the epoch, −10 min.
    let shifted = Buckets::every(Buckets::QUARTER_HOUR_MS, m(5) as i64).expect("buckets");
    let one = [record(
        "x",
        "sales",
        m(4),
        Outcome::TimedOut { at_ms: m(8) },
    )];
    let r = report(&one, &[], &config(), shifted);
    assert_eq!(
        (r.queues[0].start_ms, r.queues[0].end_ms),
        (-(m(10) as i64), m(5) as i64)
    );
    assert_eq!(Buckets::every(0, 0), None);
    const DAY: u64 = 86_400_000;
    const H: u64 = 3_600_000;
    // CET (+60 min): 23:30 UTC on day 10 is 00:30 on day 11 locally; day 11 starts at 23:00
    // UTC on day 10.
    let cet = Buckets::days(60);
    assert_eq!(
        cet.start_of(10 * DAY + 23 * H + 30 * 60_000),
        (11 * DAY - H) as i64
    );
    assert_eq!(cet.start_of(10 * DAY + 22 * H), (10 * DAY - H) as i64);
    // EST (−300 min): 03:00 UTC on day 10 is 22:00 on day 9 locally; day 9 starts at 05:00
    // UTC on day 9.
    let est = Buckets::days(-300);
    assert_eq!(est.start_of(10 * DAY + 3 * H), (9 * DAY + 5 * H) as i64);
    assert_eq!(
        est.end_of(est.start_of(10 * DAY + 3 * H)),
        (10 * DAY + 5 * H) as i64
    );
    // A day report counts a contact on the local day it entered.
    let r = report(&records(), &[], &config(), cet);
    assert_eq!(r.queues.len(), 2, "sales and support, one day each");
    assert_eq!(r.queues[0].start_ms, -(H as i64));
    assert_eq!(r.queues[0].offered, 7);
}

#[test]
fn thresholds_are_inclusive_where_documented() {
    let records = [
        // Answered exactly 20 s after entering: within.
        record("a", "sales", 0, answer("ann", 20_000, None, None, 0)),
        // Answered 20.001 s after: not within.
        record("b", "sales", 0, answer("ann", 20_001, None, None, 0)),
        // Abandoned exactly 5 s after: a long abandon (short is under 5 s).
        record("c", "sales", 0, Outcome::Abandoned { at_ms: 5_000 }),
        // Abandoned 4.999 s after: short.
        record("d", "sales", 0, Outcome::Abandoned { at_ms: 4_999 }),
        // Inconsistent: answered before it entered; the wait counts as 0, not a wrap-around.
        record("e", "sales", 10_000, answer("ann", 9_000, None, None, 0)),
    ];
    let r = report(&records, &[], &config(), Buckets::quarter_hours());
    let q = &r.queues[0];
    // Answered a, b, e; within a and e; abandons c (long) and d (short).
    assert_eq!((q.answered, q.answered_within), (3, 2));
    assert_eq!((q.abandoned, q.short_abandoned), (2, 1));
    // ASA (20 000 + 20 001 + 0) / 3; service level 2 / (3 + 1); abandonment 1 / (5 − 1).
    assert_eq!(q.asa, mean(40_001, 3));
    assert_eq!(q.service_level, ratio(2, 4));
    assert_eq!(q.abandonment_rate, ratio(1, 4));
    assert_eq!(q.aht, None, "nothing completed");
}
