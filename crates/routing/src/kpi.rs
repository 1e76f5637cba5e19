//! Contact-centre statistics from stored records, a pure function of its input: per queue and
//! interval the contacts offered, answered and abandoned, average speed of answer, average
//! handle time, service level and abandonment rate; per agent and interval, and overall,
//! occupancy. The shell keeps one `TaskRecord` per contact and queue and one
//! `PresenceInterval` per stretch of an agent's presence, and calls `report`.
//!
//! Definitions (times in milliseconds; a negative difference from inconsistent records counts
//! as zero):
//!
//! - **Interval.** A contact counts in the interval in which it *entered the queue*
//!   (`enqueued_ms`), even if it was answered or abandoned in a later one: its whole story is
//!   told once, where it began. Agent time (handling, staffed) is instead cut at interval
//!   boundaries and each piece counts where it happened. Intervals are `Buckets`: fixed
//!   lengths aligned to the epoch or an offset (15 minutes), or local days at a fixed UTC
//!   offset (daylight-saving changes are the caller's: report each day with its offset).
//! - **Offered**: every contact that entered the queue (answered, abandoned or timed out).
//!   Contacts still waiting have no outcome yet and are not passed in.
//! - **Short abandon**: abandoned less than `Targets::short_abandon_ms` after entering (a
//!   wrong number, a caller who hung up at the greeting). Abandoned at or after it: a *long*
//!   abandon.
//! - **Answered within the threshold**: answered at most `Targets::answer_within_ms` after
//!   entering (20 s in "80/20"; the bound counts as within).
//! - **ASA** (average speed of answer) = Σ (answered − entered) ÷ answered, over answered
//!   contacts.
//! - **AHT** (average handle time) = Σ (talk + hold + wrap-up) ÷ completed, over contacts
//!   whose wrap-up has ended, where hold is `hold_ms`, talk = ended − answered − hold, and
//!   wrap-up = wrap-up end − ended; so a handle time is wrap-up end − answered. Talk, hold and
//!   wrap-up are also averaged on their own over the same contacts.
//! - **Service level**, by the queue's `ServiceLevelVariant`:
//!   - `AnsweredOfAnsweredAndLongAbandoned` (the default, and the usual contact-centre
//!     definition): answered within ÷ (answered + long abandons). Short abandons and
//!     timed-out contacts (which left for voicemail or another service, as a flow-out) are
//!     left out: neither a success nor a failure of this queue's staffing;
//!   - `AnsweredOfOffered`: answered within ÷ offered; the strictest, every contact counts
//!     and only a fast answer is a success;
//!   - `AnsweredOfAnswered`: answered within ÷ answered; how fast answered contacts were
//!     answered, blind to abandons.
//! - **Abandonment rate** = long abandons ÷ (offered − short abandons): short abandons leave
//!   both the numerator and the denominator.
//! - **Occupancy** = handling time ÷ staffed time, where staffed time is time in a presence
//!   other than away or offline (`Available`, `Busy`, `WrapUp`), and handling time is the
//!   time within staffed time during which the agent had at least one answered contact from
//!   answer to the end of its wrap-up (a union: three chats at once count once; a contact
//!   still going counts up to the end of the agent's presence given). Per agent, and overall
//!   as Σ handling ÷ Σ staffed.
//!
//! Every average and ratio is `None`, never NaN, when its denominator is zero, and is given
//! as its two integers (`Mean`, `Ratio`) so a view can say "45 of 50" and tests compare exact
//! values.

use crate::{AgentId, QueueId, TaskId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One contact's stay in one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub task: TaskId,
    pub queue: QueueId,
    /// When the contact entered the queue; decides its interval.
    pub enqueued_ms: u64,
    pub outcome: Outcome,
}

/// How a contact's stay in a queue ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// An agent answered.
    Answered {
        agent: AgentId,
        answered_ms: u64,
        /// When the conversation ended; `None` while it goes on.
        ended_ms: Option<u64>,
        /// When the wrap-up ended (equal to `ended_ms` without wrap-up); `None` until then.
        wrap_up_end_ms: Option<u64>,
        /// Time on hold, part of answered to ended.
        hold_ms: u64,
    },
    /// The caller left before an agent answered.
    Abandoned { at_ms: u64 },
    /// The queue's maximum wait ran out (the contact went to voicemail or elsewhere).
    TimedOut { at_ms: u64 },
}

