//! Privacy: what a call keeps of the caller (each number's caller-ID mode), what the audit
//! log keeps of a request's source address, the tenant's retention periods and the job that
//! carries them out, data-subject export and erasure, and the record of processing
//! activities (GDPR Art. 30) generated from the configuration.
//!
//! Deleting is crypto-shredding first: a conversation's data key, a recording's key, an audit
//! month's key go, and with them every copy of what was sealed under them, backups included;
//! then the rows and files.

use std::sync::Arc;

use data_encoding::BASE64;
use domain::{
    AuditAction, CallerIdMode, ConversationId, DataClass, PrivacySettings, Redacted, TenantId,
    Timestamp,
};
use serde::Serialize;
use store::vault::kind;

use crate::ports::RecordingFiles;
use crate::{App, AppError, AppResult, ConversationEvent, Principal};

/// The pseudonym purpose of callers' addresses.
const CALLER: &str = "caller";
/// The pseudonym purpose of source addresses in the audit log.
const SOURCE_IP: &str = "source_ip";
/// Conversations (or keys) the retention job deletes per batch.
const EXPIRY_BATCH: u32 = 200;
/// A day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whose data a data-subject request is about.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A caller's number (or SIP user) as they give it; found through its pseudonym, so it
    /// works under the identified and the pseudonymised mode alike.
    Address(Redacted<String>),
    /// A contact's pseudonym, as an export shows it.
    Contact(String),
    /// One conversation (a chat visitor has no number: they give their conversation's id).
    Conversation(ConversationId),
}

/// Everything kept about one contact.
#[derive(Debug, Serialize)]
pub struct ContactExport {
    /// The contact's pseudonym (none for a single conversation without a contact).
    pub contact: Option<String>,
    /// When the export was made (RFC 3339).
    pub exported_at: String,
    /// Their conversations, oldest first.
    pub conversations: Vec<ExportedConversation>,
}

/// One conversation in an export.
#[derive(Debug, Serialize)]
pub struct ExportedConversation {
    /// Its id.
    pub id: String,
    /// `chat` or `voice`.
    pub channel: String,
    /// Where it stands.
    pub status: String,
    /// The flow and version that ran it.
    pub flow_id: String,
    /// The flow version.
    pub flow_version: i64,
    /// When it began and last changed.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The caller's address, while it is kept (identified mode only).
    pub address: Option<String>,
    /// The transcript.
    pub messages: Vec<ExportedMessage>,
    /// Staff's internal notes about it.
    pub notes: Vec<ExportedMessage>,
    /// Its contact-centre tasks, as stored (hand-over context, routing times).
    pub tasks: Vec<serde_json::Value>,
    /// Its recordings, opened.
    pub recordings: Vec<ExportedRecording>,
}

/// A message or note in an export.
#[derive(Debug, Serialize)]
pub struct ExportedMessage {
    /// Who: `user`, `bot`, `agent`, `system`, or the staff member's id for a note.
    pub from: String,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A recording in an export.
#[derive(Debug, Serialize)]
pub struct ExportedRecording {
    /// Its reference.
    pub reference: String,
    /// `audio/wav`.
    pub content_type: &'static str,
    /// The audio, base64.
    pub data_base64: String,
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The contact's pseudonym, if the request named one.
    pub contact: Option<String>,
    /// Conversations erased.
    pub conversations: usize,
    /// Of those, how many were still running (they were ended first).
    pub ended_running: usize,
    /// Recording files deleted.
    pub recordings: usize,
}

/// What one pass of the retention job deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    /// Ended conversations deleted.
    pub conversations: u64,
    /// Recordings whose keys and files were deleted.
    pub recordings: u64,
    /// Callers' addresses forgotten.
    pub addresses: u64,
    /// Audit months whose source addresses were shredded.
    pub audit_months: u64,
}

impl ExpiryReport {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn add(&mut self, other: &Self) {
        self.conversations += other.conversations;
        self.recordings += other.recordings;
        self.addresses += other.addresses;
        self.audit_months += other.audit_months;
    }
}

