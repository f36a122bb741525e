//! Frames on a TCP stream, and the session client's requests and replies.
//!
//! A frame is a 4-byte little-endian length, then that many bytes: one byte of kind and the
//! body. Bodies of several parts hold each part as a 4-byte little-endian length and its bytes.

use std::error::Error;
use std::fmt;
use std::io::{self, Read, Write};

use concord_crdt::ReplicaId;
use concord_crdt::codec;
use concord_crdt::sync::SessionToken;

/// The largest frame accepted or sent, in bytes.
pub(crate) const MAX_FRAME: usize = 1 << 20;

/// Frame kinds.
pub(crate) mod kind {
    /// A peer's first frame: its replica id, 16 bytes.
    pub(crate) const HELLO: u8 = b'H';
    /// A concord-sync message, from the peer named by the connection's hello.
    pub(crate) const SYNC: u8 = b'S';
    /// A client's write: key, value. Answered by `TOKEN`.
    pub(crate) const WRITE: u8 = b'W';
    /// A client's read: token, key. Answered by `VALUES` or `BEHIND`.
    pub(crate) const READ: u8 = b'R';
    /// A request for the whole state. Answered by `STATE`.
    pub(crate) const DUMP: u8 = b'D';
    /// The session token of a write.
    pub(crate) const TOKEN: u8 = b'T';
    /// A read served: the session's token after it, then the key's values.
    pub(crate) const VALUES: u8 = b'V';
    /// A read this node cannot serve yet: why.
    pub(crate) const BEHIND: u8 = b'B';
    /// The state, as codec bytes.
    pub(crate) const STATE: u8 = b'X';
    /// A request refused: why.
    pub(crate) const ERROR: u8 = b'E';
}

/// Writes one frame; returns the bytes written.
pub(crate) fn write_frame(stream: &mut impl Write, kind: u8, body: &[u8]) -> io::Result<u64> {
    let len = body.len() + 1;
    let prefix = u32::try_from(len)
        .ok()
        .filter(|_| len <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut frame = Vec::with_capacity(4 + len);
    frame.extend_from_slice(&prefix.to_le_bytes());
    frame.push(kind);
    frame.extend_from_slice(body);
    stream.write_all(&frame)?;
    Ok(frame.len() as u64)
}

/// Reads one frame: its kind and body; `None` at a clean end of the stream. A length over
/// [`MAX_FRAME`] or of zero is an `InvalidData` error, before anything is allocated.
pub(crate) fn read_frame(stream: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut prefix = [0; 4];
    match stream.read_exact(&mut prefix) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(prefix) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("refused a frame of {len} bytes (1 to {MAX_FRAME})"),
        ));
    }
    let mut frame = vec![0; len];
    stream.read_exact(&mut frame)?;
    let body = frame.split_off(1);
    let kind = frame.first().copied().unwrap_or_default();
    Ok(Some((kind, body)))
}

/// A body that does not parse.
#[derive(Debug)]
pub(crate) struct BadBody(pub(crate) String);

impl fmt::Display for BadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed frame body: {}", self.0)
    }
}

impl Error for BadBody {}

fn bad(why: impl Into<String>) -> BadBody {
    BadBody(why.into())
}

/// The parts joined into one body.
fn join(parts: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        // Parts are far below 4 GiB: a frame holds at most MAX_FRAME bytes.
        body.extend_from_slice(&(part.len() as u32).to_le_bytes());
        body.extend_from_slice(part);
    }
    body
}

/// A body split into its parts, checking every length against what is left.
fn split(mut body: &[u8]) -> Result<Vec<&[u8]>, BadBody> {
    let mut parts = Vec::new();
    while !body.is_empty() {
        let (len, rest) = body
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("a part's length is cut short"))?;
        let len = u32::from_le_bytes(*len) as usize;
        let (part, rest) = rest.split_at_checked(len).ok_or_else(|| {
            bad(format!(
                "a part claims {len} bytes, {} are left",
                rest.len()
            ))
        })?;
        parts.push(part);
        body = rest;
    }
    Ok(parts)
}

fn text(part: &[u8]) -> Result<String, BadBody> {
    String::from_utf8(part.to_vec()).map_err(|_| bad("text that is not UTF-8"))
}

