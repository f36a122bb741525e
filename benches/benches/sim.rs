//! The simulator's throughput: client writes per second through the default key-value
//! scenario (10,000 writes, 1,000 keys, drops, duplicates, partitions, crashes, sessions), per
//! type and sync mode at 5 replicas, and for concord-sync at 64. One iteration is one whole run: the script,
//! the writes and reads, the convergence after the heal and the final checks.
#![allow(
    clippy::expect_used,
    reason = "a bench whose type is not registered has nothing to measure: it must stop"
)]

use concord_benches::quick;
use concord_sim::{Mode, Scenario, find};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn sim(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    // Under `cargo test --benches` each benchmark runs once: a small run is enough.
    let (ops, sizes): (usize, &[usize]) = if quick() {
        (300, &[5])
    } else {
        (10_000, &[5, 64])
    };
    for &replicas in sizes {
        let sc = Scenario {
            replicas,
            ops,
            ..Scenario::default()
        };
        group.throughput(Throughput::Elements(sc.ops as u64));
        for name in ["kv-or-map", "kv-lww-map"] {
            let t = find(name).expect("a registered type");
            // At 64 replicas the baselines take tens of seconds a run (full state is O(state)
            // per replica and round): only concord-sync is measured there.
            let modes: &[Mode] = if replicas > 5 {
                &[Mode::Sync]
            } else {
                &[Mode::Seed, Mode::Full, Mode::Delta, Mode::Sync]
            };
            for &mode in modes {
                let id = BenchmarkId::new(format!("{name}/{mode}"), replicas);
                group.bench_with_input(id, &sc, |b, sc| {
                    b.iter(|| t.run(sc, mode, &mut |_| {}).report.passed());
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, sim);
criterion_main!(benches);
