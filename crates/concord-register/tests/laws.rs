//! The law kit over worlds of register operations: lattice laws, delta laws, convergence to
//! the oracle and validated decoding, for each model of `concord_register::laws`.
#![cfg(feature = "laws")]

use concord_register::laws::{LwwHybridModel, LwwLamportModel, MvModel};

concord_core::law_tests!(lww_lamport: LwwLamportModel, lattice, novelty, catch_up);
concord_core::law_tests!(lww_hybrid: LwwHybridModel, lattice, novelty, catch_up);
concord_core::law_tests!(mv: MvModel, lattice, novelty, catch_up);

/// The worlds are not vacuous: converged registers often hold several siblings, and many
/// writes are replaced by later writes that saw them.
#[test]
fn mv_worlds_exercise_siblings_and_collapses() {
    use concord_core::laws::{Arbitrary, Gen, Script, World};
    let mut g = Gen::from_size_and_seed(40, 1);
    let (mut with_siblings, mut with_replaced) = (0, 0);
    for _ in 0..300 {
        let world = World::<MvModel>::run(&Script::arbitrary(&mut g)).unwrap();
        let joined = world.join_all();
        if joined.len() >= 2 {
            with_siblings += 1;
        }
        if world.oracle.len() > joined.len() + 1 {
            with_replaced += 1;
        }
    }
    assert!(with_siblings > 30, "{with_siblings} worlds with siblings");
    assert!(
        with_replaced > 30,
        "{with_replaced} worlds with replaced writes"
    );
}
