//! The agent's leg of a bridged call, as the call driver holds it: the RTP socket Hotline offers the agent's
//! phone (its own port, so neither the caller nor the agent learns the other's address), the leg's signals from
//! the SIP task, and the two relays — the caller's audio and keys into the agent's stream, the agent's audio
//! decoded for the script to play to the caller. The driver owns one while an agent's phone rings or talks.

use std::net::SocketAddr;

use domain::UserId;
use sip_proto::call::CallId;
use sip_proto::sdp::Answer;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::link::CallSignal;
use super::rtp::{MediaPeer, Received, Relay, RtpIn, RtpOut};
use crate::stats::VoiceStats;

/// What arrived on the agent's leg.
pub(super) enum AgentInput {
    Datagram(Vec<u8>, SocketAddr),
    /// `None` when the SIP task is gone.
    Signal(Option<CallSignal>),
}

/// The leg to an agent's phone.
pub(super) struct AgentLeg {
    pub(super) call: CallId,
    pub(super) agent: UserId,
    socket: UdpSocket,
    signals: mpsc::UnboundedReceiver<CallSignal>,
    /// The caller's audio and keys, going to the agent.
    to_agent: Relay,
    /// The agent's packets, decoded.
    from_agent: RtpIn,
    /// Where the agent's phone takes RTP: its SDP answer, then where its packets come from.
    peer: MediaPeer,
}

impl AgentLeg {
    pub(super) fn new(
        call: CallId,
        agent: UserId,
        socket: UdpSocket,
        signals: mpsc::UnboundedReceiver<CallSignal>,
        out: RtpOut,
    ) -> Self {
        Self {
            call,
            agent,
            socket,
            signals,
            to_agent: Relay::new(out),
            from_agent: RtpIn::new(),
            peer: MediaPeer::default(),
        }
    }

    /// The next thing to happen on the leg.
    pub(super) async fn next(&mut self, buf: &mut [u8]) -> AgentInput {
        loop {
            tokio::select! {
                r = self.socket.recv_from(buf) => {
                    if let Ok((n, from)) = r {
                        return AgentInput::Datagram(buf[..n].to_vec(), from);
                    }
                }
                s = self.signals.recv() => return AgentInput::Signal(s),
            }
        }
    }

    /// The phone answered: its codec, event payload type and address.
    pub(super) fn answered(&mut self, media: Option<&Answer>) {
        let Some(a) = media else { return };
        self.to_agent
            .set_codec(a.codec, a.payload_type, a.telephone_event);
        self.from_agent.set_event_payload_type(a.telephone_event);
        let signalled = a.remote.as_ref().and_then(|(host, port)| {
            let ip = host.parse::<std::net::IpAddr>().ok()?;
            Some(SocketAddr::new(ip, *port))
        });
        if signalled.is_some() {
            self.peer.signal(signalled);
        }
    }

    /// A datagram from the agent's phone: its decoded audio (empty for anything else, and for a stray stream).
    /// RTP is symmetric: the caller's audio goes where the agent's comes from ([`MediaPeer`]).
    pub(super) fn receive(&mut self, bytes: &[u8], from: SocketAddr) -> Vec<i16> {
        let Some(seq) = MediaPeer::sequence(bytes) else {
            return Vec::new();
        };
        if !self.peer.accept(from, seq) {
            return Vec::new();
        }
        self.from_agent
            .receive(bytes)
            .map(|received| received.audio)
            .unwrap_or_default()
    }

    /// Relays what one of the caller's packets held: audio in the agent's codec, an RFC 4733 event restamped.
    pub(super) async fn relay(&mut self, received: &Received, stats: &VoiceStats) {
        let Some(remote) = self.peer.target() else {
            return;
        };
        let mut packets = self.to_agent.audio(&received.audio);
        if let Some((timestamp, event)) = &received.event {
            packets.extend(self.to_agent.event(*timestamp, event));
        }
        for packet in &packets {
            let _ = self.socket.send_to(packet, remote).await;
        }
        stats.count(&stats.relayed_to_agent, packets.len() as u64);
    }
}
