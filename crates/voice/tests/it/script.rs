//! The call script on a virtual clock: a simulated call feeds it the flow's commands, keys, speech and the
//! caller's media, ticks it every 20 ms, and writes down what the caller hears and what the script asks the
//! driver to do, with the millisecond it happened. No sockets, no engines, no waiting.

use std::collections::HashMap;
use std::sync::Arc;

use app::CallCommand;
use flow::InputKind;
use voice::call::script::{
    Action, CallScript, FIRST_POSITION_MS, FRAME_MS, Frame, INTER_DIGIT_MS, POSITION_EVERY_MS,
    PromptId, ScriptConfig,
};
use voice::call::texts::Language;
use voice::tts::{FRAME_SAMPLES, Prompt};

/// The sample value of the agent's audio in the bridge tests.
const AGENT_VOICE: i16 = 4242;

/// One simulated call. Prompts are synthesised at once (unless `hold_synthesis`): a prompt lasts one frame per
/// word and every sample of it is a value that names it, so a frame tells which prompt was heard.
struct Sim {
    script: CallScript,
    now: u64,
    /// What happened: `"<ms> <what>"`, one entry per action and per run of equal frames.
    log: Vec<String>,
    /// Prompt texts by their sample value.
    texts: HashMap<i16, String>,
    /// Synthesis requests not answered yet.
    pending: Vec<(PromptId, String)>,
    hold_synthesis: bool,
    /// Whether the caller's RTP arrives (silence) on every tick.
    caller_media: bool,
    /// The last frame's label and since when, to log runs of frames as one entry.
    hearing: Option<(String, u64, usize)>,
    /// Recordings saved: their length in samples.
    recordings: Vec<usize>,
}

fn config(language: &str) -> ScriptConfig {
    ScriptConfig {
        language: language.to_owned(),
        host: "pbx.example".to_owned(),
        can_recognise: true,
        media_timeout_ms: 10_000,
        agent_ring_ms: 20_000,
        call_back: false,
    }
}

fn play(text: &str) -> CallCommand {
    CallCommand::Play {
        text: text.to_owned(),
        language: "en".to_owned(),
        voice: None,
        audio: None,
    }
}

fn gather(kinds: &[InputKind], num_digits: Option<u8>, finish_on_key: Option<char>) -> CallCommand {
    CallCommand::Gather {
        kinds: kinds.to_vec(),
        num_digits,
        finish_on_key,
        phrases: Arc::new(vec!["yes".to_owned(), "no".to_owned()]),
    }
}

fn menu() -> CallCommand {
    gather(&[InputKind::Digits], None, None)
}

impl Sim {
    fn new() -> Self {
        Self::with(config("en"))
    }

    fn with(config: ScriptConfig) -> Self {
        Self {
            script: CallScript::new(config),
            now: 0,
            log: Vec::new(),
            texts: HashMap::new(),
            pending: Vec::new(),
            hold_synthesis: false,
            caller_media: true,
            hearing: None,
            recordings: Vec::new(),
        }
    }

    fn commands(&mut self, commands: Vec<CallCommand>) {
        self.script.handle_commands(self.now, commands);
        self.drain();
    }

    fn digits(&mut self, keys: &str) {
        for key in keys.chars() {
            self.script.handle_digit(self.now, key);
        }
        self.drain();
    }

    /// Runs the clock for `ms`, one tick per frame.
    fn run(&mut self, ms: u64) {
        let until = self.now + ms;
        // Like the driver, the simulation stops when the script has nothing more to time.
        while self.now < until && self.script.poll_timeout().is_some() {
            self.now += FRAME_MS;
            if self.caller_media {
                self.script.handle_audio(self.now, &[7; FRAME_SAMPLES]);
                self.drain();
            }
            self.script.handle_tick(self.now);
            let label = match self.script.poll_frame() {
                None => "-".to_owned(),
                Some(Frame::Silence) => "silence".to_owned(),
                Some(Frame::Audio(samples)) => self.label(&samples),
            };
            self.hear(label);
            self.drain();
        }
    }

    fn label(&self, samples: &[i16; FRAME_SAMPLES]) -> String {
        if let Some(text) = self.texts.get(&samples[0]) {
            return format!("'{text}'");
        }
        if samples[2] == 8000 {
            return "beep".to_owned();
        }
        if samples[0] == AGENT_VOICE {
            return "agent".to_owned();
        }
        "hold".to_owned()
    }

