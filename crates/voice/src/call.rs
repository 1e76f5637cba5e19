//! One task per call: answers, opens the flow's conversation, and drives the call's script.
//!
//! What the call does lives in [`script`], a state machine without IO: the prompt queue, digits
//! and type-ahead, barge-in, recordings, hold music and the order of hanging up. This module is
//! the thin loop around it: every 20 ms it ticks the script and sends the frame it returns as one
//! RTP packet (so prompts are paced in real time); it feeds the script what arrives — RFC 4733
//! events and in-band DTMF (`rtp`), digits by SIP INFO from the SIP task, the recogniser's
//! events, the flow's commands and queue status from the conversation's event stream — and
//! carries out the script's actions: synthesis, recognition, reports to the app, recordings
//! written to disk, REFER and BYE.
//!
//! When an agent takes the call on the desk, the driver rings the agent's registered phone
//! from Hotline on a second RTP port ([`agent`]) and, once it answers, relays media both ways:
//! the caller's audio and RFC 4733 keys into the agent's stream as they arrive, the agent's
//! audio to the script, which plays it to the caller in place of the hold music. Hang-up on
//! either side ends both legs.
//!
//! RTP is symmetric: packets go to where the caller's packets come from (which may differ from
//! the SDP behind a NAT).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::{App, CallRoute, ConversationEvent, ConversationStatus};
use domain::{ConversationId, TenantId};
use sip_proto::call::IncomingCall;
use sip_proto::sdp::{Answer, Codec, LocalMedia};
use sip_proto::uri::Uri;
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};

use self::agent::{AgentInput, AgentLeg};
pub use self::call_back::CALL_BACK_RING;
pub(crate) use self::call_back::TrunkDialer;
pub(crate) use self::link::{CallSignal, DriverContext, UaCommand};
use self::rtp::{MediaPeer, RtpIn, RtpOut};
use self::script::{Action, CallScript, FRAME_MS, Frame, HangupReason, PromptId, ScriptConfig};
use self::secure::{SecureMedia, Unprotected};
use crate::asr::{AsrError, Grammar, RecognitionStream, Recognizer, VadEvent};
use crate::tts::{FRAME_SAMPLES, Prompt, SAMPLE_RATE_HZ, Synthesizer};

mod agent;
mod call_back;
mod link;
mod rtp;
pub mod script;
mod secure;
pub mod texts;

/// What call drivers need from the rest of the server.
#[derive(Debug, Clone)]
pub struct CallDeps {
    /// The application (flows, conversations).
    pub app: App,
    /// Text-to-speech.
    pub synthesizer: Arc<dyn Synthesizer>,
    /// Speech recognition, if configured.
    pub recognizer: Option<Arc<dyn Recognizer>>,
}

/// At most this much audio (10 s) is kept while a recogniser starts.
const EARLY_AUDIO_SAMPLES: usize = 80_000;

/// Runs one call from INVITE to BYE.
pub(crate) async fn drive(
    ctx: Arc<DriverContext>,
    incoming: IncomingCall,
    mut signals: mpsc::UnboundedReceiver<CallSignal>,
    ua: mpsc::UnboundedSender<UaCommand>,
) {
    let call = incoming.call;
    ctx.stats.add(&ctx.stats.calls_started, 1);
    let result = run(&ctx, &incoming, &mut signals, &ua).await;
    if let Err(status) = result {
        ctx.stats.add(&ctx.stats.calls_rejected, 1);
        let _ = ua.send(UaCommand::Reject { call, status });
    }
    let _ = ua.send(UaCommand::Done(call));
    ctx.stats.add(&ctx.stats.calls_ended, 1);
}

/// The number a call was made to: the request-URI's user, else the To header's.
fn dialled(incoming: &IncomingCall) -> Option<String> {
    let user = |u: &Uri| match u {
        Uri::Sip(s) => s.user_unescaped(),
        _ => None,
    };
    user(&incoming.request_uri).or_else(|| user(&incoming.to.uri))
}

