//! Crash tests with real processes: a writer process opens a store and writes, printing each
//! write the store acknowledged to this process over a pipe; this process kills it with
//! SIGKILL at random points, reopens the store, and checks that every acknowledged write is
//! there, that the state and the checkpoint agree, and that writing goes on.
//!
//! The writer is this test binary itself, run with `crash_child` and the environment variable
//! `CONCORD_STORE_CRASH_CHILD` (the store's path). `CONCORD_STORE_KILLS` sets the number of
//! kills per mode (default 100 per write, 100 grouped, 40 during folds).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use concord_set::OrSet;
use concord_store::{DurableReplica, Options, ReplicaId, Store};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CHILD: &str = "CONCORD_STORE_CRASH_CHILD";
const MODE: &str = "CONCORD_STORE_CRASH_MODE";
const SEED: &str = "CONCORD_STORE_CRASH_SEED";

type Set = OrSet<u64>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One transaction per write.
    PerWrite,
    /// Batches of 1 to 64 writes per transaction.
    Group,
    /// Batches, and a fold of a large state every few batches; kills aim at the folds.
    Fold,
}

impl Mode {
    const fn name(self) -> &'static str {
        match self {
            Self::PerWrite => "per-write",
            Self::Group => "group",
            Self::Fold => "fold",
        }
    }

    fn parse(name: &str) -> Self {
        match name {
            "per-write" => Self::PerWrite,
            "group" => Self::Group,
            "fold" => Self::Fold,
            other => panic!("unknown mode {other}"),
        }
    }

    /// Small thresholds, so the log folds often on its own too.
    fn options(self) -> Options {
        Options::default().with_fold(64, 16 << 10)
    }
}

/// The writer process: never returns (it is killed), unless run without the variable, as
/// part of the ordinary test run, where it does nothing.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD) else {
        return;
    };
    let mode = Mode::parse(&std::env::var(MODE).unwrap());
    let seed: u64 = std::env::var(SEED).unwrap().parse().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = std::io::stdout().lock();
    let store = match Store::open(&path) {
        Ok(store) => store,
        Err(e) => {
            writeln!(out, "error {e}").unwrap();
            return;
        }
    };
    let mut set = match store.replica::<Set>("set", mode.options()) {
        Ok(set) => set,
        Err(e) => {
            writeln!(out, "error {e}").unwrap();
            return;
        }
    };
    let id = set.id();
    let mut next = set.state().iter().max().map_or(0, |m| m + 1);
    writeln!(out, "ready {next}").unwrap();
    out.flush().unwrap();
    let mut batches = 0u64;
    loop {
        match mode {
            Mode::PerWrite => {
                let token = set.apply(|s| s.insert(id, next).unwrap()).unwrap();
                // Acknowledged: the token came back, so the write is committed.
                writeln!(out, "ack {next} {}", token.writes_of(&id)).unwrap();
                next += 1;
            }
            Mode::Group | Mode::Fold => {
                let size = rng.random_range(1..=64u64);
                let committed = set
                    .apply_batch(|batch| {
                        for elem in next..next + size {
                            batch.apply(|s| s.insert(id, elem).unwrap()).unwrap();
                        }
                    })
                    .unwrap();
                for (elem, token) in (next..).zip(&committed.tokens) {
                    writeln!(out, "ack {elem} {}", token.writes_of(&id)).unwrap();
                }
                next += size;
                batches += 1;
                if mode == Mode::Fold && batches.is_multiple_of(2) {
                    writeln!(out, "folding").unwrap();
                    out.flush().unwrap();
                    set.fold().unwrap();
                    writeln!(out, "folded").unwrap();
                }
            }
        }
        out.flush().unwrap();
    }
}

/// What one mode's kills found.
#[derive(Debug, Default)]
struct Tally {
    kills: u64,
    /// Kills before the writer had opened its store (during creation, replay, the
    /// incarnation's commit).
    before_ready: u64,
    /// Kills after `folding` and before `folded`.
    during_fold: u64,
    acknowledged: u64,
    lost: u64,
    /// Writes found committed though never acknowledged (killed between commit and print).
    committed_unacknowledged: u64,
}

