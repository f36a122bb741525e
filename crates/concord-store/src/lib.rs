#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod durable;
mod error;
mod records;
mod store;

pub use concord_core::{self, Merge, ReplicaId};
pub use concord_sync::{self, ApplyError, Checkpoint, Config, LostState, SessionToken, Syncable};
pub use durable::{Batch, Committed, DurableReplica, Options, StorageStats};
pub use error::{ReceiveError, Record, StoreError, WriteError};
pub use store::{MAX_NAME_LEN, Store};
