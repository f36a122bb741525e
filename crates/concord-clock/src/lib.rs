//! Clocks of the concord CRDT family (crate docs: see README.md, filled in with the crate).
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod lamport;

pub use concord_core::{self, Merge, ReplicaId};
pub use lamport::{ClockError, LamportClock, LamportTimestamp};
