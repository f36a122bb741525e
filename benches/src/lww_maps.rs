//! Last-writer-wins maps: concord's `LwwMap` against a std `BTreeMap` of crdts `LWWReg`s on the
//! same writes. crdts has no LWW map, and its `Map` cannot hold an `LWWReg` (the register has
//! no `ResetRemove`), so a `BTreeMap<K, LWWReg<Option<V>, M>>` merged key by key with crdts'
//! own register merge is what a crdts user would write instead.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use concord_clock::HybridTimestamp;
use concord_core::{Merge, ReplicaId};
use concord_map::LwwMap;
use crdts::CvRDT;
use rand::RngExt;

use crate::harness::{ActorKind, FromBits, quick, rng};

/// Keys per side in the LWW map group.
pub const LWW_MAP_SIZES: [usize; 2] = [1_000, 100_000];

/// Replicas that wrote each side (each key is written by one of them).
const WRITERS_PER_SIDE: usize = 4;

/// One write in ten is a delete (a tombstone on both sides).
const DELETE_ONE_IN: u32 = 10;

/// The concord map benchmarked: `u64` keys and values, hybrid timestamps of `ReplicaId`s (the
/// default stamp).
pub type ConcordLwwMap = LwwMap<u64, u64, HybridTimestamp<ReplicaId>>;

/// The stamp on the crdts side: the same `(wall, logical, actor)` triple.
pub type CrdtsMarker = (u64, u32, uuid::Uuid);

/// The baseline: a std map of crdts registers; `None` is a delete.
pub type CrdtsLwwMap = BTreeMap<u64, crdts::LWWReg<Option<u64>, CrdtsMarker>>;

/// One LWW map merge input in both forms.
#[derive(Clone, Debug)]
pub struct LwwMapCase {
    /// concord `(receiver, incoming)`.
    pub concord: (ConcordLwwMap, ConcordLwwMap),
    /// The baseline `(receiver, incoming)`.
    pub crdts: (CrdtsLwwMap, CrdtsLwwMap),
}

/// Merges `other` into `mine` key by key with crdts' register merge.
pub fn crdts_merge(mine: &mut CrdtsLwwMap, other: CrdtsLwwMap) {
    for (key, reg) in other {
        match mine.entry(key) {
            Entry::Occupied(mut slot) => slot.get_mut().merge(reg),
            Entry::Vacant(slot) => {
                slot.insert(reg);
            }
        }
    }
}

/// Map pairs of `m` keys per side, half of them on both sides (written concurrently, with
/// different stamps), each key written once per side by one of four writers, one write in ten
/// a delete. Each pair's merge is checked in both forms against a plain model.
#[must_use]
pub fn lww_map_cases(m: usize) -> Vec<LwwMapCase> {
    let mut rng = rng(0x50 ^ ((m as u64) << 8));
    let pool = if quick() || m > 10_000 { 2 } else { 16 };
    (0..pool)
        .map(|_| {
            let keys: Vec<u64> = ActorKind::U64
                .draw(&mut rng, m + m / 2)
                .into_iter()
                .map(u64::from_bits)
                .map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            let (shared, own) = keys.split_at(m / 2);
            let (own_a, own_b) = own.split_at(m - m / 2);
            let writers = ActorKind::Uuid.draw(&mut rng, 2 * WRITERS_PER_SIDE);
            let (writers_a, writers_b) = writers.split_at(WRITERS_PER_SIDE);
            let mut side = |mut members: Vec<u64>, writers: &[u128]| {
                // Sorted, so every concord write lands at the end of the vector.
                members.sort_unstable();
                let mut concord = ConcordLwwMap::new();
                let mut theirs = CrdtsLwwMap::new();
                for key in members {
                    let w = writers
                        .get(rng.random_range(0..writers.len()))
                        .copied()
                        .unwrap_or_default();
                    let (wall, logical) = (rng.random_range(1..=1_000_000_000), 0);
                    let stamp = HybridTimestamp::new(wall, logical, ReplicaId::from_bits(w));
                    let value = (rng.random_range(0..DELETE_ONE_IN) != 0).then(|| rng.random());
                    match value {
                        Some(v) => concord.insert(key, v, stamp),
                        None => concord.remove(key, stamp),
                    };
                    let marker = (wall, logical, uuid::Uuid::from_bits(w));
                    theirs.insert(key, crdts::LWWReg { val: value, marker });
                }
                (concord, theirs)
            };
            let (ca, ta) = side([shared, own_a].concat(), writers_a);
            let (cb, tb) = side([shared, own_b].concat(), writers_b);

            // The plain model: per key, the write with the greater marker.
            let mut expected = ta.clone();
            for (key, reg) in &tb {
                let slot = expected.entry(*key).or_insert_with(|| reg.clone());
                if reg.marker > slot.marker {
                    *slot = reg.clone();
                }
            }
            let live: Vec<(u64, u64)> = expected
                .iter()
                .filter_map(|(&k, reg)| Some((k, reg.val?)))
                .collect();
            let mut merged = ca.clone();
            merged.merge(&cb);
            assert_eq!(merged.len(), live.len());
            assert!(
                merged
                    .iter()
                    .map(|(&k, &v)| (k, v))
                    .eq(live.iter().copied())
            );
            assert_eq!(merged.len() + merged.tombstones(), expected.len());
            let mut merged = ta.clone();
            crdts_merge(&mut merged, tb.clone());
            assert_eq!(merged, expected);

            LwwMapCase {
                concord: (ca, cb),
                crdts: (ta, tb),
            }
        })
        .collect()
}
