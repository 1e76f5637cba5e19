//! Delivery receipts, from TLVs or from the receipt text.

use smpp_proto::pdu::{Sm, Tlv, tag};
use smpp_proto::receipt::{DeliveryState, is_receipt, parse, text};

fn receipt_sm(body: &str, tlvs: Vec<Tlv>) -> Sm {
    Sm {
        esm_class: 0x04,
        short_message: body.as_bytes().to_vec(),
        tlvs,
        ..Sm::default()
    }
}

#[test]
fn the_receipt_text_gives_the_id_the_state_and_the_error() {
    let sm = receipt_sm(
        "id:0123456789 sub:001 dlvrd:001 submit date:2601051000 done date:2601051001 stat:DELIVRD err:000 text:Hallo",
        vec![],
    );
    assert!(is_receipt(&sm));
    let r = parse(&sm).unwrap();
    assert_eq!(r.message_id, "0123456789");
    assert_eq!(r.state, DeliveryState::Delivered);
    assert_eq!(r.error.as_deref(), Some("000"));
    let r = parse(&receipt_sm(
        &text("abc", DeliveryState::Undeliverable, "011"),
        vec![],
    ))
    .unwrap();
    assert_eq!(r.state, DeliveryState::Undeliverable);
    assert!(r.state.is_final());
}

#[test]
fn the_tlvs_win_over_the_text() {
    let sm = receipt_sm(
        "id:wrong stat:ENROUTE",
        vec![
            Tlv::c_string(tag::RECEIPTED_MESSAGE_ID, "right"),
            Tlv::u8(tag::MESSAGE_STATE, 2),
        ],
    );
    let r = parse(&sm).unwrap();
    assert_eq!(
        (r.message_id.as_str(), r.state),
        ("right", DeliveryState::Delivered)
    );
}

#[test]
fn a_message_is_no_receipt_and_a_receipt_without_id_or_state_is_not_read() {
    let mut sm = receipt_sm("id:1 stat:DELIVRD", vec![]);
    sm.esm_class = 0;
    assert!(parse(&sm).is_none());
    assert!(parse(&receipt_sm("stat:DELIVRD", vec![])).is_none());
    assert!(parse(&receipt_sm("id:1 stat:SOMETHING", vec![])).is_none());
    // "submit date:" is not "date:"; a field name must stand alone.
    assert!(parse(&receipt_sm("xid:1 stat:DELIVRD", vec![])).is_none());
}