async fn run(
    ctx: &Arc<DriverContext>,
    incoming: &IncomingCall,
    signals: &mut mpsc::UnboundedReceiver<CallSignal>,
    ua: &mpsc::UnboundedSender<UaCommand>,
) -> Result<(), u16> {
    let call = incoming.call;
    let app = &ctx.deps.app;
    let number_called = dialled(incoming).ok_or(404u16)?;
    let route: CallRoute = match app.call_route(&number_called).await {
        Ok(r) => r,
        Err(app::AppError::NotFound) => return Err(404),
        Err(e) => {
            tracing::warn!(call = call.0, error = %e, "call cannot be routed");
            return Err(480);
        }
    };
    let _ = ua.send(UaCommand::Ring(call));
    // A short ring before answering, as callers expect (and a caller may still cancel).
    if !ctx.answer_delay.is_zero() {
        let delay = tokio::time::sleep(ctx.answer_delay);
        tokio::pin!(delay);
        loop {
            tokio::select! {
                _ = &mut delay => break,
                s = signals.recv() => match s {
                    Some(CallSignal::Ended) | None => return Ok(()),
                    Some(_) => {}
                },
            }
        }
    }
    let socket = ctx.bind_rtp().await.map_err(|e| {
        tracing::warn!(call = call.0, error = %e, "no RTP port for a call");
        503u16
    })?;
    let local_port = socket.local_addr().map_err(|_| 503u16)?.port();
    // The conversation exists before the call is answered: if it cannot start, the caller
    // gets 503 rather than an answered call that drops.
    let caller = caller_address(incoming).map(domain::Redacted::new);
    let session = match app.call_open(&route, caller.as_ref()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(call = call.0, error = %e, "conversation could not start");
            return Err(503);
        }
    };
    let (reply, answered) = oneshot::channel();
    let media = LocalMedia {
        address: ctx.host.clone(),
        port: local_port,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        telephone_event: true,
        session_id: u64::from(local_port) << 16 | (call.0 & 0xffff),
        session_version: 1,
        // A caller who offers SRTP gets it, with a key of this call's own.
        srtp_key: secure::new_key(),
    };
    let _ = ua.send(UaCommand::Answer { call, media, reply });
    let answer = match answered.await {
        Ok(Ok(a)) => a,
        // No codec in common (488 was sent), or the caller cancelled meanwhile (487): the
        // conversation that was opened for the call ends.
        Ok(Err(_)) | Err(_) => {
            if let Err(e) = app.call_ended(session.tenant, session.conversation).await {
                tracing::warn!(call = call.0, error = %e, "ending an unanswered call's conversation failed");
            }
            return Ok(());
        }
    };
    tracing::info!(call = call.0, conversation = %session.conversation, "call answered");
    ctx.stats.add(&ctx.stats.calls_answered, 1);
    // The caller id, only when a call-back could go to it: held in memory for this call.
    let call_back = ctx
        .deps
        .app
        .call_backs_offered()
        .then(|| caller_id(incoming))
        .flatten()
        .map(|number| CallBackFrom {
            number: domain::Redacted::new(number),
            via: number_called.clone(),
        });
    let mut driver = Driver::new(
        ctx.clone(),
        socket,
        answer,
        &session,
        ua.clone(),
        call,
        call_back,
    );
    driver.media_loop(signals, session.events).await;
    Ok(())
}

/// The caller's number from the From header's user part, when it is one a call-back can go
/// to (not withheld, not a name).
fn caller_id(incoming: &IncomingCall) -> Option<String> {
    match &incoming.from.uri {
        Uri::Sip(s) => s.user_unescaped().and_then(|u| app::call_back_number(&u)),
        _ => None,
    }
}

/// Who is calling, as the From header's user part says (a number or a SIP user); none when
/// withheld (`anonymous`) or absent. What is kept of it is the number's caller-ID mode's call.
fn caller_address(incoming: &IncomingCall) -> Option<String> {
    match &incoming.from.uri {
        Uri::Sip(s) => s
            .user_unescaped()
            .filter(|u| !u.is_empty() && !u.eq_ignore_ascii_case("anonymous")),
        _ => None,
    }
}

