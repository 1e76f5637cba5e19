//! The contact centre: the agent's desk, tasks (accept, decline, transfer, end, wrap-up,
//! move), conversations as agents see them (transcript, replies, internal notes), canned
//! answers, queues with live figures, agents, settings and KPIs. The shapes are the contract
//! in `docs/contact-centre.md`.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::{
    AgentProfile, AgentView, CannedSpec, ContactSettings, ConversationView, Desk, KpiInterval,
    KpiRow, QueueConfig, QueueView, TaskView,
};
use domain::{ConversationId, Timestamp, UserId};

use crate::ApiState;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_desk))
        .routes(routes!(list_agents))
        .routes(routes!(put_agent))
        .routes(routes!(put_presence))
        .routes(routes!(list_tasks))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(transfer))
        .routes(routes!(move_task))
        .routes(routes!(end))
        .routes(routes!(wrap_up))
        .routes(routes!(get_conversation))
        .routes(routes!(post_message))
        .routes(routes!(post_note))
        .routes(routes!(list_canned))
        .routes(routes!(put_canned, delete_canned))
        .routes(routes!(list_queues))
        .routes(routes!(put_queue, delete_queue))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(kpis))
}

// ---- shapes ----------------------------------------------------------------------------------

/// An agent.
#[derive(Serialize, ToSchema)]
pub(crate) struct AgentDto {
    user_id: String,
    username: String,
    display_name: String,
    /// Skill → level, 0–10.
    skills: BTreeMap<String, u8>,
    languages: BTreeSet<String>,
    capacity: CapacityDto,
    /// `available`, `busy`, `away`, `offline` or `wrap_up`.
    #[schema(value_type = crate::schemas::PresenceName)]
    presence: String,
    presence_since: String,
    wrap_up_until: Option<String>,
    /// Ids of the tasks the agent holds.
    tasks: Vec<String>,
}

/// How many tasks an agent handles at once, per channel.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityDto {
    voice: u32,
    chat: u32,
}

pub(crate) fn agent_dto(a: AgentView) -> AgentDto {
    AgentDto {
        user_id: a.user_id.to_string(),
        username: a.username,
        display_name: a.display_name,
        skills: a.profile.skills,
        languages: a.profile.languages,
        capacity: CapacityDto {
            voice: a.profile.voice,
            chat: a.profile.chat,
        },
        presence: a.presence.to_owned(),
        presence_since: a.presence_since.to_rfc3339(),
        wrap_up_until: a.wrap_up_until.map(|t| t.to_rfc3339()),
        tasks: a.tasks,
    }
}

/// A task: a contact waiting for, or handled by, a human.
#[derive(Serialize, ToSchema)]
pub(crate) struct TaskDto {
    id: String,
    conversation_id: String,
    queue: String,
    /// `chat` or `voice`.
    #[schema(value_type = crate::schemas::ChannelName)]
    channel: String,
    priority: i32,
    /// `pending`, `offered`, `assigned`, `wrap_up`, `completed`, `abandoned`, `timed_out`, `cancelled`.
    #[schema(value_type = crate::schemas::TaskStateName)]
    state: String,
    agent_id: Option<String>,
    /// A pseudonymous name for the caller; never a phone number.
    contact: String,
    /// `flow`, `asked_for_human`, `crisis` or `out_of_scope`.
    #[schema(value_type = crate::schemas::HandOverReasonName)]
    reason: String,
    crisis: bool,
    language: String,
    intent: Option<String>,
    confidence: Option<f32>,
    /// What the bot collected (personal data).
    variables: BTreeMap<String, String>,
    created_at: String,
    wait_started_at: String,
    offer_expires_at: Option<String>,
    position: Option<u32>,
    estimated_wait_secs: Option<u64>,
    wrap_up_code: Option<String>,
    /// Set when the caller asked to be called back (phone): the number is never shown.
    call_back: Option<CallBackDto>,
}

/// A call-back the caller asked for.
#[derive(Serialize, ToSchema)]
pub(crate) struct CallBackDto {
    /// Still to be made (not yet answered).
    pending: bool,
    /// Call-backs placed that the caller did not answer.
    attempts: u32,
}

fn ms_to_rfc3339(ms: u64) -> String {
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX)).to_rfc3339()
}

