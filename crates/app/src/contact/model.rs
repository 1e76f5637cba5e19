//! The contact centre's records as the app keeps and stores them: a queue's configuration,
//! an agent's profile, a task with its hand-over context and times, and the events the desk
//! and the supervisor view receive. The router (`routing`) holds the routing state; these add
//! what the shell needs around it (who, why, when) and are stored as JSON in the store's
//! contact-centre rows.

use std::collections::{BTreeMap, BTreeSet};

use domain::{ConversationId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

pub use crate::conversation::HandOverReason;

/// The default time an agent has to accept an offer.
pub(crate) const DEFAULT_OFFER_TIMEOUT_SECS: u32 = 30;
/// The default wrap-up time after a task.
pub(crate) const DEFAULT_WRAP_UP_SECS: u32 = 60;

/// A queue's configuration (`PUT /api/v1/queues/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Breaks ties between tasks of equal priority across queues: higher first.
    pub priority: i32,
    /// Skill → minimum level (0–10) an agent needs.
    pub required_skills: BTreeMap<String, u8>,
    /// A language every agent of this queue must speak.
    pub language: Option<String>,
    /// Longest wait before a task overflows (or the caller is offered other ways).
    pub max_wait_secs: Option<u32>,
    /// Where tasks go after `max_wait_secs`.
    pub overflow: Option<String>,
    /// How long an agent has to accept an offer.
    pub offer_timeout_secs: u32,
    /// Wrap-up time after a task.
    pub wrap_up_secs: u32,
    /// Answered within this counts for the service level.
    pub service_level_secs: u32,
    /// Callers who leave within this are short abandons.
    pub short_abandon_secs: u32,
    /// How the service level is computed.
    pub service_level_variant: ServiceLevelVariant,
    /// Codes an agent picks at wrap-up.
    pub wrap_up_codes: Vec<String>,
    /// Opening hours; none is always open.
    pub business_hours: Option<flow::Calendar>,
    /// Routing rules, in order, as TaskRouter workflows know them: a filter on the task
    /// (reason, channel, language, priority) and targets that escalate over time.
    pub rules: Vec<routing::RoutingRule>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            priority: 0,
            required_skills: BTreeMap::new(),
            language: None,
            max_wait_secs: None,
            overflow: None,
            offer_timeout_secs: DEFAULT_OFFER_TIMEOUT_SECS,
            wrap_up_secs: DEFAULT_WRAP_UP_SECS,
            service_level_secs: 20,
            short_abandon_secs: 5,
            service_level_variant: ServiceLevelVariant::AbandonedAfterShort,
            wrap_up_codes: Vec::new(),
            business_hours: None,
            rules: Vec::new(),
        }
    }
}

/// Which contacts the service level divides by (see `docs/contact-centre.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevelVariant {
    /// Answered within the threshold ÷ (answered + abandoned after the short-abandon time).
    AbandonedAfterShort,
    /// Answered within the threshold ÷ all offered.
    AllOffered,
    /// Answered within the threshold ÷ answered.
    AnsweredOnly,
}

/// An agent's routing profile (`PUT /api/v1/agents/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentProfile {
    /// Skill → level, 0–10.
    pub skills: BTreeMap<String, u8>,
    /// Languages the agent speaks.
    pub languages: BTreeSet<String>,
    /// Calls at once.
    pub voice: u32,
    /// Chats at once.
    pub chat: u32,
}

impl AgentProfile {
    /// Whether the agent has the queue's skills and language (no languages named: any).
    pub fn qualifies_for(&self, queue: &QueueConfig) -> bool {
        queue
            .required_skills
            .iter()
            .all(|(s, min)| self.skills.get(s).is_some_and(|l| l >= min))
            && queue
                .language
                .as_ref()
                .is_none_or(|l| self.languages.is_empty() || self.languages.contains(l))
    }
}

impl Default for AgentProfile {
    fn default() -> Self {
        AgentProfile {
            skills: BTreeMap::new(),
            languages: BTreeSet::new(),
            voice: 1,
            chat: 3,
        }
    }
}

/// A task as the app stores it: the router's task plus who, why and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task's id (also the router's).
    pub id: String,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Chat or voice.
    pub channel: domain::Channel,
    /// Why it was handed over.
    pub reason: HandOverReason,
    /// A crisis was detected (now or while waiting).
    pub crisis: bool,
    /// The caller's language.
    pub language: String,
    /// The intent the bot recognised last, with its confidence.
    pub intent: Option<String>,
    /// Its confidence, 0–1.
    pub confidence: Option<f32>,
    /// What the flow collected (the enqueue node's context and the flow's variables).
    pub variables: BTreeMap<String, String>,
    /// The router's view (state, queue, priority, times).
    pub routing: routing::Task,
    /// When it was created.
    pub created_at: Timestamp,
    /// When an agent accepted it.
    pub answered_at: Option<Timestamp>,
    /// When the agent ended the conversation (wrap-up began).
    pub talk_ended_at: Option<Timestamp>,
    /// When it reached a final state.
    pub ended_at: Option<Timestamp>,
    /// The code chosen at wrap-up.
    pub wrap_up_code: Option<String>,
    /// The queue it entered first and the time it entered its current queue.
    pub first_queue: String,
    /// The caller asked to be called back (phone): whom to call, and how it went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_back: Option<CallBack>,
}

