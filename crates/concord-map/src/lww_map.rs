use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;

use concord_clock::HybridTimestamp;
use concord_core::{Merge, ReplicaId};

mod catch_up;

/// The winning write of one key: its stamp, and the value written or `None` for a delete (a
/// tombstone).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Entry<K, V, S> {
    key: K,
    stamp: S,
    value: Option<V>,
}

/// Orders two writes of one key: by stamp first; on equal stamps (which only a misbehaving
/// peer produces) a delete beats a value, and of two values the greater wins.
///
/// This is a total order on writes, so the join of two entries is simply the greater one.
fn cmp_write<V: Ord, S: Ord>(a: (&S, &Option<V>), b: (&S, &Option<V>)) -> Ordering {
    a.0.cmp(b.0).then_with(|| match (a.1, b.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

impl<K, V, S> Entry<K, V, S> {
    const fn live(&self) -> bool {
        self.value.is_some()
    }

    const fn write(&self) -> (&S, &Option<V>) {
        (&self.stamp, &self.value)
    }
}

impl<K, V: Ord, S: Ord> Entry<K, V, S> {
    /// Whether `other`'s write wins over this entry's.
    fn loses_to(&self, other: &Self) -> bool {
        cmp_write(self.write(), other.write()).is_lt()
    }
}

impl<K, V: Ord + Clone, S: Ord + Clone> Entry<K, V, S> {
    /// Takes `other`'s write when it wins; the key stays.
    fn absorb(&mut self, other: &Self) {
        if self.loses_to(other) {
            self.stamp.clone_from(&other.stamp);
            self.value.clone_from(&other.value);
        }
    }
}

/// A last-writer-wins map: per key, the write (a value or a delete) with the greatest stamp.
///
/// This is the LWW-map built from the last-writer-wins register of Shapiro, Preguiça, Baquero
/// and Zawirski ("A comprehensive study of Convergent and Commutative Replicated Data Types",
/// 2011): the state maps each key to its latest write, a delete is a write of a tombstone,
/// and merge keeps, per key, the write with the greater stamp.
///
/// - `K` is the key type, ordered (`Ord`) because entries are stored sorted by key.
/// - `V` is the value type. Merging needs `V: Ord` only to break ties (see below).
/// - `S` is the stamp type, totally ordered and unique per operation:
///   `concord_clock::HybridTimestamp<ReplicaId>` by default, a
///   `concord_clock::LamportTimestamp`, or anything `Ord + Clone` whose order your replicas
///   agree on. The map never reads a clock: callers pass the stamp of each operation, and
///   after a merge should advance their clock past [`max_stamp`](Self::max_stamp).
///
/// # Equal stamps
///
/// Honest replicas never issue equal stamps (the actor is part of every concord timestamp).
/// A misbehaving peer can, and then replicas must still agree, so merge breaks the tie
/// deterministically: **a delete wins over a value, and of two values the greater (by
/// `V: Ord`) wins**. Every replica applies the same rule whatever the order of arrival, so
/// merge stays commutative; the rule is the only reason merging needs `V: Ord`.
///
/// # Storage and costs
///
/// Entries (key, stamp, value or tombstone) live in one vector sorted by key, so the encoding
/// is canonical and [`merge`](Merge::merge) is one linear pass over both sides with no hashing
/// and no tree search. When every key of the other side is already known, the merge updates
/// entries in place without allocating; otherwise it counts the union and builds it in one
/// vector of exactly that size.
///
/// | operation | cost |
/// | --- | --- |
/// | [`get`](Self::get), [`stamp`](Self::stamp), [`contains_key`](Self::contains_key) | O(log n) binary search |
/// | [`insert`](Self::insert), [`remove`](Self::remove) | O(log n) when the key is known or sorts last; otherwise O(n) to shift the vector |
/// | [`extend`](Extend::extend) with k writes | O(k log k + n + k) |
/// | [`merge`](Merge::merge), [`novel`](Self::novel) | O(n + m) |
/// | [`len`](Self::len), [`is_empty`](Self::is_empty), [`tombstones`](Self::tombstones) | O(1) (the count is kept) |
/// | [`iter`](Self::iter), [`compact`](Self::compact), [`max_stamp`](Self::max_stamp) | O(n) |
/// | [`summary`](concord_core::CatchUp::summary), [`answer`](concord_core::CatchUp::answer), [`refine`](concord_core::CatchUp::refine) | O(n log n): the entries' hashes, sorted |
///
/// # Catching up
///
/// The map implements [`CatchUp`](concord_core::CatchUp), so it replicates through
/// `concord_sync::Replica`: a replica that fell behind sends a fingerprint of its entries
/// (keys and stamps, no values), and the peer answers with the entries it lacks, narrowing
/// down over a few rounds by ranges of key hashes ([`reconcile`](concord_core::reconcile)), so
/// the bytes follow what the replica lacks, not the size of the map. See the
/// [`CatchUp` impl](#impl-CatchUp-for-LwwMap<K,+V,+S>) for an example, and
/// [`compact`](Self::compact) for why compaction must wait for a stable stamp or a catch-up
/// cannot carry a delete.
///
/// # Deleted keys and compaction
///
/// A delete is recorded even for a key never seen, and a deleted key keeps its entry (a
/// tombstone): a put with an older stamp arriving later must find the delete and stay
/// deleted. [`compact`](Self::compact) frees tombstones once every replica has seen them; see
/// its documentation for the precondition.
///
/// # Lattice order
///
/// `a <= b` when `b` holds every key of `a` with a write at least as great (by stamp, then by
/// the tie-break above): `b` has seen every operation `a` has. `merge` is the least upper
/// bound of this order.
///
/// # Examples
///
/// ```
/// use concord_map::concord_clock::{LamportClock, LamportTimestamp};
/// use concord_map::{LwwMap, Merge};
///
/// let mut alice_clock = LamportClock::new(1u64);
/// let mut bob_clock = LamportClock::new(2u64);
/// let mut alice: LwwMap<&str, u32, LamportTimestamp<u64>> = LwwMap::new();
/// let mut bob = alice.clone();
///
/// let delta = alice.insert("apples", 3, alice_clock.tick()?);
/// bob.merge(&delta);
/// if let Some(seen) = bob.max_stamp() {
///     bob_clock.observe(seen)?; // Bob's next stamp beats everything he has seen
/// }
/// let delta = bob.insert("apples", 5, bob_clock.tick()?);
/// alice.merge(&delta);
///
/// assert_eq!(alice.get("apples"), Some(&5));
/// assert_eq!(alice, bob);
/// # Ok::<(), concord_map::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "LwwMapWire<K, V, S>",
        bound(deserialize = "K: serde::Deserialize<'de> + Ord, \
                             V: serde::Deserialize<'de>, S: serde::Deserialize<'de>")
    )
)]
pub struct LwwMap<K, V, S = HybridTimestamp<ReplicaId>> {
    /// Sorted by key, unique.
    entries: Vec<Entry<K, V, S>>,
    /// How many entries hold a value (are not tombstones).
    live: usize,
}

