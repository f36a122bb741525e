//! Sets: concord's last-writer-wins element set, and crdts' `GSet` and `Orswot` on the same
//! elements (crdts has no LWW set; these are what a crdts user would pick instead).

use std::collections::{BTreeSet, HashSet};

use concord_clock::LamportTimestamp;
use concord_core::{Merge, ReplicaId};
use concord_set::LwwElementSet;
use crdts::{CmRDT, CvRDT};
use rand::RngExt;

use crate::harness::{ActorKind, FromBits, quick, rng};

/// Elements per side in the set group.
pub const SET_SIZES: [usize; 2] = [1_000, 100_000];

/// Replicas that wrote each side (each element is added by one of them).
const WRITERS_PER_SIDE: usize = 4;

/// The concord set type benchmarked: `u64` elements, Lamport stamps, add-wins.
pub type ConcordSet = LwwElementSet<u64, LamportTimestamp<ReplicaId>>;

/// One set merge input in the three set types.
#[derive(Clone, Debug)]
pub struct SetCase {
    /// concord `(receiver, incoming)`.
    pub concord: (ConcordSet, ConcordSet),
    /// crdts grow-only sets of the same elements.
    pub gset: (crdts::GSet<u64>, crdts::GSet<u64>),
    /// crdts observed-remove sets of the same elements, added by the same writers.
    pub orswot: (
        crdts::Orswot<u64, uuid::Uuid>,
        crdts::Orswot<u64, uuid::Uuid>,
    ),
    /// The union, for checks.
    pub union: BTreeSet<u64>,
}

/// Set pairs of `m` elements per side, half of them on both sides (added concurrently, with
/// different stamps), every element added once per side by one of four writers. Each pair's
/// merge is checked in all three types against the union.
#[must_use]
pub fn set_cases(m: usize) -> Vec<SetCase> {
    let mut rng = rng(0x30 ^ ((m as u64) << 8));
    let pool = if quick() || m > 10_000 { 2 } else { 16 };
    (0..pool)
        .map(|_| {
            let elements: Vec<u64> = ActorKind::U64
                .draw(&mut rng, m + m / 2)
                .into_iter()
                .map(u64::from_bits)
                .map(|e| e.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            let (shared, own) = elements.split_at(m / 2);
            let (own_a, own_b) = own.split_at(m - m / 2);
            let writers = ActorKind::Uuid.draw(&mut rng, 2 * WRITERS_PER_SIDE);
            let (writers_a, writers_b) = writers.split_at(WRITERS_PER_SIDE);
            let mut side = |members: Vec<u64>, writers: &[u128]| {
                let adds: Vec<(u64, u128, u64)> = members
                    .iter()
                    .map(|&e| {
                        let w = writers
                            .get(rng.random_range(0..writers.len()))
                            .copied()
                            .unwrap_or_default();
                        (e, w, rng.random_range(1..=1_000_000_000))
                    })
                    .collect();
                let mut concord = ConcordSet::new();
                concord.insert_all(
                    adds.iter()
                        .map(|&(e, w, t)| (e, LamportTimestamp::new(t, ReplicaId::from_bits(w)))),
                );
                let mut gset = crdts::GSet::new();
                let mut orswot = crdts::Orswot::new();
                for &(e, w, _) in &adds {
                    gset.insert(e);
                    let add = orswot.read_ctx().derive_add_ctx(uuid::Uuid::from_bits(w));
                    orswot.apply(orswot.add(e, add));
                }
                (concord, gset, orswot)
            };
            let (ca, ga, oa) = side([shared, own_a].concat(), writers_a);
            let (cb, gb, ob) = side([shared, own_b].concat(), writers_b);
            let union: BTreeSet<u64> = elements.iter().copied().collect();

            let mut merged = ca.clone();
            merged.merge(&cb);
            assert_eq!(merged.len(), union.len());
            assert!(merged.iter().copied().eq(union.iter().copied()));
            let mut merged = ga.clone();
            merged.merge(gb.clone());
            assert_eq!(merged.read(), union);
            let mut merged = oa.clone();
            merged.merge(ob.clone());
            let expected: HashSet<u64> = union.iter().copied().collect();
            assert_eq!(merged.read().val, expected);

            SetCase {
                concord: (ca, cb),
                gset: (ga, gb),
                orswot: (oa, ob),
                union,
            }
        })
        .collect()
}

/// The same merged sets with each stamp's actor replaced by a `u64` (the UUID's low word):
/// the same elements and times, a narrower stamp.
#[must_use]
pub fn u64_stamped(sets: &[ConcordSet]) -> Vec<LwwElementSet<u64, LamportTimestamp<u64>>> {
    sets.iter()
        .map(|set| {
            let narrow: LwwElementSet<u64, LamportTimestamp<u64>> = set
                .iter()
                .filter_map(|&e| {
                    let add = set.stamps(&e)?.0?;
                    #[allow(clippy::cast_possible_truncation, reason = "the low word")]
                    let actor = add.actor.as_u128() as u64;
                    Some((e, LamportTimestamp::new(add.time, actor)))
                })
                .collect();
            assert_eq!(narrow.len(), set.len(), "every element keeps its add stamp");
            narrow
        })
        .collect()
}
