//! Map-of-registers merge: concord `OrMap<u64, MvRegister<u64>>` against crdts
//! `Map<u64, MVReg<u64>>`, both built by the same writes (see `concord_benches::or_maps`).

use concord_benches::bench_batched;
use concord_benches::or_maps;
use concord_core::Merge;
use crdts::CvRDT;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn or_map_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("or_map_merge");
    group.sample_size(10);
    for m in or_maps::or_map_sizes() {
        let cases = or_maps::or_map_cases(m);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let crdts: Vec<_> = cases.iter().map(|case| case.crdts.clone()).collect();
        drop(cases);
        group.throughput(Throughput::Elements(m as u64));
        group.bench_function(BenchmarkId::new("concord/or_map", m), |b| {
            bench_batched(b, &concord, 2 * m, |(mut mine, other)| {
                mine.merge(&other);
                (mine, other)
            });
        });
        group.bench_function(BenchmarkId::new("crdts/map", m), |b| {
            bench_batched(b, &crdts, 2 * m, |(mut mine, other)| {
                mine.merge(other);
                mine
            });
        });
    }
    group.finish();
}

criterion_group!(benches, or_map_merge);
criterion_main!(benches);
