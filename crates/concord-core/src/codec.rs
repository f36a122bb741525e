//! The wire codec: the one place in the family that touches bincode.
//!
//! Every encoded state is an 8-byte envelope followed by the bincode 2 (serde mode, standard
//! configuration: little-endian, variable-length integers) encoding of the state:
//!
//! | bytes | content |
//! | --- | --- |
//! | 0..4 | magic `b"CNCD"` |
//! | 4..6 | type tag, `u16` little-endian ([`WireType::TAG`], registry in [`tag`]) |
//! | 6..8 | format version, `u16` little-endian ([`WireType::VERSION`]) |
//! | 8.. | the state |
//!
//! Decoding checks each part in turn and reports which one failed ([`DecodeError`]), refuses
//! inputs longer than the limit ([`DEFAULT_LIMIT`], or the one given to [`decode_with_limit`])
//! and bytes left after the state, and validates the state's invariants (sorted unique entries,
//! no zero entries, bounded sizes) before handing it out.
//!
//! ```
//! use concord_core::{codec, Dot};
//!
//! let bytes = codec::encode(&Dot::new(1u64, 5))?;
//! assert_eq!(&bytes[..4], b"CNCD");
//! let back: Dot<u64> = codec::decode(&bytes)?;
//! assert_eq!(back, Dot::new(1, 5));
//!
//! // A state of another type is refused by its tag, not misread.
//! assert!(matches!(
//!     codec::decode::<concord_core::ReplicaId>(&bytes),
//!     Err(codec::DecodeError::WrongType { .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The four bytes every encoding starts with.
pub const MAGIC: [u8; 4] = *b"CNCD";

/// Length of the envelope before the state: magic, tag and version.
pub const HEADER_LEN: usize = 8;

/// The default limit on an encoded state's length in bytes: 16 MiB.
///
/// Decoding also never lets a length prefix claim much more memory than the input could
/// describe (see [`CLAIM_RATIO`]), so a few bytes cannot make the decoder allocate gigabytes.
pub const DEFAULT_LIMIT: usize = 16 << 20;

/// The largest limit [`decode_with_limit`] accepts: 1 GiB. Larger limits are clamped to it.
pub const MAX_LIMIT: usize = 1 << 30;

/// The registry of type tags: one constant per wire type of the family, so no two collide.
///
/// The high byte names the crate, the low byte the type. New types take the next free tag of
/// their crate; a tag is never reused for another type.
pub mod tag {
    /// [`crate::Dot`].
    pub const DOT: u16 = 0x0001;
    /// [`crate::ReplicaId`].
    pub const REPLICA_ID: u16 = 0x0002;
    /// [`crate::reconcile::RangeSummary`].
    pub const RANGE_SUMMARY: u16 = 0x0003;
    /// `concord_clock::LamportTimestamp`.
    pub const LAMPORT_TIMESTAMP: u16 = 0x0101;
    /// `concord_clock::LamportClock`.
    pub const LAMPORT_CLOCK: u16 = 0x0102;
    /// `concord_clock::VectorClock`.
    pub const VECTOR_CLOCK: u16 = 0x0103;
    /// `concord_clock::HybridTimestamp`.
    pub const HYBRID_TIMESTAMP: u16 = 0x0104;
    /// `concord_clock::DotContext`.
    pub const DOT_CONTEXT: u16 = 0x0105;
    /// `concord_clock::CausalSummary`.
    pub const CAUSAL_SUMMARY: u16 = 0x0106;
    /// `concord_counter::GCounter`.
    pub const G_COUNTER: u16 = 0x0201;
    /// `concord_counter::PnCounter`.
    pub const PN_COUNTER: u16 = 0x0202;
    /// `concord_register::LwwRegister`.
    pub const LWW_REGISTER: u16 = 0x0301;
    /// `concord_register::MvRegister`.
    pub const MV_REGISTER: u16 = 0x0302;
    /// `concord_set::LwwElementSet`.
    pub const LWW_ELEMENT_SET: u16 = 0x0401;
    /// `concord_set::OrSet`.
    pub const OR_SET: u16 = 0x0402;
    /// `concord_map::LwwMap`.
    pub const LWW_MAP: u16 = 0x0501;
    /// `concord_map::OrMap`.
    pub const OR_MAP: u16 = 0x0502;
    /// `concord_map::EwFlag`.
    pub const EW_FLAG: u16 = 0x0503;
    /// `concord_map::DwFlag`.
    pub const DW_FLAG: u16 = 0x0504;
    /// `concord_map::CausalCounter`.
    pub const CAUSAL_COUNTER: u16 = 0x0505;
    /// Retired: the exact summary of a `concord_map::LwwMap`, replaced by
    /// [`RANGE_SUMMARY`]. Kept so the number is never given to another type.
    pub const LWW_MAP_SUMMARY: u16 = 0x0506;
    /// A `concord_sync` message.
    pub const SYNC_MESSAGE: u16 = 0x0601;
    /// `concord_sync::SessionToken`.
    pub const SESSION_TOKEN: u16 = 0x0602;
    /// `concord_sync::Checkpoint`.
    pub const SYNC_CHECKPOINT: u16 = 0x0603;
    /// The stable stamp a `concord_sync::Checkpoint` carries.
    pub const SYNC_STABLE_STAMP: u16 = 0x0604;
    /// The header record of a `concord_store` file (its format version).
    pub const STORE_HEADER: u16 = 0x0701;
    /// A `concord_store` record of a replica that has lost state.
    pub const STORE_LOST_STATE: u16 = 0x0702;
    /// First tag free for types defined outside the family.
    pub const USER: u16 = 0x8000;
}