/// A call-back the caller asked for while waiting on the phone.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallBack {
    /// The number to call; emptied once the call-back is answered or the task is over (no
    /// phone number is kept longer than it is needed).
    pub number: String,
    /// The hotline number the caller had called (the call-back's caller id).
    pub from: String,
    /// Call-backs placed that the caller did not answer.
    pub attempts: u32,
}

impl CallBack {
    /// The call-back is still to be made (not yet answered, task not over).
    pub fn pending(&self) -> bool {
        !self.number.is_empty()
    }
}

impl std::fmt::Debug for CallBack {
    // The number is personal data: a stray log line must not show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallBack")
            .field("pending", &self.pending())
            .field("from", &self.from)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl TaskRecord {
    /// The state's name as stored and shown.
    pub fn state_name(&self) -> &'static str {
        state_name(&self.routing.state)
    }

    /// The agent holding it (offered, assigned or wrapping up).
    pub fn agent(&self) -> Option<UserId> {
        self.routing
            .state
            .agent()
            .and_then(|a| a.as_str().parse().ok())
    }

    /// The agent who holds or held it (also after completion).
    pub fn holder(&self) -> Option<UserId> {
        match &self.routing.state {
            routing::TaskState::Completed { agent } => agent.as_str().parse().ok(),
            _ => self.agent(),
        }
    }

    /// The queue it is in now.
    pub fn queue(&self) -> &str {
        self.routing.spec.queue.as_str()
    }
}

/// Every task state's name, as the API sends them ([`state_name`]).
pub const TASK_STATE_NAMES: [&str; 8] = [
    "pending",
    "offered",
    "assigned",
    "wrap_up",
    "completed",
    "abandoned",
    "timed_out",
    "cancelled",
];

/// Every presence's name, as the API sends them ([`presence_name`]); an agent may choose any
/// but `wrap_up`, which the server sets after a conversation.
pub const PRESENCE_NAMES: [&str; 5] = ["available", "busy", "away", "offline", "wrap_up"];

/// Every hand-over reason's name, as a task carries it.
pub const HAND_OVER_REASON_NAMES: [&str; 4] = ["flow", "asked_for_human", "crisis", "out_of_scope"];

/// A router task state's name.
pub(crate) fn state_name(state: &routing::TaskState) -> &'static str {
    match state {
        routing::TaskState::Pending => "pending",
        routing::TaskState::Offered { .. } => "offered",
        routing::TaskState::Assigned { .. } => "assigned",
        routing::TaskState::WrapUp { .. } => "wrap_up",
        routing::TaskState::Completed { .. } => "completed",
        routing::TaskState::Abandoned => "abandoned",
        routing::TaskState::TimedOut => "timed_out",
        routing::TaskState::Cancelled => "cancelled",
    }
}

/// A presence's name as stored and shown.
pub(crate) fn presence_name(presence: routing::Presence) -> &'static str {
    match presence {
        routing::Presence::Available => "available",
        routing::Presence::Busy => "busy",
        routing::Presence::Away => "away",
        routing::Presence::Offline => "offline",
        routing::Presence::WrapUp { .. } => "wrap_up",
    }
}

/// The presence an agent may choose, by name.
pub(crate) fn parse_presence(name: &str) -> Option<routing::Presence> {
    match name {
        "available" => Some(routing::Presence::Available),
        "busy" => Some(routing::Presence::Busy),
        "away" => Some(routing::Presence::Away),
        "offline" => Some(routing::Presence::Offline),
        _ => None,
    }
}

/// A task as the desk and the supervisor see it: the record plus live figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    /// The stored record.
    pub record: TaskRecord,
    /// A pseudonymous name for the caller (never an address).
    pub contact: String,
    /// When the open offer expires.
    pub offer_expires_at: Option<Timestamp>,
    /// 1-based place in its queue, while waiting.
    pub position: Option<u32>,
    /// Expected wait, while waiting.
    pub estimated_wait_secs: Option<u64>,
}

/// An agent as the desk and the supervisor see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    /// The user.
    pub user_id: UserId,
    /// Their login name.
    pub username: String,
    /// Their display name.
    pub display_name: String,
    /// Routing profile.
    pub profile: AgentProfile,
    /// Presence name.
    pub presence: &'static str,
    /// Since when.
    pub presence_since: Timestamp,
    /// End of the wrap-up, while in wrap-up.
    pub wrap_up_until: Option<Timestamp>,
    /// The tasks they hold.
    pub tasks: Vec<String>,
}

