//! The default recogniser: Debian's pocketsphinx (0.8+5prealpha) with its US-English model, run as a child
//! process per utterance.
//!
//! Like espeak-ng for prompts, the engine runs as a separate program (`pocketsphinx_batch`), never through a
//! shell, with a time limit, and is killed when it exceeds it or when the caller stops waiting. Each utterance
//! gets a private working directory with four files: the audio (16 kHz raw PCM, upsampled from the call's
//! 8 kHz: the model was trained on 16 kHz speech and its filter bank, fixed in the model's `feat.params`,
//! reaches 6.8 kHz), the JSGF grammar of the expected phrases, a dictionary reduced to their words, and the
//! control file naming the utterance. The engine writes its best hypothesis and an N-best list there.
//!
//! The decoder is restricted to the grammar, so the answer is always one of the phrases, or nothing when no path
//! through the grammar fits the audio.
//!
//! # Confidence
//!
//! pocketsphinx computes no posterior for grammar searches (its word probabilities are all 1), so the confidence
//! is derived from the N-best list (`-nbest`). Every path in it is a competing reading of the audio with its path
//! score, a log-likelihood in pocketsphinx's integer log domain: paths that spell a whole phrase, and paths that
//! stop inside the grammar (`book an`), which is how the search says "something that begins like this phrase but
//! is not it". The confidence is the recognised phrase's share of the probability mass over the distinct word
//! sequences, each counted by its best path, with score differences divided by [`SCORE_SCALE`] (acoustic scores
//! of consecutive frames are far from independent, and scaling them down is what keeps one path from taking all
//! the mass). Prefixes of the recognised phrase itself are the same reading cut short and do not compete.
//!
//! Measured with espeak-ng's voice: a phrase of the grammar leaves the N-best list to itself (confidence 1),
//! while speech outside the grammar leaves many partial paths, often ahead of the hypothesis (confidence near
//! 0). When the engine writes no N-best list at all (it happens, for speech inside and outside the grammar
//! alike), there is no evidence either way and the confidence is 0.5.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::OnceCell;

use super::grammar::{self, Compiled, Dictionary};
use super::{
    AsrError, Grammar, Recognition, RecognitionStream, Recognizer, UtteranceBuffer, VadConfig,
    VadEvent,
};
use media::resample::Resampler;
use media::vad::SAMPLE_RATE_HZ;

/// The rate of the audio the model was trained on.
const MODEL_RATE_HZ: u32 = 16_000;
/// How many paths the N-best list holds.
const NBEST: &str = "20";
/// Score units per unit of log-probability in the confidence (see the module documentation).
const SCORE_SCALE: f64 = 100.0;
/// How much of the engine's error output an error keeps.
const MAX_DETAIL_BYTES: usize = 1 << 10;
/// The largest output file the engine may write: a hypothesis of a few words or an N-best list.
const MAX_OUTPUT_BYTES: u64 = 64 << 10;

/// Recognises US English with pocketsphinx and a grammar of the expected phrases.
#[derive(Debug, Clone)]
pub struct PocketsphinxRecognizer {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    binary: PathBuf,
    model_dir: PathBuf,
    work_dir: PathBuf,
    timeout: Duration,
    vad: VadConfig,
    dictionary: OnceCell<Arc<Dictionary>>,
    resampler: Arc<Resampler>,
}

