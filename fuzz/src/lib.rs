//! Fuzz targets for the concord CRDTs. Each target in `fuzz_targets/` is one line over a check
//! in [`checks`]; `crates/concord-sim/tests/fuzz_replay.rs` replays the corpora and
//! regressions through the same checks under `cargo test`. See `docs/fuzzing.md`.

use std::alloc::System;

use cap::Cap;

pub mod checks;

pub use checks::{TARGETS, run};

/// Every allocation of a fuzzing process goes through this counter, so the decode targets can
/// bound what decoding allocates (see [`checks::decode_counted`]).
#[global_allocator]
pub static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);
