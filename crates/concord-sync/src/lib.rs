#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod message;
mod replica;
mod session;

pub use concord_core::{self, CatchUp, Merge, Novelty, ReplicaId};
pub use error::{ApplyError, Behind, LostState, ReceiveError};
pub use replica::{Checkpoint, Config, Replica, Served, Stats, Syncable};
pub use session::SessionToken;
