//! What can go wrong with a PostgreSQL store, and which row it was.

use std::convert::Infallible;
use std::fmt;

use concord_core::codec::{DecodeError, EncodeError};
use concord_sync::LostState;

/// One stored record, named in errors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// The snapshot column of an object's row.
    Snapshot {
        /// The object's name.
        object: String,
    },
    /// One row of an object's delta log.
    LogEntry {
        /// The object's name.
        object: String,
        /// The entry's position in the log (from 1, since the last fold).
        position: u64,
    },
    /// The checkpoint column of an object's row (id, own writes, frontier, incarnation).
    Checkpoint {
        /// The object's name.
        object: String,
    },
    /// The lost-state columns of an object's row.
    LostState {
        /// The object's name.
        object: String,
    },
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Snapshot { object } => write!(f, "the snapshot of object {object:?}"),
            Self::LogEntry { object, position } => {
                write!(f, "log row {position} of object {object:?}")
            }
            Self::Checkpoint { object } => write!(f, "the checkpoint of object {object:?}"),
            Self::LostState { object } => write!(f, "the lost-state columns of object {object:?}"),
        }
    }
}

/// Why the store could not do what was asked. Nothing was acknowledged that is not committed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The server refused a statement, or the connection failed.
    Postgres {
        /// What the store was doing.
        during: String,
        /// The client's error.
        source: postgres::Error,
    },
    /// A stored record does not decode: its bytes were changed, or it is of a format this
    /// build cannot read.
    Corrupt {
        /// The record.
        record: Record,
        /// The codec's error, naming the part that is wrong.
        source: DecodeError,
    },
    /// Rows that decode but do not fit together (a gap in a log, a negative count, a log row
    /// without its object's row).
    Inconsistent {
        /// The object.
        object: String,
        /// What does not fit.
        reason: String,
    },
    /// The tables were written by a build with another layout.
    UnsupportedFormat {
        /// The version found.
        found: i32,
        /// The version this build reads.
        supported: i32,
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
    /// A table prefix the store refuses: 1 to [`MAX_PREFIX_LEN`](crate::MAX_PREFIX_LEN)
    /// bytes of lowercase ASCII letters, digits and `_`, not starting with a digit.
    InvalidPrefix {
        /// The prefix given.
        prefix: String,
    },
    /// An object name the store refuses (empty, or longer than
    /// [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes).
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A state or delta could not be encoded (never for the family's types). The write is not
    /// committed, not acknowledged, and the replica is poisoned.
    Encode {
        /// The object.
        object: String,
        /// The codec's error.
        source: EncodeError,
    },
    /// A record would be longer than the codec decodes
    /// ([`MAX_LIMIT`](concord_core::codec::MAX_LIMIT)): it is not written, since it could not
    /// be read back. The write is not acknowledged, and the replica is poisoned.
    TooLarge {
        /// The object.
        object: String,
        /// Its encoded length.
        len: usize,
    },
    /// An earlier commit of this replica failed, so its memory may hold what the database does
    /// not: it refuses everything. Open it again (the database holds every acknowledged
    /// write).
    Poisoned {
        /// The object.
        object: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres { during, source } => {
                write!(f, "postgres store: {during} failed: {source}")?;
                if let Some(db) = source.as_db_error() {
                    write!(f, " ({}: {})", db.code().code(), db.message())?;
                }
                Ok(())
            }
            Self::Corrupt { record, source } => {
                write!(f, "postgres store: {record} is corrupt: {source}")
            }
            Self::Inconsistent { object, reason } => {
                write!(
                    f,
                    "postgres store: object {object:?} is inconsistent: {reason}"
                )
            }
            Self::UnsupportedFormat { found, supported } => write!(
                f,
                "postgres store: table format {found} is not supported (this build reads format \
                 {supported})"
            ),
            Self::WrongType {
                object,
                expected,
                expected_tag,
                found_tag,
            } => write!(
                f,
                "postgres store: object {object:?} holds type tag {:#06x} v{}, not a {expected} \
                 (tag {:#06x} v{})",
                found_tag.0, found_tag.1, expected_tag.0, expected_tag.1
            ),
            Self::InvalidPrefix { prefix } => write!(
                f,
                "postgres store: {prefix:?} is not a valid table prefix (1 to {} bytes of a-z, \
                 0-9 and _, not starting with a digit)",
                crate::MAX_PREFIX_LEN
            ),
            Self::InvalidName { name } => write!(
                f,
                "postgres store: {name:?} is not a valid object name (1 to {} bytes)",
                crate::MAX_NAME_LEN
            ),
            Self::Encode { object, source } => write!(
                f,
                "postgres store: object {object:?}: {source}; nothing was acknowledged"
            ),
            Self::TooLarge { object, len } => write!(
                f,
                "postgres store: object {object:?}: a record of {len} bytes is longer than the \
                 {} bytes the codec reads back; nothing was acknowledged",
                concord_core::codec::MAX_LIMIT
            ),
            Self::Poisoned { object } => write!(
                f,
                "postgres store: object {object:?} refuses work after a failed commit; open it \
                 again"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Postgres { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Encode { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl StoreError {
    pub(crate) fn postgres(during: impl Into<String>, source: postgres::Error) -> Self {
        Self::Postgres {
            during: during.into(),
            source,
        }
    }

    pub(crate) fn inconsistent(object: &str, reason: impl Into<String>) -> Self {
        Self::Inconsistent {
            object: object.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Why a local write was not acknowledged.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError<E = Infallible> {
    /// The replica has lost state (a peer holds more of its writes than it does); nothing was
    /// run. Give it a new id ([`PgReplica::with_new_id`](crate::PgReplica::with_new_id)).
    LostState(LostState),
    /// The operation refused; nothing changed.
    Operation(E),
    /// The commit failed: the write is not committed and its token was not returned. The
    /// replica is poisoned ([`StoreError::Poisoned`]) so that the write never leaves it.
    Store(StoreError),
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

impl<E: fmt::Debug + fmt::Display + 'static> std::error::Error for WriteError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::LostState(lost) => Some(lost),
            Self::Store(e) => Some(e),
            Self::Operation(_) => None,
        }
    }
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Why a received message was not taken.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The engine refused the message; nothing changed.
    Refused(concord_sync::ReceiveError),
    /// The commit of what the message brought failed; the replica is poisoned. The sender
    /// was not acknowledged, so it sends again to the replica opened again.
    Store(StoreError),
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(e) => write!(f, "{e}"),
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

impl From<StoreError> for ReceiveError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Why a session write or read failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The write's transaction failed: nothing was committed, the token is unchanged.
    Write(postgres::Error),
    /// The write committed, but recording its WAL position failed: the session reads from the
    /// primary until a later write records a position.
    Token(postgres::Error),
    /// The read failed on the server chosen (the primary, or a standby that had replayed the
    /// session's writes).
    Read {
        /// Which server.
        server: crate::Server,
        /// The client's error.
        source: postgres::Error,
    },
    /// Setting up the session (its write-log table, its recorded position) failed.
    Setup(postgres::Error),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Write(e) => write!(f, "session write not committed: {e}"),
            Self::Token(e) => write!(
                f,
                "session write committed, but its WAL position was not recorded (reads go to \
                 the primary): {e}"
            ),
            Self::Read { server, source } => write!(f, "session read on the {server}: {source}"),
            Self::Setup(e) => write!(f, "session setup: {e}"),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Write(e) | Self::Token(e) | Self::Setup(e) => Some(e),
            Self::Read { source, .. } => Some(source),
        }
    }
}
