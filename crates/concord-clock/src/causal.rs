use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;

use concord_core::{Actor, CatchUp, Dot, Merge, Novelty, ReplicaId, ValidationError};

use crate::{DotContext, VectorClock};

mod dot_fun;
mod dot_map;
mod dot_set;
mod entries;
#[cfg(test)]
mod sparse_tests;
mod summary;

pub use dot_fun::DotFun;
pub use dot_map::DotMap;
pub use dot_set::DotSet;
pub use summary::CausalSummary;

/// A store of dots that joins against the contexts of both sides: the payload of a [`Causal`].
///
/// Implementations keep a canonical form (entries sorted, no empty nested stores), so
/// `PartialEq` is semantic equality.
pub trait DotStore<A: Actor>: Clone + Default + PartialEq {
    /// Whether the store holds no dot: the bottom of the store lattice.
    fn is_bottom(&self) -> bool;

    /// Calls `f` with every dot the store holds, each once.
    fn for_each_dot(&self, f: &mut dyn FnMut(&Dot<A>));

    /// Calls `f` with every dot the store holds that `context` has seen, each once: the dots
    /// a delta with that context may remove. A [`DotMap`] with an index finds them without
    /// walking every key.
    fn for_each_seen_dot(&self, context: &DotContext<A>, f: &mut dyn FnMut(&Dot<A>)) {
        self.for_each_dot(&mut |dot| {
            if context.contains(dot) {
                f(dot);
            }
        });
    }

    /// The causal join of `self` (whose replica has seen `context`) with `other` (whose
    /// replica has seen `other_context`). The contexts themselves are joined by the caller.
    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>);

    /// Keeps only the dots for which `keep` returns true (nested stores left without dots are
    /// dropped).
    fn retain_dots(&mut self, keep: &mut dyn FnMut(&Dot<A>) -> bool);

    /// Keeps only the dots `context` has not seen: the join with an empty store whose
    /// context is `context`.
    fn retain_unseen(&mut self, context: &DotContext<A>) {
        self.join(&DotContext::new(), &Self::default(), context);
    }

    /// A copy holding only the dots `context` has not seen: `retain_unseen` on a clone,
    /// without copying what it would drop.
    #[must_use]
    fn clone_unseen(&self, context: &DotContext<A>) -> Self {
        let mut copy = self.clone();
        copy.retain_unseen(context);
        copy
    }

    /// The number of dots held.
    fn dot_count(&self) -> usize {
        let mut n = 0;
        self.for_each_dot(&mut |_| n += 1);
        n
    }
}

/// A causal CRDT: a dot store and the context of every event its replica has seen.
///
///  The dot-store kernel of causal CRDTs (Almeida, Shoker and Baquero, "Delta State Replicated
///  Data Types", 2018, section 6).
///
///  A causal CRDT is a *dot store* (which events are still alive, and what they carry) plus a
///  [`DotContext`] (every event the replica has seen, alive or not). Three dot stores compose
///  every causal type of the family:
///
///  | store | what it holds | used by |
///  | --- | --- | --- |
///  | [`DotSet`] | a set of dots | flags, the per-element adds of an `OrSet` |
///  | [`DotFun`] | a map from dot to value | `MvRegister`, causal counters |
///  | [`DotMap`] | a map from key to a dot store | `OrSet`, `OrMap` |
///
///  and one join serves them all ([`Causal`]'s [`merge`](Merge::merge)): a dot alive on both
///  sides stays; a dot alive on one side stays when the other side's context has not seen it
///  (the other side never heard of that event, so it cannot have removed it); every other dot
///  is gone; the contexts are united. Removing therefore needs no tombstone: a remove is a
///  delta whose context holds the removed dots and whose store is empty.
///
///  ```
///  use concord_clock::{Causal, DotContext, DotSet, Merge};
///  use concord_core::Dot;
///
///  // Replica 1 enables a flag (one event), replica 2 sees it and disables it.
///  let on = Causal::from_store(DotSet::from_dot(Dot::new(1u64, 1)), DotContext::new());
///  let mut two = on.clone();
///  let off = Causal::from_store(DotSet::new(), two.context().clone());
///  two.merge(&off);
///  assert!(two.store().is_empty());
///
///  // Meanwhile replica 1 enables it again, concurrently: that event survives the disable.
///  let mut one = on.clone();
///  let again = Causal::from_store(DotSet::from_dot(Dot::new(1, 2)), one.context().clone());
///  one.merge(&again);
///  one.merge(&two);
///  two.merge(&one);
///  assert_eq!(one, two);
///  assert_eq!(one.store().iter().collect::<Vec<_>>(), [&Dot::new(1, 2)]);
///  ```
///
/// Every dot of the store is in the context (decoding refuses a state where one is not, and
/// [`from_store`](Self::from_store) adds them). [`PartialOrd`] is the lattice order of the
/// join: `a <= b` exactly when `a.merge(&b)` gives `b`.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "CausalWire<S, A>",
        bound(
            serialize = "S: serde::Serialize, A: Actor + serde::Serialize",
            deserialize = "S: DotStore<A> + serde::Deserialize<'de>, \
                           A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct Causal<S, A = ReplicaId> {
    store: S,
    context: DotContext<A>,
}

