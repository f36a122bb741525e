use alloc::vec::Vec;
use core::cmp::Ordering;

use concord_core::lattice::ActorMap;
use concord_core::{Actor, Dot, Merge, ReplicaId};

use crate::VectorClock;

/// A causal context: the set of events (dots) a replica has seen, stored as a version vector
/// plus a cloud of dots seen out of order (Almeida, Shoker and Baquero, "Delta State Replicated
/// Data Types", 2018).
///
/// The vector entry `n` of an actor stands for its dots `1..=n`; the cloud holds the dots
/// beyond a gap, for instance a delta that arrived before an earlier one. The context is
/// always kept compact: no cloud dot is covered by the vector and none is the vector's next
/// dot (such dots are folded into the vector as they arrive). Two contexts holding the same
/// dots are therefore structurally equal, and the encoding is canonical.
///
/// [`merge`](Merge::merge) is the union of the dot sets and [`PartialOrd`] is set inclusion,
/// which is the lattice order of that merge.
///
/// ```
/// use concord_clock::{DotContext, Merge};
/// use concord_core::Dot;
///
/// let mut ctx = DotContext::<u64>::new();
/// ctx.insert(Dot::new(7, 1));
/// ctx.insert(Dot::new(7, 3)); // dot 2 not seen yet: 3 waits in the cloud
/// assert!(!ctx.contains(&Dot::new(7, 2)));
/// assert_eq!(ctx.cloud(), [Dot::new(7, 3)]);
///
/// let mut late = DotContext::new();
/// late.insert(Dot::new(7, 2));
/// ctx.merge(&late); // the gap closes: 1..=3 fold into the vector
/// assert_eq!(ctx.vector().get(&7), 3);
/// assert!(ctx.cloud().is_empty());
/// assert_eq!(ctx.next_dot(7), Dot::new(7, 4));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "DotContextWire<A>",
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct DotContext<A = ReplicaId> {
    vector: VectorClock<A>,
    cloud: Vec<Dot<A>>,
}

impl<A> Default for DotContext<A> {
    fn default() -> Self {
        Self {
            vector: VectorClock::default(),
            cloud: Vec::new(),
        }
    }
}

impl<A: core::fmt::Debug> core::fmt::Debug for DotContext<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DotContext")
            .field("vector", &self.vector)
            .field("cloud", &self.cloud)
            .finish()
    }
}

/// Whether `counter` is beyond the vector entry `covered` by more than one, so it belongs in
/// the cloud of a compact context.
fn beyond_next(counter: u64, covered: u64) -> bool {
    covered.checked_add(1).is_some_and(|next| counter > next)
}

