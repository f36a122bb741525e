//! The law kit: checks that a [`Merge`](crate::Merge) is the join of a join-semilattice, on
//! states a real history produces and on states a decoder accepts.
//!
//! Four layers, each usable alone:
//!
//! 1. **Check functions on states** ([`idempotent`], [`commutative`], [`associative`],
//!    [`upper_bound`], [`least_upper_bound`], [`delta_inflation`]) take states and return the
//!    [`LawViolation`] that names the law and shows the inputs.
//! 2. **Worlds**: a [`Model`] describes a type's operations; [`Script`] (a quickcheck
//!    `Arbitrary`) is one history of K replicas (2 to 8) doing local operations, shipping full
//!    states and shipping deltas; [`World::run`] plays it, so every state checked is reachable
//!    and no two replicas share a timestamp or a dot.
//! 3. **One check and one runner per law** over worlds: [`check_idempotence`] plays one script
//!    and checks one law; [`run_idempotence`] runs it over at least [`DEFAULT_CASES`]
//!    generated scripts and panics naming the law on failure. Likewise
//!    [`check_commutativity`]/[`run_commutativity`], [`check_associativity`]/
//!    [`run_associativity`], [`check_delta_inflation`]/[`run_delta_inflation`],
//!    [`check_delta_delivery`]/[`run_delta_delivery`], [`check_convergence`]/
//!    [`run_convergence`], [`check_upper_bound`]/[`run_upper_bound`] and
//!    [`check_least_upper_bound`]/[`run_least_upper_bound`] (both need `PartialOrd`), and
//!    [`check_decode`]/[`run_decode`] (needs [`WireType`](crate::codec::WireType)). No runner
//!    takes a law as an argument: a law that cannot be checked for a type is a compile error,
//!    never a silent pass. [`check_script`], [`check_script_lattice`] and [`check_bytes`] run
//!    every law at once, for fuzz targets.
//! 4. **Macros**: [`law_tests!`](crate::law_tests) expands into one `#[test]` per law;
//!    [`golden_test!`](crate::golden_test) into a test of one golden wire vector
//!    ([`check_golden`], [`check_golden_file`], [`run_golden`]).
//!
//! The environment variables `QUICKCHECK_TESTS` (cases per law), `QUICKCHECK_GENERATOR_SIZE`
//! (steps per world, default 40) and `CONCORD_SEED` (the seed, printed on failure) tune a run.
//!
//! # Examples
//!
//! ```
//! use concord_core::{laws, Merge};
//!
//! #[derive(Clone, Debug, PartialEq, PartialOrd)]
//! struct Max(u64);
//! impl Merge for Max {
//!     fn merge(&mut self, other: &Self) { self.0 = self.0.max(other.0) }
//! }
//!
//! assert!(laws::commutative(&Max(1), &Max(2)).is_ok());
//! assert!(laws::least_upper_bound(&Max(1), &Max(2)).is_ok());
//! ```
//!
//! A broken merge is caught and the failed law is named:
//!
//! ```
//! use concord_core::{laws, Merge};
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct Overwrite(u64);
//! impl Merge for Overwrite {
//!     fn merge(&mut self, other: &Self) { self.0 = other.0 }
//! }
//!
//! let err = laws::commutative(&Overwrite(1), &Overwrite(2)).unwrap_err();
//! assert_eq!(err.law(), laws::Law::Commutativity);
//! ```

mod checks;
mod golden;
mod macros;
mod raw;
mod runner;
mod world;

pub use checks::{
    Law, LawViolation, MAX_CATCH_UP_ROUNDS, associative, catch_up, commutative, delta_inflation,
    idempotent, least_upper_bound, novelty, upper_bound,
};
pub use golden::{
    BLESS_VAR, GoldenError, bless_requested, check_golden, check_golden_file, run_golden,
};
pub use raw::RawActorMap;
pub use runner::{
    Config, DEFAULT_CASES, DEFAULT_SEED, check_associativity, check_bytes, check_catch_up,
    check_commutativity, check_convergence, check_decode, check_delta_delivery,
    check_delta_inflation, check_idempotence, check_least_upper_bound, check_novelty, check_script,
    check_script_lattice, check_upper_bound, run_associativity, run_catch_up, run_commutativity,
    run_convergence, run_decode, run_delta_delivery, run_delta_inflation, run_idempotence,
    run_least_upper_bound, run_novelty, run_upper_bound,
};
pub use world::{Model, Script, Step, World};

pub use quickcheck::{Arbitrary, Gen};
