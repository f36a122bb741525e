//! What can go wrong, and which Redis value it was.

use std::convert::Infallible;
use std::fmt;

use concord_core::codec::{DecodeError, EncodeError};
use concord_sync::LostState;

use crate::session::Lag;

/// One value in Redis, named in errors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// A stored replica's snapshot (the state when its log was last folded).
    Snapshot {
        /// The key.
        key: String,
    },
    /// One delta of a stored replica's log.
    LogEntry {
        /// The key of the log.
        key: String,
        /// The entry's position (from 1, since the last fold).
        position: u64,
    },
    /// A replica's checkpoint (id, own writes, frontier, incarnation).
    Checkpoint {
        /// The key.
        key: String,
    },
    /// A stored replica's lost-state record.
    LostState {
        /// The key.
        key: String,
    },
    /// A stored replica's fence (the incarnation of its last opener).
    Fence {
        /// The key.
        key: String,
    },
    /// The state in a replica's onboarding snapshot.
    OnboardingState {
        /// The key of the hash.
        key: String,
    },
    /// The checkpoint in a replica's onboarding snapshot.
    OnboardingCheckpoint {
        /// The key of the hash.
        key: String,
    },
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Snapshot { key } => write!(f, "the snapshot at {key:?}"),
            Self::LogEntry { key, position } => write!(f, "log entry {position} at {key:?}"),
            Self::Checkpoint { key } => write!(f, "the checkpoint at {key:?}"),
            Self::LostState { key } => write!(f, "the lost-state record at {key:?}"),
            Self::Fence { key } => write!(f, "the fence at {key:?}"),
            Self::OnboardingState { key } => write!(f, "field `state` of {key:?}"),
            Self::OnboardingCheckpoint { key } => write!(f, "field `checkpoint` of {key:?}"),
        }
    }
}

/// Why a stored replica could not do what was asked. Nothing was acknowledged that Redis did
/// not commit.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Redis refused or failed: the connection, a command, or a value of the wrong Redis
    /// type at one of the object's keys.
    Redis {
        /// What the store was doing.
        during: String,
        /// The client's error.
        source: redis::RedisError,
    },
    /// A value does not decode: its bytes were changed, or it is of a format this build
    /// cannot read.
    Corrupt {
        /// The value.
        record: Record,
        /// The codec's error, naming the part that is wrong.
        source: DecodeError,
    },
    /// Values that decode but do not fit together (a checkpoint without a snapshot).
    Inconsistent {
        /// The object.
        object: String,
        /// What does not fit.
        reason: String,
    },
    /// The object holds another CRDT type (or another format version of it) than the one it
    /// was opened as.
    WrongType {
        /// The object.
        object: String,
        /// The type asked for.
        expected: &'static str,
        /// Its tag and format version.
        expected_tag: (u16, u16),
        /// The tag and format version stored.
        found_tag: (u16, u16),
    },
    /// Another process opened the object since this replica did (or opened it at the same
    /// time and won): this replica's writes are refused, and it is poisoned. Two processes
    /// writing one object would be two lives under one id.
    Fenced {
        /// The object.
        object: String,
        /// The fence this replica holds.
        held: String,
        /// The fence found.
        found: String,
    },
    /// A value could not be encoded.
    Encode {
        /// The object.
        object: String,
        /// The codec's error.
        source: EncodeError,
    },
    /// A value is too long to be decoded again.
    TooLarge {
        /// The object.
        object: String,
        /// Its encoded length.
        len: usize,
    },
    /// An earlier commit failed (or the caller's closure panicked): the replica's memory may
    /// hold what Redis does not, so it refuses everything; open the object again.
    Poisoned {
        /// The object.
        object: String,
    },
}

