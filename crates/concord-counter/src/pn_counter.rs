use core::cmp::Ordering;

use concord_core::lattice::{ActorMap, Iter};
use concord_core::{Actor, Merge, ReplicaId};

use crate::Overflow;

/// Which of an actor's two totals an operation grows.
#[derive(Clone, Copy)]
enum Side {
    Increments,
    Decrements,
}

/// A counter that goes up and down: per actor, a `u64` total of increments and one of
/// decrements, read as the exact difference of their sums.
///
/// Both totals of an actor live in one entry of one [`ActorMap`] (sorted parallel arrays of
/// actors and `[increments, decrements]` pairs, no all-zero entries), so
/// [`merge`](Merge::merge) is a single linear pass taking the per-actor maximum of each total,
/// not two map merges.
///
/// [`PartialOrd`] is the lattice order: `a <= b` when every actor's increments and decrements
/// in `a` are at most those in `b`. It is not the order of [`value`](Self::value): a counter
/// that saw more decrements is *larger* in the lattice and smaller in value.
///
/// # Examples
///
/// ```
/// use concord_counter::{Merge, PnCounter};
///
/// let mut cart = PnCounter::<u64>::new();
/// let mut other = PnCounter::<u64>::new();
/// let added = cart.increment(1, 5)?;
/// let removed = other.decrement(2, 2)?;
/// cart.merge(&removed);
/// other.merge(&added);
/// other.merge(&added); // deltas are safe to resend
/// assert_eq!((cart.value(), other.value()), (3, 3));
/// assert_eq!(cart.get(&2), (0, 2));
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
pub struct PnCounter<A = ReplicaId> {
    counts: ActorMap<A, [u64; 2]>,
}

impl<A> Default for PnCounter<A> {
    fn default() -> Self {
        Self {
            counts: ActorMap::default(),
        }
    }
}

impl<A: core::fmt::Debug> core::fmt::Debug for PnCounter<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("PnCounter").field(&self.counts).finish()
    }
}

impl<A: Actor> PnCounter<A> {
    /// A counter at zero.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            counts: ActorMap::new(),
        }
    }

    /// Adds `n` to `actor`'s increments and returns the delta: a counter holding only `actor`'s
    /// new entry (its increments and decrements), safe to merge into any replica any number of
    /// times.
    ///
    /// Incrementing by zero changes nothing and returns an empty delta.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor`'s increments would pass `u64::MAX`; the counter is left
    /// unchanged.
    pub fn increment(&mut self, actor: A, n: u64) -> Result<Self, Overflow> {
        self.add(actor, Side::Increments, n)
    }

    /// Adds `n` to `actor`'s decrements and returns the delta, as [`increment`](Self::increment)
    /// does.
    ///
    /// Decrementing by zero changes nothing and returns an empty delta.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor`'s decrements would pass `u64::MAX`; the counter is left
    /// unchanged.
    pub fn decrement(&mut self, actor: A, n: u64) -> Result<Self, Overflow> {
        self.add(actor, Side::Decrements, n)
    }

    fn add(&mut self, actor: A, side: Side, n: u64) -> Result<Self, Overflow> {
        if n == 0 {
            return Ok(Self::new());
        }
        let grow = |count: u64| count.checked_add(n).ok_or(Overflow::new(count, n));
        let [inc, dec] = self.counts.get(&actor);
        let entry = match side {
            Side::Increments => [grow(inc)?, dec],
            Side::Decrements => [inc, grow(dec)?],
        };
        self.counts.set(actor, entry);
        let mut delta = ActorMap::new();
        delta.set(actor, entry);
        Ok(Self { counts: delta })
    }

    /// The exact value: the sum of all increments minus the sum of all decrements.
    ///
    /// Each actor contributes a difference of two `u64`s; an `i128` holds the sum of those for
    /// any number of actors a machine can store, so the value is exact (the sum saturates
    /// rather than wraps beyond that, which no real counter reaches).
    #[must_use]
    pub fn value(&self) -> i128 {
        self.counts.values().iter().fold(0i128, |sum, &[inc, dec]| {
            sum.saturating_add(i128::from(inc) - i128::from(dec))
        })
    }

    /// `actor`'s totals as `(increments, decrements)`; `(0, 0)` for an actor never seen.
    #[must_use]
    pub fn get(&self, actor: &A) -> (u64, u64) {
        let [inc, dec] = self.counts.get(actor);
        (inc, dec)
    }

    /// The sum of every actor's increments.
    #[must_use]
    pub fn increments(&self) -> u128 {
        self.counts
            .values()
            .iter()
            .map(|&[inc, _]| u128::from(inc))
            .sum()
    }

    /// The sum of every actor's decrements.
    #[must_use]
    pub fn decrements(&self) -> u128 {
        self.counts
            .values()
            .iter()
            .map(|&[_, dec]| u128::from(dec))
            .sum()
    }

    /// The actors that counted anything, with their `(increments, decrements)`, in actor order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> PnCounterIter<'_, A> {
        PnCounterIter {
            inner: self.counts.iter(),
        }
    }

    /// Number of actors that counted anything.
    #[must_use]
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no actor has counted anything. (A counter can read zero without being empty.)
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The per-actor `[increments, decrements]`.
    #[must_use]
    pub fn as_actor_map(&self) -> &ActorMap<A, [u64; 2]> {
        &self.counts
    }
}

