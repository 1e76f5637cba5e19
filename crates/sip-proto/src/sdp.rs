//! SDP (RFC 4566) parsing and serialisation for the audio subset we speak, and the RFC 3264
//! answerer: G.711 (PCMU 0, PCMA 8), telephone-event (RFC 4733), ptime 20, and hold by direction.

use std::fmt;

/// Media direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn parse(s: &str) -> Option<Direction> {
        match s {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answerer uses for this offered direction (RFC 3264 §6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }
}

/// `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: u64,
    pub session_version: u64,
    pub address: String,
}

/// `a=rtpmap:` contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<String>,
    /// Address from the media-level `c=` line.
    pub connection: Option<String>,
    pub rtpmaps: Vec<RtpMap>,
    pub fmtps: Vec<(u8, String)>,
    pub ptime: Option<u32>,
    pub direction: Option<Direction>,
    /// Attributes we do not interpret, without the `a=`.
    pub other: Vec<String>,
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    pub session_name: String,
    /// Address from the session-level `c=` line.
    pub connection: Option<String>,
    pub direction: Option<Direction>,
    pub media: Vec<Media>,
}

/// Why an SDP did not parse or cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("malformed SDP line {line}: {reason}")]
    Malformed { line: usize, reason: &'static str },
    #[error("SDP lacks a mandatory {0} line")]
    Missing(&'static str),
    #[error("offer has no usable audio stream")]
    NoAudio,
    /// Answer with 488 Not Acceptable Here.
    #[error("no codec in common with the offer")]
    NoCommonCodec,
    /// An `RTP/SAVP` offer without a crypto suite we speak (or with keys we cannot use):
    /// answer with 488.
    #[error("no SRTP crypto suite in common with the offer")]
    NoCommonCrypto,
}

/// `IP6` for IPv6 literals, `IP4` otherwise.
fn addr_type(addr: &str) -> &'static str {
    if addr.contains(':') { "IP6" } else { "IP4" }
}

/// Origin numbers are digits; some stacks send more than fit in 64 bits, which we tolerate by
/// saturating because we never echo a peer's origin.
fn origin_number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().unwrap_or(u64::MAX))
}

fn connection_address(v: &str) -> Option<String> {
    let mut it = v.split_whitespace();
    let (_net, _kind, addr) = (it.next()?, it.next()?, it.next()?);
    // `addr/ttl` or `addr/ttl/count` (multicast); an empty address before the slash is no
    // address at all (found by the `sdp` fuzz target: it could not be written back).
    let addr = addr.split('/').next().unwrap_or(addr);
    (!addr.is_empty()).then(|| addr.to_owned())
}

