//! Long messages: split at the right lengths without breaking an escape or a surrogate pair,
//! joined again in any order, by UDH or by SAR; a part that never comes leaves a marked gap.

use smpp_proto::concat::{ESM_UDHI, Method, Part, Reassembler, split};
use smpp_proto::pdu::{Address, Sm};
use smpp_proto::text::{DATA_CODING_DEFAULT, DATA_CODING_UCS2};

fn payload_len(p: &Part, method: Method) -> usize {
    match method {
        Method::Udh => p.short_message.len() - 6,
        Method::Sar => p.short_message.len(),
    }
}

fn as_sm(p: &Part) -> Sm {
    Sm {
        source: Address::international("+4915112345678"),
        dest: Address::international("+4930123456"),
        esm_class: p.esm_class,
        data_coding: p.data_coding,
        short_message: p.short_message.clone(),
        tlvs: p.tlvs.clone(),
        ..Sm::default()
    }
}

#[test]
fn gsm_text_fits_160_septets_whole_and_153_per_part() {
    assert_eq!(split(&"a".repeat(160), Method::Udh, 1).unwrap().len(), 1);
    let parts = split(&"a".repeat(161), Method::Udh, 1).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(payload_len(&parts[0], Method::Udh), 153);
    assert_eq!(parts[0].short_message[..6], [0x05, 0x00, 0x03, 1, 2, 1]);
    assert_eq!(parts[0].esm_class, ESM_UDHI);
    assert_eq!(split(&"a".repeat(306), Method::Udh, 1).unwrap().len(), 2);
    assert_eq!(split(&"a".repeat(307), Method::Udh, 1).unwrap().len(), 3);
}

#[test]
fn an_escape_is_never_separated_from_its_character() {
    // 152 plain septets, then € (escape + 0x65): the escape would be septet 153.
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(20));
    let parts = split(&text, Method::Sar, 9).unwrap();
    assert_eq!(parts[0].short_message.len(), 152);
    assert_eq!(parts[1].short_message[..2], [0x1B, 0x65]);
}

#[test]
fn ucs2_text_fits_70_units_whole_and_67_per_part_without_breaking_a_pair() {
    assert_eq!(split(&"ä—".repeat(35), Method::Udh, 1).unwrap().len(), 1);
    let parts = split(&"—".repeat(71), Method::Udh, 1).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].data_coding, DATA_CODING_UCS2);
    assert_eq!(payload_len(&parts[0], Method::Udh), 134);
    // 66 units, then an emoji (a pair): it goes whole into the second part.
    let text = format!("{}🙏{}", "—".repeat(66), "—".repeat(10));
    let parts = split(&text, Method::Sar, 1).unwrap();
    assert_eq!(parts[0].short_message.len(), 132);
}

#[test]
fn parts_are_joined_in_any_order_once_each_by_udh_and_by_sar() {
    let text = format!(
        "Guten Tag! {} Ende.",
        "Dies ist ein langer Text. ".repeat(20)
    );
    for method in [Method::Udh, Method::Sar] {
        let parts = split(&text, method, 77).unwrap();
        assert!(parts.len() >= 3);
        let mut r = Reassembler::new(60_000);
        let mut order: Vec<usize> = (0..parts.len()).rev().collect();
        order.insert(1, order[0]); // a repeated part
        let mut joined = None;
        for (k, &i) in order.iter().enumerate() {
            let got = r.push(&as_sm(&parts[i]), k as u64);
            if got.is_some() {
                assert!(joined.is_none(), "joined once");
                joined = got;
            }
        }
        let joined = joined.expect("joined");
        assert_eq!(joined.text, text, "{method:?}");
        assert!(joined.complete);
        assert_eq!(joined.parts, parts.len());
        assert_eq!(
            joined.source, "+4915112345678",
            "an international sender is written with +"
        );
        assert_eq!(r.next_deadline(), None);
    }
}

#[test]
fn a_part_that_never_comes_leaves_a_marked_gap_after_the_time_limit() {
    let text = "x".repeat(400);
    let parts = split(&text, Method::Udh, 5).unwrap();
    assert_eq!(parts.len(), 3);
    let mut r = Reassembler::new(1000);
    assert!(r.push(&as_sm(&parts[0]), 0).is_none());
    assert!(r.push(&as_sm(&parts[2]), 10).is_none());
    assert_eq!(r.next_deadline(), Some(1000));
    assert!(r.expire(999).is_empty());
    let late = r.expire(1000);
    assert_eq!(late.len(), 1);
    assert!(!late[0].complete);
    assert_eq!(
        late[0].text,
        format!("{}[…]{}", "x".repeat(153), "x".repeat(400 - 306))
    );
}

#[test]
fn a_whole_message_passes_at_once_and_nothing_is_refused_silently() {
    let mut r = Reassembler::new(1000);
    let parts = split("Hallo", Method::Udh, 1).unwrap();
    assert_eq!(parts[0].data_coding, DATA_CODING_DEFAULT);
    let joined = r.push(&as_sm(&parts[0]), 0).unwrap();
    assert_eq!(joined.text, "Hallo");
    assert!(split("", Method::Udh, 1).is_err());
    assert!(split(&"a".repeat(153 * 256), Method::Udh, 1).is_err());
}