    fn hear(&mut self, label: String) {
        match &mut self.hearing {
            Some((l, _, n)) if *l == label => *n += 1,
            _ => {
                self.flush_hearing();
                self.hearing = Some((label, self.now, 1));
            }
        }
    }

    fn flush_hearing(&mut self) {
        if let Some((label, at, n)) = self.hearing.take() {
            self.log.push(format!("{at} {label} x{n}"));
        }
    }

    /// Carries out the script's actions the way a driver with instant engines would.
    fn drain(&mut self) {
        while let Some(action) = self.script.poll_action() {
            let entry = match action {
                Action::Synthesize { id, text, voice } => {
                    let entry = format!("synthesize '{text}' ({})", voice.language);
                    if self.hold_synthesis {
                        self.pending.push((id, text));
                    } else {
                        self.synthesized(id, &text);
                    }
                    entry
                }
                Action::LoadAudio { id, name, .. } => {
                    // A recorded prompt: two frames, named by its file.
                    self.synthesized(id, &format!("recording {name}"));
                    format!("load audio {name}")
                }
                Action::SaveRecording { samples, at_ms } => {
                    assert_eq!(at_ms, self.now);
                    self.recordings.push(samples.len());
                    format!("save recording of {} samples", samples.len())
                }
                Action::StartRecognition { phrases, language } => {
                    format!("start recognition {phrases:?} ({language})")
                }
                other => format!("{other:?}"),
            };
            self.flush_hearing();
            self.log.push(format!("{} {entry}", self.now));
        }
    }

    fn synthesized(&mut self, id: PromptId, text: &str) {
        let value = 1_000 + i16::try_from(self.texts.len()).unwrap();
        self.texts.insert(value, text.to_owned());
        let words = text.split_whitespace().count();
        let samples: Vec<i16> = vec![value; words * FRAME_SAMPLES];
        self.script.handle_prompt(
            id,
            Some(Prompt {
                samples: samples.into(),
            }),
        );
    }

    /// The log so far (the current run of frames included) and an empty one after.
    fn take(&mut self) -> Vec<String> {
        self.flush_hearing();
        std::mem::take(&mut self.log)
    }
}

#[test]
fn prompts_play_in_order_each_frame_after_the_last() {
    let mut call = Sim::new();
    call.commands(vec![play("Welcome to Hotline"), play("Goodbye")]);
    call.run(120);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Welcome to Hotline' (en)",
            "0 synthesize 'Goodbye' (en)",
            "20 'Welcome to Hotline' x3",
            "80 'Goodbye' x1",
            "100 silence x2",
        ]
    );
    assert_eq!(call.script.poll_timeout(), Some(140));
}

#[test]
fn a_recorded_prompt_plays_in_its_place_instead_of_the_text() {
    let mut call = Sim::new();
    call.commands(vec![
        play("Hello"),
        CallCommand::Play {
            text: "Welcome (spoken only when the recording is gone)".to_owned(),
            language: "en".to_owned(),
            voice: None,
            audio: Some("welcome-en".to_owned()),
        },
        play("Goodbye"),
    ]);
    call.run(120);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Hello' (en)",
            "0 load audio welcome-en",
            "0 synthesize 'Goodbye' (en)",
            "20 'Hello' x1",
            "40 'recording welcome-en' x2",
            "80 'Goodbye' x1",
            "100 silence x2",
        ]
    );
}

#[test]
fn a_prompt_waits_for_its_audio_and_one_that_fails_is_skipped() {
    let mut call = Sim::new();
    call.hold_synthesis = true;
    call.commands(vec![play("first one"), play("second"), play("third")]);
    call.run(40);
    // The third prompt is ready first; it still waits for the two before it.
    let (third, _) = call.pending.pop().unwrap();
    call.synthesized(third, "third");
    call.run(20);
    let (second, _) = call.pending.pop().unwrap();
    call.script.handle_prompt(second, None);
    let (first, _) = call.pending.pop().unwrap();
    call.synthesized(first, "first one");
    call.run(80);
    let log = call.take();
    assert_eq!(
        log[3..],
        [
            "20 silence x3",
            "80 'first one' x2",
            "120 'third' x1",
            "140 silence x1"
        ]
    );
}

