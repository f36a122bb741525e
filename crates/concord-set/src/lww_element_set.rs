use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

use concord_clock::HybridTimestamp;
use concord_core::{Merge, ReplicaId};

use crate::bias::{AddWins, Bias};

mod catch_up;

/// The greatest add stamp and the greatest remove stamp seen for one element, of which at least
/// one exists: an element with neither carries no information and is not stored, so this type
/// has no state for it.
///
/// One tag for the pair (rather than an `Option` per stamp) keeps entries small, so a merge
/// moves less memory, and lets the common entry with a single stamp decide presence and join
/// another of its kind without comparing absent stamps.
#[derive(Clone, PartialEq, Eq)]
enum Stamps<S> {
    /// Only an add has been seen.
    Add(S),
    /// Only a remove has been seen.
    Remove(S),
    /// Both an add and a remove have been seen.
    Both { add: S, remove: S },
}

impl<S> Stamps<S> {
    /// The stamps from the two optional ones, or `None` when both are missing.
    fn new(add: Option<S>, remove: Option<S>) -> Option<Self> {
        match (add, remove) {
            (Some(add), Some(remove)) => Some(Self::Both { add, remove }),
            (Some(add), None) => Some(Self::Add(add)),
            (None, Some(remove)) => Some(Self::Remove(remove)),
            (None, None) => None,
        }
    }

    fn add(&self) -> Option<&S> {
        match self {
            Self::Add(add) | Self::Both { add, .. } => Some(add),
            Self::Remove(_) => None,
        }
    }

    fn remove(&self) -> Option<&S> {
        match self {
            Self::Remove(remove) | Self::Both { remove, .. } => Some(remove),
            Self::Add(_) => None,
        }
    }

    fn into_parts(self) -> (Option<S>, Option<S>) {
        match self {
            Self::Add(add) => (Some(add), None),
            Self::Remove(remove) => (None, Some(remove)),
            Self::Both { add, remove } => (Some(add), Some(remove)),
        }
    }
}

impl<S: Ord> Stamps<S> {
    fn present<B: Bias>(&self) -> bool {
        match self {
            Self::Add(_) => true,
            Self::Remove(_) => false,
            Self::Both { add, remove } => B::present(Some(add), Some(remove)),
        }
    }
}

impl<S: Ord + Clone> Stamps<S> {
    /// Joins `other` into these stamps (per kind, the greater; a missing stamp is least).
    fn absorb(&mut self, other: &Self) {
        match (&mut *self, other) {
            (Self::Add(mine), Self::Add(theirs))
            | (Self::Remove(mine), Self::Remove(theirs))
            | (Self::Both { add: mine, .. }, Self::Add(theirs))
            | (Self::Both { remove: mine, .. }, Self::Remove(theirs)) => raise(mine, theirs),
            (Self::Both { add, remove }, Self::Both { add: a, remove: r }) => {
                raise(add, a);
                raise(remove, r);
            }
            // The entry gains the kind of stamp it lacked.
            (mine, theirs) => {
                let add = mine.add().max(theirs.add()).cloned();
                let remove = mine.remove().max(theirs.remove()).cloned();
                if let Some(joined) = Self::new(add, remove) {
                    *mine = joined;
                }
            }
        }
    }
}

/// Raises `mine` to `theirs` when `theirs` is greater.
fn raise<S: Ord + Clone>(mine: &mut S, theirs: &S) {
    if theirs > mine {
        mine.clone_from(theirs);
    }
}

/// One element and its stamps.
#[derive(Clone, PartialEq, Eq)]
struct Entry<T, S> {
    elem: T,
    stamps: Stamps<S>,
}

impl<T: Hash, S: Hash> Hash for Entry<T, S> {
    /// Hashes the element and both stamps as options, so a set hashes as the sorted list of
    /// its `(element, add stamp, remove stamp)` triples.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.elem.hash(state);
        self.stamps.add().hash(state);
        self.stamps.remove().hash(state);
    }
}

impl<T, S: Ord> Entry<T, S> {
    /// The entry for a `(element, add stamp, remove stamp)` triple, or `None` when both stamps
    /// are missing.
    fn from_triple((elem, add, remove): (T, Option<S>, Option<S>)) -> Option<Self> {
        Some(Self {
            elem,
            stamps: Stamps::new(add, remove)?,
        })
    }

    fn present<B: Bias>(&self) -> bool {
        self.stamps.present::<B>()
    }

