//! The values kept in Redis, each a codec envelope, and reading a stored replica.

use concord_core::ReplicaId;
use concord_core::codec::{self, DecodeError, WireType, tag};
use concord_core::lattice::JoinTree;
use concord_sync::{Checkpoint, LostState, Syncable};
use serde::{Deserialize, Serialize};

use crate::error::{Record, StoreError};
use crate::keys::Keys;

/// A replica that has lost state, kept so that a restart does not forget the refusal. The
/// same record, tag and format as `concord-store`'s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LostRecord {
    id: ReplicaId,
    held: u64,
    seen: u64,
    peer: ReplicaId,
}

impl WireType for LostRecord {
    const TAG: u16 = tag::STORE_LOST_STATE;
    const VERSION: u16 = 1;
    const NAME: &'static str = "concord-store lost-state record";
}

impl From<&LostState> for LostRecord {
    fn from(lost: &LostState) -> Self {
        Self {
            id: lost.id,
            held: lost.held,
            seen: lost.seen,
            peer: lost.peer,
        }
    }
}

impl From<LostRecord> for LostState {
    fn from(record: LostRecord) -> Self {
        Self {
            id: record.id,
            held: record.held,
            seen: record.seen,
            peer: record.peer,
        }
    }
}

/// Decodes `bytes` as `record`, naming it in the error. A state of another type or format
/// version than `T` is [`StoreError::WrongType`].
pub(crate) fn decode<T: WireType>(
    bytes: &[u8],
    object: &str,
    record: impl FnOnce() -> Record,
) -> Result<T, StoreError> {
    // The codec bounds allocation by the input's length; Redis's own values are at most
    // 512 MB, below the codec's largest limit.
    codec::decode_with_limit(bytes, codec::MAX_LIMIT).map_err(|source| {
        let record = record();
        let state = matches!(
            record,
            Record::Snapshot { .. } | Record::LogEntry { .. } | Record::OnboardingState { .. }
        );
        match (&source, state) {
            (DecodeError::WrongType { .. } | DecodeError::UnsupportedVersion { .. }, true) => {
                match codec::peek(bytes) {
                    Ok(found_tag) => StoreError::WrongType {
                        object: object.to_owned(),
                        expected: T::NAME,
                        expected_tag: (T::TAG, T::VERSION),
                        found_tag,
                    },
                    Err(_) => StoreError::Corrupt { record, source },
                }
            }
            _ => StoreError::Corrupt { record, source },
        }
    })
}

/// Encodes a value of `object`, refusing one too long to be decoded again.
pub(crate) fn encode<T: WireType>(value: &T, object: &str) -> Result<Vec<u8>, StoreError> {
    let bytes = codec::encode(value).map_err(|source| StoreError::Encode {
        object: object.to_owned(),
        source,
    })?;
    if bytes.len() > codec::MAX_LIMIT {
        return Err(StoreError::TooLarge {
            object: object.to_owned(),
            len: bytes.len(),
        });
    }
    Ok(bytes)
}

/// What Redis holds of a stored replica, read in one transaction.
pub(crate) struct Loaded<T> {
    pub(crate) state: T,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) lost: Option<LostState>,
    /// The fence as read (empty when there is none).
    pub(crate) fence: String,
    pub(crate) log_entries: u64,
    pub(crate) log_bytes: u64,
    pub(crate) snapshot_bytes: u64,
}

/// The raw values of a stored replica: fence, checkpoint, snapshot, log, lost-state record.
type Raw = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<Vec<u8>>,
    Option<Vec<u8>>,
);

/// Reads stored replica `name` in one `MULTI`/`EXEC` (so a primary's or replica's copy is
/// read as of one commit): `None` when Redis holds nothing of it.
pub(crate) fn load<T: Syncable>(
    conn: &mut redis::Connection,
    keys: &Keys,
    name: &str,
) -> Result<Option<Loaded<T>>, StoreError> {
    let during = || format!("reading object {name:?}");
    let (fence_key, checkpoint_key, snapshot_key, log_key, lost_key) = (
        keys.store("fence"),
        keys.store("checkpoint"),
        keys.store("snapshot"),
        keys.store("log"),
        keys.store("lost"),
    );
    let (fence, checkpoint, snapshot, log, lost): Raw = redis::pipe()
        .atomic()
        .get(&fence_key)
        .get(&checkpoint_key)
        .get(&snapshot_key)
        .lrange(&log_key, 0, -1)
        .get(&lost_key)
        .query(conn)
        .map_err(|e| StoreError::redis(during(), e))?;
    let inconsistent = |reason: &str| StoreError::Inconsistent {
        object: name.to_owned(),
        reason: reason.to_owned(),
    };
    let (checkpoint, snapshot) = match (checkpoint, snapshot) {
        (Some(checkpoint), Some(snapshot)) => (checkpoint, snapshot),
        (None, None) => {
            if lost.is_some() {
                return Err(inconsistent("it has a lost-state record but no checkpoint"));
            }
            if !log.is_empty() {
                return Err(inconsistent("it has a log but no checkpoint or snapshot"));
            }
            return Ok(None);
        }
        (Some(_), None) => return Err(inconsistent("it has a checkpoint but no snapshot")),
        (None, Some(_)) => return Err(inconsistent("it has a snapshot but no checkpoint")),
    };
    let fence = match fence {
        Some(bytes) => String::from_utf8(bytes).map_err(|_| {
            inconsistent(&format!(
                "its fence at {fence_key:?} is not a decimal number"
            ))
        })?,
        None => String::new(),
    };
    let mut state: T = decode(&snapshot, name, || Record::Snapshot {
        key: snapshot_key.clone(),
    })?;
    let checkpoint: Checkpoint = decode(&checkpoint, name, || Record::Checkpoint {
        key: checkpoint_key.clone(),
    })?;
    if !fence.is_empty() && fence != checkpoint.incarnation.to_string() {
        return Err(inconsistent(&format!(
            "its fence {fence} is not its checkpoint's incarnation {}",
            checkpoint.incarnation
        )));
    }
    let lost: Option<LostState> = match lost {
        Some(bytes) => {
            let record: LostRecord = decode(&bytes, name, || Record::LostState {
                key: lost_key.clone(),
            })?;
            Some(record.into())
        }
        None => None,
    };
    if let Some(lost) = &lost
        && lost.id != checkpoint.id
    {
        return Err(inconsistent(
            "its lost-state record names another replica id than its checkpoint",
        ));
    }
    let mut log_bytes = 0u64;
    let mut joined = JoinTree::default();
    for (position, bytes) in (1u64..).zip(&log) {
        let delta: T = decode(bytes, name, || Record::LogEntry {
            key: log_key.clone(),
            position,
        })?;
        joined.push(delta);
        log_bytes = log_bytes.saturating_add(bytes.len() as u64);
    }
    if let Some(joined) = joined.finish() {
        state.merge(&joined);
    }
    Ok(Some(Loaded {
        state,
        checkpoint,
        lost,
        fence,
        log_entries: log.len() as u64,
        log_bytes,
        snapshot_bytes: snapshot.len() as u64,
    }))
}
