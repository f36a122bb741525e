//! A replica process of the key-value store, for the kill test and the `redis_replicas`
//! example: its state in Redis ([`RedisReplica`]), its messages through Redis
//! ([`RedisTransport`]), and a launcher's view of it through its standard output.
//!
//! Node `i` owns stored object `kv/node-<i>` and syncs object `kv`. It writes keys
//! `n<i>-<seq>` (one every `interval`) until it has made `writes` writes, printing
//! `ACK <key>` after each write is committed, and prints `KEYS <count> <key,key,...>` whenever
//! its state changed (at most every 50 ms). A node restarted after a kill reopens its object
//! (same id, next incarnation) and goes on from the writes it committed. It stops when its
//! standard input closes or reads `STOP`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "a test process: a failed step is a failed test"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use concord_map::OrMap;
use concord_redis::{Options, RedisStore, RedisTransport, TransportOptions};
use concord_register::MvRegister;

type Kv = OrMap<String, MvRegister<String>>;

/// Runs node `index` against the server at `url`; returns when told to stop.
pub fn run(url: &str, index: usize, writes: u64, interval: Duration) {
    let stop = {
        let (tx, rx) = mpsc::channel::<()>();
        thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                match line {
                    Ok(line) if line.trim() != "STOP" => {}
                    _ => break,
                }
            }
            let _ = tx.send(());
        });
        rx
    };
    let store = RedisStore::open(url).unwrap();
    let mut replica = store
        .replica::<Kv>(&format!("kv/node-{index}"), Options::default())
        .unwrap();
    let me = replica.id();
    let client = redis::Client::open(url).unwrap();
    let mut transport =
        RedisTransport::connect(client, "kv", me, TransportOptions::default()).unwrap();
    let mut out = std::io::stdout().lock();
    // Under the test harness the output starts in the middle of its `test ... ` line.
    writeln!(out).unwrap();
    let mut next_write = Instant::now();
    let mut printed = Instant::now();
    let mut last_keys = usize::MAX;
    loop {
        if stop.try_recv().is_ok() {
            return;
        }
        if replica.replica().writes() < writes && Instant::now() >= next_write {
            // Keys go on from the writes committed before a kill: the checkpoint counts them.
            let key = format!("n{index}-{}", replica.replica().writes());
            replica
                .apply(|kv| {
                    kv.apply(me, key.clone(), |versions, at| {
                        let (_, seen) = versions.read();
                        versions.write(at, "x".to_owned(), &seen)
                    })
                    .unwrap()
                })
                .unwrap();
            writeln!(out, "ACK {key}").unwrap();
            next_write += interval;
        }
        // While writing, poll (Redis times a blocking read out only every 100 ms by
        // default) and sleep a little when nothing came; then wait for messages.
        let writing = replica.replica().writes() < writes;
        let wait = if writing {
            Duration::ZERO
        } else {
            Duration::from_millis(20)
        };
        match transport.pump(&mut replica, wait) {
            Ok(0) if writing => thread::sleep(Duration::from_millis(1)),
            Ok(_) => {}
            Err(e) => {
                eprintln!("node {index}: {e}");
                thread::sleep(Duration::from_millis(20));
            }
        }
        let count = replica.state().len();
        let changed = count != last_keys || printed.elapsed() > Duration::from_millis(500);
        if changed && printed.elapsed() > Duration::from_millis(50) {
            let list: Vec<&str> = replica.state().keys().map(String::as_str).collect();
            writeln!(out, "KEYS {count} {}", list.join(",")).unwrap();
            last_keys = count;
            printed = Instant::now();
        }
        out.flush().unwrap();
    }
}

/// A node process seen from its launcher: its lines arrive on a channel; killed when dropped.
pub struct Launched {
    child: Child,
    stdin: Option<ChildStdin>,
    pub lines: Receiver<String>,
}

impl Launched {
    /// Starts `command` with piped standard input and output.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
        }
    }

    /// Kills it (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Tells it to stop and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "STOP");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the launcher learned from a node's lines.
#[derive(Default)]
pub struct Seen {
    /// Keys whose write the node acknowledged.
    pub acked: Vec<String>,
    /// The keys of its state, as of its last `KEYS` line.
    pub keys: Vec<String>,
}

impl Seen {
    /// Takes the lines that arrived.
    pub fn take(&mut self, node: &Launched) {
        while let Ok(line) = node.lines.try_recv() {
            if let Some(key) = line.strip_prefix("ACK ") {
                self.acked.push(key.to_owned());
            } else if let Some(rest) = line.strip_prefix("KEYS ") {
                let list = rest.split_once(' ').map_or("", |(_, list)| list);
                self.keys = list
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
        }
    }
}
