use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt::{self, Debug};

use crate::{Actor, ValidationError};

mod lanes;

/// A per-actor value that joins by a pointwise maximum: the payload of an [`ActorMap`].
///
/// Implemented for `u64` (vector clocks, grow-only counters) and `[u64; 2]` (the increments and
/// decrements of a positive-negative counter, merged in the same pass).
pub trait Counts: Copy + Eq + Default + Debug {
    /// The join: the pointwise maximum.
    #[must_use]
    fn join(self, other: Self) -> Self;
    /// `self ≤ other` pointwise.
    fn leq(&self, other: &Self) -> bool;
    /// Whether this is the zero value, which an [`ActorMap`] never stores.
    fn is_zero(&self) -> bool;
    /// Number of `u64` words of a value on the wire.
    const WORDS: usize;
    /// Passes the value's `u64` words to `f` in wire order.
    fn for_each_word(self, f: impl FnMut(u64));
    /// Builds a value from words in wire order; `None` when `next` runs out first.
    fn from_words(next: impl FnMut() -> Option<u64>) -> Option<Self>;
}

impl Counts for u64 {
    const WORDS: usize = 1;
    #[inline]
    fn join(self, other: Self) -> Self {
        self.max(other)
    }
    #[inline]
    fn leq(&self, other: &Self) -> bool {
        self <= other
    }
    #[inline]
    fn is_zero(&self) -> bool {
        *self == 0
    }
    #[inline]
    fn for_each_word(self, mut f: impl FnMut(u64)) {
        f(self);
    }
    #[inline]
    fn from_words(mut next: impl FnMut() -> Option<u64>) -> Option<Self> {
        next()
    }
}

impl Counts for [u64; 2] {
    const WORDS: usize = 2;
    #[inline]
    fn join(self, other: Self) -> Self {
        let [a, b] = self;
        let [c, d] = other;
        [a.max(c), b.max(d)]
    }
    #[inline]
    fn leq(&self, other: &Self) -> bool {
        let [a, b] = self;
        let [c, d] = other;
        a <= c && b <= d
    }
    #[inline]
    fn is_zero(&self) -> bool {
        *self == [0, 0]
    }
    #[inline]
    fn for_each_word(self, mut f: impl FnMut(u64)) {
        let [a, b] = self;
        f(a);
        f(b);
    }
    #[inline]
    fn from_words(mut next: impl FnMut() -> Option<u64>) -> Option<Self> {
        Some([next()?, next()?])
    }
}

/// Up to this many actors, [`ActorMap::get`] counts the actors below the one it looks up
/// instead of searching for it.
const SCAN_UP_TO: usize = 16;

/// A map from actors to [`Counts`], stored as two sorted parallel arrays: the representation
/// shared by vector clocks and counters.
///
/// Actors are strictly increasing and no zero value is stored, so structural equality is
/// semantic equality and the encoding is canonical. [`merge`](crate::Merge::merge) is one linear
/// pass; when both sides hold the same actors (the steady state of a cluster) it is a comparison
/// of the actor arrays and an element-wise maximum the compiler vectorises. It allocates only
/// when the other side brings actors this one lacks, and then exactly what the union needs.
///
/// ```
/// use concord_core::Merge;
/// use concord_core::lattice::ActorMap;
///
/// let mut a = ActorMap::<u64>::new();
/// a.set(1, 5);
/// a.set(3, 1);
/// let mut b = ActorMap::new();
/// b.set(1, 2);
/// b.set(2, 7);
/// a.merge(&b);
/// assert_eq!(a.iter().collect::<Vec<_>>(), [(&1, 5), (&2, 7), (&3, 1)]);
/// assert!(b < a);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ActorMap<A, V = u64> {
    actors: Vec<A>,
    values: Vec<V>,
}

impl<A, V> Default for ActorMap<A, V> {
    fn default() -> Self {
        Self {
            actors: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<A: Debug, V: Debug> Debug for ActorMap<A, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.actors.iter().zip(self.values.iter()))
            .finish()
    }
}

