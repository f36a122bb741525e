//! Counter merges: concord `GCounter` and `PnCounter` against crdts `GCounter` and `PNCounter`
//! on the same counts.
//!
//! Sizes 8 to 16384 actors per side; UUID and `u64` actors; the same actors on both sides (a
//! random half of the entries larger on each) or disjoint actors.

use concord_benches::maps;
use concord_benches::{ACTOR_KINDS, ActorKind};
use concord_core::ReplicaId;
use criterion::{Criterion, criterion_group, criterion_main};

fn gcounter_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("gcounter_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::gcounter_pools::<ReplicaId, uuid::Uuid>(kind, overlap, n)
            }),
            ActorKind::U64 => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::gcounter_pools::<u64, u64>(kind, overlap, n)
            }),
        }
    }
    group.finish();
}

fn pncounter_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("pncounter_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::pncounter_pools::<ReplicaId, uuid::Uuid>(kind, overlap, n)
            }),
            ActorKind::U64 => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::pncounter_pools::<u64, u64>(kind, overlap, n)
            }),
        }
    }
    group.finish();
}

criterion_group!(benches, gcounter_merge, pncounter_merge);
criterion_main!(benches);
