//! Damaged store files: changed, cut and replaced bytes are refused with an error naming what
//! is wrong, never a panic, never a wrong state.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use concord_counter::GCounter;
use concord_set::OrSet;
use concord_store::concord_core::codec;
use concord_store::{Options, Record, Store, StoreError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redb::ReadableTable;

type Set = OrSet<u32>;

/// The states of the two objects of the reference store.
#[derive(Clone, Debug, PartialEq)]
struct States {
    set: Set,
    likes: GCounter,
}

/// Builds a store with a folded snapshot and a log for "set", and a counter "likes"; returns
/// its path and the states it holds.
fn reference(dir: &Path) -> (PathBuf, States) {
    let path = dir.join("reference.redb");
    let store = Store::open(&path).unwrap();
    let options = Options::default().with_fold(37, u64::MAX);
    let mut set = store.replica::<Set>("set", options).unwrap();
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let (s, l) = (set.id(), likes.id());
    for elem in 0..60 {
        set.apply(|x| x.insert(s, elem).unwrap()).unwrap();
        if elem % 3 == 0 {
            set.apply(|x| x.remove(&(elem / 2))).unwrap();
        }
        likes.apply(|c| c.increment(l, 2).unwrap()).unwrap();
    }
    assert!(set.storage_stats().log_entries > 0 && set.storage_stats().folds > 1);
    let states = States {
        set: set.state().clone(),
        likes: likes.state().clone(),
    };
    (path, states)
}

/// Opens the store at `path` and both objects, catching panics.
fn open_all(path: &Path) -> Result<Result<States, StoreError>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let store = Store::open(path)?;
        let set = store.replica::<Set>("set", Options::default())?;
        let likes = store.replica::<GCounter>("likes", Options::default())?;
        Ok(States {
            set: set.state().clone(),
            likes: likes.state().clone(),
        })
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// How many random positions to damage (more with `CONCORD_STORE_CORRUPTIONS`).
fn trials(default: usize) -> usize {
    std::env::var("CONCORD_STORE_CORRUPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Default)]
struct Outcomes {
    refused: usize,
    unchanged: usize,
    messages: std::collections::BTreeMap<String, usize>,
}

impl Outcomes {
    fn record(
        &mut self,
        what: &str,
        at: usize,
        outcome: Result<Result<States, StoreError>, String>,
        expected: &States,
    ) {
        match outcome {
            Err(panic) => panic!("{what} at {at}: panicked: {panic}"),
            Ok(Err(e)) => {
                self.refused += 1;
                // The kind of message: what redb or the store said, without paths and numbers.
                let text = e.to_string();
                let kind: String = text
                    .rsplit(" failed: ")
                    .next()
                    .unwrap_or(&text)
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .take(90)
                    .collect();
                *self.messages.entry(kind).or_default() += 1;
            }
            Ok(Ok(states)) => {
                assert_eq!(
                    &states, expected,
                    "{what} at {at}: opened with another state"
                );
                self.unchanged += 1;
            }
        }
    }
}

#[test]
fn changed_bytes_are_refused_or_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, expected) = reference(dir.path());
    let original = std::fs::read(&path).unwrap();
    let damaged = dir.path().join("damaged.redb");
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    // Every byte of the file header and commit slots, then random positions over the whole
    // file.
    let mut positions: Vec<usize> = (0..320).collect();
    positions.extend((0..trials(300)).map(|_| rng.random_range(0..original.len())));
    let mut outcomes = Outcomes::default();
    for &at in &positions {
        let mut bytes = original.clone();
        bytes[at] ^= 1 << rng.random_range(0..8);
        std::fs::write(&damaged, &bytes).unwrap();
        outcomes.record("a flipped bit", at, open_all(&damaged), &expected);
    }
    println!(
        "{} bytes, {} flipped bits: {} refused, {} opened unchanged (a bit outside every live page)",
        original.len(),
        positions.len(),
        outcomes.refused,
        outcomes.unchanged
    );
    for (message, count) in &outcomes.messages {
        println!("  {count:4}  {message}");
    }
    assert!(outcomes.refused > positions.len() / 4, "{outcomes:?}");
}

#[test]
fn cut_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, expected) = reference(dir.path());
    let original = std::fs::read(&path).unwrap();
    let damaged = dir.path().join("cut.redb");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut lengths: Vec<usize> = vec![0, 1, 8, 9, 10, 64, 320, 4095, 4096, 4097];
    lengths.extend((0..trials(100)).map(|_| rng.random_range(0..original.len())));
    let mut outcomes = Outcomes::default();
    for &len in &lengths {
        std::fs::write(&damaged, &original[..len]).unwrap();
        outcomes.record("a cut", len, open_all(&damaged), &expected);
    }
    println!(
        "{} bytes cut at {} lengths: {} refused, {} opened unchanged",
        original.len(),
        lengths.len(),
        outcomes.refused,
        outcomes.unchanged
    );
    for (message, count) in &outcomes.messages {
        println!("  {count:4}  {message}");
    }
}

type Bytes = redb::TableDefinition<'static, &'static str, &'static [u8]>;
const SNAPSHOTS: Bytes = redb::TableDefinition::new("concord-store/snapshots");
const CHECKPOINTS: Bytes = redb::TableDefinition::new("concord-store/checkpoints");
const LOST: Bytes = redb::TableDefinition::new("concord-store/lost");
const META: Bytes = redb::TableDefinition::new("concord-store");
const SET_LOG: redb::TableDefinition<'static, u64, &'static [u8]> =
    redb::TableDefinition::new("concord-store/log/set");

/// A change made to a store through redb.
type Change = Box<dyn FnOnce(&redb::WriteTransaction)>;

