#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod causal_counter;
mod flag;
mod lww_map;
mod or_map;

#[cfg(feature = "laws")]
#[cfg_attr(docsrs, doc(cfg(feature = "laws")))]
pub mod laws;

pub use causal_counter::{CausalCounter, Contribution};
pub use flag::{DwFlag, EwFlag};
pub use lww_map::{LwwMap, LwwMapIter};
pub use or_map::{OrMap, OrMapIter, OrMapKeys};

pub use concord_clock;
pub use concord_core::{self, Actor, Merge, Overflow, ReplicaId};
