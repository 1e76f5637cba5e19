//! From the bot to a human: the checks run on every caller message before the flow sees it
//! (crisis, a request for a person), the tenant's crisis text, and creating the task when a
//! conversation enters a queue (by the flow's `enqueue` node or by an automatic hand-over).

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::{ConversationId, TenantId};
use routing::{Channel, TaskId, TaskSpec};
use store::QueueEntry;

use super::centre::{CRISIS_PRIORITY, refused};
use super::model::TaskRecord;
use super::supervise::ContactSettings;
use crate::conversation::lock;
use crate::conversation::{HandOverCheck, HandOverReason, Understood};
use crate::{App, AppError, AppResult, random_bytes};

impl App {
    /// The tenant's crisis detector: the built-in lexicon and model plus the tenant's terms.
    pub(crate) async fn crisis_detector(&self, tenant: TenantId) -> Arc<nlu::CrisisDetector> {
        if let Some(d) = lock(&self.inner.contact.detectors).get(&tenant) {
            return d.clone();
        }
        let settings = self.contact_settings_of(tenant).await.unwrap_or_default();
        let builtin = nlu::CrisisDetector::builtin();
        let detector = match builtin.with_extra_terms(&settings.crisis_terms) {
            Ok(d) => d,
            Err(e) => {
                // Stored terms were validated when saved; never lose the built-in lexicon.
                tracing::warn!(error = %e, "tenant crisis terms unusable; built-in lexicon only");
                builtin
            }
        };
        let detector = Arc::new(detector);
        lock(&self.inner.contact.detectors).insert(tenant, detector.clone());
        detector
    }

    /// Checks one caller message for a crisis and for a request for a person.
    pub(crate) async fn hand_over_check(
        &self,
        tenant: TenantId,
        input: &flow::Input,
    ) -> HandOverCheck {
        match input {
            flow::Input::Text { text } | flow::Input::Speech { text, .. } => HandOverCheck {
                crisis: self.crisis_detector(tenant).await.check(text).is_some(),
                human: nlu::asks_for_human(text),
            },
            _ => HandOverCheck::default(),
        }
    }

    /// The tenant's crisis text in `language` (the tenant's own, else the built-in one).
    pub(crate) async fn crisis_text(&self, tenant: TenantId, language: &str) -> String {
        let settings = self.contact_settings_of(tenant).await.unwrap_or_default();
        settings.crisis_text_for(language)
    }

    /// The queue an automatic hand-over uses when the flow's fallback is not an `enqueue`.
    pub(crate) async fn handover_queue(&self, tenant: TenantId) -> String {
        self.contact_settings_of(tenant)
            .await
            .unwrap_or_default()
            .handover_queue
    }