impl StoreError {
    pub(crate) fn redis(during: impl Into<String>, source: redis::RedisError) -> Self {
        Self::Redis {
            during: during.into(),
            source,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis { during, source } => write!(f, "Redis failed {during}: {source}"),
            Self::Corrupt { record, source } => write!(f, "{record} is corrupt: {source}"),
            Self::Inconsistent { object, reason } => {
                write!(f, "object {object:?} is inconsistent: {reason}")
            }
            Self::WrongType {
                object,
                expected,
                expected_tag,
                found_tag,
            } => write!(
                f,
                "object {object:?} holds type {:#06x} v{}, not {expected} ({:#06x} v{})",
                found_tag.0, found_tag.1, expected_tag.0, expected_tag.1
            ),
            Self::Fenced {
                object,
                held,
                found,
            } => write!(
                f,
                "object {object:?} was opened elsewhere (fence {found}, this replica holds \
                 {held}); this replica is refused, open the object again"
            ),
            Self::Encode { object, source } => {
                write!(f, "a value of object {object:?} does not encode: {source}")
            }
            Self::TooLarge { object, len } => write!(
                f,
                "a value of object {object:?} is {len} bytes, more than the codec decodes"
            ),
            Self::Poisoned { object } => write!(
                f,
                "object {object:?}: an earlier commit failed, the replica refuses everything; \
                 open it again"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Redis { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Encode { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a local write on a stored replica was not made or not acknowledged.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError<E = Infallible> {
    /// The replica has lost state; nothing was run.
    LostState(LostState),
    /// The operation itself refused (its error, the state unchanged).
    Operation(E),
    /// The commit failed: the write is not acknowledged, and the replica is poisoned.
    Store(StoreError),
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl<E: fmt::Display> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LostState(lost) => write!(f, "write refused: {lost}"),
            Self::Operation(e) => write!(f, "operation refused: {e}"),
            Self::Store(e) => write!(f, "write not acknowledged: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for WriteError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            Self::LostState(lost) => Some(lost),
            Self::Operation(_) => None,
        }
    }
}

/// Why a replica did not take a message.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The engine refused the message (garbage, another object, an unknown peer); nothing
    /// changed.
    Refused(concord_sync::ReceiveError),
    /// A stored replica could not commit what the message brought (it is poisoned).
    Store(StoreError),
}

impl From<StoreError> for ReceiveError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(e) => e.fmt(f),
            Self::Store(e) => write!(f, "message not taken: {e}"),
        }
    }
}

impl std::error::Error for ReceiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(e) => Some(e),
            Self::Store(e) => Some(e),
        }
    }
}

/// Why the transport stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// Redis refused or failed (the next call reconnects).
    Redis {
        /// What the transport was doing.
        during: String,
        /// The client's error.
        source: redis::RedisError,
    },
    /// A snapshot for onboarding does not decode.
    Corrupt {
        /// The value.
        record: Record,
        /// The codec's error.
        source: DecodeError,
    },
    /// A reply of a shape the transport does not expect (not a stream reply).
    Protocol {
        /// What the transport was doing.
        during: String,
        /// What was wrong.
        reason: String,
    },
    /// A state or checkpoint could not be encoded for a snapshot.
    Encode(EncodeError),
    /// The stored replica behind the transport failed to commit what a message brought.
    Store(StoreError),
}

impl TransportError {
    pub(crate) fn redis(during: impl Into<String>, source: redis::RedisError) -> Self {
        Self::Redis {
            during: during.into(),
            source,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis { during, source } => write!(f, "Redis failed {during}: {source}"),
            Self::Corrupt { record, source } => write!(f, "{record} is corrupt: {source}"),
            Self::Protocol { during, reason } => {
                write!(f, "unexpected reply from Redis {during}: {reason}")
            }
            Self::Encode(e) => write!(f, "snapshot does not encode: {e}"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Redis { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Encode(e) => Some(e),
            Self::Store(e) => Some(e),
            Self::Protocol { .. } => None,
        }
    }
}

/// Why a session read was not served.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// No server caught up with the session's token within the wait: for each server, in
    /// order, why it did not serve (at the last try).
    NotCaughtUp {
        /// Per server, in order: why it did not serve.
        behind: Vec<Lag>,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCaughtUp { behind } => {
                write!(f, "no server has caught up with the session:")?;
                for (server, lag) in behind.iter().enumerate() {
                    write!(f, " server {server}: {lag};")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SessionError {}
