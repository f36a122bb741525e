use core::fmt::Debug;
use core::hash::Hash;

/// The bound for replica identifiers.
///
/// Every type in the family is generic over `A: Actor`, with [`ReplicaId`](crate::ReplicaId)
/// as the default, so `GCounter` means `GCounter<ReplicaId>` and `GCounter<u64>` works for
/// systems that already number their replicas. The trait is implemented for every type that
/// meets the bound; there is nothing to implement by hand.
///
/// The bound is the same with every feature set: an id type without serde impls stays an
/// `Actor` when the `serde` feature is on. Serialization needs `A: Serialize` or
/// `A: DeserializeOwned` only on the impls that encode or decode (`Serialize`, `Deserialize`,
/// [`codec::WireType`](crate::codec::WireType)). An actor owns its data (`'static`): the
/// binary form writes a column of [`ReplicaId`](crate::ReplicaId)s as one byte string, and
/// tells that type apart from the others by its [`TypeId`](core::any::TypeId).
///
/// ```
/// use concord_core::Actor;
///
/// // No serde impls, whatever features are on.
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// struct NodeId(u32);
///
/// fn takes_actor<A: Actor>(_: A) {}
/// takes_actor(NodeId(7));
/// ```
pub trait Actor: Ord + Copy + Hash + Debug + 'static {}

impl<T> Actor for T where T: Ord + Copy + Hash + Debug + 'static {}