impl<S: Default, A> Default for Causal<S, A> {
    fn default() -> Self {
        Self {
            store: S::default(),
            context: DotContext::default(),
        }
    }
}

impl<S: fmt::Debug, A: fmt::Debug> fmt::Debug for Causal<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Causal")
            .field("store", &self.store)
            .field("context", &self.context)
            .finish()
    }
}

impl<S, A> Causal<S, A> {
    /// The store: the events still alive.
    #[must_use]
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// Every event seen, alive or not.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        &self.context
    }

    /// The store and the context, consuming the state.
    #[must_use]
    pub fn into_parts(self) -> (S, DotContext<A>) {
        (self.store, self.context)
    }
}

impl<S: DotStore<A>, A: Actor> Causal<S, A> {
    /// The bottom: an empty store, nothing seen.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The state holding `store`, having seen `context` and every dot of `store`: what a
    /// mutator builds as its delta (the new dots in the store, the dots it replaces or removes
    /// in the context).
    #[must_use]
    pub fn from_store(store: S, mut context: DotContext<A>) -> Self {
        store.for_each_dot(&mut |dot| context.insert(*dot));
        Self { store, context }
    }

    /// A state from its parts, checked as decoding checks it.
    ///
    /// # Errors
    ///
    /// [`ValidationError::Invalid`] when a dot of `store` is missing from `context` or the
    /// same dot is held twice (under two keys of a [`DotMap`]).
    pub fn from_parts(store: S, context: DotContext<A>) -> Result<Self, ValidationError> {
        let state = Self { store, context };
        state.validate()?;
        Ok(state)
    }

    /// The next dot of `actor`: one above every dot of `actor` this state has seen.
    ///
    /// # Errors
    ///
    /// [`Overflow`](concord_core::Overflow) when `actor` already has a dot with counter
    /// `u64::MAX` (only a misbehaving peer's state gets there).
    pub fn next_dot(&self, actor: A) -> Result<Dot<A>, concord_core::Overflow> {
        self.context.checked_next_dot(actor)
    }

    /// Applies `delta` and returns it: the tail of every mutator.
    pub fn apply(&mut self, delta: Self) -> Self {
        self.merge(&delta);
        delta
    }

    /// Every dot of the store is in the context, and no dot is held twice.
    fn validate(&self) -> Result<(), ValidationError> {
        let mut dots = Vec::new();
        let mut uncovered = false;
        self.store.for_each_dot(&mut |dot| {
            uncovered |= !self.context.contains(dot);
            dots.push(*dot);
        });
        if uncovered {
            return Err(ValidationError::Invalid(
                "a dot of the store is missing from the causal context",
            ));
        }
        dots.sort_unstable();
        if dots.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(ValidationError::Invalid(
                "the same dot is held twice in one causal state",
            ));
        }
        Ok(())
    }
}

