//! The stored records: each a codec envelope in a `bytea` column, and the counts in `bigint`
//! columns.

use concord_core::codec::{self, DecodeError, WireType};

use crate::error::{Record, StoreError};

/// The table layout this build writes and reads (the one row of `<prefix>_format`).
pub(crate) const FORMAT: i32 = 1;

/// Decodes `bytes` as the record `record`, naming it in the error. A snapshot of another type
/// or format version than `T` is [`StoreError::WrongType`].
pub(crate) fn decode<T: WireType>(
    bytes: &[u8],
    record: impl FnOnce() -> Record,
) -> Result<T, StoreError> {
    // The codec bounds allocation by the input's length; the server holds no more than a
    // `bytea` holds (1 GiB), which is the codec's largest limit too.
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

/// A count as a `bigint`.
pub(crate) fn to_db(value: u64, object: &str, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| {
        StoreError::inconsistent(
            object,
            format!("its {what} ({value}) does not fit a bigint"),
        )
    })
}

/// A `bigint` column as a count: a negative one is corrupt.
pub(crate) fn from_db(value: i64, object: &str, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value)
        .map_err(|_| StoreError::inconsistent(object, format!("its {what} is negative ({value})")))
}
