//! SRTP and SRTCP (RFC 3711) with the AES counter mode and HMAC-SHA1 suites that SDES
//! (RFC 4568) negotiates: `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32`.
//!
//! One [`SrtpContext`] protects what one side sends: a call has two, an outbound one made from
//! our master key (for what we send, [`SrtpContext::protect_rtp`]) and an inbound one made from
//! the peer's (for what arrives, [`SrtpContext::unprotect_rtp`]). Session keys are derived once
//! from the master key (§4.3, key derivation rate 0) and their AES key schedules built once;
//! each SSRC keeps its rollover counter, highest sequence number and a 64-packet replay window
//! (§3.3.1, §3.3.2, Appendix A). A packet is authenticated before anything else is done with it,
//! and state moves on only for packets that passed.
//!
//! SRTCP always carries the 80-bit tag, also under the `_32` suite (RFC 4568 §6.2); its first
//! index is 1, as libsrtp sends it (the index travels in the packet, so receivers do not care).
//! Neither MKI nor key lifetimes are enforced: SDES keys come with every offer, and a call ends
//! long before 2^31 SRTCP or 2^48 SRTP packets.
//!
//! [`derive_session_key`] and [`apply_aes_cm_keystream`] are the two RFC 3711 primitives the
//! contexts are built on, public so the RFC's own test vectors (Appendix B.2, B.3) check them.
//!
//! Sans-IO: bytes in, bytes out; randomness for new keys is passed in. Crypto is aws-lc-rs
//! (AES-128 in counter mode, HMAC-SHA1), the provider the rest of Hotline uses.

use std::collections::HashMap;
use std::fmt;

use aws_lc_rs::cipher::{AES_128, EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

/// Bytes of an AES-128 master (and session) key.
const KEY_LEN: usize = 16;
/// Bytes of a master (and session) salt.
const SALT_LEN: usize = 14;
/// Bytes of the HMAC-SHA1 session authentication key.
const AUTH_KEY_LEN: usize = 20;
/// The SRTCP authentication tag is 80 bits for both suites (RFC 4568 §6.2).
const SRTCP_TAG_LEN: usize = 10;
/// Packets behind the highest one that may still arrive once (RFC 3711 §3.3.2 asks for ≥ 64).
const REPLAY_WINDOW: u64 = 64;
/// At most this many SSRCs are tracked per context (a flood of invented SSRCs cannot grow it).
const MAX_SSRCS: usize = 64;

/// The crypto suites Hotline speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpProfile {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag.
    AesCm128HmacSha1_80,
    /// AES-128 counter mode, HMAC-SHA1 with a 32-bit tag on SRTP (80 bits on SRTCP).
    AesCm128HmacSha1_32,
}