impl PocketsphinxRecognizer {
    /// Where Debian's `pocketsphinx-en-us` puts the model.
    pub const DEFAULT_MODEL_DIR: &str = "/usr/share/pocketsphinx/model/en-us";
    /// How long decoding one utterance may take before the engine is killed.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A recogniser that runs `pocketsphinx_batch` from `PATH` with the model in [`Self::DEFAULT_MODEL_DIR`],
    /// working in the system's temporary directory, with the default end-of-speech settings.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                binary: PathBuf::from("pocketsphinx_batch"),
                model_dir: PathBuf::from(Self::DEFAULT_MODEL_DIR),
                work_dir: std::env::temp_dir(),
                timeout: Self::DEFAULT_TIMEOUT,
                vad: VadConfig::default(),
                dictionary: OnceCell::new(),
                resampler: Arc::new(Resampler::new(SAMPLE_RATE_HZ, MODEL_RATE_HZ)),
            }),
        }
    }

    fn with(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        change(Arc::make_mut(&mut self.inner));
        self
    }

    /// Runs the engine from `binary` instead of `pocketsphinx_batch` from `PATH`.
    #[must_use]
    pub fn with_binary(self, binary: impl Into<PathBuf>) -> Self {
        let binary = binary.into();
        self.with(|inner| inner.binary = binary)
    }

    /// Uses the model in `dir` (holding `en-us/` and `cmudict-en-us.dict`) instead of
    /// [`Self::DEFAULT_MODEL_DIR`].
    #[must_use]
    pub fn with_model_dir(self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.with(|inner| {
            inner.model_dir = dir;
            inner.dictionary = OnceCell::new();
        })
    }

    /// Puts the per-utterance working directories under `dir` instead of the system's temporary directory.
    #[must_use]
    pub fn with_work_dir(self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.with(|inner| inner.work_dir = dir)
    }

    /// Kills the engine after `timeout` instead of [`Self::DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.timeout = timeout)
    }

    /// Detects the start and end of speech with `config`.
    #[must_use]
    pub fn with_vad(self, config: VadConfig) -> Self {
        self.with(|inner| inner.vad = config)
    }

    /// Reads the model's pronunciation dictionary, once, off the async threads.
    async fn dictionary(&self) -> Result<Arc<Dictionary>, AsrError> {
        let path = self.inner.model_dir.join("cmudict-en-us.dict");
        self.inner
            .dictionary
            .get_or_try_init(|| async move {
                let read_path = path.clone();
                let dictionary = tokio::task::spawn_blocking(move || {
                    std::fs::read_to_string(&read_path).map(|text| Dictionary::parse(&text))
                })
                .await
                .map_err(io::Error::other)?
                .map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => AsrError::ModelMissing { path: path.clone() },
                    _ => AsrError::Io(e),
                })?;
                if dictionary.len() == 0 {
                    return Err(AsrError::ModelMissing { path });
                }
                Ok(Arc::new(dictionary))
            })
            .await
            .cloned()
    }
}

impl Default for PocketsphinxRecognizer {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Recognizer for PocketsphinxRecognizer {
    async fn start(
        &self,
        grammar: &Grammar,
        language: &str,
    ) -> Result<Box<dyn RecognitionStream>, AsrError> {
        let primary = language.split(['-', '_']).next().unwrap_or_default();
        let region = language.get(primary.len() + 1..).unwrap_or_default();
        if !primary.eq_ignore_ascii_case("en")
            || !(region.is_empty() || region.eq_ignore_ascii_case("us"))
        {
            return Err(AsrError::UnsupportedLanguage {
                language: language.to_owned(),
            });
        }
        let hmm = self.inner.model_dir.join("en-us");
        if !tokio::fs::try_exists(&hmm).await.unwrap_or(false) {
            return Err(AsrError::ModelMissing { path: hmm });
        }
        let dictionary = self.dictionary().await?;
        let compiled = grammar::compile(grammar, &dictionary).ok_or(AsrError::EmptyGrammar {
            phrases: grammar.phrases.len(),
        })?;
        if compiled.unknown_words > 0 {
            // Flow authors' words, not callers', but counting them is all an operator needs.
            tracing::debug!(
                unknown_words = compiled.unknown_words,
                phrases = compiled.phrases.len(),
                "asr grammar: words outside the dictionary left out"
            );
        }
        Ok(Box::new(PocketsphinxStream {
            buffer: UtteranceBuffer::new(self.inner.vad),
            grammar: Arc::new(compiled),
            inner: Arc::clone(&self.inner),
        }))
    }
}

/// One utterance for pocketsphinx.
#[derive(Debug)]
struct PocketsphinxStream {
    buffer: UtteranceBuffer,
    grammar: Arc<Compiled>,
    inner: Arc<Inner>,
}

#[async_trait]
impl RecognitionStream for PocketsphinxStream {
    fn push(&mut self, frame: &[i16]) -> VadEvent {
        self.buffer.push(frame)
    }

