//! Byte for byte against PyPI `smpplib` (an independent SMPP client): the PDUs the session
//! sends — bind_transceiver, submit_sm in GSM 03.38 and in UCS-2 (encoded by smpplib's own
//! tables), the parts of a long message with their UDH, enquire_link, unbind, and the answers
//! to the SMSC's enquire_link, deliver_sm and an unknown command — are the bytes smpplib
//! generates for the same request. Needs `python3` with `smpplib` (scripts/test installs it).

use std::process::Command as Process;

use serde_json::{Value, json};
use smpp_proto::pdu::{Address, BindResp, Sm};
use smpp_proto::session::Outgoing;
use smpp_proto::{Command, Pdu, Session, SessionConfig, Status};

/// Builds each PDU described in the JSON argument with smpplib and prints their hex.
const SMPPLIB: &str = r#"
import json, random, sys
import smpplib.command as c, smpplib.gsm as g
out = []
for spec in json.loads(sys.argv[1]):
    kind = spec.pop("kind")
    seq = spec.pop("seq")
    text = spec.pop("text", None)
    if text is not None:
        parts, encoding, esm = g.make_parts(text)
        part = spec.pop("part", 0)
        if len(parts) > 1:
            # smpplib draws the reference at random; use the one the session chose.
            ref = spec.pop("ref")
            random.randint = lambda a, b: ref
            parts, encoding, esm = g.make_parts(text)
        spec.update(short_message=parts[part], data_coding=encoding, esm_class=esm)
        spec["parts"] = len(parts)
    parts_count = spec.pop("parts", None)
    pdu = c.factory(kind, sequence=seq, **spec)
    pdu.sequence = seq
    out.append({"hex": pdu.generate().hex(), "parts": parts_count})
print(json.dumps(out))
"#;

