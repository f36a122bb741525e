//! Law-kit models of the maps (feature `laws`): one model per map type, each with its oracle.
//!
//! ```ignore
//! // tests/laws.rs
//! use concord_map::laws::LwwMapModel;
//! concord_core::law_tests!(lww_map: LwwMapModel, lattice);
//! ```

mod lww_map;

pub use lww_map::{LWW_MAP_KEYS, LWW_MAP_VALUES, LwwMapModel, LwwMapOp, LwwMapOracle, LwwStamp};