impl SessionDescription {
    pub fn parse(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SdpError::Malformed {
            line: 0,
            reason: "not UTF-8",
        })?;
        let mut origin = None;
        let (mut session_name, mut connection, mut direction) = (None, None, None);
        let mut media: Vec<Media> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let bad = |reason| SdpError::Malformed {
                line: i + 1,
                reason,
            };
            let (kind, value) = line.split_once('=').ok_or(bad("expected type=value"))?;
            match (kind, media.last_mut()) {
                ("v", _) if value != "0" => return Err(bad("unsupported version")),
                ("o", _) => {
                    let f: Vec<&str> = value.split_whitespace().collect();
                    let [user, id, version, _, _, addr] = f[..] else {
                        return Err(bad("o= needs six fields"));
                    };
                    origin = Some(Origin {
                        username: user.to_owned(),
                        session_id: origin_number(id).ok_or(bad("session id"))?,
                        session_version: origin_number(version).ok_or(bad("session version"))?,
                        address: addr.to_owned(),
                    });
                }
                ("s", _) => session_name = Some(value.to_owned()),
                ("c", None) => {
                    connection =
                        Some(connection_address(value).ok_or(bad("c= needs three fields"))?)
                }
                ("c", Some(m)) => {
                    m.connection =
                        Some(connection_address(value).ok_or(bad("c= needs three fields"))?)
                }
                ("m", _) => {
                    let f: Vec<&str> = value.split_whitespace().collect();
                    if f.len() < 3 {
                        return Err(bad("m= needs kind, port and proto"));
                    }
                    let port = f[1].split('/').next().unwrap_or_default();
                    media.push(Media {
                        kind: f[0].to_owned(),
                        port: port.parse().map_err(|_| bad("m= port"))?,
                        proto: f[2].to_owned(),
                        formats: f[3..].iter().map(|s| (*s).to_owned()).collect(),
                        connection: None,
                        rtpmaps: Vec::new(),
                        fmtps: Vec::new(),
                        ptime: None,
                        direction: None,
                        other: Vec::new(),
                    });
                }
                ("a", m) => {
                    let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                    match (Direction::parse(name), m) {
                        (Some(d), None) => direction = Some(d),
                        (Some(d), Some(m)) => m.direction = Some(d),
                        (None, Some(m)) => parse_media_attr(m, name, arg, value).map_err(bad)?,
                        (None, None) => {}
                    }
                }
                _ => {}
            }
        }
        Ok(SessionDescription {
            origin: origin.ok_or(SdpError::Missing("o="))?,
            session_name: session_name.ok_or(SdpError::Missing("s="))?,
            connection,
            direction,
            media,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

fn parse_media_attr(m: &mut Media, name: &str, arg: &str, raw: &str) -> Result<(), &'static str> {
    match name {
        "rtpmap" => {
            let (pt, enc) = arg
                .split_once(' ')
                .ok_or("rtpmap needs payload type and encoding")?;
            let mut parts = enc.trim().split('/');
            let encoding = parts.next().unwrap_or_default().to_owned();
            let clock_rate = parts
                .next()
                .and_then(|c| c.parse().ok())
                .ok_or("rtpmap clock rate")?;
            let channels = parts.next().and_then(|c| c.parse().ok());
            let payload_type = pt.parse().map_err(|_| "rtpmap payload type")?;
            m.rtpmaps.push(RtpMap {
                payload_type,
                encoding,
                clock_rate,
                channels,
            });
        }
        "fmtp" => {
            let (pt, params) = arg
                .split_once(' ')
                .ok_or("fmtp needs payload type and parameters")?;
            m.fmtps.push((
                pt.parse().map_err(|_| "fmtp payload type")?,
                params.trim().to_owned(),
            ));
        }
        "ptime" => m.ptime = Some(arg.trim().parse().map_err(|_| "ptime")?),
        _ => m.other.push(raw.to_owned()),
    }
    Ok(())
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} IN {} {}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            addr_type(&o.address),
            o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        if let Some(c) = &self.connection {
            write!(f, "c=IN {} {c}\r\n", addr_type(c))?;
        }
        f.write_str("t=0 0\r\n")?;
        if let Some(d) = self.direction {
            write!(f, "a={}\r\n", d.as_str())?;
        }
        for m in &self.media {
            write!(f, "m={} {} {}", m.kind, m.port, m.proto)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            f.write_str("\r\n")?;
            if let Some(c) = &m.connection {
                write!(f, "c=IN {} {c}\r\n", addr_type(c))?;
            }
            for r in &m.rtpmaps {
                write!(
                    f,
                    "a=rtpmap:{} {}/{}",
                    r.payload_type, r.encoding, r.clock_rate
                )?;
                if let Some(ch) = r.channels {
                    write!(f, "/{ch}")?;
                }
                f.write_str("\r\n")?;
            }
            for (pt, p) in &m.fmtps {
                write!(f, "a=fmtp:{pt} {p}\r\n")?;
            }
            if let Some(p) = m.ptime {
                write!(f, "a=ptime:{p}\r\n")?;
            }
            for a in &m.other {
                write!(f, "a={a}\r\n")?;
            }
            if let Some(d) = m.direction {
                write!(f, "a={}\r\n", d.as_str())?;
            }
        }
        Ok(())
    }
}