impl SrtpProfile {
    /// The suite's name in SDES `a=crypto` lines.
    pub fn sdes_name(&self) -> &'static str {
        match self {
            SrtpProfile::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpProfile::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite an SDES name stands for, if Hotline speaks it.
    pub fn from_sdes_name(name: &str) -> Option<SrtpProfile> {
        match name {
            "AES_CM_128_HMAC_SHA1_80" => Some(SrtpProfile::AesCm128HmacSha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Some(SrtpProfile::AesCm128HmacSha1_32),
            _ => None,
        }
    }

    /// Bytes of the SRTP authentication tag.
    pub fn tag_len(&self) -> usize {
        match self {
            SrtpProfile::AesCm128HmacSha1_80 => 10,
            SrtpProfile::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// Why a packet or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    /// Shorter than its header, extension and tag.
    #[error("packet too short for SRTP")]
    TooShort,
    /// Not RTP version 2 (or RTCP where RTP was expected).
    #[error("not an RTP/RTCP version 2 packet")]
    Malformed,
    /// The authentication tag does not match: forged, damaged or under another key.
    #[error("SRTP authentication failed")]
    AuthFailed,
    /// Seen before, or too old for the replay window.
    #[error("SRTP packet replayed or too old")]
    Replayed,
    /// Too many SSRCs in one context.
    #[error("too many SRTP streams")]
    TooManyStreams,
    /// An SDES key that is not 30 bytes of base64, or has an MKI.
    #[error("invalid SDES key: {0}")]
    BadKey(&'static str),
    /// The crypto library refused (never expected with valid key sizes).
    #[error("SRTP crypto failure")]
    Crypto,
}

/// An SRTP master key and salt (30 bytes), as SDES carries them.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    key: [u8; KEY_LEN],
    salt: [u8; SALT_LEN],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key material never goes into logs.
        f.write_str("MasterKey { .. }")
    }
}

impl MasterKey {
    /// A key from 30 random bytes (the caller's randomness: the core reads none).
    pub fn generate(random: [u8; KEY_LEN + SALT_LEN]) -> MasterKey {
        Self::from_bytes(&random)
    }

    /// A key from its 16 key and 14 salt bytes.
    pub fn from_parts(key: [u8; KEY_LEN], salt: [u8; SALT_LEN]) -> MasterKey {
        MasterKey { key, salt }
    }

    fn from_bytes(b: &[u8; KEY_LEN + SALT_LEN]) -> MasterKey {
        let mut key = [0u8; KEY_LEN];
        let mut salt = [0u8; SALT_LEN];
        key.copy_from_slice(&b[..KEY_LEN]);
        salt.copy_from_slice(&b[KEY_LEN..]);
        MasterKey { key, salt }
    }

    /// Parses the value of SDES key parameters after `inline:` (RFC 4568 §6.1): base64 of key
    /// and salt, optionally followed by `|lifetime` (`|2^31` or `|1048576`, accepted and not
    /// enforced); an MKI (`|1:4`) is refused, Hotline speaks none.
    ///
    /// # Errors
    /// [`SrtpError::BadKey`] naming what is wrong: an MKI, a lifetime that is not one, or a
    /// value that is not base64 of exactly 30 bytes.
    pub fn from_inline(value: &str) -> Result<MasterKey, SrtpError> {
        let mut parts = value.split('|');
        let b64 = parts.next().unwrap_or_default();
        let mut lifetime = false;
        for part in parts {
            if part.contains(':') {
                return Err(SrtpError::BadKey("MKI is not supported"));
            }
            let digits = part.strip_prefix("2^").unwrap_or(part);
            if lifetime || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SrtpError::BadKey("invalid key lifetime"));
            }
            lifetime = true;
        }
        let bytes = data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|_| SrtpError::BadKey("not base64"))?;
        let bytes: [u8; KEY_LEN + SALT_LEN] = bytes
            .try_into()
            .map_err(|_| SrtpError::BadKey("not 30 bytes of key and salt"))?;
        Ok(Self::from_bytes(&bytes))
    }

    /// The key as the value after `inline:` (base64 of key and salt).
    pub fn to_inline(&self) -> String {
        let mut b = [0u8; KEY_LEN + SALT_LEN];
        b[..KEY_LEN].copy_from_slice(&self.key);
        b[KEY_LEN..].copy_from_slice(&self.salt);
        data_encoding::BASE64.encode(&b)
    }
}

/// Session keys for one direction of SRTP or SRTCP.
struct SessionKeys {
    cipher: EncryptingKey,
    salt: [u8; SALT_LEN],
    auth: hmac::Key,
}

impl SessionKeys {
    /// Derives the session keys with labels `base`, `base + 1`, `base + 2` (RFC 3711 §4.3.1:
    /// 0–2 for SRTP, 3–5 for SRTCP).
    fn derive(master: &MasterKey, base: u8) -> Result<SessionKeys, SrtpError> {
        let prf = aes_ctr_key(&master.key)?;
        let mut cipher = [0u8; KEY_LEN];
        let mut auth = [0u8; AUTH_KEY_LEN];
        let mut salt = [0u8; SALT_LEN];
        prf_into(&prf, &master.salt, base, &mut cipher)?;
        prf_into(&prf, &master.salt, base + 1, &mut auth)?;
        prf_into(&prf, &master.salt, base + 2, &mut salt)?;
        Ok(SessionKeys {
            cipher: aes_ctr_key(&cipher)?,
            salt,
            auth: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &auth),
        })
    }

    /// XORs the keystream for (`ssrc`, `index`) into `data`.
    fn crypt(&self, ssrc: u32, index: u64, data: &mut [u8]) -> Result<(), SrtpError> {
        keystream_into(&self.cipher, &self.salt, ssrc, index, data)
    }

    /// HMAC-SHA1 over `parts`, in order.
    fn tag(&self, parts: &[&[u8]]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.auth);
        for p in parts {
            ctx.update(p);
        }
        ctx.sign()
    }
}

fn aes_ctr_key(key: &[u8; KEY_LEN]) -> Result<EncryptingKey, SrtpError> {
    let unbound = UnboundCipherKey::new(&AES_128, key).map_err(|_| SrtpError::Crypto)?;
    EncryptingKey::ctr(unbound).map_err(|_| SrtpError::Crypto)
}