impl<A: Actor, V: Counts> ActorMap<A, V> {
    /// An empty map.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            actors: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Builds a map from sorted parallel arrays, checking every invariant.
    ///
    /// # Errors
    ///
    /// [`ValidationError::LengthMismatch`], [`ValidationError::Unsorted`],
    /// [`ValidationError::Duplicate`], [`ValidationError::ZeroEntry`] or
    /// [`ValidationError::TooMany`].
    pub fn from_parts(actors: Vec<A>, values: Vec<V>) -> Result<Self, ValidationError> {
        if actors.len() != values.len() {
            return Err(ValidationError::LengthMismatch);
        }
        ValidationError::check_sorted(&actors)?;
        if values.iter().any(Counts::is_zero) {
            return Err(ValidationError::ZeroEntry);
        }
        Ok(Self { actors, values })
    }

    /// Number of actors with a non-zero value.
    #[must_use]
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// Whether no actor has a non-zero value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// The value of `actor`; zero when absent.
    ///
    /// Up to 16 actors, the actors below `actor` are counted rather than searched for: the
    /// count has no branch to mispredict, where each step of a binary search over the actors
    /// of a causal join's dots (which come in no pattern) is a coin toss.
    #[must_use]
    #[inline]
    pub fn get(&self, actor: &A) -> V {
        if self.actors.len() > SCAN_UP_TO {
            return self.searched(actor);
        }
        let at = self.actors.iter().map(|a| usize::from(a < actor)).sum();
        self.value_at(at, actor)
    }

    /// [`get`](Self::get) by binary search, for maps of many actors.
    #[inline(never)]
    fn searched(&self, actor: &A) -> V {
        match self.actors.binary_search(actor) {
            Ok(at) | Err(at) => self.value_at(at, actor),
        }
    }

    /// The value at `at` if `actor` is there, else zero.
    #[inline]
    fn value_at(&self, at: usize, actor: &A) -> V {
        match (self.actors.get(at), self.values.get(at)) {
            (Some(a), Some(v)) if a == actor => *v,
            _ => V::default(),
        }
    }

    /// Sets the value of `actor`; setting zero removes it.
    pub fn set(&mut self, actor: A, value: V) {
        match self.actors.binary_search(&actor) {
            Ok(i) => {
                if value.is_zero() {
                    self.actors.remove(i);
                    self.values.remove(i);
                } else if let Some(v) = self.values.get_mut(i) {
                    *v = value;
                }
            }
            Err(i) => {
                if !value.is_zero() {
                    self.actors.insert(i, actor);
                    self.values.insert(i, value);
                }
            }
        }
    }

    /// About how many bytes the map's binary serde form takes: its in-memory actor size per
    /// actor (16 bytes for a `ReplicaId`, what its column takes), three bytes of varint per
    /// value word (a count below 2^21), and the two columns' length prefixes. For
    /// [`WireType::encoded_len_hint`](crate::codec::WireType::encoded_len_hint).
    #[must_use]
    pub fn encoded_len_hint(&self) -> usize {
        let per_entry = size_of::<A>() + 3 * V::WORDS;
        self.actors
            .len()
            .saturating_mul(per_entry)
            .saturating_add(20)
    }

    /// The sorted actors.
    #[must_use]
    pub fn actors(&self) -> &[A] {
        &self.actors
    }

    /// The values, parallel to [`actors`](Self::actors).
    #[must_use]
    pub fn values(&self) -> &[V] {
        &self.values
    }

    /// The `(actor, value)` entries in actor order, values by copy.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> Iter<'_, A, V> {
        Iter {
            inner: self.actors.iter().zip(self.values.iter()),
        }
    }
}

impl<A: Actor, V: Counts> PartialOrd for ActorMap<A, V> {
    /// The pointwise order: `Some(Less)` if every value of `self` is at most the other's and
    /// they differ, `None` if each has a value above the other's.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self.actors == other.actors {
            // Same actors: no keys to walk, and no early exit, so the loop vectorises.
            let (mut le, mut ge) = (true, true);
            for (x, y) in self.values.iter().zip(&other.values) {
                le &= x.leq(y);
                ge &= y.leq(x);
            }
            return crate::lattice::partial_order(le, ge);
        }
        crate::lattice::sorted_partial_order(
            &self.actors,
            &other.actors,
            |a| a,
            |i, j| match (self.values.get(i), other.values.get(j)) {
                (Some(x), Some(y)) => (x.leq(y), y.leq(x)),
                _ => (true, true),
            },
        )
    }
}

