//! SDP parsing, serialisation and the offer/answer rules for G.711, telephone-event and hold.

use sip_proto::sdp::{Codec, Direction, SdpError, SessionDescription, answer, offer};

use crate::sim::media;

fn sdp(s: &str) -> SessionDescription {
    SessionDescription::parse(s.replace('\n', "\r\n").as_bytes()).expect("valid SDP")
}

const BASIC: &str = "v=0
o=- 42 1 IN IP4 198.51.100.7
s=call
c=IN IP4 198.51.100.7
t=0 0
m=audio 30000 RTP/AVP 0 8 96
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:96 telephone-event/8000
a=fmtp:96 0-16
a=ptime:30
a=sendrecv
";

#[test]
fn parses_the_audio_subset() {
    let s = sdp(BASIC);
    assert_eq!(s.origin.session_id, 42);
    assert_eq!(s.connection.as_deref(), Some("198.51.100.7"));
    let m = &s.media[0];
    assert_eq!(
        (m.kind.as_str(), m.port, m.proto.as_str()),
        ("audio", 30000, "RTP/AVP")
    );
    assert_eq!(m.formats, ["0", "8", "96"]);
    assert_eq!(m.rtpmaps.len(), 3);
    assert_eq!(m.fmtps, [(96, "0-16".to_owned())]);
    assert_eq!(m.ptime, Some(30));
    assert_eq!(m.direction, Some(Direction::SendRecv));
}

#[test]
fn serialise_then_parse_round_trips() {
    let s = sdp(BASIC);
    assert_eq!(
        SessionDescription::parse(&s.to_bytes()).expect("reparse"),
        s
    );
}

#[test]
fn answer_picks_pcmu_and_telephone_event_with_ptime_20() {
    let a = answer(&sdp(BASIC), &media()).expect("answer");
    assert_eq!(
        (a.codec, a.payload_type, a.telephone_event, a.ptime),
        (Codec::Pcmu, 0, Some(96), 20)
    );
    assert_eq!(a.remote, Some(("198.51.100.7".to_owned(), 30000)));
    let m = &a.sdp.media[0];
    assert_eq!(m.formats, ["0", "96"]);
    assert_eq!(m.fmtps, [(96, "0-16".to_owned())]);
    assert_eq!(m.port, 20000);
    let text = String::from_utf8(a.sdp.to_bytes()).expect("utf-8");
    assert!(
        text.contains("a=rtpmap:96 telephone-event/8000\r\n"),
        "{text}"
    );
    assert!(text.contains("a=ptime:20\r\n"));
    assert!(text.contains("c=IN IP4 192.0.2.2\r\n"));
}

#[test]
fn answer_honours_the_offerers_codec_order_and_dynamic_pcma() {
    let offer = sdp(&BASIC
        .replace("RTP/AVP 0 8 96", "RTP/AVP 97 0")
        .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:97 PCMA/8000"));
    let a = answer(&offer, &media()).expect("answer");
    assert_eq!((a.codec, a.payload_type), (Codec::Pcma, 97));
    assert_eq!(
        a.telephone_event, None,
        "an rtpmap whose payload type is not on the m= line is not an offer"
    );
}

#[test]
fn direction_answers_for_hold() {
    for (offered, expected) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let a = answer(
            &sdp(&BASIC.replace("a=sendrecv", &format!("a={offered}"))),
            &media(),
        )
        .expect("answer");
        assert_eq!(a.direction, expected, "{offered}");
        assert_eq!(a.sdp.media[0].direction, Some(expected));
    }
    let old_style = answer(
        &sdp(&BASIC.replace("c=IN IP4 198.51.100.7", "c=IN IP4 0.0.0.0")),
        &media(),
    )
    .expect("answer");
    assert!(old_style.on_hold(), "RFC 2543 hold by 0.0.0.0");
}

