#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod actor;
mod actor_map;
mod dot;
mod merge;
mod novelty;
mod overflow;
mod replica_id;
mod stability;
mod validation;

#[cfg(feature = "serde")]
pub mod codec;
mod join_tree;
pub mod lattice;
#[cfg(feature = "laws")]
pub mod laws;
pub mod reconcile;

pub use actor::Actor;
/// `#[derive(Merge)]`: a struct whose fields are `Merge` merges field by field. Shares its name
/// with the trait, so `use concord_core::Merge;` brings both.
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use concord_derive::Merge;
pub use dot::Dot;
pub use merge::Merge;
pub use novelty::{CatchUp, Novelty};
pub use overflow::Overflow;
pub use replica_id::{ParseReplicaIdError, ReplicaId};
pub use stability::Stability;
pub use validation::{MAX_ENTRIES, ValidationError};

/// Internals of the law kit's macros. Not part of the public API.
#[cfg(feature = "laws")]
#[doc(hidden)]
pub mod __private {
    pub use crate::laws::{
        run_associativity, run_catch_up, run_commutativity, run_convergence, run_decode,
        run_delta_delivery, run_delta_inflation, run_golden, run_idempotence,
        run_least_upper_bound, run_novelty, run_upper_bound,
    };
}
