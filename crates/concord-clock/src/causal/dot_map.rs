use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::marker::PhantomData;

use concord_core::{Actor, Dot, ReplicaId};

use super::DotStore;
use crate::DotContext;

/// A dot store mapping keys to nested dot stores: the elements of an observed-remove set (each
/// with the dots of its adds), the fields of a map of causal CRDTs.
///
/// Entries are sorted by key, unique, and never hold a bottom (empty) store: a key whose
/// events are all removed is gone, with no tombstone. The nested stores share the one context
/// of the state they belong to.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct DotMap<K, S, A = ReplicaId> {
    entries: Vec<(K, S)>,
    #[cfg_attr(feature = "serde", serde(skip))]
    actor: PhantomData<fn() -> A>,
}

impl<K, S, A> Default for DotMap<K, S, A> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            actor: PhantomData,
        }
    }
}

impl<K: Ord, S: DotStore<A>, A: Actor> DotMap<K, S, A> {
    /// The empty map.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            actor: PhantomData,
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
            actor: PhantomData,
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

impl<K: Ord + Clone, S: DotStore<A>, A: Actor> DotMap<K, S, A> {
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
        match self.find(key) {
            Ok(at) => {
                let emptied = self.entries.get_mut(at).is_some_and(|(_, store)| {
                    match theirs {
                        Some((_, other_store)) => store.join(context, other_store, other_context),
                        None => store.retain_unseen(other_context),
                    }
                    store.is_bottom()
                });
                if emptied {
                    self.entries.remove(at);
                }
            }
            Err(at) => {
                if let Some((key, other_store)) = theirs {
                    let store = other_store.clone_unseen(context);
                    if !store.is_bottom() {
                        self.entries.insert(at, (key.clone(), store));
                    }
                }
            }
        }
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

    /// Joins key by key: a key on both sides joins its stores; a key on one side keeps the
    /// dots the other side has not seen. Keys left without dots are dropped. When every key of
    /// `other` is already here (a walk over the keys tells) the join runs in place, in one
    /// pass. Otherwise one pass builds the result in a vector with room for both sides'
    /// entries, moving this side's entries and copying, of the other side's new keys, only the
    /// dots this side has not seen; the room the result does not use is then given back, so
    /// the map holds exactly its entries.
    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>) {
        if other.entries.is_empty() {
            self.retain_unseen(other_context);
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

    fn retain_dots(&mut self, keep: &mut dyn FnMut(&Dot<A>) -> bool) {
        for (_, store) in &mut self.entries {
            store.retain_dots(keep);
        }
        self.entries.retain(|(_, store)| !store.is_bottom());
    }

    fn retain_unseen(&mut self, context: &DotContext<A>) {
        for (_, store) in &mut self.entries {
            store.retain_unseen(context);
        }
        self.entries.retain(|(_, store)| !store.is_bottom());
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
            actor: PhantomData,
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
        let entries: Vec<(K, S)> = super::wire::deserialize_vec(deserializer)?;
        Self::from_sorted(entries).map_err(serde::de::Error::custom)
    }
}
