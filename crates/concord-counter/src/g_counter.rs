use core::cmp::Ordering;

use concord_core::lattice::{ActorMap, Iter};
use concord_core::{Actor, Merge, ReplicaId};

use crate::Overflow;

/// A grow-only counter: one `u64` count per actor, read as their exact sum.
///
/// Each replica increments only its own actor's count; [`merge`](Merge::merge) takes the
/// per-actor maximum, so replicas that exchange states or deltas in any order, any number of
/// times, read the same [`value`](Self::value). Stored as an [`ActorMap`] (sorted parallel arrays,
/// no zero entries), the same representation as a vector clock: merge is one linear pass, and
/// an element-wise maximum when both sides know the same actors.
///
/// [`PartialOrd`] is the lattice order: `a <= b` when every actor's count in `a` is at most its
/// count in `b`; counters where each is ahead on some actor are incomparable.
///
/// # Examples
///
/// ```
/// use concord_counter::{GCounter, Merge};
///
/// let mut a = GCounter::<u64>::new();
/// let mut b = GCounter::<u64>::new();
/// let delta = a.increment(1, 3)?; // applied to `a`; ship `delta` to the others
/// b.increment(2, 4)?;
/// b.merge(&delta);
/// b.merge(&delta); // a resent delta changes nothing
/// a.merge(&b);
/// assert_eq!((a.value(), b.value()), (7, 7));
/// assert!(delta <= a);
/// # Ok::<(), concord_counter::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        transparent,
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct GCounter<A = ReplicaId> {
    counts: ActorMap<A, u64>,
}

impl<A> Default for GCounter<A> {
    fn default() -> Self {
        Self {
            counts: ActorMap::default(),
        }
    }
}

impl<A: core::fmt::Debug> core::fmt::Debug for GCounter<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("GCounter").field(&self.counts).finish()
    }
}

impl<A: Actor> GCounter<A> {
    /// A counter at zero.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            counts: ActorMap::new(),
        }
    }

    /// Adds `n` to `actor`'s count and returns the delta: a counter holding only `actor`'s new
    /// count, which merged into any replica (once or many times, in any order with other
    /// deltas) brings it up to date with this increment.
    ///
    /// Incrementing by zero changes nothing and returns an empty delta.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor`'s count would pass `u64::MAX`; the counter is left unchanged.
    pub fn increment(&mut self, actor: A, n: u64) -> Result<Self, Overflow> {
        if n == 0 {
            return Ok(Self::new());
        }
        let count = self.counts.get(&actor);
        let new = count.checked_add(n).ok_or(Overflow::new(count, n))?;
        self.counts.set(actor, new);
        let mut delta = ActorMap::new();
        delta.set(actor, new);
        Ok(Self { counts: delta })
    }

    /// The exact sum of every actor's count. A `u128` holds the sum of any number of `u64`
    /// counts a machine can store, so this cannot overflow.
    #[must_use]
    pub fn value(&self) -> u128 {
        self.counts.values().iter().map(|&c| u128::from(c)).sum()
    }

    /// `actor`'s count: the sum of its increments; zero for an actor never seen.
    #[must_use]
    pub fn get(&self, actor: &A) -> u64 {
        self.counts.get(actor)
    }

    /// The actors with a non-zero count and their counts, in actor order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> Iter<'_, A, u64> {
        self.counts.iter()
    }

    /// Number of actors with a non-zero count.
    #[must_use]
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no actor has counted anything (the value is zero).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The per-actor counts.
    #[must_use]
    pub fn as_actor_map(&self) -> &ActorMap<A, u64> {
        &self.counts
    }
}

impl<A: Actor> From<ActorMap<A, u64>> for GCounter<A> {
    /// The counter whose per-actor counts are the map's values.
    fn from(counts: ActorMap<A, u64>) -> Self {
        Self { counts }
    }
}

impl<'a, A: Actor> IntoIterator for &'a GCounter<A> {
    type Item = (&'a A, u64);
    type IntoIter = Iter<'a, A, u64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<A: Actor> FromIterator<(A, u64)> for GCounter<A> {
    /// Builds a counter from per-actor counts in any order, joined as states: an actor given
    /// twice keeps the larger count (not the sum), and zero counts are dropped.
    ///
    /// ```
    /// use concord_counter::GCounter;
    ///
    /// let c: GCounter<u64> = [(1, 3), (2, 4), (1, 2)].into_iter().collect();
    /// assert_eq!(c.value(), 7);
    /// ```
    fn from_iter<I: IntoIterator<Item = (A, u64)>>(iter: I) -> Self {
        Self {
            counts: iter.into_iter().collect(),
        }
    }
}

impl<A: Actor> Extend<(A, u64)> for GCounter<A> {
    /// Merges per-actor counts in: each actor keeps the larger of its count here and the
    /// counts given. This is a merge with the counter the entries build, not an increment.
    fn extend<I: IntoIterator<Item = (A, u64)>>(&mut self, iter: I) {
        self.counts.extend(iter);
    }
}

concord_core::__impl_actor_map_sync!(GCounter, counts);

impl<A: Actor> Merge for GCounter<A> {
    /// The per-actor maximum, in one pass over both sorted actor arrays.
    fn merge(&mut self, other: &Self) {
        self.counts.merge(&other.counts);
    }
}

impl<A: Actor> PartialOrd for GCounter<A> {
    /// The pointwise order of the per-actor counts.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.counts.partial_cmp(&other.counts)
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for GCounter<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::G_COUNTER;
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "GCounter";

    fn encoded_len_hint(&self) -> usize {
        self.counts.encoded_len_hint()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, A: Actor + arbitrary::Arbitrary<'a>> arbitrary::Arbitrary<'a> for GCounter<A> {
    /// A valid counter: the arbitrary [`ActorMap`] of its per-actor counts.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <ActorMap<A, u64> as arbitrary::Arbitrary>::arbitrary(u).map(Self::from)
    }
}
