//! Conversation history: finished and running conversations, searched by time, channel, flow
//! and outcome, for supervisors. A row names the contact only by its pseudonym, never by an
//! address; opening one is the audited transcript view (`conversation_view`).

use std::collections::HashMap;

use domain::{Channel, ConversationId, ConversationStatus, FlowId, Timestamp, UserId};
use flow::{EndReason, Waiting};
use security::rbac::Permission;
use store::{CcTask, Conversation, ConversationFilter};

use crate::contact::Centre;
use crate::{App, AppError, AppResult, Principal};

/// The most rows one page holds.
pub const MAX_HISTORY_PAGE: usize = 200;

/// How many conversations are read to fill one page when filtering by outcome.
const SCAN_BUDGET: usize = 2_000;

/// How a conversation ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversationOutcome {
    /// Still running: with the bot, in a queue, with an agent or waiting for a call-back.
    Open,
    /// The bot answered and the flow ended.
    Bot,
    /// A human agent took it.
    Agent,
    /// The caller waited for a human and left before one came.
    Abandoned,
    /// The call was transferred away.
    Transferred,
    /// The caller left while the bot was talking.
    Left,
    /// The flow could not go on.
    Failed,
}

impl ConversationOutcome {
    /// Every outcome, in the order the UI lists them.
    pub const ALL: [ConversationOutcome; 7] = [
        ConversationOutcome::Open,
        ConversationOutcome::Bot,
        ConversationOutcome::Agent,
        ConversationOutcome::Abandoned,
        ConversationOutcome::Transferred,
        ConversationOutcome::Left,
        ConversationOutcome::Failed,
    ];

    /// The outcome's name in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConversationOutcome::Open => "open",
            ConversationOutcome::Bot => "bot",
            ConversationOutcome::Agent => "agent",
            ConversationOutcome::Abandoned => "abandoned",
            ConversationOutcome::Transferred => "transferred",
            ConversationOutcome::Left => "left",
            ConversationOutcome::Failed => "failed",
        }
    }

    /// The outcome of a name, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Started at or after.
    pub from: Option<Timestamp>,
    /// Started before.
    pub to: Option<Timestamp>,
    /// On this channel.
    pub channel: Option<Channel>,
    /// Running this flow.
    pub flow_id: Option<FlowId>,
    /// Ending like this.
    pub outcome: Option<ConversationOutcome>,
    /// The `next` of the page before.
    pub after: Option<String>,
    /// Rows per page (at most [`MAX_HISTORY_PAGE`]).
    pub limit: usize,
}

/// One conversation in the history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// Its id (opens the transcript).
    pub id: ConversationId,
    /// The contact's pseudonym.
    pub contact: String,
    /// The channel.
    pub channel: Channel,
    /// The flow and the version it ran.
    pub flow_id: FlowId,
    /// The flow's name (empty if the flow is gone).
    pub flow_name: String,
    /// The version.
    pub flow_version: i64,
    /// When it began.
    pub started_at: Timestamp,
    /// Its last step.
    pub last_activity_at: Timestamp,
    /// Where it stands.
    pub status: ConversationStatus,
    /// How it ended.
    pub outcome: ConversationOutcome,
    /// Messages in its transcript.
    pub messages: i64,
    /// The queues it waited in.
    pub queues: Vec<String>,
    /// The agents who took it, by display name.
    pub agents: Vec<String>,
}

/// A page of the history and where the next one starts.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// Newest first.
    pub items: Vec<HistoryEntry>,
    /// Pass as `after` for the next page; `None` at the end.
    pub next: Option<String>,
}

fn cursor(c: &Conversation) -> String {
    format!("{}_{}", c.created_at.millis(), c.id)
}

fn parse_cursor(raw: &str) -> Option<(Timestamp, ConversationId)> {
    let (at, id) = raw.split_once('_')?;
    Some((Timestamp::from_millis(at.parse().ok()?), id.parse().ok()?))
}