/// The entries of an [`ActorMap`] in actor order: `(&actor, value)`, the value by copy.
///
/// Returned by [`ActorMap::iter`] and by the `iter` of every collection built on an actor map
/// (vector clocks, counters).
#[derive(Clone, Debug)]
pub struct Iter<'a, A, V> {
    inner: core::iter::Zip<core::slice::Iter<'a, A>, core::slice::Iter<'a, V>>,
}

impl<'a, A, V: Copy> Iterator for Iter<'a, A, V> {
    type Item = (&'a A, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(a, v)| (a, *v))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<A, V: Copy> ExactSizeIterator for Iter<'_, A, V> {}

impl<A, V: Copy> DoubleEndedIterator for Iter<'_, A, V> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(a, v)| (a, *v))
    }
}

impl<A, V: Copy> core::iter::FusedIterator for Iter<'_, A, V> {}

impl<'a, A: Actor, V: Counts> IntoIterator for &'a ActorMap<A, V> {
    type Item = (&'a A, V);
    type IntoIter = Iter<'a, A, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<A: Actor, V: Counts> FromIterator<(A, V)> for ActorMap<A, V> {
    /// Builds a map from entries in any order, joined as states: an actor given twice keeps
    /// the join (pointwise maximum) of its values, and zero values are dropped.
    ///
    /// ```
    /// use concord_core::lattice::ActorMap;
    ///
    /// let map: ActorMap<u64> = [(3, 1), (1, 5), (3, 4), (2, 0)].into_iter().collect();
    /// assert_eq!(map.iter().collect::<Vec<_>>(), [(&1, 5), (&3, 4)]);
    /// ```
    fn from_iter<I: IntoIterator<Item = (A, V)>>(iter: I) -> Self {
        let mut pairs: Vec<(A, V)> = iter.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        pairs.sort_unstable_by_key(|&(actor, _)| actor);
        let mut map = Self::new();
        map.actors.reserve(pairs.len());
        map.values.reserve(pairs.len());
        for (actor, value) in pairs {
            match (map.actors.last(), map.values.last_mut()) {
                (Some(last), Some(joined)) if *last == actor => *joined = joined.join(value),
                _ => {
                    map.actors.push(actor);
                    map.values.push(value);
                }
            }
        }
        map
    }
}

impl<A: Actor, V: Counts> Extend<(A, V)> for ActorMap<A, V> {
    /// Joins the entries into the map: each actor keeps the pointwise maximum of its value
    /// here and the values given. It is a merge with the map the entries build, not an
    /// increment.
    fn extend<I: IntoIterator<Item = (A, V)>>(&mut self, iter: I) {
        let other: Self = iter.into_iter().collect();
        crate::Merge::merge(self, &other);
    }
}

impl<A: Actor, V: Counts> ActorMap<A, V> {
    /// The union with `other` (which holds actors this map lacks, `union` in all) built in this
    /// map's own vectors: they grow to exactly `union` entries (in place when the allocator can,
    /// or when they already have room) and are filled from the back, the greatest remaining
    /// actor into the last free slot. The slot written is never below the next entry of this
    /// map still to be read, so nothing is overwritten before it is moved. For small maps this
    /// saves allocating two new vectors and freeing the old ones, which cost more than the
    /// merge itself.
    fn grow_from_back(&mut self, other: &Self, union: usize, filler: A) {
        let (mut i, mut j) = (self.actors.len(), other.actors.len());
        let extra = union.saturating_sub(i);
        self.actors.reserve_exact(extra);
        self.values.reserve_exact(extra);
        self.actors.resize(union, filler);
        self.values.resize(union, V::default());
        for k in (0..union).rev() {
            let mine = i.checked_sub(1).and_then(|at| {
                let actor = self.actors.get(at)?;
                Some((at, *actor, self.values.get(at).copied().unwrap_or_default()))
            });
            let theirs = j.checked_sub(1).and_then(|at| {
                let actor = other.actors.get(at)?;
                Some((*actor, other.values.get(at).copied().unwrap_or_default()))
            });
            let (actor, value) = match (mine, theirs) {
                (Some((at, a, x)), Some((b, y))) => match a.cmp(&b) {
                    Ordering::Greater => {
                        i = at;
                        (a, x)
                    }
                    Ordering::Equal => {
                        i = at;
                        j -= 1;
                        (a, x.join(y))
                    }
                    Ordering::Less => {
                        j -= 1;
                        (b, y)
                    }
                },
                // Only this map's smallest entries are left, and they are already in place.
                (Some(_), None) => break,
                (None, Some((b, y))) => {
                    j -= 1;
                    (b, y)
                }
                (None, None) => break,
            };
            if let (Some(slot), Some(count)) = (self.actors.get_mut(k), self.values.get_mut(k)) {
                *slot = actor;
                *count = value;
            }
        }
    }
}

impl<A: Actor, V: Counts> ActorMap<A, V> {
    /// The entries of `self` that are not below the entry of the same actor in `other` (an
    /// absent entry counting as zero): what a replica holding `other` lacks of `self`. One
    /// pass over both maps.
    #[must_use]
    pub fn above(&self, other: &Self) -> Self {
        let mut actors = Vec::new();
        let mut values = Vec::new();
        let mut theirs = other.iter().peekable();
        for (actor, value) in self {
            while theirs.next_if(|(b, _)| *b < actor).is_some() {}
            let seen = theirs
                .next_if(|(b, _)| *b == actor)
                .map_or_else(V::default, |(_, v)| v);
            if !value.leq(&seen) {
                actors.push(*actor);
                values.push(value);
            }
        }
        Self { actors, values }
    }
}

impl<A: Actor, V: Counts> crate::Novelty for ActorMap<A, V> {
    /// The entries of `delta` above this map's.
    fn novel(&self, delta: &Self) -> Option<Self> {
        let novel = delta.above(self);
        (!novel.is_empty()).then_some(novel)
    }
}

/// Counters and clocks have no tombstones.
impl<A: Actor, V: Counts> crate::Stability for ActorMap<A, V> {
    type Stamp = ();
}

impl<A: Actor, V: Counts> crate::CatchUp for ActorMap<A, V> {
    /// The entries themselves: there is nothing smaller that tells which are behind.
    type Summary = Self;