impl<K: Ord + Clone, S: DotStore<A>, A: Actor> Causal<DotMap<K, S, A>, A> {
    /// The causal join with `delta`, a delta that concerns `key` alone: what
    /// [`merge`](Merge::merge) does, without visiting the other keys. The tail of a mutator
    /// of one key of a map.
    ///
    /// The general join visits every key, to drop the dots the other side's context has seen.
    /// The delta of a mutator of one key concerns that key alone: its store holds no other
    /// key, and its context holds, of the dots this state holds, only dots of `key` (the dots
    /// of `key` it replaces or removes, beside the dots it mints, which no state holds yet).
    /// The other keys then lose nothing, so only the entry of `key` is joined: a binary search,
    /// the join of that key's stores and the union of the contexts, in time logarithmic in the
    /// number of keys plus the size of that key's entry and of the delta (when `key` appears or
    /// disappears, the entries after it shift by one place). The result is the state
    /// `merge` would give.
    ///
    /// For a `delta` that does not concern `key` alone the result is not the join: dots of
    /// other keys that its context has seen stay. Debug builds check the delta (its store
    /// always, its context against every other key on states of up to 1,024 keys).
    ///
    /// ```
    /// use concord_clock::{Causal, DotContext, DotMap, DotSet, Merge};
    /// use concord_core::Dot;
    ///
    /// // Two keys, each added once by actor 1.
    /// let mut state = Causal::<DotMap<&str, DotSet<u64>, u64>, u64>::new();
    /// for key in ["a", "b"] {
    ///     let dot = state.next_dot(1)?;
    ///     let add = Causal::from_store(DotMap::from_entry(key, DotSet::from_dot(dot)), DotContext::new());
    ///     state.join_key(key, &add);
    /// }
    /// // Re-add "a": the new dot replaces the one this state holds under "a".
    /// let dot = state.next_dot(1)?;
    /// let seen = state.store().get("a").map(DotSet::to_context).unwrap_or_default();
    /// let readd = Causal::from_store(DotMap::from_entry("a", DotSet::from_dot(dot)), seen);
    /// let joined = state.joined(&readd);
    /// state.join_key("a", &readd);
    /// assert_eq!(state, joined);
    /// assert_eq!(state.store().get("a").map(DotSet::as_slice), Some(&[Dot::new(1, 3)][..]));
    /// # Ok::<(), concord_core::Overflow>(())
    /// ```
    pub fn join_key<Q>(&mut self, key: &Q, delta: &Self)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        debug_assert!(
            self.concerns_only(key, delta),
            "the delta passed to join_key concerns other keys than the one given"
        );
        self.store
            .join_key(key, &self.context, &delta.store, &delta.context);
        self.context.merge(&delta.context);
    }

    /// Whether `delta` concerns `key` alone (see [`join_key`](Self::join_key)): its store
    /// holds no other key and, on states of up to 1,024 keys, its context holds no dot of this
    /// state's other keys.
    fn concerns_only<Q>(&self, key: &Q, delta: &Self) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        const FULL_CHECK_KEYS: usize = 1024;
        if delta.store.iter().any(|(k, _)| k.borrow() != key) {
            return false;
        }
        if self.store.len() > FULL_CHECK_KEYS {
            return true;
        }
        let mut seen_elsewhere = false;
        for (k, store) in self.store.iter() {
            if k.borrow() != key {
                store.for_each_dot(&mut |dot| seen_elsewhere |= delta.context.contains(dot));
            }
        }
        !seen_elsewhere
    }
}

impl<S: DotStore<A>, A: Actor> Merge for Causal<S, A> {
    /// The causal join: the stores join against each other's contexts, then the contexts
    /// unite.
    fn merge(&mut self, other: &Self) {
        self.store.join(&self.context, &other.store, &other.context);
        self.context.merge(&other.context);
    }
}

impl<S: DotStore<A>, A: Actor> PartialOrd for Causal<S, A> {
    /// The lattice order of the causal join.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let le = |a: &Self, b: &Self| {
            matches!(
                a.context.partial_cmp(&b.context),
                Some(Ordering::Less | Ordering::Equal)
            ) && a.joined(b) == *b
        };
        concord_core::lattice::partial_order(le(self, other), le(other, self))
    }
}

