//! The glue between cargo-fuzz and `concord-fuzzing`: the counting allocator the decode checks
//! measure with, and [`run`], which every file of `fuzz_targets/` calls with its own binary's
//! name. The checks, their table and their seeds live in `crates/concord-fuzzing`; see
//! `docs/fuzzing.md`.

use std::alloc::System;
use std::sync::OnceLock;

use cap::Cap;
use concord_fuzzing::Target;

/// Every allocation of a fuzzing process goes through this counter, so the decode targets can
/// bound what decoding allocates.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Runs the check of the target called `name` (the binary's name) on one input, panicking
/// with its report on a finding.
///
/// # Panics
///
/// When the check fails, and on the first input if `name` is not a target of
/// `concord_fuzzing::TYPES`.
pub fn run(name: &str, data: &[u8]) {
    static TARGET: OnceLock<Target> = OnceLock::new();
    let target = TARGET.get_or_init(|| {
        concord_fuzzing::find(name)
            .unwrap_or_else(|| panic!("{name} is not a target of concord_fuzzing::TYPES"))
    });
    concord_fuzzing::run(target, data, &ALLOCATOR);
}
