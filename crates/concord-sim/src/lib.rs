#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![allow(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used,
    reason = "a simulator, not a library: its replica and client indices are in range by \
              construction, and an index that is not is a bug that must stop the run loudly \
              rather than be skipped"
)]

mod engine;
mod network;
mod plot;
mod registry;
mod replicas;
mod report;
mod scenario;
mod script;
mod sessions;
mod trace;
mod workload;

pub use engine::Outcome;
pub use plot::{PlotError, plot_svg};
pub use registry::{SimType, TYPES, default_types, find};
pub use report::{Bytes, Faults, Messages, Reads, Report, SCHEMA_VERSION, Writes, table};
pub use scenario::{Mode, Scenario, ScenarioError};
pub use trace::{Trace, TracePoint, write_csv};
