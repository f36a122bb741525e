#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod g_counter;
mod pn_counter;

#[cfg(feature = "laws")]
#[cfg_attr(docsrs, doc(cfg(feature = "laws")))]
pub mod laws;

pub use concord_core::{self, Actor, Merge, Overflow, ReplicaId};
pub use g_counter::GCounter;
pub use pn_counter::{PnCounter, PnCounterIter};
