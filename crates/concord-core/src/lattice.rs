//! Building blocks for implementing [`Merge`](crate::Merge): the sorted per-actor map that
//! vector clocks and counters share, a balanced join of many deltas, and the helpers that turn two "≤" tests into a
//! [`PartialOrd`] answer.
//!
//! A user of the CRDT crates does not need this module; an author of a new CRDT usually does.
//!
//! ```
//! use concord_core::Merge;
//! use concord_core::lattice::ActorMap;
//!
//! // A grow-only counter in three lines: an actor map of u64 counts.
//! let mut a: ActorMap<u64> = [(1, 3)].into_iter().collect();
//! let b: ActorMap<u64> = [(1, 2), (2, 5)].into_iter().collect();
//! a.merge(&b);
//! assert_eq!(a.values().iter().sum::<u64>(), 8);
//! assert!(b <= a);
//! ```

pub use crate::actor_map::{ActorMap, Counts, Iter};
pub use crate::join_tree::JoinTree;
pub use crate::merge::{partial_order, sorted_partial_order};
