use core::fmt;

use concord_clock::{Causal, DotContext, DotFun};
use concord_core::{Actor, Dot, Overflow, ReplicaId};

/// What one dot of a [`CausalCounter`] carries: its actor's totals of increments and of
/// decrements, as that actor knew them when it made the dot.
///
/// Two `u64` totals instead of one signed number, as in `PnCounter`: each only grows, so an
/// overflow is a refusal ([`Overflow`]) rather than a wrap, and the difference is exact in an
/// `i128`. The order (increments first, then decrements) is only the tie-break of the kernel
/// when a misbehaving peer gives one dot two contributions.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contribution {
    increments: u64,
    decrements: u64,
}

impl Contribution {
    /// Nothing added, nothing subtracted.
    pub const ZERO: Self = Self::new(0, 0);

    /// The contribution of `increments` added and `decrements` subtracted.
    #[must_use]
    pub const fn new(increments: u64, decrements: u64) -> Self {
        Self {
            increments,
            decrements,
        }
    }

    /// The total of increments.
    #[must_use]
    pub const fn increments(&self) -> u64 {
        self.increments
    }

    /// The total of decrements.
    #[must_use]
    pub const fn decrements(&self) -> u64 {
        self.decrements
    }

    /// What the contribution adds to the counter: increments minus decrements, exactly.
    #[must_use]
    pub fn value(&self) -> i128 {
        i128::from(self.increments) - i128::from(self.decrements)
    }

    /// Both totals of `self` and `other` added.
    fn checked_add(self, other: Self) -> Result<Self, Overflow> {
        let add = |a: u64, b: u64| a.checked_add(b).ok_or(Overflow::new(a, b));
        Ok(Self::new(
            add(self.increments, other.increments)?,
            add(self.decrements, other.decrements)?,
        ))
    }
}

/// Any two totals (written out rather than derived: the derive needs `std`).
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Contribution {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::new(u.arbitrary()?, u.arbitrary()?))
    }
}

/// Which of the two totals an operation grows.
#[derive(Clone, Copy)]
enum Side {
    Increments,
    Decrements,
}

