//! Counter merges: concord `GCounter` and `PnCounter` against crdts `GCounter` and `PNCounter`
//! on the same counts.
//!
//! Sizes 8 to 16384 actors per side; UUID and `u64` actors; the same actors on both sides (a
//! random half of the entries larger on each) or disjoint actors.

use concord_benches::maps::{self, BenchActor, Overlap, SIZES};
use concord_benches::{ACTOR_KINDS, ActorKind, bench_batched};
use concord_core::{Merge, ReplicaId};
use crdts::CvRDT;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

fn gcounter<A: BenchActor, K: BenchActor>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    kind: ActorKind,
) {
    for overlap in Overlap::ALL {
        for n in SIZES {
            let pools = maps::gcounter_pools::<A, K>(kind, overlap, n);
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

fn pncounter<A: BenchActor, K: BenchActor>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    kind: ActorKind,
) {
    for overlap in Overlap::ALL {
        for n in SIZES {
            let pools = maps::pncounter_pools::<A, K>(kind, overlap, n);
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

fn gcounter_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("gcounter_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => gcounter::<ReplicaId, uuid::Uuid>(&mut group, kind),
            ActorKind::U64 => gcounter::<u64, u64>(&mut group, kind),
        }
    }
    group.finish();
}

fn pncounter_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("pncounter_merge");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => pncounter::<ReplicaId, uuid::Uuid>(&mut group, kind),
            ActorKind::U64 => pncounter::<u64, u64>(&mut group, kind),
        }
    }
    group.finish();
}

criterion_group!(benches, gcounter_merge, pncounter_merge);
criterion_main!(benches);