    fn summary(&self) -> Self {
        self.clone()
    }

    /// The entries of `self` above the summary's.
    fn delta_since(&self, summary: &Self) -> Self {
        self.above(summary)
    }
}

impl<A: Actor, V: Counts> crate::Merge for ActorMap<A, V> {
    fn merge(&mut self, other: &Self) {
        if self.actors == other.actors {
            // Same actors: an element-wise maximum, branch-free so it vectorises.
            for (x, y) in self.values.iter_mut().zip(other.values.iter()) {
                *x = x.join(*y);
            }
            return;
        }
        if other.actors.is_empty() {
            return;
        }
        if self.actors.is_empty() {
            self.clone_from(other);
            return;
        }
        let lanes = lanes::cut(&self.actors, &other.actors);
        let lens = lanes::union_lens(&self.actors, &other.actors, &lanes);
        let union: usize = lens.iter().sum();
        if union == self.actors.len() {
            // Every actor of `other` is already here: update in place.
            let mut i = 0;
            for (b, y) in other.iter() {
                while self.actors.get(i).is_some_and(|a| a < b) {
                    i += 1;
                }
                if let Some(x) = self.values.get_mut(i) {
                    *x = x.join(y);
                }
                i += 1;
            }
            return;
        }
        let Some(&filler) = self.actors.first() else {
            return;
        };
        if self.actors.len() + other.actors.len() < lanes::MIN_SPLIT {
            self.grow_from_back(other, union, filler);
            return;
        }
        // Allocated once at the exact size of the union, then every entry is overwritten.
        let mut actors = alloc::vec![filler; union];
        let mut values = alloc::vec![V::default(); union];
        lanes::merge_into(
            (&self.actors, &self.values),
            (&other.actors, &other.values),
            &lanes,
            &lens,
            (&mut actors, &mut values),
        );
        self.actors = actors;
        self.values = values;
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, A, V> arbitrary::Arbitrary<'a> for ActorMap<A, V>
where
    A: Actor + arbitrary::Arbitrary<'a>,
    V: Counts + arbitrary::Arbitrary<'a>,
{
    /// A valid map built from arbitrary `(actor, value)` pairs: a later pair of the same actor
    /// wins and zero values are dropped. Running out of input ends the map rather than
    /// failing, so every input gives a map.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut map = Self::new();
        for pair in u.arbitrary_iter::<(A, V)>()? {
            match pair {
                Ok((actor, value)) => map.set(actor, value),
                Err(arbitrary::Error::NotEnoughData) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(map)
    }
}

#[cfg(feature = "serde")]
pub(crate) mod wire;

/// Implements [`Novelty`](crate::Novelty), [`CatchUp`](crate::CatchUp) (summary: the state
/// itself) and [`Stability`](crate::Stability) (no tombstones) for a type whose only field `$field` is an [`ActorMap`], by delegating to the map.
/// For the actor-keyed types of the family; not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_actor_map_sync {
    ($ty:ident, $field:ident) => {
        impl<A: $crate::Actor> $crate::Novelty for $ty<A> {
            /// The entries of `delta` above this state's.
            fn novel(&self, delta: &Self) -> Option<Self> {
                $crate::Novelty::novel(&self.$field, &delta.$field).map(|$field| Self { $field })
            }
        }

        /// No tombstones.
        impl<A: $crate::Actor> $crate::Stability for $ty<A> {
            type Stamp = ();
        }

        impl<A: $crate::Actor> $crate::CatchUp for $ty<A> {
            /// The per-actor entries: the state itself.
            type Summary = Self;

            fn summary(&self) -> Self {
                self.clone()
            }

            /// The entries of this state above the summary's.
            fn delta_since(&self, summary: &Self) -> Self {
                Self {
                    $field: self.$field.above(&summary.$field),
                }
            }
        }
    };
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "test code")]
mod tests {
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    use super::ActorMap;
    use crate::Merge;

