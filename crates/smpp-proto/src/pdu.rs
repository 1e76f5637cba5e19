//! SMPP 3.4 PDUs: the header (length, command id, status, sequence number), the bodies of the
//! operations Hotline uses, optional parameters (TLVs), and the framing of a TCP stream into
//! PDUs. Decoding is strict and total: any bytes give a PDU or a [`DecodeError`] that says which
//! status a `generic_nack` answers it with, never a panic.

use std::fmt;

/// The header's length.
pub const HEADER_LEN: usize = 16;

/// The largest PDU accepted (SMPP has no limit; a `submit_sm` with every TLV is far below it).
pub const MAX_PDU_LEN: usize = 64 * 1024;

/// The SMPP version Hotline speaks, as `interface_version`.
pub const INTERFACE_VERSION: u8 = 0x34;

/// A command status (`command_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u32);

impl Status {
    /// No error.
    pub const OK: Status = Status(0x0000_0000);
    /// Message length is invalid.
    pub const INVALID_MESSAGE_LENGTH: Status = Status(0x0000_0001);
    /// Command length is invalid.
    pub const INVALID_COMMAND_LENGTH: Status = Status(0x0000_0002);
    /// Invalid command id.
    pub const INVALID_COMMAND_ID: Status = Status(0x0000_0003);
    /// Incorrect bind status for the command.
    pub const INVALID_BIND_STATUS: Status = Status(0x0000_0004);
    /// Already bound.
    pub const ALREADY_BOUND: Status = Status(0x0000_0005);
    /// System error.
    pub const SYSTEM_ERROR: Status = Status(0x0000_0008);
    /// Invalid source address.
    pub const INVALID_SOURCE_ADDRESS: Status = Status(0x0000_000A);
    /// Invalid destination address.
    pub const INVALID_DESTINATION_ADDRESS: Status = Status(0x0000_000B);
    /// Bind failed.
    pub const BIND_FAILED: Status = Status(0x0000_000D);
    /// Invalid password.
    pub const INVALID_PASSWORD: Status = Status(0x0000_000E);
    /// Invalid system id.
    pub const INVALID_SYSTEM_ID: Status = Status(0x0000_000F);
    /// The SMSC's message queue is full.
    pub const MESSAGE_QUEUE_FULL: Status = Status(0x0000_0014);
    /// Throttling error: the ESME exceeded its allowed message rate.
    pub const THROTTLED: Status = Status(0x0000_0058);
    /// ESME_RX_T_APPN: the ESME cannot take the message now; the SMSC delivers it again.
    pub const TEMPORARY_APP_ERROR: Status = Status(0x0000_0064);
    /// Error in the optional part of the PDU body.
    pub const INVALID_OPTIONAL_PARAMETERS: Status = Status(0x0000_00C0);
    /// Invalid parameter length.
    pub const INVALID_PARAMETER_LENGTH: Status = Status(0x0000_00C2);
    /// Unknown error.
    pub const UNKNOWN_ERROR: Status = Status(0x0000_00FF);

