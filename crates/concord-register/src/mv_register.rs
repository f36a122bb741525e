use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use concord_clock::DotContext;
use concord_core::{Actor, Dot, Merge, ReplicaId};

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
/// The join of the dot kernel: a sibling of one side is kept when the other side holds it too,
/// or when the other side's context does not contain its dot (the other side never heard of
/// that write, so it cannot have replaced it); the contexts are united. Both sibling lists are
/// sorted by dot, so the merge walks them once, side by side: its cost is linear in the number
/// of siblings plus one context lookup per sibling, with no pairwise comparison of clocks.
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
/// # Decoding
///
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
/// # Ok::<(), concord_register::DotOverflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "MvRegisterWire<T, A>",
        bound(
            serialize = "T: serde::Serialize, A: Actor",
            deserialize = "T: serde::Deserialize<'de>, A: Actor"
        )
    )
)]
pub struct MvRegister<T, A = ReplicaId> {
    /// Live writes, strictly increasing by dot; every dot is in `context`.
    siblings: Vec<(Dot<A>, T)>,
    /// Every write seen, live or replaced.
    context: DotContext<A>,
}

/// A write was refused: the actor has used every dot counter up to `u64::MAX`.
///
/// No replica makes 2^64 writes; only a state received from a misbehaving peer that claims a
/// dot with the largest counter for this actor leads here. The register is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DotOverflow;

impl fmt::Display for DotOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the actor's dot counter would overflow u64; the register is unchanged")
    }
}

impl core::error::Error for DotOverflow {}

impl<T, A> Default for MvRegister<T, A> {
    fn default() -> Self {
        Self {
            siblings: Vec::new(),
            context: DotContext::default(),
        }
    }
}

impl<T: fmt::Debug, A: fmt::Debug> fmt::Debug for MvRegister<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MvRegister")
            .field("siblings", &self.siblings)
            .field("context", &self.context)
            .finish()
    }
}

impl<T, A: Actor> MvRegister<T, A> {
    /// The empty register: no value, no write seen.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            siblings: Vec::new(),
            context: DotContext::new(),
        }
    }

    /// Every current value (one per sibling, in dot order) and the context to pass to the next
    /// [`write`](Self::write), so that it replaces exactly these values.
    ///
    /// No values means nothing has been written yet (every write stays until a write that saw
    /// it replaces it, and that write is a value itself). Several values mean concurrent
    /// writes: resolve them in the application and write the result with this context.
    #[must_use]
    pub fn read(&self) -> (Vec<&T>, DotContext<A>) {
        (self.values().collect(), self.context.clone())
    }

    /// The current values, one per sibling, in dot order.
    #[must_use]
    pub fn values(&self) -> impl ExactSizeIterator<Item = &T> + '_ {
        self.siblings.iter().map(|(_, value)| value)
    }

    /// The siblings: each live write's dot and value, sorted by dot.
    #[must_use]
    pub fn siblings(&self) -> &[(Dot<A>, T)] {
        &self.siblings
    }

    /// Every write this register has seen, live or replaced.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        &self.context
    }

    /// The number of siblings (concurrent values).
    #[must_use]
    pub fn len(&self) -> usize {
        self.siblings.len()
    }

    /// Whether the register holds no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.siblings.is_empty()
    }

    /// The current values, consuming the register.
    #[must_use]
    pub fn into_values(self) -> Vec<T> {
        self.siblings.into_iter().map(|(_, value)| value).collect()
    }
}

impl<T: Ord + Clone, A: Actor> MvRegister<T, A> {
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
    /// [`DotOverflow`] when `actor` already has a dot with counter `u64::MAX` (only a
    /// misbehaving peer's state gets there); the register is unchanged.
    pub fn write(
        &mut self,
        actor: A,
        value: T,
        context: &DotContext<A>,
    ) -> Result<Self, DotOverflow> {
        let dot = self.context.checked_next_dot(actor).ok_or(DotOverflow)?;
        let mut delta_context = context.clone();
        delta_context.insert(dot);
        let delta = Self {
            siblings: alloc::vec![(dot, value)],
            context: delta_context,
        };
        self.merge(&delta);
        Ok(delta)
    }

    /// Whether `self ⊔ other == other`, in one walk over both sibling lists.
    fn le(&self, other: &Self) -> bool {
        if !matches!(
            self.context.partial_cmp(&other.context),
            Some(Ordering::Less | Ordering::Equal)
        ) {
            return false;
        }
        // With `self.context ⊆ other.context`, every sibling of `self` that `other` lacks is
        // dropped by the join, so the join is `other` exactly when every sibling of `other`
        // that `self` has seen is also held by `self`, with a value no greater.
        let mut mine = self.siblings.iter().peekable();
        for (dot, value) in &other.siblings {
            while mine.next_if(|(d, _)| d < dot).is_some() {}
            match mine.next_if(|(d, _)| d == dot) {
                Some((_, v)) if v > value => return false,
                Some(_) => {}
                None if self.context.contains(dot) => return false,
                None => {}
            }
        }
        true
    }
}

/// One step of the dot-kernel join of two sibling lists walked in dot order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// This side's next sibling is kept: the other side has not seen its write.
    KeepMine,
    /// This side's next sibling is dropped: the other side saw its write and replaced it.
    DropMine,
    /// The other side's next sibling is kept.
    KeepTheirs,
    /// The other side's next sibling is dropped.
    DropTheirs,
    /// Both sides' next siblings are the same write: kept once.
    Both,
    /// Both lists are done.
    Done,
}

