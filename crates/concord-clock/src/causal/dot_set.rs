use alloc::vec::Vec;

use concord_core::{Actor, Dot, ReplicaId};

use super::{DotStore, join_sorted};
use crate::DotContext;

/// A dot store that is a set of live dots: the enabling events of a flag, the adds of one
/// element of an observed-remove set.
///
/// Dots are sorted and unique.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct DotSet<A = ReplicaId> {
    dots: Vec<Dot<A>>,
}

impl<A> Default for DotSet<A> {
    fn default() -> Self {
        Self { dots: Vec::new() }
    }
}

impl<A: Actor> DotSet<A> {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self { dots: Vec::new() }
    }

    /// The set of one dot.
    #[must_use]
    pub fn from_dot(dot: Dot<A>) -> Self {
        Self {
            dots: alloc::vec![dot],
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
        Ok(Self { dots })
    }

    /// A set from dots the caller has sorted and deduplicated.
    pub(crate) fn from_sorted_unchecked(dots: Vec<Dot<A>>) -> Self {
        debug_assert!(dots.windows(2).all(|w| matches!(w, [a, b] if a < b)));
        Self { dots }
    }

    /// Whether `dot` is alive.
    #[must_use]
    pub fn contains(&self, dot: &Dot<A>) -> bool {
        self.dots.binary_search(dot).is_ok()
    }

    /// The dots in order, as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Dot<A>] {
        &self.dots
    }

    /// The dots in order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> core::slice::Iter<'_, Dot<A>> {
        self.dots.iter()
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

    /// The dots as a context: what a remove of this set's events must carry.
    #[must_use]
    pub fn to_context(&self) -> DotContext<A> {
        self.dots.iter().copied().collect()
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
    fn is_bottom(&self) -> bool {
        self.dots.is_empty()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(&Dot<A>)) {
        for dot in &self.dots {
            f(dot);
        }
    }

    fn join(&mut self, context: &DotContext<A>, other: &Self, other_context: &DotContext<A>) {
        join_sorted(
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

    fn retain_unseen(&mut self, context: &DotContext<A>) {
        self.dots.retain(|dot| !context.contains(dot));
    }

    fn clone_unseen(&self, context: &DotContext<A>) -> Self {
        Self {
            dots: self
                .dots
                .iter()
                .filter(|dot| !context.contains(dot))
                .copied()
                .collect(),
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
        let dots = <Vec<Dot<A>>>::deserialize(deserializer)?;
        Self::from_sorted(dots).map_err(serde::de::Error::custom)
    }
}