/// A state that has a place on the wire: a tag that names its type and a format version.
///
/// Bump `VERSION` whenever the encoding of the type changes; the golden byte vectors in each
/// crate's `tests/data/` fail until you do.
pub trait WireType: Serialize + DeserializeOwned {
    /// The type's tag, from [`tag`] (or from [`tag::USER`] upwards for types outside the family).
    const TAG: u16;
    /// The format version this build writes and reads.
    const VERSION: u16;
    /// A human-readable name for error messages.
    const NAME: &'static str;

    /// About how many bytes the state's payload takes, so that [`encode`] reserves its output
    /// once instead of growing it by doubling. Only a guess: the output grows past it when the
    /// state needs more, and a guess above [`DEFAULT_LIMIT`] is taken as that limit. The
    /// default, 0, reserves a small buffer; types whose size is easy to bound (the actor maps:
    /// clocks and counters) override it.
    fn encoded_len_hint(&self) -> usize {
        0
    }
}

impl WireType for crate::ReplicaId {
    const TAG: u16 = tag::REPLICA_ID;
    const VERSION: u16 = 1;
    const NAME: &'static str = "ReplicaId";
}

/// Why a state could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    message: String,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot encode state: {}", self.message)
    }
}

impl core::error::Error for EncodeError {}

/// Why bytes were refused. Each part of the envelope has its own variant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the envelope needs.
    Truncated {
        /// Bytes given.
        len: usize,
    },
    /// The input does not start with [`MAGIC`]: not a concord encoding.
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// The tag names another type.
    WrongType {
        /// The name of the type asked for.
        expected: &'static str,
        /// Its tag.
        expected_tag: u16,
        /// The tag found.
        found: u16,
    },
    /// A format version this build cannot read.
    UnsupportedVersion {
        /// The name of the type.
        type_name: &'static str,
        /// The version this build reads.
        supported: u16,
        /// The version found.
        found: u16,
    },
    /// The input is longer than the limit.
    TooLarge {
        /// Bytes given.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Bytes left after a complete state.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The state's bytes are malformed, cut short, or break an invariant of the type.
    Invalid {
        /// The name of the type.
        type_name: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { len } => write!(
                f,
                "input of {len} bytes is shorter than the {HEADER_LEN}-byte envelope"
            ),
            Self::BadMagic { found } => {
                write!(
                    f,
                    "not a concord encoding: magic {found:02x?}, expected {MAGIC:02x?}"
                )
            }
            Self::WrongType {
                expected,
                expected_tag,
                found,
            } => write!(
                f,
                "type tag {found:#06x} found where a {expected} (tag {expected_tag:#06x}) was expected"
            ),
            Self::UnsupportedVersion {
                type_name,
                supported,
                found,
            } => write!(
                f,
                "{type_name} format version {found} is not supported (this build reads version {supported})"
            ),
            Self::TooLarge { len, limit } => {
                write!(
                    f,
                    "input of {len} bytes exceeds the decode limit of {limit} bytes"
                )
            }
            Self::TrailingBytes { count } => write!(f, "{count} bytes left after the state"),
            Self::Invalid { type_name, reason } => write!(f, "invalid {type_name}: {reason}"),
        }
    }
}

