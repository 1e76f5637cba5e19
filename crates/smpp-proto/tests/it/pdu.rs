//! PDUs: byte-exact encodings of known PDUs, round trips of every command, and strict,
//! total decoding that names the status a generic_nack answers with.

use proptest::prelude::*;
use smpp_proto::pdu::{
    Address, Bind, BindResp, Command, Framer, INTERFACE_VERSION, Pdu, Sm, SmResp, Status, Tlv, tag,
};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn enquire_link_and_bind_transceiver_are_byte_exact() {
    let pdu = Pdu::request(Command::EnquireLink, 1);
    assert_eq!(
        pdu.encode().unwrap(),
        hex("00000010 00000015 00000000 00000001")
    );
    let bind = Pdu::request(
        Command::BindTransceiver(Bind {
            system_id: "hotline".into(),
            password: "secret".into(),
            system_type: String::new(),
            interface_version: INTERFACE_VERSION,
            addr_ton: 0,
            addr_npi: 0,
            address_range: String::new(),
        }),
        7,
    );
    let bytes = bind.encode().unwrap();
    assert_eq!(
        bytes,
        hex("00000024 00000009 00000000 00000007
             686f746c696e6500 73656372657400 00 34 00 00 00")
    );
    assert_eq!(Pdu::decode(&bytes).unwrap(), bind);
}

#[test]
fn a_submit_sm_with_tlvs_round_trips_and_a_refused_one_may_have_no_body() {
    let sm = Sm {
        source: Address::international("+4930123456"),
        dest: Address::international("+4915112345678"),
        registered_delivery: 1,
        data_coding: 8,
        short_message: vec![0, 0x48, 0, 0x69],
        tlvs: vec![
            Tlv::u16(tag::SAR_MSG_REF_NUM, 0x1234),
            Tlv::u8(tag::SAR_TOTAL_SEGMENTS, 2),
            Tlv::u8(tag::SAR_SEGMENT_SEQNUM, 1),
        ],
        ..Sm::default()
    };
    let pdu = Pdu::request(Command::SubmitSm(sm), 42);
    let bytes = pdu.encode().unwrap();
    assert_eq!(Pdu::decode(&bytes).unwrap(), pdu);
    // A refusal without a body, as SMSCs send it.
    let refused = hex("00000010 80000004 00000058 0000002a");
    let got = Pdu::decode(&refused).unwrap();
    assert_eq!(got.status, Status::THROTTLED);
    assert_eq!(got.command, Command::SubmitSmResp(SmResp::default()));
}

#[test]
fn malformed_pdus_name_the_status_to_answer_with() {
    let cases: [(&str, Status); 6] = [
        ("00000010 00000015 000000", Status::INVALID_COMMAND_LENGTH),
        (
            "00000011 00000015 00000000 00000001",
            Status::INVALID_COMMAND_LENGTH,
        ),
        (
            "00000010 00000099 00000000 00000005",
            Status::INVALID_COMMAND_ID,
        ),
        // bind without the NUL after system_id
        (
            "00000015 00000009 00000000 00000005 6162636465",
            Status::INVALID_PARAMETER_LENGTH,
        ),
        // submit_sm cut after service_type
        (
            "00000011 00000004 00000000 00000005 00",
            Status::INVALID_MESSAGE_LENGTH,
        ),
        // a TLV whose value runs past the end
        (
            "00000016 80000009 00000000 00000005 00 0210 0004 34",
            Status::INVALID_OPTIONAL_PARAMETERS,
        ),
    ];
    for (bytes, status) in cases {
        let e = Pdu::decode(&hex(bytes)).unwrap_err();
        assert_eq!(e.status, status, "{bytes}: {e}");
    }
    // The sequence number is kept for the nack.
    let e = Pdu::decode(&hex("00000010 00000099 00000000 00000005")).unwrap_err();
    assert_eq!(e.sequence, 5);
}

#[test]
fn fields_longer_than_smpp_allows_are_refused_when_encoding() {
    let mut bind = Bind {
        system_id: "a-system-id-that-is-too-long".into(),
        password: String::new(),
        system_type: String::new(),
        interface_version: INTERFACE_VERSION,
        addr_ton: 0,
        addr_npi: 0,
        address_range: String::new(),
    };
    assert!(
        Pdu::request(Command::BindTransceiver(bind.clone()), 1)
            .encode()
            .is_err()
    );
    bind.system_id = "ok".into();
    bind.password = "€uro".into();
    assert!(
        Pdu::request(Command::BindTransceiver(bind), 1)
            .encode()
            .is_err()
    );
    let sm = Sm {
        short_message: vec![0; 255],
        ..Sm::default()
    };
    assert!(Pdu::request(Command::SubmitSm(sm), 1).encode().is_err());
}

#[test]
fn a_stream_is_cut_into_pdus_however_it_arrives() {
    let a = Pdu::request(Command::EnquireLink, 1).encode().unwrap();
    let b = Pdu {
        command: Command::BindTransceiverResp(BindResp {
            system_id: "smsc".into(),
            tlvs: vec![Tlv::u8(tag::SC_INTERFACE_VERSION, 0x34)],
        }),
        status: Status::OK,
        sequence: 2,
    }
    .encode()
    .unwrap();
    let stream = [a.clone(), b.clone()].concat();
    for cut in 0..stream.len() {
        let mut f = Framer::default();
        let mut got = Vec::new();
        f.push(&stream[..cut]);
        while let Some(frame) = f.next_frame().unwrap() {
            got.push(frame);
        }
        f.push(&stream[cut..]);
        while let Some(frame) = f.next_frame().unwrap() {
            got.push(frame);
        }
        assert_eq!(got, [a.clone(), b.clone()], "cut at {cut}");
    }
    let mut f = Framer::default();
    f.push(&hex("00000008 00000015"));
    assert!(f.next_frame().is_err(), "a length below the header's");
}

fn c_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(1u8..=0xFF, 0..max)
        .prop_map(|b| b.into_iter().map(char::from).collect())
}

prop_compose! {
    fn sm()(
        service_type in c_string(5), src in c_string(20), dst in c_string(20),
        esm_class: u8, data_coding: u8, registered_delivery: u8,
        short_message in proptest::collection::vec(any::<u8>(), 0..=254),
        tlvs in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..4),
    ) -> Sm {
        Sm {
            service_type,
            source: Address { ton: 1, npi: 1, addr: src },
            dest: Address { ton: 1, npi: 1, addr: dst },
            esm_class,
            data_coding,
            registered_delivery,
            short_message,
            tlvs: tlvs.into_iter().map(|(tag, value)| Tlv { tag, value }).collect(),
            ..Sm::default()
        }
    }
}

proptest! {
    #[test]
    fn every_submit_and_deliver_round_trips(sm in sm(), seq in 1u32..0x7FFF_FFFF, deliver: bool) {
        let command = if deliver { Command::DeliverSm(sm) } else { Command::SubmitSm(sm) };
        let pdu = Pdu::request(command, seq);
        let bytes = pdu.encode().unwrap();
        prop_assert_eq!(Pdu::decode(&bytes).unwrap(), pdu);
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Pdu::decode(&bytes);
    }
}
