//! Vector clock merge: concord `VectorClock` against crdts `VClock` on the same clocks.
//!
//! Sizes 8 to 16384 entries per side; UUID and `u64` actors; the same actors on both sides (a
//! random half of the entries larger on each) or disjoint actors.

use concord_benches::maps;
use concord_benches::{ACTOR_KINDS, ActorKind};
use concord_core::ReplicaId;
use criterion::{Criterion, criterion_group, criterion_main};

fn vector_clock_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("vector_clock_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::vclock_pools::<ReplicaId, uuid::Uuid>(kind, overlap, n)
            }),
            ActorKind::U64 => maps::bench_map_merges(&mut group, kind, |overlap, n| {
                maps::vclock_pools::<u64, u64>(kind, overlap, n)
            }),
        }
    }
    group.finish();
}

criterion_group!(benches, vector_clock_merge);
criterion_main!(benches);
