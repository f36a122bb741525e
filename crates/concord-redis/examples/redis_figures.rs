//! The figures of `docs/performance.md` for concord-redis: messages and bytes through Redis
//! per write in a key-value scenario, and writes per second through the transport.
//!
//! ```text
//! cargo run --release -p concord-redis --example redis_figures
//! ```
//!
//! Starts its own `redis-server` (free port, no persistence). Two parts:
//!
//! - **kv**: twice, with `Config::relay` on and off (Redis links every replica with every
//!   other, a full mesh); 5 replicas (`OrMap<String, MvRegister<String>>`) in one process, each with its own
//!   connection and `RedisTransport`; 2,000 writes, each by a replica drawn at random
//!   (seeded `ChaCha8Rng`) to one of 100 keys; after every 10 writes every replica pumps once
//!   (no wait), then all pump until equal. Counted: the engine's messages and their bytes, the
//!   bytes Redis itself received and sent (`INFO stats`, protocol included), round trips, and
//!   the lower bound: each write's delta, encoded, once over each of the 4 links.
//! - **store**: committed writes per second of one `RedisReplica` (the same map): 2,000 writes
//!   one script each (`apply`), then 100 batches of 64 (`apply_batch`), then a reopen (load and
//!   restore) of the object.
//! - **throughput**: 3 replicas, one thread each, each writing 5,000 distinct keys as fast as it
//!   can, pumping (no wait) after every 16 writes, then pumping until it holds all 15,000;
//!   writes per second = 15,000 / the time until the last replica holds them all.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "an example: a failed step should stop it with a message"
)]

#[path = "../tests/common/server.rs"]
mod server;

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use concord_map::OrMap;
use concord_redis::concord_core::codec;
use concord_redis::concord_sync::{Config, Replica};
use concord_redis::{Options, RedisStore, RedisTransport, ReplicaId, TransportOptions};
use concord_register::MvRegister;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use server::RedisServer;

type Kv = OrMap<String, MvRegister<String>>;

fn set(kv: &mut Kv, at: ReplicaId, key: &str, value: &str) -> Kv {
    kv.apply(at, key.to_owned(), |versions, at| {
        let (_, seen) = versions.read();
        versions.write(at, value.to_owned(), &seen)
    })
    .unwrap()
}

/// Redis's own byte counters: received, sent.
fn net_bytes(server: &RedisServer) -> (u64, u64) {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query(&mut server.conn())
        .unwrap();
    let field = |name: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap()
    };
    (
        field("total_net_input_bytes:"),
        field("total_net_output_bytes:"),
    )
}

fn kv(server: &RedisServer, relay: bool) {
    const REPLICAS: usize = 5;
    const WRITES: usize = 2000;
    const KEYS: usize = 100;
    // Each run on an object of its own: the other's streams still hold its messages.
    let object = if relay { "kv" } else { "kv-direct" };
    let mut nodes: Vec<(Replica<Kv>, RedisTransport)> = (0..REPLICAS)
        .map(|i| {
            let id = ReplicaId::from_u128(i as u128 + 1);
            let transport =
                RedisTransport::connect(server.client(), object, id, TransportOptions::default())
                    .unwrap();
            let config = Config::default().with_relay(relay);
            (Replica::with_config(id, Kv::new(), config), transport)
        })
        .collect();
    for (replica, transport) in &mut nodes {
        transport.refresh_members(replica).unwrap();
    }
    let before = net_bytes(server);
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let mut lower_bound = 0u64;
    let start = Instant::now();
    for w in 0..WRITES {
        let (replica, _) = &mut nodes[rng.random_range(0..REPLICAS)];
        let me = replica.id();
        let key = format!("key-{}", rng.random_range(0..KEYS));
        let value = format!("value-{w}");
        replica
            .apply(|kv| {
                let delta = set(kv, me, &key, &value);
                lower_bound += codec::encode(&delta).unwrap().len() as u64 * (REPLICAS as u64 - 1);
                delta
            })
            .unwrap();
        if w % 10 == 9 {
            for (replica, transport) in &mut nodes {
                transport.pump(replica, Duration::ZERO).unwrap();
            }
        }
    }
    loop {
        for (replica, transport) in &mut nodes {
            transport.pump(replica, Duration::ZERO).unwrap();
        }
        let first = nodes[0].0.state();
        if nodes.iter().all(|(r, _)| r.state() == first) {
            break;
        }
    }
    let elapsed = start.elapsed();
    // Quiet: the last acknowledgements. (No wait: Redis times a blocking read out only at
    // its `hz`, every 100 ms by default.)
    for _ in 0..30 {
        for (replica, transport) in &mut nodes {
            transport.pump(replica, Duration::ZERO).unwrap();
        }
    }
    let after = net_bytes(server);
    let (mut messages, mut bytes, mut trips) = (0u64, 0u64, 0u64);
    let mut kinds = [0u64; 4];
    for (replica, transport) in &nodes {
        messages += transport.stats().sent;
        bytes += transport.stats().sent_bytes;
        trips += transport.stats().round_trips;
        let s = replica.stats();
        kinds[0] += s.deltas.0;
        kinds[1] += s.acks.0;
        kinds[2] += s.summaries.0;
        kinds[3] += s.catch_ups.0;
    }
    let w = WRITES as f64;
    println!(
        "kv, {}: {REPLICAS} replicas, {WRITES} writes to {KEYS} keys, converged in {elapsed:.2?}",
        if relay {
            "relaying"
        } else {
            "not relaying (every replica reads every other's stream)"
        }
    );
    println!(
        "  messages: {messages} ({:.2}/write; deltas {}, acks {}, summaries {}, catch-ups {})",
        messages as f64 / w,
        kinds[0],
        kinds[1],
        kinds[2],
        kinds[3]
    );
    println!(
        "  message bytes: {bytes} ({:.1}/write); lower bound {lower_bound} ({:.1}/write); ratio {:.2}",
        bytes as f64 / w,
        lower_bound as f64 / w,
        bytes as f64 / lower_bound as f64
    );
    println!(
        "  Redis received {} bytes ({:.1}/write), sent {} bytes ({:.1}/write), protocol included",
        after.0 - before.0,
        (after.0 - before.0) as f64 / w,
        after.1 - before.1,
        (after.1 - before.1) as f64 / w
    );
    println!("  round trips: {trips} ({:.2}/write)", trips as f64 / w);
}