#[test]
fn a_key_stops_the_prompts_before_a_question_and_answers_it() {
    let mut call = Sim::new();
    call.commands(vec![
        play("Press one for sales, two for support"),
        play("or stay on the line"),
        menu(),
    ]);
    call.run(60);
    call.digits("2");
    call.run(40);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Press one for sales, two for support' (en)",
            "0 synthesize 'or stay on the line' (en)",
            "20 'Press one for sales, two for support' x3",
            "60 Digits(\"2\")",
            "80 silence x2",
        ]
    );
}

#[test]
fn a_key_does_not_stop_the_prompts_before_a_hang_up_or_a_transfer() {
    for (last, then) in [
        (
            CallCommand::Hangup,
            vec!["100 - x1", "100 Hangup(Flow)", "100 End"],
        ),
        (
            CallCommand::Transfer {
                to: "200".to_owned(),
            },
            vec![
                "100 silence x1",
                "100 Refer { target: \"sip:200@pbx.example\" }",
            ],
        ),
    ] {
        let mut call = Sim::new();
        call.commands(vec![play("Thank you for calling"), last]);
        call.run(20);
        call.digits("5");
        call.run(80);
        let mut expected = vec![
            "0 synthesize 'Thank you for calling' (en)".to_owned(),
            "20 'Thank you for calling' x4".to_owned(),
        ];
        expected.extend(then.into_iter().map(str::to_owned));
        assert_eq!(call.take(), expected);
    }
}

#[test]
fn keys_typed_during_a_prompt_answer_the_next_question() {
    let mut call = Sim::new();
    call.commands(vec![play("Welcome to Hotline")]);
    call.run(20);
    call.digits("42");
    call.run(60);
    assert!(!call.take().iter().any(|l| l.contains("Digits")));
    call.commands(vec![gather(&[InputKind::Digits], Some(2), None)]);
    assert_eq!(call.take(), ["80 Digits(\"42\")"]);
}

#[test]
fn type_ahead_keeps_sixteen_keys_at_most() {
    let mut call = Sim::new();
    call.digits("12345678901234567890");
    call.commands(vec![gather(&[InputKind::Digits], None, Some('#'))]);
    call.digits("#");
    assert_eq!(call.take(), ["0 Digits(\"1234567890123456\")"]);
}

#[test]
fn digits_end_by_count_by_finish_key_or_after_the_inter_digit_pause() {
    let cases: [(Option<u8>, Option<char>, &str, &str); 5] = [
        // A menu takes one key.
        (None, None, "7", "Digits(\"7\")"),
        (Some(3), None, "123", "Digits(\"123\")"),
        (None, Some('#'), "99#", "Digits(\"99\")"),
        // The finish key alone is an answer too (an empty one would not reach the flow).
        (None, Some('#'), "#", "Digits(\"#\")"),
        (Some(4), Some('#'), "1#", "Digits(\"1\")"),
    ];
    for (num_digits, finish, keys, expected) in cases {
        let mut call = Sim::new();
        call.commands(vec![gather(&[InputKind::Digits], num_digits, finish)]);
        call.digits(keys);
        assert_eq!(call.take(), [format!("0 {expected}")], "{keys}");
    }

    // Fewer keys than asked for go to the flow once the caller pauses.
    let mut call = Sim::new();
    call.commands(vec![gather(&[InputKind::Digits], Some(4), None)]);
    call.run(100);
    call.digits("12");
    call.run(INTER_DIGIT_MS - 20);
    assert!(!call.take().iter().any(|l| l.contains("Digits")));
    call.run(20);
    assert_eq!(call.take(), ["3100 silence x1", "3100 Digits(\"12\")"]);
}

#[test]
fn speech_starting_stops_the_prompts_and_what_was_said_answers_the_question() {
    let mut call = Sim::new();
    call.commands(vec![
        play("Say yes or no"),
        gather(&[InputKind::Digits, InputKind::Speech], None, None),
    ]);
    call.run(20);
    call.script.handle_speech_started();
    call.run(20);
    call.script.handle_speech_ended();
    call.script
        .handle_recognised(Some(("yes".to_owned(), 0.75)));
    call.drain();
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Say yes or no' (en)",
            "0 start recognition [\"yes\", \"no\"] (en)",
            "20 'Say yes or no' x1",
            "40 silence x1",
            "40 Speech { text: \"yes\", confidence: 0.75 }",
        ]
    );
}

