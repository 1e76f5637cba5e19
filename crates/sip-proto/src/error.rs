//! Parse errors. Every variant is something a shell can act on: answer 400 or 505, or drop and
//! count the datagram.

/// Why bytes are not a SIP message we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty input or keep-alive")]
    Empty,
    #[error("message exceeds a size limit: {0}")]
    TooLarge(&'static str),
    #[error("no blank line ends the header section")]
    Incomplete,
    #[error("malformed start line: {0}")]
    BadStartLine(&'static str),
    #[error("unsupported SIP version")]
    BadVersion,
    #[error("malformed header line")]
    BadHeaderLine,
    #[error("missing mandatory header {0}")]
    MissingHeader(&'static str),
    #[error("header {0} may appear only once")]
    DuplicateHeader(&'static str),
    #[error("invalid {name} header: {reason}")]
    InvalidHeader { name: String, reason: &'static str },
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
    #[error("Content-Length exceeds the bytes received")]
    BodyTruncated,
}