fn throughput(server: &RedisServer) {
    const REPLICAS: usize = 3;
    const WRITES: usize = 5000;
    let start = Instant::now();
    let handles: Vec<_> = (0..REPLICAS)
        .map(|i| {
            let client = server.client();
            thread::spawn(move || {
                let id = ReplicaId::from_u128(100 + i as u128);
                let mut transport =
                    RedisTransport::connect(client, "throughput", id, TransportOptions::default())
                        .unwrap();
                let mut replica = Replica::new(id, Kv::new());
                for w in 0..WRITES {
                    replica
                        .apply(|kv| set(kv, id, &format!("r{i}-{w}"), "x"))
                        .unwrap();
                    if w % 16 == 15 {
                        transport.pump(&mut replica, Duration::ZERO).unwrap();
                    }
                }
                while replica.state().len() < REPLICAS * WRITES {
                    transport.pump(&mut replica, Duration::ZERO).unwrap();
                }
                let done = start.elapsed();
                // Stay a while, so the others get their acknowledgements and catch-ups.
                let until = Instant::now() + Duration::from_millis(300);
                while Instant::now() < until {
                    transport
                        .pump(&mut replica, Duration::from_millis(10))
                        .unwrap();
                }
                (done, *transport.stats())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let last = results.iter().map(|(d, _)| *d).max().unwrap();
    let total = (REPLICAS * WRITES) as f64;
    let messages: u64 = results.iter().map(|(_, s)| s.sent).sum();
    println!(
        "throughput: {REPLICAS} replicas x {WRITES} writes, all held everywhere after {last:.2?}: \
         {:.0} writes/s ({messages} messages, {:.2}/write)",
        total / last.as_secs_f64(),
        messages as f64 / total
    );
}

fn store(server: &RedisServer) {
    const WRITES: usize = 2000;
    const BATCHES: usize = 100;
    const BATCH: usize = 64;
    let store = RedisStore::open(&server.url()).unwrap();
    let options = Options::default();
    let mut kv = store.replica::<Kv>("figures/store", options).unwrap();
    let me = kv.id();
    let start = Instant::now();
    for w in 0..WRITES {
        kv.apply(|kv| set(kv, me, &format!("key-{}", w % 100), "x"))
            .unwrap();
    }
    let per_write = start.elapsed();
    let start = Instant::now();
    for b in 0..BATCHES {
        kv.apply_batch(|batch| {
            for w in 0..BATCH {
                batch
                    .apply(|kv| set(kv, me, &format!("key-{}", (b * BATCH + w) % 100), "y"))
                    .unwrap();
            }
        })
        .unwrap();
    }
    let grouped = start.elapsed();
    let stats = *kv.storage_stats();
    drop(kv);
    let start = Instant::now();
    let reopened = store.replica::<Kv>("figures/store", options).unwrap();
    let reopen = start.elapsed();
    assert_eq!(reopened.state().len(), 100);
    println!(
        "store: {WRITES} writes one script each in {per_write:.2?} ({:.0} committed writes/s); \
         {BATCHES} batches of {BATCH} in {grouped:.2?} ({:.0} writes/s); {} commits, {} folds; \
         reopen {reopen:.2?}",
        WRITES as f64 / per_write.as_secs_f64(),
        (BATCHES * BATCH) as f64 / grouped.as_secs_f64(),
        stats.commits,
        stats.folds
    );
}

fn main() -> ExitCode {
    let Some(server) = RedisServer::start() else {
        return ExitCode::FAILURE;
    };
    kv(&server, true);
    kv(&server, false);
    store(&server);
    throughput(&server);
    ExitCode::SUCCESS
}