#[test]
fn the_recogniser_listens_again_after_silence_or_a_miss_and_stops_for_keys() {
    let mut call = Sim::new();
    call.commands(vec![gather(
        &[InputKind::Digits, InputKind::Speech],
        None,
        None,
    )]);
    call.script.handle_speech_no_input();
    call.script.handle_speech_ended();
    call.script.handle_recognised(None);
    call.drain();
    call.digits("3");
    // Without a recogniser, or for a question of keys only, nothing listens.
    let mut deaf = Sim::with(ScriptConfig {
        can_recognise: false,
        ..config("en")
    });
    deaf.commands(vec![gather(&[InputKind::Speech], None, None)]);
    let mut keys = Sim::new();
    keys.commands(vec![menu()]);
    assert_eq!(
        call.take(),
        [
            "0 start recognition [\"yes\", \"no\"] (en)",
            "0 start recognition [\"yes\", \"no\"] (en)",
            "0 start recognition [\"yes\", \"no\"] (en)",
            "0 StopRecognition",
            "0 Digits(\"3\")",
        ]
    );
    assert!(deaf.take().is_empty());
    assert!(keys.take().is_empty());
}

#[test]
fn a_recording_starts_with_a_beep_and_ends_at_its_length_a_key_or_the_deadline() {
    // The caller speaks: the recording ends when it holds its length.
    let mut call = Sim::new();
    call.commands(vec![CallCommand::Record { max_secs: 1 }, play("Thanks")]);
    call.run(1_100);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Thanks' (en)",
            "20 beep x1",
            "40 silence x49",
            "1020 save recording of 8000 samples",
            "1020 'Thanks' x1",
            "1040 silence x4",
        ]
    );

    // A key ends it early.
    let mut call = Sim::new();
    call.commands(vec![CallCommand::Record { max_secs: 60 }]);
    call.run(200);
    call.digits("#");
    assert_eq!(call.recordings, [1_440]);

    // No media: it ends at the deadline, empty.
    let mut call = Sim::new();
    call.caller_media = false;
    call.commands(vec![CallCommand::Record { max_secs: 2 }]);
    call.run(2_100);
    assert_eq!(call.recordings, [0]);
    assert!(
        call.take()
            .contains(&"2020 save recording of 0 samples".to_owned())
    );
}

#[test]
fn a_queued_call_hears_hold_music_and_its_position_every_thirty_seconds() {
    let mut call = Sim::new();
    call.commands(vec![
        play("Please hold"),
        CallCommand::Queued {
            queue: "sales".to_owned(),
        },
    ]);
    call.run(FIRST_POSITION_MS);
    call.script.handle_queue_position(Some(3));
    call.drain();
    call.run(POSITION_EVERY_MS);
    call.script.handle_queue_position(Some(1));
    call.drain();
    call.run(400);
    let text_3 = (Language::English.texts().queue_position)(3);
    let text_1 = (Language::English.texts().queue_position)(1);
    let words_3 = text_3.split_whitespace().count() as u64;
    let words_1 = text_1.split_whitespace().count() as u64;
    let after_3 = 2_000 + 20 + words_3 * 20;
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Please hold' (en)".to_owned(),
            "20 'Please hold' x2".to_owned(),
            "60 hold x98".to_owned(),
            "2000 LookUpPosition { queue: \"sales\" }".to_owned(),
            format!("2000 synthesize '{text_3}' (en)"),
            format!("2020 '{text_3}' x{words_3}"),
            format!("{after_3} hold x{}", (32_000 - after_3) / 20 + 1),
            "32000 LookUpPosition { queue: \"sales\" }".to_owned(),
            format!("32000 synthesize '{text_1}' (en)"),
            format!("32020 '{text_1}' x{words_1}"),
            format!("{} hold x{}", 32_020 + words_1 * 20, 20 - words_1),
        ]
    );
    // Leaving the queue (a human took the call) ends the music.
    call.script.handle_queue_status(call.now, None);
    call.script.handle_queue_position(Some(1));
    call.run(40);
    assert_eq!(call.take(), ["32420 silence x2"]);
}

#[test]
fn the_position_is_announced_in_the_conversations_language() {
    let mut call = Sim::with(config("de"));
    call.script
        .handle_queue_status(0, Some("vertrieb".to_owned()));
    call.script.handle_queue_position(Some(2));
    call.drain();
    assert_eq!(
        call.take(),
        ["0 synthesize 'Sie sind an Position 2. Bitte bleiben Sie in der Leitung.' (de)"]
    );
    assert_eq!(Language::from_tag("de-AT"), Language::German);
    assert_eq!(Language::from_tag("fr"), Language::English);
}

