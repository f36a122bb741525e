//! Law-kit models of both registers (feature `laws`), for [`concord_core::law_tests!`].
//!
//! Each model plays the register's real operations at 2 to 8 replicas with `u64` actors (1 to
//! 8; 0 is left to initial states) and keeps an oracle, a plain description of what every
//! replica must read once all states are exchanged:
//!
//! | model | state | operation | oracle |
//! | --- | --- | --- | --- |
//! | [`LwwLamportModel`] | [`LwwRegister`] with [`LamportTimestamp`] stamps | `set` stamped by the replica's [`LamportClock`], which observes every stamp it receives | the value written with the greatest stamp |
//! | [`LwwHybridModel`] | [`LwwRegister`] with [`HybridTimestamp`] stamps | `set` stamped by the replica's [`HybridClock`], whose physical time moves forwards and backwards | the value written with the greatest stamp |
//! | [`MvModel`] | [`MvRegister`] | `write` with the context of a fresh read, an empty context, or the context of the replica's previous write | every write that no write's context covered |
//!
//! The LWW oracles also check read-your-writes: a `set` that does not win at the replica that
//! made it is recorded, and the kit reports the mismatch.
//!
//! ```
//! # #[cfg(any())] {
//! // tests/laws.rs
//! use concord_register::laws::{LwwLamportModel, MvModel};
//! concord_core::law_tests!(lww: LwwLamportModel, lattice);
//! concord_core::law_tests!(mv: MvModel, lattice);
//! # }
//! ```

use alloc::vec::Vec;

use concord_clock::{
    DotContext, HybridClock, HybridTimestamp, LamportClock, LamportTimestamp, ManualTimeSource,
};
use concord_core::Dot;
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::{LwwRegister, MvRegister};

/// The actor of replica `index`: 1 to 8, so that 0 stays free for initial states.
fn actor(index: usize) -> u64 {
    u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1))
}

/// What the LWW models' oracle tracks: the greatest write so far, and whether any write lost
/// at the replica that made it (a read-your-writes failure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwOracle<S> {
    /// The write with the greatest stamp, if any.
    pub greatest: Option<(S, u8)>,
    /// Whether some write did not win where it was made.
    pub lost_own_write: bool,
}

impl<S: Ord + Copy> LwwOracle<S> {
    const fn new() -> Self {
        Self {
            greatest: None,
            lost_own_write: false,
        }
    }

    fn record(&mut self, stamp: S, value: u8, won_locally: bool) {
        if self.greatest.is_none_or(|(best, _)| stamp > best) {
            self.greatest = Some((stamp, value));
        }
        self.lost_own_write |= !won_locally;
    }

    fn expected(&self) -> (u8, bool) {
        (self.greatest.map_or(0, |(_, value)| value), false)
    }
}

/// [`LwwRegister`] stamped by [`LamportClock`]s. Every operation ticks the replica's clock and
/// sets the operation's value; every state the replica receives is observed by its clock.
///
/// Value: the register's value and `false`; the oracle expects the value of the greatest
/// stamp and reports `true` if a write ever lost at its own replica.
#[derive(Debug)]
pub struct LwwLamportModel;

impl Model for LwwLamportModel {
    type State = LwwRegister<u8, LamportTimestamp<u64>>;
    type Op = u8;
    type Replica = LamportClock<u64>;
    type Oracle = LwwOracle<LamportTimestamp<u64>>;
    type Value = (u8, bool);

    fn replica(index: usize) -> LamportClock<u64> {
        LamportClock::new(actor(index))
    }

    fn initial() -> Self::State {
        LwwRegister::new(0, LamportTimestamp::new(0, 0))
    }

    fn oracle() -> Self::Oracle {
        LwwOracle::new()
    }

    fn apply(
        clock: &mut LamportClock<u64>,
        state: &mut Self::State,
        op: &u8,
        oracle: &mut Self::Oracle,
    ) -> Option<Self::State> {
        let stamp = clock.tick().ok()?;
        let delta = state.set(*op, stamp);
        oracle.record(stamp, *op, *state == delta);
        Some(delta)
    }

    fn observe(clock: &mut LamportClock<u64>, incoming: &Self::State) {
        // Overflow needs a remote time of u64::MAX, which no world produces.
        let _ = clock.observe(incoming.stamp());
    }

    fn value(state: &Self::State) -> (u8, bool) {
        (*state.value(), false)
    }

    fn expected(oracle: &Self::Oracle) -> (u8, bool) {
        oracle.expected()
    }
}

/// One operation of [`LwwHybridModel`]: move the replica's physical time, then set a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct HybridOp {
    /// Milliseconds to move physical time: forwards when positive, backwards (a clock
    /// correction) when negative.
    pub shift: i8,
    /// The value to set.
    pub value: u8,
}

impl Arbitrary for HybridOp {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            shift: i8::arbitrary(g),
            value: u8::arbitrary(g),
        }
    }
}

/// A replica of [`LwwHybridModel`]: a hybrid clock and the handle that moves its physical
/// time.
#[derive(Clone, Debug)]
pub struct HybridReplica {
    /// The replica's clock.
    pub clock: HybridClock<u64, ManualTimeSource>,
    /// Its physical time.
    pub time: ManualTimeSource,
}

