#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod document;
mod error;
mod records;
mod session;
mod store;

pub use concord_core::{self, Merge, ReplicaId};
pub use concord_sync::{self, ApplyError, Checkpoint, Config, LostState, SessionToken, Syncable};
pub use document::{
    Document, Versions, conflicting_versions, fields, read_field, set_field, write_field,
};
pub use error::{ReceiveError, Record, SessionError, StoreError, WriteError};
pub use postgres;
pub use session::{Lsn, SESSION_WRITE_LOG, Server, SessionClient, SessionRead, SessionStats};
pub use store::{
    Batch, Committed, MAX_NAME_LEN, MAX_PREFIX_LEN, Options, PgReplica, PgStore, StorageStats,
    Tables,
};
