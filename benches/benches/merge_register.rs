//! Register merges: concord `LwwRegister` and `MvRegister` against crdts `LWWReg` and `MVReg`.
//!
//! - `lww_register_merge`: a batch of 100,000 independent register merges, a random half of
//!   them overwriting (the incoming write is newer), hybrid timestamps as stamps in both.
//! - `mv_register_merge`: `k` concurrent siblings on each side (all `2k` survive the merge),
//!   after a shared history of sequential writes.

use concord_benches::bench_batched;
use concord_benches::registers::{self, LWW_BATCH, MV_SIBLINGS};
use concord_core::Merge;
use crdts::CvRDT;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn lww_register_merge(c: &mut Criterion) {
    let batches = registers::lww_batches();
    let size = batches
        .first()
        .map_or(LWW_BATCH, |batch| batch.concord_a.len());
    let concord: Vec<_> = batches
        .iter()
        .map(|batch| (batch.concord_a.clone(), batch.concord_b.clone()))
        .collect();
    let theirs: Vec<_> = batches
        .iter()
        .map(|batch| (batch.crdts_a.clone(), batch.crdts_b.clone()))
        .collect();
    drop(batches);
    let mut group = c.benchmark_group("lww_register_merge");
    group.throughput(Throughput::Elements(size as u64));
    group.bench_function(BenchmarkId::new("concord", size), |b| {
        bench_batched(b, &concord, 2 * size, |(mut mine, other)| {
            for (x, y) in mine.iter_mut().zip(&other) {
                x.merge(y);
            }
            (mine, other)
        });
    });
    // The floor: one read of both sides' stamps, no merge. The batch is 8 MB, more than the
    // caches keep between the clone and the merge, so this is what streaming it costs.
    group.bench_function(BenchmarkId::new("read_only", size), |b| {
        bench_batched(b, &concord, 2 * size, |(mine, other)| {
            let mut k = 0_u64;
            for (x, y) in mine.iter().zip(&other) {
                k = k.wrapping_add(x.stamp().wall ^ y.stamp().wall);
            }
            (mine, other, k)
        });
    });
    group.bench_function(BenchmarkId::new("crdts", size), |b| {
        bench_batched(b, &theirs, 2 * size, |(mut mine, other)| {
            for (x, y) in mine.iter_mut().zip(other) {
                x.merge(y);
            }
            mine
        });
    });
    group.finish();
}

fn mv_register_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("mv_register_merge");
    for k in MV_SIBLINGS {
        let cases = registers::mv_cases(k);
        let concord: Vec<_> = cases.iter().map(|case| case.concord.clone()).collect();
        let theirs: Vec<_> = cases.iter().map(|case| case.crdts.clone()).collect();
        group.throughput(Throughput::Elements(k as u64));
        group.bench_function(BenchmarkId::new("concord", k), |b| {
            bench_batched(b, &concord, 8 * k, |(mut mine, other)| {
                mine.merge(&other);
                (mine, other)
            });
        });
        group.bench_function(BenchmarkId::new("crdts", k), |b| {
            bench_batched(b, &theirs, 8 * k, |(mut mine, other)| {
                mine.merge(other);
                mine
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lww_register_merge, mv_register_merge);
criterion_main!(benches);