#[test]
fn a_waiting_caller_who_may_be_called_back_hears_how_and_key_1_asks_once() {
    let mut call = Sim::with(ScriptConfig {
        call_back: true,
        ..config("en")
    });
    let texts = Language::English.texts();
    // Before the call waits in a queue, 1 is an ordinary key (typed ahead for the flow).
    call.digits("1");
    assert!(call.take().is_empty());
    call.script.handle_queue_status(0, Some("sales".to_owned()));
    call.script.handle_queue_position(Some(2));
    call.drain();
    let told = format!("{} {}", (texts.queue_position)(2), texts.call_back_hint);
    assert_eq!(call.take(), [format!("0 synthesize '{told}' (en)")]);
    // 1 asks for the call-back; pressing it again while the app decides asks nothing more;
    // other keys are not a request.
    call.digits("1");
    call.digits("1");
    call.digits("2");
    assert_eq!(call.take(), ["0 RequestCallBack"]);
    // Refused: the caller hears so, keeps waiting, and may ask again.
    call.script.handle_call_back_refused();
    call.drain();
    assert_eq!(
        call.take(),
        [format!("0 synthesize '{}' (en)", texts.call_back_refused)]
    );
    call.digits("1");
    assert_eq!(call.take(), ["0 RequestCallBack"]);
}

#[test]
fn without_call_backs_key_1_in_a_queue_asks_for_nothing() {
    let mut call = Sim::new();
    call.script.handle_queue_status(0, Some("sales".to_owned()));
    call.script.handle_queue_position(Some(1));
    call.digits("1");
    assert_eq!(
        call.take(),
        [format!(
            "0 synthesize '{}' (en)",
            (Language::English.texts().queue_position)(1)
        )]
    );
}

#[test]
fn hang_up_waits_for_the_prompts_before_it_and_nothing_follows() {
    let mut call = Sim::new();
    call.commands(vec![play("Goodbye and thanks"), CallCommand::Hangup]);
    call.run(40);
    call.commands(vec![play("too late")]);
    call.run(60);
    call.digits("1");
    call.script.handle_remote_hangup();
    call.drain();
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Goodbye and thanks' (en)",
            "20 'Goodbye and thanks' x2",
            // Queued behind the hang-up: synthesised, never played.
            "40 synthesize 'too late' (en)",
            "60 'Goodbye and thanks' x1",
            "80 - x1",
            "80 Hangup(Flow)",
            "80 End",
        ]
    );
    assert!(call.script.is_ended());
    assert_eq!(call.script.poll_timeout(), None);
}

#[test]
fn a_remote_hang_up_ends_everything_and_keeps_the_recording() {
    let mut call = Sim::new();
    call.commands(vec![
        CallCommand::Record { max_secs: 30 },
        play("Thanks"),
        CallCommand::Hangup,
    ]);
    call.run(100);
    call.script.handle_remote_hangup();
    call.drain();
    call.run(100);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'Thanks' (en)",
            "20 beep x1",
            "40 silence x4",
            // The audio of the first tick came before the recording started.
            "100 save recording of 640 samples",
            "100 End",
        ]
    );
}

#[test]
fn a_silent_line_is_hung_up_unless_the_caller_holds_the_call() {
    let mut call = Sim::new();
    call.caller_media = false;
    call.script.handle_hold(true);
    call.run(20_000);
    assert_eq!(call.take(), ["20 - x1000"], "no packets while held");
    call.script.handle_hold(false);
    call.run(20);
    assert_eq!(
        call.take(),
        ["20020 silence x1", "20020 Hangup(NoMedia)", "20020 End"]
    );

    let mut call = Sim::new();
    call.caller_media = false;
    call.run(10_020);
    let log = call.take();
    assert_eq!(log[1..], ["10020 Hangup(NoMedia)", "10020 End"]);
}

#[test]
fn a_transfer_ends_the_call_when_accepted_and_goes_back_to_the_flow_when_not() {
    let mut call = Sim::new();
    call.commands(vec![CallCommand::Transfer {
        to: "sip:agent@example.org".to_owned(),
    }]);
    call.run(20);
    call.script.handle_transfer(false);
    call.drain();
    call.commands(vec![CallCommand::Transfer {
        to: "tel:+4930123".to_owned(),
    }]);
    call.run(20);
    call.script.handle_transfer(true);
    call.drain();
    assert_eq!(
        call.take(),
        [
            "20 silence x1",
            "20 Refer { target: \"sip:agent@example.org\" }",
            "20 TransferFailed",
            "40 silence x1",
            "40 Refer { target: \"tel:+4930123\" }",
            "40 Hangup(Transferred)",
            "40 End",
        ]
    );
}

