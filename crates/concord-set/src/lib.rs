#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod bias;
mod lww_element_set;
mod or_set;

#[cfg(feature = "laws")]
#[cfg_attr(docsrs, doc(cfg(feature = "laws")))]
pub mod laws;

pub use bias::{AddWins, Bias, RemoveWins};
pub use lww_element_set::{LwwElementSet, LwwElementSetIter, SetStats};
pub use or_set::{OrSet, OrSetIter};

pub use concord_clock;
pub use concord_core::{self, Actor, Merge, Overflow, ReplicaId};