impl<K, V, S> LwwMap<K, V, S> {
    /// An empty map.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            live: 0,
        }
    }

    /// The number of keys that hold a value (deleted keys are not counted).
    #[must_use]
    pub const fn len(&self) -> usize {
        self.live
    }

    /// Whether no key holds a value (tombstones may still be stored; see
    /// [`tombstones`](Self::tombstones)).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The number of deleted keys still stored as tombstones, which
    /// [`compact`](Self::compact) can free.
    #[must_use]
    pub const fn tombstones(&self) -> usize {
        self.entries.len().saturating_sub(self.live)
    }

    /// The live entries, `(&key, &value)` in increasing key order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> LwwMapIter<'_, K, V, S> {
        LwwMapIter {
            entries: self.entries.iter(),
            left: self.live,
        }
    }
}

impl<K, V, S> Default for LwwMap<K, V, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord, V, S> LwwMap<K, V, S> {
    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|e| e.key.borrow().cmp(key))
    }

    fn entry<Q>(&self, key: &Q) -> Option<&Entry<K, V, S>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(self.find(key).ok()?)
    }

    /// The value of `key`, or `None` when it was never written, was deleted by the latest
    /// write, or was compacted away.
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entry(key)?.value.as_ref()
    }

    /// Whether `key` holds a value.
    #[must_use]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entry(key).is_some_and(Entry::live)
    }

    /// The stamp of the latest write of `key`, a put or a delete, or `None` when the map holds
    /// no entry for it (never written, or a tombstone compacted away).
    #[must_use]
    pub fn stamp<Q>(&self, key: &Q) -> Option<&S>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        Some(&self.entry(key)?.stamp)
    }
}

