//! Law-kit models of both counters, for `concord_core::law_tests!` (feature `laws`).
//!
//! A world's operations are increments (and, for [`PnCounterModel`], decrements) by mostly
//! small amounts, sometimes zero and sometimes close to `u64::MAX`, so that some operations are
//! refused with [`Overflow`](crate::Overflow). The oracle is the plain sum of every accepted
//! increment minus every accepted decrement, across all replicas.
//!
//! The models are generic over the actor type: `u64` actors (replica index = actor) by default,
//! and [`ReplicaId`] actors whose order differs from the replicas' order.
//!
//! ```
//! // tests/laws.rs: one `#[test]` per law and model.
//! use concord_counter::ReplicaId;
//! use concord_counter::laws::{GCounterModel, PnCounterModel};
//!
//! concord_core::law_tests!(g_counter: GCounterModel, lattice);
//! concord_core::law_tests!(pn_counter: PnCounterModel, lattice);
//! concord_core::law_tests!(g_counter_replica_id: GCounterModel<ReplicaId>, lattice);
//! # fn main() {}
//! ```

use alloc::boxed::Box;
use core::fmt::Debug;
use core::marker::PhantomData;

use concord_core::laws::{Arbitrary, Gen, Model};
use concord_core::{Actor, ReplicaId};

use crate::{GCounter, PnCounter};

/// An actor type the models can give each replica: a distinct actor per replica index.
pub trait ModelActor: Actor + 'static {
    /// The actor of replica number `index`; distinct indices give distinct actors.
    fn for_replica(index: usize) -> Self;
}

impl ModelActor for u64 {
    fn for_replica(index: usize) -> Self {
        index as u64
    }
}

impl ModelActor for ReplicaId {
    /// Spread over the id space (an odd multiplier is a bijection), so the actors' order is not
    /// the replicas' order.
    fn for_replica(index: usize) -> Self {
        ReplicaId::from_u128(
            (index as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
        )
    }
}

/// An amount to count: mostly small, sometimes zero, sometimes huge enough that a second one on
/// the same actor overflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Amount(pub u64);

impl Arbitrary for Amount {
    fn arbitrary(g: &mut Gen) -> Self {
        let small = u64::from(u16::arbitrary(g) % 1000);
        Amount(match u8::arbitrary(g) % 32 {
            0 => 0,
            1 => u64::MAX - small,
            2 => (1 << 63) + small,
            3 => u64::arbitrary(g),
            _ => small + 1,
        })
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(Amount))
    }
}

/// One operation on a [`PnCounter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PnOp {
    /// `increment(actor, amount)`.
    Increment(Amount),
    /// `decrement(actor, amount)`.
    Decrement(Amount),
}

impl Arbitrary for PnOp {
    fn arbitrary(g: &mut Gen) -> Self {
        if bool::arbitrary(g) {
            PnOp::Increment(Amount::arbitrary(g))
        } else {
            PnOp::Decrement(Amount::arbitrary(g))
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            PnOp::Increment(a) => Box::new(a.shrink().map(PnOp::Increment)),
            PnOp::Decrement(a) => Box::new(a.shrink().map(PnOp::Decrement)),
        }
    }
}

/// The law-kit model of [`GCounter`]: operations are increments, the oracle is their sum.
pub struct GCounterModel<A = u64>(PhantomData<fn() -> A>);

impl<A> Debug for GCounterModel<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GCounterModel")
    }
}

impl<A: ModelActor> Model for GCounterModel<A> {
    type State = GCounter<A>;
    type Op = Amount;
    type Replica = A;
    type Oracle = u128;
    type Value = u128;

    fn replica(index: usize) -> A {
        A::for_replica(index)
    }

    fn initial() -> GCounter<A> {
        GCounter::new()
    }

    fn oracle() -> u128 {
        0
    }

    fn apply(
        actor: &mut A,
        state: &mut GCounter<A>,
        op: &Amount,
        oracle: &mut u128,
    ) -> Option<GCounter<A>> {
        let delta = state.increment(*actor, op.0).ok()?;
        *oracle += u128::from(op.0);
        Some(delta)
    }

    fn value(state: &GCounter<A>) -> u128 {
        state.value()
    }

    fn expected(oracle: &u128) -> u128 {
        *oracle
    }
}

/// The law-kit model of [`PnCounter`]: operations are increments and decrements, the oracle
/// is the sum of the increments minus the sum of the decrements.
pub struct PnCounterModel<A = u64>(PhantomData<fn() -> A>);

impl<A> Debug for PnCounterModel<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PnCounterModel")
    }
}

impl<A: ModelActor> Model for PnCounterModel<A> {
    type State = PnCounter<A>;
    type Op = PnOp;
    type Replica = A;
    type Oracle = i128;
    type Value = i128;

    fn replica(index: usize) -> A {
        A::for_replica(index)
    }

    fn initial() -> PnCounter<A> {
        PnCounter::new()
    }

    fn oracle() -> i128 {
        0
    }

    fn apply(
        actor: &mut A,
        state: &mut PnCounter<A>,
        op: &PnOp,
        oracle: &mut i128,
    ) -> Option<PnCounter<A>> {
        match *op {
            PnOp::Increment(Amount(n)) => {
                let delta = state.increment(*actor, n).ok()?;
                *oracle += i128::from(n);
                Some(delta)
            }
            PnOp::Decrement(Amount(n)) => {
                let delta = state.decrement(*actor, n).ok()?;
                *oracle -= i128::from(n);
                Some(delta)
            }
        }
    }

    fn value(state: &PnCounter<A>) -> i128 {
        state.value()
    }

    fn expected(oracle: &i128) -> i128 {
        *oracle
    }
}
