//! Several OS processes writing one replica at once: none loses another's updates.
//!
//! The binary is its own harness: run plainly, it starts a server and re-executes itself as
//! four writer processes (the environment tells a writer apart), waits for them, and checks
//! the object. Each writer increments a `GCounter` under the one replica id they share, a
//! write that a stale state would lose (an increment computed on an old count is dominated
//! by a newer one), and records its name in an `OrSet`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test"
)]

mod common;

use std::process::{Command, Stdio};

use common::server::PgServer;
use concord_counter::GCounter;
use concord_postgres::{Options, PgStore};
use concord_set::OrSet;

const WRITERS: u64 = 4;
/// Writes per writer: single writes, then batches of five.
const SINGLE: u64 = 60;
const BATCHES: u64 = 8;
const PER_WRITER: u64 = SINGLE + BATCHES * 5;

const PARAMS: &str = "CONCORD_PG_WRITER_PARAMS";
const INDEX: &str = "CONCORD_PG_WRITER_INDEX";

fn main() {
    if let (Ok(params), Ok(index)) = (std::env::var(PARAMS), std::env::var(INDEX)) {
        writer(&params, &index);
        return;
    }
    several_processes_writing_one_replica_lose_nothing();
    println!("test several_processes_writing_one_replica_lose_nothing ... ok");
}

/// One writer process: prints how often it caught up with the others.
fn writer(params: &str, index: &str) {
    let store = PgStore::open(params).unwrap();
    // A small fold threshold: writers also catch up across each other's folds.
    let options = Options::default().with_fold(16, 1 << 20);
    let mut hits = store.replica::<GCounter>("hits", options).unwrap();
    let mut names = store.replica::<OrSet<String>>("names", options).unwrap();
    let me = hits.id();
    let at = names.id();
    for i in 0..SINGLE {
        hits.apply(|c| c.increment(me, 1).unwrap()).unwrap();
        names
            .apply(|s| s.insert(at, format!("{index}-{i}")).unwrap())
            .unwrap();
    }
    for b in 0..BATCHES {
        hits.apply_batch(|batch| {
            for _ in 0..5 {
                batch.apply(|c| c.increment(me, 1).unwrap()).unwrap();
            }
        })
        .unwrap();
        names
            .apply_batch(|batch| {
                for k in 0..5 {
                    batch
                        .apply(|s| s.insert(at, format!("{index}-b{b}-{k}")).unwrap())
                        .unwrap();
                }
            })
            .unwrap();
    }
    println!(
        "catch_ups {}",
        hits.storage_stats().catch_ups + names.storage_stats().catch_ups
    );
}

fn several_processes_writing_one_replica_lose_nothing() {
    let server = PgServer::start();
    let params = server.params("postgres");
    let store = PgStore::open(&params).unwrap();
    // Created before the writers start, so that they all open an existing object.
    drop(
        store
            .replica::<GCounter>("hits", Options::default())
            .unwrap(),
    );
    drop(
        store
            .replica::<OrSet<String>>("names", Options::default())
            .unwrap(),
    );
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WRITERS)
        .map(|index| {
            Command::new(&exe)
                .env(PARAMS, &params)
                .env(INDEX, index.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut catch_ups = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "a writer failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        catch_ups += stdout
            .lines()
            .find_map(|l| l.strip_prefix("catch_ups "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("a writer printed no count: {stdout}"));
    }
    // The writers did interleave: each found the others' writes before some of its own.
    assert!(catch_ups > 0, "the writers never ran at the same time");
    let hits = store
        .replica::<GCounter>("hits", Options::default())
        .unwrap();
    assert_eq!(
        hits.state().value(),
        u128::from(WRITERS * PER_WRITER),
        "increments were lost"
    );
    assert_eq!(hits.replica().writes(), WRITERS * PER_WRITER);
    let names = store
        .replica::<OrSet<String>>("names", Options::default())
        .unwrap();
    assert_eq!(names.state().iter().count() as u64, WRITERS * PER_WRITER);
    for index in 0..WRITERS {
        for i in 0..SINGLE {
            assert!(names.state().contains(&format!("{index}-{i}")));
        }
    }
    println!("{WRITERS} writer processes, {catch_ups} catch-ups, nothing lost");
}