    /// Whether the status says "try again later": the SMSC is throttling or its queue is full.
    pub fn is_transient(self) -> bool {
        self == Status::THROTTLED || self == Status::MESSAGE_QUEUE_FULL
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

/// A command id.
mod id {
    pub(super) const GENERIC_NACK: u32 = 0x8000_0000;
    pub(super) const BIND_RECEIVER: u32 = 0x0000_0001;
    pub(super) const BIND_TRANSMITTER: u32 = 0x0000_0002;
    pub(super) const SUBMIT_SM: u32 = 0x0000_0004;
    pub(super) const DELIVER_SM: u32 = 0x0000_0005;
    pub(super) const UNBIND: u32 = 0x0000_0006;
    pub(super) const BIND_TRANSCEIVER: u32 = 0x0000_0009;
    pub(super) const ENQUIRE_LINK: u32 = 0x0000_0015;
    pub(super) const RESP: u32 = 0x8000_0000;
}

/// An optional parameter: tag and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    /// The tag.
    pub tag: u16,
    /// The value's bytes.
    pub value: Vec<u8>,
}

/// Tags of the optional parameters Hotline reads or writes.
pub mod tag {
    /// The message id a delivery receipt is about (C-Octet string).
    pub const RECEIPTED_MESSAGE_ID: u16 = 0x001E;
    /// Reference number of a long message split by SAR (2 octets).
    pub const SAR_MSG_REF_NUM: u16 = 0x020C;
    /// Number of segments of a long message (1 octet).
    pub const SAR_TOTAL_SEGMENTS: u16 = 0x020E;
    /// This segment's number, from 1 (1 octet).
    pub const SAR_SEGMENT_SEQNUM: u16 = 0x020F;
    /// The SMSC's SMPP version (1 octet), in bind responses.
    pub const SC_INTERFACE_VERSION: u16 = 0x0210;
    /// A message longer than `short_message` allows (octets).
    pub const MESSAGE_PAYLOAD: u16 = 0x0424;
    /// The state a delivery receipt reports (1 octet).
    pub const MESSAGE_STATE: u16 = 0x0427;
}

impl Tlv {
    /// A TLV with a one-octet value.
    pub fn u8(tag: u16, value: u8) -> Self {
        Self {
            tag,
            value: vec![value],
        }
    }

    /// A TLV with a two-octet value.
    pub fn u16(tag: u16, value: u16) -> Self {
        Self {
            tag,
            value: value.to_be_bytes().to_vec(),
        }
    }

    /// A TLV holding a C-Octet string (with its terminating NUL).
    pub fn c_string(tag: u16, value: &str) -> Self {
        let mut bytes: Vec<u8> = value.chars().map(|c| c as u32 as u8).collect();
        bytes.push(0);
        Self { tag, value: bytes }
    }

    /// The value as one octet, if it is one.
    pub fn as_u8(&self) -> Option<u8> {
        match self.value[..] {
            [v] => Some(v),
            _ => None,
        }
    }

    /// The value as two octets, if it is two.
    pub fn as_u16(&self) -> Option<u16> {
        match self.value[..] {
            [a, b] => Some(u16::from_be_bytes([a, b])),
            _ => None,
        }
    }

    /// The value as a C-Octet string (without its NUL; a value without one is taken whole).
    pub fn as_c_string(&self) -> String {
        let end = self
            .value
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.value.len());
        latin1(&self.value[..end])
    }
}

/// The first TLV with `tag`.
pub fn find_tlv(tlvs: &[Tlv], tag: u16) -> Option<&Tlv> {
    tlvs.iter().find(|t| t.tag == tag)
}

/// A `bind_*` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Who binds (at most 15 characters).
    pub system_id: String,
    /// The password (at most 8 characters).
    pub password: String,
    /// The kind of ESME (at most 12 characters; usually empty).
    pub system_type: String,
    /// The SMPP version, [`INTERFACE_VERSION`].
    pub interface_version: u8,
    /// Type of number of `address_range`.
    pub addr_ton: u8,
    /// Numbering plan of `address_range`.
    pub addr_npi: u8,
    /// The addresses this ESME serves (at most 40 characters; empty: any).
    pub address_range: String,
}

/// A `bind_*_resp`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindResp {
    /// The SMSC's id (at most 15 characters).
    pub system_id: String,
    /// Optional parameters (`sc_interface_version`).
    pub tlvs: Vec<Tlv>,
}

/// An address: type of number, numbering plan, digits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// Type of number (1: international, 5: alphanumeric).
    pub ton: u8,
    /// Numbering plan (1: E.164).
    pub npi: u8,
    /// The address (at most 20 characters).
    pub addr: String,
}

impl Address {
    /// An international E.164 number (`+` is dropped).
    pub fn international(number: &str) -> Self {
        Self {
            ton: 1,
            npi: 1,
            addr: number.trim_start_matches('+').to_owned(),
        }
    }

    /// The address as a number is written: `+` and the digits when it is international
    /// (TON 1), as carried otherwise.
    pub fn number(&self) -> String {
        if self.ton == 1 && !self.addr.starts_with('+') && !self.addr.is_empty() {
            format!("+{}", self.addr)
        } else {
            self.addr.clone()
        }
    }
}