    /// Whether the add or the remove is stamped `<= stable`.
    fn has_stamp_at_most(&self, stable: &S) -> bool {
        let (add, remove) = (self.stamps.add(), self.stamps.remove());
        add.is_some_and(|s| s <= stable) || remove.is_some_and(|s| s <= stable)
    }

    /// This entry after [`compact`](LwwElementSet::compact) at `stable`, or `None` when it is a
    /// tombstone to free.
    fn compacted<B: Bias>(self, stable: &S) -> Option<Self> {
        self.compacted_keeping::<B>(stable, None)
    }

    /// [`compacted`](Self::compacted), except that a stamp equal to `keep` stays.
    fn compacted_keeping<B: Bias>(self, stable: &S, keep: Option<&S>) -> Option<Self> {
        let present = self.present::<B>();
        let (mut add, mut remove) = self.stamps.into_parts();
        let stale = |stamp: &Option<S>| {
            stamp
                .as_ref()
                .is_some_and(|s| s <= stable && keep != Some(s))
        };
        if present {
            if stale(&remove) {
                remove = None;
            }
        } else if stale(&remove) {
            return None;
        } else if stale(&add) {
            add = None;
        }
        Some(Self {
            elem: self.elem,
            stamps: Stamps::new(add, remove)?,
        })
    }
}

impl<T, S: Ord + Clone> Entry<T, S> {
    /// Joins `other`'s stamps into this entry (per stamp, the maximum; a missing stamp is
    /// least).
    fn absorb(&mut self, other: &Self) {
        self.stamps.absorb(&other.stamps);
    }
}

/// What a set holds beyond its present elements, so users can see what
/// [`compact`](LwwElementSet::compact) would free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SetStats {
    /// Elements present (what [`len`](LwwElementSet::len) returns).
    pub elements: usize,
    /// Entries whose remove stamp wins: removed elements kept so that an older add arriving
    /// later stays removed.
    pub tombstones: usize,
    /// Stamps that lost and no longer decide anything: the remove stamp of a present element and
    /// the add stamp of a tombstone.
    pub losing_stamps: usize,
}

impl SetStats {
    /// Entries stored: present elements plus tombstones.
    #[must_use]
    pub const fn entries(&self) -> usize {
        self.elements + self.tombstones
    }
}

