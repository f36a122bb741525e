#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod endpoint;
mod error;
mod keys;
mod records;
mod session;
mod store;
mod transport;
mod value;

pub use concord_core::{self, Merge, ReplicaId};
pub use concord_sync::{self, ApplyError, Checkpoint, Config, LostState, SessionToken, Syncable};
pub use endpoint::Endpoint;
pub use error::{ReceiveError, Record, SessionError, StoreError, TransportError, WriteError};
pub use keys::Keys;
pub use redis;
pub use session::{Lag, SessionClient, SessionRead};
pub use store::{Batch, Committed, Options, RedisReplica, RedisStore, StorageStats};
pub use transport::{RedisTransport, Snapshot, TransportOptions, TransportStats};
