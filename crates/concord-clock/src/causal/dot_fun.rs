use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};

use concord_core::{Actor, Dot, ReplicaId};

use super::DotStore;
use super::entries::{self, Entries};
use crate::DotContext;

/// A dot store mapping each live dot to a value: the writes of a multi-value register, the
/// per-event amounts of a causal counter.
///
/// Entries are sorted by dot and unique. Honest replicas never give two values one dot; when a
/// misbehaving peer does, the join keeps the greater value (by `V: Ord`), so the values form
/// a lattice of their own and the join stays commutative, associative and idempotent.
///
/// A store of one entry, the common case (a register written once since the last write it
/// saw), is held inline: a map of such stores needs no heap block per key.
#[derive(Clone)]
pub struct DotFun<V, A = ReplicaId> {
    entries: Entries<(Dot<A>, V)>,
}

impl<V, A> Default for DotFun<V, A> {
    fn default() -> Self {
        Self {
            entries: Entries::new(),
        }
    }
}

impl<V: PartialEq, A: PartialEq> PartialEq for DotFun<V, A> {
    fn eq(&self, other: &Self) -> bool {
        self.entries.as_slice() == other.entries.as_slice()
    }
}

impl<V: Eq, A: Eq> Eq for DotFun<V, A> {}

impl<V: Hash, A: Hash> Hash for DotFun<V, A> {
    /// The hash of the entries as a slice, whatever their storage.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.entries.as_slice().hash(state);
    }
}

impl<V: fmt::Debug, A: fmt::Debug> fmt::Debug for DotFun<V, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DotFun")
            .field("entries", &self.entries.as_slice())
            .finish()
    }
}

#[cfg(feature = "serde")]
impl<V: serde::Serialize, A: serde::Serialize> serde::Serialize for DotFun<V, A> {
    /// The entries as a sequence, as a vector of them is written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entries.as_slice().serialize(serializer)
    }
}

impl<V, A: Actor> DotFun<V, A> {
    /// The empty store.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Entries::new(),
        }
    }

    /// The store holding one `dot` with its `value`.
    #[must_use]
    pub const fn from_entry(dot: Dot<A>, value: V) -> Self {
        Self {
            entries: Entries::One((dot, value)),
        }
    }

    /// A store from entries strictly increasing by dot.
    ///
    /// # Errors
    ///
    /// [`ValidationError::Unsorted`](concord_core::ValidationError::Unsorted),
    /// [`Duplicate`](concord_core::ValidationError::Duplicate) or
    /// [`TooMany`](concord_core::ValidationError::TooMany).
    pub fn from_sorted(entries: Vec<(Dot<A>, V)>) -> Result<Self, concord_core::ValidationError> {
        concord_core::ValidationError::check_sorted_by_key(&entries, |(dot, _)| dot)?;
        Ok(Self {
            entries: Entries::from_vec(entries),
        })
    }

    /// The entries, sorted by dot.
    #[must_use]
    pub fn entries(&self) -> &[(Dot<A>, V)] {
        self.entries.as_slice()
    }

    /// The value of `dot`, if it is alive.
    #[must_use]
    pub fn get(&self, dot: &Dot<A>) -> Option<&V> {
        let entries = self.entries();
        let at = entries.binary_search_by(|(d, _)| d.cmp(dot)).ok()?;
        entries.get(at).map(|(_, v)| v)
    }

    /// The values in dot order.
    #[must_use = "iterators are lazy"]
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.entries().iter().map(|(_, v)| v)
    }

    /// The number of live dots.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no dot is alive.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, consuming the store.
    #[must_use]
    pub fn into_entries(self) -> Vec<(Dot<A>, V)> {
        self.entries.into_vec()
    }
}

impl<V: Ord + Clone, A: Actor> DotStore<A> for DotFun<V, A> {
    #[inline]
    fn is_bottom(&self) -> bool {
        self.entries.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(&Dot<A>)) {
        for (dot, _) in self.entries() {
            f(dot);
        }
    }

    #[inline]
    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>) {
        entries::join(
            &mut self.entries,
            context,
            &other.entries,
            other_context,
            |(dot, _)| dot,
            |(_, mine), (_, theirs)| {
                if *theirs > *mine {
                    mine.clone_from(theirs);
                }
            },
        );
    }

    fn retain_dots(&mut self, keep: &mut dyn FnMut(&Dot<A>) -> bool) {
        self.entries.retain(|(dot, _)| keep(dot));
    }

    #[inline]
    fn retain_unseen(&mut self, context: &DotContext<A>) {
        self.entries.retain(|(dot, _)| !context.contains(dot));
    }

    #[inline]
    fn clone_unseen(&self, context: &DotContext<A>) -> Self {
        Self {
            entries: self.entries.filtered(|(dot, _)| !context.contains(dot)),
        }
    }

    fn dot_count(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(feature = "serde")]
impl<'de, V, A> serde::Deserialize<'de> for DotFun<V, A>
where
    V: serde::Deserialize<'de>,
    A: Actor + serde::Deserialize<'de>,
{
    /// Refuses entries out of dot order, a repeated dot and more than
    /// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) entries.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries: Vec<(Dot<A>, V)> = concord_core::codec::deserialize_vec(deserializer)?;
        Self::from_sorted(entries).map_err(serde::de::Error::custom)
    }
}
