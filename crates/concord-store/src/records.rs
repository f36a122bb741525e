//! The file's layout: redb tables, and the records they hold, each a codec envelope.
//!
//! | table | key | value |
//! | --- | --- | --- |
//! | `concord-store` | `"header"` | [`Header`]: the file format |
//! | `concord-store/snapshots` | object name | the object's state when its log was last folded |
//! | `concord-store/checkpoints` | object name | the replica's `concord_sync::Checkpoint` |
//! | `concord-store/lost` | object name | [`LostRecord`], while the replica has lost state |
//! | `concord-store/log/<name>` | position (from 1) | one delta since the snapshot |

use concord_core::ReplicaId;
use concord_core::codec::{self, DecodeError, WireType, tag};
use concord_sync::LostState;
use redb::TableDefinition;
use serde::{Deserialize, Serialize};

use crate::error::{Record, StoreError};

pub(crate) const META: TableDefinition<'static, &str, &[u8]> =
    TableDefinition::new("concord-store");
pub(crate) const SNAPSHOTS: TableDefinition<'static, &str, &[u8]> =
    TableDefinition::new("concord-store/snapshots");
pub(crate) const CHECKPOINTS: TableDefinition<'static, &str, &[u8]> =
    TableDefinition::new("concord-store/checkpoints");
pub(crate) const LOST: TableDefinition<'static, &str, &[u8]> =
    TableDefinition::new("concord-store/lost");

pub(crate) const HEADER_KEY: &str = "header";

/// The name of an object's log table.
pub(crate) fn log_table_name(object: &str) -> String {
    format!("concord-store/log/{object}")
}

pub(crate) fn log_table(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

/// The file format this build writes and reads.
pub(crate) const FORMAT: u32 = 1;

/// The store's header record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) format: u32,
}

impl WireType for Header {
    const TAG: u16 = tag::STORE_HEADER;
    const VERSION: u16 = 1;
    const NAME: &'static str = "concord-store header";
}

/// A replica that has lost state, kept so that a restart does not forget the refusal.
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

/// Decodes `bytes` as the record `record`, naming it in the error. A snapshot of another type
/// or format version than `T` is [`StoreError::WrongType`].
pub(crate) fn decode<T: WireType>(
    bytes: &[u8],
    record: impl FnOnce() -> Record,
) -> Result<T, StoreError> {
    // No limit but the codec's largest: the store wrote these bytes, and redb verified their
    // checksums; the codec still bounds allocation by the input's length.
    codec::decode_with_limit(bytes, codec::MAX_LIMIT).map_err(|source| {
        let record = record();
        match (&record, &source) {
            (
                Record::Snapshot { object },
                DecodeError::WrongType { .. } | DecodeError::UnsupportedVersion { .. },
            ) => match codec::peek(bytes) {
                Ok(found_tag) => StoreError::WrongType {
                    object: object.clone(),
                    expected: T::NAME,
                    expected_tag: (T::TAG, T::VERSION),
                    found_tag,
                },
                Err(_) => StoreError::Corrupt { record, source },
            },
            _ => StoreError::Corrupt { record, source },
        }
    })
}

/// Encodes a record of `object`, refusing one too long to be decoded again.
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
