//! Set merge: concord `LwwElementSet` against crdts `GSet` and `Orswot` on the same elements.
//!
//! `m` elements per side, half of them on both sides. crdts has no last-writer-wins set: a
//! grow-only set and an add-wins observed-remove set are what its users would pick instead.

use concord_benches::bench_batched;
use concord_benches::sets::{self, SET_SIZES};
use concord_core::Merge;
use crdts::CvRDT;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn set_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("set_merge");
    for m in SET_SIZES {
        if m > 10_000 {
            // Each crdts Orswot merge of this size takes tens of milliseconds.
            group.sample_size(10);
        }
        let cases = sets::set_cases(m);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let gset: Vec<_> = cases.iter().map(|case| case.gset.clone()).collect();
        let orswot: Vec<_> = cases.iter().map(|case| case.orswot.clone()).collect();
        drop(cases);
        group.throughput(Throughput::Elements(m as u64));
        group.bench_function(BenchmarkId::new("concord/lww_element_set", m), |b| {
            bench_batched(b, &concord, 2 * m, |(mut mine, other)| {
                mine.merge(&other);
                (mine, other)
            });
        });
        group.bench_function(BenchmarkId::new("crdts/gset", m), |b| {
            bench_batched(b, &gset, 2 * m, |(mut mine, other)| {
                mine.merge(other);
                mine
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

criterion_group!(benches, set_merge);
criterion_main!(benches);
