use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};

use concord_core::{Actor, Dot, ReplicaId};

use super::DotStore;
use crate::DotContext;

/// A dot store mapping keys to nested dot stores: the elements of an observed-remove set (each
/// with the dots of its adds), the fields of a map of causal CRDTs.
///
/// Entries are sorted by key, unique, and never hold a bottom (empty) store: a key whose
/// events are all removed is gone, with no tombstone. The nested stores share the one context
/// of the state they belong to.
///
/// # Joining a small delta into a large map
///
/// A join must drop every dot of this map that the other side's context has seen and its store
/// no longer holds, wherever it lives. When the other side is small against this map (a
/// delta of a few keys and a context of a few entries, against at least
/// [`SPARSE_MIN_KEYS`](Self::SPARSE_MIN_KEYS) keys), the join visits only the keys it names
/// and the keys holding a dot its context has seen, instead of every key. Finding the latter
/// takes an index from each held dot to its key (a dot, once made under a key, only ever lives
/// under that key), which the map builds at its first such join and keeps in step with every
/// join after it. A join of a large other side drops the index (it visits every key anyway)
/// and so does a clone; the index is not part of the map's value: equality, hashing, `Debug`
/// and the encoding ignore it. It costs a `(dot, key)` pair in a B-tree per held dot while it
/// exists.
pub struct DotMap<K, S, A = ReplicaId> {
    entries: Vec<(K, S)>,
    index: Option<Box<DotIndex<K, A>>>,
}

/// Each held dot of a [`DotMap`] with the key that holds it, and two buffers a join of one
/// key reuses to list that key's dots before and after.
struct DotIndex<K, A> {
    keys: BTreeMap<Dot<A>, K>,
    before: Vec<Dot<A>>,
    after: Vec<Dot<A>>,
}

impl<K, S, A> Default for DotMap<K, S, A> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<K: Clone, S: Clone, A> Clone for DotMap<K, S, A> {
    /// A copy of the entries; the copy builds its own index when a join needs one.
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            index: None,
        }
    }
}

impl<K: PartialEq, S: PartialEq, A> PartialEq for DotMap<K, S, A> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<K: Eq, S: Eq, A> Eq for DotMap<K, S, A> {}

impl<K: Hash, S: Hash, A> Hash for DotMap<K, S, A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.entries.hash(state);
    }
}

impl<K: fmt::Debug, S: fmt::Debug, A> fmt::Debug for DotMap<K, S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DotMap")
            .field("entries", &self.entries)
            .finish()
    }
}

#[cfg(feature = "serde")]
impl<K: serde::Serialize, S: serde::Serialize, A> serde::Serialize for DotMap<K, S, A> {
    /// The entries as a sequence of `(key, store)` pairs, as a vector of them is written.
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        self.entries.serialize(serializer)
    }
}

impl<K: Ord, S: DotStore<A>, A: Actor> DotMap<K, S, A> {
    /// The empty map.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            index: None,
        }
    }

    /// The map of one key; empty when `store` is bottom.
    #[must_use]
    pub fn from_entry(key: K, store: S) -> Self {
        let mut map = Self::new();
        if !store.is_bottom() {
            map.entries.push((key, store));
        }
        map
    }

    /// A map from entries strictly increasing by key, none bottom.
    ///
    /// # Errors
    ///
    /// [`ValidationError::Unsorted`](concord_core::ValidationError::Unsorted),
    /// [`Duplicate`](concord_core::ValidationError::Duplicate),
    /// [`TooMany`](concord_core::ValidationError::TooMany), or
    /// [`Invalid`](concord_core::ValidationError::Invalid) for a key with an empty store.
    pub fn from_sorted(entries: Vec<(K, S)>) -> Result<Self, concord_core::ValidationError> {
        concord_core::ValidationError::check_sorted_by_key(&entries, |(key, _)| key)?;
        if entries.iter().any(|(_, s)| s.is_bottom()) {
            return Err(concord_core::ValidationError::Invalid(
                "a key of a dot map holds no dot",
            ));
        }
        Ok(Self {
            entries,
            index: None,
        })
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The store of `key`, if it has live dots.
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<&S>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let at = self.find(key).ok()?;
        self.entries.get(at).map(|(_, s)| s)
    }

    /// Whether `key` has live dots.
    #[must_use]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// The entries, sorted by key.
    #[must_use]
    pub fn entries(&self) -> &[(K, S)] {
        &self.entries
    }

    /// The `(key, store)` entries in key order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &S)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, s)| (k, s))
    }

    /// The number of keys with live dots.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key has live dots.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// See [`DotMap::SPARSE_MIN_KEYS`].
const SPARSE_MIN_KEYS: usize = 64;