/// AES-CM (§4.1.1): XORs into `data` the keystream that starts at the counter block
/// salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16, the counter counting blocks in its low 16 bits.
fn keystream_into(
    cipher: &EncryptingKey,
    salt: &[u8; SALT_LEN],
    ssrc: u32,
    index: u64,
    data: &mut [u8],
) -> Result<(), SrtpError> {
    if data.is_empty() {
        return Ok(());
    }
    let mut iv = [0u8; 16];
    iv[..SALT_LEN].copy_from_slice(salt);
    for (i, b) in ssrc.to_be_bytes().iter().enumerate() {
        iv[4 + i] ^= b;
    }
    // The index is 48 bits: the top two bytes of the u64 take no part.
    for (i, b) in index.to_be_bytes()[2..].iter().enumerate() {
        iv[8 + i] ^= b;
    }
    cipher
        .less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map(|_| ())
        .map_err(|_| SrtpError::Crypto)
}

/// The key derivation PRF (§4.3.1, §4.3.3) with key derivation rate 0: AES-CM under the master
/// key from the block (master salt ⊕ label·2^48)·2^16, its keystream truncated to `out`'s length.
fn prf_into(
    prf: &EncryptingKey,
    master_salt: &[u8; SALT_LEN],
    label: u8,
    out: &mut [u8],
) -> Result<(), SrtpError> {
    let mut x = *master_salt;
    // label·2^48 in a 112-bit salt: the 8th byte from the left.
    x[7] ^= label;
    out.fill(0);
    keystream_into(prf, &x, 0, 0, out)
}

/// The session key for `label` under `master` (RFC 3711 §4.3.1, key derivation rate 0), as
/// long as `out`: labels 0, 1, 2 are SRTP's encryption key, authentication key and salt; 3, 4,
/// 5 SRTCP's. [`SrtpContext::new`] derives its keys with this very function; it is public so
/// that RFC 3711 Appendix B.3 can check it, and packets need only the context.
///
/// # Errors
/// [`SrtpError::Crypto`] if the crypto library refuses (never expected).
pub fn derive_session_key(master: &MasterKey, label: u8, out: &mut [u8]) -> Result<(), SrtpError> {
    prf_into(&aes_ctr_key(&master.key)?, &master.salt, label, out)
}

/// XORs into `data` the AES-CM keystream (RFC 3711 §4.1.1) of packet `index` (ROC·2^16 + SEQ
/// for SRTP, the SRTCP index for SRTCP) from `ssrc` under a session key and salt. The contexts
/// encrypt with this very function over a key schedule they keep; this one builds a schedule per
/// call, and is public so that RFC 3711 Appendix B.2 can check it.
///
/// # Errors
/// [`SrtpError::Crypto`] if the crypto library refuses (never expected).
pub fn apply_aes_cm_keystream(
    session_key: &[u8; KEY_LEN],
    session_salt: &[u8; SALT_LEN],
    ssrc: u32,
    index: u64,
    data: &mut [u8],
) -> Result<(), SrtpError> {
    keystream_into(&aes_ctr_key(session_key)?, session_salt, ssrc, index, data)
}

/// What a context knows of one SSRC it has received from or sent.
#[derive(Debug, Clone, Default)]
struct Stream {
    /// Rollover counter.
    roc: u32,
    /// Highest sequence number seen (with `roc`, the highest index).
    highest: u16,
    /// Bit i set: index `highest_index - i` was received (bit 0 is the highest itself).
    window: u64,
    started: bool,
}

impl Stream {
    fn highest_index(&self) -> u64 {
        (u64::from(self.roc) << 16) | u64::from(self.highest)
    }

    /// The packet index a received sequence number most likely has (RFC 3711 Appendix A).
    fn estimate(&self, seq: u16) -> u64 {
        if !self.started {
            return u64::from(seq);
        }
        let roc = i64::from(self.roc);
        let (s_l, seq_i) = (i64::from(self.highest), i64::from(seq));
        let v = if s_l < 32_768 {
            if seq_i - s_l > 32_768 { roc - 1 } else { roc }
        } else if s_l - 32_768 > seq_i {
            roc + 1
        } else {
            roc
        };
        // Before the first rollover a "previous" ROC does not exist: it is an old packet of ROC 0.
        let v = v.max(0) as u64;
        (v << 16) | u64::from(seq)
    }