/// A copy of the reference store with one change made through redb (so every checksum is
/// right and only the store's own validation can tell), opened.
fn replaced(
    dir: &Path,
    original: &Path,
    change: impl FnOnce(&redb::WriteTransaction),
) -> Result<States, StoreError> {
    let copy = dir.join("replaced.redb");
    std::fs::copy(original, &copy).unwrap();
    {
        let db = redb::Database::open(&copy).unwrap();
        let txn = db.begin_write().unwrap();
        change(&txn);
        txn.commit().unwrap();
    }
    open_all(&copy).unwrap()
}

#[test]
fn replaced_records_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = reference(dir.path());
    // The set's envelope at its current version, then bytes that do not decode.
    let mut garbage = codec::encode(&Set::default()).unwrap();
    garbage.truncate(codec::HEADER_LEN);
    garbage.extend_from_slice(&[0xff; 5]);
    let garbage: &'static [u8] = garbage.leak();
    let put = |table: Bytes, key: &'static str, value: &'static [u8]| {
        move |txn: &redb::WriteTransaction| {
            txn.open_table(table).unwrap().insert(key, value).unwrap();
        }
    };
    let set = || "set".to_owned();

    // Records whose bytes do not decode.
    let cases: Vec<(&str, Change, Record)> = vec![
        (
            "snapshot",
            Box::new(put(SNAPSHOTS, "set", garbage)),
            Record::Snapshot { object: set() },
        ),
        (
            "checkpoint",
            Box::new(put(CHECKPOINTS, "set", b"CNCD")),
            Record::Checkpoint { object: set() },
        ),
        (
            "lost-state record",
            Box::new(put(LOST, "set", b"nonsense")),
            Record::LostState { object: set() },
        ),
        ("header", Box::new(put(META, "header", b"")), Record::Header),
        (
            "log entry",
            Box::new(|txn: &redb::WriteTransaction| {
                let mut log = txn.open_table(SET_LOG).unwrap();
                let last = log.last().unwrap().unwrap().0.value();
                let mut bytes = log.get(last).unwrap().unwrap().value().to_vec();
                let n = bytes.len();
                bytes.truncate(n - 3);
                log.insert(last, bytes.as_slice()).unwrap();
            }),
            Record::LogEntry {
                object: set(),
                position: 0,
            },
        ),
    ];
    for (what, change, record) in cases {
        let err = replaced(dir.path(), &path, change).unwrap_err();
        println!("{what}: {err}");
        match (&err, &record) {
            (
                StoreError::Corrupt {
                    record: Record::LogEntry { object, position },
                    ..
                },
                Record::LogEntry { .. },
            ) => assert!(object == "set" && *position > 0, "{err}"),
            (StoreError::Corrupt { record: found, .. }, _) => assert_eq!(found, &record, "{err}"),
            _ => panic!("{what}: {err}"),
        }
    }

    // Records that decode but do not fit together.
    let err = replaced(dir.path(), &path, |txn| {
        let mut log = txn.open_table(SET_LOG).unwrap();
        log.remove(2).unwrap();
    })
    .unwrap_err();
    println!("a log entry removed: {err}");
    assert!(
        matches!(err, StoreError::Inconsistent { .. })
            && err.to_string().contains("log entry 2 is missing"),
        "{err}"
    );
    let err = replaced(dir.path(), &path, |txn| {
        txn.open_table(SNAPSHOTS).unwrap().remove("set").unwrap();
    })
    .unwrap_err();
    println!("a snapshot removed: {err}");
    assert!(matches!(err, StoreError::Inconsistent { .. }), "{err}");
    let err = replaced(dir.path(), &path, |txn| {
        txn.open_table(CHECKPOINTS)
            .unwrap()
            .remove("likes")
            .unwrap();
    })
    .unwrap_err();
    println!("a checkpoint removed: {err}");
    assert!(matches!(err, StoreError::Inconsistent { .. }), "{err}");

    // A record of another object, valid but of another type.
    let err = replaced(dir.path(), &path, |txn| {
        let mut snapshots = txn.open_table(SNAPSHOTS).unwrap();
        let likes = snapshots.get("likes").unwrap().unwrap().value().to_vec();
        snapshots.insert("set", likes.as_slice()).unwrap();
    })
    .unwrap_err();
    println!("another type's snapshot: {err}");
    assert!(matches!(err, StoreError::WrongType { .. }), "{err}");
    // A log entry of another type.
    let err = replaced(dir.path(), &path, |txn| {
        let counter = codec::encode(&GCounter::<concord_store::ReplicaId>::new()).unwrap();
        txn.open_table(SET_LOG)
            .unwrap()
            .insert(1, counter.as_slice())
            .unwrap();
    })
    .unwrap_err();
    println!("another type's log entry: {err}");
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                record: Record::LogEntry { position: 1, .. },
                ..
            }
        ),
        "{err}"
    );
    // A header of a later format.
    let err = replaced(dir.path(), &path, |txn| {
        // The envelope of the header record (tag 0x0701, version 1), then format 2.
        let header: &[u8] = b"CNCD\x01\x07\x01\x00\x02";
        txn.open_table(META)
            .unwrap()
            .insert("header", header)
            .unwrap();
    })
    .unwrap_err();
    println!("a later format: {err}");
    assert!(
        matches!(err, StoreError::UnsupportedFormat { found: 2, .. }),
        "{err}"
    );
    // Nothing changed: the reference still opens.
    let copy = dir.path().join("unchanged.redb");
    std::fs::copy(&path, &copy).unwrap();
    open_all(&copy).unwrap().unwrap();
}