/// An agent's presence during `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceInterval {
    pub agent: AgentId,
    pub from_ms: u64,
    pub to_ms: u64,
    pub state: AgentState,
}

/// The presence kinds that matter for occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentState {
    Available,
    Busy,
    WrapUp,
    Away,
    Offline,
}

impl AgentState {
    /// Logged in and not away: the time occupancy is measured against.
    pub fn is_staffed(self) -> bool {
        matches!(
            self,
            AgentState::Available | AgentState::Busy | AgentState::WrapUp
        )
    }
}

/// Which contacts a service level divides by (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceLevelVariant {
    /// Answered within ÷ (answered + long abandons).
    #[default]
    AnsweredOfAnsweredAndLongAbandoned,
    /// Answered within ÷ offered.
    AnsweredOfOffered,
    /// Answered within ÷ answered.
    AnsweredOfAnswered,
}

/// A queue's service-level target and short-abandon threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// The service-level threshold: answered at most this long after entering is "within".
    pub answer_within_ms: u64,
    /// Abandoned sooner than this after entering is a short abandon.
    pub short_abandon_ms: u64,
    pub variant: ServiceLevelVariant,
}

impl Default for Targets {
    /// 80/20's threshold, 20 s; short abandons under 5 s; the usual variant.
    fn default() -> Self {
        Self {
            answer_within_ms: 20_000,
            short_abandon_ms: 5_000,
            variant: ServiceLevelVariant::default(),
        }
    }
}

/// Targets per queue, and for queues not named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiConfig {
    pub default: Targets,
    pub queues: BTreeMap<QueueId, Targets>,
}

impl KpiConfig {
    fn targets(&self, queue: &QueueId) -> &Targets {
        self.queues.get(queue).unwrap_or(&self.default)
    }
}

/// Reporting intervals: consecutive lengths with a boundary at `offset_ms` (from the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buckets {
    length_ms: u64,
    offset_ms: i64,
}

impl Buckets {
    pub const QUARTER_HOUR_MS: u64 = 15 * 60 * 1000;
    pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

    /// Intervals of `length_ms` with a boundary at `offset_ms`; `None` for a zero length or
    /// one beyond `i64::MAX`.
    pub fn every(length_ms: u64, offset_ms: i64) -> Option<Self> {
        (length_ms > 0 && i64::try_from(length_ms).is_ok()).then_some(Self {
            length_ms,
            offset_ms,
        })
    }

    /// Quarter hours aligned to the epoch (:00, :15, :30, :45 UTC).
    pub fn quarter_hours() -> Self {
        Self {
            length_ms: Self::QUARTER_HOUR_MS,
            offset_ms: 0,
        }
    }

    /// Days from local midnight at `utc_offset_minutes` east of UTC (+60 for CET, −300 for
    /// EST): local midnight is UTC midnight minus the offset.
    pub fn days(utc_offset_minutes: i32) -> Self {
        Self {
            length_ms: Self::DAY_MS,
            offset_ms: -i64::from(utc_offset_minutes) * 60_000,
        }
    }

    fn length(&self) -> i64 {
        // `every` and the constructors keep the length within i64.
        i64::try_from(self.length_ms).unwrap_or(i64::MAX)
    }

    /// The start of the interval holding the instant `at_ms` (may be before the epoch).
    pub fn start_of(&self, at_ms: u64) -> i64 {
        let at = i128::from(at_ms);
        let (offset, length) = (i128::from(self.offset_ms), i128::from(self.length()));
        let start = offset + (at - offset).div_euclid(length) * length;
        i64::try_from(start).unwrap_or(i64::MAX)
    }

    /// The end of the interval starting at `start`.
    pub fn end_of(&self, start: i64) -> i64 {
        start.saturating_add(self.length())
    }
}

/// An average in milliseconds, as its sum and count (count > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mean {
    pub total_ms: u64,
    pub count: u64,
}

impl Mean {
    fn of(total_ms: u64, count: u64) -> Option<Self> {
        (count > 0).then_some(Self { total_ms, count })
    }

