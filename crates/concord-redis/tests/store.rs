//! `RedisStore` against a real `redis-server`: writes acknowledged after their commit survive
//! a reopen, the log folds, a second opener fences out the first, and corrupt or mistyped
//! values are refused with an error naming them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use common::server::RedisServer;
use common::{Kv, get, set};
use concord_redis::{Options, Record, RedisStore, StoreError, WriteError};
use concord_set::OrSet;

#[test]
fn acknowledged_writes_survive_a_reopen() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&server.url()).unwrap();
    let (id, incarnation, token) = {
        let mut kv = store.replica::<Kv>("kv", Options::default()).unwrap();
        let me = kv.id();
        kv.apply(|kv| set(kv, me, "name", "Ada")).unwrap();
        let token = kv
            .apply(|kv| set(kv, me, "email", "ada@example.com"))
            .unwrap();
        assert_eq!(kv.storage_stats().log_entries, 2);
        (me, kv.replica().config().incarnation, token)
    };
    let kv = store.replica::<Kv>("kv", Options::default()).unwrap();
    assert_eq!(kv.id(), id, "a reopened object keeps its id");
    assert!(kv.replica().config().incarnation > incarnation);
    assert_eq!(get(kv.state(), "name"), ["Ada"]);
    assert_eq!(get(kv.state(), "email"), ["ada@example.com"]);
    assert!(kv.can_serve(&token));
    assert_eq!(kv.replica().writes(), 2);
}

#[test]
fn batches_and_folds_keep_every_write() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&server.url()).unwrap();
    let options = Options::default().with_fold(16, 1 << 20);
    let mut expected = std::collections::BTreeSet::new();
    {
        let mut set = store.replica::<OrSet<u64>>("numbers", options).unwrap();
        let me = set.id();
        for round in 0..10u64 {
            let committed = set
                .apply_batch(|batch| {
                    for i in 0..7 {
                        batch
                            .apply(|s| s.insert(me, round * 7 + i).unwrap())
                            .unwrap();
                    }
                })
                .unwrap();
            assert_eq!(committed.tokens.len(), 7);
            expected.extend((0..7).map(|i| round * 7 + i));
        }
        assert!(set.storage_stats().folds >= 2, "{:?}", set.storage_stats());
        assert!(set.storage_stats().log_entries < 16);
    }
    let set = store.replica::<OrSet<u64>>("numbers", options).unwrap();
    let held: std::collections::BTreeSet<u64> = set.state().iter().copied().collect();
    assert_eq!(held, expected);
}

#[test]
fn a_second_opener_fences_out_the_first() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&server.url()).unwrap();
    let mut first = store.replica::<Kv>("kv", Options::default()).unwrap();
    let me = first.id();
    first.apply(|kv| set(kv, me, "a", "1")).unwrap();
    let mut second = store.replica::<Kv>("kv", Options::default()).unwrap();
    match first.apply(|kv| set(kv, me, "a", "2")) {
        Err(WriteError::Store(StoreError::Fenced { object, .. })) => assert_eq!(object, "kv"),
        other => panic!("expected a fenced write, got {other:?}"),
    }
    assert!(first.is_poisoned());
    let me = second.id();
    second.apply(|kv| set(kv, me, "a", "3")).unwrap();
    drop(second);
    let kv = store.replica::<Kv>("kv", Options::default()).unwrap();
    assert_eq!(
        get(kv.state(), "a"),
        ["3"],
        "the fenced write was not committed"
    );
}

/// Opens object "kv" after `damage` changed its values, expecting an error.
fn open_damaged(damage: impl FnOnce(&mut redis::Connection, &concord_redis::Keys)) -> StoreError {
    let server = RedisServer::start().unwrap();
    let store = RedisStore::open(&server.url()).unwrap();
    {
        let mut kv = store.replica::<Kv>("kv", Options::default()).unwrap();
        let me = kv.id();
        kv.apply(|kv| set(kv, me, "name", "Ada")).unwrap();
        kv.apply(|kv| set(kv, me, "name", "Grace")).unwrap();
    }
    damage(&mut server.conn(), &store.keys("kv"));
    match store.replica::<Kv>("kv", Options::default()) {
        Ok(kv) => panic!("a damaged object opened: {:?}", kv.state()),
        Err(e) => {
            // Every error says what it is about.
            assert!(!e.to_string().is_empty());
            e
        }
    }
}

#[test]
fn corrupt_values_are_refused_with_their_key() {
    if !common::server::available() {
        return;
    }
    let snapshot = open_damaged(|conn, keys| {
        let _: () = redis::cmd("SET")
            .arg(keys.store("snapshot"))
            .arg(b"\x00garbage".as_slice())
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(&snapshot, StoreError::Corrupt { record: Record::Snapshot { key }, .. } if key.ends_with(":store:snapshot")),
        "{snapshot:?}"
    );

    let entry = open_damaged(|conn, keys| {
        let _: () = redis::cmd("LSET")
            .arg(keys.store("log"))
            .arg(1)
            .arg(b"not a delta".as_slice())
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(
            &entry,
            StoreError::Corrupt {
                record: Record::LogEntry { position: 2, .. },
                ..
            }
        ),
        "{entry:?}"
    );

    let checkpoint = open_damaged(|conn, keys| {
        let bytes: Vec<u8> = redis::cmd("GET")
            .arg(keys.store("checkpoint"))
            .query(conn)
            .unwrap();
        // Cut short: the envelope's length no longer matches.
        let _: () = redis::cmd("SET")
            .arg(keys.store("checkpoint"))
            .arg(&bytes[..bytes.len() / 2])
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(
            &checkpoint,
            StoreError::Corrupt {
                record: Record::Checkpoint { .. },
                ..
            }
        ),
        "{checkpoint:?}"
    );
}

#[test]
fn wrong_redis_types_and_missing_values_are_errors() {
    if !common::server::available() {
        return;
    }
    // A list where the checkpoint should be a string.
    let wrong_type = open_damaged(|conn, keys| {
        let _: () = redis::cmd("DEL")
            .arg(keys.store("checkpoint"))
            .query(conn)
            .unwrap();
        let _: () = redis::cmd("RPUSH")
            .arg(keys.store("checkpoint"))
            .arg("x")
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(&wrong_type, StoreError::Redis { .. }),
        "{wrong_type:?}"
    );

    // A string where the log should be a list.
    let log_type = open_damaged(|conn, keys| {
        let _: () = redis::cmd("SET")
            .arg(keys.store("log"))
            .arg("x")
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(&log_type, StoreError::Redis { .. }),
        "{log_type:?}"
    );

    let missing = open_damaged(|conn, keys| {
        let _: () = redis::cmd("DEL")
            .arg(keys.store("snapshot"))
            .query(conn)
            .unwrap();
    });
    assert!(
        matches!(&missing, StoreError::Inconsistent { reason, .. } if reason.contains("no snapshot")),
        "{missing:?}"
    );
}

#[test]
fn an_object_opened_as_another_type_is_refused() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&server.url()).unwrap();
    {
        let mut kv = store.replica::<Kv>("kv", Options::default()).unwrap();
        let me = kv.id();
        kv.apply(|kv| set(kv, me, "name", "Ada")).unwrap();
        kv.fold().unwrap();
    }
    match store.replica::<OrSet<u64>>("kv", Options::default()) {
        Err(StoreError::WrongType { object, .. }) => assert_eq!(object, "kv"),
        other => panic!("expected WrongType, got {other:?}"),
    }
}
