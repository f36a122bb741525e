//! Opening, writing, folding and reopening stores, objects and batches.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

use concord_counter::GCounter;
use concord_set::OrSet;
use concord_store::{Config, Options, Store, StoreError, WriteError};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn writes_survive_a_reopen() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let (id, token, incarnation) = {
        let store = Store::open(&path).unwrap();
        let mut set = store
            .replica::<OrSet<u32>>("set", Options::default())
            .unwrap();
        let id = set.id();
        let mut token = None;
        for elem in 0..50 {
            token = Some(set.apply(|s| s.insert(id, elem).unwrap()).unwrap());
        }
        (id, token.unwrap(), set.replica().config().incarnation)
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.objects().unwrap(), ["set"]);
    let set = store
        .replica::<OrSet<u32>>("set", Options::default())
        .unwrap();
    assert_eq!(set.id(), id);
    assert_eq!(set.state().len(), 50);
    assert_eq!(set.replica().writes(), 50);
    assert!(set.can_serve(&token));
    assert!(set.replica().config().incarnation > incarnation);
    println!("{:?}", set.storage_stats());
}

#[test]
fn several_objects_share_a_file_and_each_opens_once() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let mut tags = store
        .replica::<OrSet<String>>("tags", Options::default())
        .unwrap();
    assert_ne!(likes.id(), tags.id());
    let (l, t) = (likes.id(), tags.id());
    likes.apply(|c| c.increment(l, 7).unwrap()).unwrap();
    tags.apply(|s| s.insert(t, "rust".to_owned()).unwrap())
        .unwrap();
    assert!(matches!(
        store.replica::<GCounter>("likes", Options::default()),
        Err(StoreError::AlreadyOpen { .. })
    ));
    for bad in ["", &"x".repeat(concord_store::MAX_NAME_LEN + 1)] {
        assert!(matches!(
            store.replica::<GCounter>(bad, Options::default()),
            Err(StoreError::InvalidName { .. })
        ));
    }
    drop(likes);
    // Closed: it opens again, in this process.
    let likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(likes.state().value(), 7);
    // An object opened as another type is refused, by name.
    drop(tags);
    let err = store
        .replica::<GCounter>("tags", Options::default())
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongType { .. }), "{err}");
    assert!(err.to_string().contains("\"tags\""), "{err}");
    let mut names = store.objects().unwrap();
    names.sort();
    assert_eq!(names, ["likes", "tags"]);
}

#[test]
fn the_log_folds_at_its_thresholds_and_replays_after_a_fold() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let options = Options::default().with_fold(10, u64::MAX);
    {
        let store = Store::open(&path).unwrap();
        let mut set = store.replica::<OrSet<u32>>("set", options).unwrap();
        let id = set.id();
        for elem in 0..25 {
            set.apply(|s| s.insert(id, elem).unwrap()).unwrap();
        }
        let stats = *set.storage_stats();
        // The empty snapshot at creation, then 10 and 20 folded (the snapshot stays small
        // next to the log); 5 are in the log.
        assert_eq!((stats.folds, stats.log_entries), (3, 5), "{stats:?}");
    }
    let store = Store::open(&path).unwrap();
    let mut set = store.replica::<OrSet<u32>>("set", options).unwrap();
    assert_eq!(set.state().len(), 25);
    assert_eq!(set.storage_stats().log_entries, 5);
    set.fold().unwrap();
    assert_eq!(set.storage_stats().log_entries, 0);
    drop(set);
    let set = store.replica::<OrSet<u32>>("set", options).unwrap();
    assert_eq!(set.state().len(), 25);

    // A byte threshold folds too.
    let bytes = Options::default().with_fold(u64::MAX, 200);
    let mut set = store.replica::<OrSet<u32>>("by-bytes", bytes).unwrap();
    let id = set.id();
    for elem in 0..10 {
        set.apply(|s| s.insert(id, elem).unwrap()).unwrap();
    }
    assert!(set.storage_stats().folds >= 2, "{:?}", set.storage_stats());
    assert!(set.storage_stats().log_bytes < 200);
}

#[test]
fn a_large_state_waits_for_a_log_worth_folding() {
    let dir = temp();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let options = Options::default().with_fold(4, u64::MAX);
    let mut set = store.replica::<OrSet<u32>>("set", options).unwrap();
    let id = set.id();
    set.apply_batch(|batch| {
        for elem in 0..2_000 {
            batch.apply(|s| s.insert(id, elem).unwrap()).unwrap();
        }
    })
    .unwrap();
    let snapshot = set.storage_stats().snapshot_bytes;
    assert!(snapshot > 4_000, "{:?}", set.storage_stats());
    let folds = set.storage_stats().folds;
    let mut writes = 0;
    let mut log_before = 0;
    while set.storage_stats().folds == folds {
        log_before = set.storage_stats().log_bytes;
        set.apply(|s| s.insert(id, 10_000 + writes).unwrap())
            .unwrap();
        writes += 1;
    }
    // Far more than 4 writes: the log had to reach a quarter of the snapshot first.
    assert!(writes > 50, "{writes} writes");
    assert!(log_before * 4 < snapshot, "{log_before} of {snapshot}");
}

