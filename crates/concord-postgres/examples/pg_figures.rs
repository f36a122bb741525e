//! The figures of `docs/performance.md` for concord-postgres: durable writes per second through
//! a `PgReplica`, one writer and four at once, and how long a streaming standby takes to
//! replay a session's write under load.
//!
//! ```text
//! cargo run --release -p concord-postgres --example pg_figures
//! ```
//!
//! Starts its own primary and standby (`postgres` on free 127.0.0.1 ports, clusters in
//! temporary directories; as root, run as user `postgres`), with `fsync` and
//! `synchronous_commit` on: a commit returns once its WAL is flushed to disk. Parts:
//!
//! - **single**: one handle of an `OrMap<String, MvRegister<String>>` object writes 1,000
//!   times (one transaction each: row lock, log row, row update, commit) to 100 keys, then
//!   100 batches of 16 (`apply_batch`).
//! - **four**: four threads, each with its own connection and handle of one object, write 250
//!   times each at once; each write first catches up with the others' log rows under the lock.
//! - **catch-up**: three threads load the primary (inserts of 20 rows of 200 bytes, as fast as
//!   they can) while a session writes 300 times; after each commit it polls the standby's
//!   `pg_last_wal_replay_lsn()` until it passes the write's token, and records the wait.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "an example: a failed step should stop it with a message"
)]

#[path = "../tests/common/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use concord_postgres::{Document, Options, PgStore, SessionClient, set_field};
use server::{PgServer, Settings};

type Kv = Document<String>;

fn per_second(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn main() {
    let primary = PgServer::start_with(Settings {
        durable: true,
        extra: Vec::new(),
    });
    let params = primary.params("postgres");
    let store = PgStore::open(&params).unwrap();

    // single
    let mut kv = store
        .replica::<Kv>("kv/single", Options::default())
        .unwrap();
    let me = kv.id();
    let start = Instant::now();
    for i in 0..1000u32 {
        let key = format!("key-{}", i % 100);
        kv.apply(|d| set_field(d, me, &key, format!("value-{i}")).unwrap())
            .unwrap();
    }
    let single = start.elapsed();
    let start = Instant::now();
    for b in 0..100u32 {
        kv.apply_batch(|batch| {
            for k in 0..16u32 {
                let key = format!("key-{}", (b * 16 + k) % 100);
                batch
                    .apply(|d| set_field(d, me, &key, format!("batch-{b}-{k}")).unwrap())
                    .unwrap();
            }
        })
        .unwrap();
    }
    let batched = start.elapsed();
    println!(
        "single writer: 1000 writes in {single:.2?}: {:.0} durable writes/s; 100 batches of 16 in \
         {batched:.2?}: {:.0} writes/s ({:?})",
        per_second(1000, single),
        per_second(1600, batched),
        kv.storage_stats()
    );

    // four
    drop(store.replica::<Kv>("kv/four", Options::default()).unwrap());
    let start = Instant::now();
    let writers: Vec<_> = (0..4u32)
        .map(|w| {
            let store = store.clone();
            thread::spawn(move || {
                let mut kv = store.replica::<Kv>("kv/four", Options::default()).unwrap();
                let me = kv.id();
                for i in 0..250u32 {
                    let key = format!("key-{}", (w * 250 + i) % 100);
                    kv.apply(|d| set_field(d, me, &key, format!("w{w}-{i}")).unwrap())
                        .unwrap();
                }
                kv.storage_stats().catch_ups
            })
        })
        .collect();
    let catch_ups: u64 = writers.into_iter().map(|t| t.join().unwrap()).sum();
    let four = start.elapsed();
    let kv = store.replica::<Kv>("kv/four", Options::default()).unwrap();
    assert_eq!(kv.replica().writes(), 1000, "a write was lost");
    println!(
        "four writers: 1000 writes in {four:.2?}: {:.0} durable writes/s, {catch_ups} catch-ups",
        per_second(1000, four)
    );

    // catch-up
    let standby = PgServer::standby_of(&primary, &[]);
    primary
        .client()
        .batch_execute(
            "CREATE TABLE load (id bigserial PRIMARY KEY, payload text NOT NULL);
             CREATE TABLE counters (session text PRIMARY KEY, n bigint NOT NULL);
             INSERT INTO counters VALUES ('alice', 0);",
        )
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..3)
        .map(|_| {
            let mut client = primary.client();
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    client
                        .execute(
                            "INSERT INTO load (payload) SELECT repeat('x', 200) \
                             FROM generate_series(1, 20)",
                            &[],
                        )
                        .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut session = SessionClient::new(primary.client(), standby.client(), "alice").unwrap();
    let mut waits = Vec::new();
    let start = Instant::now();
    for _ in 0..300 {
        let (_, token) = session
            .write(|tx| tx.execute("UPDATE counters SET n = n + 1 WHERE session = 'alice'", &[]))
            .unwrap();
        let committed = Instant::now();
        loop {
            if session
                .standby_replay_lsn()
                .unwrap()
                .is_some_and(|replayed| replayed >= token)
            {
                break;
            }
            assert!(
                committed.elapsed() < Duration::from_secs(30),
                "the standby stalled"
            );
        }
        waits.push(committed.elapsed());
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let load_transactions: u64 = load.into_iter().map(|t| t.join().unwrap()).sum();
    waits.sort();
    let at = |q: f64| waits[((waits.len() as f64 * q) as usize).min(waits.len() - 1)];
    println!(
        "standby catch-up over 300 session writes ({load_transactions} load transactions of 20 \
         rows in {elapsed:.2?}): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        at(0.5),
        at(0.99),
        waits[waits.len() - 1]
    );
}
