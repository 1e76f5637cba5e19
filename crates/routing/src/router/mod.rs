//! The run loop: `handle_*` inputs with the current time, `poll_event` and `poll_timeout`
//! outputs. Every handler validates first and only then changes state, so an `Err` leaves the
//! router exactly as it was; a successful handler ends by offering whatever can be offered.
//!
//! Decisions: open queues' pending tasks are taken by task priority (higher first; a rule
//! target's bump included), then queue priority, then age (creation time, kept across
//! overflow), then creation order; each goes to the longest-idle agent who is `Available`,
//! is admitted by the task's stage (the queue's required skills, or the routing rule's target
//! in force), speaks the queue's and the task's language, has free capacity on the task's
//! channel and has not declined or missed this task in this queue (ties by agent id). An offer
//! reserves the capacity it would use. An offer that expires sends the task back to pending
//! and skips that agent for it; after `RouterConfig::missed_offers_before_away` expiries in a
//! row the agent is set `Away` (so a desk left open does not swallow every task), which a
//! human reverses.
//!
//! The decisions are those of one greedy pass over every pending task in that order, but the
//! router does not make that pass: after each input it only looks at what changed (`dispatch`
//! and `index` explain how), so a decision costs a few ordered-map operations however many
//! tasks wait. Finished tasks leave the router's memory, except a bounded list of the most
//! recent ones.
//!
//! The files: `index` keeps the derived orders (waiting tasks and free agents per queue and
//! stage, timers, loads); `dispatch` makes offers; `agents`, `queues`, `tasks` and `time` are
//! the handlers; `restore` rebuilds a router from stored rows; `estimate` answers position,
//! estimated wait and queue statistics.

mod agents;
mod dispatch;
mod estimate;
mod index;
mod queues;
mod restore;
mod tasks;
mod time;

pub use estimate::{PresenceCounts, QueueStats};
pub use restore::RouterSnapshot;

use crate::rules::RuleStage;
use crate::{
    Agent, AgentId, AgentSpec, Channel, Event, Queue, QueueId, QueueSpec, RoutingError, Task,
    TaskId,
};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// An id → slot map for look-ups. Its hasher has no random key, so it behaves the same in
/// every run; and nothing that reaches a decision or an output iterates it in its own order
/// (the getters sort by id, every order the router decides by is a B-tree).
type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The multiply-rotate hash rustc uses for its own tables ("Fx"): a few instructions per
/// eight bytes. Ids are the shell's own (UUIDs, user ids), not chosen by callers, so the
/// flooding a keyed hash resists is not a concern here.
#[derive(Debug, Clone, Copy, Default)]
struct IdHasher(u64);

impl IdHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The router's tunables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterConfig {
    /// Expired offers in a row after which an available agent is set `Away`; 0 never does.
    pub missed_offers_before_away: u32,
    /// How many finished tasks `Router::task` still knows (and whose ids `handle_enqueue`
    /// still refuses); older ones are forgotten, so memory does not grow with the number of
    /// tasks ever handled.
    pub finished_tasks_kept: usize,
    /// How many of a queue's last completed tasks the average handle time is taken over.
    pub handle_time_samples: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            missed_offers_before_away: 2,
            finished_tasks_kept: 1_000,
            handle_time_samples: 20,
        }
    }
}

/// Whose turn a waiting task is within its queue: higher effective priority, then older,
/// then created first.
type WaitKey = (Reverse<i64>, u64, u64);

/// The order across queues: effective task priority, queue priority, age, creation order.
type GlobalKey = (Reverse<i64>, Reverse<i32>, u64, u64);

/// Which agents a waiting task may be offered to: those of the queue's own skills, or those
/// of one target of one of the queue's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Default,
    Target { rule: usize, target: usize },
}

/// An agent with what the router derives about them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AgentSlot {
    agent: Agent,
    /// Tasks held (offered, assigned or wrapping up) per channel, indexed by `Channel::index`.
    load: [u32; 3],
    /// The tasks counted in `load`.
    holds: BTreeSet<TaskId>,
    /// Queue → the stages whose agents this agent is (skills, named list, queue language).
    eligible: BTreeMap<QueueId, Vec<Stage>>,
    /// The free capacity per channel at the last `refresh_free` (0 unless available).
    free_cap: [u32; 3],
}