impl core::error::Error for DecodeError {}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a state into the envelope.
///
/// # Errors
///
/// Only when the type's `Serialize` implementation itself fails; the types of this family
/// never do.
pub fn encode<T: WireType>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let reserve = HEADER_LEN
        .saturating_add(value.encoded_len_hint().min(DEFAULT_LIMIT))
        .max(64);
    let mut out = Vec::with_capacity(reserve);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&T::TAG.to_le_bytes());
    out.extend_from_slice(&T::VERSION.to_le_bytes());
    encode_payload(value, &mut out)?;
    Ok(out)
}

/// The length of [`encode`]'s output for `value`, computed without allocating: the envelope's
/// header plus the payload's bytes.
///
/// ```
/// use concord_core::codec;
/// # use concord_core::codec::WireType;
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Pair(u64, u64);
/// # impl WireType for Pair { const TAG: u16 = 0xFFF0; const VERSION: u16 = 1; const NAME: &'static str = "Pair"; }
/// let value = Pair(1, 300);
/// assert_eq!(codec::encoded_len(&value)?, codec::encode(&value)?.len());
/// # Ok::<(), codec::EncodeError>(())
/// ```
///
/// # Errors
///
/// As [`encode`].
pub fn encoded_len<T: WireType>(value: &T) -> Result<usize, EncodeError> {
    Ok(MAGIC.len() + 4 + payload_len(value)?)
}

/// The length of `value`'s bytes without the envelope: what it takes inside [`encode`]'s
/// output, or nested in another encoded value (a delta inside a message). Computed without
/// allocating.
///
/// # Errors
///
/// As [`encode`].
pub fn payload_len<T: Serialize>(value: &T) -> Result<usize, EncodeError> {
    let mut size = bincode::enc::write::SizeWriter::default();
    bincode::serde::encode_into_writer(value, &mut size, config()).map_err(|e| EncodeError {
        message: e.to_string(),
    })?;
    Ok(size.bytes_written)
}

/// Encodes a state without the envelope, appending to `out` (for formats that nest states).
fn encode_payload<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    struct VecWriter<'a>(&'a mut Vec<u8>);
    impl bincode::enc::write::Writer for VecWriter<'_> {
        #[inline]
        fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
            // Most writes are one byte (a small varint, one byte of an id): a push, not a
            // call to copy memory.
            if let [byte] = bytes {
                self.0.push(*byte);
            } else {
                self.0.extend_from_slice(bytes);
            }
            Ok(())
        }
    }
    bincode::serde::encode_into_writer(value, VecWriter(out), config()).map_err(|e| EncodeError {
        message: e.to_string(),
    })
}

/// Decodes a state from its envelope, with the [`DEFAULT_LIMIT`] of 16 MiB.
///
/// # Errors
///
/// A [`DecodeError`] naming what was wrong: the envelope (truncated, magic, tag, version), the
/// length, the state's bytes, an invariant of the type, or trailing bytes. On error nothing is
/// returned; the input is never partly applied.
pub fn decode<T: WireType>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_with_limit(bytes, DEFAULT_LIMIT)
}

/// Decodes a state from its envelope, refusing inputs longer than `limit` bytes.
///
/// `limit` is clamped to [`MAX_LIMIT`]. Memory allocated while decoding is bounded by the
/// input: decoded values may claim at most about [`CLAIM_RATIO`] bytes per input byte, and a
/// sequence preallocates at most 1 MiB (serde's cautious size hint) whatever its length prefix
/// claims, then grows only as its elements are read. The sequences that nest inside another
/// sequence's elements (the dot stores of `concord-clock`, the digest lists of a
/// [`RangeSummary`](crate::reconcile::RangeSummary)) are read with [`deserialize_vec`], which
/// preallocates at most [`NESTED_PREALLOCATION`] bytes. The
/// bound is therefore 1 MiB plus a small multiple of the input's length; `fuzz/` checks it
/// with a counting allocator. An element or value type of your own whose decoding holds a
/// sequence (a `Vec` value in a map) can add up to 1 MiB per level of such nesting, unless it
/// reads that sequence with [`deserialize_vec`].
///
/// # Errors
///
/// As [`decode`], with [`DecodeError::TooLarge`] above `limit`.
pub fn decode_with_limit<T: WireType>(bytes: &[u8], limit: usize) -> Result<T, DecodeError> {
    let limit = limit.min(MAX_LIMIT);
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    let (found_tag, version) = peek(bytes)?;
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    if found_tag != T::TAG {
        return Err(DecodeError::WrongType {
            expected: T::NAME,
            expected_tag: T::TAG,
            found: found_tag,
        });
    }
    if version != T::VERSION {
        return Err(DecodeError::UnsupportedVersion {
            type_name: T::NAME,
            supported: T::VERSION,
            found: version,
        });
    }
    let (value, used) = decode_payload::<T>(payload)?;
    match payload.len().checked_sub(used) {
        Some(0) => Ok(value),
        Some(count) => Err(DecodeError::TrailingBytes { count }),
        None => Err(invalid::<T>("decoder read past the end".to_string())),
    }
}

