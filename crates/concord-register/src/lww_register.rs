use core::cmp::Ordering;

use concord_clock::HybridTimestamp;
use concord_core::{Merge, ReplicaId};

/// A last-writer-wins register: one value and the stamp of the write that put it there.
///
/// `S` is the stamp type, any totally ordered stamp: [`HybridTimestamp`] by default (wall-clock
/// time that survives clock skew, see `concord_clock::HybridClock`), or
/// `concord_clock::LamportTimestamp` when only causality matters. Both carry the writer's actor,
/// so two honest replicas never produce equal stamps.
///
/// # Merge
///
/// The write with the greater stamp wins. Merging never reads a clock and never changes a stored
/// stamp: the merged register is always one of its two inputs.
///
/// Equal stamps with different values cannot come from honest replicas (the actor is part of
/// the stamp, and one actor never reuses a stamp). A misbehaving peer can still send one, so the
/// merge breaks that tie deterministically: **the greater value (by `T: Ord`) wins**. Every
/// replica then picks the same value whatever the order of delivery, and the merge stays
/// commutative, associative and idempotent. Equivalently, the register holds the maximum of its
/// writes in the order "stamp, then value", which is also its [`PartialOrd`].
///
/// This tie-break is the only reason merging needs `T: Ord`. Without it, two replicas that
/// receive the equal-stamped writes in opposite orders would each keep the one they saw first
/// and never converge, so the bound stays even though honest histories never use it.
///
/// # Producing stamps
///
/// Stamps must come from one clock per replica (`concord_clock::LamportClock` or
/// `concord_clock::HybridClock`, under the replica's own actor), and the replica must `observe`
/// every remote stamp it receives (the [`stamp`](Self::stamp) of every register it merges)
/// before its next write. Then every write is stamped after everything the replica has seen,
/// so a replica's own later write always wins where it was made (read-your-writes), and a
/// write that causally follows another always wins everywhere.
///
/// A write whose stamp is not greater than the current one (a stale clock, a clock that did not
/// observe what the replica merged) loses, exactly like any older write arriving late:
/// [`set`](Self::set) still returns the delta, and merging it anywhere changes nothing unless it
/// is greater than what that replica holds.
///
/// # Examples
///
/// ```
/// use concord_clock::{LamportClock, LamportTimestamp};
/// use concord_register::{LwwRegister, Merge};
///
/// let mut clock_a = LamportClock::new(1u64);
/// let mut clock_b = LamportClock::new(2u64);
/// let mut a = LwwRegister::new("draft", clock_a.tick()?);
/// let mut b = a.clone();
/// clock_b.observe(a.stamp())?;
///
/// let delta = b.set("final", clock_b.tick()?);
/// a.merge(&delta);
/// clock_a.observe(a.stamp())?;
/// assert_eq!(*a.value(), "final");
///
/// // A write stamped by a clock that saw everything wins locally (read-your-writes).
/// a.set("published", clock_a.tick()?);
/// assert_eq!(*a.value(), "published");
/// # Ok::<(), concord_clock::Overflow>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "T: serde::Serialize, S: serde::Serialize",
        deserialize = "T: serde::Deserialize<'de>, S: serde::Deserialize<'de>"
    ))
)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct LwwRegister<T, S = HybridTimestamp<ReplicaId>> {
    // Field order is the wire order: the stamp, then the value.
    stamp: S,
    value: T,
}

impl<T, S> LwwRegister<T, S> {
    /// A register holding `value`, written at `stamp`.
    #[must_use]
    pub const fn new(value: T, stamp: S) -> Self {
        Self { stamp, value }
    }

    /// The current value.
    #[must_use]
    pub const fn value(&self) -> &T {
        &self.value
    }

    /// The stamp of the write that put the current value there.
    #[must_use]
    pub const fn stamp(&self) -> &S {
        &self.stamp
    }

    /// The current value, consuming the register.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The current value and its stamp, consuming the register.
    #[must_use]
    pub fn into_parts(self) -> (T, S) {
        (self.value, self.stamp)
    }
}

impl<T: Ord + Clone, S: Ord + Clone> LwwRegister<T, S> {
    /// Writes `value` at `stamp` and returns the delta to ship: a register holding just this
    /// write.
    ///
    /// The write takes effect here when `(stamp, value)` is greater than the current
    /// `(stamp, value)`; otherwise it loses like any older write, the register is unchanged,
    /// and the delta is still returned (merging it anywhere is harmless). See the type's
    /// documentation for how to produce stamps so that a replica's own writes always win
    /// locally.
    pub fn set(&mut self, value: T, stamp: S) -> Self {
        let delta = Self::new(value, stamp);
        self.merge(&delta);
        delta
    }
}

impl<T: Ord + Clone, S: Ord + Clone> Merge for LwwRegister<T, S> {
    /// Keeps the write with the greater stamp; on equal stamps (only a misbehaving peer sends
    /// those), the greater value.
    fn merge(&mut self, other: &Self) {
        if other.cmp(self) == Ordering::Greater {
            self.clone_from(other);
        }
    }
}

impl<T: Ord + Clone, S: Ord + Clone> concord_core::Novelty for LwwRegister<T, S> {
    /// `delta` when it wins over this write, else nothing.
    fn novel(&self, delta: &Self) -> Option<Self> {
        (delta.cmp(self) == Ordering::Greater).then(|| delta.clone())
    }
}

/// Catch-up: the summary is the stamp of the write a replica holds, and the answer is this
/// register when its stamp is at least as great (on equal stamps it is sent too, so that the
/// tie-break by value is settled), else nothing.
///
/// "Nothing" is the `Default` register, which a replication engine takes for the bottom: its
/// stamp must be the least one, as it is for `LamportTimestamp` and `HybridTimestamp` (zero
/// counters and times, actor 0 or the nil `ReplicaId`), which no clock hands out.
impl<T, S> concord_core::CatchUp for LwwRegister<T, S>
where
    T: Ord + Clone + Default,
    S: Ord + Clone + Default,
{
    type Summary = S;

    fn summary(&self) -> S {
        self.stamp.clone()
    }

    fn delta_since(&self, summary: &S) -> Self {
        if self.stamp >= *summary {
            self.clone()
        } else {
            Self::default()
        }
    }
}

/// A register keeps no tombstones: nothing to free, and no stamp for the engine to track.
impl<T, S> concord_core::Stability for LwwRegister<T, S> {
    type Stamp = ();
}

/// The lattice order: by stamp, then (for the ties only a misbehaving peer produces) by value.
/// It is total, and the merge keeps the maximum.
impl<T: Ord, S: Ord> PartialOrd for LwwRegister<T, S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The lattice order, see [`PartialOrd`].
impl<T: Ord, S: Ord> Ord for LwwRegister<T, S> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.stamp
            .cmp(&other.stamp)
            .then_with(|| self.value.cmp(&other.value))
    }
}

/// Every pair of a value and a stamp is a valid register, so decoding validates no more than
/// the value's and the stamp's own decoders do.
#[cfg(feature = "serde")]
impl<T, S> concord_core::codec::WireType for LwwRegister<T, S>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    S: serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::LWW_REGISTER;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LwwRegister";
}