/// Pending tasks of one queue, stage and channel, split by the task's language so an agent
/// looks only at the languages they speak.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LangBuckets {
    none: BTreeMap<WaitKey, Pending>,
    by: BTreeMap<String, BTreeMap<WaitKey, Pending>>,
}

/// A pending task in its bucket; `skips` says whether anyone must be skipped for it, so the
/// common case needs no lookup of the task.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    id: TaskId,
    skips: bool,
}

/// A queue with its waiting tasks in service order and its handle-time history.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueueSlot {
    queue: Queue,
    /// Pending and offered tasks, in service order (for positions).
    waiting: BTreeMap<WaitKey, TaskId>,
    /// Pending tasks by stage and channel (for offers).
    pending: BTreeMap<(Stage, Channel), LangBuckets>,
    /// Available agents with free capacity on the channel whom the stage admits, longest
    /// idle first (ties by id): the candidates for a task of that stage and channel.
    free: BTreeMap<(Stage, Channel), BTreeSet<(u64, AgentId)>>,
    /// Handle times of the last completed tasks, oldest first.
    handle_times: VecDeque<u64>,
}

/// A live task with its place in its queue's workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TaskSlot {
    task: Task,
    /// The rule the task matched, if any.
    rule: Option<usize>,
    stage: Stage,
    /// The task's priority plus the bump of the rule target in force.
    priority: i64,
    /// When the rule moves on to its next target.
    escalate_at: Option<u64>,
    /// When the task leaves the queue by its maximum wait (set while it waits).
    wait_deadline: Option<u64>,
}

impl TaskSlot {
    fn wait_key(&self) -> WaitKey {
        (Reverse(self.priority), self.task.created_ms, self.task.seq)
    }
}

/// Instants at which `handle_timeout` has something to do, each with what is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Timers {
    offers: BTreeSet<(u64, TaskId)>,
    task_wrap_ups: BTreeSet<(u64, TaskId)>,
    agent_wrap_ups: BTreeSet<(u64, AgentId)>,
    max_waits: BTreeSet<(u64, TaskId)>,
    escalations: BTreeSet<(u64, TaskId)>,
}

/// The contact-centre router. `Router::snapshot` gives its state for the shell to persist and
/// `Router::restore` rebuilds it; events not yet polled are not part of that state.
#[derive(Debug, Clone, Default)]
pub struct Router {
    config: RouterConfig,
    agents: IdMap<AgentId, AgentSlot>,
    queues: BTreeMap<QueueId, QueueSlot>,
    /// Live tasks (not in a final state).
    tasks: IdMap<TaskId, TaskSlot>,
    /// The most recently finished tasks, at most `finished_tasks_kept`, and their order.
    finished: IdMap<TaskId, Task>,
    finished_order: VecDeque<TaskId>,
    next_seq: u64,
    events: VecDeque<Event>,
    timers: Timers,
    /// What changed since the last dispatch: tasks that became pending (or changed queue or
    /// stage) and agents whose free capacity grew.
    dirty_tasks: BTreeSet<TaskId>,
    dirty_agents: BTreeSet<AgentId>,
}

type Result<T> = std::result::Result<T, RoutingError>;

fn check_levels(skills: &BTreeMap<String, u8>) -> Result<()> {
    match skills.iter().find(|(_, level)| **level > 10) {
        Some((skill, level)) => Err(RoutingError::InvalidSkillLevel {
            skill: skill.clone(),
            level: *level,
        }),
        None => Ok(()),
    }
}

/// Whether the agent has the queue's own skills and speaks the queue's and the task's
/// language (the test for a transfer to a named agent).
fn qualifies(agent: &AgentSpec, queue: &QueueSpec, language: Option<&String>) -> bool {
    admits(agent, queue, Stage::Default) && language.is_none_or(|l| agent.speaks(l))
}

/// Whether the stage's agents include this one (the task's own language aside).
fn admits(agent: &AgentSpec, queue: &QueueSpec, stage: Stage) -> bool {
    let speaks = queue.language.as_ref().is_none_or(|l| agent.speaks(l));
    speaks
        && match stage {
            Stage::Default => queue
                .required_skills
                .iter()
                .all(|(skill, min)| agent.skills.get(skill).is_some_and(|level| level >= min)),
            Stage::Target { rule, target } => queue
                .rules
                .get(rule)
                .and_then(|r| r.targets.get(target))
                .is_some_and(|t| t.admits(agent)),
        }
}

