//! concord-store: durable writes per second by durability mode, and the time to reopen a
//! store against the length of its log.
//!
//! Writes are `GCounter` increments (a state of constant size, so the figures are the store's
//! own cost: encoding, redb's insert and a two-phase commit with its two flushes). Restarts
//! reopen an object whose log holds `n` deltas, folding turned off: the integrity check of
//! the file, the snapshot and every delta decoded, their join, and the commit of the new
//! incarnation.
#![allow(
    clippy::expect_used,
    reason = "a bench whose store fails to open or commit has nothing to measure: it must stop"
)]

use std::path::Path;

use concord_benches::quick;
use concord_counter::GCounter;
use concord_set::OrSet;
use concord_store::{Options, ReplicaId, Store, Syncable};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn store_write(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_write");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path().join("writes.redb")).expect("a store");
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .expect("an object");
    let me = likes.id();
    group.throughput(Throughput::Elements(1));
    group.bench_function("per_write", |b| {
        b.iter(|| {
            likes
                .apply(|c| c.increment(me, 1).expect("no overflow"))
                .expect("a commit")
        });
    });
    for size in [16u64, 256, 4096] {
        group.throughput(Throughput::Elements(size));
        group.bench_function(BenchmarkId::new("group", size), |b| {
            b.iter(|| {
                likes
                    .apply_batch(|batch| {
                        for _ in 0..size {
                            batch
                                .apply(|c| c.increment(me, 1).expect("no overflow"))
                                .expect("a write");
                        }
                    })
                    .expect("a commit")
            });
        });
    }
    group.finish();
}

/// A store at `path` whose object "restart" has `n` deltas in its log (folding off), each
/// written by `write`.
fn logged<T: Syncable>(path: &Path, n: u64, write: impl Fn(&mut T, ReplicaId, u64) -> T) {
    let store = Store::open(path).expect("a store");
    let mut replica = store.replica::<T>("restart", never()).expect("an object");
    let me = replica.id();
    let mut next = 0;
    while next < n {
        let end = (next + 10_000).min(n);
        replica
            .apply_batch(|batch| {
                for i in next..end {
                    batch.apply(|state| write(state, me, i)).expect("a write");
                }
            })
            .expect("a commit");
        next = end;
    }
    assert_eq!(replica.storage_stats().log_entries, n);
}

/// Folding off: every delta stays in the log.
fn never() -> Options {
    Options::default().with_fold(u64::MAX, u64::MAX)
}

fn store_restart(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_restart");
    group.sample_size(10);
    let sizes: &[u64] = if quick() {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    for &n in sizes {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("restart.redb");
        logged::<GCounter>(&path, n, |c, me, _| {
            c.increment(me, 1).expect("no overflow")
        });
        group.throughput(Throughput::Elements(n));
        group.bench_function(BenchmarkId::new("g_counter", n), |b| {
            b.iter(|| {
                let store = Store::open(&path).expect("the store reopens");
                let counter = store
                    .replica::<GCounter>("restart", never())
                    .expect("the object");
                assert_eq!(counter.state().value(), u128::from(n));
            });
        });
    }
    // A set grows by a merge that is linear in its size (concord-set), so its log is built
    // only to 10,000 inserts; its replay joins the deltas as a balanced tree.
    let n = if quick() { 1_000 } else { 10_000 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("restart-set.redb");
    logged::<OrSet<u64>>(&path, n, |s, me, i| s.insert(me, i).expect("no overflow"));
    group.throughput(Throughput::Elements(n));
    group.bench_function(BenchmarkId::new("or_set", n), |b| {
        b.iter(|| {
            let store = Store::open(&path).expect("the store reopens");
            let set = store
                .replica::<OrSet<u64>>("restart", never())
                .expect("the object");
            assert_eq!(set.state().len() as u64, n);
        });
    });
    group.finish();
}

criterion_group!(benches, store_write, store_restart);
criterion_main!(benches);