impl<S: DotStore<A>, A: Actor> Causal<S, A> {
    /// What a replica lacks of `self`, given every dot it has seen (`known`) and a walk over
    /// the dots it still holds (`for_each_live`).
    ///
    /// The result is below `self` (its store and context are parts of `self`'s), and merging it
    /// into the replica gives what merging `self` would:
    ///
    /// - the store keeps every entry whose dot the replica has not seen;
    /// - the context keeps the dots the replica has not seen, and the dots the replica holds
    ///   that `self` has seen and no longer holds (the removes it lacks).
    ///
    /// An actor's contiguous part `1..=n` that the replica has not seen whole is sent in
    /// whichever form is smaller: the dots the replica lacks one by one, or the part whole
    /// together with every entry of that actor up to `n` (which the whole part would otherwise
    /// remove from the replica). So the result is never larger than `self`, and when the
    /// replica lacks a few dots of a long history it carries those few.
    fn lacking(
        &self,
        known: &DotContext<A>,
        for_each_live: impl Fn(&mut dyn FnMut(&Dot<A>)),
    ) -> Self {
        let mut own = Vec::with_capacity(self.store.dot_count());
        self.store.for_each_dot(&mut |dot| own.push(*dot));
        own.sort_unstable();
        let mut prefixes = VectorClock::new();
        let mut dots: Vec<Dot<A>> = Vec::new();
        for (actor, upto) in self.context.vector() {
            let missing = known.missing_up_to(actor, upto);
            if missing == 0 {
                continue;
            }
            // Entries of `actor` up to `upto` that the replica has seen: what sending the part
            // whole would resend.
            let from = own.partition_point(|d| *d < Dot::new(*actor, 1));
            let to = own.partition_point(|d| *d <= Dot::new(*actor, upto));
            let resent = own
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .filter(|d| known.contains(d))
                .count();
            if missing <= resent as u64 {
                // Walks the part the replica's vector does not cover: the missing dots plus
                // the replica's own cloud dots there, so bounded by both states' sizes.
                let seen = known.vector().get(actor);
                for counter in seen.saturating_add(1)..=upto {
                    let dot = Dot::new(*actor, counter);
                    if !known.contains(&dot) {
                        dots.push(dot);
                    }
                }
            } else {
                prefixes.apply(Dot::new(*actor, upto));
            }
        }
        let mut store = self.store.clone();
        store.retain_dots(&mut |dot| !known.contains(dot) || prefixes.contains(dot));
        dots.extend(
            self.context
                .cloud()
                .iter()
                .filter(|dot| !known.contains(dot)),
        );
        for_each_live(&mut |dot| {
            if self.context.contains(dot) && own.binary_search(dot).is_err() {
                dots.push(*dot);
            }
        });
        Self {
            store,
            context: DotContext::from_vector_and_dots(prefixes, dots),
        }
    }

    /// Whether the state is the bottom: nothing held, nothing seen.
    #[must_use]
    pub fn is_bottom(&self) -> bool {
        self.store.is_bottom() && self.context.is_empty()
    }
}

impl<S: DotStore<A>, A: Actor> Novelty for Causal<S, A> {
    /// The part of `delta` this state lacks: its entries of dots this state has not seen, the
    /// context this state has not seen, and the removes of dots this state holds. Linear in
    /// the delta's entries (up to a logarithmic factor for the lookups); the removes are found
    /// by a walk over this state's dots or, for a [`DotMap`] that keeps an index of its dots
    /// (see there), by a lookup per entry of the delta's context.
    fn novel(&self, delta: &Self) -> Option<Self> {
        let novel = delta.lacking(&self.context, |f| {
            self.store.for_each_seen_dot(&delta.context, f);
        });
        (!novel.is_bottom()).then_some(novel)
    }
}

/// A remove leaves no tombstone, only the context: nothing to free.
impl<S: DotStore<A>, A: Actor> concord_core::Stability for Causal<S, A> {
    type Stamp = ();
}

impl<S: DotStore<A>, A: Actor> CatchUp for Causal<S, A> {
    type Summary = CausalSummary<A>;

    /// Every dot seen, and the dots still held.
    fn summary(&self) -> CausalSummary<A> {
        CausalSummary::of(self)
    }

    /// What a replica with `summary` lacks: as [`Novelty::novel`] against that replica.
    fn delta_since(&self, summary: &CausalSummary<A>) -> Self {
        self.lacking(summary.context(), |f| summary.live().iter().for_each(f))
    }
}