/// When a join may visit only the keys the other side concerns (see [`DotMap`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sparse {
    /// Fewest keys this map must hold.
    pub(crate) min_keys: usize,
    /// The other side's keys and context entries, and the held dots its context has seen, are
    /// each at most this map's keys divided by this.
    pub(crate) ratio: usize,
}

impl Sparse {
    /// The limits every join uses. A sparse join of a side half this map's size still costs
    /// less than the full join, as the full join drops the index and the next sparse join
    /// builds it again (a copy of every key): interval joins of a busy replica, tens of keys
    /// against a few hundred, stay sparse.
    pub(crate) const DEFAULT: Self = Self {
        min_keys: SPARSE_MIN_KEYS,
        ratio: 2,
    };
}

impl<K: Ord + Clone, S: DotStore<A>, A: Actor> DotMap<K, S, A> {
    /// The fewest keys a map must hold for a join to visit only the keys the other side
    /// concerns; below it a join visits every key (and the map keeps no index).
    pub const SPARSE_MIN_KEYS: usize = SPARSE_MIN_KEYS;

    /// Whether every key of `other` is a key of this map: a walk over the keys alone, which
    /// stops at the first key missing here. A map with fewer keys than `other` cannot have
    /// them all.
    fn has_every_key_of(&self, other: &Self) -> bool {
        if other.entries.len() > self.entries.len() {
            return false;
        }
        let mut mine = self.entries.iter().peekable();
        other.entries.iter().all(|(key, _)| {
            while mine.next_if(|(k, _)| k < key).is_some() {}
            mine.next_if(|(k, _)| k == key).is_some()
        })
    }

