//! The law kit: checks that a [`Merge`](crate::Merge) is the join of a join-semilattice, on
//! states a real history produces and on states a decoder accepts.
//!
//! Three layers, each usable alone:
//!
//! 1. **Check functions** ([`idempotent`], [`commutative`], [`associative`], [`upper_bound`],
//!    [`least_upper_bound`], [`delta_inflation`]) take states and return the [`LawViolation`]
//!    that names the law and shows the inputs.
//! 2. **Worlds**: a [`Model`] describes a type's operations; [`Script`] (a quickcheck
//!    `Arbitrary`) is one history of K replicas (2 to 8) doing local operations, shipping full
//!    states and shipping deltas; [`World::run`] plays it, so every state checked is reachable
//!    and no two replicas share a timestamp or a dot.
//! 3. **Macros**: [`law_tests!`](crate::law_tests) expands into one `#[test]` per law, each
//!    running at least [`DEFAULT_CASES`] worlds from a fixed seed.
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
mod macros;
mod raw;
#[doc(hidden)]
pub mod runner;
mod world;

pub use checks::{
    Law, LawViolation, associative, commutative, delta_inflation, idempotent, least_upper_bound,
    upper_bound,
};
pub use raw::RawActorMap;
pub use runner::{
    Config, DEFAULT_CASES, DEFAULT_SEED, check_bytes, check_script, check_script_lattice,
};
pub use world::{Model, Script, Step, World};

pub use quickcheck::{Arbitrary, Gen};