/// A CRDT whose whole state is a [`Causal`]: what a map of CRDTs can hold as a value.
///
/// A map of causal CRDTs keeps one context for the whole map and each value's store under its
/// key; to run a value's own mutator it rebuilds the value from the key's store and the map's
/// context ([`from_causal`](Self::from_causal)), and takes the delta apart again
/// ([`into_causal`](Self::into_causal)).
pub trait CausalCrdt<A: Actor>: Merge + Clone + Sized {
    /// The dot store of the value.
    type Store: DotStore<A>;

    /// The value's state.
    fn as_causal(&self) -> &Causal<Self::Store, A>;

    /// The value of a causal state. Every causal state of the store type must be a valid
    /// value.
    fn from_causal(state: Causal<Self::Store, A>) -> Self;

    /// The value's state, consuming the value.
    fn into_causal(self) -> Causal<Self::Store, A>;
}

impl<S: DotStore<A>, A: Actor> CausalCrdt<A> for Causal<S, A> {
    type Store = S;

    fn as_causal(&self) -> &Self {
        self
    }

    fn from_causal(state: Self) -> Self {
        state
    }

    fn into_causal(self) -> Self {
        self
    }
}

/// The unchecked wire form of a [`Causal`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "S: serde::Deserialize<'de>, A: Actor + serde::Deserialize<'de>"))]
struct CausalWire<S, A> {
    store: S,
    context: DotContext<A>,
}

#[cfg(feature = "serde")]
impl<S: DotStore<A>, A: Actor> TryFrom<CausalWire<S, A>> for Causal<S, A> {
    type Error = ValidationError;

    /// Refuses a store dot missing from the context and a dot held twice; the store and the
    /// context check their own form as they decode.
    fn try_from(wire: CausalWire<S, A>) -> Result<Self, Self::Error> {
        Self::from_parts(wire.store, wire.context)
    }
}

/// Implements [`CausalCrdt`], [`Merge`], [`PartialOrd`], [`Novelty`] and [`CatchUp`] for a
/// type whose only field is `state: Causal<store, actor>`, by delegating to that field. For the causal types of the
/// family; not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_causal_crdt {
    ([$($generics:tt)*] $ty:ty, $store:ty, $actor:ty) => {
        impl<$($generics)*> $crate::CausalCrdt<$actor> for $ty {
            type Store = $store;

            fn as_causal(&self) -> &$crate::Causal<$store, $actor> {
                &self.state
            }

            fn from_causal(state: $crate::Causal<$store, $actor>) -> Self {
                Self { state }
            }

            fn into_causal(self) -> $crate::Causal<$store, $actor> {
                self.state
            }
        }

        impl<$($generics)*> $crate::Merge for $ty {
            /// The causal join of the kernel ([`Causal`]'s merge): an event stays when both
            /// sides hold it or the other side has not seen it.
            fn merge(&mut self, other: &Self) {
                $crate::Merge::merge(&mut self.state, &other.state);
            }
        }

        /// The lattice order of the causal join: `a <= b` exactly when `a.merge(&b)` gives `b`.
        impl<$($generics)*> ::core::cmp::PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<::core::cmp::Ordering> {
                self.state.partial_cmp(&other.state)
            }
        }

        impl<$($generics)*> $crate::Novelty for $ty {
            /// The part of `delta` this state lacks ([`Causal`]'s novelty).
            fn novel(&self, delta: &Self) -> Option<Self> {
                $crate::Novelty::novel(&self.state, &delta.state).map(|state| Self { state })
            }
        }

        /// No tombstones: a remove leaves only the context.
        impl<$($generics)*> $crate::concord_core::Stability for $ty {
            type Stamp = ();
        }

        impl<$($generics)*> $crate::CatchUp for $ty {
            type Summary = $crate::CausalSummary<$actor>;

            /// Every dot seen, and the dots still held.
            fn summary(&self) -> $crate::CausalSummary<$actor> {
                $crate::CatchUp::summary(&self.state)
            }

            /// What a replica with `summary` lacks.
            fn delta_since(&self, summary: &$crate::CausalSummary<$actor>) -> Self {
                Self {
                    state: $crate::CatchUp::delta_since(&self.state, summary),
                }
            }
        }
    };
}
