//! The law kit over worlds of increments and decrements, with `u64` and `ReplicaId` actors.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_core::laws::{Arbitrary, DEFAULT_SEED, Gen, Model, Script, World};
use concord_counter::ReplicaId;
use concord_counter::laws::{GCounterModel, PnCounterModel};

concord_core::law_tests!(g_counter: GCounterModel, lattice, novelty, catch_up);
concord_core::law_tests!(pn_counter: PnCounterModel, lattice, novelty, catch_up);
concord_core::law_tests!(g_counter_replica_id: GCounterModel<ReplicaId>, lattice, novelty, catch_up);
concord_core::law_tests!(pn_counter_replica_id: PnCounterModel<ReplicaId>, lattice, novelty, catch_up);

/// Operations performed and operations refused over 500 generated worlds.
fn tally<M: Model>() -> (usize, usize) {
    let mut g = Gen::from_size_and_seed(40, DEFAULT_SEED);
    let (mut performed, mut refused) = (0, 0);
    for _ in 0..500 {
        let world = World::<M>::run(&Script::arbitrary(&mut g)).expect("a lawful world");
        performed += world.operations;
        refused += world.operations - world.deltas.len();
    }
    (performed, refused)
}

/// The worlds the laws run on exercise overflow: some operations are refused, most are not.
#[test]
fn worlds_include_overflow_refusals() {
    for (name, (performed, refused)) in [
        ("GCounter", tally::<GCounterModel>()),
        ("PnCounter", tally::<PnCounterModel>()),
    ] {
        eprintln!("{name}: {refused} of {performed} operations refused");
        assert!(refused > 10, "{name}: too few refusals ({refused})");
        assert!(
            refused * 10 < performed,
            "{name}: too many refusals ({refused} of {performed})"
        );
    }
}