/// A last-writer-wins element set: per element, the greatest add stamp and the greatest remove
/// stamp seen; the element is present when its add stamp beats its remove stamp, with ties
/// decided by the bias `B` ([`AddWins`] by default, or [`RemoveWins`](crate::RemoveWins)).
///
/// This is the LWW-element-set of Shapiro, Preguiça, Baquero and Zawirski ("A comprehensive
/// study of Convergent and Commutative Replicated Data Types", 2011): the state is a map from
/// element to a pair of last-writer-wins registers, and merge takes the maximum of each.
///
/// - `T` is the element type, ordered (`Ord`) because entries are stored sorted by element.
/// - `S` is the stamp type, totally ordered and unique per operation:
///   `concord_clock::HybridTimestamp<ReplicaId>` by default (as for `LwwRegister`), a
///   `concord_clock::LamportTimestamp`, or anything `Ord + Clone` whose
///   order your replicas agree on. The set never reads a clock: callers pass the stamp of each
///   operation, and after a merge should advance their clock past
///   [`max_stamp`](Self::max_stamp).
///
/// # Storage and costs
///
/// Entries (element, add stamp, remove stamp) live in one vector sorted by element, so the
/// encoding is canonical and [`merge`](Merge::merge) is one linear pass over both sides with no
/// hashing and no tree search. When every element of the other side is already known, the merge
/// updates stamps in place without allocating; otherwise it counts the union and builds it in
/// one vector of exactly that size.
///
/// | operation | cost |
/// | --- | --- |
/// | [`contains`](Self::contains), [`stamps`](Self::stamps) | O(log n) binary search |
/// | [`insert`](Self::insert), [`remove`](Self::remove) | O(log n) when the element is known or sorts last; otherwise O(n) to shift the vector |
/// | [`insert_all`](Self::insert_all), [`remove_all`](Self::remove_all) of k elements | O(k log k + n + k) |
/// | [`merge`](Merge::merge) | O(n + m) |
/// | [`len`](Self::len), [`is_empty`](Self::is_empty) | O(1) (the count is kept) |
/// | [`iter`](Self::iter), [`stats`](Self::stats), [`compact`](Self::compact), [`max_stamp`](Self::max_stamp) | O(n) |
/// | [`summary`](concord_core::CatchUp::summary), [`answer`](concord_core::CatchUp::answer), [`refine`](concord_core::CatchUp::refine) | O(n log n): the entries' hashes, sorted |
///
/// For many operations at once (loading, replaying a log), use the batch methods: they sort
/// the batch once and merge it in one pass instead of shifting the vector per element.
///
/// # Catching up
///
/// The set implements [`CatchUp`](concord_core::CatchUp), so it replicates through
/// `concord_sync::Replica`. A replica that fell behind sends a fingerprint of its entries
/// (elements with their add and remove stamps, tombstones included), and the peer answers with
/// the entries whose digest differs, narrowing down over a few rounds by ranges of element
/// hashes ([`reconcile`](concord_core::reconcile)): the bytes follow what the replica lacks,
/// not the size of the set.
///
/// ```
/// use concord_set::concord_clock::LamportTimestamp;
/// use concord_set::concord_core::CatchUp;
/// use concord_set::{LwwElementSet, Merge};
///
/// type Set = LwwElementSet<u32, LamportTimestamp<u64>>;
/// let stamp = |time, actor| LamportTimestamp::new(time, actor);
///
/// let mut online = Set::new();
/// online.insert_all((0..5_000).map(|n| (n, stamp(1, 1))));
/// let mut offline = online.clone();
///
/// // While `offline` is cut off, `online` removes one item and adds another.
/// online.remove(7, stamp(2, 1));
/// online.insert(9_999, stamp(3, 1));
///
/// // Back online, `offline` sends its summary, merges each answer, and refines the
/// // questions that come with it until none is left.
/// let mut summary = Some(offline.summary());
/// let mut received = 0;
/// while let Some(asked) = summary {
///     let (delta, questions) = online.answer(&asked);
///     received += delta.stats().entries();
///     offline.merge(&delta);
///     summary = questions.and_then(|q| offline.refine(&q));
/// }
/// assert_eq!(received, 2); // the remove of 7, and 9,999; none of the other 4,999
/// assert_eq!(offline, online);
/// assert!(!offline.contains(&7) && offline.contains(&9_999));
/// ```
///
/// A summary lists only the entries a replica holds: after [`compact`](Self::compact) has
/// freed a tombstone, a peer that still holds the older add (one partitioned since before the
/// remove) is sent nothing for the element, and the remove never reaches it. Compact only
/// below a stamp every replica has passed.
///
/// # Removed elements and compaction
///
/// A remove is recorded even for an element never seen, and a removed element keeps its entry
/// (a tombstone): an add with an older stamp arriving later must find the remove and stay
/// removed. [`compact`](Self::compact) frees tombstones once every replica has seen them; see
/// its documentation for the precondition.
///
/// # Lattice order
///
/// `a <= b` when, for every element of `a`, `b` holds stamps at least as great: `b` has seen
/// every operation `a` has. `merge` is the least upper bound of this order.
///
/// # Examples
///
/// ```
/// use concord_set::concord_clock::{LamportClock, LamportTimestamp};
/// use concord_set::{LwwElementSet, Merge};
///
/// let mut alice_clock = LamportClock::new(1u64);
/// let mut bob_clock = LamportClock::new(2u64);
/// let mut alice: LwwElementSet<&str, LamportTimestamp<u64>> = LwwElementSet::new();
/// let mut bob = alice.clone();
///
/// let delta = alice.insert("tea", alice_clock.tick()?);
/// bob.merge(&delta);
/// if let Some(seen) = bob.max_stamp() {
///     bob_clock.observe(seen)?; // Bob's next stamp beats everything he has seen
/// }
/// let delta = bob.remove("tea", bob_clock.tick()?);
/// alice.merge(&delta);
///
/// assert!(!alice.contains("tea"));
/// assert_eq!(alice, bob);
/// # Ok::<(), concord_clock::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "LwwElementSetWire<T, S>",
        bound(deserialize = "T: serde::Deserialize<'de> + Ord, \
                             S: serde::Deserialize<'de> + Ord, B: Bias")
    )
)]
pub struct LwwElementSet<T, S = HybridTimestamp<ReplicaId>, B = AddWins> {
    /// Sorted by element, unique, each with at least one stamp.
    entries: Vec<Entry<T, S>>,
    /// How many entries are present under `B`.
    present: usize,
    bias: PhantomData<B>,
}

impl<T, S, B> LwwElementSet<T, S, B> {
    /// An empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            present: 0,
            bias: PhantomData,
        }
    }

    /// The number of elements present.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.present
    }

    /// Whether no element is present (tombstones may still be stored; see
    /// [`stats`](Self::stats)).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.present == 0
    }
}

