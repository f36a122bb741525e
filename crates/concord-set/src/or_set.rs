use core::borrow::Borrow;
use core::fmt;

use concord_clock::{Causal, DotContext, DotMap, DotSet, DotStore};
use concord_core::{Actor, Dot, Overflow, ReplicaId};

/// An add-wins observed-remove set, in the optimised form of Bieniusa, Zawirski, Preguiça,
/// Shapiro, Baquero, Balegas and Duarte ("An optimized conflict-free replicated set", 2012),
/// built on the dot-store kernel of `concord-clock` as a [`Causal`] state over a
/// [`DotMap`] from element to [`DotSet`].
///
/// Each add is an event with its own [`Dot`]; an element is present while some add of it has
/// not been removed. A remove removes exactly the adds of the element that its replica has
/// observed, so
///
/// - an add concurrent with a remove survives it (add wins);
/// - a remove after seeing an add always removes it, whatever order the deltas travel in;
/// - re-adding after a remove works: the new add is a new event no remove has observed.
///
/// # Metadata
///
/// A remove stores no tombstone: it deletes the element's dots from the store and keeps only
/// the fact that they were seen, in the causal context. An add replaces the dots of that
/// element its replica had seen. The state is therefore the present elements, each with the
/// dots of its concurrent adds (at most one per replica that added it concurrently), and a
/// context that compacts to one counter per actor once every delta has arrived: O(elements
/// present + actors) after any history, removed elements cost nothing.
///
/// # Examples
///
/// ```
/// use concord_set::{Merge, OrSet};
///
/// let mut alice = OrSet::<&str, u64>::new();
/// let mut bob = OrSet::<&str, u64>::new();
/// let delta = alice.insert(1, "milk")?;
/// bob.merge(&delta);
///
/// // Bob removes milk while Alice, not having seen that, adds it again.
/// let removed = bob.remove("milk");
/// let again = alice.insert(1, "milk")?;
/// alice.merge(&removed);
/// bob.merge(&again);
/// assert!(alice.contains("milk") && bob.contains("milk")); // the concurrent add wins
/// assert_eq!(alice, bob);
///
/// // A remove that has seen every add removes the element everywhere.
/// let gone = bob.remove("milk");
/// alice.merge(&gone);
/// assert!(alice.is_empty());
/// # Ok::<(), concord_set::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "T: serde::Serialize, A: Actor + serde::Serialize",
            deserialize = "T: Ord + Clone + serde::Deserialize<'de>, \
                           A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct OrSet<T, A = ReplicaId> {
    state: Causal<DotMap<T, DotSet<A>, A>, A>,
}

impl<T, A> Default for OrSet<T, A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<T: fmt::Debug + Ord, A: Actor> fmt::Debug for OrSet<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrSet")
            .field("elements", &self.state.store().entries())
            .field("context", self.state.context())
            .finish()
    }
}

impl<T: Ord + Clone, A: Actor> OrSet<T, A> {
    /// The empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `elem` as `actor` and returns the delta to ship: the new add, and the element's
    /// adds this replica had seen (which the new one replaces).
    ///
    /// Joins the delta into the element's entry alone ([`Causal::join_key`]): a binary search
    /// among the elements, not a pass over them.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already has a dot with counter `u64::MAX` (only a misbehaving
    /// peer's state gets there); the set is unchanged.
    pub fn insert(&mut self, actor: A, elem: T) -> Result<Self, Overflow> {
        let dot = self.state.next_dot(actor)?;
        let seen = self.dots_of(&elem);
        let delta = Causal::from_store(DotMap::from_entry(elem, DotSet::from_dot(dot)), seen);
        // The delta concerns `elem` alone: the one entry of its store.
        if let Some((elem, _)) = delta.store().entries().first() {
            self.state.join_key(elem, &delta);
        }
        Ok(Self { state: delta })
    }