#[test]
fn no_common_codec_is_a_488_error() {
    let g729 = sdp(&BASIC
        .replace("RTP/AVP 0 8 96", "RTP/AVP 18")
        .replace("a=rtpmap:0 PCMU/8000\n", ""));
    assert_eq!(answer(&g729, &media()), Err(SdpError::NoCommonCodec));
    let video_only = sdp(&BASIC.replace("m=audio", "m=video"));
    assert_eq!(answer(&video_only, &media()), Err(SdpError::NoAudio));
}

#[test]
fn other_streams_are_rejected_with_port_zero() {
    let s = sdp(&format!("{BASIC}m=video 30002 RTP/AVP 31\n"));
    let a = answer(&s, &media()).expect("answer");
    assert_eq!(a.sdp.media.len(), 2);
    assert_eq!(a.sdp.media[1].port, 0);
}

#[test]
fn our_offer_lists_both_codecs_and_events() {
    let o = offer(&media(), Direction::SendRecv);
    assert_eq!(o.media[0].formats, ["0", "8", "101"]);
    let back = answer(&o, &media()).expect("we can answer our own offer");
    assert_eq!(back.codec, Codec::Pcmu);
}

#[test]
fn malformed_sdp_is_an_error_not_a_panic() {
    for bad in [
        "v=1\n",
        "o=short\n",
        "v=0\no=- 1 1 IN IP4 x\ns=-\nm=audio notaport RTP/AVP 0\n",
        "garbage",
        "v=0\n",
    ] {
        assert!(SessionDescription::parse(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn ipv6_and_oversized_origin_numbers_are_tolerated() {
    let v6 = sdp(&BASIC
        .replace("c=IN IP4 198.51.100.7", "c=IN IP6 2001:db8::7")
        .replace("o=- 42 1", "o=- 123456789012345678901234567890 1"));
    assert_eq!(v6.origin.session_id, u64::MAX);
    let mut local = media();
    local.address = "2001:db8::2".into();
    let a = answer(&v6, &local).expect("answer");
    assert_eq!(a.remote, Some(("2001:db8::7".to_owned(), 30000)));
    let text = String::from_utf8(a.sdp.to_bytes()).expect("utf-8");
    assert!(text.contains("c=IN IP6 2001:db8::2\r\n"), "{text}");
}

#[test]
fn a_connection_line_without_an_address_is_refused() {
    // Found by the `sdp` fuzz target: `c=IN IP4 /x` used to parse to an empty address that
    // could not be written back, and would have handed the shell an empty RTP destination.
    for text in [
        "v=0\r\no=- 0 7 IN IP4 8\r\ns=\r\nc=IN IP4 /x\r\nt=0 0\r\n",
        "v=0\r\ns=\r\nc=IN IP4 /\r\n",
    ] {
        assert!(
            SessionDescription::parse(text.as_bytes()).is_err(),
            "{text:?}"
        );
    }
    let ok = "v=0\r\no=- 0 7 IN IP4 8\r\ns=\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\n";
    let parsed = SessionDescription::parse(ok.as_bytes()).unwrap();
    let again = SessionDescription::parse(&parsed.to_bytes()).unwrap();
    assert_eq!(parsed, again);
}

/// A peer's SDES key and ours (base64 of 30 bytes each).
const THEIR_KEY: &str = "PS1uQCVeeCFCanVmcjkzMWo3T1lUcWtFTjJtcEhm";
const OUR_KEY: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

fn with_key() -> sip_proto::sdp::LocalMedia {
    sip_proto::sdp::LocalMedia {
        srtp_key: Some(OUR_KEY.into()),
        ..media()
    }
}

/// [`BASIC`] as an SRTP offer with the given `a=crypto` lines.
fn savp(cryptos: &[&str]) -> SessionDescription {
    let lines: String = cryptos.iter().map(|c| format!("a=crypto:{c}\n")).collect();
    sdp(&BASIC
        .replace("RTP/AVP", "RTP/SAVP")
        .replace("a=sendrecv\n", &format!("a=sendrecv\n{lines}")))
}

#[test]
fn an_srtp_offer_is_answered_with_the_first_suite_we_speak_and_our_own_key() {
    let offer = savp(&[
        &format!("1 AES_256_CM_HMAC_SHA1_80 inline:{THEIR_KEY}{THEIR_KEY}"),
        &format!("2 AES_CM_128_HMAC_SHA1_32 inline:{THEIR_KEY}|2^31"),
        &format!("3 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}"),
    ]);
    let a = answer(&offer, &with_key()).expect("answer");
    let agreed = a.srtp.clone().expect("SRTP agreed");
    assert_eq!(agreed.suite, "AES_CM_128_HMAC_SHA1_32");
    assert_eq!(
        agreed.remote_key, THEIR_KEY,
        "the lifetime is not part of the key"
    );
    assert_eq!(agreed.local_key, OUR_KEY);
    let m = &a.sdp.media[0];
    assert_eq!(m.proto, "RTP/SAVP");
    assert_eq!(
        m.other,
        vec![format!("crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{OUR_KEY}")],
        "the offer's tag is echoed with our key"
    );
    // Our answer reads back as one usable crypto line.
    let back = SessionDescription::parse(&a.sdp.to_bytes()).unwrap();
    assert!(back.media[0].cryptos()[0].usable());
    // Key material stays out of debug output (and so out of logs).
    let shown = format!("{agreed:?} {:?}", back.media[0].cryptos());
    assert!(
        !shown.contains(OUR_KEY) && !shown.contains(THEIR_KEY),
        "{shown}"
    );
}

#[test]
fn an_srtp_offer_we_cannot_secure_is_refused_never_answered_in_the_clear() {
    let good = format!("1 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}");
    // Without a key of ours.
    assert_eq!(
        answer(&savp(&[&good]), &media()),
        Err(SdpError::NoCommonCrypto)
    );
    for bad in [
        // A suite we do not speak, an MKI, session parameters, a short or non-base64 key,
        // no key at all.
        format!("1 F8_128_HMAC_SHA1_80 inline:{THEIR_KEY}"),
        format!("1 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}|2^20|1:4"),
        format!("1 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY} UNENCRYPTED_SRTP"),
        "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=".to_owned(),
        format!(
            "1 AES_CM_128_HMAC_SHA1_80 inline:{}",
            THEIR_KEY.replace('P', "*")
        ),
        "1 AES_CM_128_HMAC_SHA1_80".to_owned(),
    ] {
        assert_eq!(
            answer(&savp(&[&bad]), &with_key()),
            Err(SdpError::NoCommonCrypto),
            "{bad}"
        );
    }
    assert_eq!(
        answer(&savp(&[]), &with_key()),
        Err(SdpError::NoCommonCrypto)
    );
}

#[test]
fn plain_rtp_stays_plain_and_a_secure_alternative_is_preferred() {
    let a = answer(&sdp(BASIC), &with_key()).expect("answer");
    assert_eq!(a.srtp, None);
    assert_eq!(a.sdp.media[0].proto, "RTP/AVP");
    assert!(a.sdp.media[0].other.is_empty());
    // An offer of the same audio both ways (plain first): the SRTP stream is taken, the plain
    // one refused with port 0.
    let secure = format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}\n");
    let both = format!(
        "{BASIC}{}{secure}",
        BASIC[BASIC.find("m=audio").unwrap()..].replace("30000 RTP/AVP", "30002 RTP/SAVP")
    );
    let a = answer(&sdp(&both), &with_key()).expect("answer");
    assert!(a.srtp.is_some());
    assert_eq!(a.remote, Some(("198.51.100.7".to_owned(), 30002)));
    assert_eq!(a.sdp.media[0].port, 0);
    assert_eq!(a.sdp.media[1].proto, "RTP/SAVP");
    // Without a key of ours the plain stream is answered.
    let a = answer(&sdp(&both), &media()).expect("answer");
    assert_eq!(a.srtp, None);
    assert_eq!(a.remote, Some(("198.51.100.7".to_owned(), 30000)));
}
