//! The call script: what one call does with the flow's commands and the caller's input, without IO.
//!
//! The script keeps the flow's work in order — prompts, recordings, transfers and the hang-up queue up and are
//! carried out one after the other — and decides what the caller hears in each 20 ms frame: the next slice of
//! the prompt playing, the beep that starts a recording, hold music while the call waits in a queue (or while
//! the agent's phone rings), the agent's voice once the two are bridged, or silence. It collects digits
//! (keeping those typed ahead of a question), stops the prompts that lead up to a question when the caller
//! answers early (barge-in), records, and ends the call in the right order — the agent's leg with it.
//!
//! It does no IO and reads no clock, in the manner of [`sip_proto::UserAgent`]: the driver task feeds it what
//! happens through `handle_*` (those that depend on time take `now`, the milliseconds since the call was
//! answered) and carries out what it polls: [`CallScript::poll_frame`] once per tick, and
//! [`CallScript::poll_action`] until it is empty — synthesise a prompt, start or stop the recogniser, report
//! digits or speech to the flow, save a recording, transfer, hang up, and finally [`Action::End`]. Frames and
//! timeouts (inter-digit pause, recording length, position announcements, no media) advance only with
//! [`CallScript::handle_tick`], due every 20 ms ([`CallScript::poll_timeout`]), so a test plays a whole call on a
//! virtual clock.

use std::collections::VecDeque;
use std::sync::Arc;

use app::CallCommand;
use domain::UserId;
use flow::InputKind;
use media::tone::HoldChime;

use super::texts::Language;
use crate::tts::{FRAME_SAMPLES, Prompt, SAMPLE_RATE_HZ, Voice};

/// The length of one frame, and the time between ticks.
pub const FRAME_MS: u64 = 20;
/// Time between queue position announcements.
pub const POSITION_EVERY_MS: u64 = 30_000;
/// The first position announcement comes this long after the call joins a queue.
pub const FIRST_POSITION_MS: u64 = 2_000;
/// After the last digit, how long to wait for another before handing the digits to the flow.
pub const INTER_DIGIT_MS: u64 = 3_000;
/// Digits typed before a question are kept for it, up to this many.
pub const TYPE_AHEAD: usize = 16;
/// The longest call (a runaway guard).
pub const MAX_CALL_MS: u64 = 4 * 60 * 60 * 1000;
/// The longest recording, in seconds, whatever the flow asks.
pub const MAX_RECORDING_SECS: u32 = 600;
/// At most this much of the agent's audio (200 ms) waits to be played; older frames are dropped, so a burst from
/// the agent's phone cannot delay the conversation for good.
pub const AGENT_AUDIO_FRAMES: usize = 10;

/// What a script needs to know about its call.
#[derive(Debug, Clone)]
pub struct ScriptConfig {
    /// The conversation's language (for the script's own sentences and the recogniser).
    pub language: String,
    /// The host a bare transfer target (`"200"`) is dialled at: `sip:200@host`.
    pub host: String,
    /// Whether a speech recogniser is configured.
    pub can_recognise: bool,
    /// The call hangs up after this long without media from the caller (unless the caller holds it).
    pub media_timeout_ms: u64,
    /// How long an agent's phone may ring before the task goes back to its queue.
    pub agent_ring_ms: u64,
    /// Whether the caller may press 1 while waiting in a queue to be called back (a trunk
    /// for outgoing calls is configured and the caller's number is known).
    pub call_back: bool,
}

/// Names a prompt handed out for synthesis, so its audio finds its place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PromptId(u64);

/// What the caller hears in one 20 ms frame.
// One frame is made and sent every 20 ms: moving 320 bytes is cheaper than boxing them each time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq)]
pub enum Frame {
    /// Audio: a prompt, the recording beep or hold music.
    Audio([i16; FRAME_SAMPLES]),
    /// Nothing to play.
    Silence,
}

