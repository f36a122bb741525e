//! The law kit over worlds of puts and deletes: the join laws, the order laws (the map's
//! `PartialOrd` is its lattice order), the delta laws, convergence with the per-key oracle,
//! and decoding.
#![cfg(feature = "laws")]

use concord_map::laws::{CausalCounterModel, DwFlagModel, EwFlagModel};

concord_core::law_tests!(ew_flag: EwFlagModel, lattice, novelty, catch_up);
concord_core::law_tests!(dw_flag: DwFlagModel, lattice, novelty, catch_up);
concord_core::law_tests!(causal_counter: CausalCounterModel, lattice, novelty, catch_up);

use concord_map::laws::LwwMapModel;

concord_core::law_tests!(lww_map: LwwMapModel, lattice, novelty, catch_up);

// OrMap over worlds of writes and removes, flat and nested, with the delta-forwarding laws.
use concord_map::laws::{NestedOrMapModel, OrMapModel};

concord_core::law_tests!(or_map: OrMapModel, lattice, novelty, catch_up);
concord_core::law_tests!(nested_or_map: NestedOrMapModel, lattice, novelty, catch_up);
