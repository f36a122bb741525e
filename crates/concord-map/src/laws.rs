//! Law-kit models of the maps (feature `laws`): one model per map type, each with its oracle.
//!
//! ```ignore
//! // tests/laws.rs
//! use concord_map::laws::LwwMapModel;
//! concord_core::law_tests!(lww_map: LwwMapModel, lattice, novelty, catch_up);
//!
//! use concord_map::laws::OrMapModel;
//! concord_core::law_tests!(or_map: OrMapModel, lattice, novelty, catch_up);
//! ```

mod causal_counter;
mod flag;
mod lww_map;
mod or_map;

pub use causal_counter::{
    CAUSAL_COUNTER_BIG_STEP, CausalCounterModel, CausalCounterOp, CausalCounterOracle,
};
pub use flag::{DwFlagModel, DwFlagOracle, EwFlagModel, EwFlagOracle, FlagOp};
pub use lww_map::{LWW_MAP_KEYS, LWW_MAP_VALUES, LwwMapModel, LwwMapOp, LwwMapOracle, LwwStamp};
pub use or_map::{
    NestedKey, NestedOrMap, NestedOrMapModel, NestedOrMapOp, OR_MAP_KEYS, OR_MAP_VALUES,
    OrMapEvent, OrMapModel, OrMapOp, OrMapOracle, Register,
};
