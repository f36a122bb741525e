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
/// assert_eq!(ReplicaId::from_bytes(*id.as_bytes()), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ReplicaId(Uuid);

impl Ord for ReplicaId {
    /// The order of the UUID's bytes, computed as one 128-bit comparison (the bytes are the
    /// big-endian form of the number, so the two orders agree). Sorted actor arrays compare
    /// ids on every merge step; a single integer comparison keeps that step branch-free.
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.as_u128().cmp(&other.0.as_u128())
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
        Self(Uuid::new_v4())
    }

    /// The id with these 128 bits (big-endian, as the UUID is written).
    #[must_use]
    pub const fn from_u128(bits: u128) -> Self {
        Self(Uuid::from_u128(bits))
    }

    /// The id with these 16 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The 16 bytes of the id.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The 128 bits of the id.
    #[must_use]
    pub const fn as_u128(&self) -> u128 {
        self.0.as_u128()
    }

    /// The id as a [`Uuid`].
    #[must_use]
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl From<Uuid> for ReplicaId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl From<ReplicaId> for Uuid {
    fn from(id: ReplicaId) -> Self {
        id.0
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({})", self.0.hyphenated())
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
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
            .map(Self)
            .map_err(|_| ParseReplicaIdError(()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ReplicaId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&self.0.hyphenated())
        } else {
            // A fixed-size array is a tuple to serde: 16 bytes, no length prefix.
            serde::Serialize::serialize(self.0.as_bytes(), serializer)
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
