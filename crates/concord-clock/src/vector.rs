use core::cmp::Ordering;

use concord_core::lattice::{ActorMap, Iter};
use concord_core::{Actor, Dot, Merge, ReplicaId};

use concord_core::Overflow;

/// How two vector clocks relate in causal order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Causality {
    /// Every event of the first clock is in the second, which has more: the first happened
    /// before.
    Before,
    /// The second clock happened before the first.
    After,
    /// Both clocks hold the same events.
    Equal,
    /// Each clock holds an event the other lacks: neither happened before the other.
    Concurrent,
}

impl Causality {
    /// The causal relation that a pointwise comparison describes (`None` is concurrency).
    #[must_use]
    pub const fn from_ordering(ordering: Option<Ordering>) -> Self {
        match ordering {
            Some(Ordering::Less) => Self::Before,
            Some(Ordering::Greater) => Self::After,
            Some(Ordering::Equal) => Self::Equal,
            None => Self::Concurrent,
        }
    }

    /// The relation as a partial ordering (`None` for [`Causality::Concurrent`]).
    #[must_use]
    pub const fn to_ordering(self) -> Option<Ordering> {
        match self {
            Self::Before => Some(Ordering::Less),
            Self::After => Some(Ordering::Greater),
            Self::Equal => Some(Ordering::Equal),
            Self::Concurrent => None,
        }
    }
}

/// A vector clock (Fidge, "Timestamps in Message-Passing Systems That Preserve the Partial
/// Ordering", 1988; Mattern, "Virtual Time and Global States of Distributed Systems", 1989):
/// for every replica, how many of its events are known.
///
/// Stored as two sorted parallel arrays (actors, counters) with no zero entries, so structural
/// equality is semantic equality and the encoding is canonical. [`merge`](Merge::merge) is one
/// linear pass; when both sides hold the same actors it is a comparison of the actor arrays and
/// an element-wise maximum that the compiler vectorises.
///
/// [`PartialOrd`] is the causal order, which is also the lattice order of the merge:
/// `partial_cmp` is `None` for concurrent clocks.
///
/// ```
/// use concord_clock::{Causality, Merge, VectorClock};
///
/// let mut a = VectorClock::<u64>::new();
/// let mut b = VectorClock::new();
/// a.increment(1)?;
/// b.increment(2)?;
/// assert_eq!(a.compare(&b), Causality::Concurrent);
///
/// b.merge(&a);
/// assert_eq!(a.compare(&b), Causality::Before);
/// assert!(a < b);
/// # Ok::<(), concord_clock::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct VectorClock<A = ReplicaId> {
    entries: ActorMap<A, u64>,
}

impl<A> Default for VectorClock<A> {
    fn default() -> Self {
        Self {
            entries: ActorMap::default(),
        }
    }
}

impl<A: core::fmt::Debug> core::fmt::Debug for VectorClock<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("VectorClock").field(&self.entries).finish()
    }
}

impl<A: Actor> VectorClock<A> {
    /// The empty clock: no event seen.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: ActorMap::new(),
        }
    }

    /// Records the next event of `actor` and returns its dot.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already counts `u64::MAX` events; the counter
    /// never wraps and the clock is unchanged.
    pub fn increment(&mut self, actor: A) -> Result<Dot<A>, Overflow> {
        let seen = self.entries.get(&actor);
        let counter = seen.checked_add(1).ok_or(Overflow::new(seen, 1))?;
        self.entries.set(actor, counter);
        Ok(Dot::new(actor, counter))
    }

    /// How many events of `actor` the clock has seen (0 for an unknown actor).
    #[must_use]
    #[inline]
    pub fn get(&self, actor: &A) -> u64 {
        self.entries.get(actor)
    }

    /// Whether the clock has seen the event `dot`. A dot with counter 0 names no event and is
    /// always contained.
    #[must_use]
    pub fn contains(&self, dot: &Dot<A>) -> bool {
        dot.counter <= self.get(&dot.actor)
    }

    /// Records that every event of `dot.actor` up to `dot.counter` has been seen (the entry
    /// becomes the maximum of itself and `dot.counter`).
    pub fn apply(&mut self, dot: Dot<A>) {
        if dot.counter > self.get(&dot.actor) {
            self.entries.set(dot.actor, dot.counter);
        }
    }

    /// The causal relation of `self` to `other`.
    #[must_use]
    pub fn compare(&self, other: &Self) -> Causality {
        Causality::from_ordering(self.entries.partial_cmp(&other.entries))
    }

    /// The `(&actor, counter)` entries in actor order, zero entries omitted.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> Iter<'_, A, u64> {
        self.entries.iter()
    }

    /// Number of actors with at least one event.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no event has been seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The underlying sorted actor map.
    #[must_use]
    pub const fn as_actor_map(&self) -> &ActorMap<A, u64> {
        &self.entries
    }
}

impl<A: Actor> From<ActorMap<A, u64>> for VectorClock<A> {
    fn from(entries: ActorMap<A, u64>) -> Self {
        Self { entries }
    }
}

impl<A: Actor> From<VectorClock<A>> for ActorMap<A, u64> {
    fn from(clock: VectorClock<A>) -> Self {
        clock.entries
    }
}

impl<A: Actor> FromIterator<(A, u64)> for VectorClock<A> {
    /// Builds a clock from entries in any order; an actor given twice keeps its larger count
    /// and zero counts are dropped.
    fn from_iter<I: IntoIterator<Item = (A, u64)>>(iter: I) -> Self {
        Self {
            entries: iter.into_iter().collect(),
        }
    }
}

impl<A: Actor> Extend<(A, u64)> for VectorClock<A> {
    /// Merges the entries in: each actor keeps the larger of its count here and the counts
    /// given.
    fn extend<I: IntoIterator<Item = (A, u64)>>(&mut self, iter: I) {
        self.entries.extend(iter);
    }
}

impl<'a, A: Actor> IntoIterator for &'a VectorClock<A> {
    type Item = (&'a A, u64);
    type IntoIter = Iter<'a, A, u64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

concord_core::__impl_actor_map_sync!(VectorClock, entries);

impl<A: Actor> Merge for VectorClock<A> {
    /// The pointwise maximum.
    fn merge(&mut self, other: &Self) {
        self.entries.merge(&other.entries);
    }
}

impl<A: Actor> PartialOrd for VectorClock<A> {
    /// The causal order: `Less` when `self` happened before `other`, `None` when concurrent.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.entries.partial_cmp(&other.entries)
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for VectorClock<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::VECTOR_CLOCK;
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "VectorClock";

    fn encoded_len_hint(&self) -> usize {
        self.entries.encoded_len_hint()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, A: Actor + arbitrary::Arbitrary<'a>> arbitrary::Arbitrary<'a> for VectorClock<A> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <ActorMap<A, u64> as arbitrary::Arbitrary>::arbitrary(u).map(Self::from)
    }
}