fn maria() -> domain::UserId {
    domain::UserId::from_random_bytes([0x11; 16])
}

/// A call waiting in a queue, then taken by Maria on the desk: the app says who joined and asks
/// for her phone.
fn taken_by_maria() -> Sim {
    let mut call = Sim::new();
    call.commands(vec![CallCommand::Queued {
        queue: "sales".to_owned(),
    }]);
    call.run(100);
    call.script.handle_queue_status(call.now, None);
    call.commands(vec![
        play("Maria is with you"),
        CallCommand::ConnectAgent { agent: maria() },
    ]);
    call
}

#[test]
fn the_agents_phone_rings_at_once_and_the_caller_hears_the_agent_once_it_answers() {
    let mut call = taken_by_maria();
    call.run(200);
    call.script.handle_agent_answered();
    assert!(call.script.is_bridged());
    // 30 ms of the agent's voice arrive, then 10 ms more: two frames, played one per tick.
    call.script.handle_agent_audio(&[AGENT_VOICE; 240]);
    call.script.handle_agent_audio(&[AGENT_VOICE; 80]);
    call.run(100);
    assert_eq!(
        call.take(),
        [
            "20 hold x5".to_owned(),
            "100 synthesize 'Maria is with you' (en)".to_owned(),
            format!("100 CallAgent {{ agent: {:?} }}", maria()),
            "120 'Maria is with you' x4".to_owned(),
            "200 hold x6".to_owned(),
            "320 agent x2".to_owned(),
            "360 silence x3".to_owned(),
        ]
    );
}

#[test]
fn the_agents_audio_waits_for_the_prompt_and_a_backlog_is_cut_to_200_ms() {
    let mut call = taken_by_maria();
    call.script.handle_agent_answered();
    call.script
        .handle_agent_audio(&[AGENT_VOICE; 20 * FRAME_SAMPLES]);
    call.run(400);
    let log = call.take();
    assert_eq!(
        log[3..],
        [
            "120 'Maria is with you' x4",
            "200 agent x10",
            "400 silence x6"
        ]
    );
}

#[test]
fn a_phone_that_does_not_answer_in_time_is_hung_up_and_reported() {
    let mut call = taken_by_maria();
    call.run(20_000);
    let log = call.take();
    assert_eq!(
        log[log.len() - 3..],
        [
            "200 hold x996".to_owned(),
            "20100 HangUpAgent".to_owned(),
            format!("20100 AgentUnreachable {{ agent: {:?} }}", maria()),
        ]
    );
    // Back in the queue (the app put the task back): the music goes on, nothing more to end.
    call.script
        .handle_queue_status(call.now, Some("sales".to_owned()));
    call.run(100);
    assert!(call.take().iter().all(|l| l.contains("hold")));
}

#[test]
fn a_phone_that_refuses_is_reported_once() {
    let mut call = taken_by_maria();
    call.run(100);
    call.script.handle_agent_failed();
    call.script.handle_agent_failed();
    call.drain();
    let log = call.take();
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("AgentUnreachable"))
            .count(),
        1,
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("HangUpAgent")), "{log:?}");
}

#[test]
fn the_agent_hanging_up_ends_the_call() {
    let mut call = taken_by_maria();
    call.script.handle_agent_answered();
    call.run(100);
    call.take();
    call.script.handle_agent_hangup();
    call.drain();
    assert_eq!(call.take(), ["200 Hangup(AgentHungUp)", "200 End"]);
}

#[test]
fn the_caller_hanging_up_ends_the_agents_leg() {
    for answered in [false, true] {
        let mut call = taken_by_maria();
        if answered {
            call.script.handle_agent_answered();
        }
        call.run(100);
        call.take();
        call.script.handle_remote_hangup();
        call.drain();
        assert_eq!(call.take(), ["200 HangUpAgent", "200 End"], "{answered}");
    }
}

