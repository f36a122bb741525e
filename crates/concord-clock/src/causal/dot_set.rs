use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};

use concord_core::{Actor, Dot, ReplicaId};

use super::DotStore;
use super::entries::{self, Entries};
use crate::DotContext;

/// A dot store that is a set of live dots: the enabling events of a flag, the adds of one
/// element of an observed-remove set.
///
/// Dots are sorted and unique. A set of one dot, the common case (an element added once), is
/// held inline: a map of such sets needs no heap block per key.
#[derive(Clone)]
pub struct DotSet<A = ReplicaId> {
    dots: Entries<Dot<A>>,
}

impl<A> Default for DotSet<A> {
    fn default() -> Self {
        Self {
            dots: Entries::new(),
        }
    }
}

impl<A: PartialEq> PartialEq for DotSet<A> {
    fn eq(&self, other: &Self) -> bool {
        self.dots.as_slice() == other.dots.as_slice()
    }
}

impl<A: Eq> Eq for DotSet<A> {}

impl<A: Hash> Hash for DotSet<A> {
    /// The hash of the dots as a slice, whatever their storage.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.dots.as_slice().hash(state);
    }
}

impl<A: fmt::Debug> fmt::Debug for DotSet<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DotSet")
            .field("dots", &self.dots.as_slice())
            .finish()
    }
}

#[cfg(feature = "serde")]
impl<A: serde::Serialize> serde::Serialize for DotSet<A> {
    /// The dots as a sequence, as a vector of them is written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.dots.as_slice().serialize(serializer)
    }
}

impl<A: Actor> DotSet<A> {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            dots: Entries::new(),
        }
    }

    /// The set of one dot.
    #[must_use]
    pub const fn from_dot(dot: Dot<A>) -> Self {
        Self {
            dots: Entries::One(dot),
        }
    }

    /// A set from dots strictly increasing.
    ///
    /// # Errors
    ///
    /// [`ValidationError::Unsorted`](concord_core::ValidationError::Unsorted),
    /// [`Duplicate`](concord_core::ValidationError::Duplicate) or
    /// [`TooMany`](concord_core::ValidationError::TooMany).
    pub fn from_sorted(dots: Vec<Dot<A>>) -> Result<Self, concord_core::ValidationError> {
        concord_core::ValidationError::check_sorted(&dots)?;
        Ok(Self {
            dots: Entries::from_vec(dots),
        })
    }

    /// A set from dots the caller has sorted and deduplicated.
    pub(crate) fn from_sorted_unchecked(dots: Vec<Dot<A>>) -> Self {
        debug_assert!(dots.windows(2).all(|w| matches!(w, [a, b] if a < b)));
        Self {
            dots: Entries::from_vec(dots),
        }
    }

    /// Whether `dot` is alive.
    #[must_use]
    pub fn contains(&self, dot: &Dot<A>) -> bool {
        self.as_slice().binary_search(dot).is_ok()
    }

    /// The dots in order, as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Dot<A>] {
        self.dots.as_slice()
    }

    /// The dots in order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> core::slice::Iter<'_, Dot<A>> {
        self.as_slice().iter()
    }

    /// The number of live dots.
    #[must_use]
    pub fn len(&self) -> usize {
        self.dots.len()
    }

    /// Whether no dot is alive.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }

    /// [`retain_unseen`](DotStore::retain_unseen) of a set of several dots.
    #[inline(never)]
    fn retain_many_unseen(&mut self, context: &DotContext<A>) {
        self.dots.retain(|dot| !context.contains(dot));
    }

    /// [`clone_unseen`](DotStore::clone_unseen) of a set of several dots.
    #[inline(never)]
    fn clone_many_unseen(&self, context: &DotContext<A>) -> Self {
        Self {
            dots: self.dots.filtered(|dot| !context.contains(dot)),
        }
    }

    /// The dots as a context: what a remove of this set's events must carry.
    #[must_use]
    pub fn to_context(&self) -> DotContext<A> {
        self.iter().copied().collect()
    }
}

impl<'a, A: Actor> IntoIterator for &'a DotSet<A> {
    type Item = &'a Dot<A>;
    type IntoIter = core::slice::Iter<'a, Dot<A>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<A: Actor> DotStore<A> for DotSet<A> {
    #[inline]
    fn is_bottom(&self) -> bool {
        self.dots.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(&Dot<A>)) {
        for dot in self.iter() {
            f(dot);
        }
    }

    #[inline]
    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>) {
        entries::join(
            &mut self.dots,
            context,
            &other.dots,
            other_context,
            |dot| dot,
            |_, _| {},
        );
    }

    fn retain_dots(&mut self, keep: &mut dyn FnMut(&Dot<A>) -> bool) {
        self.dots.retain(|dot| keep(dot));
    }

    // The single dot's case of these two is what a join of sets of one dot each does for
    // every element on one side only: kept inline into the join's loop.

    #[inline(always)]
    fn retain_unseen(&mut self, context: &DotContext<A>) {
        match &self.dots {
            Entries::One(dot) => {
                if context.contains(dot) {
                    self.dots = Entries::new();
                }
            }
            Entries::Many(_) => self.retain_many_unseen(context),
        }
    }

    #[inline(always)]
    fn clone_unseen(&self, context: &DotContext<A>) -> Self {
        match &self.dots {
            Entries::One(dot) => {
                if context.contains(dot) {
                    Self::new()
                } else {
                    Self::from_dot(*dot)
                }
            }
            Entries::Many(_) => self.clone_many_unseen(context),
        }
    }

    fn dot_count(&self) -> usize {
        self.dots.len()
    }
}

#[cfg(feature = "serde")]
impl<'de, A: Actor + serde::Deserialize<'de>> serde::Deserialize<'de> for DotSet<A> {
    /// Refuses dots out of order, a repeated dot and more than
    /// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) dots.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let dots: Vec<Dot<A>> = concord_core::codec::deserialize_vec(deserializer)?;
        Self::from_sorted(dots).map_err(serde::de::Error::custom)
    }
}