/// Reads the type tag and format version of an encoding without decoding the state, so a
/// receiver can dispatch on the type of a message before choosing what to decode it as.
///
/// ```
/// use concord_core::{codec, Dot};
///
/// let bytes = codec::encode(&Dot::new(1u64, 2))?;
/// assert_eq!(codec::peek(&bytes)?, (codec::tag::DOT, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`DecodeError::Truncated`] or [`DecodeError::BadMagic`].
pub fn peek(bytes: &[u8]) -> Result<(u16, u16), DecodeError> {
    let Some((header, _)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::Truncated { len: bytes.len() });
    };
    let [m0, m1, m2, m3, t0, t1, v0, v1] = *header;
    if [m0, m1, m2, m3] != MAGIC {
        return Err(DecodeError::BadMagic {
            found: [m0, m1, m2, m3],
        });
    }
    Ok((u16::from_le_bytes([t0, t1]), u16::from_le_bytes([v0, v1])))
}

fn invalid<T: WireType>(reason: String) -> DecodeError {
    DecodeError::Invalid {
        type_name: T::NAME,
        reason,
    }
}

/// How many bytes of decoded values bincode may claim per input byte. Every value decoded
/// claims its in-memory size; the widest (a `u128` written as a one-byte varint) claims 16
/// bytes for one byte of input, so honest states stay below this ratio.
pub const CLAIM_RATIO: usize = 16;

/// Decodes the state after the envelope with a bincode claim limit chosen from the input's
/// length: the smallest power of four at or above [`CLAIM_RATIO`] times the length. The limit
/// is a compile-time constant, as bincode requires, yet tracks the input, so a string or byte
/// buffer whose length prefix claims more than the input could honestly describe fails before
/// allocating.
fn decode_payload<T: WireType>(payload: &[u8]) -> Result<(T, usize), DecodeError> {
    let claim = payload.len().saturating_mul(CLAIM_RATIO);
    macro_rules! bucket {
        ($($bits:literal),*) => {
            $(
                if claim <= 1usize << $bits {
                    return bincode::serde::decode_from_slice::<T, _>(
                        payload,
                        config().with_limit::<{ 1usize << $bits }>(),
                    )
                    .map_err(|e| invalid::<T>(e.to_string()));
                }
            )*
        };
    }
    bucket!(10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    #[cfg(target_pointer_width = "64")]
    bucket!(32, 34);
    Err(DecodeError::TooLarge {
        len: payload.len(),
        limit: MAX_LIMIT,
    })
}

/// The most [`deserialize_vec`] reserves before reading a sequence's elements, in bytes.
pub const NESTED_PREALLOCATION: usize = 4 << 10;

/// Reads a sequence of `T` as serde's `Vec<T>` does, but reserving at most
/// [`NESTED_PREALLOCATION`] bytes up front, whatever the length prefix claims; the vector
/// then grows only as elements are actually read.
///
/// serde's `Vec` reserves up to 1 MiB before its first element. A sequence nested in an
/// element of another sequence would add that reservation once per level, on a few hostile
/// bytes whose length prefixes claim millions of entries the input does not hold. Use it with
/// `#[serde(deserialize_with = "concord_core::codec::deserialize_vec")]` on such a field.
///
/// ```
/// use concord_core::codec::deserialize_vec;
///
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(deserialize_with = "deserialize_vec")]
///     cells: Vec<u32>,
/// }
///
/// let config = bincode::config::standard();
/// let bytes = bincode::serde::encode_to_vec((vec![1u32, 2, 3],), config)?;
/// let (row, _): (Row, usize) = bincode::serde::decode_from_slice(&bytes, config)?;
/// assert_eq!(row.cells, [1, 2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Whatever the deserializer or an element's decoding returns.
pub fn deserialize_vec<'de, T, D>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    deserializer.deserialize_seq(CautiousVec(core::marker::PhantomData))
}

struct CautiousVec<T>(core::marker::PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for CautiousVec<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<T>, S::Error> {
        let most = NESTED_PREALLOCATION / size_of::<T>().max(1);
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(most));
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }
}
