//! One task per call: answers, opens the flow's conversation, and runs the media loop.
//!
//! Every 20 ms the driver sends one RTP packet — the next frame of the prompt being played,
//! hold music while the call waits in a queue, or silence — so prompts are paced in real time.
//! What arrives is decoded: RFC 4733 events, and G.711 audio for the in-band DTMF detector,
//! the speech recogniser and recordings. Digits by SIP INFO come from the SIP task. A digit or
//! the start of speech stops a prompt that precedes a question (barge-in).
//!
//! RTP is symmetric: packets go to where the caller's packets come from (which may differ from
//! the SDP behind a NAT). The flow's commands arrive through the conversation's event stream in
//! the order the flow produced them, and are carried out in that order.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::{App, CallCommand, CallRoute, ChatEvent};
use domain::{ConversationId, TenantId};
use flow::InputKind;
use media::dtmf::DtmfDetector;
use media::g711::Law;
use media::rtp::{RtpHeader, RtpPacket};
use media::telephone_event::{EventNotice, TelephoneEvent, TelephoneEventReceiver};
use media::vad::VadEvent;
use sip_proto::call::IncomingCall;
use sip_proto::sdp::{Answer, Codec, LocalMedia};
use sip_proto::uri::Uri;
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::asr::{Grammar, RecognitionStream, Recognizer};
use crate::sip::{DriverContext, UaCommand};
use crate::tts::{FRAME_SAMPLES, Prompt, Synthesizer, Voice};

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

/// What the SIP task tells a call's driver.
#[derive(Debug)]
pub(crate) enum CallSignal {
    /// The ACK arrived.
    Established,
    /// The caller hung up, cancelled, or our BYE completed.
    Ended,
    /// A re-INVITE changed the media (hold, resume, new address).
    Media(Answer),
    /// A digit by SIP INFO.
    Digit(char),
    TransferAccepted,
    TransferFailed,
}