    /// Removes `elem` and returns the delta to ship: no element, only the adds of `elem` this
    /// replica has observed, as seen. Merged anywhere, it removes exactly those adds; an add
    /// it did not observe survives. Removing an absent element returns an empty delta. Like
    /// [`insert`](Self::insert), it touches the element's entry alone.
    pub fn remove<Q>(&mut self, elem: &Q) -> Self
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let seen = self.dots_of(elem);
        let delta = Causal::from_store(DotMap::new(), seen);
        self.state.join_key(elem, &delta);
        Self { state: delta }
    }

    /// Removes every element and returns the delta: the adds observed, as seen.
    pub fn clear(&mut self) -> Self {
        let mut seen = DotContext::new();
        self.state
            .store()
            .for_each_dot(&mut |dot| seen.insert(*dot));
        let delta = Causal::from_store(DotMap::new(), seen);
        Self {
            state: self.state.apply(delta),
        }
    }

    fn dots_of<Q>(&self, elem: &Q) -> DotContext<A>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.state
            .store()
            .get(elem)
            .map_or_else(DotContext::new, DotSet::to_context)
    }

    /// Whether `elem` is present: some add of it has not been removed.
    #[must_use]
    pub fn contains<Q>(&self, elem: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.state.store().contains_key(elem)
    }

    /// The present elements, in increasing order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> OrSetIter<'_, T, A> {
        OrSetIter {
            entries: self.state.store().entries().iter(),
        }
    }

    /// The number of present elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.store().len()
    }

    /// Whether no element is present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.state.store().is_empty()
    }

    /// The dots of `elem`'s surviving adds (empty when absent).
    #[must_use]
    pub fn add_dots<Q>(&self, elem: &Q) -> &[Dot<A>]
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.state
            .store()
            .get(elem)
            .map_or(&[], |dots| dots.as_slice())
    }

    /// Every add this set has seen, present or removed.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The set as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotMap<T, DotSet<A>, A>, A> {
        &self.state
    }

    /// How much metadata the set holds: dots stored with present elements, plus the entries of
    /// its context (vector entries and cloud dots).
    #[must_use]
    pub fn metadata(&self) -> usize {
        self.state.store().dot_count()
            + self.context().vector().len()
            + self.context().cloud().len()
    }
}

impl<T, A> From<Causal<DotMap<T, DotSet<A>, A>, A>> for OrSet<T, A> {
    fn from(state: Causal<DotMap<T, DotSet<A>, A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!([T: Ord + Clone, A: Actor] OrSet<T, A>, DotMap<T, DotSet<A>, A>, A);

/// The present elements of an [`OrSet`] in increasing order; returned by [`OrSet::iter`].
pub struct OrSetIter<'a, T, A> {
    entries: core::slice::Iter<'a, (T, DotSet<A>)>,
}

impl<T: fmt::Debug, A> fmt::Debug for OrSetIter<'_, T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.as_slice().iter().map(|(t, _)| t))
            .finish()
    }
}

impl<T, A> Clone for OrSetIter<'_, T, A> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
        }
    }
}

impl<'a, T, A> Iterator for OrSetIter<'a, T, A> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.entries.next().map(|(t, _)| t)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl<T, A> DoubleEndedIterator for OrSetIter<'_, T, A> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries.next_back().map(|(t, _)| t)
    }
}

impl<T, A> ExactSizeIterator for OrSetIter<'_, T, A> {}

impl<T, A> core::iter::FusedIterator for OrSetIter<'_, T, A> {}

impl<'a, T: Ord + Clone, A: Actor> IntoIterator for &'a OrSet<T, A> {
    type Item = &'a T;
    type IntoIter = OrSetIter<'a, T, A>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(feature = "serde")]
impl<T, A> concord_core::codec::WireType for OrSet<T, A>
where
    T: Ord + Clone + serde::Serialize + serde::de::DeserializeOwned,
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::OR_SET;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "OrSet";
}

/// Builds a valid set: each generated element gets fresh dots of generated actors, and the
/// context covers them.
#[cfg(feature = "arbitrary")]
impl<'a, T, A> arbitrary::Arbitrary<'a> for OrSet<T, A>
where
    T: Ord + Clone + arbitrary::Arbitrary<'a>,
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let adds: alloc::vec::Vec<(A, T)> = u.arbitrary()?;
        let context: DotContext<A> = u.arbitrary()?;
        let mut set = Self {
            state: Causal::from_store(DotMap::new(), context),
        };
        for (actor, elem) in adds.into_iter().take(concord_core::MAX_ENTRIES) {
            if set.insert(actor, elem).is_err() {
                break;
            }
        }
        Ok(set)
    }
}
