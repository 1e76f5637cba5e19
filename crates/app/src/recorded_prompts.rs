//! Recorded prompts: audio an operator uploads for `say` nodes (`audio: welcome`). The upload
//! is decoded once into the telephone's format (8 kHz µ-law, by `media::prompt`) and kept in
//! the store; calls play it, the UI plays it back as WAV. A `say` that names a prompt the
//! tenant does not have is a validation error (`missing-audio`), so nothing falls silent or is
//! spoken instead without the operator knowing; a prompt a flow uses cannot be deleted.
//!
//! Text prompts can be heard before a call as well: [`App::preview_speech`] synthesises them
//! with the engine calls use.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use domain::{AuditAction, TenantId};
use flow::{Diagnostic, FlowDocument, Node};
use media::prompt::{AudioError, decode_to_telephone};
use security::rbac::Permission;
use store::{Prompt, PromptInfo};

use crate::ports::{Synthesizer, Voice};
use crate::{App, AppError, AppResult, Principal};

/// The largest upload: 20 MB.
pub const MAX_PROMPT_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// The speech engine, installed once at start-up (none in tests without voice).
#[derive(Debug, Default)]
pub(crate) struct SpeechRuntime {
    synthesizer: OnceLock<Arc<dyn Synthesizer>>,
}

/// A prompt as listed, with the flows that use it.
#[derive(Debug, Clone)]
pub struct PromptListing {
    /// Name, format, size, length and times.
    pub info: PromptInfo,
    /// The names of the flows whose draft or live version plays it.
    pub used_by: Vec<String>,
}

/// Whether `name` may name a prompt: 1–64 of `a-z 0-9 - _ .`, starting with a letter or digit.
pub fn valid_prompt_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn check_name(name: &str) -> AppResult<()> {
    if valid_prompt_name(name) {
        Ok(())
    } else {
        Err(AppError::field(
            "name",
            "a prompt's name has 1 to 64 characters: lower-case letters, digits, - _ and ., \
             starting with a letter or digit",
        ))
    }
}

/// The recorded prompts a document's `say` nodes play, with the node and its index.
fn audio_uses(doc: &FlowDocument) -> Vec<(usize, &str, &str)> {
    doc.nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| match node {
            Node::Say(say) => say.audio.as_deref().map(|a| (i, say.id.as_str(), a)),
            _ => None,
        })
        .collect()
}

impl App {
    /// Installs the speech engine (once, at start-up), for previews of text prompts.
    pub fn set_synthesizer(&self, synthesizer: Arc<dyn Synthesizer>) {
        let _ = self.inner.speech.synthesizer.set(synthesizer);
    }

    /// Decodes an upload into the telephone's format and stores it under `name`, replacing a
    /// prompt of that name. Calls that start from now on play the new audio.
    pub async fn put_prompt(
        &self,
        who: &Principal,
        name: &str,
        bytes: Vec<u8>,
    ) -> AppResult<PromptInfo> {
        who.require(Permission::FlowsManage)?;
        check_name(name)?;
        if bytes.len() > MAX_PROMPT_UPLOAD_BYTES {
            return Err(AppError::field(
                "file",
                format!(
                    "the file has {} MB; a prompt file has at most {} MB",
                    bytes.len().div_ceil(1024 * 1024),
                    MAX_PROMPT_UPLOAD_BYTES / (1024 * 1024)
                ),
            ));
        }
        let source_bytes = bytes.len() as i64;
        let decoded = tokio::task::spawn_blocking(move || decode_to_telephone(&bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("decoding a prompt")))?
            .map_err(|e| match e {
                AudioError::NotAudio => AppError::field(
                    "file",
                    "this is not an audio file Hotline reads: upload WAV, MP3, Ogg Vorbis or Ogg Opus",
                ),
                AudioError::TooLong => {
                    AppError::field("file", "the recording is longer than 5 minutes")
                }
                AudioError::Empty => AppError::field("file", "the file holds no audio"),
                AudioError::Damaged { format, .. } => AppError::field(
                    "file",
                    format!("the {format} file is damaged or uses a feature Hotline cannot decode"),
                ),
            })?;
        let mut ulaw = Vec::with_capacity(decoded.samples.len());
        media::g711::ulaw_encode_into(&decoded.samples, &mut ulaw);
        let now = self.now();
        let created_at = self
            .store()
            .list_prompts(who.tenant_id)
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .map_or(now, |p| p.created_at);
        let info = PromptInfo {
            name: name.to_owned(),
            format: decoded.format.as_str().to_owned(),
            source_bytes,
            duration_ms: decoded.duration_ms() as i64,
            created_at,
            updated_at: now,
        };
        self.store()
            .put_prompt(
                who.tenant_id,
                &Prompt {
                    info: info.clone(),
                    ulaw,
                },
            )
            .await?;
        self.audit_success(who, AuditAction::PromptPut, name)
            .await?;
        Ok(info)
    }

    /// The tenant's prompts, each with the flows that play it.
    pub async fn list_prompts(&self, who: &Principal) -> AppResult<Vec<PromptListing>> {
        who.require(Permission::FlowsRead)?;
        let prompts = self.store().list_prompts(who.tenant_id).await?;
        let uses = self.prompt_uses(who.tenant_id).await?;
        Ok(prompts
            .into_iter()
            .map(|info| PromptListing {
                used_by: uses
                    .iter()
                    .filter(|(_, audio)| audio.contains(&info.name))
                    .map(|(flow, _)| flow.clone())
                    .collect(),
                info,
            })
            .collect())
    }

