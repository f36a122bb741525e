//! The law kit over worlds of inserts and removes, for both biases: the join laws, the order
//! laws (the set's `PartialOrd` is its lattice order), the delta laws, convergence with the
//! per-element oracle, and decoding.
#![cfg(feature = "laws")]

use concord_set::laws::{AddWinsModel, RemoveWinsModel};

concord_core::law_tests!(add_wins: AddWinsModel, lattice, novelty, catch_up);
concord_core::law_tests!(remove_wins: RemoveWinsModel, lattice, novelty, catch_up);

use concord_set::laws::OrSetModel;

concord_core::law_tests!(or_set: OrSetModel, lattice, novelty, catch_up);