impl<K: Ord, V: Ord, S: Ord> LwwMap<K, V, S> {
    /// The greatest stamp the map holds, of a put or a delete. A replica that merged a state
    /// should advance its clock past it (`LamportClock::observe`, `HybridClock::observe`), so
    /// its next stamps beat every operation it has seen.
    #[must_use]
    pub fn max_stamp(&self) -> Option<&S> {
        self.entries.iter().map(|e| &e.stamp).max()
    }

    /// Frees the tombstones whose stamp is `<= stable`, given a stamp `stable` that every
    /// replica has already seen, and returns how many entries were dropped. What
    /// [`len`](Self::len), [`get`](Self::get) and [`iter`](Self::iter) report does not change.
    ///
    /// # Precondition
    ///
    /// `stable` must be *causally stable*: every replica has received every operation stamped
    /// `<= stable`, so every operation still in flight and every future operation carries a
    /// greater stamp. With `LamportTimestamp`s, a stamp is stable once every replica's state
    /// includes it (each replica observes what it merges, so its later stamps are greater) and
    /// no delta or state holding an older, unseen operation is still travelling. Finding such a
    /// stamp takes knowledge of all replicas (an acknowledgement round, or the minimum over the
    /// replicas' clocks once all have synchronised); the map cannot check it. A duplicate of an
    /// old message still travelling counts as in flight: a network that may redeliver old
    /// deltas must stop doing so (or drop messages older than `stable`) before compacting.
    ///
    /// # What goes wrong without it
    ///
    /// A tombstone is what keeps an old put out. If a put stamped `<= stable` for a compacted
    /// key is still travelling (a late delta, a replica that was partitioned away, a state
    /// restored from an old backup), merging it finds no tombstone and the key comes back with
    /// its old value: a deleted key reappears, and only on the replicas that compacted, so
    /// replicas disagree on the map until the resurrected put is merged everywhere.
    ///
    /// Catch-up has the same limit: a [summary](concord_core::CatchUp::summary) covers only the
    /// entries a replica holds, so a replica that freed a tombstone sends nothing for its key to a peer
    /// that still holds the older put (one partitioned since before the delete), and the delete
    /// never reaches that peer. A stable stamp that every replica has passed rules that out.
    ///
    /// # Interaction with merge
    ///
    /// Compaction is a local clean-up, not a lattice operation: the compacted state is smaller
    /// in the [lattice order](Self#lattice-order), and merging a state that still holds the
    /// freed tombstone brings that tombstone back (harmless: the key stays deleted, and the
    /// next compaction frees it again). A live entry is never dropped: its write is the only
    /// one the map holds for its key. Merge stays a join on every state, compacted or not, so
    /// the laws hold; replicas that compact at different times hold different entries but
    /// read the same map.
    pub fn compact(&mut self, stable: &S) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.live() || e.stamp > *stable);
        before - self.entries.len()
    }

    /// Builds a map from writes in any order, keeping per key the winning write.
    fn from_unsorted(mut raw: Vec<Entry<K, V, S>>) -> Self {
        raw.sort_by(|x, y| x.key.cmp(&y.key));
        // Moves each later write of a key into the first one when it wins; the first is kept.
        raw.dedup_by(|later, kept| {
            if later.key != kept.key {
                return false;
            }
            if kept.loses_to(later) {
                core::mem::swap(&mut kept.stamp, &mut later.stamp);
                core::mem::swap(&mut kept.value, &mut later.value);
            }
            true
        });
        let live = raw.iter().filter(|e| e.live()).count();
        Self { entries: raw, live }
    }
}

impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> LwwMap<K, V, S> {
    fn single(key: K, stamp: S, value: Option<V>) -> Self {
        let live = usize::from(value.is_some());
        Self {
            entries: alloc::vec![Entry { key, stamp, value }],
            live,
        }
    }

    /// Joins one entry into the map: binary search, then an in-place update or an insertion.
    fn absorb_one(&mut self, entry: &Entry<K, V, S>) {
        match self.find(&entry.key) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    let before = slot.live();
                    slot.absorb(entry);
                    self.live = adjust(self.live, before, slot.live());
                }
            }
            Err(i) => {
                self.live += usize::from(entry.live());
                self.entries.insert(i, entry.clone());
            }
        }
    }

    /// Records a put of `value` under `key` at `stamp` and returns the delta: a map holding
    /// just this write, to ship to other replicas (merging it anywhere has the same effect as
    /// this call).
    ///
    /// The key holds `value` afterwards unless a write with a greater stamp is already known;
    /// an older put changes nothing. Costs O(log n) when the key is known or sorts after every
    /// stored one, O(n) otherwise (the vector shifts); [`extend`](Extend::extend) puts many
    /// keys in one pass.
    pub fn insert(&mut self, key: K, value: V, stamp: S) -> Self {
        let delta = Self::single(key, stamp, Some(value));
        if let Some(entry) = delta.entries.first() {
            self.absorb_one(entry);
        }
        delta
    }

    /// Records a delete of `key` at `stamp` and returns the delta: a tombstone. A delete of a
    /// key never seen is recorded too, so a put with an older stamp arriving later stays
    /// deleted. Costs as [`insert`](Self::insert).
    pub fn remove(&mut self, key: K, stamp: S) -> Self {
        let delta = Self::single(key, stamp, None);
        if let Some(entry) = delta.entries.first() {
            self.absorb_one(entry);
        }
        delta
    }

    /// The part of `delta` that this map has not seen: its entries whose write beats this
    /// map's write of the same key (or whose key this map lacks), or `None` when merging
    /// `delta` would change nothing.
    ///
    /// For every `x` and `d`, `x ⊔ x.novel(d) == x ⊔ d` and `x.novel(d) <= d`, so a replica can
    /// forward only what was new to it (Enes, Almeida, Baquero and Leitão, "Efficient
    /// Synchronization of State-based CRDTs", 2019). One linear pass over both maps.
    #[must_use]
    pub fn novel(&self, delta: &Self) -> Option<Self> {
        let mut entries = Vec::new();
        let mut mine = self.entries.iter().peekable();
        for y in &delta.entries {
            while mine.next_if(|x| x.key < y.key).is_some() {}
            let new = match mine.peek() {
                Some(x) if x.key == y.key => x.loses_to(y),
                _ => true,
            };
            if new {
                entries.push(y.clone());
            }
        }
        if entries.is_empty() {
            return None;
        }
        let live = entries.iter().filter(|e| e.live()).count();
        Some(Self { entries, live })
    }
}

/// The live count after one entry went from `before` to `after`.
fn adjust(count: usize, before: bool, after: bool) -> usize {
    match (before, after) {
        (false, true) => count.saturating_add(1),
        (true, false) => count.saturating_sub(1),
        _ => count,
    }
}

/// Size of the union of two sorted, unique entry slices.
///
/// Each step advances the sides by arithmetic on the comparison rather than by branching on it:
/// which side holds the next key follows no pattern the processor can predict.
fn union_len<K: Ord, V, S>(a: &[Entry<K, V, S>], b: &[Entry<K, V, S>]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        let ord = x.key.cmp(&y.key);
        i += usize::from(ord.is_le());
        j += usize::from(ord.is_ge());
        shared += usize::from(ord.is_eq());
    }
    a.len() + b.len() - shared
}