fn kills(default: u64) -> u64 {
    std::env::var("CONCORD_STORE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens the store in this process, checks it against the writes acknowledged so far, and
/// writes one more. Returns the id, and adds the writes found to `acknowledged`.
fn check(
    path: &Path,
    mode: Mode,
    acknowledged: &mut BTreeSet<u64>,
    id: &mut Option<ReplicaId>,
    tally: &mut Tally,
) {
    let store = Store::open(path).unwrap_or_else(|e| panic!("reopening after a kill: {e}"));
    let mut set: DurableReplica<Set> = store
        .replica("set", mode.options())
        .unwrap_or_else(|e| panic!("reopening the object after a kill: {e}"));
    match id {
        Some(id) => assert_eq!(set.id(), *id, "the replica's id changed"),
        None => *id = Some(set.id()),
    }
    let state = set.state();
    let lost: Vec<u64> = acknowledged
        .iter()
        .filter(|e| !state.contains(e))
        .copied()
        .collect();
    if !lost.is_empty() {
        println!("{}: acknowledged writes lost: {lost:?}", mode.name());
    }
    tally.lost += lost.len() as u64;
    let unacknowledged = state.iter().filter(|e| !acknowledged.contains(e)).count() as u64;
    tally.committed_unacknowledged += unacknowledged;
    // Each write inserted one new element under this id: the checkpoint's count of own
    // writes and the state agree.
    assert_eq!(
        set.replica().writes(),
        state.len() as u64,
        "checkpoint and state disagree"
    );
    assert!(set.lost_state().is_none());
    // Writing goes on.
    let next = state.iter().max().map_or(0, |m| m + 1);
    let me = set.id();
    set.apply(|s| s.insert(me, next).unwrap()).unwrap();
    acknowledged.extend(set.state().iter().copied());
}

fn run(mode: Mode, count: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0xc0ffee ^ count ^ mode as u64);
    let mut acknowledged = BTreeSet::new();
    let mut id = None;
    let mut tally = Tally::default();
    let started = Instant::now();
    if mode == Mode::Fold {
        // A large state, so that a fold takes a while.
        let store = Store::open(&path).unwrap();
        let mut set = store.replica::<Set>("set", mode.options()).unwrap();
        let me = set.id();
        set.apply_batch(|batch| {
            for elem in 0..5_000 {
                batch.apply(|s| s.insert(me, elem).unwrap()).unwrap();
            }
        })
        .unwrap();
        id = Some(me);
        acknowledged.extend(set.state().iter().copied());
    }
    for _ in 0..count {
        let seed: u64 = rng.random();
        let mut child = Command::new(&exe)
            .args([
                "crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD, &path)
            .env(MODE, mode.name())
            .env(SEED, seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acked_now = Vec::new();
        let read = |line: String, acked_now: &mut Vec<u64>| -> Option<&'static str> {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("ack") => {
                    acked_now.push(words.next().unwrap().parse().unwrap());
                    Some("ack")
                }
                Some("ready") => Some("ready"),
                Some("folding") => Some("folding"),
                Some("folded") => Some("folded"),
                Some("error") => panic!("the writer failed: {line}"),
                _ => None,
            }
        };
        // Where to kill: before the store is open (after a short delay), after some
        // acknowledgements, or (fold mode) as a fold starts.
        let before_ready = rng.random_bool(0.1);
        let target_acks = rng.random_range(0..40);
        let pause = Duration::from_micros(rng.random_range(0..3_000));
        let mut ready = false;
        let mut folding = false;
        if before_ready {
            std::thread::sleep(Duration::from_micros(rng.random_range(0..40_000)));
        } else {
            let mut folds_to_pass = rng.random_range(0..3);
            for line in lines.by_ref() {
                match read(line.unwrap(), &mut acked_now) {
                    Some("ready") => ready = true,
                    Some("folding") => {
                        folding = true;
                        if mode == Mode::Fold {
                            if folds_to_pass == 0 {
                                break;
                            }
                            folds_to_pass -= 1;
                        }
                    }
                    Some("folded") => folding = false,
                    Some("ack") if mode != Mode::Fold && acked_now.len() >= target_acks => break,
                    _ => {}
                }
            }
            std::thread::sleep(pause);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Whatever the writer printed before it died was acknowledged too.
        for line in lines {
            match read(line.unwrap(), &mut acked_now) {
                Some("ready") => ready = true,
                Some("folding") => folding = true,
                Some("folded") => folding = false,
                _ => {}
            }
        }
        tally.kills += 1;
        tally.before_ready += u64::from(!ready);
        tally.during_fold += u64::from(folding);
        tally.acknowledged += acked_now.len() as u64;
        acknowledged.extend(acked_now);
        check(&path, mode, &mut acknowledged, &mut id, &mut tally);
    }
    println!(
        "crash ({}): {} kills ({} before the store was open, {} during a fold), {} writes \
         acknowledged, {} lost, {} committed but not yet acknowledged when killed; {:.1} s",
        mode.name(),
        tally.kills,
        tally.before_ready,
        tally.during_fold,
        tally.acknowledged,
        tally.lost,
        tally.committed_unacknowledged,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.lost, 0, "{tally:?}");
    assert!(
        tally.acknowledged > tally.kills,
        "the writer hardly wrote: {tally:?}"
    );
}

#[test]
fn kills_lose_no_acknowledged_write_per_write() {
    run(Mode::PerWrite, kills(100));
}

#[test]
fn kills_lose_no_acknowledged_write_in_group_commit() {
    run(Mode::Group, kills(100));
}

#[test]
fn kills_during_folds_lose_no_acknowledged_write() {
    run(Mode::Fold, kills(40));
}