/// An agent's desk: who they are, what is offered to them, what they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Desk {
    /// The agent.
    pub agent: AgentView,
    /// Open offers.
    pub offers: Vec<TaskView>,
    /// Tasks assigned or in wrap-up.
    pub tasks: Vec<TaskView>,
}

/// A queue with its configuration and live figures.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueView {
    /// The name.
    pub name: String,
    /// The configuration.
    pub config: QueueConfig,
    /// Waiting now (pending or offered).
    pub waiting: u32,
    /// The longest current wait.
    pub longest_wait_secs: u64,
    /// Offered now.
    pub offered: u32,
    /// Assigned or in wrap-up now.
    pub assigned: u32,
    /// Agents who could serve it, by presence name.
    pub agents: BTreeMap<&'static str, u32>,
    /// Open now (business hours).
    pub open: bool,
    /// Today's figures (UTC day).
    pub today: crate::contact::kpi::KpiRow,
}

/// One message on the desk socket, for one agent or for everyone of the tenant.
#[derive(Debug, Clone)]
pub enum DeskEvent {
    /// A new offer to `agent`.
    Offer {
        /// Who it is for.
        agent: UserId,
        /// The task.
        task: Box<TaskView>,
    },
    /// An offer to `agent` no longer stands.
    OfferWithdrawn {
        /// Who it was for.
        agent: UserId,
        /// The task.
        task_id: String,
        /// Why (`expired`, `cancelled`, `taken`, …).
        reason: &'static str,
    },
    /// A task of `agent` changed.
    Task {
        /// Who holds it.
        agent: UserId,
        /// The task.
        task: Box<TaskView>,
    },
    /// A message in a conversation `agents` hold.
    Message {
        /// The agents holding the conversation.
        agents: Vec<UserId>,
        /// The conversation.
        conversation_id: ConversationId,
        /// The message.
        message: crate::ChatMessage,
    },
    /// A note in a conversation `agents` hold.
    Note {
        /// The agents holding the conversation.
        agents: Vec<UserId>,
        /// The conversation.
        conversation_id: ConversationId,
        /// The note.
        note: store::CcNote,
        /// The author's name.
        author: String,
    },
    /// An agent's presence changed.
    Presence {
        /// The agent.
        agent: UserId,
    },
    /// Something a supervisor sees changed (queues, tasks).
    Changed,
}

impl DeskEvent {
    /// The agents whose desks show this event.
    pub fn agents(&self) -> Vec<UserId> {
        match self {
            DeskEvent::Offer { agent, .. }
            | DeskEvent::OfferWithdrawn { agent, .. }
            | DeskEvent::Task { agent, .. }
            | DeskEvent::Presence { agent } => vec![*agent],
            DeskEvent::Message { agents, .. } | DeskEvent::Note { agents, .. } => agents.clone(),
            DeskEvent::Changed => Vec::new(),
        }
    }

    /// Whether `agent`'s desk shows this event.
    pub fn is_for(&self, agent: UserId) -> bool {
        self.agents().contains(&agent)
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn the_name_lists_hold_every_name_the_mappings_give() {
        let agent = || routing::AgentId::new("a");
        let states = [
            routing::TaskState::Pending,
            routing::TaskState::Offered {
                agent: agent(),
                until_ms: 0,
            },
            routing::TaskState::Assigned { agent: agent() },
            routing::TaskState::WrapUp {
                agent: agent(),
                until_ms: 0,
            },
            routing::TaskState::Completed { agent: agent() },
            routing::TaskState::Abandoned,
            routing::TaskState::TimedOut,
            routing::TaskState::Cancelled,
        ];
        let names: Vec<_> = states.iter().map(state_name).collect();
        assert_eq!(names, TASK_STATE_NAMES);
        let presences = [
            routing::Presence::Available,
            routing::Presence::Busy,
            routing::Presence::Away,
            routing::Presence::Offline,
            routing::Presence::WrapUp { until_ms: 0 },
        ];
        let names: Vec<_> = presences.into_iter().map(presence_name).collect();
        assert_eq!(names, PRESENCE_NAMES);
        for name in &PRESENCE_NAMES[..4] {
            assert_eq!(parse_presence(name).map(presence_name), Some(*name));
        }
        assert_eq!(parse_presence("wrap_up"), None);
        let reasons = [
            HandOverReason::Flow,
            HandOverReason::AskedForHuman,
            HandOverReason::Crisis,
            HandOverReason::OutOfScope,
        ];
        let names: Vec<_> = reasons.into_iter().map(HandOverReason::as_str).collect();
        assert_eq!(names, HAND_OVER_REASON_NAMES);
    }
}
