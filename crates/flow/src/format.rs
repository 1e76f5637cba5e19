//! The flow document: what operators write in YAML or JSON and what the editor produces.
//!
//! A flow is a list of nodes, each with an `id`, a `type` and the fields of that type, plus
//! flow-level declarations (languages, intents, calendars) and embedded test conversations.
//! Transitions are node ids in fields such as `next`, `no_input` or an option's `next`.
//! The format is versioned by `flow:` (currently 1); the JSON Schema is generated from these
//! types (`schema::json_schema`). Node positions for the visual editor are stored beside the
//! flow, never inside it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) mod scalar;

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A language code such as `de` or `en` (ISO 639-1, lower case).
pub type Lang = String;

/// A node id: 1–64 characters of `a-z 0-9 _ -`, unique in the flow.
pub type NodeId = String;

/// A whole flow document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowDocument {
    /// Format version; must be 1.
    pub flow: u32,
    /// A short machine name, e.g. `crisis-line-de`.
    pub id: String,
    /// A human-readable name.
    pub name: String,
    /// The language used when a conversation does not say otherwise.
    pub language: Lang,
    /// Every language the texts are written in (the default language included).
    #[serde(default)]
    pub languages: Vec<Lang>,
    /// The node a conversation starts at.
    pub start: NodeId,
    /// Where a conversation goes when it must give up (unhandled no-input or no-match, a
    /// failed step): typically an `enqueue` to a human. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<NodeId>,
    /// Initial values of variables.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "scalar::map"
    )]
    #[schemars(schema_with = "scalar::map_schema")]
    pub variables: BTreeMap<String, String>,
    /// Intents the flow understands, with examples (the NLU trains on these) and the
    /// keywords and patterns the built-in matcher uses.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub intents: BTreeMap<String, IntentDef>,
    /// Named business-hour calendars for `split` on time of day.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calendars: BTreeMap<String, Calendar>,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Test conversations run by `hotline flow test`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<FlowTest>,
}

/// Text in one or several languages: either one string for every language, or a map from
/// language to text; or, where a phone caller needs other words than a chat user ("press 9 to
/// hear the options again" against buttons), one such text per channel. Texts are templates:
/// `{{var}}` inserts a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    /// The same text in every language.
    Plain(String),
    /// Text per channel (`voice` and `chat`, optionally `sms` and `whatsapp`), each one
    /// string or one per language.
    ByChannel(Box<ChannelTexts>),
    /// Text per language.
    ByLanguage(BTreeMap<Lang, String>),
}

/// A text's wording per channel. SMS and WhatsApp use the chat wording unless they have their
/// own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelTexts {
    /// Spoken on the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Text>,
    /// Shown in web chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Text>,
    /// Sent by SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<Text>,
    /// Sent on WhatsApp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<Text>,
}

impl Text {
    /// The wording for a channel: the channel's own for a text by channel (SMS and WhatsApp
    /// fall back to chat, any channel to the other wording), else the text itself.
    pub fn for_channel(&self, channel: Channel) -> &Text {
        const EMPTY: &Text = &Text::Plain(String::new());
        let Text::ByChannel(by) = self else {
            return self;
        };
        let own = match channel {
            Channel::Voice => by.voice.as_ref(),
            Channel::Chat => by.chat.as_ref(),
            Channel::Sms => by.sms.as_ref().or(by.chat.as_ref()),
            Channel::Whatsapp => by.whatsapp.as_ref().or(by.chat.as_ref()),
        };
        own.or(by.chat.as_ref())
            .or(by.voice.as_ref())
            .unwrap_or(EMPTY)
    }

    /// The text in `language` (else the flow's `default` language, else any), for one
    /// channel.
    pub fn in_language<'t>(&'t self, channel: Channel, language: &str, default: &str) -> &'t str {
        match self.for_channel(channel) {
            Text::Plain(s) => s,
            Text::ByLanguage(by) => by
                .get(language)
                .or_else(|| by.get(default))
                .or_else(|| by.values().next())
                .map_or("", String::as_str),
            // A text by channel inside one is refused by validation.
            Text::ByChannel(_) => "",
        }
    }
}

/// One intent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    /// Example utterances per language (10–50 is typical).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub examples: BTreeMap<Lang, Vec<String>>,
    /// Words that signal the intent (matched as whole words, case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Regular expressions that signal the intent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
}

/// Opening hours in a time zone, with holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Opening intervals per weekday (`mon` … `sun`), each `HH:MM-HH:MM`.
    #[serde(default)]
    pub hours: BTreeMap<Weekday, Vec<String>>,
    /// Closed dates, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
}

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

