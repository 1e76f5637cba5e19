//! SRTP and SRTCP from the network: arbitrary datagrams into `unprotect_rtp` and
//! `unprotect_rtcp` of a receiving context (which must refuse everything it did not see
//! protected under its key, and never panic), and the same bytes, when they are RTP or RTCP,
//! protected by a sender and unprotected by the receiver back to what was sent.
//! The first input byte picks the suite (_80 or _32).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use media::srtp::{MasterKey, SrtpContext, SrtpProfile};

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
    // Forging a tag by chance is out of reach (2^-32 at worst): nothing unseen passes.
    assert!(
        receiver.unprotect_rtp(bytes).is_err(),
        "an unprotected packet passed"
    );
    assert!(
        receiver.unprotect_rtcp(bytes).is_err(),
        "an unprotected report passed"
    );

    let mut sender = SrtpContext::new(profile, key());
    if let Ok(protected) = sender.protect_rtp(bytes) {
        assert_eq!(protected.len(), bytes.len() + profile.tag_len());
        let back = receiver.unprotect_rtp(&protected).expect("our own packet");
        assert_eq!(back, bytes, "SRTP round trip");
        assert!(
            receiver.unprotect_rtp(&protected).is_err(),
            "a replay passed"
        );
    }
    if let Ok(protected) = sender.protect_rtcp(bytes) {
        let back = receiver.unprotect_rtcp(&protected).expect("our own report");
        assert_eq!(back, bytes, "SRTCP round trip");
        assert!(
            receiver.unprotect_rtcp(&protected).is_err(),
            "a replayed report passed"
        );
    }
});
