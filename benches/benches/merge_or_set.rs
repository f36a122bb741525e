//! Observed-remove set merge: concord `OrSet` against crdts `Orswot`, both built by the same
//! writers' operations (see `concord_benches::or_sets`).
//!
//! `or_set_merge`: `m` present elements per side, half of them on both; side B has seen part
//! of A's history, re-added some shared elements and removed some of A's.
//!
//! `or_set_insert_remove`: the local mutators on side A of the first pair, an element absent
//! from the set inserted and removed again (so the set keeps its `m` elements), in both
//! libraries.

use std::hint::black_box;

use concord_benches::bench_batched;
use concord_benches::or_sets::{self, FRESH_WRITER, OR_SET_SIZES};
use concord_core::{Merge, ReplicaId};
use crdts::CvRDT;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn or_set_benches(c: &mut Criterion) {
    for m in OR_SET_SIZES {
        let cases = or_sets::or_set_cases(m);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let orswot: Vec<_> = cases.iter().map(|case| case.crdts.clone()).collect();
        let (mut or_set, mut orswot_a, fresh) = or_sets::insert_remove_inputs(&cases, 64);
        drop(cases);

        let mut group = c.benchmark_group("or_set_merge");
        if m > 10_000 {
            // Each crdts Orswot merge of this size takes tens of milliseconds.
            group.sample_size(10);
        }
        group.throughput(Throughput::Elements(m as u64));
        group.bench_function(BenchmarkId::new("concord/or_set", m), |b| {
            bench_batched(b, &concord, 2 * m, |(mut mine, other)| {
                mine.merge(&other);
                (mine, other)
            });
        });
        group.bench_function(BenchmarkId::new("crdts/orswot", m), |b| {
            bench_batched(b, &orswot, 2 * m, |(mut mine, other)| {
                mine.merge(other);
                mine
            });
        });
        group.finish();

        let mut group = c.benchmark_group("or_set_insert_remove");
        let writer = ReplicaId::from_u128(FRESH_WRITER);
        let mut next = fresh.iter().copied().cycle();
        group.bench_function(BenchmarkId::new("concord/or_set", m), |b| {
            b.iter(|| {
                let elem = next.next().unwrap_or_default();
                black_box(or_sets::concord_insert_remove(&mut or_set, writer, elem))
            });
        });
        assert_eq!(or_set.len(), m, "every element inserted was removed again");
        let writer = uuid::Uuid::from_u128(FRESH_WRITER);
        let mut next = fresh.iter().copied().cycle();
        group.bench_function(BenchmarkId::new("crdts/orswot", m), |b| {
            b.iter(|| {
                or_sets::crdts_insert_remove(
                    &mut orswot_a,
                    writer,
                    next.next().unwrap_or_default(),
                );
            });
        });
        assert_eq!(
            orswot_a.read().val.len(),
            m,
            "every element inserted was removed again"
        );
        group.finish();
    }
}

criterion_group!(benches, or_set_benches);
criterion_main!(benches);
