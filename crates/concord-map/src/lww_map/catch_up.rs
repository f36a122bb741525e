//! Catch-up for [`LwwMap`]: range-based reconciliation over the keys' hashes.

use alloc::vec::Vec;
use core::hash::Hash;

use concord_core::CatchUp;
use concord_core::reconcile::{self, Index, RangeSummary};

use super::LwwMap;

impl<K: Ord + Clone + Hash, V: Ord + Clone, S: Ord + Clone + Hash> LwwMap<K, V, S> {
    /// Every entry's key hash, and a digest of its key and stamp.
    fn index(&self) -> Index {
        Index::new(self.entries.iter().map(|e| {
            (
                reconcile::key_hash(&e.key),
                reconcile::digest(&(&e.key, &e.stamp)),
            )
        }))
    }

    /// The entries at `positions` (ascending), as a map.
    fn pick(&self, positions: &[usize]) -> Self {
        let entries: Vec<_> = positions
            .iter()
            .filter_map(|at| self.entries.get(*at).cloned())
            .collect();
        let live = entries.iter().filter(|e| e.live()).count();
        Self { entries, live }
    }
}

/// Range-based reconciliation ([`reconcile`]): a replica that fell behind sends a fingerprint
/// of its entries (keys and stamps, tombstones included, no values), and the peer answers with
/// the entries whose digest differs, narrowing down by key-hash ranges over a few rounds. What
/// crosses the link follows what the replica lacks, not the size of the map.
///
/// A digest covers the key and the stamp, not the value: stamps name writes (see
/// [equal stamps](LwwMap#equal-stamps)). Each call sorts the entries' hashes: O(n log n).
///
/// ```
/// use concord_map::concord_clock::LamportTimestamp;
/// use concord_map::concord_core::CatchUp;
/// use concord_map::{LwwMap, Merge};
///
/// type Map = LwwMap<u32, u32, LamportTimestamp<u64>>;
/// let mut online = Map::new();
/// for key in 0..10_000 {
///     online.insert(key, key, LamportTimestamp::new(1, 1));
/// }
/// let mut offline = online.clone();
/// // While `offline` is cut off, `online` changes 10 values and deletes one key.
/// for key in (0..10_000).step_by(1_000) {
///     online.insert(key, 0, LamportTimestamp::new(2, 1));
/// }
/// online.remove(5, LamportTimestamp::new(3, 1));
///
/// // The exchange: `offline` sends a summary; `online` answers with entries and questions,
/// // until no question is left.
/// let mut summary = Some(offline.summary());
/// let mut received = 0;
/// while let Some(asked) = summary {
///     let (delta, questions) = online.answer(&asked);
///     received += delta.len() + delta.tombstones();
///     offline.merge(&delta);
///     summary = questions.and_then(|q| offline.refine(&q));
/// }
/// assert_eq!(offline, online);
/// assert_eq!(received, 11); // the 11 writes it lacked, not the 10,000 entries
/// ```
impl<K, V, S> CatchUp for LwwMap<K, V, S>
where
    K: Ord + Clone + Hash,
    V: Ord + Clone,
    S: Ord + Clone + Hash,
{
    type Summary = RangeSummary;

    /// The root's probe: the digests of every entry when there are at most
    /// [`reconcile::LEAF`], a fingerprint otherwise.
    fn summary(&self) -> RangeSummary {
        self.index().summary()
    }

    /// The entries the summary shows the peer may lack.
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