    /// The index of the held dots, or `None` when a dot is held under two keys (which only a
    /// misbehaving peer's state can bring): such a map takes the full join.
    fn build_index(entries: &[(K, S)]) -> Option<DotIndex<K, A>> {
        let mut pairs: Vec<(Dot<A>, K)> = Vec::new();
        for (key, store) in entries {
            store.for_each_dot(&mut |dot| pairs.push((*dot, key.clone())));
        }
        pairs.sort_unstable_by_key(|pair| pair.0);
        if pairs.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return None;
        }
        Some(DotIndex {
            keys: pairs.into_iter().collect(),
            before: Vec::new(),
            after: Vec::new(),
        })
    }

    /// The causal join with `other` on `key` alone: what [`join`](DotStore::join) does to
    /// the entry of `key`, the other entries left as they are. It is the whole join when
    /// `other` holds no key but `key` and `other_context` holds no dot of this map's other
    /// keys (see [`Causal::join_key`](crate::Causal::join_key)). A binary search and the join
    /// of one key's stores; the entries after `key` shift when it appears or disappears.
    pub(super) fn join_key<Q>(
        &mut self,
        key: &Q,
        context: &DotContext<A>,
        other: &Self,
        other_context: &DotContext<A>,
    ) where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let theirs = other.find(key).ok().and_then(|at| other.entries.get(at));
        let consistent = match self.find(key) {
            Ok(at) => self.join_at(at, theirs.map(|(_, s)| s), context, other_context),
            Err(at) => theirs
                .is_none_or(|(key, other_store)| self.insert_at(at, key, other_store, context)),
        };
        if !consistent {
            self.index = None;
        }
    }

    /// Joins the entry at `at` with the other side's store of its key (`None`: the key is not
    /// there), dropping the entry when it is left without dots, and keeps the index in step.
    /// Returns false when the index can no longer be trusted (a dot now held under two keys).
    fn join_at(
        &mut self,
        at: usize,
        theirs: Option<&S>,
        context: &DotContext<A>,
        other_context: &DotContext<A>,
    ) -> bool {
        let Some((key, store)) = self.entries.get_mut(at) else {
            return true;
        };
        let Some(index) = self.index.as_deref_mut() else {
            match theirs {
                Some(other_store) => store.join(context, other_store, other_context),
                None => store.retain_unseen(other_context),
            }
            if store.is_bottom() {
                self.entries.remove(at);
            }
            return true;
        };
        let DotIndex {
            keys,
            before,
            after,
        } = index;
        before.clear();
        store.for_each_dot(&mut |dot| before.push(*dot));
        match theirs {
            Some(other_store) => store.join(context, other_store, other_context),
            None => store.retain_unseen(other_context),
        }
        after.clear();
        store.for_each_dot(&mut |dot| after.push(*dot));
        before.sort_unstable();
        after.sort_unstable();
        // The dots that left, then the ones that came: a key taken out of the index is
        // written over for the next dot to index, so that replacing a dot (every write of a
        // register) allocates no copy of the key.
        let mut spare: Option<K> = None;
        for dot in before.iter() {
            if after.binary_search(dot).is_err()
                && let Some(old) = keys.remove(dot)
            {
                spare = Some(old);
            }
        }
        let mut consistent = true;
        for dot in after
            .iter()
            .filter(|dot| before.binary_search(dot).is_err())
        {
            let copy = match spare.take() {
                Some(mut old) => {
                    old.clone_from(key);
                    old
                }
                None => key.clone(),
            };
            consistent &= keys.insert(*dot, copy).is_none();
        }
        if store.is_bottom() {
            self.entries.remove(at);
        }
        consistent
    }

    /// Inserts at `at` the dots of `other_store` (under `key`) that `context` has not seen,
    /// and keeps the index in step. Returns false when the index can no longer be trusted.
    fn insert_at(&mut self, at: usize, key: &K, other_store: &S, context: &DotContext<A>) -> bool {
        let store = other_store.clone_unseen(context);
        if store.is_bottom() {
            return true;
        }
        let mut consistent = true;
        if let Some(index) = &mut self.index {
            store.for_each_dot(&mut |dot| {
                consistent &= index.keys.insert(*dot, key.clone()).is_none();
            });
        }
        self.entries.insert(at, (key.clone(), store));
        consistent
    }

    /// The join visiting only the keys `other` holds and the keys holding a dot
    /// `other_context` has seen, when `other` is small against this map by `limits`. Returns
    /// false, having changed nothing but perhaps built the index, when it is not.
    pub(crate) fn join_sparse(
        &mut self,
        context: &DotContext<A>,
        other: &Self,
        other_context: &DotContext<A>,
        limits: Sparse,
    ) -> bool {
        let keys = self.entries.len();
        let size = other
            .entries
            .len()
            .saturating_add(other_context.vector().len())
            .saturating_add(other_context.cloud().len());
        let budget = keys / limits.ratio.max(1);
        if keys < limits.min_keys || size > budget {
            return false;
        }
        if self.index.is_none() {
            self.index = Self::build_index(&self.entries).map(Box::new);
        }
        let Some(index) = &self.index else {
            return false;
        };
        // The held dots the other side has seen: a range of the index per vector entry, a
        // lookup per cloud dot.
        let mut seen = Vec::new();
        for (actor, upto) in other_context.vector().iter() {
            if upto == 0 {
                continue;
            }
            for (dot, _) in index
                .keys
                .range(Dot::new(*actor, 1)..=Dot::new(*actor, upto))
            {
                if seen.len() >= budget {
                    return false;
                }
                seen.push(*dot);
            }
        }
        for dot in other_context.cloud() {
            if index.keys.contains_key(dot) {
                if seen.len() >= budget {
                    return false;
                }
                seen.push(*dot);
            }
        }
        let mut consistent = true;
        for (key, other_store) in &other.entries {
            consistent &= match self.find(key) {
                Ok(at) => self.join_at(at, Some(other_store), context, other_context),
                Err(at) => self.insert_at(at, key, other_store, context),
            };
        }
        for dot in seen {
            // A dot already dropped with its key's join above is no longer indexed.
            let Some(index) = &self.index else { break };
            let Some(key) = index.keys.get(&dot) else {
                continue;
            };
            if other.find(key).is_ok() {
                continue;
            }
            let Ok(at) = self.find(key) else {
                debug_assert!(false, "the index names a key the map does not hold");
                continue;
            };
            consistent &= self.join_at(at, None, context, other_context);
        }
        if !consistent {
            self.index = None;
        }
        true
    }

    /// Calls `f` with every held dot `context` has seen, through the index when there is one
    /// and `context` is smaller than the map.
    fn seen_dots(&self, context: &DotContext<A>, f: &mut dyn FnMut(&Dot<A>)) -> bool {
        let Some(index) = &self.index else {
            return false;
        };
        if context.vector().len().saturating_add(context.cloud().len()) > self.entries.len() {
            return false;
        }
        for (actor, upto) in context.vector().iter() {
            if upto > 0 {
                for (dot, _) in index
                    .keys
                    .range(Dot::new(*actor, 1)..=Dot::new(*actor, upto))
                {
                    f(dot);
                }
            }
        }
        for dot in context.cloud() {
            if index.keys.contains_key(dot) {
                f(dot);
            }
        }
        true
    }

    /// Whether the index, when there is one, holds exactly the held dots with their keys.
    #[cfg(test)]
    pub(crate) fn index_is_consistent(&self) -> bool {
        self.index.as_deref().is_none_or(|index| {
            Self::build_index(&self.entries).is_some_and(|built| built.keys == index.keys)
        })
    }

    /// Whether the map has an index.
    #[cfg(test)]
    pub(crate) const fn has_index(&self) -> bool {
        self.index.is_some()
    }

    /// The join visiting every key.
    pub(crate) fn join_full(
        &mut self,
        context: &DotContext<A>,
        other: &Self,
        other_context: &DotContext<A>,
    ) {
        self.index = None;
        if other.entries.is_empty() {
            for (_, store) in &mut self.entries {
                store.retain_unseen(other_context);
            }
            self.entries.retain(|(_, store)| !store.is_bottom());
            return;
        }
        if self.entries.is_empty() {
            *self = other.clone_unseen(context);
            return;
        }
        if self.has_every_key_of(other) {
            let mut theirs = other.entries.iter().peekable();
            self.entries.retain_mut(|(key, store)| {
                while theirs.next_if(|(k, _)| k < key).is_some() {}
                match theirs.next_if(|(k, _)| k == key) {
                    Some((_, other_store)) => store.join(context, other_store, other_context),
                    None => store.retain_unseen(other_context),
                }
                !store.is_bottom()
            });
            return;
        }
        let mut out = Vec::with_capacity(self.entries.len() + other.entries.len());
        // Both sides are looked at through their remaining slices, so each entry of this side
        // is moved once, into the result.
        let mut mine = core::mem::take(&mut self.entries).into_iter();
        let mut theirs = other.entries.iter();
        loop {
            let order = match (mine.as_slice().first(), theirs.as_slice().first()) {
                (Some((a, _)), Some((b, _))) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => break,
            };
            match order {
                Ordering::Less => {
                    if let Some((key, mut store)) = mine.next() {
                        store.retain_unseen(other_context);
                        if !store.is_bottom() {
                            out.push((key, store));
                        }
                    }
                }
                Ordering::Equal => {
                    if let (Some((key, mut store)), Some((_, other_store))) =
                        (mine.next(), theirs.next())
                    {
                        store.join(context, other_store, other_context);
                        if !store.is_bottom() {
                            out.push((key, store));
                        }
                    }
                }
                Ordering::Greater => {
                    if let Some((key, other_store)) = theirs.next() {
                        let store = other_store.clone_unseen(context);
                        if !store.is_bottom() {
                            out.push((key.clone(), store));
                        }
                    }
                }
            }
        }
        out.shrink_to_fit();
        self.entries = out;
    }
}

