//! SMPP from an SMSC: any bytes as one PDU (`Pdu::decode`; what decodes and encodes again must
//! decode to the same PDU), and the same bytes as a stream into a bound ESME session, which
//! must never panic and must answer only with PDUs that decode.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smpp_proto::pdu::{BindResp, Command, Pdu, Status};
use smpp_proto::session::{Event, Session, SessionConfig};

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = Pdu::decode(data)
        && let Ok(bytes) = pdu.encode()
    {
        assert_eq!(Pdu::decode(&bytes), Ok(pdu), "decode → encode → decode");
    }
    let mut s = Session::new(SessionConfig::default());
    s.connected(0);
    while s.poll_transmit().is_some() {}
    let bound = Pdu {
        command: Command::BindTransceiverResp(BindResp::default()),
        status: Status::OK,
        sequence: 1,
    };
    s.handle_bytes(&bound.encode().unwrap(), 0);
    for (i, chunk) in data.chunks(7).enumerate() {
        s.handle_bytes(chunk, i as u64);
        s.handle_timeout(i as u64 * 1000);
        // Handsets' messages are answered as the shell answers them once stored.
        while let Some(event) = s.poll_event() {
            if let Event::Received { ack: Some(ack), .. } = event {
                s.acknowledge(ack, Status::OK);
            }
        }
    }
    while let Some(bytes) = s.poll_transmit() {
        assert!(Pdu::decode(&bytes).is_ok(), "the session sends valid PDUs");
    }
});
