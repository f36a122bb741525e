use concord_core::{Actor, Merge, Overflow, ReplicaId};

/// One event's Lamport time: totally ordered by `time`, then `actor`.
///
/// Two replicas never produce the same timestamp (their actors differ), so timestamps can order
/// writes in a last-writer-wins register. Merging keeps the greater timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct LamportTimestamp<A = ReplicaId> {
    /// Logical time. Field order matters: the derived order compares `time` first.
    pub time: u64,
    /// The replica that made the event; breaks ties.
    pub actor: A,
}

impl<A> LamportTimestamp<A> {
    /// The timestamp `time` of `actor`.
    #[must_use]
    pub const fn new(time: u64, actor: A) -> Self {
        Self { time, actor }
    }
}

impl<A: Actor> Merge for LamportTimestamp<A> {
    /// Keeps the greater timestamp.
    fn merge(&mut self, other: &Self) {
        if *other > *self {
            *self = *other;
        }
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for LamportTimestamp<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::LAMPORT_TIMESTAMP;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LamportTimestamp";
}

/// A Lamport clock (Lamport, "Time, Clocks, and the Ordering of Events in a Distributed
/// System", 1978): one per replica, ticked for every local event and advanced past every
/// timestamp the replica receives.
///
/// ```
/// use concord_clock::LamportClock;
///
/// let mut a = LamportClock::new(1u64);
/// let mut b = LamportClock::new(2u64);
/// let t1 = a.tick()?;
/// b.observe(&t1)?; // receive rule: max(local, remote) + 1
/// let t2 = b.tick()?;
/// assert!(t2 > t1);
/// # Ok::<(), concord_clock::Overflow>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LamportClock<A = ReplicaId> {
    actor: A,
    time: u64,
}

impl<A: Actor> LamportClock<A> {
    /// A clock for `actor` at time 0.
    #[must_use]
    pub const fn new(actor: A) -> Self {
        Self { actor, time: 0 }
    }

    /// The replica this clock belongs to.
    #[must_use]
    pub const fn actor(&self) -> A {
        self.actor
    }

    /// The time of the last event (0 before the first).
    #[must_use]
    pub const fn time(&self) -> u64 {
        self.time
    }

    /// The timestamp of the last event, without advancing.
    #[must_use]
    pub const fn current(&self) -> LamportTimestamp<A> {
        LamportTimestamp {
            time: self.time,
            actor: self.actor,
        }
    }

    /// Advances for a local event and returns its timestamp.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when the time is already `u64::MAX`; the clock is unchanged.
    pub fn tick(&mut self) -> Result<LamportTimestamp<A>, Overflow> {
        self.time = self
            .time
            .checked_add(1)
            .ok_or(Overflow::new(self.time, 1))?;
        Ok(self.current())
    }

    /// Applies the receive rule for a remote timestamp: the time becomes
    /// `max(local, remote) + 1`.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when that would not fit in a `u64` (a remote time of
    /// `u64::MAX`, as only a faulty or hostile peer sends); the clock is unchanged.
    pub fn observe(&mut self, remote: &LamportTimestamp<A>) -> Result<(), Overflow> {
        let seen = self.time.max(remote.time);
        self.time = seen.checked_add(1).ok_or(Overflow::new(seen, 1))?;
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for LamportClock<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::LAMPORT_CLOCK;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LamportClock";
}
