//! Contact-centre KPIs per queue and interval: the stored task records and the presence log
//! turned into the router's KPI inputs and computed by `routing::kpi::report`, whose
//! documentation (and `docs/contact-centre.md`) holds the definitions. `rows` is pure;
//! `App::kpis` reads the rows and calls it.

use std::collections::BTreeMap;

use domain::{TenantId, Timestamp, UserId};
use security::rbac::Permission;

use super::model::{QueueConfig, ServiceLevelVariant, TaskRecord};
use crate::{App, AppError, AppResult, Principal};

/// The length of a KPI interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiInterval {
    /// 15 minutes.
    Quarter,
    /// A UTC day.
    Day,
}

impl KpiInterval {
    fn millis(self) -> i64 {
        match self {
            KpiInterval::Quarter => 15 * 60 * 1000,
            KpiInterval::Day => 24 * 60 * 60 * 1000,
        }
    }
}

/// One queue's figures for one interval. A ratio with nothing to divide by is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// The queue.
    pub queue: String,
    /// Start of the interval.
    pub start: Timestamp,
    /// End of the interval (exclusive).
    pub end: Timestamp,
    /// Contacts that entered the queue.
    pub offered: u32,
    /// Accepted by an agent.
    pub answered: u32,
    /// Left before an agent took them, after the short-abandon time.
    pub abandoned: u32,
    /// Left within the short-abandon time.
    pub short_abandoned: u32,
    /// Answered within the service-level threshold.
    pub answered_in_threshold: u32,
    /// Average speed of answer, seconds.
    pub asa_secs: Option<f64>,
    /// Average handle time (talk + hold + wrap-up), seconds.
    pub aht_secs: Option<f64>,
    /// Service level, 0–1.
    pub service_level: Option<f64>,
    /// Abandonment rate, 0–1.
    pub abandonment_rate: Option<f64>,
    /// Occupancy of the agents who could serve the queue, 0–1.
    pub occupancy: Option<f64>,
}

impl KpiRow {
    /// A row with nothing in it.
    pub fn empty(queue: &str) -> Self {
        KpiRow {
            queue: queue.to_owned(),
            start: Timestamp::from_millis(0),
            end: Timestamp::from_millis(0),
            offered: 0,
            answered: 0,
            abandoned: 0,
            short_abandoned: 0,
            answered_in_threshold: 0,
            asa_secs: None,
            aht_secs: None,
            service_level: None,
            abandonment_rate: None,
            occupancy: None,
        }
    }
}

/// The router's KPI inputs for one stored task: `None` while it still waits.
pub(crate) fn kpi_record(r: &TaskRecord) -> Option<routing::kpi::TaskRecord> {
    let ms = |t: Timestamp| u64::try_from(t.millis()).unwrap_or(0);
    let entered = ms(r.created_at);
    let outcome = match (&r.routing.state, r.answered_at) {
        (_, Some(answered)) => routing::kpi::Outcome::Answered {
            agent: routing::AgentId::new(r.holder().map(|u| u.to_string()).unwrap_or_default()),
            answered_ms: ms(answered),
            ended_ms: r.talk_ended_at.map(ms).or(match r.routing.state {
                routing::TaskState::Completed { .. } => r.ended_at.map(ms),
                _ => None,
            }),
            wrap_up_end_ms: match r.routing.state {
                routing::TaskState::Completed { .. } => r.ended_at.map(ms),
                _ => None,
            },
            hold_ms: 0,
        },
        (routing::TaskState::Abandoned, None) => routing::kpi::Outcome::Abandoned {
            at_ms: r.ended_at.map_or(entered, ms),
        },
        // A waiting task is cancelled when the flow moves the caller on (its queue wait ran
        // out: voicemail, a call-back offer): a flow-out, counted like a maximum wait.
        (routing::TaskState::TimedOut | routing::TaskState::Cancelled, None) => {
            routing::kpi::Outcome::TimedOut {
                at_ms: r.ended_at.map_or(entered, ms),
            }
        }
        _ => return None,
    };
    Some(routing::kpi::TaskRecord {
        task: routing::TaskId::new(r.id.as_str()),
        queue: routing::QueueId::new(r.first_queue.as_str()),
        enqueued_ms: entered,
        outcome,
    })
}

/// Presence stretches from the presence log: each change lasts until the agent's next one
/// (or `to`); before an agent's first change in the window they count as offline.
pub(crate) fn presence_intervals(
    changes: &[(UserId, String, i64)],
    to: i64,
) -> Vec<routing::kpi::PresenceInterval> {
    let state = |p: &str| match p {
        "available" => routing::kpi::AgentState::Available,
        "busy" => routing::kpi::AgentState::Busy,
        "wrap_up" => routing::kpi::AgentState::WrapUp,
        "away" => routing::kpi::AgentState::Away,
        _ => routing::kpi::AgentState::Offline,
    };
    let mut open: BTreeMap<UserId, (String, i64)> = BTreeMap::new();
    let mut out = Vec::new();
    let mut close = |user: UserId, presence: &str, from: i64, until: i64| {
        if until > from {
            out.push(routing::kpi::PresenceInterval {
                agent: routing::AgentId::new(user.to_string()),
                from_ms: u64::try_from(from).unwrap_or(0),
                to_ms: u64::try_from(until).unwrap_or(0),
                state: state(presence),
            });
        }
    };
    for (user, presence, at) in changes {
        if let Some((p, since)) = open.insert(*user, (presence.clone(), *at)) {
            close(*user, &p, since, *at);
        }
    }
    for (user, (p, since)) in open {
        close(user, &p, since, to);
    }
    out
}

