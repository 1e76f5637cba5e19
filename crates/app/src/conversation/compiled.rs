//! Published flow versions, compiled and with their intent model trained, cached per
//! process: versions never change, so the cache never goes stale. Compiling a version is
//! also when its prompts are sent for synthesis and its recogniser phrases are collected.

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::{FlowId, TenantId};
use flow::IntentMatcher;

use super::lock;
use crate::{App, AppError, AppResult};

/// A compiled flow version with its intent matcher.
#[derive(Clone)]
pub(crate) struct CompiledFlow {
    pub(crate) flow: Arc<flow::Flow>,
    pub(crate) matcher: Arc<dyn IntentMatcher>,
    /// Per language: the phrases callers may say (a recogniser's grammar).
    phrases: Arc<BTreeMap<String, Arc<Vec<String>>>>,
}

impl CompiledFlow {
    /// The phrases callers may say in `language` (none for a language the flow lacks).
    pub(crate) fn phrases(&self, language: &str) -> Arc<Vec<String>> {
        self.phrases.get(language).cloned().unwrap_or_default()
    }
}

impl App {
    /// A published version compiled, with its trained intent matcher; cached, since versions
    /// never change.
    pub(crate) async fn compiled(
        &self,
        tenant: TenantId,
        flow_id: FlowId,
        version: i64,
    ) -> AppResult<CompiledFlow> {
        self.compiled_warming(tenant, flow_id, version, true).await
    }

    /// [`Self::compiled`]; on a cache miss, `warm_in_background` has the version's prompts
    /// synthesised in the background (publishing waits for them instead).
    pub(crate) async fn compiled_warming(
        &self,
        tenant: TenantId,
        flow_id: FlowId,
        version: i64,
        warm_in_background: bool,
    ) -> AppResult<CompiledFlow> {
        if let Some(c) = lock(&self.conversations().flows).get(&(tenant, flow_id, version)) {
            return Ok(c.clone());
        }
        let flow = self.compiled_flow(tenant, flow_id, version).await?;
        let for_training = flow.clone();
        let encoder = self.sentence_encoder();
        let understanding = tokio::task::spawn_blocking(move || {
            crate::understanding::FlowUnderstanding::train_with_encoder(&for_training, encoder)
        })
        .await
        .map_err(|e| {
            AppError::Internal(anyhow::Error::new(e).context("training the flow's model"))
        })?;
        let matcher: Arc<dyn IntentMatcher> = Arc::new(understanding);
        let doc = flow.document();
        let mut phrases = BTreeMap::new();
        for language in doc.languages.iter().chain(std::iter::once(&doc.language)) {
            phrases.insert(
                language.clone(),
                Arc::new(crate::prompts::flow_phrases(doc, language)),
            );
        }
        if warm_in_background {
            self.warm_prompts(doc);
        }
        let compiled = CompiledFlow {
            flow,
            matcher,
            phrases: Arc::new(phrases),
        };
        lock(&self.conversations().flows).insert((tenant, flow_id, version), compiled.clone());
        Ok(compiled)
    }
}