#[test]
fn the_flow_hanging_up_ends_both_legs() {
    // The agent ended the task on the desk: the caller is told, then both legs end.
    let mut call = taken_by_maria();
    call.script.handle_agent_answered();
    call.run(100);
    call.commands(vec![play("Goodbye"), CallCommand::Hangup]);
    call.run(100);
    let log = call.take();
    assert_eq!(
        log[log.len() - 5..],
        [
            "220 'Goodbye' x1",
            "240 - x1",
            "240 Hangup(Flow)",
            "240 HangUpAgent",
            "240 End"
        ]
    );
}

#[test]
fn going_back_to_the_queue_ends_the_agents_leg_and_the_music_plays_again() {
    let mut call = taken_by_maria();
    call.script.handle_agent_answered();
    call.run(100);
    call.take();
    call.script
        .handle_queue_status(call.now, Some("sales".to_owned()));
    call.drain();
    call.run(60);
    assert_eq!(call.take(), ["200 HangUpAgent", "220 hold x3"]);
    assert!(!call.script.is_bridged());
}

#[test]
fn what_the_caller_was_told_while_waiting_stops_when_an_agent_takes_the_call() {
    let mut call = Sim::new();
    call.commands(vec![
        play("All counsellors are busy, please hold the line"),
        CallCommand::Queued {
            queue: "sales".to_owned(),
        },
    ]);
    call.run(40);
    call.script.handle_queue_status(call.now, None);
    call.commands(vec![
        play("Maria is with you"),
        CallCommand::ConnectAgent { agent: maria() },
    ]);
    call.run(100);
    assert_eq!(
        call.take(),
        [
            "0 synthesize 'All counsellors are busy, please hold the line' (en)".to_owned(),
            "20 'All counsellors are busy, please hold the line' x2".to_owned(),
            "40 synthesize 'Maria is with you' (en)".to_owned(),
            format!("40 CallAgent {{ agent: {:?} }}", maria()),
            "60 'Maria is with you' x4".to_owned(),
            "140 hold x1".to_owned(),
        ]
    );
}

/// A German call asked a question that takes keys or speech, whose caller has just finished
/// speaking: the recogniser's answer comes next.
fn german_caller_who_has_spoken() -> Sim {
    let mut call = Sim::with(config("de"));
    call.commands(vec![gather(
        &[InputKind::Digits, InputKind::Speech],
        None,
        None,
    )]);
    call.script.handle_speech_ended();
    call
}

#[test]
fn a_failing_recogniser_tells_the_caller_once_to_use_the_keys_and_the_question_takes_keys() {
    let mut call = german_caller_who_has_spoken();
    // The speech server is down: the caller hears it once, and nothing listens again.
    call.script.handle_recognition_failed();
    call.drain();
    call.commands(vec![gather(
        &[InputKind::Digits, InputKind::Speech],
        None,
        None,
    )]);
    call.script.handle_recognition_failed();
    call.drain();
    call.digits("2");
    let log = call.take();
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("start recognition"))
            .count(),
        1,
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("Spracheingabe ist gerade nicht verfügbar"))
            .count(),
        1,
        "told once: {log:?}"
    );
    assert!(log.iter().any(|l| l.ends_with("Digits(\"2\")")), "{log:?}");
}

#[test]
fn a_transcript_in_another_language_is_a_failed_recognition_and_the_question_takes_keys() {
    let mut call = german_caller_who_has_spoken();
    // A German call whose server has an English model.
    call.script
        .handle_recognised(Some(("where is the next station".to_owned(), 0.9)));
    call.drain();
    call.digits("2");
    let log = call.take();
    assert!(
        log.iter().any(|l| l.ends_with(
            "SpeechInOtherLanguage { text: \"where is the next station\", confidence: 0.9 }"
        )),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains(" Speech {")),
        "the flow does not see it: {log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("Spracheingabe ist gerade nicht verfügbar")),
        "the caller is told: {log:?}"
    );
    assert!(log.iter().any(|l| l.ends_with("Digits(\"2\")")), "{log:?}");

    // Dialect, short answers and the call's own language go to the flow as always.
    for said in [
        "i hob ned gwusst wo",
        "okay danke",
        "ich brauche hilfe bei der anmeldung",
    ] {
        let mut call = german_caller_who_has_spoken();
        call.script.handle_recognised(Some((said.to_owned(), 0.9)));
        call.drain();
        let log = call.take();
        assert!(
            log.iter()
                .any(|l| l.contains(&format!("Speech {{ text: {said:?}"))),
            "{said}: {log:?}"
        );
    }
}
