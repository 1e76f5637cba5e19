//! What the call tests (sipp in `voice.rs`, baresip in `baresip.rs`) share: the server's SIP
//! address and demo tenant, waiting for the voice channel's events, and reading the
//! conversation a call left behind.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::TenantId;
use store::{Conversation, ConversationStatus};
use voice::VoiceStats;

use crate::support::TestApp;

/// The bound SIP address.
pub(crate) fn sip_addr(app: &TestApp) -> SocketAddr {
    app.running
        .as_ref()
        .unwrap()
        .sip_addr
        .expect("the voice channel is on")
}

/// The demo tenant created at the first start.
pub(crate) fn tenant(app: &TestApp) -> TenantId {
    app.running
        .as_ref()
        .unwrap()
        .bootstrapped
        .as_ref()
        .expect("first start")
        .tenant
        .id
}

/// The voice channel's counters.
pub(crate) fn stats(app: &TestApp) -> Arc<VoiceStats> {
    app.running
        .as_ref()
        .unwrap()
        .voice_stats
        .clone()
        .expect("the voice channel is on")
}

/// Waits for the counters' change events until `done` holds (at most 30 s).
pub(crate) async fn wait_for(stats: &VoiceStats, what: &str, done: impl Fn(&VoiceStats) -> bool) {
    let mut changes = stats.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(stats) {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the voice channel is running");
    }
}

/// What `sender` (`"user"`, `"bot"`) said in a [`transcript`], in order.
pub(crate) fn said_by<'a>(t: &'a [(String, String)], sender: &str) -> Vec<&'a str> {
    t.iter()
        .filter(|(s, _)| s == sender)
        .map(|(_, b)| b.as_str())
        .collect()
}

/// The newest conversation of the demo tenant.
pub(crate) async fn newest_conversation(app: &TestApp) -> Option<Conversation> {
    app.app()
        .store()
        .recent_conversations(tenant(app), 1)
        .await
        .unwrap()
        .into_iter()
        .next()
}

/// Waits until every call the server took has finished (its driver ends the conversation
/// before it counts the call as ended), then returns the newest conversation, ended.
pub(crate) async fn ended_call(app: &TestApp) -> Conversation {
    let s = stats(app);
    wait_for(&s, "the call to end", |s| {
        let started = s.calls_started.load(std::sync::atomic::Ordering::Relaxed);
        started > 0 && s.calls_ended.load(std::sync::atomic::Ordering::Relaxed) == started
    })
    .await;
    let c = newest_conversation(app)
        .await
        .expect("the call's conversation");
    assert_eq!(c.status, ConversationStatus::Ended);
    c
}

/// The conversation's messages as (sender, text).
pub(crate) async fn transcript(app: &TestApp, c: &Conversation) -> Vec<(String, String)> {
    app.app()
        .store()
        .messages_after(tenant(app), c.id, 0, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.sender.as_str().to_owned(), m.body.expose().clone()))
        .collect()
}