/// The live entries of an [`LwwMap`], `(&key, &value)` in increasing key order; returned by
/// [`LwwMap::iter`].
pub struct LwwMapIter<'a, K, V, S> {
    entries: core::slice::Iter<'a, Entry<K, V, S>>,
    /// Live entries not yielded yet.
    left: usize,
}

impl<K, V, S> fmt::Debug for LwwMapIter<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LwwMapIter")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<K, V, S> Clone for LwwMapIter<'_, K, V, S> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            left: self.left,
        }
    }
}

impl<'a, K, V, S> Iterator for LwwMapIter<'a, K, V, S> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self
            .entries
            .find_map(|e| e.value.as_ref().map(|v| (&e.key, v)))?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<K, V, S> DoubleEndedIterator for LwwMapIter<'_, K, V, S> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let entry = self.entries.rfind(|e| e.live())?;
        self.left = self.left.saturating_sub(1);
        entry.value.as_ref().map(|v| (&entry.key, v))
    }
}

impl<K, V, S> ExactSizeIterator for LwwMapIter<'_, K, V, S> {}

impl<K, V, S> core::iter::FusedIterator for LwwMapIter<'_, K, V, S> {}

impl<'a, K, V, S> IntoIterator for &'a LwwMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = LwwMapIter<'a, K, V, S>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> Extend<(K, V, S)> for LwwMap<K, V, S> {
    /// Puts every `(key, value, stamp)`, sorted once and merged in one pass, without building
    /// a delta per write. A key given twice keeps its winning write.
    fn extend<I: IntoIterator<Item = (K, V, S)>>(&mut self, puts: I) {
        let batch = puts
            .into_iter()
            .map(|(key, value, stamp)| Entry {
                key,
                stamp,
                value: Some(value),
            })
            .collect();
        self.merge(&Self::from_unsorted(batch));
    }
}

impl<K: Ord, V: Ord, S: Ord> FromIterator<(K, V, S)> for LwwMap<K, V, S> {
    /// The map of these puts; a key given twice keeps its winning write.
    ///
    /// ```
    /// use concord_map::LwwMap;
    ///
    /// let map: LwwMap<&str, &str, u64> =
    ///     [("b", "old", 2), ("a", "x", 1), ("b", "new", 5)].into_iter().collect();
    /// assert_eq!(map.iter().collect::<Vec<_>>(), [(&"a", &"x"), (&"b", &"new")]);
    /// assert_eq!(map.stamp("b"), Some(&5));
    /// ```
    fn from_iter<I: IntoIterator<Item = (K, V, S)>>(puts: I) -> Self {
        let raw = puts
            .into_iter()
            .map(|(key, value, stamp)| Entry {
                key,
                stamp,
                value: Some(value),
            })
            .collect();
        Self::from_unsorted(raw)
    }
}

/// Deletes leave stamped tombstones, freed at a causally stable stamp.
impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> concord_core::Stability for LwwMap<K, V, S> {
    type Stamp = S;

    fn greatest_stamp(&self) -> Option<S> {
        self.max_stamp().cloned()
    }

    /// [`compact`](Self::compact), but the entry that holds the greatest stamp stays: a
    /// writer that stamps past the map's greatest stamp still writes above `stable`.
    fn compact_stable(&mut self, stable: &S) -> usize {
        let Some(greatest) = self.max_stamp().cloned() else {
            return 0;
        };
        let before = self.entries.len();
        self.entries
            .retain(|e| e.live() || e.stamp > *stable || e.stamp == greatest);
        before - self.entries.len()
    }

    /// Drops every put and delete stamped `<= stable`.
    fn forget_stable(&mut self, stable: &S) {
        self.entries.retain(|e| e.stamp > *stable);
        self.live = self.entries.iter().filter(|e| e.live()).count();
    }
}

impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> concord_core::Novelty for LwwMap<K, V, S> {
    /// The entries of `delta` that win over this map's (or whose key this map lacks): one
    /// linear pass over both sorted vectors.
    fn novel(&self, delta: &Self) -> Option<Self> {
        let mut mine = self.entries.iter().peekable();
        let mut entries = Vec::new();
        for theirs in &delta.entries {
            while mine.next_if(|x| x.key < theirs.key).is_some() {}
            let wins = mine.next_if(|x| x.key == theirs.key).is_none_or(|x| {
                cmp_write((&theirs.stamp, &theirs.value), (&x.stamp, &x.value)) == Ordering::Greater
            });
            if wins {
                entries.push(theirs.clone());
            }
        }
        if entries.is_empty() {
            return None;
        }
        let live = entries.iter().filter(|e| e.value.is_some()).count();
        Some(Self { entries, live })
    }
}

impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> Merge for LwwMap<K, V, S> {
    /// Per key, keeps the winning write of both sides (the greater stamp, ties broken as
    /// described [on the type](LwwMap#equal-stamps)): one linear pass over both sorted vectors.
    ///
    /// While every key of `other` is found in `self`, entries are updated in place and nothing
    /// is allocated. At the first key `self` lacks, the size of the union of what remains is
    /// counted and the result is built in one vector of exactly that size, moving (not
    /// cloning) `self`'s entries and cloning only `other`'s new or winning ones.
    fn merge(&mut self, other: &Self) {
        if other.entries.is_empty() {
            return;
        }
        if self.entries.is_empty() {
            self.entries.clone_from(&other.entries);
            self.live = other.live;
            return;
        }
        // Phase 1: in place, while `other`'s keys are all found in `self`.
        let mut live = self.live;
        let (mut i, mut j) = (0, 0);
        'in_place: while let Some(y) = other.entries.get(j) {
            while let Some(x) = self.entries.get_mut(i) {
                match x.key.cmp(&y.key) {
                    Ordering::Less => i += 1,
                    Ordering::Equal => {
                        let before = x.live();
                        x.absorb(y);
                        live = adjust(live, before, x.live());
                        i += 1;
                        j += 1;
                        continue 'in_place;
                    }
                    Ordering::Greater => break 'in_place,
                }
            }
            break;
        }
        let rest = other.entries.get(j..).unwrap_or_default();
        if rest.is_empty() {
            self.live = live;
            return;
        }
        // Phase 2: `rest` holds a key `self` lacks; build the union of the tails.
        let tail = self.entries.get(i..).unwrap_or_default();
        let capacity = i + union_len(tail, rest);
        let mut out = Vec::with_capacity(capacity);
        let mut mine = core::mem::take(&mut self.entries).into_iter();
        out.extend(mine.by_ref().take(i));
        for y in rest {
            // `self`'s entries below `y` go over unchanged, as one run.
            let below = mine.as_slice().iter().take_while(|x| x.key < y.key).count();
            out.extend(mine.by_ref().take(below));
            if mine.as_slice().first().is_some_and(|x| x.key == y.key) {
                // Both sides hold the key: move `self`'s entry, then join in place.
                out.extend(mine.next());
                if let Some(x) = out.last_mut() {
                    let before = x.live();
                    x.absorb(y);
                    live = adjust(live, before, x.live());
                }
            } else {
                // Only `other` holds the key. Cloning from a slice writes the clone into the
                // result's slot.
                live += usize::from(y.live());
                out.extend_from_slice(core::slice::from_ref(y));
            }
        }
        out.extend(mine);
        self.entries = out;
        self.live = live;
    }
}