impl<T, S, B> Default for LwwElementSet<T, S, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord, S: Ord, B: Bias> LwwElementSet<T, S, B> {
    fn find<Q>(&self, elem: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|e| e.elem.borrow().cmp(elem))
    }

    /// Whether `elem` is present: its greatest add stamp beats its greatest remove stamp
    /// under the bias.
    #[must_use]
    pub fn contains<Q>(&self, elem: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(elem)
            .ok()
            .and_then(|i| self.entries.get(i))
            .is_some_and(Entry::present::<B>)
    }

    /// The greatest add stamp and remove stamp recorded for `elem`, or `None` when the set
    /// holds no entry for it (never seen, or compacted away).
    #[must_use]
    pub fn stamps<Q>(&self, elem: &Q) -> Option<(Option<&S>, Option<&S>)>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let entry = self.entries.get(self.find(elem).ok()?)?;
        Some((entry.stamps.add(), entry.stamps.remove()))
    }

    /// The elements present, in increasing order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> LwwElementSetIter<'_, T, S, B> {
        LwwElementSetIter {
            entries: self.entries.iter(),
            left: self.present,
            bias: PhantomData,
        }
    }

    /// The greatest stamp the set holds, add or remove. A replica that merged a state should
    /// advance its clock past it (`LamportClock::observe`), so its next stamps beat every
    /// operation it has seen.
    #[must_use]
    pub fn max_stamp(&self) -> Option<&S> {
        self.entries
            .iter()
            .flat_map(|e| e.stamps.add().into_iter().chain(e.stamps.remove()))
            .max()
    }

    /// Counts present elements, tombstones and losing stamps.
    #[must_use]
    pub fn stats(&self) -> SetStats {
        let mut stats = SetStats::default();
        for e in &self.entries {
            if e.present::<B>() {
                stats.elements += 1;
                stats.losing_stamps += usize::from(e.stamps.remove().is_some());
            } else {
                stats.tombstones += 1;
                stats.losing_stamps += usize::from(e.stamps.add().is_some());
            }
        }
        stats
    }

    /// Frees what no future operation can need, given a stamp `stable` that every replica has
    /// already seen: tombstones whose remove stamp is `<= stable`, and losing stamps (the remove
    /// stamp of a present element, the add stamp of a tombstone) that are `<= stable`. Returns
    /// how many entries were dropped. What [`len`](Self::len), [`contains`](Self::contains) and
    /// [`iter`](Self::iter) report does not change.
    ///
    /// # Precondition
    ///
    /// `stable` must be *causally stable*: every replica has received every operation stamped
    /// `<= stable`, so every operation still in flight and every future operation carries a
    /// greater stamp. With `LamportTimestamp`s, a stamp is stable once every replica's state
    /// includes it (each replica observes what it merges, so its later stamps are greater) and
    /// no delta or state holding an older, unseen operation is still travelling. Finding such a
    /// stamp takes knowledge of all replicas (an acknowledgement round, or the minimum over the
    /// replicas' clocks once all have synchronised); the set cannot check it. A duplicate of an
    /// old message still travelling counts as in flight: a network that may redeliver old
    /// deltas must stop doing so (or drop messages older than `stable`) before compacting.
    ///
    /// # What goes wrong without it
    ///
    /// A tombstone is what keeps an old add out. If an add stamped `<= stable` for a compacted
    /// element is still travelling (a late delta, a replica that was partitioned away, a state
    /// restored from an old backup), merging it finds no remove stamp and the element comes
    /// back: a removed item reappears, and only on the replicas that compacted, so replicas
    /// disagree on the value until the resurrected add is merged everywhere.
    ///
    /// Catch-up has the same limit: a [summary](concord_core::CatchUp::summary) covers only the
    /// entries a replica holds, so a replica that freed a tombstone sends nothing for its
    /// element to a peer that still holds the older add, and the remove never reaches that
    /// peer. A stable stamp that every replica has passed rules that out.
    ///
    /// # Interaction with merge
    ///
    /// Compaction is a local clean-up, not a lattice operation: the compacted state is smaller
    /// in the [lattice order](Self#lattice-order), and merging a state that still holds the
    /// freed tombstone brings that tombstone back (harmless: the element stays absent, and the
    /// next compaction frees it again). Dropping a *losing* stamp is safe even without the
    /// precondition, because a later stamp decides the element exactly as it would have next to
    /// the dropped one; only dropping a tombstone relies on it. Merge stays a join on every
    /// state, compacted or not, so the laws hold; replicas that compact at different times hold
    /// different entries but read the same elements.
    pub fn compact(&mut self, stable: &S) -> usize {
        let before = self.entries.len();
        // Entries are rebuilt by value (dropping a stamp changes the variant); collecting the
        // vector's own iterator back into a vector reuses its allocation.
        self.entries = core::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|e| e.compacted::<B>(stable))
            .collect();
        before - self.entries.len()
    }

    /// Builds a set from `(element, add stamp, remove stamp)` triples in any order, joining
    /// duplicates and dropping triples without a stamp.
    fn from_unsorted(mut raw: Vec<(T, Option<S>, Option<S>)>) -> Self {
        raw.sort_by(|x, y| x.0.cmp(&y.0));
        // Joins each later triple of an element into the first one, which is kept.
        raw.dedup_by(|later, kept| {
            if later.0 != kept.0 {
                return false;
            }
            let (add, remove) = (later.1.take(), later.2.take());
            if add > kept.1 {
                kept.1 = add;
            }
            if remove > kept.2 {
                kept.2 = remove;
            }
            true
        });
        let entries: Vec<Entry<T, S>> = raw.into_iter().filter_map(Entry::from_triple).collect();
        let present = entries.iter().filter(|e| e.present::<B>()).count();
        Self {
            entries,
            present,
            bias: PhantomData,
        }
    }
}

