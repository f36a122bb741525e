//! Seeded inputs, checks and a timing loop shared by the concord benchmarks.
//!
//! Every workload is built twice from the same seeded draws: once as concord types and once as
//! the nearest crdts 7.3.2 types, so the two libraries merge identical states. Each builder also
//! computes the expected join with a plain model and checks both libraries' merges against it
//! once, before anything is timed, so a fast but wrong merge cannot win.
//!
//! The bench files (`benches/*.rs`) only pick sizes and call [`bench_batched`].
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    reason = "bench inputs are built here from a seed; a failed expectation or an index out of \
              range is a bug in the bench itself and must stop the run"
)]

pub mod harness;
pub mod lww_maps;
pub mod maps;
pub mod or_maps;
pub mod or_sets;
pub mod profile;
pub mod registers;
pub mod sets;
pub mod sizes;

pub use harness::{ACTOR_KINDS, ActorKind, FromBits, bench_batched, quick, rng};
