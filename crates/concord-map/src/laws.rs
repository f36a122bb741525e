//! Law-kit models of the maps (feature `laws`): one model per map type, each with its oracle.
//!
//! ```ignore
//! // tests/laws.rs
//! use concord_map::laws::LwwMapModel;
//! concord_core::law_tests!(lww_map: LwwMapModel, lattice);
//! ```

mod causal_counter;
mod flag;
mod lww_map;

pub use causal_counter::{
    CAUSAL_COUNTER_BIG_STEP, CausalCounterModel, CausalCounterOp, CausalCounterOracle,
};
pub use flag::{DwFlagModel, DwFlagOracle, EwFlagModel, EwFlagOracle, FlagOp};
pub use lww_map::{LWW_MAP_KEYS, LWW_MAP_VALUES, LwwMapModel, LwwMapOp, LwwMapOracle, LwwStamp};