impl<T: Ord + Clone, S: Ord + Clone, B: Bias> LwwElementSet<T, S, B> {
    fn single(elem: T, stamps: Stamps<S>) -> Self {
        let entry = Entry { elem, stamps };
        let present = usize::from(entry.present::<B>());
        Self {
            entries: alloc::vec![entry],
            present,
            bias: PhantomData,
        }
    }

    /// Joins one entry into the set: binary search, then an in-place update or an insertion.
    fn absorb_one(&mut self, entry: &Entry<T, S>) {
        match self.find(&entry.elem) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    let before = slot.present::<B>();
                    slot.absorb(entry);
                    self.present = adjust(self.present, before, slot.present::<B>());
                }
            }
            Err(i) => {
                self.present += usize::from(entry.present::<B>());
                self.entries.insert(i, entry.clone());
            }
        }
    }

    /// Records an add of `elem` at `stamp` and returns the delta: a set holding just this add,
    /// to ship to other replicas (merging it anywhere has the same effect as this call).
    ///
    /// The element is present afterwards unless a remove with a greater stamp (or an equal one,
    /// under [`RemoveWins`](crate::RemoveWins)) is already known. An older add changes nothing.
    /// Costs O(log n) when the element is known or sorts after every stored one, O(n) otherwise
    /// (the vector shifts); see [`insert_all`](Self::insert_all) for many elements at once.
    pub fn insert(&mut self, elem: T, stamp: S) -> Self {
        let delta = Self::single(elem, Stamps::Add(stamp));
        if let Some(entry) = delta.entries.first() {
            self.absorb_one(entry);
        }
        delta
    }

    /// Records a remove of `elem` at `stamp` and returns the delta. A remove of an element
    /// never seen is recorded too, so an add with an older stamp arriving later stays removed.
    /// Costs as [`insert`](Self::insert).
    pub fn remove(&mut self, elem: T, stamp: S) -> Self {
        let delta = Self::single(elem, Stamps::Remove(stamp));
        if let Some(entry) = delta.entries.first() {
            self.absorb_one(entry);
        }
        delta
    }

    /// Records many adds at once and returns their delta: the batch is sorted once and merged
    /// in one pass, O(k log k + n + k) for k adds into n entries. An element listed twice keeps
    /// its greatest stamp.
    pub fn insert_all<I: IntoIterator<Item = (T, S)>>(&mut self, adds: I) -> Self {
        let delta: Self = adds.into_iter().collect();
        self.merge(&delta);
        delta
    }

    /// Records many removes at once and returns their delta; costs as
    /// [`insert_all`](Self::insert_all).
    pub fn remove_all<I: IntoIterator<Item = (T, S)>>(&mut self, removes: I) -> Self {
        let raw = removes
            .into_iter()
            .map(|(elem, stamp)| (elem, None, Some(stamp)))
            .collect();
        let delta = Self::from_unsorted(raw);
        self.merge(&delta);
        delta
    }
}