pub(crate) fn task_dto(t: TaskView) -> TaskDto {
    let r = t.record;
    TaskDto {
        state: r.state_name().to_owned(),
        agent_id: r.holder().map(|u| u.to_string()),
        queue: r.queue().to_owned(),
        priority: r.routing.spec.priority,
        wait_started_at: ms_to_rfc3339(r.routing.enqueued_ms),
        id: r.id,
        conversation_id: r.conversation_id.to_string(),
        channel: r.channel.as_str().to_owned(),
        contact: t.contact,
        reason: serde_json::to_value(r.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        crisis: r.crisis,
        language: r.language,
        intent: r.intent,
        confidence: r.confidence,
        variables: r.variables,
        created_at: r.created_at.to_rfc3339(),
        offer_expires_at: t.offer_expires_at.map(|t| t.to_rfc3339()),
        position: t.position,
        estimated_wait_secs: t.estimated_wait_secs,
        wrap_up_code: r.wrap_up_code,
        call_back: r.call_back.map(|c| CallBackDto {
            pending: c.pending(),
            attempts: c.attempts,
        }),
    }
}

/// The signed-in agent's desk.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeskDto {
    agent: AgentDto,
    offers: Vec<TaskDto>,
    tasks: Vec<TaskDto>,
}

pub(crate) fn desk_dto(d: Desk) -> DeskDto {
    DeskDto {
        agent: agent_dto(d.agent),
        offers: d.offers.into_iter().map(task_dto).collect(),
        tasks: d.tasks.into_iter().map(task_dto).collect(),
    }
}

/// One message of a transcript.
#[derive(Serialize, ToSchema)]
pub(crate) struct TranscriptMessage {
    seq: i64,
    /// `user`, `bot`, `agent` or `system`.
    #[schema(value_type = crate::schemas::SenderName)]
    from: String,
    text: String,
    at: String,
}

pub(crate) fn message_dto(m: &app::ChatMessage) -> TranscriptMessage {
    TranscriptMessage {
        seq: m.seq,
        from: m.from.as_str().to_owned(),
        text: m.text.expose().clone(),
        at: m.at.to_rfc3339(),
    }
}

/// An internal note: never shown to the caller.
#[derive(Serialize, ToSchema)]
pub(crate) struct NoteDto {
    id: String,
    author: String,
    text: String,
    at: String,
}

pub(crate) fn note_dto(n: &store::CcNote, author: &str) -> NoteDto {
    NoteDto {
        id: n.id.clone(),
        author: author.to_owned(),
        text: n.body.expose().clone(),
        at: n.at.to_rfc3339(),
    }
}

/// A conversation as the desk shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDto {
    id: String,
    #[schema(value_type = crate::schemas::ChannelName)]
    channel: String,
    /// `active`, `queued`, `with_agent` or `ended`.
    #[schema(value_type = crate::schemas::ConversationStatusName)]
    status: String,
    language: String,
    contact: String,
    messages: Vec<TranscriptMessage>,
    notes: Vec<NoteDto>,
    tasks: Vec<TaskDto>,
}

fn conversation_dto(c: ConversationView) -> ConversationDto {
    ConversationDto {
        id: c.id.to_string(),
        channel: c.channel.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        language: c.language,
        contact: c.contact,
        messages: c.messages.iter().map(message_dto).collect(),
        notes: c.notes.iter().map(|(n, a)| note_dto(n, a)).collect(),
        tasks: c.tasks.into_iter().map(task_dto).collect(),
    }
}

/// Today's figures of a queue (UTC day).
#[derive(Serialize, ToSchema)]
pub(crate) struct TodayDto {
    offered: u32,
    answered: u32,
    abandoned: u32,
    service_level: Option<f64>,
}

/// Live figures of a queue.
#[derive(Serialize, ToSchema)]
pub(crate) struct LiveDto {
    waiting: u32,
    longest_wait_secs: u64,
    offered: u32,
    assigned: u32,
    /// Agents who could serve it, by presence.
    agents: BTreeMap<String, u32>,
    open: bool,
}

/// A queue with its configuration and live figures.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueDto {
    name: String,
    #[schema(value_type = Object)]
    config: QueueConfig,
    live: LiveDto,
    today: TodayDto,
}

