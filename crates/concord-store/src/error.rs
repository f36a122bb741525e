//! What can go wrong with a store, and which record it was.

use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;

use concord_core::codec::{DecodeError, EncodeError};
use concord_sync::LostState;

/// One record of a store file, named in errors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// The file's header (its format version).
    Header,
    /// The snapshot of an object's state.
    Snapshot {
        /// The object's name.
        object: String,
    },
    /// One delta of an object's log.
    LogEntry {
        /// The object's name.
        object: String,
        /// The entry's position in the log (from 1, since the last fold).
        position: u64,
    },
    /// The checkpoint of an object's replica (id, own writes, frontier, incarnation).
    Checkpoint {
        /// The object's name.
        object: String,
    },
    /// The record that an object's replica has lost state.
    LostState {
        /// The object's name.
        object: String,
    },
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header => write!(f, "the store header"),
            Self::Snapshot { object } => write!(f, "the snapshot of object {object:?}"),
            Self::LogEntry { object, position } => {
                write!(f, "log entry {position} of object {object:?}")
            }
            Self::Checkpoint { object } => write!(f, "the checkpoint of object {object:?}"),
            Self::LostState { object } => write!(f, "the lost-state record of object {object:?}"),
        }
    }
}

/// Why the store could not do what was asked. Nothing was acknowledged that is not durable.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// A file-system operation on the store's file or its directory failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What the store was doing.
        during: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// redb refused or failed: the file is damaged (its checksums do not verify), cut short,
    /// not a redb file, open in another process, or the disk failed.
    Storage {
        /// What the store was doing.
        during: String,
        /// redb's error.
        source: Box<redb::Error>,
    },
    /// A record does not decode: its bytes were changed, or it is of a format this build
    /// cannot read.
    Corrupt {
        /// The record.
        record: Record,
        /// The codec's error, naming the part that is wrong.
        source: DecodeError,
    },
    /// Records that decode but do not fit together (a checkpoint without a snapshot, a gap in
    /// a log).
    Inconsistent {
        /// The object.
        object: String,
        /// What does not fit.
        reason: String,
    },
    /// The file is a redb database but not a concord store, or an empty file.
    NotAStore {
        /// The file.
        path: PathBuf,
        /// What was found.
        reason: &'static str,
    },
    /// The store was written by a build with another file format.
    UnsupportedFormat {
        /// The version found.
        found: u32,
        /// The version this build reads.
        supported: u32,
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
    /// The object is already open through another [`DurableReplica`](crate::DurableReplica)
    /// of this store: two replicas writing one object would be two lives under one id.
    AlreadyOpen {
        /// The object.
        object: String,
    },
    /// An object name the store refuses (empty, or longer than
    /// [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes).
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A state or delta could not be encoded (never for the family's types). The write is not
    /// durable, not acknowledged, and the replica is poisoned.
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
    /// An earlier commit of this replica failed, so its memory may hold what the file does
    /// not: it refuses everything. Reopen the store (its file holds every acknowledged write).
    Poisoned {
        /// The object.
        object: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io {
                path,
                during,
                source,
            } => write!(f, "store {}: {during} failed: {source}", path.display()),
            Self::Storage { during, source } => write!(f, "store: {during} failed: {source}"),
            Self::Corrupt { record, source } => {
                write!(f, "store: {record} is corrupt: {source}")
            }
            Self::Inconsistent { object, reason } => {
                write!(f, "store: object {object:?} is inconsistent: {reason}")
            }
            Self::NotAStore { path, reason } => {
                write!(f, "{} is not a concord store: {reason}", path.display())
            }
            Self::UnsupportedFormat { found, supported } => write!(
                f,
                "store file format {found} is not supported (this build reads format {supported})"
            ),
            Self::WrongType {
                object,
                expected,
                expected_tag,
                found_tag,
            } => write!(
                f,
                "store: object {object:?} holds type tag {:#06x} v{}, not a {expected} \
                 (tag {:#06x} v{})",
                found_tag.0, found_tag.1, expected_tag.0, expected_tag.1
            ),
            Self::AlreadyOpen { object } => {
                write!(
                    f,
                    "store: object {object:?} is already open in this process"
                )
            }
            Self::InvalidName { name } => write!(
                f,
                "store: {name:?} is not a valid object name (1 to {} bytes)",
                crate::MAX_NAME_LEN
            ),
            Self::Encode { object, source } => {
                write!(
                    f,
                    "store: object {object:?}: {source}; nothing was acknowledged"
                )
            }
            Self::TooLarge { object, len } => write!(
                f,
                "store: object {object:?}: a record of {len} bytes is longer than the {} bytes \
                 the codec reads back; nothing was acknowledged",
                concord_core::codec::MAX_LIMIT
            ),
            Self::Poisoned { object } => write!(
                f,
                "store: object {object:?} refuses work after a failed commit; reopen the store"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Storage { source, .. } => Some(source.as_ref()),
            Self::Corrupt { source, .. } => Some(source),
            Self::Encode { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl StoreError {
    pub(crate) fn storage(during: impl Into<String>, source: impl Into<redb::Error>) -> Self {
        Self::Storage {
            during: during.into(),
            source: Box::new(source.into()),
        }
    }
}

/// Why a local write was not acknowledged.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError<E = Infallible> {
    /// The replica has lost state (a peer holds more of its writes than it does); nothing was
    /// run. Give it a new id ([`DurableReplica::with_new_id`](crate::DurableReplica::with_new_id)).
    LostState(LostState),
    /// The operation refused; nothing changed.
    Operation(E),
    /// The commit failed: the write is not durable and its token was not returned. The
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
    /// was not acknowledged, so it sends again to the reopened store.
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