/// The body of `submit_sm` and `deliver_sm`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sm {
    /// Service type (at most 5 characters; usually empty).
    pub service_type: String,
    /// Sender.
    pub source: Address,
    /// Recipient.
    pub dest: Address,
    /// `esm_class`: 0x40 says the message starts with a UDH; 0x04 marks a delivery receipt.
    pub esm_class: u8,
    /// Protocol id.
    pub protocol_id: u8,
    /// Priority.
    pub priority_flag: u8,
    /// When to deliver (empty: now).
    pub schedule_delivery_time: String,
    /// Until when to try (empty: the SMSC's default).
    pub validity_period: String,
    /// Whether a delivery receipt is wanted (1: on success or failure).
    pub registered_delivery: u8,
    /// Replace a message still pending.
    pub replace_if_present_flag: u8,
    /// How `short_message` is encoded (0: SMSC default alphabet, 8: UCS-2).
    pub data_coding: u8,
    /// A canned message's id (0: none).
    pub sm_default_msg_id: u8,
    /// The message (at most 254 octets; longer ones go in `message_payload`).
    pub short_message: Vec<u8>,
    /// Optional parameters.
    pub tlvs: Vec<Tlv>,
}

/// `submit_sm_resp` and `deliver_sm_resp`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmResp {
    /// The SMSC's id for the message (at most 64 characters; empty in `deliver_sm_resp`).
    pub message_id: String,
}

/// An operation and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A PDU that could not be understood.
    GenericNack,
    /// Bind to receive only.
    BindReceiver(Bind),
    /// Its answer.
    BindReceiverResp(BindResp),
    /// Bind to send only.
    BindTransmitter(Bind),
    /// Its answer.
    BindTransmitterResp(BindResp),
    /// Bind to send and receive.
    BindTransceiver(Bind),
    /// Its answer.
    BindTransceiverResp(BindResp),
    /// A message to send.
    SubmitSm(Sm),
    /// Its answer, with the SMSC's message id.
    SubmitSmResp(SmResp),
    /// A message or a delivery receipt from the SMSC.
    DeliverSm(Sm),
    /// Its answer.
    DeliverSmResp(SmResp),
    /// Keep-alive.
    EnquireLink,
    /// Its answer.
    EnquireLinkResp,
    /// End the session.
    Unbind,
    /// Its answer.
    UnbindResp,
}

impl Command {
    /// The command id on the wire.
    pub fn id(&self) -> u32 {
        match self {
            Command::GenericNack => id::GENERIC_NACK,
            Command::BindReceiver(_) => id::BIND_RECEIVER,
            Command::BindReceiverResp(_) => id::BIND_RECEIVER | id::RESP,
            Command::BindTransmitter(_) => id::BIND_TRANSMITTER,
            Command::BindTransmitterResp(_) => id::BIND_TRANSMITTER | id::RESP,
            Command::BindTransceiver(_) => id::BIND_TRANSCEIVER,
            Command::BindTransceiverResp(_) => id::BIND_TRANSCEIVER | id::RESP,
            Command::SubmitSm(_) => id::SUBMIT_SM,
            Command::SubmitSmResp(_) => id::SUBMIT_SM | id::RESP,
            Command::DeliverSm(_) => id::DELIVER_SM,
            Command::DeliverSmResp(_) => id::DELIVER_SM | id::RESP,
            Command::EnquireLink => id::ENQUIRE_LINK,
            Command::EnquireLinkResp => id::ENQUIRE_LINK | id::RESP,
            Command::Unbind => id::UNBIND,
            Command::UnbindResp => id::UNBIND | id::RESP,
        }
    }

    /// Whether this is a response (or a `generic_nack`).
    pub fn is_response(&self) -> bool {
        self.id() & id::RESP != 0
    }
}

/// A whole PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// What it is.
    pub command: Command,
    /// The status (responses; 0 in requests).
    pub status: Status,
    /// Pairs a response with its request.
    pub sequence: u32,
}