pub(crate) fn queue_dto(q: QueueView) -> QueueDto {
    QueueDto {
        name: q.name,
        config: q.config,
        live: LiveDto {
            waiting: q.waiting,
            longest_wait_secs: q.longest_wait_secs,
            offered: q.offered,
            assigned: q.assigned,
            agents: q
                .agents
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            open: q.open,
        },
        today: TodayDto {
            offered: q.today.offered,
            answered: q.today.answered,
            abandoned: q.today.abandoned,
            service_level: q.today.service_level,
        },
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AgentList {
    items: Vec<AgentDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TaskList {
    items: Vec<TaskDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueueList {
    items: Vec<QueueDto>,
}

/// An agent's routing profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentRequest {
    #[serde(default)]
    skills: BTreeMap<String, u8>,
    #[serde(default)]
    languages: BTreeSet<String>,
    capacity: CapacityDto,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PresenceRequest {
    /// `available`, `busy`, `away` or `offline`.
    #[schema(value_type = crate::schemas::SettablePresenceName)]
    presence: String,
}

/// Where a task goes: a queue, an agent, or an agent within a queue.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferRequest {
    queue: Option<String>,
    agent_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WrapUpRequest {
    code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextRequest {
    pub(crate) text: String,
}

/// A canned answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct CannedDto {
    id: String,
    title: String,
    text: String,
    language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CannedList {
    items: Vec<CannedDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CannedRequest {
    title: String,
    text: String,
    language: Option<String>,
}

fn canned_dto(c: store::CannedResponse) -> CannedDto {
    CannedDto {
        id: c.id,
        title: c.title,
        text: c.body,
        language: c.language,
    }
}

/// KPIs of one queue for one interval; ratios with nothing to divide by are null.
#[derive(Serialize, ToSchema)]
pub(crate) struct KpiDto {
    queue: String,
    start: String,
    end: String,
    offered: u32,
    answered: u32,
    abandoned: u32,
    short_abandoned: u32,
    asa_secs: Option<f64>,
    aht_secs: Option<f64>,
    service_level: Option<f64>,
    abandonment_rate: Option<f64>,
    occupancy: Option<f64>,
}

fn kpi_dto(k: KpiRow) -> KpiDto {
    KpiDto {
        queue: k.queue,
        start: k.start.to_rfc3339(),
        end: k.end.to_rfc3339(),
        offered: k.offered,
        answered: k.answered,
        abandoned: k.abandoned,
        short_abandoned: k.short_abandoned,
        asa_secs: k.asa_secs,
        aht_secs: k.aht_secs,
        service_level: k.service_level,
        abandonment_rate: k.abandonment_rate,
        occupancy: k.occupancy,
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct KpiList {
    items: Vec<KpiDto>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct KpiQuery {
    /// One queue; all when absent.
    #[param(example = "support")]
    queue: Option<String>,
    /// `15m` or `day`.
    #[param(example = "15m")]
    interval: Option<String>,
    /// RFC 3339; default: the start of today (UTC).
    #[param(example = "2026-01-05T00:00:00Z")]
    from: Option<String>,
    /// RFC 3339; default: the end of `from`'s day.
    #[param(example = "2026-01-06T00:00:00Z")]
    to: Option<String>,
}

// ---- helpers ---------------------------------------------------------------------------------

fn user_id(text: &str, field: &'static str) -> Result<UserId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::from(app::AppError::field(field, "not a user id")))
}

pub(crate) fn conversation_id(text: &str) -> Result<ConversationId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::from(app::AppError::NotFound))
}

pub(crate) fn time_param(
    text: Option<&str>,
    field: &'static str,
) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| {
        Timestamp::parse_rfc3339(t)
            .ok_or_else(|| ApiError::from(app::AppError::field(field, "an RFC 3339 time")))
    })
    .transpose()
}

// ---- the desk --------------------------------------------------------------------------------

/// The signed-in agent's desk: presence, open offers, the tasks they hold.
#[utoipa::path(get, path = "/api/v1/desk", tag = "contact-centre",
    responses((status = 200, body = DeskDto), (status = 403, body = Problem)))]
async fn get_desk(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<DeskDto>, ApiError> {
    Ok(axum::Json(desk_dto(state.app.desk(&who).await?)))
}

/// Sets an agent's presence: one's own, or anyone's with `queues_supervise`.
#[utoipa::path(put, path = "/api/v1/agents/{user_id}/presence", tag = "contact-centre",
    params(("user_id" = String, Path)), request_body = PresenceRequest,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_presence(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PresenceRequest>,
) -> Result<StatusCode, ApiError> {
    let agent = user_id(&id, "user_id")?;
    state.app.set_presence(&who, agent, &body.presence).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every user who handles conversations, as an agent.
#[utoipa::path(get, path = "/api/v1/agents", tag = "contact-centre",
    responses((status = 200, body = AgentList), (status = 403, body = Problem)))]
async fn list_agents(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<AgentList>, ApiError> {
    let items = state.app.list_agents(&who).await?;
    Ok(axum::Json(AgentList {
        items: items.into_iter().map(agent_dto).collect(),
    }))
}

/// Sets an agent's skills, languages and capacity.
#[utoipa::path(put, path = "/api/v1/agents/{user_id}", tag = "contact-centre",
    params(("user_id" = String, Path)), request_body = AgentRequest,
    responses((status = 200, body = AgentDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_agent(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentRequest>,
) -> Result<axum::Json<AgentDto>, ApiError> {
    let agent = user_id(&id, "user_id")?;
    let profile = AgentProfile {
        skills: body.skills,
        languages: body.languages,
        voice: body.capacity.voice,
        chat: body.capacity.chat,
    };
    Ok(axum::Json(agent_dto(
        state.app.put_agent(&who, agent, profile).await?,
    )))
}

/// Every live task (waiting, offered, held, in wrap-up), the highest priority first, then the
/// oldest: what a supervisor may move.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "contact-centre",
    responses((status = 200, body = TaskList), (status = 403, body = Problem)))]
async fn list_tasks(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<TaskList>, ApiError> {
    let items = state.app.live_tasks(&who).await?;
    Ok(axum::Json(TaskList {
        items: items.into_iter().map(task_dto).collect(),
    }))
}

/// The offered agent takes the task.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/accept", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn accept(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    Ok(axum::Json(task_dto(
        state.app.accept_task(&who, &id).await?,
    )))
}

/// The offered agent declines; the task goes to the next agent.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decline", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.decline_task(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn target(body: TransferRequest) -> Result<(Option<String>, Option<UserId>), ApiError> {
    let agent = body
        .agent_id
        .as_deref()
        .map(|a| user_id(a, "agent_id"))
        .transpose()?;
    Ok((body.queue, agent))
}