/// A node: an id and the fields of its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    /// Say a text (or play audio), then go on.
    Say(Say),
    /// Ask a question and wait for digits, speech or text.
    Ask(Ask),
    /// Offer options by digit, keyword or intent.
    Menu(Menu),
    /// Branch on intent, a pattern, a variable or the time.
    Split(Split),
    /// Set variables.
    Set(SetVars),
    /// Send a message (on the conversation's channel or another one, e.g. a follow-up SMS).
    SendMessage(SendMessage),
    /// Call an HTTP endpoint (a CRM, a booking system).
    HttpRequest(HttpRequest),
    /// Hand the conversation to a human queue.
    Enqueue(Enqueue),
    /// Record a voicemail (on chat: take a written message).
    Record(Record),
    /// Transfer the call to another number or SIP address.
    Transfer(Transfer),
    /// End the conversation.
    End(End),
    /// Run a group of nodes and come back (the group ends with a `return` node).
    Subflow(Subflow),
    /// Return from a subflow to the node after the calling `subflow` node.
    Return(Return),
}

/// `say`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// Node id.
    pub id: NodeId,
    /// What to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    /// An audio file to play instead of synthesised speech (on chat, `text` is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
    /// Text-to-speech voice name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// The next node.
    pub next: NodeId,
}

/// The kinds of input an `ask` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Keypad digits (DTMF) — or digits typed in chat.
    Digits,
    /// Spoken words (phone).
    Speech,
    /// Free text (chat, SMS).
    Text,
}

/// `ask`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// Node id.
    pub id: NodeId,
    /// The question.
    pub prompt: Text,
    /// Accepted inputs (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<InputKind>,
    /// For digits: stop after this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_digits: Option<u8>,
    /// For digits: a key that ends input early (`#` or `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_on_key: Option<char>,
    /// Seconds to wait for input (default 10 on the phone; chat waits `timeout_secs` too).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u32,
    /// How often to ask again after no input or no match before taking the branch.
    #[serde(default = "default_retries")]
    pub retries: u8,
    /// A regular expression the answer must match, else it is no match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The variable the answer is stored in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
    /// Where to go with a valid answer.
    pub next: NodeId,
    /// Where to go when nothing came after all retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_input: Option<NodeId>,
    /// Where to go when the answer did not match after all retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_match: Option<NodeId>,
}

/// The default input timeout.
pub const fn default_timeout_secs() -> u32 {
    10
}

/// The default number of retries.
pub const fn default_retries() -> u8 {
    2
}

/// `menu`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    /// Node id.
    pub id: NodeId,
    /// The menu's prompt (on the phone it should name the options and their digits).
    pub prompt: Text,
    /// The options.
    pub options: Vec<MenuOption>,
    /// How the caller asks to hear the menu again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatOption>,
    /// Seconds to wait for a choice.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u32,
    /// How often to ask again after no input or no match.
    #[serde(default = "default_retries")]
    pub retries: u8,
    /// Where to go when nothing came after all retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_input: Option<NodeId>,
    /// Where to go when no option matched after all retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_match: Option<NodeId>,
}

/// One menu option: chosen by its digit, one of its keywords, or its intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuOption {
    /// The keypad digit (`0`–`9`, `*`, `#`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalar::opt"
    )]
    #[schemars(schema_with = "scalar::opt_schema")]
    pub digit: Option<String>,
    /// Words that choose this option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// An intent that chooses this option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The option's label (shown as a button in chat).
    pub label: Text,
    /// Where the option leads.
    pub next: NodeId,
}

/// The repeat option of a menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatOption {
    /// The keypad digit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalar::opt"
    )]
    #[schemars(schema_with = "scalar::opt_schema")]
    pub digit: Option<String>,
    /// Words that repeat the menu.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// `split`: the first branch whose condition holds wins; else `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// Node id.
    pub id: NodeId,
    /// The branches, tried in order.
    pub branches: Vec<Branch>,
    /// Where to go when no branch matched.
    pub default: NodeId,
}

/// One branch of a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The condition.
    pub when: Condition,
    /// Where to go when it holds.
    pub next: NodeId,
}

/// A condition of a split branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The intent of the caller's last message is this one.
    Intent(String),
    /// A variable (default: the last input) matches a regular expression.
    Regex {
        /// The variable to test; the last input when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        var: Option<String>,
        /// The pattern.
        pattern: String,
    },
    /// A variable compared with a value.
    Compare {
        /// The variable.
        var: String,
        /// The comparison.
        op: CompareOp,
        /// The value to compare with (a template); not needed for `exists`.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "scalar::opt"
        )]
        #[schemars(schema_with = "scalar::opt_schema")]
        value: Option<String>,
    },
    /// The named calendar is open now.
    Open(String),
}