/// [`LwwRegister`] stamped by [`HybridClock`]s, each on its own [`ManualTimeSource`] that every
/// operation moves forwards or backwards. The clocks accept any drift (the skew check is
/// covered by behaviour tests), so every received stamp is observed.
///
/// Value and oracle as in [`LwwLamportModel`].
#[derive(Debug)]
pub struct LwwHybridModel;

impl Model for LwwHybridModel {
    type State = LwwRegister<u8, HybridTimestamp<u64>>;
    type Op = HybridOp;
    type Replica = HybridReplica;
    type Oracle = LwwOracle<HybridTimestamp<u64>>;
    type Value = (u8, bool);

    fn replica(index: usize) -> HybridReplica {
        let time = ManualTimeSource::new(1_000_000);
        let clock = HybridClock::new(actor(index), time.clone()).with_max_drift(u64::MAX);
        HybridReplica { clock, time }
    }

    fn initial() -> Self::State {
        LwwRegister::new(0, HybridTimestamp::new(0, 0, 0))
    }

    fn oracle() -> Self::Oracle {
        LwwOracle::new()
    }

    fn apply(
        replica: &mut HybridReplica,
        state: &mut Self::State,
        op: &HybridOp,
        oracle: &mut Self::Oracle,
    ) -> Option<Self::State> {
        let shift = u64::from(op.shift.unsigned_abs());
        if op.shift >= 0 {
            replica.time.advance(shift);
        } else {
            replica.time.rewind(shift);
        }
        let stamp = replica.clock.now();
        let delta = state.set(op.value, stamp);
        oracle.record(stamp, op.value, *state == delta);
        Some(delta)
    }

    fn observe(replica: &mut HybridReplica, incoming: &Self::State) {
        // The drift limit is u64::MAX, so nothing is refused.
        let _ = replica.clock.observe(incoming.stamp());
    }

    fn value(state: &Self::State) -> (u8, bool) {
        (*state.value(), false)
    }

    fn expected(oracle: &Self::Oracle) -> (u8, bool) {
        oracle.expected()
    }
}

/// Which context an [`MvOp`] writes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ContextChoice {
    /// The context of a read made just now: the write replaces every current sibling.
    Current,
    /// The empty context: a blind write that replaces nothing.
    Empty,
    /// The context this replica wrote with last time: a write from a stale read.
    Stale,
}

/// One operation of [`MvModel`]: write `value` with the chosen context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MvOp {
    /// The value written.
    pub value: u8,
    /// The context it is written with.
    pub context: ContextChoice,
}

impl Arbitrary for MvOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let context = match u8::arbitrary(g) % 6 {
            0..=3 => ContextChoice::Current,
            4 => ContextChoice::Empty,
            _ => ContextChoice::Stale,
        };
        Self {
            value: u8::arbitrary(g),
            context,
        }
    }
}

/// A replica of [`MvModel`]: its actor and the context of its previous write.
#[derive(Clone, Debug)]
pub struct MvReplica {
    /// The replica's actor.
    pub actor: u64,
    /// The context its previous write used (empty before the first).
    pub previous: DotContext<u64>,
}

/// One write as the [`MvModel`] oracle records it.
#[derive(Clone, Debug)]
pub struct MvWrite {
    /// The dot the write got.
    pub dot: Dot<u64>,
    /// The value written.
    pub value: u8,
    /// The context it was written with: every write it replaces.
    pub seen: DotContext<u64>,
}

/// [`MvRegister`]: every operation writes a value with a fresh read's context, an empty
/// context or the replica's previous context.
///
/// Value: the siblings as `(dot, value)` pairs. Oracle: every write, with the context it used;
/// the expected siblings are exactly the writes whose dot no write's context contains (the
/// writes not overwritten by a write that saw them), sorted by dot.
#[derive(Debug)]
pub struct MvModel;

impl Model for MvModel {
    type State = MvRegister<u8, u64>;
    type Op = MvOp;
    type Replica = MvReplica;
    type Oracle = Vec<MvWrite>;
    type Value = Vec<(Dot<u64>, u8)>;

    fn replica(index: usize) -> MvReplica {
        MvReplica {
            actor: actor(index),
            previous: DotContext::new(),
        }
    }

    fn initial() -> Self::State {
        MvRegister::new()
    }

    fn oracle() -> Vec<MvWrite> {
        Vec::new()
    }

    fn apply(
        replica: &mut MvReplica,
        state: &mut Self::State,
        op: &MvOp,
        oracle: &mut Vec<MvWrite>,
    ) -> Option<Self::State> {
        let seen = match op.context {
            ContextChoice::Current => state.read().1,
            ContextChoice::Empty => DotContext::new(),
            ContextChoice::Stale => replica.previous.clone(),
        };
        let delta = state.write(replica.actor, op.value, &seen).ok()?;
        let (dot, _) = delta.siblings().first()?;
        oracle.push(MvWrite {
            dot: *dot,
            value: op.value,
            seen: seen.clone(),
        });
        replica.previous = seen;
        Some(delta)
    }

    fn value(state: &Self::State) -> Vec<(Dot<u64>, u8)> {
        state.siblings().to_vec()
    }

    fn expected(oracle: &Vec<MvWrite>) -> Vec<(Dot<u64>, u8)> {
        let mut live: Vec<(Dot<u64>, u8)> = oracle
            .iter()
            .filter(|w| !oracle.iter().any(|other| other.seen.contains(&w.dot)))
            .map(|w| (w.dot, w.value))
            .collect();
        live.sort_unstable();
        live
    }
}
