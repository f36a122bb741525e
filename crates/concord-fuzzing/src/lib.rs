#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod decode;
mod meter;
mod ops;
mod seeds;
mod sync;
mod table;

pub use decode::{
    ALLOCATION_FACTOR, ALLOCATION_SLACK, SEQUENCE_PREALLOCATION, allocation_bound, decode,
    decode_counted, measure_decode,
};
pub use meter::{AllocationMeter, exclusive};
pub use ops::{Follows, ops, ops_followed};
pub use seeds::{encodings, script_bytes};
pub use table::{FuzzType, Kind, Outcome, TYPES, Target, find, run, targets};