/// Why bytes are not a PDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (answered with status {status})")]
pub struct DecodeError {
    /// The status a `generic_nack` answers it with.
    pub status: Status,
    /// The sequence number read from the header (0 if there was none).
    pub sequence: u32,
    /// What was wrong.
    pub reason: &'static str,
}

/// Why a PDU cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field is longer than SMPP allows.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its most characters.
        max: usize,
    },
    /// A character that is not one octet (C-Octet strings are ASCII).
    #[error("{0} holds a character that is not one octet")]
    NotOctets(&'static str),
    /// `short_message` over 254 octets (use `message_payload`).
    #[error("short_message has more than 254 octets")]
    MessageTooLong,
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn c_string(
        &mut self,
        field: &'static str,
        value: &str,
        max: usize,
    ) -> Result<(), EncodeError> {
        // `max` counts the terminating NUL, as the specification does.
        if value.chars().count() >= max {
            return Err(EncodeError::TooLong {
                field,
                max: max - 1,
            });
        }
        for c in value.chars() {
            let code = c as u32;
            if code == 0 || code > 0xFF {
                return Err(EncodeError::NotOctets(field));
            }
            self.0.push(code as u8);
        }
        self.0.push(0);
        Ok(())
    }

    fn tlvs(&mut self, tlvs: &[Tlv]) {
        for t in tlvs {
            self.0.extend_from_slice(&t.tag.to_be_bytes());
            // Values over 65,535 octets cannot be written; they are cut, never wrapped.
            let len = t.value.len().min(usize::from(u16::MAX));
            self.0.extend_from_slice(&(len as u16).to_be_bytes());
            self.0.extend_from_slice(&t.value[..len]);
        }
    }
}

impl Pdu {
    /// A request (status 0).
    pub fn request(command: Command, sequence: u32) -> Self {
        Self {
            command,
            status: Status::OK,
            sequence,
        }
    }

