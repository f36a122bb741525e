use core::fmt::Debug;
use core::hash::Hash;

/// The bound for replica identifiers.
///
/// Every type in the family is generic over `A: Actor`, with [`ReplicaId`](crate::ReplicaId)
/// as the default, so `GCounter` means `GCounter<ReplicaId>` and `GCounter<u64>` works for
/// systems that already number their replicas. The trait is implemented for every type that
/// meets the bound; there is nothing to implement by hand.
///
/// With the `serde` feature the bound includes `Serialize` and `DeserializeOwned`.
#[cfg(feature = "serde")]
pub trait Actor:
    Ord + Copy + Hash + Debug + serde::Serialize + serde::de::DeserializeOwned
{
}

#[cfg(feature = "serde")]
impl<T> Actor for T where
    T: Ord + Copy + Hash + Debug + serde::Serialize + serde::de::DeserializeOwned
{
}

/// The bound for replica identifiers.
///
/// Every type in the family is generic over `A: Actor`, with [`ReplicaId`](crate::ReplicaId)
/// as the default. The trait is implemented for every type that meets the bound.
#[cfg(not(feature = "serde"))]
pub trait Actor: Ord + Copy + Hash + Debug {}

#[cfg(not(feature = "serde"))]
impl<T> Actor for T where T: Ord + Copy + Hash + Debug {}