#[test]
fn a_batch_commits_once_and_returns_the_tokens_after() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let tokens = {
        let store = Store::open(&path).unwrap();
        let mut likes = store
            .replica::<GCounter>("likes", Options::default())
            .unwrap();
        let id = likes.id();
        let commits = likes.storage_stats().commits;
        let committed = likes
            .apply_batch(|batch| {
                let mut indices = Vec::new();
                for _ in 0..10 {
                    indices.push(batch.apply(|c| c.increment(id, 1).unwrap()).unwrap());
                }
                assert_eq!(batch.state().value(), 10);
                // A refused operation in a batch changes nothing and takes no index.
                let refused = batch.try_apply(|c| c.increment(id, u64::MAX));
                assert!(refused.is_err());
                assert_eq!(batch.len(), 10);
                indices
            })
            .unwrap();
        assert_eq!(committed.value, (0..10).collect::<Vec<_>>());
        assert_eq!(likes.storage_stats().commits, commits + 1);
        // An empty batch commits nothing.
        let empty = likes.apply_batch(|_| ()).unwrap();
        assert!(empty.tokens.is_empty());
        assert_eq!(likes.storage_stats().commits, commits + 1);
        committed.tokens
    };
    let store = Store::open(&path).unwrap();
    let likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(likes.state().value(), 10);
    assert!(tokens.iter().all(|t| likes.can_serve(t)));
    assert_eq!(tokens[9].writes_of(&likes.id()), 10);
}

#[test]
fn a_refused_operation_commits_nothing() {
    let dir = temp();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let id = likes.id();
    likes.apply(|c| c.increment(id, 5).unwrap()).unwrap();
    let before = *likes.storage_stats();
    let err = likes.try_apply(|c| c.increment(id, u64::MAX)).unwrap_err();
    assert!(matches!(err, WriteError::Operation(_)), "{err}");
    assert_eq!(*likes.storage_stats(), before);
    assert_eq!(likes.state().value(), 5);
    assert_eq!(likes.replica().writes(), 1);
    assert!(!likes.is_poisoned());
}

#[test]
fn a_closure_that_panics_poisons_the_replica() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let store = Store::open(&path).unwrap();
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let id = likes.id();
    likes.apply(|c| c.increment(id, 1).unwrap()).unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        likes.apply(|c| {
            let _ = c.increment(id, 1);
            panic!("the caller's bug");
        })
    }));
    assert!(outcome.is_err());
    assert!(likes.is_poisoned());
    assert!(matches!(
        likes.apply(|c| c.increment(id, 1).unwrap()),
        Err(WriteError::Store(StoreError::Poisoned { .. }))
    ));
    likes.add_peer(concord_store::ReplicaId::from_u128(9));
    assert_eq!(
        likes.poll_transmit(concord_store::ReplicaId::from_u128(9)),
        None
    );
    drop(likes);
    // The file holds the acknowledged write only.
    let likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(likes.state().value(), 1);
}

#[test]
fn the_replica_config_is_used_and_the_incarnation_grows() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let options = Options::default().with_config(Config::for_object(7).with_max_log(3));
    let mut incarnations = Vec::new();
    for _ in 0..3 {
        let store = Store::open(&path).unwrap();
        let likes = store.replica::<GCounter>("likes", options).unwrap();
        assert_eq!(likes.replica().config().object, 7);
        assert_eq!(likes.replica().config().max_log, 3);
        incarnations.push(likes.replica().config().incarnation);
    }
    assert!(
        incarnations.windows(2).all(|w| w[0] < w[1]),
        "{incarnations:?}"
    );
}

#[test]
fn a_file_that_is_not_a_store_is_refused() {
    let dir = temp();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let err = Store::open(&empty).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    let text = dir.path().join("text");
    std::fs::write(&text, b"hello, this is not a database").unwrap();
    let err = Store::open(&text).unwrap_err();
    assert!(matches!(err, StoreError::Storage { .. }), "{err}");
    // A redb database of someone else.
    let other = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&other).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("theirs");
            txn.open_table(def).unwrap().insert("a", 1).unwrap();
        }
        txn.commit().unwrap();
    }
    let err = Store::open(&other).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    println!("{err}");
    // A directory.
    let err = Store::open(dir.path()).unwrap_err();
    println!("{err}");
    // No leftover temporary files from the creations.
    let store = Store::open(dir.path().join("new.redb")).unwrap();
    drop(store);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("creating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_process_handle_is_refused_while_open() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let _store = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Storage { .. }), "{err}");
}