    /// Whether `index` may be accepted (not seen, not older than the window).
    fn fresh(&self, index: u64) -> bool {
        if !self.started {
            return true;
        }
        let top = self.highest_index();
        if index > top {
            return true;
        }
        let behind = top - index;
        behind < REPLAY_WINDOW && self.window & (1 << behind) == 0
    }

    /// Records an authenticated (or, for a sender, protected) `index`.
    fn accept(&mut self, index: u64) {
        if !self.started {
            self.started = true;
            self.roc = (index >> 16) as u32;
            self.highest = index as u16;
            self.window = 1;
            return;
        }
        let top = self.highest_index();
        if index > top {
            let ahead = index - top;
            self.window = if ahead >= REPLAY_WINDOW {
                1
            } else {
                (self.window << ahead) | 1
            };
            self.roc = (index >> 16) as u32;
            self.highest = index as u16;
        } else if top - index < REPLAY_WINDOW {
            self.window |= 1 << (top - index);
        }
    }
}

/// One direction of SRTP and SRTCP under one master key: the outbound context of a call holds
/// our key, the inbound one the peer's.
pub struct SrtpContext {
    profile: SrtpProfile,
    rtp: SessionKeys,
    rtcp: SessionKeys,
    /// RTP streams by SSRC: what we sent (for the ROC) or received (ROC and replay window).
    streams: HashMap<u32, Stream>,
    /// SRTCP replay state by SSRC (received), and the next SRTCP index to send.
    rtcp_streams: HashMap<u32, Stream>,
    next_rtcp_index: u32,
}

impl fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

/// The length of an RTP packet's header: fixed part, CSRCs and a header extension.
fn rtp_header_len(packet: &[u8]) -> Result<usize, SrtpError> {
    if packet.len() < 12 {
        return Err(SrtpError::TooShort);
    }
    if packet[0] >> 6 != 2 {
        return Err(SrtpError::Malformed);
    }
    let mut len = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        let ext = packet.get(len + 2..len + 4).ok_or(SrtpError::TooShort)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    if len > packet.len() {
        return Err(SrtpError::TooShort);
    }
    Ok(len)
}

impl SrtpContext {
    /// A context for `profile` under `master`, its session keys derived and key schedules
    /// built here, once.
    pub fn new(profile: SrtpProfile, master: &MasterKey) -> SrtpContext {
        // Key sizes are fixed, so derivation cannot fail; a failure would be a broken
        // crypto library, which `expect` makes loud at once rather than silently plain.
        let keys = |base| SessionKeys::derive(master, base).expect("AES-128 and HMAC-SHA1 keys");
        SrtpContext {
            profile,
            rtp: keys(0),
            rtcp: keys(3),
            streams: HashMap::new(),
            rtcp_streams: HashMap::new(),
            next_rtcp_index: 1,
        }
    }

