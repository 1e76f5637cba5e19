//! `/api/v1/flows/simulate`, `/flows/understand`, `/flows/intents` and `/flows/test`: the
//! editor tries the draft on screen (not the stored one) without storing anything. A draft
//! with validation errors gets them back instead of a result (200, `errors` filled), so the
//! editor shows what to fix; a source that does not parse is a 422.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use flow::simulate::{SimAction, SimInput, SimTurn};

use crate::ApiState;
use crate::extract::{ApiJson, Caller};
use crate::problem::{ApiError, Problem};

pub(crate) fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(simulate))
        .routes(routes!(understand))
        .routes(routes!(intents))
        .routes(routes!(test))
}

/// The channel a simulated caller uses.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SimChannel {
    /// Web chat: text and buttons.
    Chat,
    /// Phone: keys and speech.
    Voice,
}

/// One thing the simulated caller does.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum SimInputDto {
    /// Writes (chat) or says (phone) a sentence.
    Text {
        /// The sentence.
        text: String,
    },
    /// Presses keys (`0-9*#`).
    Digits {
        /// The keys.
        digits: String,
    },
    /// Stays silent until the flow's input timer runs out.
    Silence,
    /// Answers the HTTP request the flow waits for.
    Http {
        /// The status (0: no response).
        status: u16,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Hangs up or closes the chat.
    Hangup,
}

impl From<SimInputDto> for SimInput {
    fn from(d: SimInputDto) -> Self {
        match d {
            SimInputDto::Text { text } => SimInput::Text { text },
            SimInputDto::Digits { digits } => SimInput::Digits { digits },
            SimInputDto::Silence => SimInput::Silence,
            SimInputDto::Http { status, body } => SimInput::Http { status, body },
            SimInputDto::Hangup => SimInput::Hangup,
        }
    }
}

impl From<SimInput> for SimInputDto {
    fn from(i: SimInput) -> Self {
        match i {
            SimInput::Text { text } => SimInputDto::Text { text },
            SimInput::Digits { digits } => SimInputDto::Digits { digits },
            SimInput::Silence => SimInputDto::Silence,
            SimInput::Http { status, body } => SimInputDto::Http { status, body },
            SimInput::Hangup => SimInputDto::Hangup,
        }
    }
}

/// A conversation to replay with a draft.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateRequest {
    /// The draft (YAML or JSON).
    source: String,
    channel: SimChannel,
    /// The caller's language (absent: the flow's default).
    language: Option<String>,
    /// What the caller did so far, in order (at most 200).
    #[serde(default)]
    inputs: Vec<SimInputDto>,
}

/// A text the caller got.
#[derive(Serialize, ToSchema)]
pub(crate) struct SimReplyDto {
    text: String,
    /// The recorded prompt played instead, on the phone.
    audio: Option<String>,
    /// Choices offered as buttons on chat.
    choices: Vec<String>,
}

/// Something the flow did besides talking.
#[derive(Serialize, ToSchema)]
pub(crate) struct SimActionDto {
    /// `http_request`, `send_message`, `enqueue`, `leave_queue`, `record`, `transfer` or
    /// `end`.
    kind: String,
    /// What it was about, in one line: the URL, the message, the queue, the target or the
    /// reason.
    detail: String,
}

/// What the understanding made of a sentence.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnderstoodDto {
    text: String,
    /// The intent (absent: out of scope).
    intent: Option<String>,
    confidence: f32,
}

/// Where the conversation is.
#[derive(Serialize, ToSchema)]
pub(crate) struct SimStateDto {
    /// `input`, `http`, `recording`, `queue`, `transfer` or `ended`.
    waiting: String,
    node: String,
    queue: Option<String>,
    /// `completed`, `hangup`, `transferred` or `failed`, once ended.
    ended: Option<String>,
}

/// The start or one input, and what it caused.
#[derive(Serialize, ToSchema)]
pub(crate) struct SimTurnDto {
    /// The input (absent for the start).
    input: Option<SimInputDto>,
    /// Why the input was not taken (nothing happened then): `ended`, `empty`, `bad-keys`,
    /// `http-pending`, `no-timer` or `no-request`.
    refused: Option<String>,
    replies: Vec<SimReplyDto>,
    actions: Vec<SimActionDto>,
    /// The nodes the turn went through, in order.
    path: Vec<String>,
    understood: Vec<UnderstoodDto>,
    /// The variables after the turn.
    variables: BTreeMap<String, String>,
    state: SimStateDto,
}

fn turn_dto(t: SimTurn) -> SimTurnDto {
    SimTurnDto {
        input: t.input.map(SimInputDto::from),
        refused: t.refused.map(|r| r.code().to_owned()),
        replies: t
            .replies
            .into_iter()
            .map(|r| SimReplyDto {
                text: r.text,
                audio: r.audio,
                choices: r.choices,
            })
            .collect(),
        actions: t.actions.into_iter().map(action_dto).collect(),
        path: t.path,
        understood: t
            .understood
            .into_iter()
            .map(|u| UnderstoodDto {
                text: u.text,
                intent: u.intent,
                confidence: u.confidence,
            })
            .collect(),
        variables: t.variables,
        state: SimStateDto {
            waiting: t.state.waiting.to_owned(),
            node: t.state.node,
            queue: t.state.queue,
            ended: t.state.ended,
        },
    }
}

