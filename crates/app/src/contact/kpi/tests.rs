//! KPIs against hand-computed examples.

use std::collections::BTreeMap;

use domain::{ConversationId, Timestamp, UserId};
use routing::{AgentId, Channel, QueueId, TaskId, TaskSpec, TaskState};

use super::{KpiInterval, presence_intervals, rows};
use crate::contact::model::{HandOverReason, QueueConfig, ServiceLevelVariant, TaskRecord};

const S: i64 = 1000;

/// The one agent who answers in these examples.
fn agent() -> UserId {
    UserId::from_random_bytes([1; 16])
}

/// A contact that entered at `entered` s; answered after `answer` s, or left after `left` s;
/// ended (wrap-up over) at `done` s.
fn record(entered: i64, answer: Option<i64>, left: Option<i64>, done: Option<i64>) -> TaskRecord {
    let state = match (answer, left) {
        (Some(_), _) if done.is_some() => TaskState::Completed {
            agent: AgentId::new(agent().to_string()),
        },
        (Some(_), _) => TaskState::Assigned {
            agent: AgentId::new(agent().to_string()),
        },
        (None, Some(_)) => TaskState::Abandoned,
        (None, None) => TaskState::Pending,
    };
    TaskRecord {
        id: format!("t{entered}"),
        conversation_id: ConversationId::from_random_bytes([7; 16]),
        channel: domain::Channel::Chat,
        reason: HandOverReason::Flow,
        crisis: false,
        language: "de".to_owned(),
        intent: None,
        confidence: None,
        variables: BTreeMap::new(),
        routing: routing::Task {
            spec: TaskSpec {
                id: TaskId::new(format!("t{entered}")),
                channel: Channel::Chat,
                queue: QueueId::new("q"),
                priority: 0,
                language: None,
                attributes: BTreeMap::new(),
            },
            state,
            created_ms: (entered * S) as u64,
            enqueued_ms: (entered * S) as u64,
            seq: entered as u64,
            skipped: Default::default(),
            assigned_ms: answer.map(|a| ((entered + a) * S) as u64),
        },
        created_at: Timestamp::from_millis(entered * S),
        answered_at: answer.map(|a| Timestamp::from_millis((entered + a) * S)),
        talk_ended_at: None,
        ended_at: done
            .map(|d| Timestamp::from_millis(d * S))
            .or(left.map(|l| Timestamp::from_millis((entered + l) * S))),
        wrap_up_code: None,
        first_queue: "q".to_owned(),
        call_back: None,
    }
}

fn queues(config: QueueConfig) -> BTreeMap<String, QueueConfig> {
    BTreeMap::from([("q".to_owned(), config)])
}

#[test]
fn a_quarter_hour_by_hand() {
    // Threshold 20 s, short abandon 5 s. Interval [0, 900 s).
    //   A enters 10, answered after 15 (in threshold), done at 325 → handle 300 s
    //   B enters 20, answered after 40 (late),        done at 160 → handle 100 s
    //   C enters 30, leaves after 3   → short abandon
    //   D enters 40, leaves after 60  → abandoned
    //   E enters 900 → the next interval
    let records = [
        record(10, Some(15), None, Some(325)),
        record(20, Some(40), None, Some(160)),
        record(30, None, Some(3), None),
        record(40, None, Some(60), None),
        record(900, Some(1), None, Some(950)),
    ];
    // One agent, staffed (available) from 0 to 1000 s, handles A (25–325 s) and B (60–160 s)
    // at once: busy 25–325 = 300 s of the first 900 s staffed → occupancy 1/3 (agent time
    // counts once, however many chats are open).
    let changes = [
        (agent(), "available".to_owned(), 0),
        (agent(), "offline".to_owned(), 1000 * S),
    ];
    let first = rows(
        &records,
        &changes,
        &queues(QueueConfig::default()),
        KpiInterval::Quarter,
        0,
        1800 * S,
    );
    assert_eq!(first.len(), 2, "two quarter hours, the second with E");
    let row = &first[0];
    assert_eq!(row.offered, 4);
    assert_eq!(row.answered, 2);
    assert_eq!(row.short_abandoned, 1);
    assert_eq!(row.abandoned, 1);
    assert_eq!(row.answered_in_threshold, 1);
    // ASA = (15 + 40) / 2 = 27.5 s; AHT = (300 + 100) / 2 = 200 s.
    assert_eq!(row.asa_secs, Some(27.5));
    assert_eq!(row.aht_secs, Some(200.0));
    // SL = 1 / (2 answered + 1 abandoned after the short time) = 1/3.
    assert_eq!(row.service_level, Some(1.0 / 3.0));
    // Abandonment = 1 / (4 offered − 1 short) = 1/3.
    assert_eq!(row.abandonment_rate, Some(1.0 / 3.0));
    assert_eq!(row.occupancy, Some(300.0 / 900.0));
    assert_eq!(first[1].offered, 1);

    // The other variants: ÷ offered = 1/4; ÷ answered = 1/2.
    for (variant, expected) in [
        (ServiceLevelVariant::AllOffered, 0.25),
        (ServiceLevelVariant::AnsweredOnly, 0.5),
    ] {
        let config = QueueConfig {
            service_level_variant: variant,
            ..QueueConfig::default()
        };
        let got = rows(
            &records,
            &[],
            &queues(config),
            KpiInterval::Quarter,
            0,
            900 * S,
        );
        assert_eq!(got[0].service_level, Some(expected), "{variant:?}");
    }
}

#[test]
fn nothing_to_divide_by_is_none_not_nan() {
    let rows_of = |records: &[TaskRecord]| {
        rows(
            records,
            &[],
            &queues(QueueConfig::default()),
            KpiInterval::Day,
            0,
            86_400 * S,
        )
    };
    let row = &rows_of(&[])[0];
    assert_eq!(row.offered, 0);
    assert_eq!(row.asa_secs, None);
    assert_eq!(row.aht_secs, None);
    assert_eq!(row.service_level, None);
    assert_eq!(row.abandonment_rate, None);
    assert_eq!(row.occupancy, None);
    // Only a short abandon: nothing counts for the abandonment rate or the service level.
    let row = &rows_of(&[record(10, None, Some(2), None)])[0];
    assert_eq!((row.offered, row.short_abandoned), (1, 1));
    assert_eq!(row.abandonment_rate, None);
    assert_eq!(row.service_level, None);
    // Still waiting: not yet a contact with an outcome.
    assert_eq!(rows_of(&[record(10, None, None, None)])[0].offered, 0);
}

#[test]
fn presence_stretches_by_hand() {
    let a = UserId::from_random_bytes([1; 16]);
    let b = UserId::from_random_bytes([2; 16]);
    let changes = vec![
        (b, "busy".to_owned(), 0),
        (b, "offline".to_owned(), 50 * S),
        (a, "available".to_owned(), 100 * S),
        (a, "away".to_owned(), 400 * S),
        (a, "available".to_owned(), 800 * S),
    ];
    let got: Vec<(u64, u64, routing::kpi::AgentState)> = presence_intervals(&changes, 900 * S)
        .into_iter()
        .map(|p| (p.from_ms / 1000, p.to_ms / 1000, p.state))
        .collect();
    use routing::kpi::AgentState::{Available, Away, Busy, Offline};
    assert_eq!(
        got,
        [
            (0, 50, Busy),
            (100, 400, Available),
            (400, 800, Away),
            (800, 900, Available),
            (50, 900, Offline),
        ]
    );
}
