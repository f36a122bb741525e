#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod dot_context;
mod hybrid;
mod lamport;
mod vector;

#[cfg(feature = "laws")]
pub mod laws;

pub use concord_core::{self, Merge, ReplicaId};
pub use dot_context::DotContext;
#[cfg(feature = "std")]
pub use hybrid::SystemTimeSource;
pub use hybrid::{
    ClockSkew, DEFAULT_MAX_DRIFT_MS, HybridClock, HybridTimestamp, ManualTimeSource, TimeSource,
};
pub use lamport::{ClockError, LamportClock, LamportTimestamp};
pub use vector::{Causality, VectorClock};
