//! What a replica of an [`LwwMap`] tells a peer so the peer can send what it lacks.

use alloc::vec::Vec;
use core::fmt;

use concord_clock::HybridTimestamp;
use concord_core::{CatchUp, ReplicaId};

use super::LwwMap;

/// What a replica of an [`LwwMap`] tells a peer so the peer can send what it lacks
/// ([`CatchUp`]): every key it holds an entry for, live or tombstone, with the stamp of that
/// entry's write, and no values.
///
/// A stamp names a write (stamps are unique per operation), so the key and the stamp are
/// enough for the peer to tell, key by key, whether its own write wins:
/// [`delta_since`](CatchUp::delta_since) returns the peer's entries whose stamp is greater
/// than the summary's for their key, or whose key the summary lacks. Both sides are sorted by
/// key, so that is one linear walk over the two; nothing is hashed, so nothing can collide.
///
/// # Cost
///
/// A summary is O(entries): one key and one stamp per entry of the map, tombstones included,
/// without the values. It is worth sending when the values are larger than the keys and
/// stamps, or when the peer lacks little of the state; the answer carries only what the
/// replica lacks.
///
/// # Equal stamps
///
/// The summary holds stamps, not values, so two *different* writes of a key with the same
/// stamp (which only a misbehaving peer issues, see [the map](LwwMap#equal-stamps)) look the
/// same in it: catch-up does not carry the tie-break, and such replicas agree only once one
/// of them merges a delta or a state that holds the other's write.
///
/// # Compaction
///
/// A summary shows only the entries a replica holds. After [`compact`](LwwMap::compact), a
/// replica that freed the tombstone of a key no longer mentions the key, and a replica that
/// still holds an older put of that key (one cut off since before the delete) is sent nothing
/// for it: catch-up cannot carry a delete whose tombstone is gone. Compact only below a stamp
/// that every replica has passed (the precondition of `compact`), so that no replica can still
/// hold such a put.
///
/// # Examples
///
/// A replica that was cut off catches up from the summary it sends to the other:
///
/// ```
/// use concord_map::concord_clock::LamportTimestamp;
/// use concord_map::concord_core::CatchUp;
/// use concord_map::{LwwMap, LwwMapSummary, Merge};
///
/// type Map = LwwMap<&'static str, u32, LamportTimestamp<u64>>;
/// let stamp = |time, actor| LamportTimestamp::new(time, actor);
///
/// let mut online = Map::new();
/// online.insert("apples", 3, stamp(1, 1));
/// online.insert("pears", 7, stamp(2, 1));
/// let mut offline = online.clone();
///
/// // While `offline` is cut off, `online` changes a value, adds a key and deletes one.
/// online.insert("apples", 5, stamp(3, 1));
/// online.insert("plums", 2, stamp(4, 1));
/// online.remove("pears", stamp(5, 1));
///
/// // Back online, `offline` sends its summary: keys and stamps, no values.
/// let summary: LwwMapSummary<_, _> = offline.summary();
/// assert_eq!(summary.len(), 2);
///
/// // `online` answers with what `offline` lacks: all three writes, nothing it had.
/// let delta = online.delta_since(&summary);
/// assert_eq!(delta.len() + delta.tombstones(), 3);
///
/// offline.merge(&delta);
/// assert_eq!(offline, online);
/// assert_eq!(offline.get("apples"), Some(&5));
/// assert!(!offline.contains_key("pears"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "SummaryWire<K, S>",
        bound(deserialize = "K: serde::Deserialize<'de> + Ord, S: serde::Deserialize<'de>")
    )
)]
pub struct LwwMapSummary<K, S = HybridTimestamp<ReplicaId>> {
    /// `(key, stamp)` per entry of the map, sorted by key, unique.
    entries: Vec<(K, S)>,
}

impl<K, S> LwwMapSummary<K, S> {
    /// The number of keys the summary holds, live or deleted.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the summary holds no key (the summary of an empty map).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys and the stamps of their writes, `(&key, &stamp)` in increasing key order.
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &S)> + ExactSizeIterator {
        self.entries.iter().map(|(key, stamp)| (key, stamp))
    }
}

impl<K, S> Default for LwwMapSummary<K, S> {
    /// The summary of an empty map.
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for LwwMapSummary<K, S> {
    /// Shows the entries as `key: stamp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Entries<'a, K, S>(&'a [(K, S)]);
        impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for Entries<'_, K, S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(key, stamp)| (key, stamp)))
                    .finish()
            }
        }
        f.debug_tuple("LwwMapSummary")
            .field(&Entries(&self.entries))
            .finish()
    }
}

impl<K: Ord + Clone, V: Ord + Clone, S: Ord + Clone> CatchUp for LwwMap<K, V, S> {
    /// Every key with the stamp of its write, live or tombstone, without the values.
    type Summary = LwwMapSummary<K, S>;

    /// The keys and stamps of every entry, tombstones included: O(n), cloning keys and stamps
    /// but no value.
    fn summary(&self) -> LwwMapSummary<K, S> {
        LwwMapSummary {
            entries: self
                .entries
                .iter()
                .map(|e| (e.key.clone(), e.stamp.clone()))
                .collect(),
        }
    }

    /// The entries of this map whose stamp is greater than the summary's for their key, or
    /// whose key the summary lacks, live or tombstone: one linear walk over both sorted
    /// sequences, O(n + m).
    fn delta_since(&self, summary: &LwwMapSummary<K, S>) -> Self {
        let mut theirs = summary.entries.iter().peekable();
        let mut entries = Vec::new();
        for mine in &self.entries {
            while theirs.next_if(|(key, _)| *key < mine.key).is_some() {}
            let lacks = theirs
                .next_if(|(key, _)| *key == mine.key)
                .is_none_or(|(_, stamp)| mine.stamp > *stamp);
            if lacks {
                entries.push(mine.clone());
            }
        }
        let live = entries.iter().filter(|e| e.live()).count();
        Self { entries, live }
    }
}

// ------------------------------------------------------------------------------------ serde

/// The unchecked wire form: `(key, stamp)` pairs.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct SummaryWire<K, S> {
    entries: Vec<(K, S)>,
}

#[cfg(feature = "serde")]
impl<K: Ord, S> TryFrom<SummaryWire<K, S>> for LwwMapSummary<K, S> {
    type Error = concord_core::ValidationError;

    /// Accepts at most `MAX_ENTRIES` entries with strictly increasing keys, as the map's own
    /// decoder does.
    fn try_from(wire: SummaryWire<K, S>) -> Result<Self, Self::Error> {
        concord_core::ValidationError::check_sorted_by_key(&wire.entries, |(key, _)| key)?;
        Ok(Self {
            entries: wire.entries,
        })
    }
}

#[cfg(feature = "serde")]
impl<K, S> concord_core::codec::WireType for LwwMapSummary<K, S>
where
    K: serde::Serialize + serde::de::DeserializeOwned + Ord,
    S: serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::LWW_MAP_SUMMARY;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LwwMapSummary";
}