impl std::fmt::Debug for Frame {
    // 160 samples help nobody reading a test failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Audio(s) => write!(f, "Audio(first={}, peak={})", s[0], peak(s)),
            Frame::Silence => f.write_str("Silence"),
        }
    }
}

fn peak(samples: &[i16]) -> u16 {
    samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
}

/// What the driver must do for the script.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Synthesise `text` and hand the result to [`CallScript::handle_prompt`] with `id`.
    Synthesize {
        id: PromptId,
        text: String,
        voice: Voice,
    },
    /// Load the tenant's recorded prompt `name` and hand it to [`CallScript::handle_prompt`] with `id`; when
    /// the tenant has no such prompt (deleted since the flow was published), synthesise `text` instead, so
    /// the caller is not left in silence.
    LoadAudio {
        id: PromptId,
        name: String,
        text: String,
        voice: Voice,
    },
    /// Open a recognition stream with these phrases; report its events to the `handle_speech_*` inputs.
    StartRecognition {
        phrases: Arc<Vec<String>>,
        language: String,
    },
    /// Close the recognition stream (or forget the one starting): the question was answered by keys.
    StopRecognition,
    /// Hand the collected digits to the flow.
    Digits(String),
    /// Hand recognised speech to the flow.
    Speech { text: String, confidence: f32 },
    /// The recogniser's transcript reads as another language than the call's (a server with the wrong
    /// model): count it as a failed recognition and hand it to the app only to be checked for a crisis or
    /// a request for a person; the flow does not see it.
    SpeechInOtherLanguage { text: String, confidence: f32 },
    /// Store a finished recording (8 kHz linear PCM; empty when the caller sent nothing) and tell the flow.
    /// `at_ms` is when it finished, which names the file.
    SaveRecording { samples: Vec<i16>, at_ms: u64 },
    /// Transfer the call (SIP REFER); report the outcome to [`CallScript::handle_transfer`].
    Refer { target: String },
    /// Tell the flow that the transfer failed.
    TransferFailed,
    /// Find the call's position in `queue`; report it to [`CallScript::handle_queue_position`].
    LookUpPosition { queue: String },
    /// Ring the agent's registered phone (a second leg, from Hotline); report what becomes of it to
    /// [`CallScript::handle_agent_answered`], [`CallScript::handle_agent_failed`] and
    /// [`CallScript::handle_agent_hangup`].
    CallAgent { agent: UserId },
    /// End the agent's leg: CANCEL while it rings, BYE once answered.
    HangUpAgent,
    /// Tell the app the agent's phone could not be reached, so the task goes back to its queue.
    AgentUnreachable { agent: UserId },
    /// The waiting caller pressed 1: ask the app for a call-back (it then says so and hangs up);
    /// report a refusal to [`CallScript::handle_call_back_refused`].
    RequestCallBack,
    /// Hang up (SIP BYE).
    Hangup(HangupReason),
    /// The call is over: end its conversation and stop. Nothing follows.
    End,
}

/// Why our side hangs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupReason {
    /// The flow ended and everything before its end has been played.
    Flow,
    /// The transfer target took the call.
    Transferred,
    /// No media from the caller for the media timeout.
    NoMedia,
    /// The call reached [`MAX_CALL_MS`].
    TooLong,
    /// The agent hung up the bridged call.
    AgentHungUp,
}

/// The agent's leg of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgentLeg {
    /// No agent's phone is involved.
    None,
    /// The agent's phone rings until `deadline_ms`; the caller hears the hold music meanwhile.
    Ringing { agent: UserId, deadline_ms: u64 },
    /// The agent answered: the two are bridged.
    Bridged { agent: UserId },
}

/// One thing to do, in the flow's order.
#[derive(Debug)]
enum Item {
    /// A prompt being synthesised.
    Pending {
        id: PromptId,
        interruptible: bool,
    },
    /// A prompt playing from `pos` (in samples).
    Playing {
        prompt: Prompt,
        pos: usize,
        interruptible: bool,
    },
    Record {
        max_secs: u32,
    },
    Transfer {
        to: String,
    },
    Hangup,
}