    /// The average, in milliseconds.
    pub fn ms(&self) -> f64 {
        self.total_ms as f64 / self.count as f64
    }
}

/// A share, as its part and whole (whole > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub part: u64,
    pub whole: u64,
}

impl Ratio {
    fn of(part: u64, whole: u64) -> Option<Self> {
        (whole > 0).then_some(Self { part, whole })
    }

    /// The share, 0.0 to 1.0.
    pub fn value(&self) -> f64 {
        self.part as f64 / self.whole as f64
    }
}

/// One queue's figures for one interval (see the module documentation for each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInterval {
    pub queue: QueueId,
    pub start_ms: i64,
    pub end_ms: i64,
    pub offered: u64,
    pub answered: u64,
    pub answered_within: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub timed_out: u64,
    pub completed: u64,
    pub asa: Option<Mean>,
    pub aht: Option<Mean>,
    pub talk: Option<Mean>,
    pub hold: Option<Mean>,
    pub wrap_up: Option<Mean>,
    pub service_level: Option<Ratio>,
    pub abandonment_rate: Option<Ratio>,
}

/// Occupancy for one interval: one agent's, or everyone's (`agent: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupancyInterval {
    pub agent: Option<AgentId>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub handling_ms: u64,
    pub staffed_ms: u64,
    pub occupancy: Option<Ratio>,
}

/// Everything `report` computes; only intervals with something in them are listed, queues
/// by (queue, start), agents by (agent, start), overall by start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub queues: Vec<QueueInterval>,
    pub agents: Vec<OccupancyInterval>,
    pub overall: Vec<OccupancyInterval>,
}

/// Sums for one queue and interval, turned into a `QueueInterval` at the end.
#[derive(Default)]
struct Tally {
    offered: u64,
    answered: u64,
    within: u64,
    abandoned: u64,
    short: u64,
    timed_out: u64,
    completed: u64,
    wait_ms: u64,
    handle_ms: u64,
    talk_ms: u64,
    hold_ms: u64,
    wrap_ms: u64,
}

/// Computes the report (see the module documentation for every definition).
pub fn report(
    tasks: &[TaskRecord],
    presence: &[PresenceInterval],
    config: &KpiConfig,
    buckets: Buckets,
) -> Report {
    Report {
        queues: queue_intervals(tasks, config, buckets),
        ..occupancy(tasks, presence, buckets)
    }
}

fn queue_intervals(
    tasks: &[TaskRecord],
    config: &KpiConfig,
    buckets: Buckets,
) -> Vec<QueueInterval> {
    let mut tallies: BTreeMap<(&QueueId, i64), Tally> = BTreeMap::new();
    for record in tasks {
        let targets = config.targets(&record.queue);
        let tally = tallies
            .entry((&record.queue, buckets.start_of(record.enqueued_ms)))
            .or_default();
        tally.offered += 1;
        let since_entry = |at: u64| at.saturating_sub(record.enqueued_ms);
        match &record.outcome {
            Outcome::Answered {
                answered_ms,
                ended_ms,
                wrap_up_end_ms,
                hold_ms,
                ..
            } => {
                tally.answered += 1;
                let wait = since_entry(*answered_ms);
                tally.wait_ms += wait;
                if wait <= targets.answer_within_ms {
                    tally.within += 1;
                }
                if let (Some(ended), Some(wrap_end)) = (ended_ms, wrap_up_end_ms) {
                    tally.completed += 1;
                    tally.handle_ms += wrap_end.saturating_sub(*answered_ms);
                    tally.talk_ms += ended.saturating_sub(*answered_ms).saturating_sub(*hold_ms);
                    tally.hold_ms += hold_ms;
                    tally.wrap_ms += wrap_end.saturating_sub(*ended);
                }
            }
            Outcome::Abandoned { at_ms } => {
                tally.abandoned += 1;
                if since_entry(*at_ms) < targets.short_abandon_ms {
                    tally.short += 1;
                }
            }
            Outcome::TimedOut { .. } => tally.timed_out += 1,
        }
    }
    tallies
        .into_iter()
        .map(|((queue, start), t)| {
            let long_abandons = t.abandoned - t.short;
            let whole = match config.targets(queue).variant {
                ServiceLevelVariant::AnsweredOfAnsweredAndLongAbandoned => {
                    t.answered + long_abandons
                }
                ServiceLevelVariant::AnsweredOfOffered => t.offered,
                ServiceLevelVariant::AnsweredOfAnswered => t.answered,
            };
            QueueInterval {
                queue: queue.clone(),
                start_ms: start,
                end_ms: buckets.end_of(start),
                offered: t.offered,
                answered: t.answered,
                answered_within: t.within,
                abandoned: t.abandoned,
                short_abandoned: t.short,
                timed_out: t.timed_out,
                completed: t.completed,
                asa: Mean::of(t.wait_ms, t.answered),
                aht: Mean::of(t.handle_ms, t.completed),
                talk: Mean::of(t.talk_ms, t.completed),
                hold: Mean::of(t.hold_ms, t.completed),
                wrap_up: Mean::of(t.wrap_ms, t.completed),
                service_level: Ratio::of(t.within, whole),
                abandonment_rate: Ratio::of(long_abandons, t.offered - t.short),
            }
        })
        .collect()
}