impl<A: Actor> From<ActorMap<A, [u64; 2]>> for PnCounter<A> {
    /// The counter whose per-actor `[increments, decrements]` are the map's values.
    fn from(counts: ActorMap<A, [u64; 2]>) -> Self {
        Self { counts }
    }
}

/// The entries of a [`PnCounter`] in actor order: `(&actor, (increments, decrements))`, as
/// [`PnCounter::get`] gives them.
#[derive(Clone, Debug)]
pub struct PnCounterIter<'a, A> {
    inner: Iter<'a, A, [u64; 2]>,
}

impl<'a, A> Iterator for PnCounterIter<'a, A> {
    type Item = (&'a A, (u64, u64));

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(a, [inc, dec])| (a, (inc, dec)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<A> ExactSizeIterator for PnCounterIter<'_, A> {}

impl<A> DoubleEndedIterator for PnCounterIter<'_, A> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner
            .next_back()
            .map(|(a, [inc, dec])| (a, (inc, dec)))
    }
}

impl<A> core::iter::FusedIterator for PnCounterIter<'_, A> {}

impl<'a, A: Actor> IntoIterator for &'a PnCounter<A> {
    type Item = (&'a A, (u64, u64));
    type IntoIter = PnCounterIter<'a, A>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<A: Actor> FromIterator<(A, (u64, u64))> for PnCounter<A> {
    /// Builds a counter from per-actor `(increments, decrements)` in any order, joined as
    /// states: an actor given twice keeps the larger increments and the larger decrements
    /// (not the sums), and `(0, 0)` entries are dropped.
    ///
    /// ```
    /// use concord_counter::PnCounter;
    ///
    /// let c: PnCounter<u64> = [(1, (5, 1)), (2, (0, 3)), (1, (4, 2))].into_iter().collect();
    /// assert_eq!(c.value(), 5 - 2 - 3);
    /// ```
    fn from_iter<I: IntoIterator<Item = (A, (u64, u64))>>(iter: I) -> Self {
        Self {
            counts: iter
                .into_iter()
                .map(|(a, (inc, dec))| (a, [inc, dec]))
                .collect(),
        }
    }
}

impl<A: Actor> Extend<(A, (u64, u64))> for PnCounter<A> {
    /// Merges per-actor `(increments, decrements)` in: each total keeps the larger of its value
    /// here and the values given. This is a merge, not an increment.
    fn extend<I: IntoIterator<Item = (A, (u64, u64))>>(&mut self, iter: I) {
        self.counts
            .merge(&iter.into_iter().collect::<Self>().counts);
    }
}

concord_core::__impl_actor_map_sync!(PnCounter, counts);

impl<A: Actor> Merge for PnCounter<A> {
    /// The per-actor maximum of increments and of decrements, in one pass.
    fn merge(&mut self, other: &Self) {
        self.counts.merge(&other.counts);
    }
}

impl<A: Actor> PartialOrd for PnCounter<A> {
    /// The pointwise order of every actor's increments and decrements.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.counts.partial_cmp(&other.counts)
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for PnCounter<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::PN_COUNTER;
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "PnCounter";

    fn encoded_len_hint(&self) -> usize {
        self.counts.encoded_len_hint()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, A: Actor + arbitrary::Arbitrary<'a>> arbitrary::Arbitrary<'a> for PnCounter<A> {
    /// A valid counter: the arbitrary [`ActorMap`] of its per-actor counts.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        <ActorMap<A, [u64; 2]> as arbitrary::Arbitrary>::arbitrary(u).map(Self::from)
    }
}
