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

/// Largest value, in bytes, that [`take_if`] copies without a branch.
const COPY_UP_TO: usize = 64;

/// Replaces `slot` with a clone of `other` when `take` holds: the step of a merge that keeps
/// the winner of a comparison (a last-writer-wins register, the greater of two stamps).
///
/// Which side wins a merge usually follows no pattern, so a branch on `take` is mispredicted
/// about every other time, which costs more than the rest of a small merge. For a value with no
/// drop glue and at most 64 bytes (integers, timestamps, actors and their tuples, whose clone
/// is a copy), the winner is selected without a branch and written back whichever side won.
/// Any other value (a `String`, a `Vec`) is cloned only when it wins, behind a branch: one
/// mispredict is cheaper than a clone that is thrown away.
///
/// ```
/// use concord_core::lattice::take_if;
///
/// let mut mine = (3_u64, 7_u64);
/// take_if(&mut mine, &(5, 1), true);
/// assert_eq!(mine, (5, 1));
/// let mut name = String::from("old");
/// take_if(&mut name, &String::from("new"), false);
/// assert_eq!(name, "old");
/// ```
#[inline(always)]
pub fn take_if<T: Clone>(slot: &mut T, other: &T, take: bool) {
    if !core::mem::needs_drop::<T>() && size_of::<T>() <= COPY_UP_TO {
        let winner = core::hint::select_unpredictable(take, other, &*slot).clone();
        *slot = winner;
    } else if take {
        slot.clone_from(other);
    }
}