impl<K: Ord + Clone, S: DotStore<A>, A: Actor> DotStore<A> for DotMap<K, S, A> {
    fn is_bottom(&self) -> bool {
        self.entries.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(&Dot<A>)) {
        for (_, store) in &self.entries {
            store.for_each_dot(f);
        }
    }

    fn for_each_seen_dot(&self, context: &DotContext<A>, f: &mut dyn FnMut(&Dot<A>)) {
        if !self.seen_dots(context, f) {
            self.for_each_dot(&mut |dot| {
                if context.contains(dot) {
                    f(dot);
                }
            });
        }
    }

    /// Joins key by key: a key on both sides joins its stores; a key on one side keeps the
    /// dots the other side has not seen. Keys left without dots are dropped.
    ///
    /// When `other` is small against this map (see [`DotMap`]) only the keys it holds and
    /// the keys holding a dot `other_context` has seen are visited, found through the index:
    /// in time logarithmic in this map's size per key and context entry of `other` (plus the
    /// shift of the entries after a key that appears or disappears). Otherwise every key is:
    /// when every key of `other` is already here (a walk over the keys tells) the join runs
    /// in place, in one pass; else one pass builds the result in a vector with room for both
    /// sides' entries, moving this side's entries and copying, of the other side's new keys,
    /// only the dots this side has not seen, and the room the result does not use is given
    /// back, so the map holds exactly its entries.
    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>) {
        if !self.join_sparse(context, other, other_context, Sparse::DEFAULT) {
            self.join_full(context, other, other_context);
        }
    }

    fn retain_dots(&mut self, keep: &mut dyn FnMut(&Dot<A>) -> bool) {
        self.index = None;
        for (_, store) in &mut self.entries {
            store.retain_dots(keep);
        }
        self.entries.retain(|(_, store)| !store.is_bottom());
    }

    fn retain_unseen(&mut self, context: &DotContext<A>) {
        self.join(&DotContext::new(), &Self::new(), context);
    }

    fn clone_unseen(&self, context: &DotContext<A>) -> Self {
        let entries = self
            .entries
            .iter()
            .filter_map(|(key, store)| {
                let store = store.clone_unseen(context);
                (!store.is_bottom()).then(|| (key.clone(), store))
            })
            .collect();
        Self {
            entries,
            index: None,
        }
    }
}

#[cfg(feature = "serde")]
impl<'de, K, S, A> serde::Deserialize<'de> for DotMap<K, S, A>
where
    K: Ord + serde::Deserialize<'de>,
    S: DotStore<A> + serde::Deserialize<'de>,
    A: Actor,
{
    /// Refuses keys out of order, a repeated key, a key without dots and more than
    /// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) keys; each nested store checks its own form.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries: Vec<(K, S)> = concord_core::codec::deserialize_vec(deserializer)?;
        Self::from_sorted(entries).map_err(serde::de::Error::custom)
    }
}
