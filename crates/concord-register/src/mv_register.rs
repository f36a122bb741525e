use alloc::vec::Vec;
use core::fmt;

use concord_clock::{Causal, DotContext, DotFun};
use concord_core::{Actor, Dot, Overflow, ReplicaId};

/// A multi-value register: every write that no later write has replaced, kept side by side as
/// siblings, so concurrent writes are never lost and the application decides how to resolve
/// them.
///
/// The register follows the dotted-version-vector design (Preguiça, Baquero, Almeida, Fonte and
/// Gonçalves, "Dotted Version Vectors: Logical Clocks for Optimistic Replication", 2010;
/// Almeida, Baquero, Gonçalves, Preguiça and Fonte, "Scalable and Accurate Causality Tracking
/// for Eventually Consistent Stores", 2014, which introduces DVVSet) in the dot-kernel form of
/// Almeida, Shoker and Baquero, "Delta State Replicated Data Types", 2018: each write is named
/// by a [`Dot`], the
/// state holds the live siblings as `(dot, value)` pairs sorted by dot, and one [`DotContext`]
/// of every write the register has seen, live or replaced.
///
/// # Reading and writing
///
/// [`read`](Self::read) returns every sibling's value and the context. A write passes that
/// context back: [`write`](Self::write) makes a new dot for the writing actor and replaces
/// exactly the siblings whose dots the context covers, that is, the values the writer had
/// seen. So
///
/// - a write made after reading all siblings collapses them into one value;
/// - writes made concurrently (neither saw the other) are all kept;
/// - no false siblings: a value that a write saw never comes back, whatever the order in which
///   the states and deltas travel.
///
/// Each actor must write at one replica only, and that replica must hold every dot of the
/// actor (it does, because every write lands in the local state first); a replica that lost its
/// state starts under a fresh actor.
///
/// # Merge
///
/// The register is a [`Causal`] state over a [`DotFun`] (the dot-store kernel of
/// `concord-clock`), and its merge is the kernel's causal join: a sibling of one side is kept
/// when the other side holds it too, or when the other side's context does not contain its dot
/// (the other side never heard of that write, so it cannot have replaced it); the contexts are
/// united. Both sibling lists are sorted by dot, so the merge walks them once, side by side:
/// its cost is linear in the number of siblings plus one context lookup per sibling, with no
/// pairwise comparison of clocks.
///
/// Honest replicas never give two different values the same dot. A misbehaving peer can, so
/// when both sides hold a dot with different values the greater value (by `T: Ord`) is kept:
/// the values form a lattice of their own, and the merge stays commutative, associative and
/// idempotent (the `DotFun` construction of Almeida et al.).
///
/// [`PartialOrd`] is the lattice order: `a <= b` exactly when `a.merge(&b)` gives `b`.
/// [`PartialEq`] compares fields, which is semantic equality here: siblings are sorted by dot
/// and the context is kept compact, so two registers holding the same writes and having seen
/// the same dots are equal field by field.
///
/// `T: Ord` is needed only for that tie-break: without it, replicas receiving the two values of
/// one dot in different orders would keep different values and never converge.
///
/// # Decoding
///
/// The wire form is the kernel's: the siblings as `(dot, value)` pairs, then the context.
/// With the `serde` feature, decoding refuses a register with more than
/// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) siblings, siblings out of dot order or with a
/// repeated dot, and a sibling whose dot is missing from the context (the context checks its
/// own form). The last rule is what "siblings are pairwise concurrent" amounts to here: the
/// state has one context, not one per sibling, and a replaced sibling is simply absent, so the
/// only way to hold a value that should be gone is to hold it outside the context, where a
/// write made after reading it could not replace it. Any set of dots inside the context can
/// be the live set of an honest history (writes made with older contexts are concurrent with
/// everything they did not see), so nothing more can be refused.
///
/// # Examples
///
/// ```
/// use concord_register::{Merge, MvRegister};
///
/// let mut phone = MvRegister::<&str, u64>::new();
/// let mut laptop = MvRegister::<&str, u64>::new();
///
/// // Two devices write without seeing each other: both values are kept.
/// let (_, ctx) = phone.read();
/// phone.write(1, "blue", &ctx)?;
/// let (_, ctx) = laptop.read();
/// laptop.write(2, "green", &ctx)?;
/// phone.merge(&laptop);
/// assert_eq!(phone.read().0, [&"blue", &"green"]);
///
/// // A write after reading both siblings replaces them.
/// let (_, ctx) = phone.read();
/// let delta = phone.write(1, "teal", &ctx)?;
/// laptop.merge(&delta);
/// assert_eq!(laptop.read().0, [&"teal"]);
/// # Ok::<(), concord_register::Overflow>(())
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
pub struct MvRegister<T, A = ReplicaId> {
    /// Live writes (strictly increasing by dot, every dot in the context) and every write
    /// seen, live or replaced.
    state: Causal<DotFun<T, A>, A>,
}