/// The agent holding a task hands it to another queue or agent.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/transfer", tag = "contact-centre",
    params(("id" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transfer(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    let (queue, agent) = target(body)?;
    Ok(axum::Json(task_dto(
        state.app.transfer_task(&who, &id, queue, agent).await?,
    )))
}

/// A supervisor moves a live task to another queue or agent.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/move", tag = "contact-centre",
    params(("id" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = TaskDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn move_task(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    let (queue, agent) = target(body)?;
    Ok(axum::Json(task_dto(
        state.app.move_task(&who, &id, queue, agent).await?,
    )))
}

/// The agent ends the conversation; the task goes to wrap-up.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/end", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn end(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    Ok(axum::Json(task_dto(state.app.end_task(&who, &id).await?)))
}

/// The agent finishes wrap-up (with a code); the task completes and the agent is available.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/wrap-up", tag = "contact-centre",
    params(("id" = String, Path)), request_body = WrapUpRequest,
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn wrap_up(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WrapUpRequest>,
) -> Result<axum::Json<TaskDto>, ApiError> {
    Ok(axum::Json(task_dto(
        state.app.wrap_up_task(&who, &id, body.code).await?,
    )))
}

// ---- conversations ---------------------------------------------------------------------------

/// A conversation's transcript, internal notes and tasks (audited).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_conversation(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ConversationDto>, ApiError> {
    let id = conversation_id(&id)?;
    Ok(axum::Json(conversation_dto(
        state.app.conversation_view(&who, id).await?,
    )))
}

/// The agent holding the conversation writes to the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "contact-centre",
    params(("id" = String, Path)), request_body = TextRequest,
    responses((status = 201, body = TranscriptMessage), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post_message(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TextRequest>,
) -> Result<(StatusCode, axum::Json<TranscriptMessage>), ApiError> {
    let id = conversation_id(&id)?;
    let m = state.app.agent_message(&who, id, &body.text).await?;
    Ok((StatusCode::CREATED, axum::Json(message_dto(&m))))
}

/// An internal note, never shown to the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "contact-centre",
    params(("id" = String, Path)), request_body = TextRequest,
    responses((status = 201, body = NoteDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn post_note(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TextRequest>,
) -> Result<(StatusCode, axum::Json<NoteDto>), ApiError> {
    let id = conversation_id(&id)?;
    let (note, author) = state.app.add_note(&who, id, &body.text).await?;
    Ok((StatusCode::CREATED, axum::Json(note_dto(&note, &author))))
}

// ---- canned answers --------------------------------------------------------------------------

/// The tenant's canned answers.
#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "contact-centre",
    responses((status = 200, body = CannedList), (status = 403, body = Problem)))]
async fn list_canned(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<CannedList>, ApiError> {
    let items = state.app.canned_responses(&who).await?;
    Ok(axum::Json(CannedList {
        items: items.into_iter().map(canned_dto).collect(),
    }))
}

/// Creates or replaces a canned answer.
#[utoipa::path(put, path = "/api/v1/canned-responses/{id}", tag = "contact-centre",
    params(("id" = String, Path)), request_body = CannedRequest,
    responses((status = 200, body = CannedDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_canned(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CannedRequest>,
) -> Result<axum::Json<CannedDto>, ApiError> {
    let spec = CannedSpec {
        title: body.title,
        text: body.text,
        language: body.language,
    };
    Ok(axum::Json(canned_dto(
        state.app.put_canned_response(&who, &id, spec).await?,
    )))
}

/// Removes a canned answer.
#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "contact-centre",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_canned(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_canned_response(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- queues, settings, KPIs ------------------------------------------------------------------

/// Queues with their configuration and live figures.
#[utoipa::path(get, path = "/api/v1/queues", tag = "contact-centre",
    responses((status = 200, body = QueueList), (status = 403, body = Problem)))]
async fn list_queues(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<QueueList>, ApiError> {
    let items = state.app.list_queues(&who).await?;
    Ok(axum::Json(QueueList {
        items: items.into_iter().map(queue_dto).collect(),
    }))
}

/// Creates or changes a queue.
#[utoipa::path(put, path = "/api/v1/queues/{name}", tag = "contact-centre",
    params(("name" = String, Path)), request_body(content = Object, description = "the queue's configuration"),
    responses((status = 200, body = QueueDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_queue(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(name): Path<String>,
    ApiJson(config): ApiJson<QueueConfig>,
) -> Result<axum::Json<QueueDto>, ApiError> {
    Ok(axum::Json(queue_dto(
        state.app.put_queue(&who, &name, config).await?,
    )))
}

/// Removes a queue that holds no task.
#[utoipa::path(delete, path = "/api/v1/queues/{name}", tag = "contact-centre",
    params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_queue(
    State(state): State<ApiState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_queue(&who, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The contact-centre settings as shown: the tenant's settings and the built-in crisis texts
/// callers get in a language the tenant wrote none for.
#[derive(Serialize, ToSchema)]
pub(crate) struct SettingsDto {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    settings: ContactSettings,
    /// The built-in crisis text per language (read-only).
    builtin_crisis_text: BTreeMap<String, String>,
}

fn settings_dto(settings: ContactSettings) -> SettingsDto {
    SettingsDto {
        settings,
        builtin_crisis_text: ["de", "en"]
            .into_iter()
            .map(|l| (l.to_owned(), app::builtin_crisis_text(l).to_owned()))
            .collect(),
    }
}

/// The contact-centre settings: crisis text per language, the tenant's crisis terms, the
/// hand-over queue, and the built-in crisis texts.
#[utoipa::path(get, path = "/api/v1/contact-centre/settings", tag = "contact-centre",
    responses((status = 200, body = SettingsDto), (status = 403, body = Problem)))]
async fn get_settings(
    State(state): State<ApiState>,
    Caller(who): Caller,
) -> Result<axum::Json<SettingsDto>, ApiError> {
    Ok(axum::Json(settings_dto(
        state.app.contact_settings(&who).await?,
    )))
}

/// Replaces the contact-centre settings.
#[utoipa::path(put, path = "/api/v1/contact-centre/settings", tag = "contact-centre",
    request_body(content = Object, description = "crisis_text, crisis_terms, handover_queue, outbound (call-back rules) and proxy (reply, ttl_hours: the number proxy); outbound and proxy left out stay as they are"),
    responses((status = 200, body = SettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(settings): ApiJson<ContactSettings>,
) -> Result<axum::Json<SettingsDto>, ApiError> {
    Ok(axum::Json(settings_dto(
        state.app.put_contact_settings(&who, settings).await?,
    )))
}

/// KPIs per queue and interval (15 minutes or a day).
#[utoipa::path(get, path = "/api/v1/kpis", tag = "contact-centre", params(KpiQuery),
    responses((status = 200, body = KpiList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn kpis(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<axum::Json<KpiList>, ApiError> {
    let interval = match q.interval.as_deref() {
        None | Some("15m") => KpiInterval::Quarter,
        Some("day") => KpiInterval::Day,
        Some(_) => {
            return Err(app::AppError::field("interval", "`15m` or `day`").into());
        }
    };
    let day = 24 * 60 * 60 * 1000;
    let now = state.app.now().millis();
    let from = time_param(q.from.as_deref(), "from")?
        .unwrap_or_else(|| Timestamp::from_millis(now - now.rem_euclid(day)));
    let to = time_param(q.to.as_deref(), "to")?.unwrap_or_else(|| {
        let f = from.millis();
        Timestamp::from_millis(f - f.rem_euclid(day) + day)
    });
    let rows = state
        .app
        .kpis(&who, q.queue.as_deref(), interval, from, to)
        .await?;
    Ok(axum::Json(KpiList {
        items: rows.into_iter().map(kpi_dto).collect(),
    }))
}