/// The G.711 codecs we terminate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    pub fn encoding(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// What we can do locally, in our order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    pub address: String,
    pub port: u16,
    pub codecs: Vec<Codec>,
    pub telephone_event: bool,
    pub session_id: u64,
    pub session_version: u64,
    /// Our SRTP master key and salt for SDES (RFC 4568), as the `inline:` value (base64 of
    /// 30 bytes), made by the shell from its randomness. With a key, an offer of SRTP
    /// (`RTP/SAVP` with a suite we know) is answered with SRTP; without, it is refused (488).
    /// Offers we make are plain RTP.
    pub srtp_key: Option<String>,
}

/// The negotiated result plus the SDP to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub sdp: SessionDescription,
    pub codec: Codec,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    pub ptime: u32,
    /// Our direction in the answer.
    pub direction: Direction,
    /// Where to send RTP; `None` when the peer put the stream on hold with 0.0.0.0 or port 0.
    pub remote: Option<(String, u16)>,
    /// The SRTP agreed by SDES, when the stream is `RTP/SAVP`.
    pub srtp: Option<SrtpAgreed>,
}

/// The SRTP crypto suites Hotline speaks (RFC 4568 §6.2), in our order of preference.
pub const SRTP_SUITES: [&str; 2] = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"];

/// What SDES agreed for one stream: the suite and the two master keys (each the `inline:`
/// value, base64 of key and salt). Each side encrypts with its own key; the peer's key
/// decrypts what it sends.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpAgreed {
    /// The crypto suite, one of [`SRTP_SUITES`].
    pub suite: String,
    /// The key the peer encrypts with (from its `a=crypto` line).
    pub remote_key: String,
    /// The key we encrypt with (from our `a=crypto` line).
    pub local_key: String,
}

impl fmt::Debug for SrtpAgreed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key material never goes into logs.
        f.debug_struct("SrtpAgreed")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// One `a=crypto` attribute of a media description (RFC 4568 §9.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Crypto {
    /// The attribute's tag, echoed in the answer.
    pub tag: u32,
    /// The crypto suite.
    pub suite: String,
    /// The first key's `inline:` value, without lifetime or MKI.
    pub key: String,
    /// Whether the key carries an MKI (which Hotline does not speak).
    pub mki: bool,
    /// Session parameters after the key (e.g. `UNENCRYPTED_SRTP`), which Hotline refuses.
    pub session_params: bool,
}

impl fmt::Debug for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crypto")
            .field("tag", &self.tag)
            .field("suite", &self.suite)
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

impl Crypto {
    /// Parses the value of an `a=crypto:` attribute (after the colon); `None` when it is not
    /// one.
    pub fn parse(arg: &str) -> Option<Crypto> {
        let mut fields = arg.split_whitespace();
        let tag = fields.next()?.parse().ok()?;
        let suite = fields.next()?.to_owned();
        let key_params = fields.next()?;
        let session_params = fields.next().is_some();
        // Several keys are separated by `;`; the first is used.
        let first = key_params.split(';').next()?;
        let inline = first.strip_prefix("inline:")?;
        let mut parts = inline.split('|');
        let key = parts.next()?.to_owned();
        // `|lifetime` (`2^31` or a number) and `|MKI:length`.
        let mki = parts.any(|p| p.contains(':'));
        Some(Crypto {
            tag,
            suite,
            key,
            mki,
            session_params,
        })
    }

    /// Whether Hotline can use this line: a known suite, a key of 30 bytes in base64 (40
    /// characters), no MKI and no session parameters.
    pub fn usable(&self) -> bool {
        SRTP_SUITES.contains(&self.suite.as_str())
            && !self.mki
            && !self.session_params
            && self.key.len() == 40
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    }
}

impl Media {
    /// The media description's `a=crypto` attributes, in order.
    pub fn cryptos(&self) -> Vec<Crypto> {
        self.other
            .iter()
            .filter_map(|a| a.strip_prefix("crypto:"))
            .filter_map(Crypto::parse)
            .collect()
    }
}