/// The present count after one entry went from `before` to `after`.
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
/// which side holds the next element follows no pattern the processor can predict, and a
/// mispredicted branch per element would cost more than the whole step.
fn union_len<T: Ord, S>(a: &[Entry<T, S>], b: &[Entry<T, S>]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        let ord = x.elem.cmp(&y.elem);
        i += usize::from(ord.is_le());
        j += usize::from(ord.is_ge());
        shared += usize::from(ord.is_eq());
    }
    a.len() + b.len() - shared
}

/// The elements present in an [`LwwElementSet`], in increasing order; returned by
/// [`LwwElementSet::iter`].
pub struct LwwElementSetIter<'a, T, S, B> {
    entries: core::slice::Iter<'a, Entry<T, S>>,
    /// Present elements not yielded yet.
    left: usize,
    bias: PhantomData<B>,
}

impl<T: fmt::Debug, S, B> fmt::Debug for LwwElementSetIter<'_, T, S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LwwElementSetIter")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<T, S, B> Clone for LwwElementSetIter<'_, T, S, B> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            left: self.left,
            bias: PhantomData,
        }
    }
}

impl<'a, T, S: Ord, B: Bias> Iterator for LwwElementSetIter<'a, T, S, B> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let entry = self.entries.find(|e| e.present::<B>())?;
        self.left = self.left.saturating_sub(1);
        Some(&entry.elem)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T, S: Ord, B: Bias> DoubleEndedIterator for LwwElementSetIter<'_, T, S, B> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let entry = self.entries.rfind(|e| e.present::<B>())?;
        self.left = self.left.saturating_sub(1);
        Some(&entry.elem)
    }
}

impl<T, S: Ord, B: Bias> ExactSizeIterator for LwwElementSetIter<'_, T, S, B> {}

impl<T, S: Ord, B: Bias> core::iter::FusedIterator for LwwElementSetIter<'_, T, S, B> {}

impl<'a, T: Ord, S: Ord, B: Bias> IntoIterator for &'a LwwElementSet<T, S, B> {
    type Item = &'a T;
    type IntoIter = LwwElementSetIter<'a, T, S, B>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Ord + Clone, S: Ord + Clone, B: Bias> Extend<(T, S)> for LwwElementSet<T, S, B> {
    /// Adds every `(element, stamp)`, as [`insert_all`](LwwElementSet::insert_all) does,
    /// discarding the delta.
    fn extend<I: IntoIterator<Item = (T, S)>>(&mut self, adds: I) {
        self.merge(&adds.into_iter().collect());
    }
}

impl<T: Ord + Clone, S: Ord + Clone, B: Bias> FromIterator<(T, S)> for LwwElementSet<T, S, B> {
    /// The set of these adds; an element given twice keeps its greatest stamp.
    ///
    /// ```
    /// use concord_set::LwwElementSet;
    ///
    /// let set: LwwElementSet<&str, u64> = [("b", 2), ("a", 1), ("b", 5)].into_iter().collect();
    /// assert_eq!(set.iter().copied().collect::<Vec<_>>(), ["a", "b"]);
    /// assert_eq!(set.stamps("b"), Some((Some(&5), None)));
    /// ```
    fn from_iter<I: IntoIterator<Item = (T, S)>>(adds: I) -> Self {
        let raw = adds
            .into_iter()
            .map(|(elem, stamp)| (elem, Some(stamp), None))
            .collect();
        Self::from_unsorted(raw)
    }
}

/// Removes leave stamped tombstones, freed at a causally stable stamp.
impl<T: Ord + Clone, S: Ord + Clone, B: Bias> concord_core::Stability for LwwElementSet<T, S, B> {
    type Stamp = S;

    fn greatest_stamp(&self) -> Option<S> {
        self.max_stamp().cloned()
    }

    /// [`compact`](Self::compact), but the greatest stamp stays: a writer that stamps past
    /// the set's greatest stamp still writes above `stable`.
    fn compact_stable(&mut self, stable: &S) -> usize {
        let Some(greatest) = self.max_stamp().cloned() else {
            return 0;
        };
        let before = self.entries.len();
        self.entries = core::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|e| e.compacted_keeping::<B>(stable, Some(&greatest)))
            .collect();
        before - self.entries.len()
    }

    /// Drops every add and remove stamped `<= stable`, and the elements left without a stamp.
    fn forget_stable(&mut self, stable: &S) {
        if !self.entries.iter().any(|e| e.has_stamp_at_most(stable)) {
            return;
        }
        self.entries = core::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|e| {
                let (add, remove) = e.stamps.into_parts();
                let above = |stamp: Option<S>| stamp.filter(|s| s > stable);
                Entry::from_triple((e.elem, above(add), above(remove)))
            })
            .collect();
        self.present = self.entries.iter().filter(|e| e.present::<B>()).count();
    }
}