fn token(part: &[u8]) -> Result<SessionToken, BadBody> {
    codec::decode_with_limit(part, MAX_FRAME).map_err(|e| bad(format!("session token: {e}")))
}

fn token_bytes(token: &SessionToken) -> Vec<u8> {
    // A token is a vector clock over a few replicas: it always encodes.
    codec::encode(token).unwrap_or_default()
}

/// A peer's hello body.
pub(crate) fn hello(id: ReplicaId) -> [u8; 16] {
    id.to_bytes()
}

/// The replica id in a peer's hello body.
pub(crate) fn parse_hello(body: &[u8]) -> Result<ReplicaId, BadBody> {
    let bytes: [u8; 16] = body
        .try_into()
        .map_err(|_| bad(format!("a hello holds 16 bytes, not {}", body.len())))?;
    Ok(ReplicaId::from_bytes(bytes))
}

/// What a session client asks a node.
#[derive(Debug)]
pub(crate) enum Request {
    Write { key: String, value: String },
    Read { token: SessionToken, key: String },
    Dump,
}

impl Request {
    /// The request's frame kind and body.
    pub(crate) fn encode(&self) -> (u8, Vec<u8>) {
        match self {
            Self::Write { key, value } => (kind::WRITE, join(&[key.as_bytes(), value.as_bytes()])),
            Self::Read { token, key } => (kind::READ, join(&[&token_bytes(token), key.as_bytes()])),
            Self::Dump => (kind::DUMP, Vec::new()),
        }
    }

    /// Whether frames of `kind` are requests.
    pub(crate) fn is_request(kind: u8) -> bool {
        matches!(kind, kind::WRITE | kind::READ | kind::DUMP)
    }

    pub(crate) fn decode(kind: u8, body: &[u8]) -> Result<Self, BadBody> {
        let parts = split(body)?;
        match (kind, parts.as_slice()) {
            (kind::WRITE, [key, value]) => Ok(Self::Write {
                key: text(key)?,
                value: text(value)?,
            }),
            (kind::READ, [token_part, key]) => Ok(Self::Read {
                token: token(token_part)?,
                key: text(key)?,
            }),
            (kind::DUMP, []) => Ok(Self::Dump),
            (kind, parts) => Err(bad(format!(
                "a request of kind {kind:#04x} with {} parts",
                parts.len()
            ))),
        }
    }
}

/// What a node answers.
#[derive(Debug)]
pub(crate) enum Reply {
    Token(SessionToken),
    Values {
        token: SessionToken,
        values: Vec<String>,
    },
    Behind(String),
    State(Vec<u8>),
    Error(String),
}

impl Reply {
    /// The reply's frame kind and body.
    pub(crate) fn encode(&self) -> (u8, Vec<u8>) {
        match self {
            Self::Token(token) => (kind::TOKEN, token_bytes(token)),
            Self::Values { token, values } => {
                let token = token_bytes(token);
                let mut parts: Vec<&[u8]> = vec![&token];
                parts.extend(values.iter().map(String::as_bytes));
                (kind::VALUES, join(&parts))
            }
            Self::Behind(why) => (kind::BEHIND, why.as_bytes().to_vec()),
            Self::State(bytes) => (kind::STATE, bytes.clone()),
            Self::Error(why) => (kind::ERROR, why.as_bytes().to_vec()),
        }
    }

    pub(crate) fn decode(kind: u8, body: Vec<u8>) -> Result<Self, BadBody> {
        match kind {
            kind::TOKEN => Ok(Self::Token(token(&body)?)),
            kind::VALUES => {
                let parts = split(&body)?;
                let (first, values) = parts
                    .split_first()
                    .ok_or_else(|| bad("a read's reply without a token"))?;
                Ok(Self::Values {
                    token: token(first)?,
                    values: values.iter().map(|v| text(v)).collect::<Result<_, _>>()?,
                })
            }
            kind::BEHIND => Ok(Self::Behind(text(&body)?)),
            kind::STATE => Ok(Self::State(body)),
            kind::ERROR => Ok(Self::Error(text(&body)?)),
            other => Err(bad(format!("a reply of unknown kind {other:#04x}"))),
        }
    }
}
