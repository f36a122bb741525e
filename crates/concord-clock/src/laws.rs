//! Law-kit models of every mergeable clock type (feature `laws`), for
//! [`concord_core::law_tests!`].
//!
//! Each model plays the type's real operations at 2 to 8 replicas with `u64` actors and keeps
//! an oracle, a plain description of what every replica must read once all states are
//! exchanged:
//!
//! | model | state | operation | oracle |
//! | --- | --- | --- | --- |
//! | [`VectorClockModel`] | [`VectorClock`] | `increment` | increments per actor |
//! | [`LamportModel`] | [`LamportTimestamp`] | `tick` of the replica's [`LamportClock`] | the greatest timestamp issued |
//! | [`HybridModel`] | [`HybridTimestamp`] | `now` of the replica's [`HybridClock`] on a [`ManualTimeSource`] that moves forwards and backwards | the greatest timestamp issued |
//! | [`DotContextModel`] | [`DotContext`] | insert the replica's next dot, a dot beyond a gap, or a dot that fills a gap | the set of dots inserted |
//!
//! ```
//! # #[cfg(any())] {
//! // tests/laws.rs
//! use concord_clock::laws::{DotContextModel, VectorClockModel};
//! concord_core::law_tests!(vector_clock: VectorClockModel, lattice);
//! concord_core::law_tests!(dot_context: DotContextModel, lattice);
//! # }
//! ```

use alloc::collections::{BTreeMap, BTreeSet};

use concord_core::laws::Model;
use concord_core::{Dot, Merge};

use crate::{
    DotContext, HybridClock, HybridTimestamp, LamportClock, LamportTimestamp, ManualTimeSource,
    VectorClock,
};

/// The actor of replica `index`: 1 to 8, so that 0 stays free for initial states.
fn actor(index: usize) -> u64 {
    u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1))
}

/// [`VectorClock`]: every operation increments the replica's own entry; the delta is the
/// single new entry. Oracle: how many times each actor incremented.
#[derive(Debug)]
pub struct VectorClockModel;

impl Model for VectorClockModel {
    type State = VectorClock<u64>;
    type Op = ();
    type Replica = u64;
    type Oracle = BTreeMap<u64, u64>;
    type Value = BTreeMap<u64, u64>;

    fn replica(index: usize) -> u64 {
        actor(index)
    }

    fn initial() -> VectorClock<u64> {
        VectorClock::new()
    }

    fn oracle() -> BTreeMap<u64, u64> {
        BTreeMap::new()
    }

    fn apply(
        actor: &mut u64,
        state: &mut VectorClock<u64>,
        (): &(),
        oracle: &mut BTreeMap<u64, u64>,
    ) -> Option<VectorClock<u64>> {
        let dot = state.increment(*actor).ok()?;
        let count = oracle.entry(*actor).or_insert(0);
        *count = count.saturating_add(1);
        Some(core::iter::once((dot.actor, dot.counter)).collect())
    }

    fn value(state: &VectorClock<u64>) -> BTreeMap<u64, u64> {
        state.iter().map(|(&a, n)| (a, n)).collect()
    }

    fn expected(oracle: &BTreeMap<u64, u64>) -> BTreeMap<u64, u64> {
        oracle.clone()
    }
}

/// [`LamportTimestamp`]: the state is the greatest timestamp a replica knows; every operation
/// ticks the replica's [`LamportClock`], which observes every state the replica receives.
/// Oracle: the greatest timestamp issued.
#[derive(Debug)]
pub struct LamportModel;

impl Model for LamportModel {
    type State = LamportTimestamp<u64>;
    type Op = ();
    type Replica = LamportClock<u64>;
    type Oracle = LamportTimestamp<u64>;
    type Value = LamportTimestamp<u64>;

    fn replica(index: usize) -> LamportClock<u64> {
        LamportClock::new(actor(index))
    }

    fn initial() -> LamportTimestamp<u64> {
        LamportTimestamp::new(0, 0)
    }

    fn oracle() -> LamportTimestamp<u64> {
        LamportTimestamp::new(0, 0)
    }

    fn apply(
        clock: &mut LamportClock<u64>,
        state: &mut LamportTimestamp<u64>,
        (): &(),
        oracle: &mut LamportTimestamp<u64>,
    ) -> Option<LamportTimestamp<u64>> {
        let stamp = clock.tick().ok()?;
        state.merge(&stamp);
        oracle.merge(&stamp);
        Some(stamp)
    }

    fn observe(clock: &mut LamportClock<u64>, incoming: &LamportTimestamp<u64>) {
        // A refusal (overflow) leaves the clock unchanged, which is all the model needs.
        let _ = clock.observe(incoming);
    }

    fn value(state: &LamportTimestamp<u64>) -> LamportTimestamp<u64> {
        *state
    }

    fn expected(oracle: &LamportTimestamp<u64>) -> LamportTimestamp<u64> {
        *oracle
    }
}

/// [`HybridTimestamp`]: the state is the greatest timestamp a replica knows. Each replica has
/// its own [`ManualTimeSource`], started a little apart; an operation moves that physical
/// clock (forwards, backwards, or not at all, so the logical counter is exercised) and stamps
/// an event with the replica's [`HybridClock`], which observes every state the replica receives
/// (and refuses those beyond its drift bound). Oracle: the greatest timestamp issued.
#[derive(Debug)]
pub struct HybridModel;