fn targets(config: &QueueConfig) -> routing::kpi::Targets {
    use routing::kpi::ServiceLevelVariant as V;
    routing::kpi::Targets {
        answer_within_ms: u64::from(config.service_level_secs) * 1000,
        short_abandon_ms: u64::from(config.short_abandon_secs) * 1000,
        variant: match config.service_level_variant {
            ServiceLevelVariant::AbandonedAfterShort => V::AnsweredOfAnsweredAndLongAbandoned,
            ServiceLevelVariant::AllOffered => V::AnsweredOfOffered,
            ServiceLevelVariant::AnsweredOnly => V::AnsweredOfAnswered,
        },
    }
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One row per queue and interval from `from` to `to` (the empty intervals too), from stored
/// task records and presence changes. Occupancy is the overall occupancy of the tenant's
/// agents in that interval.
pub(crate) fn rows(
    records: &[TaskRecord],
    changes: &[(UserId, String, i64)],
    queues: &BTreeMap<String, QueueConfig>,
    interval: KpiInterval,
    from: i64,
    to: i64,
) -> Vec<KpiRow> {
    let tasks: Vec<routing::kpi::TaskRecord> = records.iter().filter_map(kpi_record).collect();
    let presence = presence_intervals(changes, to);
    let config = routing::kpi::KpiConfig {
        default: routing::kpi::Targets::default(),
        queues: queues
            .iter()
            .map(|(name, c)| (routing::QueueId::new(name.as_str()), targets(c)))
            .collect(),
    };
    let buckets = match interval {
        KpiInterval::Quarter => routing::kpi::Buckets::quarter_hours(),
        KpiInterval::Day => routing::kpi::Buckets::days(0),
    };
    let report = routing::kpi::report(&tasks, &presence, &config, buckets);
    let secs = |m: &routing::kpi::Mean| m.ms() / 1000.0;
    let mut out = Vec::new();
    for name in queues.keys() {
        let mut start = buckets.start_of(u64::try_from(from).unwrap_or(0));
        while start < to {
            let end = buckets.end_of(start);
            let occupancy = report
                .overall
                .iter()
                .find(|o| o.start_ms == start)
                .and_then(|o| o.occupancy)
                .map(|r| r.value());
            let q = report
                .queues
                .iter()
                .find(|q| q.queue.as_str() == name && q.start_ms == start);
            out.push(match q {
                Some(q) => KpiRow {
                    queue: name.clone(),
                    start: Timestamp::from_millis(start),
                    end: Timestamp::from_millis(end),
                    offered: count(q.offered),
                    answered: count(q.answered),
                    // The router counts every abandon; the row's excludes the short ones.
                    abandoned: count(q.abandoned.saturating_sub(q.short_abandoned)),
                    short_abandoned: count(q.short_abandoned),
                    answered_in_threshold: count(q.answered_within),
                    asa_secs: q.asa.as_ref().map(secs),
                    aht_secs: q.aht.as_ref().map(secs),
                    service_level: q.service_level.map(|r| r.value()),
                    abandonment_rate: q.abandonment_rate.map(|r| r.value()),
                    occupancy,
                },
                None => KpiRow {
                    start: Timestamp::from_millis(start),
                    end: Timestamp::from_millis(end),
                    occupancy,
                    ..KpiRow::empty(name)
                },
            });
            start = end;
        }
    }
    out
}

impl App {
    /// KPIs per queue and interval in `[from, to)` (at most 31 days; 15-minute intervals at
    /// most 2 days).
    pub async fn kpis(
        &self,
        who: &Principal,
        queue: Option<&str>,
        interval: KpiInterval,
        from: Timestamp,
        to: Timestamp,
    ) -> AppResult<Vec<KpiRow>> {
        who.require(Permission::QueuesSupervise)?;
        let span = to.millis() - from.millis();
        let max = match interval {
            KpiInterval::Quarter => 2 * KpiInterval::Day.millis(),
            KpiInterval::Day => 31 * KpiInterval::Day.millis(),
        };
        if span <= 0 || span > max {
            return Err(AppError::field(
                "to",
                "after `from`, at most 2 days for 15-minute and 31 days for daily intervals",
            ));
        }
        self.kpi_rows(who.tenant_id, queue, interval, from, to)
            .await
    }

    pub(super) async fn kpi_rows(
        &self,
        tenant: TenantId,
        queue: Option<&str>,
        interval: KpiInterval,
        from: Timestamp,
        to: Timestamp,
    ) -> AppResult<Vec<KpiRow>> {
        let step = interval.millis();
        let start = from.millis() - from.millis().rem_euclid(step);
        let stored = self
            .store()
            .list_cc_tasks_between(tenant, Timestamp::from_millis(start), to)
            .await?;
        let records: Vec<TaskRecord> = stored
            .iter()
            .filter_map(|r| serde_json::from_str(r.record.expose()).ok())
            .collect();
        let changes: Vec<(UserId, String, i64)> = self
            .store()
            .list_cc_presence(tenant, Timestamp::from_millis(start), to)
            .await?
            .into_iter()
            .map(|c| (c.user_id, c.presence, c.at.millis()))
            .collect();
        let mut queues = self.read_centre(tenant, |c, _| c.queues.clone()).await?;
        if let Some(q) = queue {
            queues.retain(|name, _| name == q);
        }
        Ok(rows(
            &records,
            &changes,
            &queues,
            interval,
            start,
            to.millis(),
        ))
    }
}

#[cfg(test)]
mod tests;
