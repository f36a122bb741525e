#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod causal;
mod dot_context;
mod hybrid;
mod lamport;
mod vector;

#[cfg(feature = "laws")]
pub mod laws;

pub use causal::{Causal, CausalCrdt, CausalSummary, DotFun, DotMap, DotSet, DotStore};
pub use concord_core::{self, Actor, CatchUp, Merge, Novelty, Overflow, ReplicaId};
pub use dot_context::DotContext;
pub use hybrid::{
    ClockSkew, DEFAULT_MAX_DRIFT_MS, HybridClock, HybridTimestamp, ManualTimeSource,
    SystemTimeSource, TimeSource,
};
pub use lamport::{LamportClock, LamportTimestamp};
pub use vector::{Causality, VectorClock};