impl<A: Actor> DotContext<A> {
    /// The empty context: no dot seen.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            vector: VectorClock::new(),
            cloud: Vec::new(),
        }
    }

    /// Records `dot` as seen, folding it (and any cloud dots it makes contiguous) into the
    /// vector when it is the actor's next dot. A dot with counter 0 names no event and is
    /// ignored.
    pub fn insert(&mut self, dot: Dot<A>) {
        let covered = self.vector.get(&dot.actor);
        if dot.counter <= covered {
            return;
        }
        if beyond_next(dot.counter, covered) {
            if let Err(at) = self.cloud.binary_search(&dot) {
                self.cloud.insert(at, dot);
            }
            return;
        }
        // `dot` is the next dot of its actor.
        self.raise(dot.actor, dot.counter);
    }

    /// Records the dots `1..=upto` of `actor` as seen: the vector entry rises to `upto`, the
    /// cloud dots it covers go, and the run of cloud dots that continues it folds in. Touches
    /// only `actor`'s part of the cloud.
    fn raise(&mut self, actor: A, upto: u64) {
        let covered = self.vector.get(&actor);
        if upto <= covered {
            return;
        }
        // In a compact context every cloud dot of `actor` lies above `covered`: the ones up to
        // `upto` are the run from `start`.
        let start = self.cloud.partition_point(|d| d.actor < actor);
        let mut end = start
            + self
                .cloud
                .get(start..)
                .unwrap_or_default()
                .partition_point(|d| *d <= Dot::new(actor, upto));
        let mut top = upto;
        while let Some(d) = self.cloud.get(end) {
            if d.actor == actor && top.checked_add(1) == Some(d.counter) {
                top = d.counter;
                end += 1;
            } else {
                break;
            }
        }
        self.cloud.drain(start..end);
        self.vector.apply(Dot::new(actor, top));
    }

    /// Whether `dot` has been seen. A dot with counter 0 names no event and is always
    /// contained.
    ///
    /// A dot the vector covers costs the lookup of its actor and one comparison, as does any
    /// dot when the cloud is empty (the context of a replica that has received every delta);
    /// only an uncovered dot with a cloud beside the vector is searched for in the cloud.
    #[must_use]
    #[inline]
    pub fn contains(&self, dot: &Dot<A>) -> bool {
        dot.counter <= self.vector.get(&dot.actor) || (!self.cloud.is_empty() && self.in_cloud(dot))
    }

    /// Whether `dot` is in the cloud.
    #[inline(never)]
    fn in_cloud(&self, dot: &Dot<A>) -> bool {
        self.cloud.binary_search(dot).is_ok()
    }

    /// Restores the compact form: drops cloud dots the vector covers and folds into the vector
    /// every cloud dot that continues it. Every method of the type already keeps the context
    /// compact, so this is only needed by code that builds contexts piecewise; it runs in one
    /// pass over the cloud.
    pub fn compact(&mut self) {
        if self.cloud.is_empty() {
            return;
        }
        let mut raised = ActorMap::<A, u64>::new();
        let mut current: Option<(A, u64)> = None;
        self.cloud.retain(|d| {
            let covered = match current {
                Some((actor, covered)) if actor == d.actor => covered,
                _ => {
                    if let Some((actor, covered)) = current {
                        raised.set(actor, covered);
                    }
                    self.vector.get(&d.actor)
                }
            };
            let keep = beyond_next(d.counter, covered);
            let covered = if keep {
                covered
            } else {
                covered.max(d.counter)
            };
            current = Some((d.actor, covered));
            keep
        });
        if let Some((actor, covered)) = current {
            raised.set(actor, covered);
        }
        self.vector.merge(&VectorClock::from(raised));
    }

    /// The dot of `actor`'s next event: one above the largest counter seen for it, in the
    /// vector or the cloud.
    ///
    /// Saturates: when `actor` has a dot with counter `u64::MAX` (which no real replica
    /// reaches), the result is that dot, which is already contained. Use
    /// [`checked_next_dot`](Self::checked_next_dot) to detect it.
    #[must_use]
    pub fn next_dot(&self, actor: A) -> Dot<A> {
        Dot::new(actor, self.max_counter(&actor).saturating_add(1))
    }

    /// The dot of `actor`'s next event.
    ///
    /// # Errors
    ///
    /// [`Overflow`](concord_core::Overflow) when `actor` already has a dot with counter
    /// `u64::MAX` (only a misbehaving peer's state gets there).
    pub fn checked_next_dot(&self, actor: A) -> Result<Dot<A>, concord_core::Overflow> {
        let seen = self.max_counter(&actor);
        let counter = seen
            .checked_add(1)
            .ok_or(concord_core::Overflow::new(seen, 1))?;
        Ok(Dot::new(actor, counter))
    }

    /// The largest counter seen for `actor`, in the vector or the cloud (0 when none).
    #[must_use]
    pub fn max_counter(&self, actor: &A) -> u64 {
        // The cloud dots of `actor` end just before the first dot of a greater actor.
        let end = self.cloud.partition_point(|d| d.actor <= *actor);
        let in_cloud = end
            .checked_sub(1)
            .and_then(|last| self.cloud.get(last))
            .filter(|d| d.actor == *actor)
            .map_or(0, |d| d.counter);
        self.vector.get(actor).max(in_cloud)
    }

    /// Whether no dot has been seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.vector.is_empty() && self.cloud.is_empty()
    }

    /// Number of dots seen, counting each vector entry `n` as `n` dots.
    #[must_use]
    pub fn dot_count(&self) -> u128 {
        let contiguous: u128 = self.vector.iter().map(|(_, n)| u128::from(n)).sum();
        contiguous + self.cloud.len() as u128
    }

    /// The contiguous part: for each actor, the `n` such that dots `1..=n` have been seen.
    #[must_use]
    pub const fn vector(&self) -> &VectorClock<A> {
        &self.vector
    }

    /// The dots seen out of order, sorted by actor then counter.
    #[must_use]
    pub fn cloud(&self) -> &[Dot<A>] {
        &self.cloud
    }

    /// How many of the dots `(actor, 1..=upto)` have not been seen.
    pub(crate) fn missing_up_to(&self, actor: &A, upto: u64) -> u64 {
        let covered = self.vector.get(actor);
        if covered >= upto {
            return 0;
        }
        // The cloud is sorted by actor then counter: the dots of `actor` in `covered + 1 ..=
        // upto` are one run.
        let start = self
            .cloud
            .partition_point(|d| *d <= Dot::new(*actor, covered));
        let end = self.cloud.partition_point(|d| *d <= Dot::new(*actor, upto));
        (upto - covered).saturating_sub(end.saturating_sub(start) as u64)
    }

    /// The context of `vector` and `dots` (in any order, repeats allowed), compact.
    pub(crate) fn from_vector_and_dots(vector: VectorClock<A>, mut dots: Vec<Dot<A>>) -> Self {
        dots.retain(|d| d.counter > 0);
        dots.sort_unstable();
        dots.dedup();
        let mut context = Self {
            vector,
            cloud: dots,
        };
        context.compact();
        context
    }

    /// Whether every dot of `self` is in `other`.
    fn is_subset(&self, other: &Self) -> bool {
        // In a compact context an actor's dots 1..=n are all seen exactly when its vector
        // entry is at least n, so the vectors compare pointwise.
        matches!(
            self.vector.partial_cmp(&other.vector),
            Some(Ordering::Less | Ordering::Equal)
        ) && self.cloud.iter().all(|d| other.contains(d))
    }
}