/// How a `compare` condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    /// Equal (as text, case-sensitive).
    Eq,
    /// Not equal.
    Ne,
    /// Less than (as numbers).
    Lt,
    /// Greater than (as numbers).
    Gt,
    /// Contains the value as a substring (case-insensitive).
    Contains,
    /// The variable is set and not empty.
    Exists,
}

/// `set`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVars {
    /// Node id.
    pub id: NodeId,
    /// Variables and their new values (templates).
    #[serde(deserialize_with = "scalar::map")]
    #[schemars(schema_with = "scalar::map_schema")]
    pub values: BTreeMap<String, String>,
    /// The next node.
    pub next: NodeId,
}

/// The channel a conversation runs on. The engine adapts a few behaviours to it (chat shows
/// menu options as buttons; only the phone can transfer or record audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The web chat widget.
    Chat,
    /// A phone call.
    Voice,
    /// SMS.
    Sms,
    /// WhatsApp.
    Whatsapp,
}

impl Channel {
    /// The name a channel has in flow files and templates (`{{channel}}`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Voice => "voice",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

/// Where a `send_message` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// The conversation's own channel.
    #[default]
    Same,
    /// An SMS to the contact (through the number proxy).
    Sms,
}

/// `send_message`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Node id.
    pub id: NodeId,
    /// The message.
    pub text: Text,
    /// Where it goes.
    #[serde(default)]
    pub channel: MessageChannel,
    /// The next node.
    pub next: NodeId,
}

/// HTTP methods an `http_request` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// `http_request`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    /// Node id.
    pub id: NodeId,
    /// The method.
    pub method: HttpMethod,
    /// The URL (a template; `http` or `https`).
    pub url: String,
    /// Request headers (templates).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body (a template, usually JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Seconds before the request counts as failed (1–30, default 5).
    #[serde(default = "default_http_timeout_secs")]
    pub timeout_secs: u32,
    /// Variables to fill from the JSON response: variable → JSON pointer (e.g. `/slot/time`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub save: BTreeMap<String, String>,
    /// Where to go after a 2xx response.
    pub next: NodeId,
    /// Where to go after an error status, a timeout or a refused address.
    pub on_error: NodeId,
}

/// The default HTTP timeout.
pub const fn default_http_timeout_secs() -> u32 {
    5
}

/// `enqueue`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enqueue {
    /// Node id.
    pub id: NodeId,
    /// The queue's name.
    pub queue: String,
    /// Higher is served first (default 0).
    #[serde(default)]
    pub priority: i32,
    /// What the human sees besides the transcript: name → template.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "scalar::map"
    )]
    #[schemars(schema_with = "scalar::map_schema")]
    pub context: BTreeMap<String, String>,
    /// What the caller is told while waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    /// Give up waiting after this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
    /// Where to go when the wait times out (required with `timeout_secs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<NodeId>,
}

/// `record`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Node id.
    pub id: NodeId,
    /// What to say before recording.
    pub prompt: Text,
    /// Longest recording, seconds (default 120).
    #[serde(default = "default_record_secs")]
    pub max_secs: u32,
    /// The variable that receives the recording's reference (or the written message).
    pub save_as: String,
    /// The next node.
    pub next: NodeId,
    /// Where to go when nothing was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_input: Option<NodeId>,
}

/// The default voicemail length.
pub const fn default_record_secs() -> u32 {
    120
}

/// `transfer`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Node id.
    pub id: NodeId,
    /// A phone number (E.164) or SIP URI (a template).
    pub to: String,
    /// What to say before transferring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    /// Where to go when the transfer fails (or on channels that cannot transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<NodeId>,
}

/// `end`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// Node id.
    pub id: NodeId,
    /// A last message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

/// `subflow`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subflow {
    /// Node id.
    pub id: NodeId,
    /// The first node of the group to run.
    pub start: NodeId,
    /// Where to continue after the group's `return`.
    pub next: NodeId,
}

/// `return`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// Node id.
    pub id: NodeId,
}

/// A test conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowTest {
    /// What the test shows.
    pub name: String,
    /// The conversation's language (default: the flow's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Lang>,
    /// The channel (default `chat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Local time of the test, RFC 3339 with offset (default 2026-01-05T10:00:00+01:00, a Monday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Variables set before the start.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "scalar::map"
    )]
    #[schemars(schema_with = "scalar::map_schema")]
    pub variables: BTreeMap<String, String>,
    /// The steps; the first step's `expect` checks the replies to the start.
    pub steps: Vec<TestStep>,
    /// Where the conversation must be at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<TestEnd>,
}