/// Physical time at replica 0 when a [`HybridModel`] world starts: 2023-11-14T22:13:20Z.
const HYBRID_EPOCH_MS: u64 = 1_700_000_000_000;

impl Model for HybridModel {
    type State = HybridTimestamp<u64>;
    type Op = i16;
    type Replica = HybridClock<u64, ManualTimeSource>;
    type Oracle = HybridTimestamp<u64>;
    type Value = HybridTimestamp<u64>;

    fn replica(index: usize) -> HybridClock<u64, ManualTimeSource> {
        let actor = actor(index);
        let start = HYBRID_EPOCH_MS.saturating_add(actor.saturating_mul(37));
        HybridClock::new(actor, ManualTimeSource::new(start))
    }

    fn initial() -> HybridTimestamp<u64> {
        HybridTimestamp::new(0, 0, 0)
    }

    fn oracle() -> HybridTimestamp<u64> {
        HybridTimestamp::new(0, 0, 0)
    }

    fn apply(
        clock: &mut HybridClock<u64, ManualTimeSource>,
        state: &mut HybridTimestamp<u64>,
        op: &i16,
        oracle: &mut HybridTimestamp<u64>,
    ) -> Option<HybridTimestamp<u64>> {
        // One operation in four keeps the same millisecond; the others move physical time by
        // up to about half a second either way.
        if op % 4 != 0 {
            let step = op / 64;
            let time = clock.source();
            if step >= 0 {
                time.advance(step.unsigned_abs().into());
            } else {
                time.rewind(step.unsigned_abs().into());
            }
        }
        let stamp = clock.now();
        state.merge(&stamp);
        oracle.merge(&stamp);
        Some(stamp)
    }

    fn observe(clock: &mut HybridClock<u64, ManualTimeSource>, incoming: &HybridTimestamp<u64>) {
        // A remote beyond the drift bound is refused and the clock left unchanged; the state
        // itself still merges, as a replica keeps data it cannot yet order after.
        let _ = clock.observe(incoming);
    }

    fn value(state: &HybridTimestamp<u64>) -> HybridTimestamp<u64> {
        *state
    }

    fn expected(oracle: &HybridTimestamp<u64>) -> HybridTimestamp<u64> {
        *oracle
    }
}

/// One operation of a [`DotContextModel`] replica, chosen by the generated byte.
fn dot_op(actor: u64, state: &DotContext<u64>, op: u8) -> Option<Dot<u64>> {
    match op % 4 {
        // The replica's next event.
        0 | 1 => state.checked_next_dot(actor).ok(),
        // An event whose predecessors are still in flight: 1 to 3 dots beyond the next.
        2 => {
            let skip = u64::from(op / 4 % 3) + 1;
            state
                .max_counter(&actor)
                .checked_add(1)?
                .checked_add(skip)
                .map(|counter| Dot::new(actor, counter))
        }
        // A late event arriving: the first dot missing below the largest seen, if any.
        _ => {
            let first_missing = state.vector().get(&actor).checked_add(1)?;
            (first_missing < state.max_counter(&actor)).then(|| Dot::new(actor, first_missing))
        }
    }
}

/// [`DotContext`]: every operation inserts one dot of the replica's own actor: mostly its next
/// dot, sometimes a dot beyond a gap (as when an event's predecessors are still in flight), and
/// sometimes the first missing dot (their late arrival), so the cloud grows and folds back into
/// the vector. The delta is the context holding only the new dot, so deltas delivered out of
/// order build clouds at the receivers too. Oracle: the set of dots inserted.
#[derive(Debug)]
pub struct DotContextModel;

impl Model for DotContextModel {
    type State = DotContext<u64>;
    type Op = u8;
    type Replica = u64;
    type Oracle = BTreeSet<(u64, u64)>;
    type Value = BTreeSet<(u64, u64)>;

    fn replica(index: usize) -> u64 {
        actor(index)
    }

    fn initial() -> DotContext<u64> {
        DotContext::new()
    }

    fn oracle() -> BTreeSet<(u64, u64)> {
        BTreeSet::new()
    }

    fn apply(
        actor: &mut u64,
        state: &mut DotContext<u64>,
        op: &u8,
        oracle: &mut BTreeSet<(u64, u64)>,
    ) -> Option<DotContext<u64>> {
        let dot = dot_op(*actor, state, *op)?;
        state.insert(dot);
        oracle.insert((dot.actor, dot.counter));
        Some(core::iter::once(dot).collect())
    }

    fn value(state: &DotContext<u64>) -> BTreeSet<(u64, u64)> {
        let contiguous = state
            .vector()
            .iter()
            .flat_map(|(&actor, n)| (1..=n).map(move |counter| (actor, counter)));
        let cloud = state.cloud().iter().map(|d| (d.actor, d.counter));
        contiguous.chain(cloud).collect()
    }

    fn expected(oracle: &BTreeSet<(u64, u64)>) -> BTreeSet<(u64, u64)> {
        oracle.clone()
    }
}
