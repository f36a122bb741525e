//! LWW map merge: concord `LwwMap` against a std `BTreeMap` of crdts `LWWReg`s merged key by
//! key (crdts has no LWW map; see `concord_benches::lww_maps`).
//!
//! `m` keys per side, half of them on both sides, one write in ten a delete.

use concord_benches::bench_batched;
use concord_benches::lww_maps::{self, LWW_MAP_SIZES};
use concord_core::Merge;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn lww_map_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("lww_map_merge");
    for m in LWW_MAP_SIZES {
        if m > 10_000 {
            // Each baseline merge of this size takes milliseconds.
            group.sample_size(10);
        }
        let cases = lww_maps::lww_map_cases(m);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let theirs: Vec<_> = cases.iter().map(|case| case.crdts.clone()).collect();
        drop(cases);
        group.throughput(Throughput::Elements(m as u64));
        group.bench_function(BenchmarkId::new("concord/lww_map", m), |b| {
            bench_batched(b, &concord, 2 * m, |(mut mine, other)| {
                mine.merge(&other);
                (mine, other)
            });
        });
        group.bench_function(BenchmarkId::new("crdts/btreemap_of_lwwreg", m), |b| {
            bench_batched(b, &theirs, 2 * m, |(mut mine, other)| {
                lww_maps::crdts_merge(&mut mine, other);
                mine
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lww_map_merge);
criterion_main!(benches);