impl Item {
    /// Prompts that lead up to a question stop when the caller answers it; nothing else does.
    fn interruptible(&self) -> bool {
        matches!(
            self,
            Item::Pending {
                interruptible: true,
                ..
            } | Item::Playing {
                interruptible: true,
                ..
            }
        )
    }
}

/// The open question.
#[derive(Debug)]
struct Gather {
    digits: bool,
    speech: bool,
    num_digits: Option<u8>,
    finish_on_key: Option<char>,
    collected: String,
    last_digit_ms: u64,
    phrases: Arc<Vec<String>>,
}

#[derive(Debug)]
struct Recording {
    samples: Vec<i16>,
    max_samples: usize,
    /// Ends here even if the caller sends no media.
    deadline_ms: u64,
}

/// Where the recogniser stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listening {
    Off,
    /// Started (or starting) and hearing the caller.
    On,
    /// The utterance ended; its text is being decoded.
    Decoding,
}

/// One call's logic. See the module documentation.
#[derive(Debug)]
pub struct CallScript {
    config: ScriptConfig,
    queue: VecDeque<Item>,
    gather: Option<Gather>,
    type_ahead: String,
    listening: Listening,
    recording: Option<Recording>,
    /// The queue the call waits in.
    queued: Option<String>,
    hold: HoldChime,
    next_position_ms: u64,
    next_prompt: u64,
    transferring: bool,
    hanging_up: bool,
    ended: bool,
    /// The caller holds the call (re-INVITE with sendonly/inactive): no media is expected.
    on_hold: bool,
    /// The caller asked for a call-back and the app has not answered yet.
    call_back_asked: bool,
    /// The recogniser failed: the caller was told to use the keys, and the call listens for
    /// keys only from then on.
    speech_failed: bool,
    last_media_ms: u64,
    now_ms: u64,
    frame: Option<Frame>,
    actions: VecDeque<Action>,
    agent: AgentLeg,
    /// The agent's audio waiting to be played, one frame per tick.
    agent_audio: VecDeque<[i16; FRAME_SAMPLES]>,
    /// Samples of the agent's audio short of a whole frame.
    agent_partial: Vec<i16>,
}

impl CallScript {
    /// The script of a call just answered (at time 0).
    #[must_use]
    pub fn new(config: ScriptConfig) -> Self {
        Self {
            config,
            queue: VecDeque::new(),
            gather: None,
            type_ahead: String::new(),
            listening: Listening::Off,
            recording: None,
            queued: None,
            hold: HoldChime::new(),
            next_position_ms: 0,
            next_prompt: 0,
            transferring: false,
            hanging_up: false,
            ended: false,
            on_hold: false,
            call_back_asked: false,
            speech_failed: false,
            last_media_ms: 0,
            now_ms: 0,
            frame: None,
            actions: VecDeque::new(),
            agent: AgentLeg::None,
            agent_audio: VecDeque::new(),
            agent_partial: Vec::new(),
        }
    }

    /// Whether the caller and the agent are bridged: the caller's audio and keys go to the agent.
    #[must_use]
    pub fn is_bridged(&self) -> bool {
        matches!(self.agent, AgentLeg::Bridged { .. })
    }

