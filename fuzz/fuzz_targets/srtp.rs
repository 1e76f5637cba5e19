//! SRTP and SRTCP from the network: arbitrary datagrams into `unprotect_rtp` and
//! `unprotect_rtcp` of a receiving context, which must never panic and may accept only what
//! was protected under its key (the `seed-1`… packets, or a tag forged by chance): such a packet
//! protects again to the very same bytes, and a second copy is refused as a replay. Then the
//! same bytes, when they are RTP or RTCP, are protected by a fresh sender and unprotected by a
//! fresh receiver back to what was sent.
//! The first input byte picks the suite (even: _80, odd: _32); the rest is the datagram.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use media::srtp::{MasterKey, SrtpContext, SrtpError, SrtpProfile};

/// Bytes of the E flag and SRTCP index, and of the SRTCP tag, after an RTCP packet.
const SRTCP_TRAILER: usize = 4 + 10;

fn key() -> &'static MasterKey {
    static KEY: OnceLock<MasterKey> = OnceLock::new();
    KEY.get_or_init(|| MasterKey::generate(*b"hotline-fuzz-master-key-salt!!"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let profile = if first & 1 == 0 {
        SrtpProfile::AesCm128HmacSha1_80
    } else {
        SrtpProfile::AesCm128HmacSha1_32
    };

    let mut receiver = SrtpContext::new(profile, key());
    if let Ok(plain) = receiver.unprotect_rtp(bytes) {
        // A fresh sender starts at ROC 0, as a fresh receiver estimates: same index, same tag.
        let mut sender = SrtpContext::new(profile, key());
        let again = sender
            .protect_rtp(&plain)
            .expect("an accepted packet is RTP");
        assert_eq!(again, bytes, "an accepted packet protects to itself");
        assert_eq!(receiver.unprotect_rtp(bytes), Err(SrtpError::Replayed));
    }
    if let Ok(plain) = receiver.unprotect_rtcp(bytes) {
        assert_eq!(plain.len() + SRTCP_TRAILER, bytes.len());
        assert_eq!(
            plain[..8],
            bytes[..8],
            "the first 8 bytes are never encrypted"
        );
        // A fresh sender sends index 1, encrypted: then it must give the same bytes.
        let trailer = &bytes[bytes.len() - SRTCP_TRAILER..];
        if trailer[..4] == [0x80, 0, 0, 1] {
            let mut sender = SrtpContext::new(profile, key());
            let again = sender
                .protect_rtcp(&plain)
                .expect("an accepted report is RTCP");
            assert_eq!(again, bytes, "an accepted report protects to itself");
        }
        assert_eq!(receiver.unprotect_rtcp(bytes), Err(SrtpError::Replayed));
    }

    let mut sender = SrtpContext::new(profile, key());
    let mut receiver = SrtpContext::new(profile, key());
    if let Ok(protected) = sender.protect_rtp(bytes) {
        assert_eq!(protected.len(), bytes.len() + profile.tag_len());
        let back = receiver.unprotect_rtp(&protected).expect("our own packet");
        assert_eq!(back, bytes, "SRTP round trip");
        assert_eq!(
            receiver.unprotect_rtp(&protected),
            Err(SrtpError::Replayed),
            "a replay passed"
        );
    }
    if let Ok(protected) = sender.protect_rtcp(bytes) {
        assert_eq!(protected.len(), bytes.len() + SRTCP_TRAILER);
        let back = receiver.unprotect_rtcp(&protected).expect("our own report");
        assert_eq!(back, bytes, "SRTCP round trip");
        assert_eq!(
            receiver.unprotect_rtcp(&protected),
            Err(SrtpError::Replayed),
            "a replayed report passed"
        );
    }
});
