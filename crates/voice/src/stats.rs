//! The voice shell's counters, for metrics and tests: the SIP task and every call driver add
//! to them, and every change is announced so tests wait on events instead of polling.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

/// Counters of the SIP shell, for metrics and tests. Every change is announced on a watch
/// channel ([`VoiceStats::subscribe`]), so a test waits for an event instead of polling.
#[derive(Debug)]
pub struct VoiceStats {
    /// Calls offered to a flow.
    pub calls_started: AtomicU64,
    /// Speech recognitions that failed (the engine down, slow or refusing; not: heard
    /// nothing); the caller was told to use the keys.
    pub asr_failures: AtomicU64,
    /// Transcripts that read as another language than the call's (a speech server with the
    /// wrong model); each is also one of `asr_failures`.
    pub asr_other_language: AtomicU64,
    /// Calls whose driver has finished.
    pub calls_ended: AtomicU64,
    /// INVITEs refused before routing (unknown number, auth, throttling, no ports).
    pub calls_rejected: AtomicU64,
    /// INVITEs dropped by the per-source throttle.
    pub invites_throttled: AtomicU64,
    /// Datagrams that did not parse.
    pub datagrams_dropped: AtomicU64,
    /// Digits received (RFC 4733, INFO and in-band together).
    pub digits: AtomicU64,
    /// Successful registrations (and refreshes) with the provider.
    pub registrations: AtomicU64,
    /// Failed registration attempts.
    pub registration_failures: AtomicU64,
    /// Calls answered (their conversation exists).
    pub calls_answered: AtomicU64,
    /// REGISTERs of agents' phones accepted (new bindings, refreshes and removals).
    pub phone_registrations: AtomicU64,
    /// REGISTERs of agents' phones refused (wrong credentials, unknown user, a blocked source).
    pub phone_registrations_refused: AtomicU64,
    /// Legs placed to agents' phones.
    pub agent_calls: AtomicU64,
    /// Agents' phones that answered (the call was bridged).
    pub agent_calls_answered: AtomicU64,
    /// Agents' phones that could not be reached (none registered, busy, refused, no answer).
    pub agent_calls_failed: AtomicU64,
    /// RTP packets relayed from callers to agents (counted without a change event: one per packet).
    pub relayed_to_agent: AtomicU64,
    /// RTP packets relayed from agents to callers (their audio, as frames the caller's stream carries).
    pub relayed_to_caller: AtomicU64,
    /// Call-backs placed through the trunk (each attempt).
    pub call_backs: AtomicU64,
    /// Call-backs the caller answered.
    pub call_backs_answered: AtomicU64,
    /// Call-backs not answered (busy, refused, no answer in time, unreachable).
    pub call_backs_failed: AtomicU64,
    /// SIP messages dropped unanswered: from banned sources or announcing a scanner.
    pub scanner_dropped: AtomicU64,
    /// Sources banned (scanners, repeated authentication failures).
    pub sources_banned: AtomicU64,
    /// Sources banned at the last ban (a gauge).
    pub banned_now: AtomicU64,
    /// SIP-over-TLS connections that completed their handshake.
    pub tls_connections: AtomicU64,
    /// SIP-over-TLS connections whose handshake failed or timed out.
    pub tls_handshakes_failed: AtomicU64,
    /// Calls whose media is SRTP (SDES).
    pub srtp_calls: AtomicU64,
    /// SRTP packets dropped: authentication failed, replayed, or malformed (per packet).
    pub srtp_dropped: AtomicU64,
    /// RTP packets sent to callers: prompts, silence, hold music and the agent's voice (per packet).
    pub rtp_sent: AtomicU64,
    /// RTP packets dropped because they came from a source other than the call's peer (per packet).
    pub rtp_strays: AtomicU64,
    changes: watch::Sender<()>,
}

impl Default for VoiceStats {
    fn default() -> Self {
        Self {
            calls_started: AtomicU64::new(0),
            asr_failures: AtomicU64::new(0),
            asr_other_language: AtomicU64::new(0),
            calls_ended: AtomicU64::new(0),
            calls_rejected: AtomicU64::new(0),
            invites_throttled: AtomicU64::new(0),
            datagrams_dropped: AtomicU64::new(0),
            digits: AtomicU64::new(0),
            registrations: AtomicU64::new(0),
            registration_failures: AtomicU64::new(0),
            calls_answered: AtomicU64::new(0),
            phone_registrations: AtomicU64::new(0),
            phone_registrations_refused: AtomicU64::new(0),
            agent_calls: AtomicU64::new(0),
            agent_calls_answered: AtomicU64::new(0),
            agent_calls_failed: AtomicU64::new(0),
            relayed_to_agent: AtomicU64::new(0),
            relayed_to_caller: AtomicU64::new(0),
            call_backs: AtomicU64::new(0),
            call_backs_answered: AtomicU64::new(0),
            call_backs_failed: AtomicU64::new(0),
            scanner_dropped: AtomicU64::new(0),
            sources_banned: AtomicU64::new(0),
            banned_now: AtomicU64::new(0),
            tls_connections: AtomicU64::new(0),
            tls_handshakes_failed: AtomicU64::new(0),
            srtp_calls: AtomicU64::new(0),
            srtp_dropped: AtomicU64::new(0),
            rtp_sent: AtomicU64::new(0),
            rtp_strays: AtomicU64::new(0),
            changes: watch::Sender::new(()),
        }
    }
}