    async fn finish(self: Box<Self>) -> Result<Option<Recognition>, AsrError> {
        let Some(utterance) = self.buffer.utterance() else {
            return Ok(None);
        };
        let started = Instant::now();
        let audio_ms = utterance.len() as u64 * 1_000 / u64::from(SAMPLE_RATE_HZ);
        let utterance = utterance.to_vec();
        let inner = Arc::clone(&self.inner);
        // A 15-second utterance takes a few milliseconds to filter, but it is work for a blocking thread all
        // the same.
        let audio = tokio::task::spawn_blocking(move || {
            let samples = inner.resampler.process(&utterance);
            let mut bytes = Vec::with_capacity(samples.len() * 2);
            for sample in samples {
                bytes.extend_from_slice(&sample.to_le_bytes());
            }
            bytes
        })
        .await
        .map_err(io::Error::other)?;

        let dir = WorkDir::create(&self.inner.work_dir).await?;
        let outcome = decode(&self.inner, &self.grammar, dir.path(), &audio).await;
        dir.remove().await;
        let recognition = outcome?;
        tracing::info!(
            audio_ms,
            elapsed_ms = started.elapsed().as_millis() as u64,
            matched = recognition.is_some(),
            confidence = recognition.as_ref().map(|r| r.confidence),
            "asr utterance decoded"
        );
        Ok(recognition)
    }
}

/// Runs the engine on one utterance in `dir` and reads its answer.
async fn decode(
    inner: &Inner,
    grammar: &Compiled,
    dir: &Path,
    audio: &[u8],
) -> Result<Option<Recognition>, AsrError> {
    tokio::fs::write(dir.join("utt.raw"), audio).await?;
    tokio::fs::write(dir.join("grammar.jsgf"), &grammar.jsgf).await?;
    tokio::fs::write(dir.join("words.dict"), &grammar.dictionary).await?;
    tokio::fs::write(dir.join("utt.ctl"), "utt\n").await?;

    let mut command = Command::new(&inner.binary);
    command
        .arg("-hmm")
        .arg(inner.model_dir.join("en-us"))
        .arg("-dict")
        .arg(dir.join("words.dict"))
        .arg("-jsgf")
        .arg(dir.join("grammar.jsgf"))
        .arg("-ctl")
        .arg(dir.join("utt.ctl"))
        .arg("-cepdir")
        .arg(dir)
        .args(["-cepext", ".raw", "-adcin", "yes"])
        .arg("-samprate")
        .arg(MODEL_RATE_HZ.to_string())
        // Upsampled telephone audio has nothing above 4 kHz; a little dither keeps the model's upper filters
        // off log(0), and a fixed seed keeps the result reproducible.
        .args(["-dither", "yes", "-seed", "1"])
        .arg("-hyp")
        .arg(dir.join("utt.hyp"))
        .args(["-nbest", NBEST])
        .arg("-nbestdir")
        .arg(dir.join("nbest"))
        .arg("-logfn")
        .arg(dir.join("engine.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    tokio::fs::create_dir(dir.join("nbest")).await?;
    let mut child = command.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AsrError::EngineMissing {
            binary: inner.binary.clone(),
        },
        _ => AsrError::Io(e),
    })?;
    let stderr = child.stderr.take();
    let work = async {
        let stderr = match stderr {
            Some(stderr) => read_bounded(stderr, MAX_DETAIL_BYTES as u64).await?,
            None => Vec::new(),
        };
        let status = child.wait().await?;
        Ok::<_, io::Error>((status, stderr))
    };
    let (status, stderr) = match tokio::time::timeout(inner.timeout, work).await {
        Ok(result) => result?,
        Err(_) => {
            // start_kill fails only when the child has already been reaped, which is fine.
            let _ = child.start_kill();
            child.wait().await?;
            return Err(AsrError::Timeout {
                after: inner.timeout,
            });
        }
    };
    if !status.success() {
        let log = read_file_bounded(&dir.join("engine.log"))
            .await
            .unwrap_or_default();
        return Err(AsrError::EngineFailed {
            status: status.to_string(),
            detail: failure_detail(&log, &String::from_utf8_lossy(&stderr)),
        });
    }

    let hyp = read_file_bounded(&dir.join("utt.hyp")).await?;
    let nbest = read_file_bounded(&dir.join("nbest").join("utt.hyp"))
        .await
        .unwrap_or_default();
    answer(grammar, &hyp, &nbest)
}

/// The recognised phrase and its confidence from the engine's hypothesis file and N-best list.
fn answer(grammar: &Compiled, hyp: &str, nbest: &str) -> Result<Option<Recognition>, AsrError> {
    // One line: "words (utt score)"; no words when no path reached the grammar's end.
    let line = hyp.lines().next().ok_or(AsrError::BadOutput {
        reason: "no hypothesis line",
    })?;
    let words = line
        .rsplit_once(" (utt ")
        .or_else(|| line.strip_prefix("(utt ").map(|rest| ("", rest)))
        .ok_or(AsrError::BadOutput {
            reason: "the hypothesis line is not `words (utterance score)`",
        })?
        .0;
    let spelled = spell(words);
    if spelled.is_empty() {
        return Ok(None);
    }
    let Some((_, original)) = grammar.phrases.iter().find(|(s, _)| *s == spelled) else {
        return Err(AsrError::BadOutput {
            reason: "the hypothesis is not a phrase of the grammar",
        });
    };

    let hyp_score = line
        .rsplit_once(' ')
        .and_then(|(_, score)| score.trim_end_matches(')').parse::<i64>().ok());

    // The best score of every distinct word sequence in the N-best list ("words score" per line).
    let mut best: HashMap<String, i64> = HashMap::new();
    for line in nbest.lines() {
        let Some((words, score)) = line.trim().rsplit_once(' ') else {
            continue;
        };
        let (Ok(score), words) = (score.parse::<i64>(), spell(words)) else {
            continue;
        };
        let entry = best.entry(words).or_insert(score);
        *entry = (*entry).max(score);
    }
    Ok(Some(Recognition {
        text: original.clone(),
        confidence: posterior(&spelled, hyp_score, &best),
    }))
}

/// The share of `phrase` in the probability mass of the N-best word sequences, leaving out its own prefixes (and
/// empty paths). The phrase counts with its best N-best score, or with its hypothesis score when the list does
/// not hold it. 0.5 when the list is empty.
fn posterior(phrase: &str, hyp_score: Option<i64>, scores: &HashMap<String, i64>) -> f32 {
    let competes = |words: &str| {
        !words.is_empty()
            && words != phrase
            && !phrase
                .strip_prefix(words)
                .is_some_and(|rest| rest.starts_with(' '))
    };
    let rivals: Vec<i64> = scores
        .iter()
        .filter(|(words, _)| competes(words))
        .map(|(_, &score)| score)
        .collect();
    let own = scores.get(phrase).copied().or(hyp_score);
    let Some(own) = own.filter(|_| !scores.is_empty()) else {
        return 0.5;
    };
    let top = rivals.iter().copied().fold(own, i64::max);
    let weight = |score: i64| ((score - top) as f64 / SCORE_SCALE).exp();
    let mass: f64 = rivals.iter().map(|&score| weight(score)).sum();
    (weight(own) / (weight(own) + mass)) as f32
}

/// Words as the grammar spells them: alternate pronunciations (`an(2)`) and fillers (`<sil>`, `[NOISE]`)
/// removed.
fn spell(words: &str) -> String {
    words
        .split_whitespace()
        .filter(|w| !(w.starts_with('<') || w.starts_with('[') || *w == "(null)"))
        .map(|w| w.split_once('(').map_or(w, |(base, _)| base))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The engine's own error lines, which name files and settings, never the audio's content.
fn failure_detail(log: &str, stderr: &str) -> String {
    let mut detail: String = log
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("ERROR") || l.starts_with("FATAL"))
        .filter(|l| !l.contains("does not match the grammar"))
        .collect::<Vec<_>>()
        .join("; ");
    if detail.is_empty() {
        detail = "no error message".to_owned();
    }
    if detail.len() > MAX_DETAIL_BYTES {
        let mut cut = MAX_DETAIL_BYTES;
        while !detail.is_char_boundary(cut) {
            cut -= 1;
        }
        detail.truncate(cut);
    }
    detail
}

/// Reads a small output file, refusing one larger than [`MAX_OUTPUT_BYTES`].
async fn read_file_bounded(path: &Path) -> Result<String, AsrError> {
    let file = tokio::fs::File::open(path).await?;
    let bytes = read_bounded(file, MAX_OUTPUT_BYTES).await?;
    if bytes.len() as u64 >= MAX_OUTPUT_BYTES {
        return Err(AsrError::BadOutput {
            reason: "an output file is larger than any hypothesis",
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads `reader` to its end, keeping at most `limit` bytes and draining the rest so a writer never blocks.
async fn read_bounded(reader: impl AsyncRead + Unpin, limit: u64) -> io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let mut reader = reader.take(limit);
    reader.read_to_end(&mut kept).await?;
    tokio::io::copy(&mut reader.into_inner(), &mut tokio::io::sink()).await?;
    Ok(kept)
}

/// A private directory for one utterance, removed when done (or, failing that, when dropped).
#[derive(Debug)]
struct WorkDir {
    path: Option<PathBuf>,
}

impl WorkDir {
    async fn create(parent: &Path) -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        tokio::fs::create_dir_all(parent).await?;
        loop {
            let path = parent.join(format!(
                "hotline-asr-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            match tokio::fs::create_dir(&path).await {
                Ok(()) => return Ok(Self { path: Some(path) }),
                // Left over from an earlier process with the same id; take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new("."))
    }

    async fn remove(mut self) {
        if let Some(path) = self.path.take()
            && let Err(e) = tokio::fs::remove_dir_all(&path).await
        {
            tracing::warn!(dir = %path.display(), error = %e, "asr working directory not removed");
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Only reached when decoding was abandoned; a few small files.
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grammar() -> Compiled {
        let dictionary = Dictionary::parse(
            "yes Y EH S\nno N OW\nspeak S P IY K\nto T UW\nan AH N\nan(2) AE N\nagent EY JH AH N T\n",
        );
        grammar::compile(
            &Grammar::new(["Yes", "No", "Speak to an agent"]),
            &dictionary,
        )
        .unwrap()
    }

    #[test]
    fn the_hypothesis_maps_back_to_the_flow_phrase() {
        let g = grammar();
        let answer = answer(
            &g,
            "speak to an agent (utt -5006)\n",
            "speak to an(2) agent -5006\nspeak to an -4900\nspeak to an agent -5300\nno -5400\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(answer.text, "Speak to an agent");
        // "speak to an" is the same reading cut short; "no" trails by 394 units.
        let expected = 1.0 / (1.0 + (-394.0_f64 / SCORE_SCALE).exp());
        assert!(
            (f64::from(answer.confidence) - expected).abs() < 1e-4,
            "{}",
            answer.confidence
        );
    }

    #[test]
    fn partial_paths_ahead_of_the_hypothesis_make_it_doubtful() {
        // Measured on "the weather is lovely today" against yes/no/speak to an agent/....
        let answer = answer(
            &grammar(),
            "no (utt -8341)\n",
            "yes -4817\nspeak -8325\nno -8492\n",
        )
        .unwrap()
        .unwrap();
        assert!(answer.confidence < 0.01, "{}", answer.confidence);
    }

    #[test]
    fn no_path_through_the_grammar_is_no_answer() {
        assert_eq!(
            answer(&grammar(), " (utt 0)\n", "(null) -9516\n").unwrap(),
            None
        );
        assert_eq!(answer(&grammar(), "(utt 0)\n", "").unwrap(), None);
    }

    #[test]
    fn a_lone_phrase_is_certain_and_no_list_is_no_evidence() {
        let g = grammar();
        let lone = answer(&g, "yes (utt -2000)\n", "yes -2000\n")
            .unwrap()
            .unwrap();
        assert_eq!(lone.confidence, 1.0);
        let unknown = answer(&g, "yes (utt -2000)\n", "").unwrap().unwrap();
        assert_eq!(unknown.confidence, 0.5);
        let unlisted = answer(&g, "yes (utt -2000)\n", "no -2000\n")
            .unwrap()
            .unwrap();
        assert!((unlisted.confidence - 0.5).abs() < 1e-6);
    }

    #[test]
    fn output_that_is_not_pocketsphinx_s_is_refused() {
        assert!(matches!(
            answer(&grammar(), "", ""),
            Err(AsrError::BadOutput { .. })
        ));
        assert!(matches!(
            answer(&grammar(), "maybe (utt -1)\n", ""),
            Err(AsrError::BadOutput { .. })
        ));
        assert!(matches!(
            answer(&grammar(), "garbage\n", ""),
            Err(AsrError::BadOutput { .. })
        ));
    }
}