/// Where a call-back of this call goes, and the number it is shown from.
pub(crate) struct CallBackFrom {
    number: domain::Redacted<String>,
    via: String,
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Without OS randomness the values are merely predictable, which RTP tolerates.
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

/// The recogniser's state, as the driver holds it.
enum Listener {
    Off,
    /// Starting in the background; the caller's audio meanwhile is kept so their first words are not lost.
    Starting {
        rx: oneshot::Receiver<Result<Box<dyn RecognitionStream>, AsrError>>,
        early: Vec<i16>,
    },
    Open(Box<dyn RecognitionStream>),
}

/// What wakes the driver.
enum Input {
    /// 20 ms have passed.
    Tick,
    /// A datagram on the RTP port.
    Datagram(Vec<u8>, SocketAddr),
    /// From the SIP task; `None` when it is gone.
    Signal(Option<CallSignal>),
    /// From the call's conversation.
    Conversation(ConversationEvent),
    /// Background work finished.
    Done(DriverResult),
    /// From the leg to an agent's phone.
    Agent(AgentInput),
}

/// Results of work the driver started in the background.
enum DriverResult {
    Prompt(PromptId, Option<Prompt>),
    Speech(Option<(String, f32)>),
    /// The recogniser failed (not: heard nothing).
    SpeechFailed,
    Position(Option<usize>),
    CallBackRefused,
}

/// The next input from the agent's leg; never, while there is none.
async fn agent_input(leg: &mut Option<AgentLeg>, buf: &mut [u8]) -> AgentInput {
    match leg {
        Some(leg) => leg.next(buf).await,
        None => std::future::pending().await,
    }
}

/// The thin loop around a [`CallScript`]: sockets, timers, the app and background work in (as
/// [`Input`]s), the script's frames and actions out.
struct Driver {
    ctx: Arc<DriverContext>,
    socket: UdpSocket,
    ua: mpsc::UnboundedSender<UaCommand>,
    call: sip_proto::call::CallId,
    tenant: TenantId,
    conversation: ConversationId,
    script: CallScript,
    out: RtpOut,
    incoming: RtpIn,
    /// Where the caller's media comes from and goes to.
    peer: MediaPeer,
    listener: Listener,
    /// Milliseconds since the call was answered: 20 per tick, the script's clock.
    clock_ms: u64,
    results: mpsc::UnboundedSender<DriverResult>,
    results_rx: mpsc::UnboundedReceiver<DriverResult>,
    /// The leg to an agent's phone, while it rings or talks.
    agent: Option<AgentLeg>,
    /// Where a call-back would go, when the caller may ask for one.
    call_back: Option<CallBackFrom>,
    /// SRTP on the caller's leg, when the caller offered it.
    srtp: Option<Box<SecureMedia>>,
}

impl Driver {
    fn new(
        ctx: Arc<DriverContext>,
        socket: UdpSocket,
        answer: Option<Answer>,
        session: &app::CallSession,
        ua: mpsc::UnboundedSender<UaCommand>,
        call: sip_proto::call::CallId,
        call_back: Option<CallBackFrom>,
    ) -> Self {
        let (results, results_rx) = mpsc::unbounded_channel();
        let script = CallScript::new(ScriptConfig {
            language: session.language.clone(),
            host: ctx.host.clone(),
            can_recognise: ctx.deps.recognizer.is_some(),
            media_timeout_ms: u64::try_from(ctx.media_timeout.as_millis()).unwrap_or(u64::MAX),
            agent_ring_ms: u64::try_from(ctx.agent_ring.as_millis()).unwrap_or(u64::MAX),
            call_back: call_back.is_some(),
        });
        let mut d = Driver {
            ctx,
            socket,
            ua,
            call,
            tenant: session.tenant,
            conversation: session.conversation,
            script,
            // RFC 3550 §5.1: random initial sequence number, timestamp and SSRC.
            out: RtpOut::new(random_u32() as u16, random_u32(), random_u32()),
            incoming: RtpIn::new(),
            peer: MediaPeer::default(),
            listener: Listener::Off,
            clock_ms: 0,
            results,
            results_rx,
            agent: None,
            call_back,
            srtp: None,
        };
        if let Some(a) = answer {
            d.apply_answer(&a);
        }
        d
    }

