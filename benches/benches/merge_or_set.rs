//! Observed-remove set merge: concord `OrSet` against crdts `Orswot`, both built by the same
//! writers' operations (see `concord_benches::or_sets`).
//!
//! `m` present elements per side, half of them on both; side B has seen part of A's history,
//! re-added some shared elements and removed some of A's.

use concord_benches::bench_batched;
use concord_benches::or_sets::{self, OR_SET_SIZES};
use concord_core::Merge;
use crdts::CvRDT;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn or_set_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("or_set_merge");
    for m in OR_SET_SIZES {
        if m > 10_000 {
            // Each crdts Orswot merge of this size takes tens of milliseconds.
            group.sample_size(10);
        }
        let cases = or_sets::or_set_cases(m);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let orswot: Vec<_> = cases.iter().map(|case| case.crdts.clone()).collect();
        drop(cases);
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
    }
    group.finish();
}

criterion_group!(benches, or_set_merge);
criterion_main!(benches);
