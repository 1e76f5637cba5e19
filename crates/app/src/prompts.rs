//! What a flow says and understands, collected for the voice shell: the static prompts to
//! synthesise ahead of the first call ([`flow_prompts`], handed to the [`PromptWarmer`]) and
//! the phrases a recogniser may expect ([`flow_phrases`]).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use flow::{FlowDocument, Node, Text};

use crate::App;
use crate::ports::{PromptText, PromptWarmer};

/// The prompt synthesiser, installed once at start-up (none in tests and without voice).
#[derive(Debug, Default)]
pub(crate) struct PromptRuntime {
    warmer: OnceLock<Arc<dyn PromptWarmer>>,
}

/// The phrases a caller may say anywhere in a flow, in one language: menu option labels
/// and keywords, repeat keywords and intent examples and keywords.
pub fn flow_phrases(doc: &FlowDocument, language: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut text = |t: &Text| {
        if let Some(s) = text_in(t, language, &doc.language)
            && !s.contains("{{")
        {
            out.insert(s.to_owned());
        }
    };
    for node in &doc.nodes {
        if let Node::Menu(menu) = node {
            for option in &menu.options {
                text(&option.label);
            }
        }
    }
    for node in &doc.nodes {
        if let Node::Menu(menu) = node {
            for option in &menu.options {
                out.extend(option.keywords.iter().cloned());
            }
            if let Some(repeat) = &menu.repeat {
                out.extend(repeat.keywords.iter().cloned());
            }
        }
    }
    for intent in doc.intents.values() {
        out.extend(intent.keywords.iter().cloned());
        if let Some(examples) = intent.examples.get(language) {
            out.extend(examples.iter().cloned());
        }
    }
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// What the phone says of a text in `language` (a text by channel: its `voice` wording).
fn text_in<'t>(t: &'t Text, language: &str, default: &str) -> Option<&'t str> {
    match t.for_channel(flow::Channel::Voice) {
        Text::Plain(s) => Some(s),
        Text::ByLanguage(m) => m
            .get(language)
            .or_else(|| m.get(default))
            .map(String::as_str),
        Text::ByChannel(_) => None,
    }
}

/// A flow's prompts without template variables, in every language it speaks, for synthesis
/// ahead of the first call. (Prompts with `{{variables}}` are synthesised when spoken.)
pub fn flow_prompts(doc: &FlowDocument) -> Vec<PromptText> {
    let mut languages: Vec<String> = doc.languages.clone();
    if !languages.contains(&doc.language) {
        languages.push(doc.language.clone());
    }
    let mut out = BTreeSet::new();
    for language in &languages {
        for node in &doc.nodes {
            let (texts, voice): (Vec<&Text>, Option<&String>) = match node {
                Node::Say(n) => (n.text.iter().collect(), n.voice.as_ref()),
                Node::Ask(n) => (vec![&n.prompt], None),
                Node::Menu(n) => (vec![&n.prompt], None),
                Node::Enqueue(n) => (n.text.iter().collect(), None),
                Node::Record(n) => (vec![&n.prompt], None),
                Node::Transfer(n) => (n.text.iter().collect(), None),
                Node::End(n) => (n.text.iter().collect(), None),
                _ => (Vec::new(), None),
            };
            for t in texts {
                if let Some(s) = text_in(t, language, &doc.language)
                    && !s.contains("{{")
                    && !s.trim().is_empty()
                {
                    out.insert(PromptText {
                        text: s.to_owned(),
                        language: language.clone(),
                        voice: voice.cloned(),
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

impl App {
    /// Installs the prompt synthesiser (once, at start-up, before flows are loaded).
    pub fn set_prompt_warmer(&self, warmer: Arc<dyn PromptWarmer>) {
        let _ = self.inner.prompts.warmer.set(warmer);
    }

    /// Has a freshly compiled version's prompts synthesised in the background.
    pub(crate) fn warm_prompts(&self, doc: &FlowDocument) {
        if let Some(warmer) = self.inner.prompts.warmer.get() {
            warmer.warm(flow_prompts(doc));
        }
    }

    /// Synthesises a version's prompts and waits for them.
    pub(crate) async fn warm_prompts_now(&self, doc: &FlowDocument) {
        if let Some(warmer) = self.inner.prompts.warmer.get() {
            warmer.warm_now(flow_prompts(doc)).await;
        }
    }
}