fn smpplib(specs: &Value) -> Vec<Value> {
    let output = Process::new("python3")
        .args(["-c", SMPPLIB, &specs.to_string()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "smpplib failed (scripts/test installs it with pip): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sequence(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]])
}

fn submit_spec(seq: u32, text: &str) -> Value {
    json!({
        "kind": "submit_sm", "seq": seq, "service_type": "",
        "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "4930555",
        "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "4915112345678",
        "protocol_id": 0, "priority_flag": 0, "schedule_delivery_time": "", "validity_period": "",
        "registered_delivery": 1, "replace_if_present_flag": 0, "sm_default_msg_id": 0,
        "text": text,
    })
}

fn bound_session() -> (Session, Vec<u8>) {
    let mut s = Session::new(SessionConfig {
        system_id: "hotline".to_owned(),
        password: "s3cret".to_owned(),
        ..SessionConfig::default()
    });
    s.connected(0);
    let bind = s.poll_transmit().unwrap();
    let resp = Pdu {
        command: Command::BindTransceiverResp(BindResp {
            system_id: "SMSC".to_owned(),
            tlvs: Vec::new(),
        }),
        status: Status::OK,
        sequence: sequence(&bind),
    };
    s.handle_bytes(&resp.encode().unwrap(), 0);
    assert!(s.is_bound());
    (s, bind)
}

fn send(s: &mut Session, text: &str) -> Vec<Vec<u8>> {
    s.send(
        &Outgoing {
            from: "+4930555".to_owned(),
            to: "+4915112345678".to_owned(),
            text: text.to_owned(),
            receipt: true,
        },
        0,
    )
    .unwrap();
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

#[test]
fn requests_are_the_bytes_smpplib_makes() {
    let (mut s, bind) = bound_session();
    let gsm = send(&mut s, "Grüße aus Köln: 10€ [sofort] {bitte} ~ \\ | ^");
    let ucs2 = send(&mut s, "„Hallo“ – Sie schreiben mit einem Bot");
    assert_eq!((gsm.len(), ucs2.len()), (1, 1));
    s.unbind(0);
    let unbind = s.poll_transmit().unwrap();
    let specs = json!([
        {"kind": "bind_transceiver", "seq": sequence(&bind), "system_id": "hotline", "password": "s3cret",
         "system_type": "", "interface_version": 0x34, "addr_ton": 0, "addr_npi": 0, "address_range": ""},
        submit_spec(sequence(&gsm[0]), "Grüße aus Köln: 10€ [sofort] {bitte} ~ \\ | ^"),
        submit_spec(sequence(&ucs2[0]), "„Hallo“ – Sie schreiben mit einem Bot"),
        {"kind": "unbind", "seq": sequence(&unbind)},
    ]);
    let theirs = smpplib(&specs);
    let ours = [&bind, &gsm[0], &ucs2[0], &unbind];
    assert_eq!(theirs.len(), ours.len());
    for (i, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(hex(ours), theirs["hex"], "PDU {i}");
    }
}

#[test]
fn long_messages_split_as_smpplib_splits_them() {
    let (mut s, _) = bound_session();
    // Plain GSM text of 400 characters: three parts of 153, 153 and 94.
    let text = "Bitte halten Sie Ihre Versichertenkarte bereit. ".repeat(9);
    let text = &text[..400];
    let parts = send(&mut s, text);
    assert_eq!(parts.len(), 3);
    let first = Pdu::decode(&parts[0]).unwrap();
    let Command::SubmitSm(Sm { short_message, .. }) = first.command else {
        panic!("{first:?}")
    };
    // UDH 05 00 03 ref total seq.
    assert_eq!(&short_message[..3], &[5, 0, 3]);
    let reference = short_message[3];
    let specs: Vec<Value> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut spec = submit_spec(sequence(p), text);
            spec["part"] = json!(i);
            spec["ref"] = json!(reference);
            spec
        })
        .collect();
    let theirs = smpplib(&Value::Array(specs));
    assert_eq!(theirs.len(), parts.len());
    for (i, (ours, theirs)) in parts.iter().zip(&theirs).enumerate() {
        assert_eq!(theirs["parts"], 3);
        assert_eq!(hex(ours), theirs["hex"], "part {}", i + 1);
    }
}

#[test]
fn answers_are_the_bytes_smpplib_makes() {
    let (mut s, _) = bound_session();
    let feed = |s: &mut Session, pdu: Pdu| {
        s.handle_bytes(&pdu.encode().unwrap(), 0);
        s.poll_transmit().unwrap()
    };
    let link = feed(
        &mut s,
        Pdu {
            command: Command::EnquireLink,
            status: Status::OK,
            sequence: 41,
        },
    );
    // A handset's message is answered once the shell has stored it.
    let deliver_sm = Pdu {
        command: Command::DeliverSm(Sm {
            source: Address::international("+4915112345678"),
            dest: Address::international("+4930555"),
            short_message: b"Hallo".to_vec(),
            ..Sm::default()
        }),
        status: Status::OK,
        sequence: 42,
    };
    s.handle_bytes(&deliver_sm.encode().unwrap(), 0);
    let ack = std::iter::from_fn(|| s.poll_event())
        .find_map(|e| match e {
            smpp_proto::Event::Received { ack, .. } => ack,
            _ => None,
        })
        .expect("the message, waiting for its answer");
    s.acknowledge(ack, Status::OK);
    let deliver = s.poll_transmit().unwrap();
    let mut unknown = vec![0, 0, 0, 16, 0, 0, 0x09, 0x99, 0, 0, 0, 0, 0, 0, 0, 43];
    s.handle_bytes(&unknown, 0);
    let nack = s.poll_transmit().unwrap();
    unknown.clear();
    let theirs = smpplib(&json!([
        {"kind": "enquire_link_resp", "seq": 41},
        {"kind": "deliver_sm_resp", "seq": 42, "message_id": ""},
        {"kind": "generic_nack", "seq": 43, "status": 3},
    ]));
    assert_eq!(hex(&link), theirs[0]["hex"]);
    assert_eq!(hex(&deliver), theirs[1]["hex"]);
    assert_eq!(hex(&nack), theirs[2]["hex"]);
}
