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
mod plot;
mod registry;
mod report;
mod scenario;
mod trace;

pub use engine::simulate;
pub use plot::{PlotError, plot_svg};
pub use registry::{SimType, TYPES, find};
pub use report::{Report, table};
pub use scenario::{Mode, Scenario, ScenarioError};
pub use trace::{Trace, TracePoint, write_csv};