/// A counter on dots: it goes up and down like a `PnCounter`, and it can also be reset, which
/// removes exactly the contributions the resetting replica observed. It is the causal counter
/// (`ccounter`) of Almeida, Shoker and Baquero ("Delta State Replicated Data Types", 2018),
/// built on the dot-store kernel of `concord-clock` as a [`Causal`] state over a [`DotFun`]
/// from dot to [`Contribution`], so that it can be the value of a map of causal CRDTs: a map of
/// counters (likes per post) whose remove resets a counter by what the remover had seen.
///
/// # Semantics
///
/// Each actor's share of the counter lives in one dot, whose [`Contribution`] is that actor's
/// totals of increments and decrements as it knew them:
///
/// - [`increment`](Self::increment) and [`decrement`](Self::decrement) as `actor` make a new
///   dot carrying the actor's live contribution at this replica plus the amount, and replace
///   the actor's live dot (the delta's context holds it). The local [`value`](Self::value)
///   moves by exactly the amount; other actors' shares are untouched.
/// - [`reset`](Self::reset) removes every dot the replica holds: the delta is their context,
///   with an empty store. Merged anywhere, it removes exactly the contributions it observed.
/// - [`value`](Self::value) is the sum of the live contributions.
///
/// A reset removes only what it observed, so an increment concurrent with a reset survives
/// it. Because the increment's new dot carries its actor's *whole* contribution as that actor
/// knew it, the reset then does not subtract that actor's earlier contribution either: the
/// actor had not seen the reset, so its new dot still counts what the reset meant to remove.
/// Only once the actor has seen the reset does its contribution start again from zero. This
/// is the known behaviour of counters embedded in maps, described by Baquero, Almeida and
/// Lerche in "The problem with embedded CRDT counters and a solution" (PaPoC 2016); their
/// solution keeps several dots per actor so that a reset can remove the part already shipped,
/// whereas this counter, like the `ccounter`, keeps one dot per actor, so its metadata stays
/// bounded by the number of actors.
///
/// # Metadata
///
/// A replica holds at most one dot per actor once the deltas in flight have arrived (or
/// whenever replicas exchange full states); a replica receiving deltas out of order can hold,
/// for a while, an actor's older dot that a reset it has not received yet removes. That dot
/// never counts twice: a new dot carries an older one's contribution only when the older dot
/// was live at the actor's replica, and then the new dot's delta replaces it. The context
/// compacts to one counter per actor.
///
/// # Decoding
///
/// The wire form is the kernel's: the live dots as `(dot, contribution)` pairs, then the
/// context. With the `serde` feature, decoding refuses dots out of order or repeated, more
/// than [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) dots, and a dot missing from the context.
/// Several live dots of one actor are not refused: an honest replica can hold them for a while
/// (see above), the merge handles any number of them, the value counts each, and the actor's
/// next increment sums them into its new dot and replaces them all. A zero contribution is not
/// refused either: it adds nothing.
///
/// # Examples
///
/// A reset that observed everything resets everywhere:
///
/// ```
/// use concord_map::{CausalCounter, Merge};
///
/// let mut alice = CausalCounter::<u64>::new();
/// let mut bob = CausalCounter::<u64>::new();
/// bob.merge(&alice.increment(1, 5)?);
/// alice.merge(&bob.decrement(2, 2)?);
/// assert_eq!((alice.value(), bob.value()), (3, 3));
///
/// alice.merge(&bob.reset());
/// assert_eq!(alice.value(), 0);
/// // After seeing the reset, Alice counts again from zero.
/// bob.merge(&alice.increment(1, 1)?);
/// assert_eq!((alice.value(), bob.value()), (1, 1));
/// # Ok::<(), concord_map::Overflow>(())
/// ```
///
/// An increment concurrent with a reset survives it, with its actor's earlier contribution:
///
/// ```
/// use concord_map::{CausalCounter, Merge};
///
/// let mut alice = CausalCounter::<u64>::new();
/// let mut bob = CausalCounter::<u64>::new();
/// bob.merge(&alice.increment(1, 5)?);
/// bob.increment(2, 10)?; // not shipped to Alice yet
///
/// // Bob resets, having seen Alice's 5 and his own 10; meanwhile Alice adds 1.
/// let reset = bob.reset();
/// let more = alice.increment(1, 1)?;
/// alice.merge(&reset);
/// bob.merge(&more);
/// // Bob's 10 is gone, but Alice's new dot carries 5 + 1, which the reset had not observed.
/// assert_eq!((alice.value(), bob.value()), (6, 6));
/// # Ok::<(), concord_map::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct CausalCounter<A = ReplicaId> {
    /// The live contributions (one dot per actor, once deltas have arrived) and every dot
    /// seen.
    state: Causal<DotFun<Contribution, A>, A>,
}

impl<A> Default for CausalCounter<A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<A: Actor> fmt::Debug for CausalCounter<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CausalCounter")
            .field("value", &self.value())
            .field("contributions", &self.state.store().entries())
            .field("context", self.state.context())
            .finish()
    }
}

impl<A: Actor> CausalCounter<A> {
    /// A counter at zero that has seen nothing: the bottom.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `by` as `actor` and returns the delta to ship: one new dot carrying the actor's
    /// contribution plus `by`, and the context of the actor's dots it replaces.
    ///
    /// Incrementing by zero changes nothing and returns an empty delta.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when the actor's increments would pass `u64::MAX`, or when `actor` already
    /// has a dot with counter `u64::MAX` (only a misbehaving peer's state gets there); the
    /// counter is unchanged.
    pub fn increment(&mut self, actor: A, by: u64) -> Result<Self, Overflow> {
        self.add(actor, Side::Increments, by)
    }

    /// Subtracts `by` as `actor` and returns the delta to ship, as
    /// [`increment`](Self::increment) does.
    ///
    /// Decrementing by zero changes nothing and returns an empty delta.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when the actor's decrements would pass `u64::MAX`, or when `actor` already
    /// has a dot with counter `u64::MAX`; the counter is unchanged.
    pub fn decrement(&mut self, actor: A, by: u64) -> Result<Self, Overflow> {
        self.add(actor, Side::Decrements, by)
    }

