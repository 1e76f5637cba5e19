//! Voice activity detection: when a caller starts speaking, and when they have finished.
//!
//! The detector is energy-based. Each 20 ms frame of 8 kHz linear PCM gets its level in dB below full scale
//! (dBFS); a frame is speech when it stands far enough above an adaptive noise floor and above an absolute
//! minimum. The floor follows the quietest recent frames at once and creeps upwards slowly, so a steady line
//! noise (hum, hiss, a fan) becomes the floor within a few seconds and stops counting as speech, while the dips
//! between syllables keep the floor down during an utterance.
//!
//! Decisions need runs of frames, not single frames: speech starts only after [`VadConfig::start_ms`] of
//! consecutive speech frames (a click or a line crackle is one frame), and ends after
//! [`VadConfig::end_silence_ms`] without speech. Two thresholds give hysteresis: a frame must rise
//! [`VadConfig::start_margin_db`] above the floor to begin speech, but only [`VadConfig::continue_margin_db`]
//! to keep it going, so the soft ends of words do not cut an utterance short.
//!
//! An energy detector cannot tell a voice from a tone: a tone that begins after silence counts as speech and,
//! if it goes on, ends the utterance at [`VadConfig::max_utterance_ms`]. A tone present from the first frame is
//! the floor, like any other steady noise.
//!
//! The detector takes samples and nothing else; time is the number of samples pushed at [`SAMPLE_RATE_HZ`].

/// The sample rate the detector counts time in: narrowband telephony.
pub const SAMPLE_RATE_HZ: u32 = 8_000;
/// Samples in one 20 ms frame at [`SAMPLE_RATE_HZ`].
pub const FRAME_SAMPLES: usize = 160;
/// The level of a frame of digital silence, in dBFS (the lowest a 16-bit sample can express).
pub const SILENCE_DBFS: f32 = -96.0;

/// The detector's settings. Durations are in milliseconds of audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// Consecutive speech needed before speech counts as started.
    pub start_ms: u32,
    /// Silence after speech that ends the utterance.
    pub end_silence_ms: u32,
    /// The longest utterance; speech still going on then ends with [`VadEvent::MaxLength`].
    pub max_utterance_ms: u32,
    /// How long to wait for speech to start before giving up with [`VadEvent::NoInput`].
    pub no_input_ms: u32,
    /// How far above the noise floor a frame must be to start speech, in dB.
    pub start_margin_db: f32,
    /// How far above the noise floor a frame must be to continue speech, in dB.
    pub continue_margin_db: f32,
    /// The lowest level that can be speech at all, in dBFS, however quiet the line.
    pub min_speech_dbfs: f32,
    /// How fast the noise floor rises towards louder frames while no one speaks, in dB per second.
    pub floor_rise_db_per_s: f32,
    /// How fast it rises during speech, in dB per second: slower, so an utterance does not lift its own floor.
    pub floor_rise_in_speech_db_per_s: f32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            start_ms: 100,
            end_silence_ms: 700,
            max_utterance_ms: 15_000,
            no_input_ms: 5_000,
            start_margin_db: 12.0,
            continue_margin_db: 7.0,
            min_speech_dbfs: -55.0,
            floor_rise_db_per_s: 6.0,
            floor_rise_in_speech_db_per_s: 0.5,
        }
    }
}

/// What the detector concluded after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VadEvent {
    /// No speech yet.
    Silence,
    /// Speech has just started (reported once, on the frame that completes [`VadConfig::start_ms`]): the moment
    /// to stop a prompt for barge-in.
    SpeechStarted,
    /// The utterance goes on (a pause shorter than [`VadConfig::end_silence_ms`] included).
    Speech,
    /// The utterance has ended after [`VadConfig::end_silence_ms`] of silence. Final.
    SpeechEnded,
    /// No speech started within [`VadConfig::no_input_ms`]. Final.
    NoInput,
    /// The utterance reached [`VadConfig::max_utterance_ms`]. Final.
    MaxLength,
}

impl VadEvent {
    /// Whether the detector has decided and will report this event for every further frame.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::SpeechEnded | Self::NoInput | Self::MaxLength)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Waiting for speech; `run` consecutive speech frames so far, the first of them at sample `run_start`.
    Waiting { run: u64, run_start: u64 },
    /// In an utterance that began at sample `start`; the last speech frame ended at sample `last_speech_end`.
    Speaking { start: u64, last_speech_end: u64 },
    /// Decided.
    Done(VadEvent),
}

/// An energy-based voice activity detector over 20 ms frames of 8 kHz linear PCM.
#[derive(Debug, Clone)]
pub struct Vad {
    config: VadConfig,
    state: State,
    /// Samples pushed so far: the detector's clock.
    samples: u64,
    /// The noise floor in dBFS; `None` until the first frame.
    floor: Option<f32>,
    /// Where the utterance lies, in samples, once it has ended.
    utterance: Option<(u64, u64)>,
}