    fn apply_answer(&mut self, a: &Answer) {
        let secured = match (&a.srtp, &mut self.srtp) {
            (None, _) => {
                self.srtp = None;
                Ok(())
            }
            (Some(agreed), Some(current)) => current.update(agreed),
            (Some(agreed), None) => SecureMedia::new(agreed).map(|m| {
                self.ctx.stats.add(&self.ctx.stats.srtp_calls, 1);
                self.srtp = Some(Box::new(m));
            }),
        };
        if let Err(e) = secured {
            // Media that cannot be secured as agreed is not sent in the clear: the call ends.
            tracing::warn!(call = self.call.0, error = %e, "SRTP could not be set up; hanging up");
            self.srtp = None;
            self.peer = MediaPeer::default();
            self.script.handle_remote_hangup();
            let _ = self.ua.send(UaCommand::Hangup(self.call));
            return;
        }
        self.out.set_codec(a.codec, a.payload_type);
        self.incoming.set_event_payload_type(a.telephone_event);
        self.script.handle_hold(a.on_hold());
        let signalled = a.remote.as_ref().and_then(|(host, port)| {
            let ip = host.parse::<std::net::IpAddr>().ok()?;
            Some(SocketAddr::new(ip, *port))
        });
        // An answer without a usable address (a host name) keeps what was learnt.
        if signalled.is_some() {
            self.peer.signal(signalled);
        }
    }