/// The record of processing activities (GDPR Art. 30(1)), generated from the tenant's
/// configuration: the controller fills in the parts only they know (their name and contact,
/// the data protection officer) where it says so.
#[derive(Debug, Serialize)]
pub struct ProcessingRecord {
    /// The controller: the tenant's name.
    pub controller: String,
    /// When this record was generated.
    pub generated_at: String,
    /// The processing activities.
    pub activities: Vec<Activity>,
    /// Technical and organisational measures (Art. 32) in place.
    pub security_measures: Vec<String>,
}

/// One processing activity.
#[derive(Debug, Serialize)]
pub struct Activity {
    /// Its name.
    pub name: String,
    /// Why.
    pub purposes: Vec<String>,
    /// Whose data.
    pub data_subjects: Vec<String>,
    /// What data.
    pub categories: Vec<String>,
    /// Who receives it.
    pub recipients: Vec<String>,
    /// How long it is kept.
    pub retention: String,
}

impl App {
    /// Sets where recording files live (the call shell's folder), for exports, erasure and
    /// retention. Without it, recordings are shredded by key only.
    pub fn set_recording_files(&self, files: Arc<dyn RecordingFiles>) {
        let _ = self.inner.recording_files.set(files);
    }

    fn recording_files(&self) -> Option<&Arc<dyn RecordingFiles>> {
        self.inner.recording_files.get()
    }

    /// Records who called, as the number's caller-ID mode says: the pseudonym (and, when
    /// identified, the address sealed under the conversation's key), or nothing.
    pub(crate) async fn record_caller(
        &self,
        tenant: TenantId,
        conversation: ConversationId,
        mode: CallerIdMode,
        caller: &Redacted<String>,
    ) -> AppResult<()> {
        let now = self.now();
        // Pseudonymised: the number is kept sealed only while the conversation may still
        // need it (a follow-up SMS through the number proxy), read by no one, then dropped.
        let transient = match mode {
            CallerIdMode::Anonymous => return Ok(()),
            CallerIdMode::Pseudonymised => true,
            CallerIdMode::Identified => false,
        };
        let contact = self.caller_pseudonym(tenant, caller.expose()).await?;
        self.store()
            .record_contact(
                tenant,
                conversation,
                &contact,
                Some(caller.expose().as_str()),
                transient,
                now,
            )
            .await?;
        Ok(())
    }

    /// A caller's pseudonym: of the number in international form when it is one (so
    /// `+4930…`, `004930…` and `030…` are one contact, national numbers read in the tenant's
    /// country), of the address as given otherwise (a SIP user).
    pub(crate) async fn caller_pseudonym(
        &self,
        tenant: TenantId,
        address: &str,
    ) -> AppResult<String> {
        let policy = self.contact_settings_of(tenant).await?.outbound_policy();
        let normalized = crate::fraud::classify(address, &policy)
            .map_or_else(|| address.to_owned(), |d| d.international);
        Ok(self
            .store()
            .pseudonym(tenant, CALLER, &normalized, self.now())
            .await?)
    }

    /// What the audit log keeps of a source address under the tenant's setting.
    pub(crate) async fn audit_source(
        &self,
        tenant: TenantId,
        ip: String,
    ) -> AppResult<Option<String>> {
        Ok(
            match self.store().privacy_settings(tenant).await?.audit_source_ip {
                CallerIdMode::Identified => Some(ip),
                CallerIdMode::Pseudonymised => Some(
                    self.store()
                        .pseudonym(tenant, SOURCE_IP, &ip, self.now())
                        .await?,
                ),
                CallerIdMode::Anonymous => None,
            },
        )
    }

    /// The tenant's privacy settings.
    pub async fn privacy_settings(&self, who: &Principal) -> AppResult<PrivacySettings> {
        who.require(security::rbac::Permission::AuditRead)?;
        Ok(self.store().privacy_settings(who.tenant_id).await?)
    }