/// What the join does with the next siblings `mine` and `theirs` (their dots), given what each
/// side has seen.
fn step<A: Actor>(
    mine: Option<&Dot<A>>,
    theirs: Option<&Dot<A>>,
    my_context: &DotContext<A>,
    their_context: &DotContext<A>,
) -> Step {
    let mine_first = match (mine, theirs) {
        (Some(a), Some(b)) if a == b => return Step::Both,
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => return Step::Done,
    };
    match (mine_first, mine, theirs) {
        (true, Some(a), _) if their_context.contains(a) => Step::DropMine,
        (true, _, _) => Step::KeepMine,
        (false, _, Some(b)) if my_context.contains(b) => Step::DropTheirs,
        (false, _, _) => Step::KeepTheirs,
    }
}

impl<T: Ord + Clone, A: Actor> Merge for MvRegister<T, A> {
    /// The dot-kernel join. A first walk counts the siblings kept, so the result is allocated
    /// once at its exact size; the second moves this side's kept values and clones only the
    /// other side's.
    fn merge(&mut self, other: &Self) {
        let (mut i, mut j, mut kept) = (0, 0, 0);
        loop {
            let next = step(
                self.siblings.get(i).map(|s| &s.0),
                other.siblings.get(j).map(|s| &s.0),
                &self.context,
                &other.context,
            );
            kept += usize::from(matches!(
                next,
                Step::KeepMine | Step::KeepTheirs | Step::Both
            ));
            i += usize::from(matches!(next, Step::KeepMine | Step::DropMine | Step::Both));
            j += usize::from(matches!(
                next,
                Step::KeepTheirs | Step::DropTheirs | Step::Both
            ));
            if next == Step::Done {
                break;
            }
        }
        let mut out = Vec::with_capacity(kept);
        let mut mine = core::mem::take(&mut self.siblings).into_iter();
        let mut theirs = other.siblings.iter();
        loop {
            let next = step(
                mine.as_slice().first().map(|s| &s.0),
                theirs.as_slice().first().map(|s| &s.0),
                &self.context,
                &other.context,
            );
            match next {
                Step::KeepMine => out.extend(mine.next()),
                Step::DropMine => drop(mine.next()),
                Step::KeepTheirs => out.extend(theirs.next().cloned()),
                Step::DropTheirs => drop(theirs.next()),
                // The same write on both sides: the greater value if a peer misbehaved.
                Step::Both => match (mine.next(), theirs.next()) {
                    (Some((dot, value)), Some((_, other_value))) if *other_value > value => {
                        out.push((dot, other_value.clone()));
                    }
                    (sibling, _) => out.extend(sibling),
                },
                Step::Done => break,
            }
        }
        self.siblings = out;
        self.context.merge(&other.context);
    }
}

/// The lattice order: `a <= b` exactly when `a.merge(&b)` gives `b` (everything `a` has seen,
/// `b` has seen, and `b` kept what `a` keeps unless it saw it replaced).
impl<T: Ord + Clone, A: Actor> PartialOrd for MvRegister<T, A> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        concord_core::partial_order(self.le(other), other.le(self))
    }
}

/// The unchecked wire form of an [`MvRegister`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "T: serde::Deserialize<'de>, A: Actor"))]
struct MvRegisterWire<T, A> {
    siblings: Vec<(Dot<A>, T)>,
    context: DotContext<A>,
}

#[cfg(feature = "serde")]
impl<T, A: Actor> TryFrom<MvRegisterWire<T, A>> for MvRegister<T, A> {
    type Error = concord_core::ValidationError;

    /// Checks what the merge relies on:
    ///
    /// - at most [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) siblings (the context bounds its
    ///   own size when it decodes);
    /// - siblings strictly increasing by dot, so dots are unique and the merge can walk them;
    ///   a dot's counter is never 0 (checked by `Dot`'s own decoding);
    /// - every sibling's dot is in the context.
    ///
    /// The last check is what "siblings are pairwise concurrent" comes to in this
    /// representation: the state keeps one context for the register, not one per sibling, and
    /// a sibling that some write replaced is simply absent. A sibling outside the context would
    /// be a value that a read returns but a write made with that read's context cannot
    /// replace, a false sibling that would never go away. Any set of dots inside the context
    /// can be the live set of an honest history (writes made with older contexts are
    /// concurrent with everything they did not see), so nothing more can be refused.
    fn try_from(wire: MvRegisterWire<T, A>) -> Result<Self, Self::Error> {
        use concord_core::ValidationError;
        ValidationError::check_sorted_by_key(&wire.siblings, |(dot, _)| dot)?;
        if wire
            .siblings
            .iter()
            .any(|(dot, _)| !wire.context.contains(dot))
        {
            return Err(ValidationError::Invalid(
                "a sibling's dot is missing from the register's context",
            ));
        }
        Ok(Self {
            siblings: wire.siblings,
            context: wire.context,
        })
    }
}

#[cfg(feature = "serde")]
impl<T, A> concord_core::codec::WireType for MvRegister<T, A>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    A: Actor,
{
    const TAG: u16 = concord_core::codec::tag::MV_REGISTER;
    const VERSION: u16 = 2;
    const NAME: &'static str = "MvRegister";
}

/// Builds a valid register: siblings sorted, unique, with nonzero counters, all inside the
/// context.
#[cfg(feature = "arbitrary")]
impl<'a, T, A> arbitrary::Arbitrary<'a> for MvRegister<T, A>
where
    T: arbitrary::Arbitrary<'a>,
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut siblings: Vec<(Dot<A>, T)> = u.arbitrary()?;
        siblings.retain(|(dot, _)| dot.counter != 0);
        siblings.sort_by_key(|(dot, _)| *dot);
        siblings.dedup_by(|(a, _), (b, _)| a == b);
        siblings.truncate(concord_core::MAX_ENTRIES);
        let mut context: DotContext<A> = u.arbitrary()?;
        context.extend(siblings.iter().map(|(dot, _)| *dot));
        Ok(Self { siblings, context })
    }
}