impl VoiceStats {
    /// Adds `n` to one of the counters and announces the change.
    pub(crate) fn add(&self, counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
            self.changes.send_replace(());
        }
    }

    /// Adds `n` to a per-packet counter, without announcing it (a change event per packet would cost more
    /// than the packet).
    pub(crate) fn count(&self, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A receiver that sees every later change of a counter (except the per-packet ones).
    pub fn subscribe(&self) -> watch::Receiver<()> {
        self.changes.subscribe()
    }

    /// The counters as Prometheus exposition text (`hotline_sip_…`), for `/metrics`.
    pub fn render_prometheus(&self, out: &mut String) {
        use std::fmt::Write;
        let counters: [(&str, &str, &AtomicU64); 25] = [
            (
                "asr_failures",
                "Speech recognitions that failed (the caller was told to use the keys)",
                &self.asr_failures,
            ),
            (
                "asr_other_language",
                "Transcripts in another language than the call's (counted in asr_failures too)",
                &self.asr_other_language,
            ),
            (
                "calls_started",
                "Calls offered to a flow",
                &self.calls_started,
            ),
            ("calls_answered", "Calls answered", &self.calls_answered),
            (
                "calls_rejected",
                "INVITEs refused before routing",
                &self.calls_rejected,
            ),
            (
                "invites_throttled",
                "INVITEs dropped by the per-source throttle",
                &self.invites_throttled,
            ),
            (
                "datagrams_dropped",
                "Datagrams that did not parse",
                &self.datagrams_dropped,
            ),
            ("digits", "Digits received", &self.digits),
            (
                "registration_failures",
                "Failed registrations with the provider",
                &self.registration_failures,
            ),
            (
                "phone_registrations",
                "Agents' phone registrations accepted",
                &self.phone_registrations,
            ),
            (
                "phone_registrations_refused",
                "Agents' phone registrations refused",
                &self.phone_registrations_refused,
            ),
            (
                "agent_calls",
                "Legs placed to agents' phones",
                &self.agent_calls,
            ),
            (
                "agent_calls_failed",
                "Agents' phones not reached",
                &self.agent_calls_failed,
            ),
            ("call_backs", "Call-backs placed", &self.call_backs),
            (
                "call_backs_answered",
                "Call-backs answered",
                &self.call_backs_answered,
            ),
            (
                "call_backs_failed",
                "Call-backs not answered",
                &self.call_backs_failed,
            ),
            (
                "scanner_dropped",
                "SIP messages dropped from banned sources and scanners",
                &self.scanner_dropped,
            ),
            (
                "sources_banned",
                "SIP sources banned (scanners, repeated authentication failures)",
                &self.sources_banned,
            ),
            (
                "calls_ended",
                "Calls whose driver finished",
                &self.calls_ended,
            ),
            (
                "tls_connections",
                "SIP-over-TLS connections established",
                &self.tls_connections,
            ),
            (
                "tls_handshakes_failed",
                "SIP-over-TLS handshakes that failed or timed out",
                &self.tls_handshakes_failed,
            ),
            ("srtp_calls", "Calls with SRTP media", &self.srtp_calls),
            (
                "srtp_dropped",
                "SRTP packets dropped (authentication, replay, malformed)",
                &self.srtp_dropped,
            ),
            ("rtp_sent", "RTP packets sent to callers", &self.rtp_sent),
            (
                "rtp_strays",
                "RTP packets dropped from a source other than the call's peer",
                &self.rtp_strays,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP hotline_sip_{name} {help}.");
            let _ = writeln!(out, "# TYPE hotline_sip_{name} counter");
            let _ = writeln!(
                out,
                "hotline_sip_{name}_total {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP hotline_sip_active_calls Calls in progress.");
        let _ = writeln!(out, "# TYPE hotline_sip_active_calls gauge");
        let _ = writeln!(out, "hotline_sip_active_calls {}", self.active_calls());
        let _ = writeln!(
            out,
            "# HELP hotline_sip_banned_sources SIP sources banned at the last ban."
        );
        let _ = writeln!(out, "# TYPE hotline_sip_banned_sources gauge");
        let _ = writeln!(
            out,
            "hotline_sip_banned_sources {}",
            self.banned_now.load(Ordering::Relaxed)
        );
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> u64 {
        self.calls_started
            .load(Ordering::Relaxed)
            .saturating_sub(self.calls_ended.load(Ordering::Relaxed))
    }
}