    /// A small deterministic generator (xorshift64*), so the cases need no dependency.
    struct Draw(u64);

    impl Draw {
        fn next(&mut self, below: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % below
        }
    }

    /// Merges of maps of 0 to 300 actors with every kind of overlap, in both the small
    /// (back-filling) and the lane-split paths, against a `BTreeMap` model; each result holds
    /// exactly the union and no spare capacity.
    #[test]
    fn merges_equal_the_model_with_exact_capacity() {
        let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
        for case in 0..3000 {
            let universe = 1 + draw.next(600);
            let sizes = [draw.next(300), draw.next(300)];
            let sizes = if case % 3 == 0 {
                sizes.map(|s| s % 40)
            } else {
                sizes
            };
            let maps: Vec<ActorMap<u64>> = sizes
                .iter()
                .map(|&n| {
                    (0..n)
                        .map(|_| (draw.next(universe), 1 + draw.next(1000)))
                        .collect()
                })
                .collect();
            let mut model: BTreeMap<u64, u64> = BTreeMap::new();
            for map in &maps {
                for (a, v) in map {
                    let slot = model.entry(*a).or_default();
                    *slot = (*slot).max(v);
                }
            }
            let mut merged = maps[0].clone();
            merged.merge(&maps[1]);
            let got: Vec<(u64, u64)> = merged.iter().map(|(a, v)| (*a, v)).collect();
            let expected: Vec<(u64, u64)> = model.into_iter().collect();
            assert_eq!(got, expected, "case {case}");
            assert_eq!(merged.actors.capacity(), merged.len(), "case {case}");
            assert_eq!(merged.values.capacity(), merged.len(), "case {case}");
        }
    }
}