fn action_dto(a: SimAction) -> SimActionDto {
    let (kind, detail) = match a {
        SimAction::HttpRequest { method, url } => ("http_request", format!("{method} {url}")),
        SimAction::SendMessage { channel, text } => ("send_message", format!("{channel}: {text}")),
        SimAction::Enqueue { queue } => ("enqueue", queue),
        SimAction::LeaveQueue { queue } => ("leave_queue", queue),
        SimAction::Record { max_secs } => ("record", format!("{max_secs} s")),
        SimAction::Transfer { to } => ("transfer", to),
        SimAction::End { reason } => ("end", reason),
    };
    SimActionDto {
        kind: kind.to_owned(),
        detail,
    }
}

/// A simulated conversation, or the draft's errors.
#[derive(Serialize, ToSchema)]
pub(crate) struct SimulateResponse {
    /// The draft's validation errors; when there are any, there are no turns.
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    errors: Vec<flow::Diagnostic>,
    turns: Vec<SimTurnDto>,
}

/// Replays a conversation with a draft from its start: each turn shows the replies, the path
/// through the nodes, the understanding and the variables. HTTP requests of the flow are not
/// sent: the caller's inputs answer them.
#[utoipa::path(post, path = "/api/v1/flows/simulate", tag = "flows", request_body = SimulateRequest,
    responses((status = 200, body = SimulateResponse), (status = 422, body = Problem)))]
async fn simulate(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<SimulateRequest>,
) -> Result<axum::Json<SimulateResponse>, ApiError> {
    let channel = match body.channel {
        SimChannel::Chat => flow::Channel::Chat,
        SimChannel::Voice => flow::Channel::Voice,
    };
    let inputs = body.inputs.into_iter().map(SimInput::from).collect();
    let result = state
        .app
        .simulate_draft(&who, &body.source, channel, body.language, inputs)
        .await?;
    Ok(axum::Json(match result {
        Ok(turns) => SimulateResponse {
            errors: Vec::new(),
            turns: turns.into_iter().map(turn_dto).collect(),
        },
        Err(errors) => SimulateResponse {
            errors: errors.0,
            turns: Vec::new(),
        },
    }))
}

/// A sentence to classify with a draft's understanding.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnderstandRequest {
    source: String,
    /// The sentence (at most 500 characters).
    text: String,
    /// Its language (absent: the flow's default).
    language: Option<String>,
}

/// How the sentence was understood.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnderstandResponse {
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    errors: Vec<flow::Diagnostic>,
    /// The intent (absent: out of scope, the flow's `no_match` path).
    intent: Option<String>,
    confidence: f32,
    /// `keyword` (a keyword or pattern decided), `model`, or `nothing` (out of scope).
    by: String,
    /// The model's best intents, best first.
    ranking: Vec<RankedIntent>,
}

/// An intent and the model's probability for it.
#[derive(Serialize, ToSchema)]
pub(crate) struct RankedIntent {
    intent: String,
    probability: f32,
}

/// Classifies a sentence as the draft would and says what decided (keyword, model or
/// nothing), with the model's ranking.
#[utoipa::path(post, path = "/api/v1/flows/understand", tag = "flows", request_body = UnderstandRequest,
    responses((status = 200, body = UnderstandResponse), (status = 422, body = Problem)))]
async fn understand(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<UnderstandRequest>,
) -> Result<axum::Json<UnderstandResponse>, ApiError> {
    let result = state
        .app
        .try_sentence(&who, &body.source, &body.text, body.language.as_deref())
        .await?;
    Ok(axum::Json(match result {
        Ok(e) => UnderstandResponse {
            errors: Vec::new(),
            intent: e.intent,
            confidence: e.confidence,
            by: match e.by {
                app::UnderstoodBy::Keyword => "keyword",
                app::UnderstoodBy::Model => "model",
                app::UnderstoodBy::Nothing => "nothing",
            }
            .to_owned(),
            ranking: e
                .ranking
                .into_iter()
                .map(|(intent, probability)| RankedIntent {
                    intent,
                    probability,
                })
                .collect(),
        },
        Err(errors) => UnderstandResponse {
            errors: errors.0,
            intent: None,
            confidence: 0.0,
            by: "nothing".to_owned(),
            ranking: Vec::new(),
        },
    }))
}

/// A flow's source text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftSourceRequest {
    source: String,
}

/// What the examples of the draft's intents are worth.
#[derive(Serialize, ToSchema)]
pub(crate) struct IntentReportDto {
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    errors: Vec<flow::Diagnostic>,
    /// Whether a model is trained (examples for at least two intents).
    has_model: bool,
    /// Fewer examples than this in a language draws a warning.
    min_examples: usize,
    intents: Vec<IntentHealthDto>,
}

