//! Flows: drafts, validation and linting, immutable published versions, rollback, and the
//! web chat widgets that run them.

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::{AuditAction, FlowId};
use flow::{Diagnostic, Flow, Severity};
use security::rbac::Permission;
use store::{DraftSave, FlowRecord, FlowVersion, Widget};

use crate::{App, AppError, AppResult, Principal, random_bytes};

/// A flow with the diagnostics of its current draft.
#[derive(Debug, Clone)]
pub struct FlowWithDiagnostics {
    /// The stored flow.
    pub flow: FlowRecord,
    /// Validation errors and lint warnings of the draft.
    pub diagnostics: Vec<Diagnostic>,
}

/// What a widget is set to.
#[derive(Debug, Clone)]
pub struct WidgetSpec {
    /// Public id (3–64 of a-z 0-9 -), or `None` to generate one.
    pub id: Option<String>,
    /// Internal name.
    pub name: String,
    /// The flow to run.
    pub flow_id: Option<FlowId>,
    /// Chat window title.
    pub title: String,
    /// `#rrggbb`.
    pub primary_color: String,
    /// Greeting shown before the conversation starts.
    pub greeting: String,
    /// Allowed origins (`https://example.org`), or `*`.
    pub allowed_origins: Vec<String>,
}

/// Parses a flow source and returns the document or every parse problem.
pub fn parse_source(source: &str) -> AppResult<flow::FlowDocument> {
    flow::parse_auto(source, None).map_err(AppError::InvalidFlow)
}

fn errors_only(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect()
}

fn valid_widget_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The largest flow source checked (the HTTP body limit is the outer bound).
const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// The longest note a published version may carry.
pub const MAX_NOTE_CHARS: usize = 500;
/// The most nodes a layout may place (far more than any flow the linter accepts).
const MAX_LAYOUT_NODES: usize = 5_000;
/// How far from the origin a node may be placed, either way.
const MAX_COORDINATE: f64 = 1.0e6;

/// Where the editor shows one node.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePosition {
    /// Left edge, in canvas units.
    pub x: f64,
    /// Top edge, in canvas units.
    pub y: f64,
}

fn validate_layout(layout: &BTreeMap<String, NodePosition>) -> AppResult<()> {
    if layout.len() > MAX_LAYOUT_NODES {
        return Err(AppError::field(
            "positions",
            format!("at most {MAX_LAYOUT_NODES} nodes"),
        ));
    }
    for (id, p) in layout {
        if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
            return Err(AppError::field(
                "positions",
                "a node id has 1 to 100 characters and no control characters",
            ));
        }
        if !(p.x.is_finite() && p.y.is_finite())
            || p.x.abs() > MAX_COORDINATE
            || p.y.abs() > MAX_COORDINATE
        {
            return Err(AppError::field(
                "positions",
                format!("the position of {id:?} is not a number within ±1,000,000"),
            ));
        }
    }
    Ok(())
}

/// A stored layout read back; one that does not parse (written by an older editor, or by
/// hand) is shown as no layout rather than failing the flow.
pub fn parse_layout(json: &str) -> BTreeMap<String, NodePosition> {
    serde_json::from_str(json).unwrap_or_default()
}

fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())
}

fn valid_origin(o: &str) -> bool {
    o == "*"
        || ((o.starts_with("https://") || o.starts_with("http://"))
            && !o.ends_with('/')
            && !o[o.find("://").map_or(0, |i| i + 3)..].contains('/')
            && o.len() <= 200)
}

