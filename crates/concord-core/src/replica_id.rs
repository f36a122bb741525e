use core::fmt;
use core::str::FromStr;

use uuid::Uuid;

/// The identity of one replica *incarnation*: a UUID.
///
/// Mint a fresh id every time a replica starts from empty state. A replica that lost its state
/// (a wiped disk, a restored old backup) must never reuse its old id: its counters would restart
/// below what peers already hold for that id, and its next writes would be absorbed by the
/// larger old entries, so acknowledged writes would be silently lost.
///
/// With serde, a `ReplicaId` is 16 raw bytes in binary formats (bincode, postcard) and the
/// hyphenated string (`67e55044-10b1-426f-9247-bb680e5fe0c8`) in human-readable ones (JSON).
///
/// # Examples
///
/// ```
/// use concord_core::ReplicaId;
///
/// let id = ReplicaId::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
/// assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
/// assert_eq!("67e55044-10b1-426f-9247-bb680e5fe0c8".parse::<ReplicaId>(), Ok(id));
/// assert_eq!(ReplicaId::from_bytes(id.to_bytes()), id);
/// ```
///
/// Ids are ordered as their bytes are (equivalently, as the 128-bit numbers they spell).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ReplicaId {
    // The UUID as a number, in two native-endian words (high word first): merges compare ids
    // on every step, and native words compare without byte swapping, keep the 8-byte
    // alignment of the counters stored beside them, and load as plain integers.
    hi: u64,
    lo: u64,
}

impl Ord for ReplicaId {
    /// One 128-bit comparison, branch-free.
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_u128().cmp(&other.as_u128())
    }
}

impl PartialOrd for ReplicaId {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ReplicaId {
    /// A fresh random (version 4) id from the operating system's generator.
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[must_use]
    pub fn random() -> Self {
        Self::from_uuid(Uuid::new_v4())
    }

    /// The id with these 128 bits (big-endian, as the UUID is written).
    #[must_use]
    #[allow(
        clippy::cast_possible_truncation,
        reason = "splitting the number into its two 64-bit words"
    )]
    pub const fn from_u128(bits: u128) -> Self {
        Self {
            hi: (bits >> 64) as u64,
            lo: bits as u64,
        }
    }

    /// The id with these 16 bytes (the UUID's bytes, most significant first).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self::from_u128(u128::from_be_bytes(bytes))
    }

    /// The id of this UUID.
    #[must_use]
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self::from_u128(uuid.as_u128())
    }

    /// The 16 bytes of the id (the UUID's bytes, most significant first).
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; 16] {
        self.as_u128().to_be_bytes()
    }

    /// The 128 bits of the id.
    #[must_use]
    #[inline]
    pub const fn as_u128(&self) -> u128 {
        ((self.hi as u128) << 64) | self.lo as u128
    }

    /// The id as a [`Uuid`].
    #[must_use]
    pub const fn to_uuid(&self) -> Uuid {
        Uuid::from_u128(self.as_u128())
    }
}

impl From<Uuid> for ReplicaId {
    fn from(uuid: Uuid) -> Self {
        Self::from_uuid(uuid)
    }
}

impl From<ReplicaId> for Uuid {
    fn from(id: ReplicaId) -> Self {
        id.to_uuid()
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({})", self.to_uuid().hyphenated())
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_uuid().hyphenated(), f)
    }
}

/// The error of parsing a [`ReplicaId`] from a string that is not a UUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseReplicaIdError(());

impl fmt::Display for ParseReplicaIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not a replica id: expected a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8",
        )
    }
}

impl core::error::Error for ParseReplicaIdError {}

impl FromStr for ReplicaId {
    type Err = ParseReplicaIdError;

    /// Parses any UUID form the `uuid` crate accepts (hyphenated, simple, braced, URN).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self::from_uuid)
            .map_err(|_| ParseReplicaIdError(()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ReplicaId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&self.to_uuid().hyphenated())
        } else {
            // A fixed-size array is a tuple to serde: 16 bytes, no length prefix.
            serde::Serialize::serialize(&self.to_bytes(), serializer)
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ReplicaId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = ReplicaId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UUID string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ReplicaId, E> {
                v.parse().map_err(E::custom)
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Text)
        } else {
            <[u8; 16] as serde::Deserialize>::deserialize(deserializer).map(Self::from_bytes)
        }
    }
}