/// Every stage of a queue: its own skills, then each target of each rule.
fn stages(queue: &QueueSpec) -> impl Iterator<Item = Stage> + '_ {
    let targets = queue.rules.iter().enumerate().flat_map(|(rule, r)| {
        (0..r.targets.len()).map(move |target| Stage::Target { rule, target })
    });
    std::iter::once(Stage::Default).chain(targets)
}

impl Router {
    /// An empty router.
    pub fn new(config: RouterConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The tunables the router runs with.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    // --- reading -------------------------------------------------------------------------

    /// The agent, if known.
    pub fn agent(&self, id: &AgentId) -> Option<&Agent> {
        self.agents.get(id).map(|s| &s.agent)
    }

    /// The queue, if known.
    pub fn queue(&self, id: &QueueId) -> Option<&Queue> {
        self.queues.get(id).map(|s| &s.queue)
    }

    /// The task, if live or among the last `RouterConfig::finished_tasks_kept` finished.
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.tasks
            .get(id)
            .map(|s| &s.task)
            .or_else(|| self.finished.get(id))
    }

    /// Where a live task stands in its queue's routing rules; `None` for a task no rule
    /// matched (it is routed by the queue's own skills) and for unknown or finished tasks.
    pub fn rule_stage(&self, id: &TaskId) -> Option<RuleStage> {
        let slot = self.tasks.get(id)?;
        let rule = slot.rule?;
        let queue = self.queues.get(&slot.task.spec.queue)?;
        let name = queue.queue.spec.rules.get(rule)?.name.clone();
        let target = match slot.stage {
            Stage::Target { target, .. } => Some(target),
            Stage::Default => None,
        };
        Some(RuleStage { rule, name, target })
    }

    fn known_task(&self, id: &TaskId) -> Result<&Task> {
        match self.task(id) {
            Some(t) => Ok(t),
            None => Err(RoutingError::UnknownTask(id.clone())),
        }
    }

    fn known_agent(&self, id: &AgentId) -> Result<&Agent> {
        self.agent(id)
            .ok_or_else(|| RoutingError::UnknownAgent(id.clone()))
    }

    fn known_queue(&self, id: &QueueId) -> Result<&Queue> {
        self.queue(id)
            .ok_or_else(|| RoutingError::UnknownQueue(id.clone()))
    }

    /// Every agent, by id.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        let mut agents: Vec<&Agent> = self.agents.values().map(|s| &s.agent).collect();
        agents.sort_unstable_by(|a, b| a.spec.id.cmp(&b.spec.id));
        agents.into_iter()
    }

    /// Every queue, by id.
    pub fn queues(&self) -> impl Iterator<Item = &Queue> {
        self.queues.values().map(|s| &s.queue)
    }

    /// Every live task (pending, offered, assigned or wrapping up), by id.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        let mut tasks: Vec<&Task> = self.tasks.values().map(|s| &s.task).collect();
        tasks.sort_unstable_by(|a, b| a.spec.id.cmp(&b.spec.id));
        tasks.into_iter()
    }

    /// The most recently finished tasks the router still remembers, oldest first.
    pub fn finished_tasks(&self) -> impl Iterator<Item = &Task> {
        self.finished_order
            .iter()
            .filter_map(|id| self.finished.get(id))
    }

    /// How many tasks of `channel` hold the agent's capacity (offered, assigned or wrapping up).
    pub fn load(&self, agent: &AgentId, channel: Channel) -> u32 {
        self.agents
            .get(agent)
            .map_or(0, |s| s.load[channel.index()])
    }

    // --- output --------------------------------------------------------------------------

    /// The next decision, in the order they were made.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instant at which `handle_timeout` has something to do. After a restore it may
    /// lie in the past (a wrap-up or maximum wait that ran out while the shell was down).
    pub fn poll_timeout(&self) -> Option<u64> {
        let t = &self.timers;
        [
            t.offers.first().map(|(at, _)| *at),
            t.task_wrap_ups.first().map(|(at, _)| *at),
            t.agent_wrap_ups.first().map(|(at, _)| *at),
            t.max_waits.first().map(|(at, _)| *at),
            t.escalations.first().map(|(at, _)| *at),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
