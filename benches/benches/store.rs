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
use concord_map::OrMap;
use concord_register::MvRegister;
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

/// The key-value scenario's store: 10,000 puts over 1,000 keys into an
/// `OrMap<String, MvRegister<String>>`, committed in batches of 100; the time of the whole
/// run, and (printed once) the file's size per key after the writes and after a fold.
fn store_size(c: &mut Criterion) {
    const KEYS: u64 = 1_000;
    let writes: u64 = if quick() { 1_000 } else { 10_000 };
    let run = |path: &Path| {
        let store = Store::open(path).expect("a store");
        let mut kv = store
            .replica::<OrMap<String, MvRegister<String>>>("kv", Options::default())
            .expect("an object");
        let me = kv.id();
        for chunk in 0..writes / 100 {
            kv.apply_batch(|batch| {
                for i in chunk * 100..(chunk + 1) * 100 {
                    // Keys in a scattered order, every key written ten times.
                    let key = format!("key-{:04}", i * 7_919 % KEYS);
                    batch
                        .apply(|map| {
                            map.apply(me, key, |reg, at| {
                                let (_, seen) = reg.read();
                                reg.write(at, format!("v{i}"), &seen)
                            })
                            .expect("no overflow")
                        })
                        .expect("a write");
                }
            })
            .expect("a commit");
        }
        kv
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("size.redb");
    let mut kv = run(&path);
    let written = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let stats = *kv.storage_stats();
    kv.fold().expect("a fold");
    let folded = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let state = kv.storage_stats().snapshot_bytes;
    println!(
        "store_size: {writes} puts over {KEYS} keys: file {written} bytes ({:.0}/key; log {} \
         entries, {} bytes; snapshot {} bytes), after a fold {folded} bytes ({:.0}/key; \
         snapshot {state} bytes, {:.1}/key)",
        written as f64 / KEYS as f64,
        stats.log_entries,
        stats.log_bytes,
        stats.snapshot_bytes,
        folded as f64 / KEYS as f64,
        state as f64 / KEYS as f64,
    );
    let mut group = c.benchmark_group("store_size");
    group.sample_size(10);
    group.throughput(Throughput::Elements(writes));
    group.bench_function(BenchmarkId::new("kv_batches_of_100", writes), |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            run(&dir.path().join("size.redb")).state().len()
        });
    });
    group.finish();
}

criterion_group!(benches, store_write, store_restart, store_size);
criterion_main!(benches);