impl App {
    /// Validates and lints a flow source without storing anything. A source that does not
    /// parse is not a failed request here: its parse errors are the findings (the editor
    /// checks as the operator types, half-written nodes included).
    pub fn check_flow_source(&self, source: &str) -> AppResult<Vec<Diagnostic>> {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(AppError::field(
                "source",
                format!("a flow has at most {} KB", MAX_SOURCE_BYTES / 1024),
            ));
        }
        Ok(match flow::parse_auto(source, None) {
            Ok(doc) => flow::check(&doc),
            Err(parse) => parse,
        })
    }

    /// [`Self::check_flow_source`] for a tenant: also a `missing-audio` error for each `say`
    /// that names a recorded prompt the tenant does not have.
    pub async fn check_flow_source_for(
        &self,
        who: &Principal,
        source: &str,
    ) -> AppResult<Vec<Diagnostic>> {
        let mut diagnostics = self.check_flow_source(source)?;
        if let Ok(doc) = flow::parse_auto(source, None) {
            diagnostics.extend(self.audio_findings(who.tenant_id, &doc).await?);
        }
        Ok(diagnostics)
    }

    /// The validator's and linter's findings with the tenant's own: prompts it lacks.
    async fn checked(
        &self,
        tenant: domain::TenantId,
        doc: &flow::FlowDocument,
    ) -> AppResult<Vec<Diagnostic>> {
        let mut diagnostics = flow::check(doc);
        diagnostics.extend(self.audio_findings(tenant, doc).await?);
        Ok(diagnostics)
    }

    /// Creates a flow from a source. The draft may still have validation errors (they are
    /// returned); it must parse.
    pub async fn create_flow(
        &self,
        who: &Principal,
        source: &str,
    ) -> AppResult<FlowWithDiagnostics> {
        who.require(Permission::FlowsManage)?;
        let doc = parse_source(source)?;
        let now = self.now();
        let record = FlowRecord {
            tenant_id: who.tenant_id,
            id: FlowId::from_random_bytes(random_bytes()?),
            name: doc.name.clone(),
            draft: source.to_owned(),
            active_version: None,
            created_at: now,
            updated_at: now,
            layout: "{}".to_owned(),
            revision: 1,
        };
        self.store().insert_flow(&record).await?;
        self.audit_success(who, AuditAction::FlowCreate, record.id)
            .await?;
        Ok(FlowWithDiagnostics {
            diagnostics: self.checked(who.tenant_id, &doc).await?,
            flow: record,
        })
    }

    /// Replaces a flow's draft. With `base`, the revision the edit started from: when the draft
    /// was saved since (by someone else, or in another tab), the edit is refused and nothing
    /// changes, so no one's work is overwritten unseen.
    pub async fn update_flow(
        &self,
        who: &Principal,
        id: FlowId,
        source: &str,
        base: Option<i64>,
    ) -> AppResult<FlowWithDiagnostics> {
        who.require(Permission::FlowsManage)?;
        self.store()
            .get_flow(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let doc = parse_source(source)?;
        match self
            .store()
            .update_flow_draft(who.tenant_id, id, &doc.name, source, base, self.now())
            .await?
        {
            DraftSave::Saved { .. } => {}
            DraftSave::Missing => return Err(AppError::NotFound),
            DraftSave::Stale { .. } => {
                return Err(AppError::Refused {
                    code: "stale-draft",
                    detail: "The draft was saved by someone else since you opened it, so your \
                             edit was not saved. Load the current draft and make your change again.",
                });
            }
        }
        self.audit_success(who, AuditAction::FlowUpdate, id).await?;
        let flow = self
            .store()
            .get_flow(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(FlowWithDiagnostics {
            diagnostics: self.checked(who.tenant_id, &doc).await?,
            flow,
        })
    }

    /// Stores where the editor shows the flow's nodes. The draft and its revision stay as they
    /// are: moving a node never changes what the flow does.
    pub async fn update_flow_layout(
        &self,
        who: &Principal,
        id: FlowId,
        layout: &BTreeMap<String, NodePosition>,
    ) -> AppResult<()> {
        who.require(Permission::FlowsManage)?;
        validate_layout(layout)?;
        let json = serde_json::to_string(layout)
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("layout")))?;
        if !self
            .store()
            .update_flow_layout(who.tenant_id, id, &json)
            .await?
        {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// One flow with its draft's diagnostics.
    pub async fn get_flow(&self, who: &Principal, id: FlowId) -> AppResult<FlowWithDiagnostics> {
        who.require(Permission::FlowsRead)?;
        let flow = self
            .store()
            .get_flow(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let diagnostics = match flow::parse_auto(&flow.draft, None) {
            Ok(doc) => self.checked(who.tenant_id, &doc).await?,
            Err(parse) => parse,
        };
        Ok(FlowWithDiagnostics { flow, diagnostics })
    }

    /// The tenant's flows.
    pub async fn list_flows(&self, who: &Principal) -> AppResult<Vec<FlowRecord>> {
        who.require(Permission::FlowsRead)?;
        Ok(self.store().list_flows(who.tenant_id).await?)
    }

    /// Publishes the draft as a new immutable version and makes it active. Refused while the
    /// draft has validation errors. Running conversations stay on their version.
    pub async fn publish_flow(&self, who: &Principal, id: FlowId, note: &str) -> AppResult<i64> {
        who.require(Permission::FlowsManage)?;
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS || note.chars().any(char::is_control) {
            return Err(AppError::field(
                "note",
                format!("a note has at most {MAX_NOTE_CHARS} characters on one line"),
            ));
        }
        let record = self
            .store()
            .get_flow(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let doc = parse_source(&record.draft)?;
        let mut errors = errors_only(&flow::validate(&doc));
        errors.extend(self.audio_findings(who.tenant_id, &doc).await?);
        if !errors.is_empty() {
            return Err(AppError::InvalidFlow(errors));
        }
        Flow::compile(doc).map_err(AppError::InvalidFlow)?;
        let version = self
            .store()
            .publish_flow_version(
                who.tenant_id,
                id,
                &record.draft,
                note,
                who.user_id(),
                self.now(),
            )
            .await?;
        // Train the version's model and synthesise its prompts now, so the first caller
        // waits for neither.
        let compiled = self
            .compiled_warming(who.tenant_id, id, version, false)
            .await?;
        self.warm_prompts_now(compiled.flow.document()).await;
        self.invalidate_call_routes();
        self.audit_success(who, AuditAction::FlowPublish, format!("{id}@{version}"))
            .await?;
        Ok(version)
    }

    /// The flow's published versions, newest first.
    pub async fn list_flow_versions(
        &self,
        who: &Principal,
        id: FlowId,
    ) -> AppResult<Vec<FlowVersion>> {
        who.require(Permission::FlowsRead)?;
        self.store()
            .get_flow(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self.store().list_flow_versions(who.tenant_id, id).await?)
    }

    /// Makes the version before the active one active again; returns it.
    pub async fn rollback_flow(&self, who: &Principal, id: FlowId) -> AppResult<i64> {
        who.require(Permission::FlowsManage)?;
        let active = self
            .live_version(who.tenant_id, id, "rollback (nothing is published)")
            .await?;
        let previous = self
            .store()
            .list_flow_versions(who.tenant_id, id)
            .await?
            .into_iter()
            .map(|v| v.version)
            .find(|v| *v < active)
            .ok_or(AppError::Conflict("rollback (no earlier version)"))?;
        self.activate_flow_version(who, id, previous).await?;
        Ok(previous)
    }

    /// Makes a given published version the active one.
    pub async fn activate_flow_version(
        &self,
        who: &Principal,
        id: FlowId,
        version: i64,
    ) -> AppResult<()> {
        who.require(Permission::FlowsManage)?;
        if !self
            .store()
            .set_active_version(who.tenant_id, id, version, self.now())
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.invalidate_call_routes();
        self.audit_success(who, AuditAction::FlowActivate, format!("{id}@{version}"))
            .await
    }

    /// The version new conversations of a flow run. `NotFound` when the tenant has no such
    /// flow; `Conflict(unpublished)` when none of its versions is live — the caller names
    /// what cannot go on, since that is what the client is shown.
    pub(crate) async fn live_version(
        &self,
        tenant: domain::TenantId,
        flow_id: FlowId,
        unpublished: &'static str,
    ) -> AppResult<i64> {
        self.store()
            .get_flow(tenant, flow_id)
            .await?
            .ok_or(AppError::NotFound)?
            .active_version
            .ok_or(AppError::Conflict(unpublished))
    }

    /// Loads and compiles a published version (the chat runtime caches the result:
    /// versions are immutable, so the cache never goes stale).
    pub(crate) async fn compiled_flow(
        &self,
        tenant: domain::TenantId,
        id: FlowId,
        version: i64,
    ) -> AppResult<Arc<Flow>> {
        let stored = self
            .store()
            .get_flow_version(tenant, id, version)
            .await?
            .ok_or(AppError::NotFound)?;
        let doc = parse_source(&stored.source)?;
        Ok(Arc::new(Flow::compile(doc).map_err(AppError::InvalidFlow)?))
    }

    fn check_widget_spec(spec: &WidgetSpec) -> AppResult<()> {
        let mut errors = Vec::new();
        if let Some(id) = &spec.id
            && !valid_widget_id(id)
        {
            errors.push(crate::FieldError {
                field: "id",
                message: "3–64 characters of a-z, 0-9 and -".to_owned(),
            });
        }
        if !valid_color(&spec.primary_color) {
            errors.push(crate::FieldError {
                field: "primary_color",
                message: "a colour like #0b5cad".to_owned(),
            });
        }
        if spec.allowed_origins.is_empty() || !spec.allowed_origins.iter().all(|o| valid_origin(o))
        {
            errors.push(crate::FieldError {
                field: "allowed_origins",
                message: "origins like https://www.example.org (scheme and host, no path), or *"
                    .to_owned(),
            });
        }
        for (field, value, max) in [
            ("name", &spec.name, 100),
            ("title", &spec.title, 100),
            ("greeting", &spec.greeting, 500),
        ] {
            if value.trim().is_empty()
                || value.chars().count() > max
                || value.chars().any(char::is_control)
            {
                errors.push(crate::FieldError {
                    field,
                    message: format!("1–{max} printable characters"),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }

    /// A widget may only run a flow of its own tenant.
    async fn check_widget_flow(&self, who: &Principal, flow_id: Option<FlowId>) -> AppResult<()> {
        if let Some(flow_id) = flow_id {
            self.store()
                .get_flow(who.tenant_id, flow_id)
                .await?
                .ok_or_else(|| AppError::field("flow_id", "no such flow"))?;
        }
        Ok(())
    }

    /// Creates a web chat widget.
    pub async fn create_widget(&self, who: &Principal, spec: WidgetSpec) -> AppResult<Widget> {
        who.require(Permission::FlowsManage)?;
        Self::check_widget_spec(&spec)?;
        self.check_widget_flow(who, spec.flow_id).await?;
        let id = match spec.id {
            Some(id) => id,
            None => {
                let bytes: [u8; 10] = random_bytes()?;
                format!("w-{}", security::alphabet::encode(&bytes, 16))
            }
        };
        let now = self.now();
        let widget = Widget {
            id,
            tenant_id: who.tenant_id,
            name: spec.name,
            flow_id: spec.flow_id,
            title: spec.title,
            primary_color: spec.primary_color,
            greeting: spec.greeting,
            allowed_origins: spec.allowed_origins,
            created_at: now,
            updated_at: now,
        };
        match self.store().insert_widget(&widget).await {
            Err(store::StoreError::Conflict(_)) => {
                return Err(AppError::field("id", "this widget id is taken"));
            }
            other => other?,
        }
        self.audit_success(who, AuditAction::WidgetCreate, &widget.id)
            .await?;
        Ok(widget)
    }

    /// Changes a widget's settings (its id stays).
    pub async fn update_widget(
        &self,
        who: &Principal,
        id: &str,
        spec: WidgetSpec,
    ) -> AppResult<Widget> {
        who.require(Permission::FlowsManage)?;
        Self::check_widget_spec(&WidgetSpec {
            id: None,
            ..spec.clone()
        })?;
        let existing = self
            .store()
            .get_widget(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.check_widget_flow(who, spec.flow_id).await?;
        let widget = Widget {
            name: spec.name,
            flow_id: spec.flow_id,
            title: spec.title,
            primary_color: spec.primary_color,
            greeting: spec.greeting,
            allowed_origins: spec.allowed_origins,
            updated_at: self.now(),
            ..existing
        };
        if !self.store().update_widget(&widget).await? {
            return Err(AppError::NotFound);
        }
        self.audit_success(who, AuditAction::WidgetUpdate, &widget.id)
            .await?;
        Ok(widget)
    }

    /// The tenant's widgets.
    pub async fn list_widgets(&self, who: &Principal) -> AppResult<Vec<Widget>> {
        who.require(Permission::FlowsRead)?;
        Ok(self.store().list_widgets(who.tenant_id).await?)
    }

    /// One widget.
    pub async fn get_widget(&self, who: &Principal, id: &str) -> AppResult<Widget> {
        who.require(Permission::FlowsRead)?;
        self.store()
            .get_widget(who.tenant_id, id)
            .await?
            .ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_fields_are_checked() {
        assert!(valid_widget_id("demo-de"));
        assert!(!valid_widget_id("De"));
        assert!(!valid_widget_id("a/b"));
        assert!(valid_color("#0b5cad"));
        assert!(!valid_color("red"));
        assert!(valid_origin("https://www.example.org"));
        assert!(valid_origin("http://127.0.0.1:8080"));
        assert!(valid_origin("*"));
        assert!(!valid_origin("https://example.org/"));
        assert!(!valid_origin("https://example.org/path"));
        assert!(!valid_origin("example.org"));
    }
}