    /// A prompt as a WAV file (16-bit PCM at 8 kHz: what the caller hears), for the UI's player.
    pub async fn prompt_wav(&self, who: &Principal, name: &str) -> AppResult<Vec<u8>> {
        who.require(Permission::FlowsRead)?;
        let prompt = self
            .store()
            .get_prompt(who.tenant_id, name)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut pcm = Vec::with_capacity(prompt.ulaw.len());
        media::g711::ulaw_decode_into(&prompt.ulaw, &mut pcm);
        Ok(media::wav::encode_pcm16(&pcm, media::prompt::TELEPHONE_HZ))
    }

    /// Deletes a prompt no flow plays (draft or live version); one in use is refused.
    pub async fn delete_prompt(&self, who: &Principal, name: &str) -> AppResult<()> {
        who.require(Permission::FlowsManage)?;
        let uses = self.prompt_uses(who.tenant_id).await?;
        if uses.iter().any(|(_, audio)| audio.contains(name)) {
            return Err(AppError::Refused {
                code: "prompt-in-use",
                detail: "A flow plays this prompt (in its draft or its live version). Remove it \
                         from the flow's say nodes and publish first.",
            });
        }
        if !self.store().delete_prompt(who.tenant_id, name).await? {
            return Err(AppError::NotFound);
        }
        self.audit_success(who, AuditAction::PromptDelete, name)
            .await
    }

    /// A prompt's audio for a call: 8 kHz linear PCM, or `None` when the tenant has no prompt
    /// of that name (deleted since the flow was published).
    pub async fn prompt_samples(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> AppResult<Option<Arc<[i16]>>> {
        Ok(self.store().get_prompt(tenant, name).await?.map(|p| {
            let mut pcm = Vec::with_capacity(p.ulaw.len());
            media::g711::ulaw_decode_into(&p.ulaw, &mut pcm);
            Arc::from(pcm)
        }))
    }

    /// Synthesises a text as a call would speak it and returns it as a WAV file (8 kHz).
    pub async fn preview_speech(
        &self,
        who: &Principal,
        text: &str,
        language: &str,
        voice: Option<String>,
    ) -> AppResult<Vec<u8>> {
        who.require(Permission::FlowsRead)?;
        if text.trim().is_empty() {
            return Err(AppError::field("text", "write the text to hear"));
        }
        if text.chars().count() > crate::ports::Prompt::MAX_TEXT_CHARS {
            return Err(AppError::field(
                "text",
                format!(
                    "a prompt has at most {} characters",
                    crate::ports::Prompt::MAX_TEXT_CHARS
                ),
            ));
        }
        if !matches!(language, "de" | "en") {
            return Err(AppError::field(
                "language",
                "speech is synthesised in de or en",
            ));
        }
        let synthesizer = self.inner.speech.synthesizer.get().ok_or(AppError::Refused {
            code: "no-speech-engine",
            detail: "This server has no speech engine (the phone channel is off), so texts cannot \
                     be heard here.",
        })?;
        let prompt = synthesizer
            .synthesize(
                text,
                &Voice {
                    language: language.to_owned(),
                    name: voice,
                },
            )
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("synthesising a preview: {e}")))?;
        Ok(media::wav::encode_pcm16(
            &prompt.samples,
            crate::ports::Prompt::SAMPLE_RATE_HZ,
        ))
    }

    /// `missing-audio` errors for the `say` nodes of `doc` that name a prompt the tenant does
    /// not have.
    pub(crate) async fn audio_findings(
        &self,
        tenant: TenantId,
        doc: &FlowDocument,
    ) -> AppResult<Vec<Diagnostic>> {
        let uses = audio_uses(doc);
        if uses.is_empty() {
            return Ok(Vec::new());
        }
        let have: BTreeSet<String> = self
            .store()
            .list_prompts(tenant)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok(uses
            .into_iter()
            .filter(|(_, _, audio)| !have.contains(*audio))
            .map(|(i, id, audio)| {
                Diagnostic::error(
                    flow::diagnostic::codes::MISSING_AUDIO,
                    format!("nodes[{i}].audio"),
                    format!("there is no recorded prompt named {audio:?}"),
                )
                .with_node(id)
            })
            .collect())
    }

    /// For each flow of the tenant, its name and the prompts its draft and live version play.
    async fn prompt_uses(&self, tenant: TenantId) -> AppResult<Vec<(String, BTreeSet<String>)>> {
        let mut out = Vec::new();
        for flow in self.store().list_flows(tenant).await? {
            let mut audio = BTreeSet::new();
            let mut sources = vec![flow.draft.clone()];
            if let Some(version) = flow.active_version
                && let Some(live) = self
                    .store()
                    .get_flow_version(tenant, flow.id, version)
                    .await?
            {
                sources.push(live.source);
            }
            for source in sources {
                if let Ok(doc) = flow::parse_auto(&source, None) {
                    audio.extend(audio_uses(&doc).into_iter().map(|(_, _, a)| a.to_owned()));
                }
            }
            if !audio.is_empty() {
                out.push((flow.name, audio));
            }
        }
        Ok(out)
    }
}