impl<K: Ord, V: Ord, S: Ord> PartialOrd for LwwMap<K, V, S> {
    /// The lattice order: `a <= b` when `b` holds every key of `a` with a write at least as
    /// great (by stamp, then by the tie-break of merge). Maps that each hold a key or a
    /// winning write the other lacks are incomparable (`None`).
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        concord_core::lattice::sorted_partial_order(
            &self.entries,
            &other.entries,
            |e| &e.key,
            |i, j| match (self.entries.get(i), other.entries.get(j)) {
                (Some(x), Some(y)) => {
                    let ord = cmp_write(x.write(), y.write());
                    (ord.is_le(), ord.is_ge())
                }
                _ => (true, true),
            },
        )
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S: fmt::Debug> fmt::Debug for LwwMap<K, V, S> {
    /// Shows the live count and every entry as `key: (stamp, Some(value))`, or
    /// `key: (stamp, None)` for a tombstone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a, K, V, S>(&'a [Entry<K, V, S>]);
        impl<K: fmt::Debug, V: fmt::Debug, S: fmt::Debug> fmt::Debug for Entries<'_, K, V, S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|e| (&e.key, (&e.stamp, &e.value))))
                    .finish()
            }
        }
        f.debug_struct("LwwMap")
            .field("len", &self.live)
            .field("entries", &Entries(&self.entries))
            .finish()
    }
}

// ------------------------------------------------------------------------------------ serde

/// The unchecked wire form: `(key, stamp, value or none)` triples.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct LwwMapWire<K, V, S> {
    entries: Vec<(K, S, Option<V>)>,
}

#[cfg(feature = "serde")]
impl<K: Ord, V, S> TryFrom<LwwMapWire<K, V, S>> for LwwMap<K, V, S> {
    type Error = concord_core::ValidationError;

    /// Accepts at most `MAX_ENTRIES` entries with strictly increasing keys.
    fn try_from(wire: LwwMapWire<K, V, S>) -> Result<Self, Self::Error> {
        concord_core::ValidationError::check_sorted_by_key(&wire.entries, |(key, _, _)| key)?;
        let live = wire.entries.iter().filter(|e| e.2.is_some()).count();
        let entries = wire
            .entries
            .into_iter()
            .map(|(key, stamp, value)| Entry { key, stamp, value })
            .collect();
        Ok(Self { entries, live })
    }
}

#[cfg(feature = "serde")]
impl<K: serde::Serialize, V: serde::Serialize, S: serde::Serialize> serde::Serialize
    for LwwMap<K, V, S>
{
    /// A struct of one field, the entries as `(key, stamp, value)` triples in increasing key
    /// order, where the value is `None` for a tombstone.
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeStruct;
        struct Entries<'a, K, V, S>(&'a [Entry<K, V, S>]);
        impl<K: serde::Serialize, V: serde::Serialize, S: serde::Serialize> serde::Serialize
            for Entries<'_, K, V, S>
        {
            fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                serializer.collect_seq(self.0.iter().map(|e| (&e.key, &e.stamp, &e.value)))
            }
        }
        let mut state = serializer.serialize_struct("LwwMap", 1)?;
        state.serialize_field("entries", &Entries(&self.entries))?;
        state.end()
    }
}

#[cfg(feature = "serde")]
impl<K, V, S> concord_core::codec::WireType for LwwMap<K, V, S>
where
    K: serde::Serialize + serde::de::DeserializeOwned + Ord,
    V: serde::Serialize + serde::de::DeserializeOwned,
    S: serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::LWW_MAP;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LwwMap";
}

// -------------------------------------------------------------------------------- arbitrary

#[cfg(feature = "arbitrary")]
impl<'a, K, V, S> arbitrary::Arbitrary<'a> for LwwMap<K, V, S>
where
    K: arbitrary::Arbitrary<'a> + Ord,
    V: arbitrary::Arbitrary<'a> + Ord,
    S: arbitrary::Arbitrary<'a> + Ord,
{
    /// A valid map: arbitrary `(key, stamp, value or tombstone)` writes, sorted, each key
    /// keeping its winning write.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let raw: Vec<(K, S, Option<V>)> = u.arbitrary()?;
        Ok(Self::from_unsorted(
            raw.into_iter()
                .map(|(key, stamp, value)| Entry { key, stamp, value })
                .collect(),
        ))
    }
}
