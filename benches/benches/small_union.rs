//! Small disjoint unions: a concord `GCounter` merge against a plain merge of two sorted
//! `Vec<(actor, count)>` into a new vector, and against crdts `GCounter`, on the same entries.
//!
//! Sizes 4 to 64 actors per side, no actor in common (the two sorted lists interleave at
//! random); UUID and `u64` actors. The plain merge is the textbook two-cursor loop writing into
//! a vector reserved for both sides, the cost floor a representation change has to beat.

use concord_benches::maps::{self, Overlap};
use concord_benches::{ACTOR_KINDS, ActorKind, bench_batched};
use concord_core::{Merge, ReplicaId};
use crdts::CvRDT;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

/// Entries per side.
const SMALL: [usize; 5] = [4, 8, 16, 32, 64];

fn bench_kind<A, K>(group: &mut BenchmarkGroup<'_, WallTime>, kind: ActorKind)
where
    A: maps::BenchActor,
    K: maps::BenchActor,
{
    for n in SMALL {
        let pools = maps::gcounter_pools::<A, K>(kind, Overlap::Disjoint, n);
        let plain = maps::plain_pairs(&pools);
        group.throughput(Throughput::Elements(n as u64));
        let name = |library: &str| format!("{library}/{}", kind.name());
        group.bench_function(BenchmarkId::new(name("concord"), n), |b| {
            bench_batched(b, &pools.concord, n, |(mut a, b)| {
                a.merge(&b);
                (a, b)
            });
        });
        group.bench_function(BenchmarkId::new(name("sorted_vec"), n), |b| {
            bench_batched(b, &plain, n, |(a, b)| {
                let merged = maps::sorted_vec_merge(&a, &b);
                (merged, a, b)
            });
        });
        group.bench_function(BenchmarkId::new(name("crdts"), n), |b| {
            bench_batched(b, &pools.crdts, n, |(mut a, b)| {
                a.merge(b);
                a
            });
        });
    }
}

fn small_union(c: &mut Criterion) {
    let mut group = c.benchmark_group("small_union");
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => bench_kind::<ReplicaId, uuid::Uuid>(&mut group, kind),
            ActorKind::U64 => bench_kind::<u64, u64>(&mut group, kind),
        }
    }
    group.finish();
}

criterion_group!(benches, small_union);
criterion_main!(benches);