    async fn media_loop(
        &mut self,
        signals: &mut mpsc::UnboundedReceiver<CallSignal>,
        mut events: broadcast::Receiver<ConversationEvent>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS));
        // A late tick is made up at once (Burst): the stream keeps real time on a busy machine,
        // and the caller's jitter buffer absorbs the burst; delaying instead would stretch every
        // prompt by the time lost and never catch up.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut buf = vec![0u8; 2048];
        let mut agent_buf = vec![0u8; 2048];
        loop {
            let input = tokio::select! {
                _ = tick.tick() => Input::Tick,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, from)) => Input::Datagram(buf[..n].to_vec(), from),
                    Err(_) => continue,
                },
                s = signals.recv() => Input::Signal(s),
                e = events.recv() => match e {
                    Ok(event) => Input::Conversation(event),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(call = self.call.0, missed = n, "call fell behind its conversation");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        events = self.ctx.deps.app.chat_subscribe(self.conversation);
                        continue;
                    }
                },
                Some(r) = self.results_rx.recv() => Input::Done(r),
                a = agent_input(&mut self.agent, &mut agent_buf) => Input::Agent(a),
            };
            self.handle(input).await;
            while let Some(action) = self.script.poll_action() {
                if self.act(action).await {
                    return;
                }
            }
        }
    }

    /// Feeds one input to the script (a tick also sends its frame).
    async fn handle(&mut self, input: Input) {
        let now = self.clock_ms;
        match input {
            Input::Tick => {
                self.clock_ms += FRAME_MS;
                self.poll_listener();
                self.script.handle_tick(self.clock_ms);
                match self.script.poll_frame() {
                    Some(frame) => self.send(&frame).await,
                    None => self.out.skip(),
                }
            }
            Input::Datagram(bytes, from) => self.on_rtp(&bytes, from).await,
            Input::Signal(Some(CallSignal::Ended) | None) => self.script.handle_remote_hangup(),
            Input::Signal(Some(CallSignal::Established)) => {}
            Input::Signal(Some(CallSignal::Media(a))) => self.apply_answer(&a),
            Input::Signal(Some(CallSignal::Digit(d))) => self.digit(d),
            Input::Signal(Some(CallSignal::TransferAccepted)) => self.script.handle_transfer(true),
            Input::Signal(Some(CallSignal::TransferFailed)) => self.script.handle_transfer(false),
            // Only the agent's leg rings, answers or fails.
            Input::Signal(Some(
                CallSignal::Ringing | CallSignal::Answered(_) | CallSignal::Failed(_),
            )) => {}
            Input::Conversation(ConversationEvent::Call(commands)) => {
                self.script.handle_commands(now, commands);
            }
            Input::Conversation(ConversationEvent::Status {
                state: ConversationStatus::Queued,
                queue,
            }) => self.script.handle_queue_status(now, queue),
            Input::Conversation(ConversationEvent::Status { .. }) => {
                self.script.handle_queue_status(now, None);
            }
            Input::Conversation(_) => {}
            Input::Done(DriverResult::Prompt(id, prompt)) => self.script.handle_prompt(id, prompt),
            Input::Done(DriverResult::Speech(heard)) => self.script.handle_recognised(heard),
            Input::Done(DriverResult::SpeechFailed) => {
                self.ctx.stats.add(&self.ctx.stats.asr_failures, 1);
                self.script.handle_recognition_failed();
            }
            Input::Done(DriverResult::Position(position)) => {
                self.script.handle_queue_position(position);
            }
            Input::Done(DriverResult::CallBackRefused) => self.script.handle_call_back_refused(),
            Input::Agent(input) => self.on_agent(input),
        }
    }

    /// What happened on the agent's leg.
    fn on_agent(&mut self, input: AgentInput) {
        let Some(leg) = self.agent.as_mut() else {
            return;
        };
        match input {
            AgentInput::Datagram(bytes, from) => {
                let audio = leg.receive(&bytes, from);
                if !audio.is_empty() && self.script.is_bridged() {
                    self.script.handle_agent_audio(&audio);
                    self.ctx.stats.count(&self.ctx.stats.relayed_to_caller, 1);
                }
            }
            AgentInput::Signal(Some(CallSignal::Answered(media))) => {
                leg.answered(media.as_deref());
                self.ctx.stats.add(&self.ctx.stats.agent_calls_answered, 1);
                tracing::info!(call = self.call.0, agent = %leg.agent, "the agent's phone answered; bridged");
                self.script.handle_agent_answered();
            }
            // A re-INVITE of the agent's phone (hold, a new address).
            AgentInput::Signal(Some(CallSignal::Media(answer))) => leg.answered(Some(&answer)),
            AgentInput::Signal(Some(CallSignal::Failed(status))) => {
                tracing::info!(
                    call = self.call.0,
                    status,
                    "the agent's phone did not take the call"
                );
                self.drop_agent();
                self.script.handle_agent_failed();
            }
            AgentInput::Signal(Some(CallSignal::Ended) | None) => {
                self.drop_agent();
                self.script.handle_agent_hangup();
            }
            AgentInput::Signal(Some(
                CallSignal::Ringing
                | CallSignal::Established
                | CallSignal::Digit(_)
                | CallSignal::TransferAccepted
                | CallSignal::TransferFailed,
            )) => {}
        }
    }

    /// Forgets the agent's leg (the SIP task ends it when told to hang up).
    fn drop_agent(&mut self) -> Option<sip_proto::call::CallId> {
        let leg = self.agent.take()?;
        let _ = self.ua.send(UaCommand::Done(leg.call));
        Some(leg.call)
    }

    /// Rings the agent's registered phone with an offer of our own port (unless the agent's
    /// SIP account is gone: a registration may outlive it until it runs out).
    async fn call_agent(&mut self, agent: domain::UserId) {
        if let Some(call) = self.drop_agent() {
            let _ = self.ua.send(UaCommand::Hangup(call));
        }
        let app = &self.ctx.deps.app;
        if !app
            .agent_has_phone_account(self.tenant, agent)
            .await
            .unwrap_or(false)
        {
            tracing::info!(call = self.call.0, agent = %agent, "the agent has no SIP account");
            return self.script.handle_agent_failed();
        }
        let socket = match self.ctx.bind_rtp().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(call = self.call.0, error = %e, "no RTP port for an agent's leg");
                return self.script.handle_agent_failed();
            }
        };
        let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
        let media = LocalMedia {
            address: self.ctx.host.clone(),
            port,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event: true,
            session_id: u64::from(random_u32()),
            session_version: 1,
            srtp_key: None,
        };
        let (signals_tx, signals) = mpsc::unbounded_channel();
        let (reply, placed) = oneshot::channel();
        let _ = self.ua.send(UaCommand::CallAgent {
            tenant: self.tenant,
            agent,
            media,
            signals: signals_tx,
            reply,
        });
        match placed.await {
            Ok(Some(call)) => {
                self.ctx.stats.add(&self.ctx.stats.agent_calls, 1);
                let out = RtpOut::new(random_u32() as u16, random_u32(), random_u32());
                self.agent = Some(AgentLeg::new(call, agent, socket, signals, out));
            }
            _ => {
                tracing::info!(call = self.call.0, agent = %agent, "the agent has no phone registered");
                self.script.handle_agent_failed();
            }
        }
    }

    /// Carries out one of the script's actions. True when the call is over.
    async fn act(&mut self, action: Action) -> bool {
        match action {
            Action::Synthesize { id, text, voice } => {
                let synth = self.ctx.deps.synthesizer.clone();
                let (results, call) = (self.results.clone(), self.call.0);
                tokio::spawn(async move {
                    let prompt = match synth.synthesize(&text, &voice).await {
                        Ok(p) => Some(p),
                        Err(e) => {
                            tracing::warn!(call, error = %e, "prompt could not be synthesised");
                            None
                        }
                    };
                    let _ = results.send(DriverResult::Prompt(id, prompt));
                });
            }
            Action::LoadAudio {
                id,
                name,
                text,
                voice,
            } => {
                let (app, synth) = (self.ctx.deps.app.clone(), self.ctx.deps.synthesizer.clone());
                let (results, call, tenant) = (self.results.clone(), self.call.0, self.tenant);
                tokio::spawn(async move {
                    let prompt = match app.prompt_samples(tenant, &name).await {
                        Ok(Some(samples)) => Some(Prompt { samples }),
                        found => {
                            // Publishing refuses a flow whose prompt is missing, and a prompt in use
                            // cannot be deleted: this is a store failure. The text is spoken instead.
                            let error = found.err().map(|e| e.to_string());
                            tracing::warn!(call, prompt = %name, error, "recorded prompt unavailable; speaking its text");
                            if text.trim().is_empty() {
                                None
                            } else {
                                synth.synthesize(&text, &voice).await.ok()
                            }
                        }
                    };
                    let _ = results.send(DriverResult::Prompt(id, prompt));
                });
            }
            Action::StartRecognition { phrases, language } => {
                if let Some(recognizer) = self.ctx.deps.recognizer.clone() {
                    let grammar = Grammar::new(phrases.iter().cloned());
                    let (tx, rx) = oneshot::channel();
                    tokio::spawn(async move {
                        let _ = tx.send(recognizer.start(&grammar, &language).await);
                    });
                    self.listener = Listener::Starting {
                        rx,
                        early: Vec::new(),
                    };
                }
            }
            Action::StopRecognition => self.listener = Listener::Off,
            Action::Digits(digits) => {
                self.spawn_app(
                    move |app, t, c| async move { app.call_digits(t, c, &digits).await },
                );
            }
            Action::Speech { text, confidence } => {
                self.spawn_app(move |app, t, c| async move {
                    app.call_speech(t, c, &text, confidence).await
                });
            }
            Action::SpeechInOtherLanguage { text, confidence } => {
                let stats = &self.ctx.stats;
                stats.add(&stats.asr_other_language, 1);
                stats.add(&stats.asr_failures, 1);
                tracing::warn!(
                    language = %self.script.language(),
                    "the speech recogniser answered in another language than the call's; is the right model configured?"
                );
                self.spawn_app(move |app, t, c| async move {
                    app.call_speech_in_other_language(t, c, &text, confidence)
                        .await
                        .map(|_| ())
                });
            }
            Action::SaveRecording { samples, at_ms } => self.save_recording(samples, at_ms),
            Action::Refer { target } => {
                // Toll fraud: a number the tenant's outbound policy refuses is never referred
                // to; the flow takes its failure path as for a failed transfer.
                match self
                    .ctx
                    .deps
                    .app
                    .transfer_allowed(self.tenant, &target)
                    .await
                {
                    Ok(()) => {
                        let _ = self.ua.send(UaCommand::Refer {
                            call: self.call,
                            target,
                        });
                    }
                    Err(_) => self.script.handle_transfer(false),
                }
            }
            Action::TransferFailed => {
                self.spawn_app(|app, t, c| async move { app.call_transfer_failed(t, c).await });
            }
            Action::LookUpPosition { queue } => self.look_up_position(queue),
            Action::CallAgent { agent } => self.call_agent(agent).await,
            Action::HangUpAgent => {
                if let Some(call) = self.drop_agent() {
                    let _ = self.ua.send(UaCommand::Hangup(call));
                }
            }
            Action::AgentUnreachable { agent } => {
                self.ctx.stats.add(&self.ctx.stats.agent_calls_failed, 1);
                self.spawn_app(
                    move |app, t, c| async move { app.agent_leg_failed(t, c, agent).await },
                );
            }
            Action::RequestCallBack => self.request_call_back(),
            Action::Hangup(reason) => {
                match reason {
                    HangupReason::NoMedia => {
                        tracing::info!(call = self.call.0, "no media from the caller; hanging up");
                    }
                    HangupReason::AgentHungUp => {
                        tracing::info!(call = self.call.0, "the agent hung up; hanging up");
                    }
                    _ => {}
                }
                let _ = self.ua.send(UaCommand::Hangup(self.call));
            }
            Action::End => {
                if let Some(call) = self.drop_agent() {
                    let _ = self.ua.send(UaCommand::Hangup(call));
                }
                // The conversation ends (if the flow has not ended it already).
                if let Err(e) = self
                    .ctx
                    .deps
                    .app
                    .call_ended(self.tenant, self.conversation)
                    .await
                {
                    tracing::warn!(call = self.call.0, error = %e, "ending the conversation failed");
                }
                tracing::info!(call = self.call.0, conversation = %self.conversation, "call ended");
                return true;
            }
        }
        false
    }

    fn spawn_app<F, Fut>(&self, f: F)
    where
        F: FnOnce(App, TenantId, ConversationId) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = app::AppResult<()>> + Send,
    {
        let app = self.ctx.deps.app.clone();
        let (t, c, call) = (self.tenant, self.conversation, self.call.0);
        tokio::spawn(async move {
            if let Err(e) = f(app, t, c).await {
                tracing::warn!(call, conversation = %c, error = %e, "call step failed");
            }
        });
    }

    /// Asks the app to call the caller back; on refusal the script says so.
    fn request_call_back(&self) {
        let Some(from) = &self.call_back else {
            return;
        };
        let (number, via) = (from.number.clone(), from.via.clone());
        let app = self.ctx.deps.app.clone();
        let (tenant, conversation, call) = (self.tenant, self.conversation, self.call.0);
        let results = self.results.clone();
        tokio::spawn(async move {
            if let Err(e) = app
                .call_back_requested(tenant, conversation, &number, &via)
                .await
            {
                tracing::info!(call, %conversation, error = %e, "call-back refused");
                let _ = results.send(DriverResult::CallBackRefused);
            }
        });
    }

    fn look_up_position(&self, queue: String) {
        let app = self.ctx.deps.app.clone();
        let (tenant, conversation) = (self.tenant, self.conversation);
        let results = self.results.clone();
        tokio::spawn(async move {
            let position = app
                .queue_entries(tenant, &queue)
                .await
                .ok()
                .and_then(|entries| {
                    entries
                        .iter()
                        .position(|e| e.conversation_id == conversation)
                })
                .map(|i| i + 1);
            let _ = results.send(DriverResult::Position(position));
        });
    }

    /// Writes a recording as a WAV file, sealed under a data key of its own, under the
    /// tenant's folder and tells the flow where it is (an empty reference for a recording
    /// without audio, or one that could not be stored). Nothing is written in clear.
    fn save_recording(&self, samples: Vec<i16>, at_ms: u64) {
        let dir = self.ctx.recordings_dir.join(self.tenant.to_string());
        let id = format!("{}-{at_ms}", self.conversation);
        let reference = app::recording_reference(self.tenant, &id);
        let name = format!("{id}.{}", app::RECORDING_EXTENSION);
        self.spawn_app(move |app, t, c| async move {
            if samples.is_empty() {
                return app.call_recording_done(t, c, "").await;
            }
            let path = dir.join(&name);
            let wav = media::wav::encode_pcm16(&samples, SAMPLE_RATE_HZ);
            let written = match app.seal_recording(t, &id, &wav).await {
                Ok(sealed) => async {
                    tokio::fs::create_dir_all(&dir).await?;
                    tokio::fs::write(&path, sealed).await
                }
                .await
                .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let reference = match written {
                Ok(()) => reference,
                Err(e) => {
                    tracing::warn!(conversation = %c, error = %e, "recording could not be stored");
                    String::new()
                }
            };
            app.call_recording_done(t, c, &reference).await
        });
    }

    async fn send(&mut self, frame: &Frame) {
        let Some(remote) = self.peer.target() else {
            self.out.skip();
            return;
        };
        if let Some(packet) = self.out.packet(frame) {
            let packet = match &mut self.srtp {
                Some(srtp) => match srtp.protect(&packet) {
                    Some(p) => p,
                    None => return,
                },
                None => packet,
            };
            if self.socket.send_to(&packet, remote).await.is_ok() {
                self.ctx.stats.count(&self.ctx.stats.rtp_sent, 1);
            }
        }
    }

    fn digit(&mut self, d: char) {
        self.ctx.stats.add(&self.ctx.stats.digits, 1);
        self.script.handle_digit(self.clock_ms, d);
    }

    async fn on_rtp(&mut self, bytes: &[u8], from: SocketAddr) {
        let plain;
        let bytes = match &mut self.srtp {
            None => bytes,
            Some(srtp) => match srtp.unprotect(bytes) {
                Unprotected::Rtp(p) => {
                    plain = p;
                    &plain[..]
                }
                Unprotected::Rtcp => return,
                Unprotected::Dropped => {
                    self.ctx.stats.count(&self.ctx.stats.srtp_dropped, 1);
                    return;
                }
            },
        };
        // Symmetric RTP, but only with the caller's own stream (`MediaPeer`): a stray one is
        // neither heard (no keys or audio injected) nor answered.
        let Some(seq) = MediaPeer::sequence(bytes) else {
            return;
        };
        if !self.peer.accept(from, seq) {
            self.ctx.stats.count(&self.ctx.stats.rtp_strays, 1);
            return;
        }
        let Some(received) = self.incoming.receive(bytes) else {
            return;
        };
        if self.script.is_bridged()
            && let Some(leg) = self.agent.as_mut()
        {
            leg.relay(&received, &self.ctx.stats).await;
        }
        self.script.handle_media(self.clock_ms);
        for d in received.digits {
            self.digit(d);
        }
        if received.audio.is_empty() {
            return;
        }
        self.script.handle_audio(self.clock_ms, &received.audio);
        match &mut self.listener {
            Listener::Off => {}
            Listener::Starting { early, .. } => {
                if early.len() + received.audio.len() <= EARLY_AUDIO_SAMPLES {
                    early.extend_from_slice(&received.audio);
                }
            }
            Listener::Open(_) => self.feed_speech(&received.audio),
        }
    }

    /// Takes the recogniser once it has started, and gives it the audio that arrived meanwhile.
    fn poll_listener(&mut self) {
        let Listener::Starting { rx, early } = &mut self.listener else {
            return;
        };
        let stream = match rx.try_recv() {
            Ok(stream) => stream,
            Err(oneshot::error::TryRecvError::Empty) => return,
            Err(oneshot::error::TryRecvError::Closed) => Err(AsrError::EngineFailed {
                status: "stopped".to_owned(),
                detail: "the recogniser's start was dropped".to_owned(),
            }),
        };
        let early = std::mem::take(early);
        match stream {
            Ok(stream) => {
                self.listener = Listener::Open(stream);
                self.feed_speech(&early);
            }
            // No engine for this language or grammar: the question takes keys, as always.
            Err(AsrError::UnsupportedLanguage { .. } | AsrError::EmptyGrammar { .. }) => {
                self.listener = Listener::Off;
                self.script.handle_recognition_unavailable();
            }
            // The engine is there but failing (down, slow, its circuit open): counted, and the
            // caller is told to use the keys.
            Err(e) => {
                tracing::warn!(error = %e, "speech recognition could not start");
                self.ctx.stats.add(&self.ctx.stats.asr_failures, 1);
                self.listener = Listener::Off;
                self.script.handle_recognition_failed();
            }
        }
    }

    /// Pushes audio into the open recognition stream and tells the script what it heard.
    fn feed_speech(&mut self, pcm: &[i16]) {
        let Listener::Open(mut stream) = std::mem::replace(&mut self.listener, Listener::Off)
        else {
            return;
        };
        let mut last = VadEvent::Silence;
        for chunk in pcm.chunks(FRAME_SAMPLES) {
            last = stream.push(chunk);
            if last == VadEvent::SpeechStarted {
                self.script.handle_speech_started();
            }
            if last.is_final() {
                break;
            }
        }
        match last {
            VadEvent::NoInput => self.script.handle_speech_no_input(),
            e if e.is_final() => {
                self.script.handle_speech_ended();
                self.decode(stream);
            }
            _ => self.listener = Listener::Open(stream),
        }
    }

    fn decode(&self, stream: Box<dyn RecognitionStream>) {
        let results = self.results.clone();
        tokio::spawn(async move {
            let r = match stream.finish().await {
                Ok(Some(r)) => DriverResult::Speech(Some((r.text, r.confidence))),
                Ok(None) => DriverResult::Speech(None),
                Err(e) => {
                    tracing::warn!(error = %e, "speech recognition failed");
                    DriverResult::SpeechFailed
                }
            };
            let _ = results.send(r);
        });
    }
}