/// How a conversation ended, from its state and its tasks.
fn outcome_of(conversation: &Conversation, tasks: &[&CcTask]) -> ConversationOutcome {
    if conversation.status != ConversationStatus::Ended {
        return ConversationOutcome::Open;
    }
    if tasks.iter().any(|t| t.agent_id.is_some()) {
        return ConversationOutcome::Agent;
    }
    let reason = crate::conversation::stored_state(conversation)
        .ok()
        .and_then(|s| match s.waiting {
            Waiting::Ended { reason } => Some(reason),
            _ => None,
        });
    match reason {
        Some(EndReason::Transferred) => ConversationOutcome::Transferred,
        Some(EndReason::Failed) => ConversationOutcome::Failed,
        _ if !tasks.is_empty() => ConversationOutcome::Abandoned,
        Some(EndReason::Completed) => ConversationOutcome::Bot,
        _ => ConversationOutcome::Left,
    }
}

impl App {
    /// A page of the tenant's conversations, newest first.
    pub async fn conversation_history(
        &self,
        who: &Principal,
        query: HistoryQuery,
    ) -> AppResult<HistoryPage> {
        who.require(Permission::TranscriptsRead)?;
        let limit = query.limit.clamp(1, MAX_HISTORY_PAGE);
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from >= to
        {
            return Err(AppError::field(
                "to",
                "the end of the period comes after its start",
            ));
        }
        let mut filter = ConversationFilter {
            from: query.from,
            to: query.to,
            channel: query.channel,
            flow_id: query.flow_id,
            after: match query.after.as_deref() {
                None | Some("") => None,
                Some(raw) => Some(parse_cursor(raw).ok_or_else(|| {
                    AppError::field("after", "not a page position this list gave out")
                })?),
            },
        };
        let flows: HashMap<FlowId, String> = self
            .store()
            .list_flows(who.tenant_id)
            .await?
            .into_iter()
            .map(|f| (f.id, f.name))
            .collect();
        let names = self
            .read_centre(who.tenant_id, |c, _| c.names.clone())
            .await?;
        let mut items = Vec::new();
        let mut scanned = 0usize;
        let mut next = None;
        // Read in batches until the page is full: an outcome filter can skip many rows.
        let batch = if query.outcome.is_some() {
            200
        } else {
            limit + 1
        };
        'scan: loop {
            let rows = self
                .store()
                .search_conversations(who.tenant_id, &filter, batch as i64)
                .await?;
            let exhausted = rows.len() < batch;
            let tasks = match (rows.last(), rows.first()) {
                (Some(oldest), Some(_)) => {
                    self.store()
                        .list_cc_tasks_between(
                            who.tenant_id,
                            oldest.created_at,
                            Timestamp::from_millis(i64::MAX),
                        )
                        .await?
                }
                _ => Vec::new(),
            };
            let mut by_conversation: HashMap<ConversationId, Vec<&CcTask>> = HashMap::new();
            for task in &tasks {
                by_conversation
                    .entry(task.conversation_id)
                    .or_default()
                    .push(task);
            }
            for row in &rows {
                scanned += 1;
                filter.after = Some((row.created_at, row.id));
                let mine = by_conversation.get(&row.id).map_or(&[][..], Vec::as_slice);
                let outcome = outcome_of(row, mine);
                if query.outcome.is_some_and(|o| o != outcome) {
                    continue;
                }
                if items.len() == limit {
                    // One more matches: there is a next page, starting after the last shown.
                    next = items
                        .last()
                        .map(|e: &HistoryEntry| format!("{}_{}", e.started_at.millis(), e.id));
                    break 'scan;
                }
                let mut queues: Vec<String> = mine.iter().map(|t| t.queue.clone()).collect();
                queues.dedup();
                let mut agents: Vec<String> = mine
                    .iter()
                    .filter_map(|t| t.agent_id)
                    .map(|a: UserId| names.get(&a).cloned().unwrap_or_else(|| a.to_string()))
                    .collect();
                agents.dedup();
                items.push(HistoryEntry {
                    id: row.id,
                    contact: Centre::contact_of(row.id),
                    channel: row.channel,
                    flow_id: row.flow_id,
                    flow_name: flows.get(&row.flow_id).cloned().unwrap_or_default(),
                    flow_version: row.flow_version,
                    started_at: row.created_at,
                    last_activity_at: row.updated_at,
                    status: row.status,
                    outcome,
                    messages: row.last_seq,
                    queues,
                    agents,
                });
            }
            if exhausted {
                break;
            }
            if scanned >= SCAN_BUDGET {
                // Not every row was read: the next page goes on from here.
                next = rows.last().map(cursor);
                break;
            }
        }
        Ok(HistoryPage { items, next })
    }
}
