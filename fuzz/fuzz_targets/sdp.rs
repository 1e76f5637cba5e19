//! SDP offers from the network: `SessionDescription::parse`, the serialise→parse round trip, and
//! the RFC 3264 answerer against a fixed local capability (with an SDES key), whose answer must
//! parse too and carry SRTP exactly when it agreed to it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_proto::sdp::{self, Codec, LocalMedia, SessionDescription};

/// Our SDES key (base64 of 30 bytes).
const KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

fn local() -> LocalMedia {
    LocalMedia {
        address: "192.0.2.2".into(),
        port: 20000,
        codecs: vec![Codec::Pcmu, Codec::Pcma],
        telephone_event: true,
        session_id: 7,
        session_version: 1,
        srtp_key: Some(KEY.into()),
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
        // SRTP agreed exactly when our answer says RTP/SAVP, with our key on a usable line.
        let ours = parsed
            .media
            .iter()
            .find(|m| m.port != 0)
            .expect("an answered stream");
        match &answer.srtp {
            Some(agreed) => {
                assert_eq!(ours.proto, "RTP/SAVP");
                let crypto = ours.cryptos();
                assert_eq!(crypto.len(), 1);
                assert!(crypto[0].usable());
                assert_eq!(crypto[0].key, KEY);
                assert_eq!(agreed.local_key, KEY);
                assert_eq!(crypto[0].suite, agreed.suite);
            }
            None => assert_eq!(ours.proto, "RTP/AVP"),
        }
    }
});
