#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod engine;
mod registry;
mod report;
mod scenario;

pub use engine::simulate;
pub use registry::{SimType, TYPES, find};
pub use report::{Report, table};
pub use scenario::{Mode, Scenario, ScenarioError};
