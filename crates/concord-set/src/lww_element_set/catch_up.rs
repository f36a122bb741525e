//! Catch-up for [`LwwElementSet`]: range-based reconciliation over the elements' hashes.

use alloc::vec::Vec;
use core::hash::Hash;
use core::marker::PhantomData;

use concord_core::CatchUp;
use concord_core::reconcile::{self, Index, RangeSummary};

use super::LwwElementSet;
use crate::bias::Bias;

impl<T: Ord + Clone + Hash, S: Ord + Clone + Hash, B: Bias> LwwElementSet<T, S, B> {
    /// Every entry's element hash, and a digest of its element and both stamps.
    fn index(&self) -> Index {
        Index::new(self.entries.iter().map(|e| {
            (
                reconcile::key_hash(&e.elem),
                reconcile::digest(&(&e.elem, e.stamps.add(), e.stamps.remove())),
            )
        }))
    }

    /// The entries at `positions` (ascending), as a set.
    fn pick(&self, positions: &[usize]) -> Self {
        let entries: Vec<_> = positions
            .iter()
            .filter_map(|at| self.entries.get(*at).cloned())
            .collect();
        let present = entries.iter().filter(|e| e.present::<B>()).count();
        Self {
            entries,
            present,
            bias: PhantomData,
        }
    }
}

/// Range-based reconciliation ([`reconcile`]); see [catching up](LwwElementSet#catching-up).
/// Each call sorts the entries' hashes: O(n log n).
impl<T, S, B> CatchUp for LwwElementSet<T, S, B>
where
    T: Ord + Clone + Hash,
    S: Ord + Clone + Hash,
    B: Bias,
{
    type Summary = RangeSummary;

    /// The root's probe: the digests of every entry when there are at most
    /// [`reconcile::LEAF`], a fingerprint otherwise.
    fn summary(&self) -> RangeSummary {
        self.index().summary()
    }

    /// The entries the summary shows the peer may lack, whole (element and both stamps).
    fn delta_since(&self, summary: &RangeSummary) -> Self {
        self.answer(summary).0
    }

    fn answer(&self, summary: &RangeSummary) -> (Self, Option<RangeSummary>) {
        let answer = self.index().answer(summary);
        (self.pick(&answer.send), answer.questions)
    }

    fn refine(&self, questions: &RangeSummary) -> Option<RangeSummary> {
        self.index().refine(questions)
    }
}