    /// Whether the call is over ([`Action::End`] has been handed out or is waiting).
    #[must_use]
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// When the next tick is due: one frame after the last, or `None` once the call is over.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        (!self.ended).then_some(self.now_ms + FRAME_MS)
    }

    /// The frame of the last tick, once: `None` when there is nothing to send (the caller holds the call, or
    /// the call ended in that tick). RTP keeps its clock running either way.
    pub fn poll_frame(&mut self) -> Option<Frame> {
        self.frame.take()
    }

    /// The next thing for the driver to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The flow's commands of one step, in order. Prompts in a step that asks a question may be interrupted.
    pub fn handle_commands(&mut self, now: u64, commands: Vec<CallCommand>) {
        if self.ended {
            return;
        }
        self.now_ms = self.now_ms.max(now);
        let has_gather = commands
            .iter()
            .any(|c| matches!(c, CallCommand::Gather { .. }));
        if commands
            .iter()
            .any(|c| matches!(c, CallCommand::ConnectAgent { .. }))
        {
            // An agent took the call: what the caller was told while waiting (the queue's
            // text, their position) is over; what this step says (who joined) is not.
            self.queue
                .retain(|i| !matches!(i, Item::Pending { .. } | Item::Playing { .. }));
        }
        for command in commands {
            self.command(command, has_gather);
        }
    }

    fn command(&mut self, command: CallCommand, interruptible: bool) {
        match command {
            CallCommand::Play {
                text,
                language,
                voice,
                audio,
            } => {
                let voice = Voice {
                    language,
                    name: voice,
                };
                if let Some(name) = audio {
                    // A recorded prompt plays instead of the text.
                    let id = PromptId(self.next_prompt);
                    self.next_prompt += 1;
                    self.actions.push_back(Action::LoadAudio {
                        id,
                        name,
                        text,
                        voice,
                    });
                    self.queue.push_back(Item::Pending { id, interruptible });
                    return;
                }
                if text.trim().is_empty() {
                    return;
                }
                self.synthesize(text, voice, interruptible);
            }
            CallCommand::Gather {
                kinds,
                num_digits,
                finish_on_key,
                phrases,
            } => {
                self.gather = Some(Gather {
                    digits: kinds.contains(&InputKind::Digits),
                    speech: kinds.contains(&InputKind::Speech) || kinds.contains(&InputKind::Text),
                    num_digits,
                    finish_on_key,
                    collected: String::new(),
                    last_digit_ms: 0,
                    phrases,
                });
                self.start_listening();
                let typed = std::mem::take(&mut self.type_ahead);
                for d in typed.chars() {
                    self.gather_digit(d);
                }
            }
            CallCommand::Record { max_secs } => self.queue.push_back(Item::Record { max_secs }),
            CallCommand::Transfer { to } => self.queue.push_back(Item::Transfer { to }),
            CallCommand::Queued { queue } => self.handle_queue_status(self.now_ms, Some(queue)),
            CallCommand::Hangup => self.queue.push_back(Item::Hangup),
            CallCommand::ConnectAgent { agent } => self.connect_agent(agent),
        }
    }

    /// Rings the agent's phone at once (while the caller still hears what comes before); another agent's leg
    /// still up is ended first.
    fn connect_agent(&mut self, agent: UserId) {
        match self.agent {
            AgentLeg::Ringing { agent: a, .. } | AgentLeg::Bridged { agent: a } if a == agent => {
                return;
            }
            AgentLeg::None => {}
            _ => self.actions.push_back(Action::HangUpAgent),
        }
        self.agent = AgentLeg::Ringing {
            agent,
            deadline_ms: self.now_ms + self.config.agent_ring_ms,
        };
        self.queued = None;
        self.actions.push_back(Action::CallAgent { agent });
    }

    /// The agent's phone answered: the caller hears the agent from now on (after the prompts already queued).
    pub fn handle_agent_answered(&mut self) {
        if let AgentLeg::Ringing { agent, .. } = self.agent
            && !self.ended
        {
            self.agent = AgentLeg::Bridged { agent };
            self.agent_audio.clear();
            self.agent_partial.clear();
        }
    }

    /// The agent's phone could not be reached (nothing registered, busy, refused): the app puts the task back.
    pub fn handle_agent_failed(&mut self) {
        if let AgentLeg::Ringing { agent, .. } = self.agent {
            self.agent = AgentLeg::None;
            if !self.ended {
                self.actions.push_back(Action::AgentUnreachable { agent });
            }
        }
    }

    /// The agent hung up: once bridged, the caller's call ends too.
    pub fn handle_agent_hangup(&mut self) {
        match self.agent {
            AgentLeg::Bridged { .. } => {
                self.agent = AgentLeg::None;
                if !self.ended {
                    self.hang_up(HangupReason::AgentHungUp);
                }
            }
            // A phone that ends the call before answering has refused it.
            AgentLeg::Ringing { .. } => self.handle_agent_failed(),
            AgentLeg::None => {}
        }
    }

    /// Audio from the agent (8 kHz linear PCM), played to the caller frame by frame while bridged.
    pub fn handle_agent_audio(&mut self, pcm: &[i16]) {
        if !self.is_bridged() || self.ended {
            return;
        }
        self.agent_partial.extend_from_slice(pcm);
        while self.agent_partial.len() >= FRAME_SAMPLES {
            let mut frame = [0i16; FRAME_SAMPLES];
            frame.copy_from_slice(&self.agent_partial[..FRAME_SAMPLES]);
            self.agent_partial.drain(..FRAME_SAMPLES);
            if self.agent_audio.len() == AGENT_AUDIO_FRAMES {
                self.agent_audio.pop_front();
            }
            self.agent_audio.push_back(frame);
        }
    }

    fn synthesize(&mut self, text: String, voice: Voice, interruptible: bool) {
        let id = PromptId(self.next_prompt);
        self.next_prompt += 1;
        self.actions
            .push_back(Action::Synthesize { id, text, voice });
        self.queue.push_back(Item::Pending { id, interruptible });
    }

    /// The audio of a prompt (or `None`: it could not be synthesised, and is skipped). A prompt that was
    /// interrupted meanwhile is forgotten.
    pub fn handle_prompt(&mut self, id: PromptId, prompt: Option<Prompt>) {
        let Some(at) = self
            .queue
            .iter()
            .position(|i| matches!(i, Item::Pending { id: p, .. } if *p == id))
        else {
            return;
        };
        match (prompt, &self.queue[at]) {
            (Some(prompt), &Item::Pending { interruptible, .. }) if !prompt.samples.is_empty() => {
                self.queue[at] = Item::Playing {
                    prompt,
                    pos: 0,
                    interruptible,
                };
            }
            _ => {
                self.queue.remove(at);
            }
        }
    }

    /// The conversation's queue status: waiting in `queue`, or (`None`) not waiting. Back in a queue, an agent's
    /// leg still up is ended (the task left the agent).
    pub fn handle_queue_status(&mut self, now: u64, queue: Option<String>) {
        if self.ended {
            return;
        }
        self.now_ms = self.now_ms.max(now);
        if queue.is_some() && self.agent != AgentLeg::None {
            self.agent = AgentLeg::None;
            self.actions.push_back(Action::HangUpAgent);
        }
        self.queued = queue;
        if self.queued.is_some() {
            self.next_position_ms = self.now_ms + FIRST_POSITION_MS;
        }
    }

    /// The call's position in its queue (from 1), or `None` when it is not found there.
    pub fn handle_queue_position(&mut self, position: Option<usize>) {
        let Some(position) = position else { return };
        if self.ended || self.queued.is_none() {
            return;
        }
        let language = self.config.language.clone();
        let texts = Language::from_tag(&language).texts();
        let mut text = (texts.queue_position)(position);
        if self.config.call_back {
            text.push(' ');
            text.push_str(texts.call_back_hint);
        }
        let voice = Voice {
            language,
            name: None,
        };
        self.synthesize(text, voice, false);
    }

    /// The app would not arrange the call-back the caller asked for: they hear why and keep
    /// waiting (and may ask again).
    pub fn handle_call_back_refused(&mut self) {
        self.call_back_asked = false;
        if self.ended {
            return;
        }
        let language = self.config.language.clone();
        let text = Language::from_tag(&language)
            .texts()
            .call_back_refused
            .to_owned();
        let voice = Voice {
            language,
            name: None,
        };
        self.synthesize(text, voice, false);
    }

    /// A key the caller pressed (RFC 4733, SIP INFO or in-band).
    pub fn handle_digit(&mut self, now: u64, digit: char) {
        if self.ended {
            return;
        }
        self.now_ms = self.now_ms.max(now);
        if self.recording.is_some() {
            // Any key ends a recording.
            self.finish_recording();
            return;
        }
        if digit == '1'
            && self.config.call_back
            && self.queued.is_some()
            && self.agent == AgentLeg::None
            && self.gather.is_none()
        {
            if !self.call_back_asked {
                self.call_back_asked = true;
                self.actions.push_back(Action::RequestCallBack);
            }
            return;
        }
        if self.gather.as_ref().is_some_and(|g| g.digits) {
            self.barge_in();
            self.gather_digit(digit);
        } else if self.type_ahead.len() < TYPE_AHEAD {
            self.type_ahead.push(digit);
        }
    }

    fn gather_digit(&mut self, d: char) {
        let now = self.now_ms;
        let Some(g) = &mut self.gather else { return };
        if !g.digits {
            return;
        }
        if Some(d) == g.finish_on_key {
            if g.collected.is_empty() {
                g.collected.push(d);
            }
            self.submit_digits();
            return;
        }
        g.collected.push(d);
        g.last_digit_ms = now;
        // A menu takes one key; a question with a length takes that many.
        let want = usize::from(g.num_digits.unwrap_or(1).max(1));
        if g.finish_on_key.is_none() && g.collected.len() >= want
            || g.num_digits.is_some() && g.collected.len() >= want
        {
            self.submit_digits();
        }
    }

    fn submit_digits(&mut self) {
        let Some(g) = self.gather.take() else { return };
        if self.listening == Listening::On {
            self.listening = Listening::Off;
            self.actions.push_back(Action::StopRecognition);
        }
        if !g.collected.is_empty() {
            self.actions.push_back(Action::Digits(g.collected));
        }
    }

    /// Stops prompts that lead up to the open question.
    fn barge_in(&mut self) {
        if self.gather.is_some() {
            self.queue.retain(|i| !i.interruptible());
        }
    }

    /// Opens a recognition stream when the question takes speech and a recogniser is there.
    fn start_listening(&mut self) {
        let Some(g) = &self.gather else { return };
        if !g.speech
            || !self.config.can_recognise
            || self.speech_failed
            || self.listening != Listening::Off
        {
            return;
        }
        self.listening = Listening::On;
        self.actions.push_back(Action::StartRecognition {
            phrases: g.phrases.clone(),
            language: self.config.language.clone(),
        });
    }

    /// The recogniser heard the caller start speaking: a barge-in like a key.
    pub fn handle_speech_started(&mut self) {
        if !self.ended {
            self.barge_in();
        }
    }

    /// The recogniser heard nothing for its no-input time; it listens on, because the flow's own timer decides
    /// when silence is no input.
    pub fn handle_speech_no_input(&mut self) {
        if self.ended || self.listening != Listening::On {
            return;
        }
        self.listening = Listening::Off;
        self.start_listening();
    }

    /// The utterance ended; the driver decodes it and reports [`CallScript::handle_recognised`].
    pub fn handle_speech_ended(&mut self) {
        if self.listening == Listening::On {
            self.listening = Listening::Decoding;
        }
    }

    /// The recogniser failed (its server down or slow, its circuit open): the caller hears,
    /// once, that speech input is not available and to use the keys; the call takes keys only
    /// from then on, and the question waits for them (or the flow's timeout) as before.
    pub fn handle_recognition_failed(&mut self) {
        if self.listening != Listening::Off {
            self.listening = Listening::Off;
        }
        if self.ended || self.speech_failed {
            return;
        }
        self.speech_failed = true;
        let language = self.config.language.clone();
        let text = Language::from_tag(&language)
            .texts()
            .speech_unavailable
            .to_owned();
        let voice = Voice {
            language,
            name: None,
        };
        self.synthesize(text, voice, false);
    }

    /// The recogniser could not start: the question waits for keys (or the flow's timeout).
    pub fn handle_recognition_unavailable(&mut self) {
        if self.listening == Listening::On {
            self.listening = Listening::Off;
        }
    }

    /// What the caller said, with the recogniser's confidence; `None` when nothing was understood, and the
    /// script listens again. A transcript in another language than the call's is taken as a failed
    /// recognition ([`Self::handle_recognition_failed`]): the question waits for keys.
    pub fn handle_recognised(&mut self, heard: Option<(String, f32)>) {
        if self.ended {
            return;
        }
        self.listening = Listening::Off;
        match heard {
            Some((text, confidence))
                if self.gather.is_some()
                    && app::transcript_in_other_language(&text, &self.config.language)
                        .is_some() =>
            {
                // The question stays open for keys, and the caller hears (once) to use them.
                self.handle_recognition_failed();
                self.actions
                    .push_back(Action::SpeechInOtherLanguage { text, confidence });
            }
            Some((text, confidence)) if self.gather.is_some() => {
                self.gather = None;
                self.actions.push_back(Action::Speech { text, confidence });
            }
            _ => self.start_listening(),
        }
    }

    /// A packet of the caller's media arrived (audio or an event): the call is alive.
    pub fn handle_media(&mut self, now: u64) {
        self.now_ms = self.now_ms.max(now);
        self.last_media_ms = self.now_ms;
    }

    /// The caller's audio (8 kHz linear PCM), for a recording in progress.
    pub fn handle_audio(&mut self, now: u64, pcm: &[i16]) {
        self.handle_media(now);
        if let Some(rec) = &mut self.recording {
            let room = rec.max_samples.saturating_sub(rec.samples.len());
            rec.samples.extend_from_slice(&pcm[..pcm.len().min(room)]);
            if rec.samples.len() >= rec.max_samples {
                self.finish_recording();
            }
        }
    }

    /// The caller put the call on hold (or resumed it): no media is expected while it holds.
    pub fn handle_hold(&mut self, on_hold: bool) {
        self.on_hold = on_hold;
    }

    /// The call's language (a tag such as `de` or `en-GB`).
    #[must_use]
    pub fn language(&self) -> &str {
        &self.config.language
    }

    /// Whether the caller holds the call.
    #[must_use]
    pub fn on_hold(&self) -> bool {
        self.on_hold
    }

    /// The outcome of a transfer: accepted ends the call here, failed lets the flow go on.
    pub fn handle_transfer(&mut self, accepted: bool) {
        if self.ended {
            return;
        }
        if accepted {
            self.actions
                .push_back(Action::Hangup(HangupReason::Transferred));
            self.end();
        } else {
            self.transferring = false;
            self.actions.push_back(Action::TransferFailed);
        }
    }

    /// The caller hung up (or our BYE completed): everything ends.
    pub fn handle_remote_hangup(&mut self) {
        if !self.ended {
            self.end();
        }
    }

    /// One 20 ms step at `now`: the next frame, the queue moves on, timeouts fire.
    pub fn handle_tick(&mut self, now: u64) {
        if self.ended {
            return;
        }
        self.now_ms = self.now_ms.max(now);
        let mut frame = [0i16; FRAME_SAMPLES];
        let mut have_audio = false;
        if let Some(front) = self.queue.front_mut() {
            match front {
                Item::Pending { .. } => {}
                Item::Playing { prompt, pos, .. } => {
                    let samples = &prompt.samples;
                    let end = (*pos + FRAME_SAMPLES).min(samples.len());
                    frame[..end - *pos].copy_from_slice(&samples[*pos..end]);
                    *pos = end;
                    have_audio = true;
                    if end >= samples.len() {
                        self.queue.pop_front();
                    }
                }
                Item::Record { max_secs } => {
                    if self.recording.is_none() {
                        let secs = (*max_secs).clamp(1, MAX_RECORDING_SECS);
                        let max_samples = secs as usize * SAMPLE_RATE_HZ as usize;
                        self.recording = Some(Recording {
                            samples: Vec::with_capacity(max_samples.min(8000 * 60)),
                            max_samples,
                            deadline_ms: self.now_ms + u64::from(secs) * 1000,
                        });
                        media::tone::beep(&mut frame);
                        have_audio = true;
                    }
                }
                Item::Transfer { to } => {
                    if !self.transferring {
                        self.transferring = true;
                        let target = if to.starts_with("sip:") || to.starts_with("tel:") {
                            std::mem::take(to)
                        } else {
                            format!("sip:{to}@{}", self.config.host)
                        };
                        self.actions.push_back(Action::Refer { target });
                        self.queue.pop_front();
                    }
                }
                Item::Hangup => {
                    self.hang_up(HangupReason::Flow);
                    return;
                }
            }
        }
        if self
            .recording
            .as_ref()
            .is_some_and(|r| self.now_ms >= r.deadline_ms)
        {
            self.finish_recording();
        }
        match self.agent {
            AgentLeg::Bridged { .. } if !have_audio && self.queue.is_empty() => {
                if let Some(agent) = self.agent_audio.pop_front() {
                    frame = agent;
                    have_audio = true;
                }
            }
            AgentLeg::Ringing { .. } if !have_audio && self.queue.is_empty() => {
                self.hold.fill(&mut frame);
                have_audio = true;
            }
            _ => {}
        }
        if let AgentLeg::Ringing { agent, deadline_ms } = self.agent
            && self.now_ms >= deadline_ms
        {
            self.agent = AgentLeg::None;
            self.actions.push_back(Action::HangUpAgent);
            self.actions.push_back(Action::AgentUnreachable { agent });
        }
        if !have_audio
            && self.queue.is_empty()
            && let Some(queue) = &self.queued
        {
            self.hold.fill(&mut frame);
            have_audio = true;
            if self.now_ms >= self.next_position_ms {
                self.next_position_ms = self.now_ms + POSITION_EVERY_MS;
                let queue = queue.clone();
                self.actions.push_back(Action::LookUpPosition { queue });
            }
        }
        if let Some(g) = &self.gather
            && !g.collected.is_empty()
            && self.now_ms.saturating_sub(g.last_digit_ms) >= INTER_DIGIT_MS
        {
            self.submit_digits();
        }
        if !self.on_hold {
            self.frame = Some(if have_audio {
                Frame::Audio(frame)
            } else {
                Frame::Silence
            });
        }
        let silent_for = self.now_ms.saturating_sub(self.last_media_ms);
        if silent_for > self.config.media_timeout_ms && !self.on_hold {
            self.hang_up(HangupReason::NoMedia);
        } else if self.now_ms > MAX_CALL_MS {
            self.hang_up(HangupReason::TooLong);
        }
    }

    fn finish_recording(&mut self) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        if matches!(self.queue.front(), Some(Item::Record { .. })) {
            self.queue.pop_front();
        }
        self.actions.push_back(Action::SaveRecording {
            samples: rec.samples,
            at_ms: self.now_ms,
        });
    }

    /// Our side hangs up: the recording in progress is kept, then BYE, then the end.
    fn hang_up(&mut self, reason: HangupReason) {
        if self.hanging_up {
            return;
        }
        self.hanging_up = true;
        self.finish_recording();
        self.actions.push_back(Action::Hangup(reason));
        self.end();
    }

    fn end(&mut self) {
        self.finish_recording();
        if self.agent != AgentLeg::None {
            self.agent = AgentLeg::None;
            self.actions.push_back(Action::HangUpAgent);
        }
        self.actions.push_back(Action::End);
        self.ended = true;
        self.queue.clear();
        self.gather = None;
    }
}