    /// The PDU as bytes.
    ///
    /// # Errors
    /// A field too long or not made of octets.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer(vec![0; HEADER_LEN]);
        match &self.command {
            Command::BindReceiver(b)
            | Command::BindTransmitter(b)
            | Command::BindTransceiver(b) => {
                w.c_string("system_id", &b.system_id, 16)?;
                w.c_string("password", &b.password, 9)?;
                w.c_string("system_type", &b.system_type, 13)?;
                w.u8(b.interface_version);
                w.u8(b.addr_ton);
                w.u8(b.addr_npi);
                w.c_string("address_range", &b.address_range, 41)?;
            }
            Command::BindReceiverResp(r)
            | Command::BindTransmitterResp(r)
            | Command::BindTransceiverResp(r) => {
                w.c_string("system_id", &r.system_id, 16)?;
                w.tlvs(&r.tlvs);
            }
            Command::SubmitSm(sm) | Command::DeliverSm(sm) => {
                w.c_string("service_type", &sm.service_type, 6)?;
                w.u8(sm.source.ton);
                w.u8(sm.source.npi);
                w.c_string("source_addr", &sm.source.addr, 21)?;
                w.u8(sm.dest.ton);
                w.u8(sm.dest.npi);
                w.c_string("destination_addr", &sm.dest.addr, 21)?;
                w.u8(sm.esm_class);
                w.u8(sm.protocol_id);
                w.u8(sm.priority_flag);
                w.c_string("schedule_delivery_time", &sm.schedule_delivery_time, 17)?;
                w.c_string("validity_period", &sm.validity_period, 17)?;
                w.u8(sm.registered_delivery);
                w.u8(sm.replace_if_present_flag);
                w.u8(sm.data_coding);
                w.u8(sm.sm_default_msg_id);
                if sm.short_message.len() > 254 {
                    return Err(EncodeError::MessageTooLong);
                }
                w.u8(sm.short_message.len() as u8);
                w.0.extend_from_slice(&sm.short_message);
                w.tlvs(&sm.tlvs);
            }
            Command::SubmitSmResp(r) | Command::DeliverSmResp(r) => {
                // An error response may have no body; a successful one names the message.
                if self.status == Status::OK || !r.message_id.is_empty() {
                    w.c_string("message_id", &r.message_id, 65)?;
                }
            }
            Command::GenericNack
            | Command::EnquireLink
            | Command::EnquireLinkResp
            | Command::Unbind
            | Command::UnbindResp => {}
        }
        let len = w.0.len() as u32;
        w.0[0..4].copy_from_slice(&len.to_be_bytes());
        w.0[4..8].copy_from_slice(&self.command.id().to_be_bytes());
        w.0[8..12].copy_from_slice(&self.status.0.to_be_bytes());
        w.0[12..16].copy_from_slice(&self.sequence.to_be_bytes());
        Ok(w.0)
    }

    /// Reads one whole PDU (exactly `command_length` bytes).
    ///
    /// # Errors
    /// A [`DecodeError`] with the status to answer it with.
    pub fn decode(bytes: &[u8]) -> Result<Pdu, DecodeError> {
        let fail = |status, sequence, reason| DecodeError {
            status,
            sequence,
            reason,
        };
        if bytes.len() < HEADER_LEN {
            return Err(fail(
                Status::INVALID_COMMAND_LENGTH,
                0,
                "shorter than a header",
            ));
        }
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (length, command_id, status, sequence) = (word(0), word(4), word(8), word(12));
        if length as usize != bytes.len() {
            return Err(fail(
                Status::INVALID_COMMAND_LENGTH,
                sequence,
                "command_length does not match the PDU",
            ));
        }
        let mut r = Reader {
            bytes: &bytes[HEADER_LEN..],
            pos: 0,
            sequence,
        };
        let command = match command_id {
            id::GENERIC_NACK => Command::GenericNack,
            id::BIND_RECEIVER => Command::BindReceiver(r.bind()?),
            id::BIND_TRANSMITTER => Command::BindTransmitter(r.bind()?),
            id::BIND_TRANSCEIVER => Command::BindTransceiver(r.bind()?),
            c if c == id::BIND_RECEIVER | id::RESP => Command::BindReceiverResp(r.bind_resp()?),
            c if c == id::BIND_TRANSMITTER | id::RESP => {
                Command::BindTransmitterResp(r.bind_resp()?)
            }
            c if c == id::BIND_TRANSCEIVER | id::RESP => {
                Command::BindTransceiverResp(r.bind_resp()?)
            }
            id::SUBMIT_SM => Command::SubmitSm(r.sm()?),
            id::DELIVER_SM => Command::DeliverSm(r.sm()?),
            c if c == id::SUBMIT_SM | id::RESP => Command::SubmitSmResp(r.sm_resp()?),
            c if c == id::DELIVER_SM | id::RESP => Command::DeliverSmResp(r.sm_resp()?),
            id::ENQUIRE_LINK => Command::EnquireLink,
            c if c == id::ENQUIRE_LINK | id::RESP => Command::EnquireLinkResp,
            id::UNBIND => Command::Unbind,
            c if c == id::UNBIND | id::RESP => Command::UnbindResp,
            _ => {
                return Err(fail(
                    Status::INVALID_COMMAND_ID,
                    sequence,
                    "unknown command id",
                ));
            }
        };
        // What a body without fields may still hold is ignored, as SMSCs do; bodies with
        // fields were read to the end (their TLVs take the rest).
        Ok(Pdu {
            command,
            status: Status(status),
            sequence,
        })
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
    sequence: u32,
}

