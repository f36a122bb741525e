//! Look-alike wire forms, for tests that must write states a real type would never produce.

use alloc::vec::Vec;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor_map::wire;
use crate::lattice::Counts;

/// `(actor, value)` pairs with the serde form of an [`ActorMap`](crate::lattice::ActorMap), but none
/// of its checks: the pairs may be unsorted, repeated or zero.
///
/// A decode test wraps it in a look-alike of the real type (same serde shape, same wire tag),
/// encodes it, and decodes the bytes as the real type to see the bad state refused.
///
/// ```
/// use concord_core::{codec, laws::RawActorMap, lattice::ActorMap};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Raw(RawActorMap<u64, u64>);
/// impl codec::WireType for Raw {
///     const TAG: u16 = codec::tag::USER;
///     const VERSION: u16 = 1;
///     const NAME: &'static str = "Raw";
/// }
/// #[derive(serde::Serialize, serde::Deserialize, Debug)]
/// struct Real(ActorMap<u64, u64>);
/// impl codec::WireType for Real {
///     const TAG: u16 = codec::tag::USER;
///     const VERSION: u16 = 1;
///     const NAME: &'static str = "Real";
/// }
///
/// let unsorted = codec::encode(&Raw(RawActorMap(vec![(2, 1), (1, 1)])))?;
/// assert!(codec::decode::<Real>(&unsorted).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawActorMap<A, V = u64>(pub Vec<(A, V)>);

impl<A: Serialize + Copy + 'static, V: Counts + Serialize> Serialize for RawActorMap<A, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return self.0.serialize(serializer);
        }
        let (actors, values): (Vec<A>, Vec<V>) = self.0.iter().copied().unzip();
        wire::serialize_columns(&actors, &values, serializer)
    }
}

impl<'de, A: Deserialize<'de> + 'static, V: Counts + Deserialize<'de>> Deserialize<'de>
    for RawActorMap<A, V>
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            return Vec::deserialize(deserializer).map(Self);
        }
        let (actors, values) = wire::deserialize_columns::<A, V, D>(deserializer)?;
        if actors.len() != values.len() {
            return Err(serde::de::Error::custom(
                "as many values as actors expected",
            ));
        }
        Ok(Self(actors.into_iter().zip(values).collect()))
    }
}