/// One step of a test: at most one input, then expectations about the replies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestStep {
    /// Text the caller sends.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalar::opt"
    )]
    #[schemars(schema_with = "scalar::opt_schema")]
    pub send: Option<String>,
    /// Digits the caller presses.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "scalar::opt"
    )]
    #[schemars(schema_with = "scalar::opt_schema")]
    pub digits: Option<String>,
    /// The caller stays silent until the input timeout fires.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silence: bool,
    /// The HTTP request made now answers with this status and JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<TestHttp>,
    /// Substrings the replies must contain, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<String>,
    /// Substrings the replies must not contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reject: Vec<String>,
    /// The node the conversation must then wait at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_node: Option<NodeId>,
}

/// A simulated HTTP response in a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestHttp {
    /// The status code (0 = the request failed without a response).
    pub status: u16,
    /// The JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// How a test conversation must end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TestEnd {
    /// Waiting in this queue.
    Queued(String),
    /// Ended.
    Ended,
    /// Transferred.
    Transferred,
    /// Waiting for input at this node.
    Waiting(NodeId),
}

impl Node {
    /// The node's id.
    pub fn id(&self) -> &str {
        match self {
            Node::Say(n) => &n.id,
            Node::Ask(n) => &n.id,
            Node::Menu(n) => &n.id,
            Node::Split(n) => &n.id,
            Node::Set(n) => &n.id,
            Node::SendMessage(n) => &n.id,
            Node::HttpRequest(n) => &n.id,
            Node::Enqueue(n) => &n.id,
            Node::Record(n) => &n.id,
            Node::Transfer(n) => &n.id,
            Node::End(n) => &n.id,
            Node::Subflow(n) => &n.id,
            Node::Return(n) => &n.id,
        }
    }

    /// The node kind's name as written in `type:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Say(_) => "say",
            Node::Ask(_) => "ask",
            Node::Menu(_) => "menu",
            Node::Split(_) => "split",
            Node::Set(_) => "set",
            Node::SendMessage(_) => "send_message",
            Node::HttpRequest(_) => "http_request",
            Node::Enqueue(_) => "enqueue",
            Node::Record(_) => "record",
            Node::Transfer(_) => "transfer",
            Node::End(_) => "end",
            Node::Subflow(_) => "subflow",
            Node::Return(_) => "return",
        }
    }

    /// Every transition out of this node, as (handle, target). Handles are the editor's
    /// typed strings: `out:next`, `out:no_input`, `out:option:2`, `out:branch:0`, …
    pub fn transitions(&self) -> Vec<(String, &NodeId)> {
        match self {
            Node::Say(n) => vec![("out:next".to_owned(), &n.next)],
            Node::Ask(n) => {
                let mut v = vec![("out:next".to_owned(), &n.next)];
                v.extend(n.no_input.iter().map(|t| ("out:no_input".to_owned(), t)));
                v.extend(n.no_match.iter().map(|t| ("out:no_match".to_owned(), t)));
                v
            }
            Node::Menu(n) => {
                let mut v: Vec<(String, &NodeId)> = n
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (format!("out:option:{i}"), &o.next))
                    .collect();
                v.extend(n.no_input.iter().map(|t| ("out:no_input".to_owned(), t)));
                v.extend(n.no_match.iter().map(|t| ("out:no_match".to_owned(), t)));
                v
            }
            Node::Split(n) => {
                let mut v: Vec<(String, &NodeId)> = n
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (format!("out:branch:{i}"), &b.next))
                    .collect();
                v.push(("out:default".to_owned(), &n.default));
                v
            }
            Node::Set(n) => vec![("out:next".to_owned(), &n.next)],
            Node::SendMessage(n) => vec![("out:next".to_owned(), &n.next)],
            Node::HttpRequest(n) => vec![
                ("out:next".to_owned(), &n.next),
                ("out:error".to_owned(), &n.on_error),
            ],
            Node::Enqueue(n) => n
                .on_timeout
                .iter()
                .map(|t| ("out:timeout".to_owned(), t))
                .collect(),
            Node::Record(n) => {
                let mut v = vec![("out:next".to_owned(), &n.next)];
                v.extend(n.no_input.iter().map(|t| ("out:no_input".to_owned(), t)));
                v
            }
            Node::Transfer(n) => n
                .on_failure
                .iter()
                .map(|t| ("out:failure".to_owned(), t))
                .collect(),
            Node::End(_) | Node::Return(_) => Vec::new(),
            Node::Subflow(n) => vec![
                ("out:start".to_owned(), &n.start),
                ("out:next".to_owned(), &n.next),
            ],
        }
    }
}
