//! Three replica processes of a key-value store syncing through one Redis server; one is
//! killed and restarted; all end equal.
//!
//! ```text
//! cargo run -p concord-redis --example redis_replicas                 # starts its own redis-server
//! cargo run -p concord-redis --example redis_replicas -- --url redis://127.0.0.1:6379/
//! ```
//!
//! The launcher starts a `redis-server` on a free 127.0.0.1 port (without persistence, in a
//! temporary directory), or uses the one given with `--url` (keys under prefix `concord`, object
//! `kv`). It then starts this same program three times as `--node 0`, `--node 1` and
//! `--node 2`. Each node keeps its state in Redis (`RedisReplica`, stored object
//! `kv/node-<i>`), finds the others through Redis and syncs with them through Redis streams
//! (`RedisTransport`, object `kv`), writes 40 keys `n<i>-<seq>`, one every 10 ms, and prints
//! `ACK <key>` once each write is committed and `KEYS <count> <keys>` when its state changes.
//!
//! Once node 1 has acknowledged a third of its writes the launcher kills it (SIGKILL) and
//! starts it again: it reopens its object (same id, next incarnation), goes on from the writes
//! it committed, and the others catch it up. The launcher waits until the three hold the same
//! 120 keys, checks that every acknowledged write is among them, prints
//! `FINAL node=<i> keys=<n>` for each, and exits 0 only then.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "an example: a failed step should stop it with a message"
)]

#[path = "../tests/common/node.rs"]
mod node;
#[path = "../tests/common/server.rs"]
mod server;

use std::collections::BTreeSet;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use node::{Launched, Seen};
use server::RedisServer;

const NODES: usize = 3;
const WRITES: u64 = 40;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let (Some(index), Some(url)) = (flag("--node"), flag("--url")) {
        node::run(
            &url,
            index.parse().unwrap(),
            WRITES,
            Duration::from_millis(10),
        );
        return ExitCode::SUCCESS;
    }
    // The server lives as long as the launcher.
    let own_server;
    let url = match flag("--url") {
        Some(url) => url,
        None => {
            let Some(server) = RedisServer::start() else {
                return ExitCode::FAILURE;
            };
            own_server = server;
            println!("redis-server on {}", own_server.url());
            own_server.url()
        }
    };
    launch_all(&url)
}

fn launch(url: &str, index: usize) -> Launched {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--node", &index.to_string(), "--url", url])
        .env("RUST_BACKTRACE", "0");
    Launched::spawn(command)
}

fn launch_all(url: &str) -> ExitCode {
    let start = Instant::now();
    let mut nodes: Vec<Launched> = (0..NODES).map(|i| launch(url, i)).collect();
    let mut seen: Vec<Seen> = (0..NODES).map(|_| Seen::default()).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen[1].acked.len() < (WRITES / 3) as usize {
        if Instant::now() > deadline {
            eprintln!("node 1 never wrote");
            return ExitCode::FAILURE;
        }
        seen[1].take(&nodes[1]);
        thread::sleep(Duration::from_millis(2));
    }
    nodes[1].kill();
    seen[1].take(&nodes[1]);
    println!(
        "killed node 1 after {} acknowledged writes",
        seen[1].acked.len()
    );
    thread::sleep(Duration::from_millis(200));
    nodes[1] = launch(url, 1);
    println!("restarted node 1");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for (node, seen) in nodes.iter().zip(&mut seen) {
            seen.take(node);
        }
        let total = NODES * WRITES as usize;
        if seen[0].keys.len() == total && seen.iter().all(|s| s.keys == seen[0].keys) {
            break;
        }
        if Instant::now() > deadline {
            eprintln!(
                "no convergence: keys held {:?}",
                seen.iter().map(|s| s.keys.len()).collect::<Vec<_>>()
            );
            return ExitCode::FAILURE;
        }
        thread::sleep(Duration::from_millis(20));
    }
    for node in &mut nodes {
        node.stop();
    }
    let held: BTreeSet<&String> = seen[0].keys.iter().collect();
    let acked: BTreeSet<&String> = seen.iter().flat_map(|s| &s.acked).collect();
    let lost: Vec<&&String> = acked.difference(&held).collect();
    for (i, seen) in seen.iter().enumerate() {
        println!("FINAL node={i} keys={}", seen.keys.len());
    }
    if !lost.is_empty() {
        eprintln!("acknowledged writes lost: {lost:?}");
        return ExitCode::FAILURE;
    }
    println!(
        "all {NODES} equal: {} keys, {} acknowledged writes, none lost ({:.1} s)",
        held.len(),
        acked.len(),
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
