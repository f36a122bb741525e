//! Vector clock merge: concord `VectorClock` against crdts `VClock` on the same clocks.
//!
//! Sizes 8 to 16384 entries per side; UUID and `u64` actors; the same actors on both sides (a
//! random half of the entries larger on each) or disjoint actors.

use concord_benches::maps::{self, BenchActor, Overlap, SIZES};
use concord_benches::{ACTOR_KINDS, ActorKind, bench_batched};
use concord_core::{Merge, ReplicaId};
use crdts::CvRDT;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

fn run<A: BenchActor, K: BenchActor>(group: &mut BenchmarkGroup<'_, WallTime>, kind: ActorKind) {
    for overlap in Overlap::ALL {
        for n in SIZES {
            let pools = maps::vclock_pools::<A, K>(kind, overlap, n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(
                BenchmarkId::new(maps::label("concord", kind, overlap), n),
                |b| {
                    bench_batched(b, &pools.concord, n, |(mut a, b)| {
                        a.merge(&b);
                        (a, b)
                    });
                },
            );
            group.bench_function(
                BenchmarkId::new(maps::label("crdts", kind, overlap), n),
                |b| {
                    bench_batched(b, &pools.crdts, n, |(mut a, b)| {
                        a.merge(b);
                        a
                    });
                },
            );
        }
    }
}

fn vector_clock_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("vector_clock_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => run::<ReplicaId, uuid::Uuid>(&mut group, kind),
            ActorKind::U64 => run::<u64, u64>(&mut group, kind),
        }
    }
    group.finish();
}

criterion_group!(benches, vector_clock_merge);
criterion_main!(benches);
