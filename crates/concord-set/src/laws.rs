//! Law-kit models of [`LwwElementSet`] for both biases and of [`OrSet`] (feature `laws`).
//!
//! Replicas insert and remove small elements (`u8`, drawn from a dozen values so operations
//! collide), stamping each operation with their own `LamportClock` (actor = replica index) and
//! advancing it past every stamp they receive. The oracle keeps, per element, the greatest add
//! stamp and the greatest remove stamp of all operations in a `BTreeMap`; an element is present
//! iff its greatest add stamp beats its greatest remove stamp under the bias.
//!
//! ```ignore
//! // tests/laws.rs
//! use concord_set::laws::{AddWinsModel, RemoveWinsModel};
//! concord_core::law_tests!(add_wins: AddWinsModel, lattice, novelty, catch_up);
//! concord_core::law_tests!(remove_wins: RemoveWinsModel, lattice, novelty, catch_up);
//! ```

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::marker::PhantomData;

use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::Dot;
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::{AddWins, Bias, LwwElementSet, OrSet, RemoveWins};

/// The stamp the models use: a Lamport timestamp whose actor is the replica index.
pub type Stamp = LamportTimestamp<u64>;

/// How many distinct elements the models draw from.
pub const ELEMENTS: u8 = 12;

/// One local operation of the models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SetOp {
    /// Insert the element.
    Insert(u8),
    /// Remove the element.
    Remove(u8),
}

impl Arbitrary for SetOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let elem = u8::arbitrary(g) % ELEMENTS;
        if bool::arbitrary(g) {
            Self::Insert(elem)
        } else {
            Self::Remove(elem)
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Self::Insert(e) => Box::new(e.shrink().map(Self::Insert)),
            Self::Remove(e) => Box::new(e.shrink().map(Self::Remove).chain([Self::Insert(e)])),
        }
    }
}

/// The oracle: per element, the greatest add stamp and the greatest remove stamp.
pub type Oracle = BTreeMap<u8, (Option<Stamp>, Option<Stamp>)>;

/// The elements the oracle says are present under bias `B`, in order: those whose greatest
/// add stamp is greater than the greatest remove stamp, or equal to it when ties go to the add.
#[must_use]
pub fn oracle_value<B: Bias>(oracle: &Oracle) -> Vec<u8> {
    oracle
        .iter()
        .filter(|(_, (add, remove))| match (add, remove) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(a), Some(r)) => a > r || (a == r && B::ADD_WINS_TIES),
        })
        .map(|(&elem, _)| elem)
        .collect()
}

/// The model of `LwwElementSet<u8, Stamp, B>`.
#[derive(Debug)]
pub struct LwwElementSetModel<B>(PhantomData<B>);

/// The model of the add-wins set.
pub type AddWinsModel = LwwElementSetModel<AddWins>;

/// The model of the remove-wins set.
pub type RemoveWinsModel = LwwElementSetModel<RemoveWins>;

impl<B: Bias> Model for LwwElementSetModel<B> {
    type State = LwwElementSet<u8, Stamp, B>;
    type Op = SetOp;
    type Replica = LamportClock<u64>;
    type Oracle = Oracle;
    type Value = Vec<u8>;

    fn replica(index: usize) -> LamportClock<u64> {
        LamportClock::new(index as u64)
    }

    fn initial() -> Self::State {
        LwwElementSet::new()
    }

    fn oracle() -> Oracle {
        BTreeMap::new()
    }

    fn apply(
        clock: &mut LamportClock<u64>,
        state: &mut Self::State,
        op: &SetOp,
        oracle: &mut Oracle,
    ) -> Option<Self::State> {
        let stamp = clock.tick().ok()?;
        let (elem, is_add) = match *op {
            SetOp::Insert(e) => (e, true),
            SetOp::Remove(e) => (e, false),
        };
        let slot = oracle.entry(elem).or_default();
        let max = if is_add { &mut slot.0 } else { &mut slot.1 };
        if Some(stamp) > *max {
            *max = Some(stamp);
        }
        Some(if is_add {
            state.insert(elem, stamp)
        } else {
            state.remove(elem, stamp)
        })
    }

    fn observe(clock: &mut LamportClock<u64>, incoming: &Self::State) {
        if let Some(stamp) = incoming.max_stamp() {
            // Only a time of u64::MAX overflows; the model never gets near it.
            let _ = clock.observe(stamp);
        }
    }

    fn value(state: &Self::State) -> Vec<u8> {
        state.iter().copied().collect()
    }

    fn expected(oracle: &Oracle) -> Vec<u8> {
        oracle_value::<B>(oracle)
    }
}

/// The sequential specification of an add-wins observed-remove set: every add is an event
/// with its dot; a remove at a replica removes the adds of its element whose dots that
/// replica has seen (its causal context at the time). An element is present iff some add of
/// it has not been removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrSetOracle {
    /// Every add: its dot and its element.
    pub adds: BTreeMap<Dot<u64>, u8>,
    /// The adds some remove observed.
    pub removed: alloc::collections::BTreeSet<Dot<u64>>,
}

impl OrSetOracle {
    /// The present elements, in order.
    #[must_use]
    pub fn present(&self) -> Vec<u8> {
        let present: alloc::collections::BTreeSet<u8> = self
            .adds
            .iter()
            .filter(|(dot, _)| !self.removed.contains(dot))
            .map(|(_, &elem)| elem)
            .collect();
        present.into_iter().collect()
    }
}

/// The model of `OrSet<u8, u64>`: replica `i` adds and removes under actor `i`.
#[derive(Debug)]
pub struct OrSetModel;

impl Model for OrSetModel {
    type State = OrSet<u8, u64>;
    type Op = SetOp;
    type Replica = u64;
    type Oracle = OrSetOracle;
    type Value = Vec<u8>;

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> Self::State {
        OrSet::new()
    }

    fn oracle() -> OrSetOracle {
        OrSetOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut Self::State,
        op: &SetOp,
        oracle: &mut OrSetOracle,
    ) -> Option<Self::State> {
        match *op {
            SetOp::Insert(elem) => {
                let dot = state.context().next_dot(*actor);
                let delta = state.insert(*actor, elem).ok()?;
                oracle.adds.insert(dot, elem);
                Some(delta)
            }
            SetOp::Remove(elem) => {
                let seen: Vec<Dot<u64>> = oracle
                    .adds
                    .iter()
                    .filter(|&(dot, &e)| e == elem && state.context().contains(dot))
                    .map(|(dot, _)| *dot)
                    .collect();
                oracle.removed.extend(seen);
                Some(state.remove(&elem))
            }
        }
    }

    fn value(state: &Self::State) -> Vec<u8> {
        state.iter().copied().collect()
    }

    fn expected(oracle: &OrSetOracle) -> Vec<u8> {
        oracle.present()
    }
}