/// Sorted, disjoint `[from, to)` intervals covering the same time as the input.
fn merge(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.retain(|(from, to)| from < to);
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (from, to) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The time both sorted, disjoint interval lists cover.
fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let from = a[i].0.max(b[j].0);
        let to = a[i].1.min(b[j].1);
        if from < to {
            out.push((from, to));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Adds each interval's length to the buckets it spans, cut at their boundaries.
fn spread(spans: &[(u64, u64)], buckets: Buckets, into: &mut BTreeMap<i64, u64>) {
    for &(from, to) in spans {
        let mut at = from;
        while at < to {
            let start = buckets.start_of(at);
            let end = u64::try_from(buckets.end_of(start))
                .unwrap_or(u64::MAX)
                .min(to);
            *into.entry(start).or_default() += end - at;
            at = end;
        }
    }
}

fn occupancy(tasks: &[TaskRecord], presence: &[PresenceInterval], buckets: Buckets) -> Report {
    let mut staffed: BTreeMap<&AgentId, Vec<(u64, u64)>> = BTreeMap::new();
    for p in presence.iter().filter(|p| p.state.is_staffed()) {
        staffed
            .entry(&p.agent)
            .or_default()
            .push((p.from_ms, p.to_ms));
    }
    let mut handling: BTreeMap<&AgentId, Vec<(u64, u64)>> = BTreeMap::new();
    for record in tasks {
        if let Outcome::Answered {
            agent,
            answered_ms,
            wrap_up_end_ms,
            ..
        } = &record.outcome
        {
            // Until the wrap-up has ended the agent is still handling it (talking or wrapping
            // up); the staffed time it is intersected with bounds it.
            let end = wrap_up_end_ms.unwrap_or(u64::MAX);
            handling.entry(agent).or_default().push((*answered_ms, end));
        }
    }
    let mut agents = Vec::new();
    let mut overall: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (agent, spans) in staffed {
        let staffed = merge(spans);
        let busy = merge(handling.remove(agent).unwrap_or_default());
        let busy = intersect(&busy, &staffed);
        let (mut staffed_by, mut busy_by) = (BTreeMap::new(), BTreeMap::new());
        spread(&staffed, buckets, &mut staffed_by);
        spread(&busy, buckets, &mut busy_by);
        for (start, staffed_ms) in staffed_by {
            let handling_ms = busy_by.get(&start).copied().unwrap_or(0);
            let sum = overall.entry(start).or_default();
            sum.0 += handling_ms;
            sum.1 += staffed_ms;
            agents.push(OccupancyInterval {
                agent: Some(agent.clone()),
                start_ms: start,
                end_ms: buckets.end_of(start),
                handling_ms,
                staffed_ms,
                occupancy: Ratio::of(handling_ms, staffed_ms),
            });
        }
    }
    let overall = overall
        .into_iter()
        .map(|(start, (handling_ms, staffed_ms))| OccupancyInterval {
            agent: None,
            start_ms: start,
            end_ms: buckets.end_of(start),
            handling_ms,
            staffed_ms,
            occupancy: Ratio::of(handling_ms, staffed_ms),
        })
        .collect();
    Report {
        queues: Vec::new(),
        agents,
        overall,
    }
}