impl<T, A> Default for MvRegister<T, A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<T: fmt::Debug, A: Actor> fmt::Debug for MvRegister<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MvRegister")
            .field("siblings", &self.state.store().entries())
            .field("context", self.state.context())
            .finish()
    }
}

impl<T: Ord + Clone, A: Actor> MvRegister<T, A> {
    /// An empty register: no value, nothing seen.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every current value (one per sibling, in dot order) and the context to pass to the next
    /// [`write`](Self::write), so that it replaces exactly these values.
    ///
    /// No values means nothing has been written yet (every write stays until a write that saw
    /// it replaces it, and that write is a value itself). Several values mean concurrent
    /// writes: resolve them in the application and write the result with this context.
    #[must_use]
    pub fn read(&self) -> (Vec<&T>, DotContext<A>) {
        (self.values().collect(), self.context().clone())
    }

    /// The current values, one per sibling, in dot order.
    #[must_use = "iterators are lazy"]
    pub fn values(&self) -> impl ExactSizeIterator<Item = &T> + '_ {
        self.state.store().values()
    }

    /// The siblings: each live write's dot and value, sorted by dot.
    #[must_use]
    pub fn siblings(&self) -> &[(Dot<A>, T)] {
        self.state.store().entries()
    }

    /// Every write this register has seen, live or replaced.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The register as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotFun<T, A>, A> {
        &self.state
    }

    /// The number of siblings (concurrent values).
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.store().len()
    }

    /// Whether the register holds no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.state.store().is_empty()
    }

    /// The current values, consuming the register.
    #[must_use]
    pub fn into_values(self) -> Vec<T> {
        let (store, _) = self.state.into_parts();
        store.into_entries().into_iter().map(|(_, v)| v).collect()
    }

    /// Writes `value` as `actor`, replacing every sibling whose dot `context` covers, and
    /// returns the delta to ship.
    ///
    /// Pass the context of a [`read`](Self::read) to replace the values that read returned. A
    /// write with an empty or an older context replaces less: the siblings it did not see stay,
    /// as concurrent values. The new write gets the dot after the largest one of `actor` this
    /// register has seen.
    ///
    /// The delta holds the one new sibling and the context `context ∪ {new dot}`; merging it
    /// into any replica applies the write there, in any order with other deltas, any number of
    /// times.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already has a dot with counter `u64::MAX` (only a
    /// misbehaving peer's state gets there); the register is unchanged.
    pub fn write(&mut self, actor: A, value: T, context: &DotContext<A>) -> Result<Self, Overflow> {
        let dot = self.state.next_dot(actor)?;
        let delta = Causal::from_store(DotFun::from_entry(dot, value), context.clone());
        Ok(Self {
            state: self.state.apply(delta),
        })
    }
}

impl<T, A> From<Causal<DotFun<T, A>, A>> for MvRegister<T, A> {
    /// The register whose siblings are the store's entries.
    fn from(state: Causal<DotFun<T, A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!([T: Ord + Clone, A: Actor] MvRegister<T, A>, DotFun<T, A>, A);

#[cfg(feature = "serde")]
impl<T, A> concord_core::codec::WireType for MvRegister<T, A>
where
    T: Ord + Clone + serde::Serialize + serde::de::DeserializeOwned,
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::MV_REGISTER;
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "MvRegister";
}

/// Builds a valid register: siblings sorted, unique, with nonzero counters, all inside the
/// context.
#[cfg(feature = "arbitrary")]
impl<'a, T, A> arbitrary::Arbitrary<'a> for MvRegister<T, A>
where
    T: Ord + Clone + arbitrary::Arbitrary<'a>,
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut siblings: Vec<(Dot<A>, T)> = u.arbitrary()?;
        siblings.retain(|(dot, _)| dot.counter != 0);
        siblings.sort_by_key(|(dot, _)| *dot);
        siblings.dedup_by(|(a, _), (b, _)| a == b);
        siblings.truncate(concord_core::MAX_ENTRIES);
        let store = DotFun::from_sorted(siblings).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let context: DotContext<A> = u.arbitrary()?;
        Ok(Self {
            state: Causal::from_store(store, context),
        })
    }
}
