//! Law-kit models of [`LwwElementSet`] for both biases (feature `laws`).
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
//! concord_core::law_tests!(add_wins: AddWinsModel, lattice);
//! concord_core::law_tests!(remove_wins: RemoveWinsModel, lattice);
//! ```

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::marker::PhantomData;

use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::{AddWins, Bias, LwwElementSet, RemoveWins};

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