    /// Replaces the tenant's privacy settings (admins). Every period must be 1 day to 10
    /// years. Audited.
    pub async fn put_privacy_settings(
        &self,
        who: &Principal,
        settings: PrivacySettings,
    ) -> AppResult<PrivacySettings> {
        who.require(security::rbac::Permission::ConfigManage)?;
        if let Some(class) = settings.retention.invalid_class() {
            let field = match class {
                DataClass::Transcripts => "retention.transcripts_days",
                DataClass::Recordings => "retention.recordings_days",
                DataClass::Addresses => "retention.addresses_days",
                DataClass::AuditMetadata => "retention.audit_metadata_days",
            };
            return Err(AppError::field(
                field,
                format!("1 to {} days", domain::MAX_RETENTION_DAYS),
            ));
        }
        self.store()
            .put_privacy_settings(who.tenant_id, &settings, self.now())
            .await?;
        self.audit_success(who, AuditAction::PrivacySettingsPut, who.tenant_id)
            .await?;
        Ok(settings)
    }

    /// The conversations a request is about, and the contact's pseudonym.
    async fn subject_conversations(
        &self,
        tenant: TenantId,
        subject: &Subject,
    ) -> AppResult<(Option<String>, Vec<ConversationId>)> {
        let contact = match subject {
            Subject::Address(address) => {
                let text = address.expose().trim();
                if text.is_empty() || text.len() > 64 {
                    return Err(AppError::field("address", "a phone number or SIP user"));
                }
                Some(self.caller_pseudonym(tenant, text).await?)
            }
            Subject::Contact(c) => {
                if !c.starts_with(security::crypto::PSEUDONYM_PREFIX) || c.len() > 64 {
                    return Err(AppError::field("contact", "a contact pseudonym (p_…)"));
                }
                Some(c.clone())
            }
            Subject::Conversation(id) => {
                self.store()
                    .get_conversation(tenant, *id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                return Ok((None, vec![*id]));
            }
        };
        let contact = contact.unwrap_or_default();
        let ids = self
            .store()
            .conversations_of_contact(tenant, &contact)
            .await?;
        if ids.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok((Some(contact), ids))
    }

    /// Everything kept about one contact (a data-subject access request, Art. 15): every
    /// conversation with its transcript, notes, tasks, address and recordings. Admins only;
    /// audited with the contact's pseudonym (never the number).
    pub async fn export_contact(
        &self,
        who: &Principal,
        subject: &Subject,
    ) -> AppResult<ContactExport> {
        who.require(security::rbac::Permission::ConfigManage)?;
        let tenant = who.tenant_id;
        let (contact, ids) = self.subject_conversations(tenant, subject).await?;
        let mut conversations = Vec::with_capacity(ids.len());
        for id in ids {
            conversations.push(self.export_conversation(tenant, id).await?);
        }
        let object = contact
            .clone()
            .unwrap_or_else(|| conversations[0].id.clone());
        self.audit_success(who, AuditAction::ContactExport, object)
            .await?;
        Ok(ContactExport {
            contact,
            exported_at: self.now().to_rfc3339(),
            conversations,
        })
    }

    async fn export_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> AppResult<ExportedConversation> {
        let store = self.store();
        let conv = store
            .get_conversation(tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut messages = Vec::new();
        let mut after = 0;
        loop {
            let page = store.messages_after(tenant, id, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            messages.extend(page.into_iter().map(|m| ExportedMessage {
                from: m.sender.as_str().to_owned(),
                text: m.body.expose().clone(),
                at: m.at.to_rfc3339(),
            }));
        }
        let notes = store
            .list_cc_notes(tenant, id)
            .await?
            .into_iter()
            .map(|n| ExportedMessage {
                from: n.author_id.to_string(),
                text: n.body.expose().clone(),
                at: n.at.to_rfc3339(),
            })
            .collect();
        let tasks = store
            .cc_tasks_of_conversation(tenant, id)
            .await?
            .into_iter()
            .map(|t| serde_json::from_str(t.record.expose()).unwrap_or(serde_json::Value::Null))
            .collect();
        // A number kept only to reach the caller (pseudonymised mode) is read by no one, so an
        // export by pseudonym cannot turn the pseudonym back into the number.
        let address = if store.contact_address_transient(tenant, id).await? {
            None
        } else {
            store
                .conversation_contact(tenant, id)
                .await?
                .and_then(|(_, address)| address)
        };
        let mut recordings = Vec::new();
        if let Some(files) = self.recording_files() {
            let found = files
                .list(&tenant.to_string(), &id.to_string())
                .await
                .map_err(|e| {
                    AppError::Internal(anyhow::Error::new(e).context("listing recordings"))
                })?;
            for reference in found {
                let Some(sealed) = files.read(&reference).await.map_err(|e| {
                    AppError::Internal(anyhow::Error::new(e).context("reading a recording"))
                })?
                else {
                    continue;
                };
                match self.open_recording(tenant, &reference, &sealed).await {
                    Ok(wav) => recordings.push(ExportedRecording {
                        reference,
                        content_type: "audio/wav",
                        data_base64: BASE64.encode(&wav),
                    }),
                    // Its key expired: nothing readable is kept.
                    Err(AppError::Unreadable { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(ExportedConversation {
            id: id.to_string(),
            channel: conv.channel.as_str().to_owned(),
            status: conv.status.as_str().to_owned(),
            flow_id: conv.flow_id.to_string(),
            flow_version: conv.flow_version,
            created_at: conv.created_at.to_rfc3339(),
            updated_at: conv.updated_at.to_rfc3339(),
            address,
            messages,
            notes,
            tasks,
            recordings,
        })
    }

    /// Erases everything about one contact (Art. 17): a running conversation is ended first
    /// (the caller is told, a call hangs up, a waiting task leaves its queue), then each
    /// conversation's keys, rows and recording files go. Admins only; audited with the
    /// pseudonym.
    pub async fn erase_contact(
        &self,
        who: &Principal,
        subject: &Subject,
    ) -> AppResult<ErasureReport> {
        who.require(security::rbac::Permission::ConfigManage)?;
        let tenant = who.tenant_id;
        let (contact, ids) = self.subject_conversations(tenant, subject).await?;
        let mut report = ErasureReport {
            contact: contact.clone(),
            ..ErasureReport::default()
        };
        for id in &ids {
            if self.end_for_erasure(tenant, *id).await? {
                report.ended_running += 1;
            }
            report.recordings += self.erase_conversation(tenant, *id).await?;
            report.conversations += 1;
        }
        let object = contact.unwrap_or_else(|| ids[0].to_string());
        self.audit_success(who, AuditAction::ContactErase, object)
            .await?;
        Ok(report)
    }

    /// Ends a conversation that is still running, so nothing is written for it after its
    /// erasure: its task leaves the queue (or its agent), a call hangs up, a chat is told it
    /// ended. Whether it was running.
    async fn end_for_erasure(&self, tenant: TenantId, id: ConversationId) -> AppResult<bool> {
        let Some(conv) = self.store().get_conversation(tenant, id).await? else {
            return Ok(false);
        };
        if conv.status == domain::ConversationStatus::Ended {
            return Ok(false);
        }
        self.conversation_left_queue(tenant, id, true).await?;
        self.forget_task_context(tenant, id).await?;
        self.step(tenant, id, flow::Input::Hangup, None).await?;
        self.publish(
            id,
            ConversationEvent::Call(vec![crate::CallCommand::Hangup]),
        );
        self.publish(
            id,
            ConversationEvent::Status {
                state: domain::ConversationStatus::Ended,
                queue: None,
            },
        );
        Ok(true)
    }

    /// Deletes one conversation's keys and rows, and its recording files; how many files.
    async fn erase_conversation(&self, tenant: TenantId, id: ConversationId) -> AppResult<usize> {
        let erased = self.store().erase_conversation(tenant, id).await?;
        let mut references: Vec<String> = erased
            .recordings
            .iter()
            .map(|r| crate::at_rest::recording_reference(tenant, r))
            .collect();
        if let Some(files) = self.recording_files() {
            // Files whose keys were already gone (expired) go too.
            for r in files
                .list(&tenant.to_string(), &id.to_string())
                .await
                .unwrap_or_default()
            {
                if !references.contains(&r) {
                    references.push(r);
                }
            }
        }
        Ok(self.remove_recording_files(&references).await)
    }

    /// Deletes recording files; how many were there. A failure is logged (their keys are
    /// gone already: what is left cannot be read).
    async fn remove_recording_files(&self, references: &[String]) -> usize {
        let Some(files) = self.recording_files() else {
            return 0;
        };
        let mut removed = 0;
        for r in references {
            match files.remove(r).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "a shredded recording's file could not be deleted")
                }
            }
        }
        removed
    }

    /// One pass of the retention job over one tenant: ended conversations, recordings,
    /// callers' addresses and audit months older than the tenant's periods are deleted
    /// (keys first). Audited when anything went.
    pub async fn expire_personal_data(&self, tenant: TenantId) -> AppResult<ExpiryReport> {
        let settings = self.store().privacy_settings(tenant).await?;
        let now = self.now();
        let cutoff = |class: DataClass| {
            now.plus_millis(-(i64::from(settings.retention.days(class)) * DAY_MS))
        };
        let mut report = ExpiryReport::default();
        loop {
            let ids = self
                .store()
                .ended_conversations_before(tenant, cutoff(DataClass::Transcripts), EXPIRY_BATCH)
                .await?;
            for id in &ids {
                report.recordings += self.erase_conversation(tenant, *id).await? as u64;
                report.conversations += 1;
            }
            if ids.len() < EXPIRY_BATCH as usize {
                break;
            }
        }
        loop {
            let ids = self
                .store()
                .expire_keys(
                    tenant,
                    kind::RECORDING,
                    cutoff(DataClass::Recordings),
                    EXPIRY_BATCH,
                )
                .await?;
            let references: Vec<String> = ids
                .iter()
                .map(|r| crate::at_rest::recording_reference(tenant, r))
                .collect();
            self.remove_recording_files(&references).await;
            report.recordings += ids.len() as u64;
            if ids.len() < EXPIRY_BATCH as usize {
                break;
            }
        }
        report.addresses = self
            .store()
            .expire_addresses(tenant, cutoff(DataClass::Addresses))
            .await?;
        // A month's key goes once the whole month is older than the period.
        let month = audit_month(cutoff(DataClass::AuditMetadata));
        report.audit_months = self
            .store()
            .expire_audit_months(tenant, &month)
            .await?
            .len() as u64;
        if !report.is_empty() {
            tracing::info!(%tenant, conversations = report.conversations, recordings = report.recordings, addresses = report.addresses, audit_months = report.audit_months, "expired personal data deleted");
            self.audit(
                tenant,
                crate::bootstrap::system_event(AuditAction::DataExpire, tenant.to_string()),
            )
            .await?;
        }
        Ok(report)
    }

    /// [`App::expire_personal_data`] over every tenant; a tenant that fails is logged and
    /// the others go on.
    pub async fn expire_personal_data_everywhere(&self) -> AppResult<ExpiryReport> {
        let started = self.now();
        let total = self.expire_tenants().await;
        self.inner.retention_passes.send_replace(started.millis());
        total
    }

    /// When (by the app's clock) the last finished pass of
    /// [`App::expire_personal_data_everywhere`] began, failed or not: a test that moves the
    /// clock waits for a pass that began afterwards instead of polling.
    pub fn retention_passes(&self) -> tokio::sync::watch::Receiver<i64> {
        self.inner.retention_passes.subscribe()
    }

    async fn expire_tenants(&self) -> AppResult<ExpiryReport> {
        let mut total = ExpiryReport::default();
        for t in self.store().list_tenants().await? {
            match self.expire_personal_data(t.id).await {
                Ok(r) => total.add(&r),
                Err(e) => {
                    let error = format!("{:#}", anyhow::Error::new(e));
                    tracing::warn!(tenant = %t.id, error, "retention pass failed");
                }
            }
        }
        Ok(total)
    }

    /// The record of processing activities for the tenant (Art. 30), from its configuration:
    /// channels and numbers with their caller-ID modes, retention, recipients (flows' HTTP
    /// destinations opened by admins), and the measures in place.
    pub async fn processing_record(&self, who: &Principal) -> AppResult<ProcessingRecord> {
        who.require(security::rbac::Permission::AuditRead)?;
        let tenant = who.tenant_id;
        let store = self.store();
        let name = store
            .get_tenant(tenant)
            .await?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        let settings = store.privacy_settings(tenant).await?;
        let r = settings.retention;
        let numbers = store.list_phone_numbers(tenant).await?;
        let widgets = store.list_widgets(tenant).await?;
        let destinations = store.private_http_destinations(tenant).await?;
        let mut activities = Vec::new();
        if !numbers.is_empty() {
            let modes: Vec<String> = numbers
                .iter()
                .map(|n| format!("{}: caller ID {}", n.number, n.caller_id))
                .collect();
            activities.push(Activity {
                name: "Phone hotline (voice calls answered by the flow and by agents)".to_owned(),
                purposes: vec![
                    "Advising and helping callers".to_owned(),
                    "Handing callers over to a person, call-backs and voicemail".to_owned(),
                ],
                data_subjects: vec!["Callers".to_owned()],
                categories: [
                    vec![
                        "Transcript of what the caller said and was told".to_owned(),
                        "Keys pressed and choices made".to_owned(),
                        "Voicemail recordings".to_owned(),
                        "Possibly health data (Art. 9) the caller chooses to tell".to_owned(),
                    ],
                    modes,
                ]
                .concat(),
                recipients: vec!["Staff of the controller (agents, supervisors)".to_owned()],
                retention: format!(
                    "Transcripts {} days after the call ended; recordings {} days; caller numbers {} days",
                    r.transcripts_days, r.recordings_days, r.addresses_days
                ),
            });
        }
        if !widgets.is_empty() {
            activities.push(Activity {
                name: "Web chat".to_owned(),
                purposes: vec![
                    "Advising and helping visitors".to_owned(),
                    "Handing visitors over to a person".to_owned(),
                ],
                data_subjects: vec!["Website visitors who open the chat".to_owned()],
                categories: vec![
                    "Chat transcript".to_owned(),
                    "Possibly health data (Art. 9) the visitor chooses to tell".to_owned(),
                    format!(
                        "Widgets: {}",
                        widgets
                            .iter()
                            .map(|w| w.name.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ],
                recipients: vec!["Staff of the controller (agents, supervisors)".to_owned()],
                retention: format!(
                    "Transcripts {} days after the chat ended",
                    r.transcripts_days
                ),
            });
        }
        activities.push(Activity {
            name: "Staff accounts and audit log".to_owned(),
            purposes: vec![
                "Access control".to_owned(),
                "Accountability and security of processing".to_owned(),
            ],
            data_subjects: vec!["Staff of the controller".to_owned()],
            categories: vec![
                "Name, username, role, password hash, second-factor seed (sealed)".to_owned(),
                format!("Source addresses of requests: {}", settings.audit_source_ip),
            ],
            recipients: vec!["Administrators and auditors of the controller".to_owned()],
            retention: format!(
                "Accounts while active; audit entries kept, their source addresses {} days",
                r.audit_metadata_days
            ),
        });
        if !destinations.is_empty() {
            for a in &mut activities {
                a.recipients.push(format!(
                    "Services the flows call on the internal network: {}",
                    destinations.join(", ")
                ));
            }
        }
        Ok(ProcessingRecord {
            controller: if name.is_empty() {
                "(the controller: fill in name and contact details)".to_owned()
            } else {
                format!("{name} (add contact details and the data protection officer)")
            },
            generated_at: self.now().to_rfc3339(),
            activities,
            security_measures: vec![
                "Personal data encrypted at rest (AES-256-GCM), one data key per conversation, recording and user, wrapped by versioned tenant keys under a root key kept outside the database".to_owned(),
                "Erasure and expiry delete the data keys (crypto-shredding), then the rows and files".to_owned(),
                "Tenants strictly separated; roles with least privilege; two-factor authentication for staff".to_owned(),
                "Tamper-evident audit log (hash chain with a keyed head)".to_owned(),
                "No personal data (numbers, message text) in log files".to_owned(),
            ],
        })
    }
}

/// The `YYYY-MM` month (UTC) of a time, as the store names audit months.
fn audit_month(at: Timestamp) -> String {
    at.to_rfc3339().chars().take(7).collect()
}
