//! Joining many deltas as a balanced tree.

use alloc::vec::Vec;

use crate::Merge;

/// Joins many states (the deltas of a log, say) as a balanced tree: a binary counter of
/// partial joins, so that joining n small deltas costs about n log n entry copies, instead of
/// n joins into an ever larger state. Replaying a long log, or folding it into a snapshot,
/// pushes every delta and merges the result into the snapshot once.
///
/// ```
/// use concord_core::Merge;
/// use concord_core::lattice::{ActorMap, JoinTree};
///
/// let mut tree = JoinTree::new();
/// for actor in 0..100u64 {
///     tree.push(ActorMap::<u64>::from_iter([(actor, 1)]));
/// }
/// let joined = tree.finish().expect("something was pushed");
/// assert_eq!(joined.len(), 100);
/// assert_eq!(JoinTree::<ActorMap<u64>>::new().finish(), None);
/// ```
#[derive(Clone, Debug)]
pub struct JoinTree<T> {
    /// Partial joins with their rank: the one at rank r joins 2^r states.
    stack: Vec<(u32, T)>,
}

impl<T> Default for JoinTree<T> {
    fn default() -> Self {
        Self { stack: Vec::new() }
    }
}

impl<T: Merge> JoinTree<T> {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `state`, joining it with the partial joins of its rank.
    pub fn push(&mut self, state: T) {
        let mut item = (0u32, state);
        while let Some((rank, _)) = self.stack.last() {
            if *rank != item.0 {
                break;
            }
            let Some((rank, mut joined)) = self.stack.pop() else {
                break;
            };
            joined.merge(&item.1);
            item = (rank.saturating_add(1), joined);
        }
        self.stack.push(item);
    }

    /// The join of everything pushed, or `None` when nothing was.
    #[must_use]
    pub fn finish(mut self) -> Option<T> {
        let (_, mut joined) = self.stack.pop()?;
        while let Some((_, next)) = self.stack.pop() {
            joined.merge(&next);
        }
        Some(joined)
    }
}
