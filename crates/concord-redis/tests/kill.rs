//! Three replica processes of a key-value store sync through one `redis-server` and keep
//! their state in it; one is killed (SIGKILL) in the middle of its writes and restarted. Every
//! replica ends with every write any of them acknowledged, the killed one's included.
//!
//! The processes are this test binary itself, run with `replica_child` and the environment
//! variable `CONCORD_REDIS_CHILD` (the server's URL).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::node::{self, Launched, Seen};
use common::server::RedisServer;

const CHILD: &str = "CONCORD_REDIS_CHILD";
const NODE: &str = "CONCORD_REDIS_NODE";
const WRITES: u64 = 40;

/// A replica process; does nothing as part of the ordinary test run.
#[test]
fn replica_child() {
    let Ok(url) = std::env::var(CHILD) else {
        return;
    };
    let index: usize = std::env::var(NODE).unwrap().parse().unwrap();
    node::run(&url, index, WRITES, Duration::from_millis(10));
}

fn launch(url: &str, index: usize) -> Launched {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "replica_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, url)
        .env(NODE, index.to_string());
    Launched::spawn(command)
}

#[test]
fn a_killed_replica_restarts_and_nothing_acknowledged_is_lost() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let mut nodes: Vec<Launched> = (0..3).map(|i| launch(&url, i)).collect();
    let mut seen: Vec<Seen> = (0..3).map(|_| Seen::default()).collect();
    // Kill node 1 once it has acknowledged a third of its writes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen[1].acked.len() < (WRITES / 3) as usize {
        assert!(Instant::now() < deadline, "node 1 never wrote");
        seen[1].take(&nodes[1]);
        thread::sleep(Duration::from_millis(2));
    }
    nodes[1].kill();
    seen[1].take(&nodes[1]);
    let acked_before_kill = seen[1].acked.len();
    thread::sleep(Duration::from_millis(200));
    nodes[1] = launch(&url, 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for (node, seen) in nodes.iter().zip(&mut seen) {
            seen.take(node);
        }
        let acked: BTreeSet<&String> = seen.iter().flat_map(|s| &s.acked).collect();
        // Every node makes all its writes (the restarted one goes on from those it
        // committed; a write committed just before the kill may never have been
        // acknowledged).
        let all_done = seen[0].keys.len() == 3 * WRITES as usize;
        let equal = seen.iter().all(|s| s.keys == seen[0].keys);
        if all_done && equal {
            let held: BTreeSet<&String> = seen[0].keys.iter().collect();
            let lost: Vec<&&String> = acked.difference(&held).collect();
            assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
            // Only a write committed just before the kill may lack its acknowledgement.
            assert!(acked.len() >= 3 * WRITES as usize - 1, "{}", acked.len());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no convergence: {} acknowledged, keys held {:?}",
            acked.len(),
            seen.iter().map(|s| s.keys.len()).collect::<Vec<_>>()
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert!(acked_before_kill > 0 && acked_before_kill < WRITES as usize);
    for node in &mut nodes {
        node.stop();
    }
}