impl Vad {
    /// A detector with `config`.
    #[must_use]
    pub fn new(config: VadConfig) -> Self {
        Self {
            config,
            state: State::Waiting {
                run: 0,
                run_start: 0,
            },
            samples: 0,
            floor: None,
            utterance: None,
        }
    }

    /// The detector's settings.
    #[must_use]
    pub fn config(&self) -> &VadConfig {
        &self.config
    }

    /// The current noise floor in dBFS, once a frame has been pushed.
    #[must_use]
    pub fn noise_floor_dbfs(&self) -> Option<f32> {
        self.floor
    }

    /// Samples pushed so far.
    #[must_use]
    pub fn samples_pushed(&self) -> u64 {
        self.samples
    }

    /// Where the speech lies in the pushed audio, as a sample range `[start, end)`: from the first frame of the
    /// run that started it to the end of its last speech frame. `None` before speech has started; while it goes
    /// on, the end is the end of the latest speech frame.
    #[must_use]
    pub fn speech(&self) -> Option<std::ops::Range<u64>> {
        match self.state {
            State::Speaking {
                start,
                last_speech_end,
            } => Some(start..last_speech_end),
            _ => self.utterance.map(|(start, end)| start..end),
        }
    }

    /// Feeds one frame (normally [`FRAME_SAMPLES`] samples; any length counts by its duration) and says where
    /// the caller is. After a final event every further frame returns that event again.
    pub fn push(&mut self, frame: &[i16]) -> VadEvent {
        if let State::Done(event) = self.state {
            return event;
        }
        let frame_start = self.samples;
        self.samples += frame.len() as u64;
        let level = level_dbfs(frame);
        let floor = *self.floor.get_or_insert(level);
        let seconds = frame.len() as f32 / SAMPLE_RATE_HZ as f32;
        let above = level - floor;
        let loud_enough = level >= self.config.min_speech_dbfs;

        let (event, rise) = match self.state {
            State::Waiting { run, run_start } => {
                let speech = loud_enough && above >= self.config.start_margin_db;
                let (run, run_start) = if speech {
                    (run + 1, if run == 0 { frame_start } else { run_start })
                } else {
                    (0, self.samples)
                };
                let event = if speech && ms(self.samples - run_start) >= self.config.start_ms {
                    self.state = State::Speaking {
                        start: run_start,
                        last_speech_end: self.samples,
                    };
                    VadEvent::SpeechStarted
                } else if ms(self.samples) >= self.config.no_input_ms {
                    self.state = State::Done(VadEvent::NoInput);
                    VadEvent::NoInput
                } else {
                    self.state = State::Waiting { run, run_start };
                    VadEvent::Silence
                };
                (event, self.config.floor_rise_db_per_s)
            }
            State::Speaking {
                start,
                mut last_speech_end,
            } => {
                if loud_enough && above >= self.config.continue_margin_db {
                    last_speech_end = self.samples;
                }
                let event = if ms(self.samples - last_speech_end) >= self.config.end_silence_ms {
                    VadEvent::SpeechEnded
                } else if ms(self.samples - start) >= self.config.max_utterance_ms {
                    VadEvent::MaxLength
                } else {
                    VadEvent::Speech
                };
                if event.is_final() {
                    self.utterance = Some((start, last_speech_end));
                    self.state = State::Done(event);
                } else {
                    self.state = State::Speaking {
                        start,
                        last_speech_end,
                    };
                }
                (event, self.config.floor_rise_in_speech_db_per_s)
            }
            State::Done(event) => (event, 0.0),
        };

        // The floor drops to a quieter frame at once and rises towards a louder one at a bounded rate.
        self.floor = Some(if level <= floor {
            level
        } else {
            (floor + rise * seconds).min(level)
        });
        event
    }
}

/// Milliseconds of audio in `samples`, saturating at `u32::MAX`.
fn ms(samples: u64) -> u32 {
    u32::try_from(samples * 1_000 / u64::from(SAMPLE_RATE_HZ)).unwrap_or(u32::MAX)
}

/// The level of a frame: its mean power relative to a full-scale square wave, in dB. An empty or all-zero frame
/// is [`SILENCE_DBFS`].
#[must_use]
pub fn level_dbfs(frame: &[i16]) -> f32 {
    if frame.is_empty() {
        return SILENCE_DBFS;
    }
    let power: f64 = frame
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / frame.len() as f64;
    let full = 32_768.0_f64 * 32_768.0;
    if power <= 0.0 {
        return SILENCE_DBFS;
    }
    ((10.0 * (power / full).log10()) as f32).max(SILENCE_DBFS)
}
