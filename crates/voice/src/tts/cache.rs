//! Where synthesised prompts are kept: a file per prompt on disk, so that a restart or another node sharing the
//! directory finds them, and a small in-memory map in front of it for the prompts calls play right now.
//!
//! A prompt's name is the SHA-256 of its engine settings, voice and text, so equal requests share a file and the
//! name reveals nothing of the text. Files are raw 16-bit little-endian samples at 8 kHz, written to a temporary
//! name and renamed into place, so a reader never sees half a prompt even when two nodes write the same one.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::{Prompt, Voice};

/// Bumped whenever the audio for the same request would change (engine arguments, resampler), so that old files
/// are not served for new settings.
const FORMAT: &str = "hotline-tts-v1";

/// The cache key of a request: lowercase hex SHA-256 over the engine settings, the voice and the text, each
/// length-prefixed so that no two different requests encode alike.
pub(crate) fn key(engine: &str, voice: &Voice, text: &str) -> String {
    let mut hasher = Sha256::new();
    let name = voice.name.as_deref().unwrap_or("");
    for part in [FORMAT, engine, &voice.language, name, text] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// The file that holds the prompt with `key`.
pub(crate) fn path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.pcm"))
}

/// Loads a prompt from disk; `Ok(None)` when it is not there or not a whole number of samples (a foreign or
/// damaged file, which the caller then overwrites).
pub(crate) async fn load(file: &Path) -> io::Result<Option<Prompt>> {
    let bytes = match tokio::fs::read(file).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if bytes.len() % 2 != 0 {
        return Ok(None);
    }
    let samples = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    Ok(Some(Prompt { samples }))
}

/// Writes a prompt to disk atomically: to a temporary file in the same directory, then renamed into place.
pub(crate) async fn store(dir: &Path, key: &str, prompt: &Prompt) -> io::Result<()> {
    // Unique per process and write, so concurrent writers of the same prompt never share a temporary file.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    tokio::fs::create_dir_all(dir).await?;
    let bytes: Vec<u8> = prompt
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let temporary = dir.join(format!(".{key}.{}.{n}.tmp", std::process::id()));
    if let Err(e) = tokio::fs::write(&temporary, &bytes).await {
        let _ = tokio::fs::remove_file(&temporary).await;
        return Err(e);
    }
    if let Err(e) = tokio::fs::rename(&temporary, path(dir, key)).await {
        let _ = tokio::fs::remove_file(&temporary).await;
        return Err(e);
    }
    Ok(())
}

/// The prompt with `key`, from memory or from disk (then kept in memory too); `None` when it
/// has to be synthesised. An unreadable file is logged and synthesised again.
pub(crate) async fn lookup(
    dir: &Path,
    memory: &std::sync::Mutex<Memory>,
    key: &str,
) -> Option<Prompt> {
    let in_memory = memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(key);
    if let Some(prompt) = in_memory {
        tracing::debug!(prompt = %key, duration_ms = prompt.duration_ms(), "tts prompt from memory");
        return Some(prompt);
    }
    match load(&path(dir, key)).await {
        Ok(Some(prompt)) => {
            memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key.to_owned(), prompt.clone());
            tracing::debug!(prompt = %key, duration_ms = prompt.duration_ms(), "tts prompt from disk");
            Some(prompt)
        }
        Ok(None) => None,
        // The cache only saves work; an unreadable file is synthesised again and then overwritten.
        Err(e) => {
            tracing::warn!(prompt = %key, error = %e, "tts cache file unreadable");
            None
        }
    }
}

/// Keeps a newly synthesised prompt on disk (a failure is logged: the cache only saves work)
/// and in memory.
pub(crate) async fn keep(
    dir: &Path,
    memory: &std::sync::Mutex<Memory>,
    key: &str,
    prompt: &Prompt,
) {
    if let Err(e) = store(dir, key, prompt).await {
        tracing::warn!(prompt = %key, dir = %dir.display(), error = %e, "tts cache not written");
    }
    memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key.to_owned(), prompt.clone());
}

/// Prompts in memory, bounded by count; when full, the least recently used one leaves. A linear scan finds it,
/// which for a few hundred entries costs less than keeping an ordered list up to date on every hit.
#[derive(Debug)]
pub(crate) struct Memory {
    capacity: usize,
    clock: u64,
    entries: HashMap<String, (Prompt, u64)>,
}

impl Memory {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    pub(crate) fn get(&mut self, key: &str) -> Option<Prompt> {
        self.clock += 1;
        let (prompt, used) = self.entries.get_mut(key)?;
        *used = self.clock;
        Some(prompt.clone())
    }

    pub(crate) fn insert(&mut self, key: String, prompt: Prompt) {
        if self.capacity == 0 {
            return;
        }
        self.clock += 1;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (prompt, self.clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(n: i16) -> Prompt {
        Prompt {
            samples: vec![n].into(),
        }
    }

    #[test]
    fn memory_evicts_the_least_recently_used_prompt() {
        let mut memory = Memory::new(2);
        memory.insert("a".into(), prompt(1));
        memory.insert("b".into(), prompt(2));
        assert_eq!(memory.get("a"), Some(prompt(1)));
        memory.insert("c".into(), prompt(3));
        assert_eq!(memory.get("b"), None);
        assert_eq!(memory.get("a"), Some(prompt(1)));
        assert_eq!(memory.get("c"), Some(prompt(3)));
    }

    #[test]
    fn keys_differ_by_voice_and_text_and_are_hex_sha256() {
        let german = key("espeak-ng", &Voice::german(), "Hallo");
        assert_eq!(german.len(), 64);
        assert!(
            german
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(german, key("espeak-ng", &Voice::english(), "Hallo"));
        assert_ne!(german, key("espeak-ng", &Voice::german(), "Hallo!"));
        let variant = Voice {
            name: Some("f3".into()),
            ..Voice::german()
        };
        assert_ne!(german, key("espeak-ng", &variant, "Hallo"));
    }
}