    /// The suite of this context.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    fn stream(streams: &mut HashMap<u32, Stream>, ssrc: u32) -> Result<&mut Stream, SrtpError> {
        if !streams.contains_key(&ssrc) && streams.len() >= MAX_SSRCS {
            return Err(SrtpError::TooManyStreams);
        }
        Ok(streams.entry(ssrc).or_default())
    }

    /// Encrypts an RTP packet's payload (everything after the header, its CSRCs and header
    /// extension) and appends the authentication tag over header, ciphertext and ROC.
    ///
    /// The rollover counter follows the sequence numbers as a receiver would estimate it
    /// (Appendix A), so a packet protected again or late, after a wrap, keeps the ROC it had.
    ///
    /// # Errors
    /// [`SrtpError::TooShort`] or [`SrtpError::Malformed`] when the bytes are not an RTP packet;
    /// [`SrtpError::TooManyStreams`] for a 65th SSRC.
    pub fn protect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let header = rtp_header_len(packet)?;
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
        let stream = Self::stream(&mut self.streams, ssrc)?;
        let index = stream.estimate(seq);
        stream.accept(index);
        let roc = (index >> 16) as u32;
        let mut out = Vec::with_capacity(packet.len() + self.profile.tag_len());
        out.extend_from_slice(packet);
        self.rtp.crypt(ssrc, index, &mut out[header..])?;
        let tag = self.rtp.tag(&[&out, &roc.to_be_bytes()]);
        out.extend_from_slice(&tag.as_ref()[..self.profile.tag_len()]);
        Ok(out)
    }

    /// Authenticates an SRTP packet, checks it against replay and decrypts it. Nothing is
    /// decrypted and no state changes unless the tag matches.
    ///
    /// # Errors
    /// [`SrtpError::TooShort`] or [`SrtpError::Malformed`] when the bytes cannot be SRTP;
    /// [`SrtpError::AuthFailed`] when the tag does not match (forged, damaged, another key);
    /// [`SrtpError::Replayed`] when the packet was accepted before or is older than the window;
    /// [`SrtpError::TooManyStreams`] for a 65th SSRC.
    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        let tag_len = self.profile.tag_len();
        if packet.len() < 12 + tag_len {
            return Err(SrtpError::TooShort);
        }
        let (body, tag) = packet.split_at(packet.len() - tag_len);
        let header = rtp_header_len(body)?;
        let seq = u16::from_be_bytes([body[2], body[3]]);
        let ssrc = u32::from_be_bytes([body[8], body[9], body[10], body[11]]);
        let (index, fresh) = match self.streams.get(&ssrc) {
            Some(s) => {
                let index = s.estimate(seq);
                (index, s.fresh(index))
            }
            None => (u64::from(seq), true),
        };
        let roc = (index >> 16) as u32;
        let expected = self.rtp.tag(&[body, &roc.to_be_bytes()]);
        aws_lc_rs::constant_time::verify_slices_are_equal(&expected.as_ref()[..tag_len], tag)
            .map_err(|_| SrtpError::AuthFailed)?;
        if !fresh {
            return Err(SrtpError::Replayed);
        }
        Self::stream(&mut self.streams, ssrc)?.accept(index);
        let mut out = body.to_vec();
        self.rtp.crypt(ssrc, index, &mut out[header..])?;
        Ok(out)
    }

    /// Encrypts an RTCP compound packet after its first 8 bytes, appends the E flag with the
    /// SRTCP index, then the 80-bit tag.
    ///
    /// # Errors
    /// [`SrtpError::TooShort`] or [`SrtpError::Malformed`] when the bytes are not RTCP.
    pub fn protect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        if packet.len() < 8 {
            return Err(SrtpError::TooShort);
        }
        if packet[0] >> 6 != 2 {
            return Err(SrtpError::Malformed);
        }
        let ssrc = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let index = self.next_rtcp_index;
        self.next_rtcp_index = (index + 1) & 0x7fff_ffff;
        let mut out = Vec::with_capacity(packet.len() + 4 + SRTCP_TAG_LEN);
        out.extend_from_slice(packet);
        self.rtcp.crypt(ssrc, u64::from(index), &mut out[8..])?;
        out.extend_from_slice(&(index | 0x8000_0000).to_be_bytes());
        let tag = self.rtcp.tag(&[&out]);
        out.extend_from_slice(&tag.as_ref()[..SRTCP_TAG_LEN]);
        Ok(out)
    }

    /// Authenticates an SRTCP packet, checks its index against replay and decrypts it (when
    /// its E flag says it is encrypted). Nothing changes unless the tag matches.
    ///
    /// # Errors
    /// As [`SrtpContext::unprotect_rtp`].
    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        if packet.len() < 8 + 4 + SRTCP_TAG_LEN {
            return Err(SrtpError::TooShort);
        }
        let (body, tag) = packet.split_at(packet.len() - SRTCP_TAG_LEN);
        if body[0] >> 6 != 2 {
            return Err(SrtpError::Malformed);
        }
        let expected = self.rtcp.tag(&[body]);
        aws_lc_rs::constant_time::verify_slices_are_equal(&expected.as_ref()[..SRTCP_TAG_LEN], tag)
            .map_err(|_| SrtpError::AuthFailed)?;
        let (rtcp, e_index) = body.split_at(body.len() - 4);
        let e_index = u32::from_be_bytes([e_index[0], e_index[1], e_index[2], e_index[3]]);
        let (encrypted, index) = (e_index & 0x8000_0000 != 0, u64::from(e_index & 0x7fff_ffff));
        let ssrc = u32::from_be_bytes([rtcp[4], rtcp[5], rtcp[6], rtcp[7]]);
        // The SRTCP index is sent in full: no estimation, only the window.
        if self
            .rtcp_streams
            .get(&ssrc)
            .is_some_and(|s| !s.fresh(index))
        {
            return Err(SrtpError::Replayed);
        }
        Self::stream(&mut self.rtcp_streams, ssrc)?.accept(index);
        let mut out = rtcp.to_vec();
        if encrypted {
            self.rtcp.crypt(ssrc, index, &mut out[8..])?;
        }
        Ok(out)
    }
}
