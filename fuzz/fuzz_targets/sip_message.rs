//! SIP messages from the network: `sip_proto::parse` (one datagram) and `sip_proto::parse_stream`
//! (a TCP byte stream holding any number of messages). Nothing may panic; an accepted message must
//! serialise to bytes that parse again, and that serialisation must be a fixpoint.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_proto::{MAX_MESSAGE, Message, ParseError, parse, parse_stream};

/// Serialising canonicalises (unfolds lines, expands compact names, replaces invalid UTF-8,
/// writes Content-Length), which may push a message just over one of the parser's size limits;
/// everything else must parse again and serialise to the same bytes.
fn round_trip(msg: &Message) {
    let bytes = msg.to_bytes();
    match parse(&bytes) {
        Ok(again) => {
            let twice = again.to_bytes();
            assert!(
                twice == bytes,
                "serialisation is not a fixpoint:\n{:?}\n{:?}",
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&twice)
            );
        }
        Err(ParseError::TooLarge(_)) => {}
        Err(e) if bytes.len() > MAX_MESSAGE => drop(e),
        Err(e) => panic!(
            "serialised message does not parse again ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = parse(data) {
        let _ = msg.headers().vias();
        let _ = msg.headers().cseq();
        let _ = msg.headers().from();
        let _ = msg.headers().to();
        let _ = msg.headers().contacts();
        let _ = msg.headers().authorization();
        round_trip(&msg);
    }

    let mut rest = data;
    while let Ok(Some((msg, used))) = parse_stream(rest) {
        assert!(
            used > 0 && used <= rest.len(),
            "parse_stream consumed {used} of {} bytes",
            rest.len()
        );
        round_trip(&msg);
        rest = &rest[used..];
    }
});