/// Seconds between queue position announcements.
const POSITION_EVERY_MS: u64 = 30_000;
/// After the last digit, how long to wait for another before handing the digits to the flow.
const INTER_DIGIT_MS: u64 = 3_000;
/// Digits typed before a question are kept for it, up to this many.
const TYPE_AHEAD: usize = 16;
/// At most this much audio (10 s) is kept while a recogniser starts.
const EARLY_AUDIO_SAMPLES: usize = 80_000;
/// The longest call (a runaway guard).
const MAX_CALL_MS: u64 = 4 * 60 * 60 * 1000;

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
    let number = dialled(incoming).ok_or(404u16)?;
    let route: CallRoute = match app.call_route(&number).await {
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
    let session = match app.call_open(&route).await {
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
    let mut driver = Driver::new(ctx.clone(), socket, answer, &session, ua.clone(), call);
    driver.media_loop(signals, session.events).await;
    Ok(())
}

/// One queued thing to do, in the flow's order.
enum Item {
    /// A prompt being synthesised.
    Pending {
        rx: oneshot::Receiver<Option<Prompt>>,
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

struct Gather {
    digits: bool,
    speech: bool,
    num_digits: Option<u8>,
    finish_on_key: Option<char>,
    collected: String,
    last_digit_ms: u64,
    phrases: Arc<Vec<String>>,
}

struct Recording {
    samples: Vec<i16>,
    max_samples: usize,
    /// Ends here even if the caller sends no media.
    deadline_ms: u64,
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Without OS randomness the values are merely predictable, which RTP tolerates.
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

struct Driver {
    ctx: Arc<DriverContext>,
    socket: UdpSocket,
    ua: mpsc::UnboundedSender<UaCommand>,
    call: sip_proto::call::CallId,
    tenant: TenantId,
    conversation: ConversationId,
    language: String,
    law: Law,
    payload_type: u8,
    event_pt: Option<u8>,
    remote: Option<SocketAddr>,
    on_hold: bool,
    // sending
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    first_packet: bool,
    // receiving
    events: TelephoneEventReceiver,
    saw_rfc4733: bool,
    detector: DtmfDetector,
    pcm: Vec<i16>,
    last_rtp_ms: u64,
    // the flow's work
    queue: VecDeque<Item>,
    gather: Option<Gather>,
    type_ahead: String,
    speech: Option<Box<dyn RecognitionStream>>,
    speech_starting: Option<oneshot::Receiver<Option<Box<dyn RecognitionStream>>>>,
    /// Audio that arrived while the recogniser was starting.
    early_audio: Vec<i16>,
    decoding: bool,
    recording: Option<Recording>,
    queued: Option<String>,
    hold_pos: usize,
    next_position_ms: u64,
    transferring: bool,
    hanging_up: bool,
    clock_ms: u64,
    results: mpsc::UnboundedSender<DriverResult>,
    results_rx: mpsc::UnboundedReceiver<DriverResult>,
}

/// Results of work the driver started in the background.
enum DriverResult {
    Speech(Option<(String, f32)>),
    Position(Option<usize>),
}

impl Driver {
    fn new(
        ctx: Arc<DriverContext>,
        socket: UdpSocket,
        answer: Option<Answer>,
        session: &app::CallSession,
        ua: mpsc::UnboundedSender<UaCommand>,
        call: sip_proto::call::CallId,
    ) -> Self {
        let (results, results_rx) = mpsc::unbounded_channel();
        let mut d = Driver {
            ctx,
            socket,
            ua,
            call,
            tenant: session.tenant,
            conversation: session.conversation,
            language: session.language.clone(),
            law: Law::Ulaw,
            payload_type: 0,
            event_pt: None,
            remote: None,
            on_hold: false,
            // RFC 3550 §5.1: random initial sequence number, timestamp and SSRC.
            seq: random_u32() as u16,
            timestamp: random_u32(),
            ssrc: random_u32(),
            first_packet: true,
            events: TelephoneEventReceiver::new(),
            saw_rfc4733: false,
            detector: DtmfDetector::new(),
            pcm: Vec::with_capacity(FRAME_SAMPLES),
            last_rtp_ms: 0,
            queue: VecDeque::new(),
            gather: None,
            type_ahead: String::new(),
            speech: None,
            speech_starting: None,
            early_audio: Vec::new(),
            decoding: false,
            recording: None,
            queued: None,
            hold_pos: 0,
            next_position_ms: 0,
            transferring: false,
            hanging_up: false,
            clock_ms: 0,
            results,
            results_rx,
        };
        if let Some(a) = answer {
            d.apply_answer(&a);
        }
        d
    }

    fn apply_answer(&mut self, a: &Answer) {
        self.law = match a.codec {
            Codec::Pcma => Law::Alaw,
            Codec::Pcmu => Law::Ulaw,
        };
        self.payload_type = a.payload_type;
        self.event_pt = a.telephone_event;
        self.on_hold = a.on_hold();
        if let Some((host, port)) = &a.remote
            && let Ok(ip) = host.parse::<std::net::IpAddr>()
        {
            self.remote = Some(SocketAddr::new(ip, *port));
        }
    }

    async fn media_loop(
        &mut self,
        signals: &mut mpsc::UnboundedReceiver<CallSignal>,
        mut events: broadcast::Receiver<ChatEvent>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        // A late tick is made up at once (Burst): the stream keeps real time on a busy machine,
        // and the caller's jitter buffer absorbs the burst; delaying instead would stretch every
        // prompt by the time lost and never catch up.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut buf = vec![0u8; 2048];
        let media_timeout = u64::try_from(self.ctx.media_timeout.as_millis()).unwrap_or(u64::MAX);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    self.clock_ms += 20;
                    if self.tick().await {
                        break;
                    }
                    if self.clock_ms.saturating_sub(self.last_rtp_ms) > media_timeout && !self.on_hold {
                        tracing::info!(call = self.call.0, "no media from the caller; hanging up");
                        self.hang_up().await;
                        break;
                    }
                    if self.clock_ms > MAX_CALL_MS {
                        self.hang_up().await;
                        break;
                    }
                }
                r = self.socket.recv_from(&mut buf) => {
                    if let Ok((n, from)) = r {
                        let bytes = buf[..n].to_vec();
                        self.on_rtp(&bytes, from).await;
                    }
                }
                s = signals.recv() => match s {
                    Some(CallSignal::Ended) | None => {
                        self.ended().await;
                        break;
                    }
                    Some(CallSignal::Established) => {}
                    Some(CallSignal::Media(a)) => self.apply_answer(&a),
                    Some(CallSignal::Digit(d)) => self.digit(d).await,
                    Some(CallSignal::TransferAccepted) => {
                        let _ = self.ua.send(UaCommand::Hangup(self.call));
                        self.ended().await;
                        break;
                    }
                    Some(CallSignal::TransferFailed) => {
                        self.transferring = false;
                        self.spawn_app(|app, t, c| async move { app.call_transfer_failed(t, c).await });
                    }
                },
                e = events.recv() => match e {
                    Ok(ChatEvent::Call(commands)) => self.commands(commands),
                    Ok(ChatEvent::Status { state: domain::ConversationStatus::Queued, queue }) => {
                        self.queued = queue;
                        self.next_position_ms = self.clock_ms + 2_000;
                    }
                    Ok(ChatEvent::Status { .. }) => self.queued = None,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(call = self.call.0, missed = n, "call fell behind its conversation");
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        events = self.ctx.deps.app.chat_subscribe(self.conversation);
                    }
                },
                Some(r) = self.results_rx.recv() => self.result(r).await,
            }
        }
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

    fn commands(&mut self, commands: Vec<CallCommand>) {
        let has_gather = commands
            .iter()
            .any(|c| matches!(c, CallCommand::Gather { .. }));
        for command in commands {
            match command {
                CallCommand::Play {
                    text,
                    language,
                    voice,
                    audio: _,
                } => {
                    // Audio files arrive with media storage; until then the text is spoken.
                    if text.trim().is_empty() {
                        continue;
                    }
                    let (tx, rx) = oneshot::channel();
                    let synth = self.ctx.deps.synthesizer.clone();
                    let call = self.call.0;
                    tokio::spawn(async move {
                        let voice = Voice {
                            language,
                            name: voice,
                        };
                        let prompt = match synth.synthesize(&text, &voice).await {
                            Ok(p) => Some(p),
                            Err(e) => {
                                tracing::warn!(call, error = %e, "prompt could not be synthesised");
                                None
                            }
                        };
                        let _ = tx.send(prompt);
                    });
                    self.queue.push_back(Item::Pending {
                        rx,
                        interruptible: has_gather,
                    });
                }
                CallCommand::Gather {
                    kinds,
                    num_digits,
                    finish_on_key,
                    phrases,
                } => {
                    self.gather = Some(Gather {
                        digits: kinds.contains(&InputKind::Digits),
                        speech: kinds.contains(&InputKind::Speech)
                            || kinds.contains(&InputKind::Text),
                        num_digits,
                        finish_on_key,
                        collected: String::new(),
                        last_digit_ms: 0,
                        phrases,
                    });
                    self.start_listening();
                    let typed: Vec<char> = std::mem::take(&mut self.type_ahead).chars().collect();
                    for d in typed {
                        self.gather_digit(d);
                    }
                }
                CallCommand::Record { max_secs } => self.queue.push_back(Item::Record { max_secs }),
                CallCommand::Transfer { to } => self.queue.push_back(Item::Transfer { to }),
                CallCommand::Queued { queue } => {
                    self.queued = Some(queue);
                    self.next_position_ms = self.clock_ms + 2_000;
                }
                CallCommand::Hangup => self.queue.push_back(Item::Hangup),
            }
        }
    }

    /// Opens a recognition stream when the question takes speech and a recogniser is there.
    fn start_listening(&mut self) {
        let Some(g) = &self.gather else { return };
        let Some(recognizer) = self.ctx.deps.recognizer.clone() else {
            return;
        };
        if !g.speech || self.speech.is_some() || self.speech_starting.is_some() || self.decoding {
            return;
        }
        let grammar = Grammar::new(g.phrases.iter().cloned());
        let language = self.language.clone();
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let _ = tx.send(recognizer.start(&grammar, &language).await.ok());
        });
        self.speech_starting = Some(rx);
    }

    /// One 20 ms step: send the next frame, advance the queue. True when the call is over.
    async fn tick(&mut self) -> bool {
        if let Some(rx) = &mut self.speech_starting
            && let Ok(stream) = rx.try_recv()
        {
            self.speech_starting = None;
            self.speech = stream;
            let early = std::mem::take(&mut self.early_audio);
            self.feed_speech(&early);
        }
        let mut frame = [0i16; FRAME_SAMPLES];
        let mut have_audio = false;
        while let Some(front) = self.queue.front_mut() {
            match front {
                Item::Pending { rx, interruptible } => match rx.try_recv() {
                    Ok(Some(prompt)) => {
                        let interruptible = *interruptible;
                        *front = Item::Playing {
                            prompt,
                            pos: 0,
                            interruptible,
                        };
                    }
                    Ok(None) | Err(oneshot::error::TryRecvError::Closed) => {
                        self.queue.pop_front();
                    }
                    Err(oneshot::error::TryRecvError::Empty) => break,
                },
                Item::Playing { prompt, pos, .. } => {
                    let samples = &prompt.samples;
                    let end = (*pos + FRAME_SAMPLES).min(samples.len());
                    frame[..end - *pos].copy_from_slice(&samples[*pos..end]);
                    *pos = end;
                    have_audio = true;
                    if end >= samples.len() {
                        self.queue.pop_front();
                    }
                    break;
                }
                Item::Record { max_secs } => {
                    if self.recording.is_none() {
                        let max_samples = (*max_secs).clamp(1, 600) as usize * 8000;
                        self.recording = Some(Recording {
                            samples: Vec::with_capacity(max_samples.min(8000 * 60)),
                            max_samples,
                            deadline_ms: self.clock_ms
                                + u64::from((*max_secs).clamp(1, 600)) * 1000,
                        });
                        // A short beep says "speak now".
                        for (i, s) in frame.iter_mut().enumerate() {
                            let t = i as f32 / 8000.0;
                            *s =
                                (f32::sin(2.0 * std::f32::consts::PI * 1000.0 * t) * 8000.0) as i16;
                        }
                        have_audio = true;
                    }
                    break;
                }
                Item::Transfer { to } => {
                    if !self.transferring {
                        self.transferring = true;
                        let target = to.clone();
                        let target = if target.starts_with("sip:") || target.starts_with("tel:") {
                            target
                        } else {
                            format!("sip:{target}@{}", self.ctx.host)
                        };
                        let _ = self.ua.send(UaCommand::Refer {
                            call: self.call,
                            target,
                        });
                        self.queue.pop_front();
                    }
                    break;
                }
                Item::Hangup => {
                    self.hang_up().await;
                    return true;
                }
            }
        }
        if self
            .recording
            .as_ref()
            .is_some_and(|r| self.clock_ms >= r.deadline_ms)
        {
            self.finish_recording();
        }
        if !have_audio && self.queue.is_empty() && self.queued.is_some() {
            have_audio = self.hold_frame(&mut frame);
            if self.clock_ms >= self.next_position_ms {
                self.next_position_ms = self.clock_ms + POSITION_EVERY_MS;
                self.announce_position();
            }
        }
        if let Some(g) = &self.gather
            && !g.collected.is_empty()
            && self.clock_ms.saturating_sub(g.last_digit_ms) >= INTER_DIGIT_MS
        {
            self.submit_digits();
        }
        self.send_frame(&frame, have_audio).await;
        false
    }

    /// The next 20 ms of hold music: a soft two-tone chime every two seconds.
    fn hold_frame(&mut self, frame: &mut [i16; FRAME_SAMPLES]) -> bool {
        const PERIOD: usize = 16_000;
        for s in frame.iter_mut() {
            let p = self.hold_pos % PERIOD;
            let t = p as f32 / 8000.0;
            let f = if p < 4000 { 523.25 } else { 659.25 };
            let envelope = if p < 8000 {
                (1.0 - (p % 4000) as f32 / 4000.0) * 3000.0
            } else {
                0.0
            };
            *s = (f32::sin(2.0 * std::f32::consts::PI * f * t) * envelope) as i16;
            self.hold_pos += 1;
        }
        true
    }

    fn announce_position(&mut self) {
        let Some(queue) = self.queued.clone() else {
            return;
        };
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

    async fn send_frame(&mut self, frame: &[i16; FRAME_SAMPLES], audio: bool) {
        let Some(remote) = self.remote else {
            self.advance();
            return;
        };
        if self.on_hold {
            self.advance();
            return;
        }
        let mut payload = Vec::with_capacity(FRAME_SAMPLES);
        if audio {
            payload.extend(frame.iter().map(|&s| self.law.encode(s)));
        } else {
            payload.resize(FRAME_SAMPLES, self.law.silence());
        }
        let mut header = RtpHeader::new(self.payload_type, self.seq, self.timestamp, self.ssrc);
        header.marker = self.first_packet;
        self.first_packet = false;
        let mut out = Vec::with_capacity(12 + FRAME_SAMPLES);
        if media::rtp::write_packet(&header, &payload, 0, &mut out).is_ok() {
            let _ = self.socket.send_to(&out, remote).await;
        }
        self.advance();
    }

    fn advance(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES as u32);
    }

    async fn on_rtp(&mut self, bytes: &[u8], from: SocketAddr) {
        let Ok(packet) = RtpPacket::parse(bytes) else {
            return;
        };
        self.last_rtp_ms = self.clock_ms;
        // Symmetric RTP: answer where the media comes from.
        self.remote = Some(from);
        let pt = packet.header.payload_type;
        if Some(pt) == self.event_pt {
            self.saw_rfc4733 = true;
            if let Ok(ev) = TelephoneEvent::parse(packet.payload) {
                let notices: Vec<EventNotice> =
                    self.events.receive(packet.header.timestamp, &ev).collect();
                for n in notices {
                    if let EventNotice::Began { digit: Some(d), .. } = n {
                        self.digit(d).await;
                    }
                }
            }
            return;
        }
        let law = match pt {
            0 => Law::Ulaw,
            8 => Law::Alaw,
            _ => return,
        };
        self.pcm.clear();
        self.pcm
            .extend(packet.payload.iter().map(|&c| law.decode(c)));
        let pcm = std::mem::take(&mut self.pcm);
        // In-band DTMF, unless the peer sends RFC 4733 events (then tones would count twice).
        if !self.saw_rfc4733 {
            let digits: Vec<char> = self
                .detector
                .push(&pcm)
                .into_iter()
                .filter(|e| e.end_sample.is_none())
                .map(|e| e.digit)
                .collect();
            for d in digits {
                self.digit(d).await;
            }
        }
        if let Some(rec) = &mut self.recording {
            let room = rec.max_samples.saturating_sub(rec.samples.len());
            rec.samples.extend_from_slice(&pcm[..pcm.len().min(room)]);
            if rec.samples.len() >= rec.max_samples {
                self.finish_recording();
            }
        }
        if self.speech.is_none() && self.speech_starting.is_some() {
            // The recogniser is still starting: keep the audio so the caller's first words
            // are not lost.
            if self.early_audio.len() + pcm.len() <= EARLY_AUDIO_SAMPLES {
                self.early_audio.extend_from_slice(&pcm);
            }
        }
        self.feed_speech(&pcm);
        self.pcm = pcm;
    }

    /// Pushes audio into the open recognition stream, handling barge-in and the end of speech.
    fn feed_speech(&mut self, pcm: &[i16]) {
        if let Some(mut stream) = self.speech.take() {
            let mut last = VadEvent::Silence;
            for chunk in pcm.chunks(FRAME_SAMPLES) {
                last = stream.push(chunk);
                if last == VadEvent::SpeechStarted {
                    self.barge_in();
                }
                if last.is_final() {
                    break;
                }
            }
            match last {
                // Keep listening: the flow's own timer decides when silence is no input.
                VadEvent::NoInput => self.start_listening(),
                e if e.is_final() => self.decode(stream),
                _ => self.speech = Some(stream),
            }
        }
    }

    fn decode(&mut self, stream: Box<dyn RecognitionStream>) {
        self.decoding = true;
        let results = self.results.clone();
        tokio::spawn(async move {
            let r = match stream.finish().await {
                Ok(Some(r)) => Some((r.text, r.confidence)),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "speech recognition failed");
                    None
                }
            };
            let _ = results.send(DriverResult::Speech(r));
        });
    }

    async fn result(&mut self, r: DriverResult) {
        match r {
            DriverResult::Speech(heard) => {
                self.decoding = false;
                match heard {
                    Some((text, confidence)) if self.gather.is_some() => {
                        self.gather = None;
                        self.spawn_app(move |app, t, c| async move {
                            app.call_speech(t, c, &text, confidence).await
                        });
                    }
                    _ => self.start_listening(),
                }
            }
            DriverResult::Position(Some(position)) if self.queued.is_some() => {
                let text = if self.language == "de" {
                    format!("Sie sind an Position {position}. Bitte bleiben Sie in der Leitung.")
                } else {
                    format!("You are number {position} in the queue. Please stay on the line.")
                };
                let (tx, rx) = oneshot::channel();
                let synth = self.ctx.deps.synthesizer.clone();
                let voice = Voice {
                    language: self.language.clone(),
                    name: None,
                };
                tokio::spawn(async move {
                    let _ = tx.send(synth.synthesize(&text, &voice).await.ok());
                });
                self.queue.push_back(Item::Pending {
                    rx,
                    interruptible: false,
                });
            }
            DriverResult::Position(_) => {}
        }
    }

    /// Stops prompts that lead up to the open question.
    fn barge_in(&mut self) {
        if self.gather.is_some() {
            self.queue.retain(|i| !i.interruptible());
        }
    }

    async fn digit(&mut self, d: char) {
        self.ctx.stats.add(&self.ctx.stats.digits, 1);
        if self.recording.is_some() {
            // Any key ends a recording.
            self.finish_recording();
            return;
        }
        if self.gather.as_ref().is_some_and(|g| g.digits) {
            self.barge_in();
            self.gather_digit(d);
        } else if self.type_ahead.len() < TYPE_AHEAD {
            self.type_ahead.push(d);
        }
    }

    fn gather_digit(&mut self, d: char) {
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
        g.last_digit_ms = self.clock_ms;
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
        self.speech = None;
        self.speech_starting = None;
        self.early_audio.clear();
        let digits = g.collected;
        if digits.is_empty() {
            return;
        }
        self.spawn_app(move |app, t, c| async move { app.call_digits(t, c, &digits).await });
    }

    fn finish_recording(&mut self) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        if matches!(self.queue.front(), Some(Item::Record { .. })) {
            self.queue.pop_front();
        }
        let dir = self.ctx.recordings_dir.join(self.tenant.to_string());
        let name = format!("{}-{}.wav", self.conversation, self.clock_ms);
        let reference = format!("{}/{name}", self.tenant);
        self.spawn_app(move |app, t, c| async move {
            let path = dir.join(&name);
            let written = async {
                tokio::fs::create_dir_all(&dir).await?;
                tokio::fs::write(&path, crate::wav::encode_pcm16(&rec.samples, 8000)).await
            }
            .await;
            let reference = match written {
                Ok(()) if !rec.samples.is_empty() => reference,
                Ok(()) => String::new(),
                Err(e) => {
                    tracing::warn!(conversation = %c, error = %e, "recording could not be stored");
                    String::new()
                }
            };
            app.call_recording_done(t, c, &reference).await
        });
    }

    async fn hang_up(&mut self) {
        if self.hanging_up {
            return;
        }
        self.hanging_up = true;
        if self.recording.is_some() {
            self.finish_recording();
        }
        let _ = self.ua.send(UaCommand::Hangup(self.call));
        self.ended().await;
    }

    /// The call is over: the conversation ends (if the flow has not ended it already).
    async fn ended(&mut self) {
        if self.recording.is_some() {
            self.finish_recording();
        }
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
    }
}