    fn add(&mut self, actor: A, side: Side, by: u64) -> Result<Self, Overflow> {
        if by == 0 {
            return Ok(Self::new());
        }
        let mut base = Contribution::ZERO;
        let mut replaced = DotContext::new();
        for (dot, contribution) in self.state.store().entries() {
            if dot.actor == actor {
                base = base.checked_add(*contribution)?;
                replaced.insert(*dot);
            }
        }
        let amount = match side {
            Side::Increments => Contribution::new(by, 0),
            Side::Decrements => Contribution::new(0, by),
        };
        let contribution = base.checked_add(amount)?;
        let dot = self.state.next_dot(actor)?;
        let delta = Causal::from_store(DotFun::from_entry(dot, contribution), replaced);
        Ok(Self {
            state: self.state.apply(delta),
        })
    }

    /// Resets the counter and returns the delta to ship: no contribution, only the dots this
    /// replica holds, as seen. Merged anywhere, it removes exactly the contributions it
    /// observed; an increment it did not observe survives, carrying its actor's whole
    /// contribution as that actor knew it (see the [type documentation](Self)). Resetting a
    /// counter that holds nothing returns an empty delta.
    ///
    /// This is what the remove of a map key does to a counter under that key.
    pub fn reset(&mut self) -> Self {
        let observed: DotContext<A> = self
            .state
            .store()
            .entries()
            .iter()
            .map(|(dot, _)| *dot)
            .collect();
        let delta = Causal::from_store(DotFun::new(), observed);
        Self {
            state: self.state.apply(delta),
        }
    }

    /// The value: the sum of the live contributions, each increments minus decrements.
    ///
    /// Exact for any state a machine can hold (each dot adds at most `u64::MAX` in either
    /// direction to an `i128`); the sum saturates rather than wraps beyond that, which no
    /// real counter reaches.
    #[must_use]
    pub fn value(&self) -> i128 {
        self.state
            .store()
            .values()
            .fold(0i128, |sum, c| sum.saturating_add(c.value()))
    }

    /// What `actor`'s live contributions add to the [`value`](Self::value) (0 for an actor
    /// with none).
    #[must_use]
    pub fn get(&self, actor: &A) -> i128 {
        self.state
            .store()
            .entries()
            .iter()
            .filter(|(dot, _)| dot.actor == *actor)
            .fold(0i128, |sum, (_, c)| sum.saturating_add(c.value()))
    }

    /// The live contributions: each dot and what it carries, sorted by dot.
    #[must_use]
    pub fn contributions(&self) -> &[(Dot<A>, Contribution)] {
        self.state.store().entries()
    }

    /// Every dot this counter has seen, live or replaced.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The counter as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotFun<Contribution, A>, A> {
        &self.state
    }
}

impl<A> From<Causal<DotFun<Contribution, A>, A>> for CausalCounter<A> {
    /// The counter whose contributions are the store's entries.
    fn from(state: Causal<DotFun<Contribution, A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!([A: Actor] CausalCounter<A>, DotFun<Contribution, A>, A);

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for CausalCounter<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::CAUSAL_COUNTER;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "CausalCounter";
}

/// Builds a valid counter: dots sorted, unique, with nonzero counters, all inside the context
/// (several dots of one actor included, as decoding accepts them).
#[cfg(feature = "arbitrary")]
impl<'a, A> arbitrary::Arbitrary<'a> for CausalCounter<A>
where
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut entries: alloc::vec::Vec<(Dot<A>, Contribution)> = u.arbitrary()?;
        entries.retain(|(dot, _)| dot.counter != 0);
        entries.sort_by_key(|(dot, _)| *dot);
        entries.dedup_by(|(a, _), (b, _)| a == b);
        entries.truncate(concord_core::MAX_ENTRIES);
        let store = DotFun::from_sorted(entries).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let context: DotContext<A> = u.arbitrary()?;
        Ok(Self {
            state: Causal::from_store(store, context),
        })
    }
}