impl<T: Ord + Clone, S: Ord + Clone, B: Bias> concord_core::Novelty for LwwElementSet<T, S, B> {
    /// The entries of `delta` that raise a stamp here (or that this set lacks), whole: one
    /// linear pass over both sorted vectors.
    fn novel(&self, delta: &Self) -> Option<Self> {
        let mut mine = self.entries.iter().peekable();
        let mut entries = Vec::new();
        for theirs in &delta.entries {
            while mine.next_if(|x| x.elem < theirs.elem).is_some() {}
            let new = mine.next_if(|x| x.elem == theirs.elem).is_none_or(|x| {
                let mut joined = x.stamps.clone();
                joined.absorb(&theirs.stamps);
                joined != x.stamps
            });
            if new {
                entries.push(theirs.clone());
            }
        }
        if entries.is_empty() {
            return None;
        }
        let present = entries.iter().filter(|e| e.present::<B>()).count();
        Some(Self {
            entries,
            present,
            bias: PhantomData,
        })
    }
}

impl<T: Ord + Clone, S: Ord + Clone, B: Bias> Merge for LwwElementSet<T, S, B> {
    /// Per element, keeps the greatest add stamp and the greatest remove stamp of both sides:
    /// one linear pass over both sorted vectors.
    ///
    /// While every element of `other` is found in `self`, stamps are updated in place and
    /// nothing is allocated. At the first element `self` lacks, the size of the union of what
    /// remains is counted and the result is built in one vector of exactly that size, moving
    /// (not cloning) `self`'s entries and cloning only `other`'s new ones. Each entry is written
    /// once, straight into the result: stamps are joined in the result's slot, not in a
    /// temporary that would then be copied.
    fn merge(&mut self, other: &Self) {
        if other.entries.is_empty() {
            return;
        }
        if self.entries.is_empty() {
            self.entries.clone_from(&other.entries);
            self.present = other.present;
            return;
        }
        // Phase 1: in place, while `other`'s elements are all found in `self`.
        let mut present = self.present;
        let (mut i, mut j) = (0, 0);
        'in_place: while let Some(y) = other.entries.get(j) {
            while let Some(x) = self.entries.get_mut(i) {
                match x.elem.cmp(&y.elem) {
                    Ordering::Less => i += 1,
                    Ordering::Equal => {
                        let before = x.present::<B>();
                        x.absorb(y);
                        present = adjust(present, before, x.present::<B>());
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
            self.present = present;
            return;
        }
        // Phase 2: `rest` holds an element `self` lacks; build the union of the tails.
        let tail = self.entries.get(i..).unwrap_or_default();
        let capacity = i + union_len(tail, rest);
        let mut out = Vec::with_capacity(capacity);
        let mut mine = core::mem::take(&mut self.entries).into_iter();
        out.extend(mine.by_ref().take(i));
        for y in rest {
            // `self`'s entries below `y` go over unchanged, as one run.
            let below = mine
                .as_slice()
                .iter()
                .take_while(|x| x.elem < y.elem)
                .count();
            out.extend(mine.by_ref().take(below));
            if mine.as_slice().first().is_some_and(|x| x.elem == y.elem) {
                // Both sides hold `y`: move `self`'s entry, then raise its stamps in place.
                out.extend(mine.next());
                if let Some(x) = out.last_mut() {
                    let before = x.present::<B>();
                    x.absorb(y);
                    present = adjust(present, before, x.present::<B>());
                }
            } else {
                // Only `other` holds `y`. Cloning from a slice writes the clone into the
                // result's slot.
                present += usize::from(y.present::<B>());
                out.extend_from_slice(core::slice::from_ref(y));
            }
        }
        out.extend(mine);
        self.entries = out;
        self.present = present;
    }
}

impl<T: Ord, S: Ord, B: Bias> PartialOrd for LwwElementSet<T, S, B> {
    /// The lattice order: `a <= b` when `b` holds, for every element of `a`, an add stamp and a
    /// remove stamp at least as great (a missing stamp is least). Sets that each hold something
    /// the other lacks are incomparable (`None`).
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        concord_core::lattice::sorted_partial_order(
            &self.entries,
            &other.entries,
            |e| &e.elem,
            |i, j| match (self.entries.get(i), other.entries.get(j)) {
                (Some(x), Some(y)) => {
                    let (add, remove) = (
                        x.stamps.add().cmp(&y.stamps.add()),
                        x.stamps.remove().cmp(&y.stamps.remove()),
                    );
                    (add.is_le() && remove.is_le(), add.is_ge() && remove.is_ge())
                }
                _ => (true, true),
            },
        )
    }
}

impl<T: fmt::Debug, S: fmt::Debug, B: Bias> fmt::Debug for LwwElementSet<T, S, B> {
    /// Shows the bias and every entry as `element: (add stamp, remove stamp)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a, T, S>(&'a [Entry<T, S>]);
        impl<T: fmt::Debug, S: fmt::Debug> fmt::Debug for Entries<'_, T, S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(
                        self.0
                            .iter()
                            .map(|e| (&e.elem, (e.stamps.add(), e.stamps.remove()))),
                    )
                    .finish()
            }
        }
        f.debug_struct("LwwElementSet")
            .field("bias", &B::NAME)
            .field("len", &self.present)
            .field("entries", &Entries(&self.entries))
            .finish()
    }
}

