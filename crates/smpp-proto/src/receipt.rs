//! Delivery receipts: a `deliver_sm` whose `esm_class` marks it as an SMSC delivery receipt
//! (message type 0x04) reports what became of a submitted message. The message id and the
//! state come from the TLVs `receipted_message_id` and `message_state` when present, else from
//! the receipt text of SMPP 3.4 appendix B (`id:… sub:… dlvrd:… submit date:… done date:…
//! stat:DELIVRD err:… text:…`), read field by field so extra or missing fields do no harm.

use crate::pdu::{Sm, Tlv, find_tlv, tag};

/// `esm_class` message-type bits.
const MESSAGE_TYPE_MASK: u8 = 0x3C;
/// Message type: SMSC delivery receipt.
const DELIVERY_RECEIPT: u8 = 0x04;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// On its way.
    Enroute,
    /// Delivered to the handset.
    Delivered,
    /// Its validity ran out.
    Expired,
    /// Deleted.
    Deleted,
    /// Cannot be delivered.
    Undeliverable,
    /// Accepted (read by a person on the SMSC's behalf).
    Accepted,
    /// Unknown.
    Unknown,
    /// Rejected.
    Rejected,
}

impl DeliveryState {
    /// Whether nothing more will happen to the message.
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Enroute | DeliveryState::Accepted)
    }

    /// The state's name in the receipt text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Enroute => "ENROUTE",
            DeliveryState::Delivered => "DELIVRD",
            DeliveryState::Expired => "EXPIRED",
            DeliveryState::Deleted => "DELETED",
            DeliveryState::Undeliverable => "UNDELIV",
            DeliveryState::Accepted => "ACCEPTD",
            DeliveryState::Unknown => "UNKNOWN",
            DeliveryState::Rejected => "REJECTD",
        }
    }

    fn from_text(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ENROUTE" => DeliveryState::Enroute,
            "DELIVRD" | "DELIVERED" => DeliveryState::Delivered,
            "EXPIRED" => DeliveryState::Expired,
            "DELETED" => DeliveryState::Deleted,
            "UNDELIV" | "UNDELIVERABLE" => DeliveryState::Undeliverable,
            "ACCEPTD" | "ACCEPTED" => DeliveryState::Accepted,
            "UNKNOWN" => DeliveryState::Unknown,
            "REJECTD" | "REJECTED" => DeliveryState::Rejected,
            _ => return None,
        })
    }

    fn from_tlv(v: u8) -> Option<Self> {
        Some(match v {
            1 => DeliveryState::Enroute,
            2 => DeliveryState::Delivered,
            3 => DeliveryState::Expired,
            4 => DeliveryState::Deleted,
            5 => DeliveryState::Undeliverable,
            6 => DeliveryState::Accepted,
            7 => DeliveryState::Unknown,
            8 => DeliveryState::Rejected,
            _ => return None,
        })
    }

    /// The `message_state` TLV's value.
    pub fn tlv_value(self) -> u8 {
        match self {
            DeliveryState::Enroute => 1,
            DeliveryState::Delivered => 2,
            DeliveryState::Expired => 3,
            DeliveryState::Deleted => 4,
            DeliveryState::Undeliverable => 5,
            DeliveryState::Accepted => 6,
            DeliveryState::Unknown => 7,
            DeliveryState::Rejected => 8,
        }
    }
}

/// A delivery receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The SMSC's id of the message it is about (as `submit_sm_resp` gave it).
    pub message_id: String,
    /// What became of it.
    pub state: DeliveryState,
    /// The network's error code, if the receipt gives one (`err:`).
    pub error: Option<String>,
}

/// Whether a `deliver_sm` is a delivery receipt.
pub fn is_receipt(sm: &Sm) -> bool {
    sm.esm_class & MESSAGE_TYPE_MASK == DELIVERY_RECEIPT
}

/// Reads a delivery receipt; `None` when the message is none or names no message or state.
pub fn parse(sm: &Sm) -> Option<Receipt> {
    if !is_receipt(sm) {
        return None;
    }
    let text = crate::text::decode(sm.data_coding, &sm.short_message);
    let field = |name: &str| field(&text, name);
    let message_id = find_tlv(&sm.tlvs, tag::RECEIPTED_MESSAGE_ID)
        .map(Tlv::as_c_string)
        .filter(|s| !s.is_empty())
        .or_else(|| field("id"))?;
    let state = find_tlv(&sm.tlvs, tag::MESSAGE_STATE)
        .and_then(Tlv::as_u8)
        .and_then(DeliveryState::from_tlv)
        .or_else(|| field("stat").and_then(|s| DeliveryState::from_text(&s)))?;
    Some(Receipt {
        message_id,
        state,
        error: field("err"),
    })
}

/// The value after `name:` in a receipt text, up to the next space.
fn field(text: &str, name: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("{name}:");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at;
        // A whole field name: at the start or after a space ("submit date:" is not "date:").
        if start == 0 || text.as_bytes()[start - 1] == b' ' {
            let value = &text[start + needle.len()..];
            let end = value.find(' ').unwrap_or(value.len());
            let v = value[..end].trim();
            return (!v.is_empty()).then(|| v.to_owned());
        }
        from = start + needle.len();
    }
    None
}

/// The receipt text of SMPP 3.4 appendix B for a message (used by tests and simulators).
pub fn text(message_id: &str, state: DeliveryState, error: &str) -> String {
    format!(
        "id:{message_id} sub:001 dlvrd:{} submit date:2601051000 done date:2601051001 stat:{} err:{error} text:",
        if state == DeliveryState::Delivered {
            "001"
        } else {
            "000"
        },
        state.as_str()
    )
}