impl Answer {
    /// True when the peer does not want to receive from us (hold).
    pub fn on_hold(&self) -> bool {
        matches!(self.direction, Direction::RecvOnly | Direction::Inactive) || self.remote.is_none()
    }
}

const PTIME: u32 = 20;

fn codec_for(m: &Media, fmt: &str) -> Option<(Codec, u8)> {
    let pt: u8 = fmt.parse().ok()?;
    match m.rtpmaps.iter().find(|r| r.payload_type == pt) {
        Some(r) if r.clock_rate == 8000 && r.encoding.eq_ignore_ascii_case("PCMU") => {
            Some((Codec::Pcmu, pt))
        }
        Some(r) if r.clock_rate == 8000 && r.encoding.eq_ignore_ascii_case("PCMA") => {
            Some((Codec::Pcma, pt))
        }
        Some(_) => None,
        None if pt == 0 => Some((Codec::Pcmu, 0)),
        None if pt == 8 => Some((Codec::Pcma, 8)),
        None => None,
    }
}

/// Answers an offer (RFC 3264): the first audio stream gets the first offered codec we support,
/// telephone-event when offered, ptime 20 and the answering direction; other streams are rejected
/// with port 0.
///
/// An `RTP/SAVP` stream is answered with SRTP (RFC 4568): the first `a=crypto` line with a suite
/// we know, echoing its tag with our own key. An offer with an `RTP/SAVP` and an `RTP/AVP`
/// audio stream gets SRTP when we have a key. An `RTP/SAVP` offer we cannot secure is refused
/// ([`SdpError::NoCommonCrypto`]): falling back to plain RTP would break the peer's policy.
pub fn answer(offer: &SessionDescription, local: &LocalMedia) -> Result<Answer, SdpError> {
    let is_audio = |m: &Media, proto: &str| m.kind == "audio" && m.port != 0 && m.proto == proto;
    let secure = local.srtp_key.as_ref().and_then(|key| {
        offer.media.iter().enumerate().find_map(|(i, m)| {
            if !is_audio(m, "RTP/SAVP") {
                return None;
            }
            let c = m.cryptos().into_iter().find(Crypto::usable)?;
            Some((i, c, key.clone()))
        })
    });
    let audio_index = match &secure {
        Some((i, _, _)) => *i,
        None => offer
            .media
            .iter()
            .position(|m| is_audio(m, "RTP/AVP"))
            .or_else(|| {
                offer
                    .media
                    .iter()
                    .position(|m| m.kind == "audio" && m.proto == "RTP/AVP")
            })
            .ok_or_else(|| {
                if offer
                    .media
                    .iter()
                    .any(|m| m.kind == "audio" && m.proto == "RTP/SAVP")
                {
                    SdpError::NoCommonCrypto
                } else {
                    SdpError::NoAudio
                }
            })?,
    };
    let m = &offer.media[audio_index];
    let (codec, payload_type) = m
        .formats
        .iter()
        .filter_map(|f| codec_for(m, f))
        .find(|(c, _)| local.codecs.contains(c))
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event = local
        .telephone_event
        .then(|| {
            m.rtpmaps
                .iter()
                .filter(|r| m.formats.iter().any(|f| f.parse() == Ok(r.payload_type)))
                .find(|r| {
                    r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == 8000
                })
                .map(|r| r.payload_type)
        })
        .flatten();
    let offered = m
        .direction
        .or(offer.direction)
        .unwrap_or(Direction::SendRecv);
    let direction = offered.answer();
    let addr = m.connection.clone().or_else(|| offer.connection.clone());
    let remote = addr
        .filter(|a| a != "0.0.0.0" && m.port != 0)
        .map(|a| (a, m.port));

    let mut formats = vec![payload_type.to_string()];
    let mut rtpmaps = vec![RtpMap {
        payload_type,
        encoding: codec.encoding().into(),
        clock_rate: 8000,
        channels: None,
    }];
    let mut fmtps = Vec::new();
    if let Some(pt) = telephone_event {
        formats.push(pt.to_string());
        rtpmaps.push(RtpMap {
            payload_type: pt,
            encoding: "telephone-event".into(),
            clock_rate: 8000,
            channels: None,
        });
        fmtps.push((pt, "0-16".to_owned()));
    }
    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, om)| {
            if i == audio_index {
                Media {
                    kind: "audio".into(),
                    port: local.port,
                    proto: if secure.is_some() {
                        "RTP/SAVP"
                    } else {
                        "RTP/AVP"
                    }
                    .into(),
                    formats: formats.clone(),
                    connection: None,
                    rtpmaps: rtpmaps.clone(),
                    fmtps: fmtps.clone(),
                    ptime: Some(PTIME),
                    direction: Some(direction),
                    other: secure
                        .iter()
                        .map(|(_, c, key)| format!("crypto:{} {} inline:{key}", c.tag, c.suite))
                        .collect(),
                }
            } else {
                Media {
                    port: 0,
                    connection: None,
                    rtpmaps: Vec::new(),
                    fmtps: Vec::new(),
                    ptime: None,
                    direction: None,
                    other: Vec::new(),
                    ..om.clone()
                }
            }
        })
        .collect();
    let sdp = SessionDescription {
        origin: Origin {
            username: "hotline".into(),
            session_id: local.session_id,
            session_version: local.session_version,
            address: local.address.clone(),
        },
        session_name: "hotline".into(),
        connection: Some(local.address.clone()),
        direction: None,
        media,
    };
    Ok(Answer {
        sdp,
        codec,
        payload_type,
        telephone_event,
        ptime: PTIME,
        direction,
        remote,
        srtp: secure.map(|(_, c, key)| SrtpAgreed {
            suite: c.suite,
            remote_key: c.key,
            local_key: key,
        }),
    })
}