impl Reader<'_> {
    fn fail(&self, status: Status, reason: &'static str) -> DecodeError {
        DecodeError {
            status,
            sequence: self.sequence,
            reason,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.fail(Status::INVALID_MESSAGE_LENGTH, "the body ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    /// A C-Octet string of at most `max` octets with its NUL.
    fn c_string(&mut self, max: usize) -> Result<String, DecodeError> {
        let rest = &self.bytes[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return Err(self.fail(
                Status::INVALID_PARAMETER_LENGTH,
                "a string has no terminating NUL",
            ));
        };
        if end + 1 > max {
            return Err(self.fail(
                Status::INVALID_PARAMETER_LENGTH,
                "a string is longer than allowed",
            ));
        }
        let s = latin1(&rest[..end]);
        self.pos += end + 1;
        Ok(s)
    }

    fn tlvs(&mut self) -> Result<Vec<Tlv>, DecodeError> {
        let mut out = Vec::new();
        while !self.at_end() {
            let rest = &self.bytes[self.pos..];
            if rest.len() < 4 {
                return Err(self.fail(
                    Status::INVALID_OPTIONAL_PARAMETERS,
                    "an optional parameter's header is cut off",
                ));
            }
            let tag = u16::from_be_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            let Some(value) = rest.get(4..4 + len) else {
                return Err(self.fail(
                    Status::INVALID_OPTIONAL_PARAMETERS,
                    "an optional parameter's value is cut off",
                ));
            };
            out.push(Tlv {
                tag,
                value: value.to_vec(),
            });
            self.pos += 4 + len;
        }
        Ok(out)
    }

    fn bind(&mut self) -> Result<Bind, DecodeError> {
        Ok(Bind {
            system_id: self.c_string(16)?,
            password: self.c_string(9)?,
            system_type: self.c_string(13)?,
            interface_version: self.u8()?,
            addr_ton: self.u8()?,
            addr_npi: self.u8()?,
            address_range: self.c_string(41)?,
        })
    }

    fn bind_resp(&mut self) -> Result<BindResp, DecodeError> {
        // A refused bind may come without a body.
        if self.at_end() {
            return Ok(BindResp::default());
        }
        Ok(BindResp {
            system_id: self.c_string(16)?,
            tlvs: self.tlvs()?,
        })
    }

    fn sm(&mut self) -> Result<Sm, DecodeError> {
        let service_type = self.c_string(6)?;
        let source = Address {
            ton: self.u8()?,
            npi: self.u8()?,
            addr: self.c_string(21)?,
        };
        let dest = Address {
            ton: self.u8()?,
            npi: self.u8()?,
            addr: self.c_string(21)?,
        };
        let esm_class = self.u8()?;
        let protocol_id = self.u8()?;
        let priority_flag = self.u8()?;
        let schedule_delivery_time = self.c_string(17)?;
        let validity_period = self.c_string(17)?;
        let registered_delivery = self.u8()?;
        let replace_if_present_flag = self.u8()?;
        let data_coding = self.u8()?;
        let sm_default_msg_id = self.u8()?;
        let sm_length = usize::from(self.u8()?);
        let Some(short_message) = self.bytes.get(self.pos..self.pos + sm_length) else {
            return Err(self.fail(
                Status::INVALID_MESSAGE_LENGTH,
                "sm_length runs past the PDU",
            ));
        };
        let short_message = short_message.to_vec();
        self.pos += sm_length;
        Ok(Sm {
            service_type,
            source,
            dest,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs: self.tlvs()?,
        })
    }

    fn sm_resp(&mut self) -> Result<SmResp, DecodeError> {
        if self.at_end() {
            return Ok(SmResp::default());
        }
        Ok(SmResp {
            message_id: self.c_string(65)?,
        })
    }
}

/// Cuts a TCP stream into PDUs.
#[derive(Debug, Default)]
pub struct Framer {
    buffer: Vec<u8>,
}

/// A stream whose framing is lost: the length field is impossible, so no later PDU can be
/// found; the connection must close (after a `generic_nack` with this status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("command_length {length} is outside 16..={max}", max = MAX_PDU_LEN)]
pub struct FramingLost {
    /// The length read.
    pub length: u32,
}

impl Framer {
    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole PDU's bytes, if one has arrived.
    ///
    /// # Errors
    /// [`FramingLost`] when the next length is impossible.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FramingLost> {
        if self.buffer.len() < 4 {
            return Ok(None);
        }
        let length = u32::from_be_bytes([
            self.buffer[0],
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
        ]);
        if (length as usize) < HEADER_LEN || length as usize > MAX_PDU_LEN {
            return Err(FramingLost { length });
        }
        if self.buffer.len() < length as usize {
            return Ok(None);
        }
        let rest = self.buffer.split_off(length as usize);
        Ok(Some(std::mem::replace(&mut self.buffer, rest)))
    }

    /// Bytes received but not yet a whole PDU.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}