impl<A: Actor> From<VectorClock<A>> for DotContext<A> {
    /// The context holding exactly the dots the clock counts.
    fn from(vector: VectorClock<A>) -> Self {
        Self {
            vector,
            cloud: Vec::new(),
        }
    }
}

impl<A: Actor> Extend<Dot<A>> for DotContext<A> {
    fn extend<I: IntoIterator<Item = Dot<A>>>(&mut self, iter: I) {
        for dot in iter {
            self.insert(dot);
        }
    }
}

impl<A: Actor> FromIterator<Dot<A>> for DotContext<A> {
    fn from_iter<I: IntoIterator<Item = Dot<A>>>(iter: I) -> Self {
        let mut ctx = Self::new();
        ctx.extend(iter);
        ctx
    }
}

/// Up to this many entries (vector entries and cloud dots) in the other context, a merge
/// records them one by one, touching only their actors' parts of this context; above, it
/// walks both contexts whole.
const FEW_ENTRIES: usize = 8;

impl<A: Actor> Merge for DotContext<A> {
    /// The union of both dot sets, left compact.
    ///
    /// A small `other` (the context of a mutator's delta: the dots it replaces and the one it
    /// makes) that adds no actor to this context's vector is recorded entry by entry, in time
    /// logarithmic in the size of `self` per entry (a dot that lands in the cloud moves the
    /// cloud dots above it); otherwise both contexts are walked whole, and the vector is
    /// allocated once at the size of the union of actors. A dot of an actor the vector lacks
    /// joins the vector only when it is that actor's first: every other one lands in the
    /// cloud, so joining mutators' deltas one by one (whose contexts are mostly clouds) stays
    /// linear in what they bring.
    fn merge(&mut self, other: &Self) {
        let known = |actor: &A| self.vector.get(actor) > 0;
        if other.vector.len() + other.cloud.len() <= FEW_ENTRIES
            && other.vector.iter().all(|(actor, _)| known(actor))
            && other
                .cloud
                .iter()
                .all(|dot| dot.counter > 1 || known(&dot.actor))
        {
            for (actor, upto) in other.vector.iter() {
                self.raise(*actor, upto);
            }
            for dot in &other.cloud {
                self.insert(*dot);
            }
            return;
        }
        self.vector.merge(&other.vector);
        if !other.cloud.is_empty() {
            let mut cloud = Vec::with_capacity(self.cloud.len() + other.cloud.len());
            let (mut mine, mut theirs) = (self.cloud.iter().peekable(), other.cloud.iter());
            for d in theirs.by_ref() {
                while let Some(m) = mine.next_if(|m| *m < d) {
                    cloud.push(*m);
                }
                // A dot on both sides is kept once.
                let _ = mine.next_if_eq(&d);
                cloud.push(*d);
            }
            cloud.extend(mine.copied());
            self.cloud = cloud;
        }
        self.compact();
    }
}

impl<A: Actor> PartialOrd for DotContext<A> {
    /// Set inclusion: `Less` when every dot of `self` is in `other` and `other` has more,
    /// `None` when each has a dot the other lacks.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        concord_core::lattice::partial_order(self.is_subset(other), other.is_subset(self))
    }
}

/// The unchecked wire form of a [`DotContext`]: the vector (validated by its own decoding)
/// and the cloud, checked by `TryFrom`.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "A: Actor + serde::Deserialize<'de>"))]
struct DotContextWire<A> {
    vector: VectorClock<A>,
    cloud: Vec<Dot<A>>,
}

#[cfg(feature = "serde")]
impl<A: Actor> TryFrom<DotContextWire<A>> for DotContext<A> {
    type Error = concord_core::ValidationError;

    /// Refuses an unsorted or duplicated cloud, cloud dots the vector covers or that continue
    /// it (the context would not be compact), and more than
    /// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) entries in all.
    fn try_from(wire: DotContextWire<A>) -> Result<Self, Self::Error> {
        use concord_core::ValidationError;
        ValidationError::check_len(wire.vector.len().saturating_add(wire.cloud.len()))?;
        ValidationError::check_sorted(&wire.cloud)?;
        for d in &wire.cloud {
            let covered = wire.vector.get(&d.actor);
            if d.counter <= covered {
                return Err(ValidationError::Invalid(
                    "a cloud dot is already covered by the vector",
                ));
            }
            if !beyond_next(d.counter, covered) {
                return Err(ValidationError::Invalid(
                    "a cloud dot continues the vector and should have been folded into it",
                ));
            }
        }
        Ok(Self {
            vector: wire.vector,
            cloud: wire.cloud,
        })
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for DotContext<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::DOT_CONTEXT;
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "DotContext";
}

#[cfg(feature = "arbitrary")]
impl<'a, A: Actor + arbitrary::Arbitrary<'a>> arbitrary::Arbitrary<'a> for DotContext<A> {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let vector = VectorClock::arbitrary(u)?;
        let mut ctx = Self::from(vector);
        for dot in u.arbitrary_iter::<Dot<A>>()? {
            ctx.insert(dot?);
        }
        Ok(ctx)
    }
}