/// One intent's examples and what is wrong with them.
#[derive(Serialize, ToSchema)]
pub(crate) struct IntentHealthDto {
    name: String,
    /// Examples per language the flow speaks.
    examples: BTreeMap<String, usize>,
    keywords: usize,
    /// Share of its examples recognised when held out of training (absent: no model).
    recognised: Option<f32>,
    /// Share of its held-out examples rejected as out of scope.
    rejected: Option<f32>,
    /// Other intents its held-out examples were taken for.
    overlaps: Vec<OverlapDto>,
    warnings: Vec<IntentWarningDto>,
}

/// Held-out examples taken for another intent.
#[derive(Serialize, ToSchema)]
pub(crate) struct OverlapDto {
    intent: String,
    share: f32,
    examples: Vec<String>,
}

/// A finding about an intent.
#[derive(Serialize, ToSchema)]
pub(crate) struct IntentWarningDto {
    /// `empty`, `too-few-examples`, `overlaps` or `unrecognised`.
    code: String,
    /// The language, for `too-few-examples`.
    language: Option<String>,
    /// The number of examples, for `too-few-examples`.
    count: Option<usize>,
    /// The other intent, for `overlaps`.
    intent: Option<String>,
}

fn warning_dto(w: &app::IntentWarning) -> IntentWarningDto {
    let mut dto = IntentWarningDto {
        code: String::new(),
        language: None,
        count: None,
        intent: None,
    };
    match w {
        app::IntentWarning::Empty => dto.code = "empty".to_owned(),
        app::IntentWarning::TooFewExamples { language, count } => {
            dto.code = "too-few-examples".to_owned();
            dto.language = Some(language.clone());
            dto.count = Some(*count);
        }
        app::IntentWarning::Overlaps { intent } => {
            dto.code = "overlaps".to_owned();
            dto.intent = Some(intent.clone());
        }
        app::IntentWarning::Unrecognised => dto.code = "unrecognised".to_owned(),
    }
    dto
}

/// Reports on the draft's intents: examples per language, and what the model makes of each
/// intent's examples when they are held out of its training (overlaps with other intents,
/// examples not recognised at all), with warnings.
#[utoipa::path(post, path = "/api/v1/flows/intents", tag = "flows", request_body = DraftSourceRequest,
    responses((status = 200, body = IntentReportDto), (status = 422, body = Problem)))]
async fn intents(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DraftSourceRequest>,
) -> Result<axum::Json<IntentReportDto>, ApiError> {
    let result = state.app.intent_report(&who, &body.source).await?;
    Ok(axum::Json(match result {
        Ok(report) => IntentReportDto {
            errors: Vec::new(),
            has_model: report.has_model,
            min_examples: app::MIN_EXAMPLES,
            intents: report
                .intents
                .iter()
                .map(|i| IntentHealthDto {
                    name: i.name.clone(),
                    examples: i.examples.clone(),
                    keywords: i.keywords,
                    recognised: i.recognised,
                    rejected: i.rejected,
                    overlaps: i
                        .overlaps
                        .iter()
                        .map(|o| OverlapDto {
                            intent: o.intent.clone(),
                            share: o.share,
                            examples: o.examples.clone(),
                        })
                        .collect(),
                    warnings: i.warnings.iter().map(warning_dto).collect(),
                })
                .collect(),
        },
        Err(errors) => IntentReportDto {
            errors: errors.0,
            has_model: false,
            min_examples: app::MIN_EXAMPLES,
            intents: Vec::new(),
        },
    }))
}

/// The results of a draft's tests.
#[derive(Serialize, ToSchema)]
pub(crate) struct TestRunDto {
    #[schema(value_type = Vec<crate::schemas::DiagnosticSchema>)]
    errors: Vec<flow::Diagnostic>,
    results: Vec<TestResultDto>,
}

/// How one test conversation went.
#[derive(Serialize, ToSchema)]
pub(crate) struct TestResultDto {
    name: String,
    passed: bool,
    /// One message per failed expectation: the step, the input, what was expected and the
    /// bot's replies.
    failures: Vec<String>,
}

/// Runs the draft's `tests:` with its understanding.
#[utoipa::path(post, path = "/api/v1/flows/test", tag = "flows", request_body = DraftSourceRequest,
    responses((status = 200, body = TestRunDto), (status = 422, body = Problem)))]
async fn test(
    State(state): State<ApiState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<DraftSourceRequest>,
) -> Result<axum::Json<TestRunDto>, ApiError> {
    let result = state.app.run_draft_tests(&who, &body.source).await?;
    Ok(axum::Json(match result {
        Ok(results) => TestRunDto {
            errors: Vec::new(),
            results: results
                .into_iter()
                .map(|t| TestResultDto {
                    name: t.name,
                    passed: t.passed,
                    failures: t.failures,
                })
                .collect(),
        },
        Err(errors) => TestRunDto {
            errors: errors.0,
            results: Vec::new(),
        },
    }))
}