/// Reads the answer to our [`offer`] (RFC 3264 §5): the codec is the answer's first one we
/// support, telephone-event as answered, the direction ours given the answer's, and where to
/// send. The returned `sdp` is our offer, as sent.
pub fn accept(answer_sdp: &SessionDescription, local: &LocalMedia) -> Result<Answer, SdpError> {
    // The answerer's choice read like an offer gives exactly what both sides agreed.
    let plain = LocalMedia {
        srtp_key: None,
        ..local.clone()
    };
    let agreed = answer(answer_sdp, &plain)?;
    Ok(Answer {
        sdp: offer(local, Direction::SendRecv),
        ..agreed
    })
}

/// An offer of our codecs (used when an INVITE arrives without SDP, and for calls we place).
pub fn offer(local: &LocalMedia, direction: Direction) -> SessionDescription {
    let mut formats: Vec<String> = local
        .codecs
        .iter()
        .map(|c| c.static_payload_type().to_string())
        .collect();
    let mut rtpmaps: Vec<RtpMap> = local
        .codecs
        .iter()
        .map(|c| RtpMap {
            payload_type: c.static_payload_type(),
            encoding: c.encoding().into(),
            clock_rate: 8000,
            channels: None,
        })
        .collect();
    let mut fmtps = Vec::new();
    if local.telephone_event {
        formats.push("101".into());
        rtpmaps.push(RtpMap {
            payload_type: 101,
            encoding: "telephone-event".into(),
            clock_rate: 8000,
            channels: None,
        });
        fmtps.push((101, "0-16".to_owned()));
    }
    SessionDescription {
        origin: Origin {
            username: "hotline".into(),
            session_id: local.session_id,
            session_version: local.session_version,
            address: local.address.clone(),
        },
        session_name: "hotline".into(),
        connection: Some(local.address.clone()),
        direction: None,
        media: vec![Media {
            kind: "audio".into(),
            port: local.port,
            proto: "RTP/AVP".into(),
            formats,
            connection: None,
            rtpmaps,
            fmtps,
            ptime: Some(PTIME),
            direction: Some(direction),
            other: Vec::new(),
        }],
    }
}
