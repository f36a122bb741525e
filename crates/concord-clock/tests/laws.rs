//! The law kit over worlds of every clock type's operations.
#![cfg(feature = "laws")]

use concord_clock::laws::{DotContextModel, HybridModel, LamportModel, VectorClockModel};

concord_core::law_tests!(vector_clock: VectorClockModel, lattice, novelty, catch_up);
concord_core::law_tests!(lamport_timestamp: LamportModel, lattice);
concord_core::law_tests!(hybrid_timestamp: HybridModel, lattice);
concord_core::law_tests!(dot_context: DotContextModel, lattice);
