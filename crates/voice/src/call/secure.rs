//! SRTP on a caller's leg, keyed by SDES (RFC 4568): the peer's offer carried its master key in
//! `a=crypto`, our answer carries ours (made here, from the OS's randomness, one per call).
//! Packets we send are protected with our key; packets that arrive are authenticated with the
//! peer's key before anything else looks at them, so an unauthenticated packet can neither play
//! audio nor move where our media goes (symmetric RTP latches only on authenticated packets).

use media::srtp::{MasterKey, SrtpContext, SrtpProfile};
use sip_proto::sdp::SrtpAgreed;

/// A fresh SDES master key for our side of a call, as its `inline:` value; `None` without
/// randomness (the call is then offered plain RTP only).
pub(crate) fn new_key() -> Option<String> {
    let mut random = [0u8; 30];
    getrandom::fill(&mut random).ok()?;
    Some(MasterKey::generate(random).to_inline())
}

/// What arrived, after SRTP.
pub(crate) enum Unprotected {
    /// An authenticated RTP packet, decrypted.
    Rtp(Vec<u8>),
    /// An authenticated RTCP packet (multiplexed on the RTP port): nothing to do with it.
    Rtcp,
    /// Failed authentication or the replay check, or does not parse: dropped.
    Dropped,
}

/// The two SRTP contexts of one call.
pub(crate) struct SecureMedia {
    profile: SrtpProfile,
    outbound: SrtpContext,
    inbound: SrtpContext,
    /// The peer's key as agreed, to notice when a re-INVITE changes it.
    remote_key: String,
}

impl SecureMedia {
    /// The contexts for what SDES agreed; an error names what was unusable (never a key).
    pub(crate) fn new(agreed: &SrtpAgreed) -> Result<SecureMedia, String> {
        let profile = SrtpProfile::from_sdes_name(&agreed.suite)
            .ok_or_else(|| format!("unknown SRTP suite {}", agreed.suite))?;
        let local = MasterKey::from_inline(&agreed.local_key).map_err(|e| e.to_string())?;
        let remote = MasterKey::from_inline(&agreed.remote_key).map_err(|e| e.to_string())?;
        Ok(SecureMedia {
            profile,
            outbound: SrtpContext::new(profile, &local),
            inbound: SrtpContext::new(profile, &remote),
            remote_key: agreed.remote_key.clone(),
        })
    }

    /// A re-INVITE's answer: a new key (or suite) of the peer starts a new inbound context;
    /// ours, unchanged, keeps its rollover counter.
    pub(crate) fn update(&mut self, agreed: &SrtpAgreed) -> Result<(), String> {
        let profile = SrtpProfile::from_sdes_name(&agreed.suite)
            .ok_or_else(|| format!("unknown SRTP suite {}", agreed.suite))?;
        if agreed.remote_key == self.remote_key && profile == self.profile {
            return Ok(());
        }
        *self = SecureMedia::new(agreed)?;
        Ok(())
    }

    /// Our RTP packet, protected; `None` if it could not be (it is not sent).
    pub(crate) fn protect(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        self.outbound.protect_rtp(packet).ok()
    }

    /// A datagram from the peer, authenticated and decrypted. RTCP is told from RTP by its
    /// packet type (RFC 5761 §4: 192–223 in the second byte).
    pub(crate) fn unprotect(&mut self, datagram: &[u8]) -> Unprotected {
        let rtcp = datagram.get(1).is_some_and(|b| (192..=223).contains(b));
        if rtcp {
            return match self.inbound.unprotect_rtcp(datagram) {
                Ok(_) => Unprotected::Rtcp,
                Err(_) => Unprotected::Dropped,
            };
        }
        match self.inbound.unprotect_rtp(datagram) {
            Ok(packet) => Unprotected::Rtp(packet),
            Err(_) => Unprotected::Dropped,
        }
    }
}
