//! SDP offers from the network: `SessionDescription::parse`, the serialise→parse round trip, and
//! the RFC 3264 answerer against a fixed local capability, whose answer must parse too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_proto::sdp::{self, Codec, LocalMedia, SessionDescription};

fn local() -> LocalMedia {
    LocalMedia {
        address: "192.0.2.2".into(),
        port: 20000,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        telephone_event: true,
        session_id: 7,
        session_version: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    let bytes = offer.to_bytes();
    let again = SessionDescription::parse(&bytes).unwrap_or_else(|e| {
        panic!(
            "serialised SDP does not parse again ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(again, offer, "SDP round trip changed the description");

    if let Ok(answer) = sdp::answer(&offer, &local()) {
        let _ = answer.on_hold();
        let bytes = answer.sdp.to_bytes();
        let parsed = SessionDescription::parse(&bytes).unwrap_or_else(|e| {
            panic!(
                "our answer does not parse ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(parsed, answer.sdp, "answer SDP round trip changed it");
    }
});