// ------------------------------------------------------------------------------------ serde

/// The unchecked wire form: the bias byte, then `(element, add stamp, remove stamp)` triples.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct LwwElementSetWire<T, S> {
    bias: u8,
    entries: Vec<(T, Option<S>, Option<S>)>,
}

#[cfg(feature = "serde")]
impl<T: Ord, S: Ord, B: Bias> TryFrom<LwwElementSetWire<T, S>> for LwwElementSet<T, S, B> {
    type Error = concord_core::ValidationError;

    fn try_from(wire: LwwElementSetWire<T, S>) -> Result<Self, Self::Error> {
        use concord_core::ValidationError;
        ValidationError::check_len(wire.entries.len())?;
        if wire.bias != B::WIRE {
            return Err(ValidationError::Invalid(
                "the set was encoded with the other bias (add-wins and remove-wins sets do not mix)",
            ));
        }
        ValidationError::check_sorted_by_key(&wire.entries, |(element, _, _)| element)?;
        let mut present = 0;
        let mut entries = Vec::with_capacity(wire.entries.len());
        for triple in wire.entries {
            let Some(entry) = Entry::from_triple(triple) else {
                return Err(ValidationError::Invalid(
                    "an element has neither an add nor a remove stamp",
                ));
            };
            present += usize::from(entry.present::<B>());
            entries.push(entry);
        }
        Ok(Self {
            entries,
            present,
            bias: PhantomData,
        })
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize, S: serde::Serialize, B: Bias> serde::Serialize
    for LwwElementSet<T, S, B>
{
    /// A struct of the bias byte (0 add-wins, 1 remove-wins) and the entries as
    /// `(element, add stamp, remove stamp)` triples in increasing element order.
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeStruct;
        struct Entries<'a, T, S>(&'a [Entry<T, S>]);
        impl<T: serde::Serialize, S: serde::Serialize> serde::Serialize for Entries<'_, T, S> {
            fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                serializer.collect_seq(
                    self.0
                        .iter()
                        .map(|e| (&e.elem, e.stamps.add(), e.stamps.remove())),
                )
            }
        }
        let mut state = serializer.serialize_struct("LwwElementSet", 2)?;
        state.serialize_field("bias", &B::WIRE)?;
        state.serialize_field("entries", &Entries(&self.entries))?;
        state.end()
    }
}

#[cfg(feature = "serde")]
impl<T, S, B> concord_core::codec::WireType for LwwElementSet<T, S, B>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Ord,
    S: serde::Serialize + serde::de::DeserializeOwned + Ord,
    B: Bias,
{
    const TAG: u16 = concord_core::codec::tag::LWW_ELEMENT_SET;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LwwElementSet";
}

// -------------------------------------------------------------------------------- arbitrary

#[cfg(feature = "arbitrary")]
impl<'a, T, S, B> arbitrary::Arbitrary<'a> for LwwElementSet<T, S, B>
where
    T: arbitrary::Arbitrary<'a> + Ord,
    S: arbitrary::Arbitrary<'a> + Ord,
    B: Bias,
{
    /// A valid set: arbitrary triples, sorted, duplicates joined, empty entries dropped.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let raw: Vec<(T, Option<S>, Option<S>)> = u.arbitrary()?;
        Ok(Self::from_unsorted(raw))
    }
}