    /// A conversation entered a queue: creates its task (or, when it already has a live one,
    /// moves it) and lets the router offer it.
    pub(crate) async fn task_for_entry(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        channel: domain::Channel,
        entry: &QueueEntry,
        understood: Understood,
        reason: HandOverReason,
    ) -> AppResult<()> {
        let id = data_encoding::HEXLOWER.encode(&random_bytes::<16>()?);
        let now_ts = self.now();
        let crisis = reason == HandOverReason::Crisis;
        let priority = if crisis {
            CRISIS_PRIORITY
        } else {
            i32::try_from(entry.priority).unwrap_or(0)
        };
        let mut variables = understood.variables;
        if let Ok(context) = serde_json::from_str::<BTreeMap<String, String>>(&entry.context) {
            variables.extend(context.into_iter().filter(|(_, v)| !v.is_empty()));
        }
        self.with_centre(tenant, |c, now| {
            c.ensure_queue(&entry.queue, now)?;
            if let Some(existing) = c.by_conversation.get(&conversation).cloned() {
                let tid = TaskId::new(existing.as_str());
                if c.router.task(&tid).is_some_and(|t| !t.state.is_final()) {
                    return Ok(());
                }
            }
            let spec = TaskSpec {
                id: TaskId::new(id.as_str()),
                channel: match channel {
                    domain::Channel::Voice => Channel::Voice,
                    domain::Channel::Chat => Channel::Chat,
                    // An agent's messaging capacity covers SMS and WhatsApp alike.
                    domain::Channel::Sms | domain::Channel::Whatsapp => Channel::Sms,
                },
                queue: routing::QueueId::new(entry.queue.as_str()),
                priority,
                language: Some(understood.language.clone()).filter(|l| !l.is_empty()),
                attributes: BTreeMap::from([
                    ("reason".to_owned(), reason.as_str().to_owned()),
                    ("channel".to_owned(), channel.as_str().to_owned()),
                ]),
            };
            // The agent must speak the caller's language when some agent does; a language no
            // agent speaks must not leave the caller waiting forever.
            let spec = if spec.language.as_ref().is_some_and(|l| {
                !c.agents
                    .values()
                    .any(|p| p.languages.is_empty() || p.languages.contains(l))
            }) {
                TaskSpec {
                    language: None,
                    ..spec
                }
            } else {
                spec
            };
            c.router.handle_enqueue(spec, now).map_err(refused)?;
            let routing = c
                .router
                .task(&TaskId::new(id.as_str()))
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("task vanished")))?;
            c.tasks.insert(
                id.clone(),
                TaskRecord {
                    id: id.clone(),
                    conversation_id: conversation,
                    channel,
                    reason,
                    crisis,
                    language: understood.language,
                    intent: understood.intent,
                    confidence: understood.confidence,
                    variables,
                    routing,
                    created_at: now_ts,
                    answered_at: None,
                    talk_ended_at: None,
                    ended_at: None,
                    wrap_up_code: None,
                    first_queue: entry.queue.clone(),
                    call_back: None,
                },
            );
            c.by_conversation.insert(conversation, id.clone());
            c.touched.insert(id.clone());
            Ok(())
        })
        .await
    }

    /// A crisis in a conversation that already has a task: flag it and move it to the front.
    pub(crate) async fn mark_crisis(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
    ) -> AppResult<()> {
        self.with_centre(tenant, |c, now| {
            let Some(id) = c.by_conversation.get(&conversation).cloned() else {
                return Ok(());
            };
            let tid = TaskId::new(id.as_str());
            if let Some(r) = c.tasks.get_mut(&id) {
                r.crisis = true;
            }
            c.touched.insert(id.clone());
            if c.router
                .task(&tid)
                .is_some_and(|t| t.state.is_waiting() && t.spec.priority < CRISIS_PRIORITY)
            {
                c.router
                    .handle_set_priority(&tid, CRISIS_PRIORITY, now)
                    .map_err(refused)?;
            }
            Ok(())
        })
        .await
    }
}

impl ContactSettings {
    /// The crisis text for a language: the tenant's, else the built-in German or English.
    pub(crate) fn crisis_text_for(&self, language: &str) -> String {
        let key = if language.starts_with("de") {
            "de"
        } else {
            "en"
        };
        self.crisis_text
            .get(language)
            .or_else(|| self.crisis_text.get(key))
            .cloned()
            .unwrap_or_else(|| builtin_crisis_text(key).to_owned())
    }
}

/// The built-in crisis texts: where immediate help is, said with empathy.
pub fn builtin_crisis_text(language: &str) -> &'static str {
    if language.starts_with("de") {
        "Es tut mir sehr leid, dass es Ihnen gerade so schlecht geht. Sie sind nicht allein. \
         Wenn Sie in akuter Gefahr sind, rufen Sie bitte sofort den Notruf 112. Die \
         TelefonSeelsorge ist rund um die Uhr kostenfrei und anonym für Sie da: 0800 111 0 111 \
         oder 0800 111 0 222. Ich verbinde Sie jetzt vorrangig mit einer Beraterin oder einem \
         Berater."
    } else {
        "I am so sorry you are going through this. You are not alone. If you are in immediate \
         danger, please call the emergency number now: 112 (Europe), 911 (North America), 999 \
         (UK). You can talk to someone at any time: Samaritans 116 123 (UK and Ireland), or \
         call or text 988 (US). I am connecting you with a counsellor now, as a priority."
    }
}
