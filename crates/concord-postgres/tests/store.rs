//! `PgStore` against a real server: restart = snapshot + log, folds, batches, two handles of one
//! replica, corrupt and inconsistent rows refused with errors naming them, and a write whose
//! commit fails is neither acknowledged nor kept.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers: a failed step is a failed test"
)]

mod common;

use common::server::PgServer;
use concord_counter::GCounter;
use concord_postgres::{Options, PgStore, Record, StoreError, WriteError};
use concord_set::OrSet;

fn store(server: &PgServer) -> PgStore {
    PgStore::open(&server.params("postgres")).unwrap()
}

#[test]
fn a_restart_loads_the_snapshot_and_the_log() {
    let server = PgServer::start();
    let store = store(&server);
    let options = Options::default().with_fold(8, 1 << 20);
    let (id, writes) = {
        let mut tags = store.replica::<OrSet<String>>("tags", options).unwrap();
        let me = tags.id();
        for i in 0..21 {
            let token = tags
                .apply(|s| s.insert(me, format!("tag-{i}")).unwrap())
                .unwrap();
            assert!(tags.can_serve(&token));
        }
        let stats = *tags.storage_stats();
        // 21 writes folding at 8 entries: folds after the 8th and 16th, 5 in the log.
        assert_eq!(stats.log_entries, 5, "{stats:?}");
        assert!(stats.folds >= 3, "{stats:?}");
        (me, tags.replica().writes())
    };
    let tags = store.replica::<OrSet<String>>("tags", options).unwrap();
    assert_eq!(tags.id(), id);
    assert_eq!(tags.replica().writes(), writes);
    let mut expected: Vec<String> = (0..21).map(|i| format!("tag-{i}")).collect();
    expected.sort();
    let held: Vec<String> = tags.state().iter().cloned().collect();
    assert_eq!(held, expected);
    assert_eq!(tags.storage_stats().log_entries, 5);
}

#[test]
fn a_batch_commits_once_and_two_handles_see_each_other() {
    let server = PgServer::start();
    let store = store(&server);
    let mut a = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let mut b = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(a.id(), b.id(), "one object, one replica id");
    let me = a.id();
    let committed = a
        .apply_batch(|batch| {
            for _ in 0..10 {
                batch.apply(|c| c.increment(me, 1).unwrap()).unwrap();
            }
        })
        .unwrap();
    assert_eq!(committed.tokens.len(), 10);
    assert_eq!(a.storage_stats().commits, 2, "the open, then one batch");
    // b has not seen a's batch; its increment runs after catching up under the lock.
    assert_eq!(b.state().value(), 0);
    b.apply(|c| c.increment(me, 1).unwrap()).unwrap();
    assert_eq!(b.state().value(), 11);
    assert_eq!(b.storage_stats().catch_ups, 1);
    assert!(a.refresh().unwrap());
    assert_eq!(a.state().value(), 11);
    assert!(!a.refresh().unwrap(), "nothing new");
    let reopened = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(reopened.state().value(), 11);
}

#[test]
fn corrupt_and_inconsistent_rows_are_refused_by_name() {
    let server = PgServer::start();
    let store = store(&server);
    let tables = store.tables().clone();
    {
        let mut tags = store
            .replica::<OrSet<String>>("tags", Options::default())
            .unwrap();
        let me = tags.id();
        for i in 0..3 {
            tags.apply(|s| s.insert(me, format!("t{i}")).unwrap())
                .unwrap();
        }
    }
    let mut sql = server.client();

    // Another type.
    let err = store
        .replica::<GCounter>("tags", Options::default())
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongType { .. }), "{err}");

    // A log row whose bytes were changed.
    sql.execute(
        &format!(
            "UPDATE {} SET delta = overlay(delta placing '\\xff'::bytea from 9) \
             WHERE position = 2",
            tables.log
        ),
        &[],
    )
    .unwrap();
    let err = store
        .replica::<OrSet<String>>("tags", Options::default())
        .unwrap_err();
    match &err {
        StoreError::Corrupt {
            record: Record::LogEntry { object, position },
            ..
        } => assert_eq!((object.as_str(), *position), ("tags", 2)),
        other => panic!("expected a corrupt log row, got {other}"),
    }
    assert!(
        err.to_string().contains("log row 2 of object \"tags\""),
        "{err}"
    );

    // A gap in the log.
    sql.execute(
        &format!("DELETE FROM {} WHERE position = 2", tables.log),
        &[],
    )
    .unwrap();
    let err = store
        .replica::<OrSet<String>>("tags", Options::default())
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Inconsistent { reason, .. } if reason.contains("log row 2 is missing")),
        "{err}"
    );

    // A checkpoint cut short.
    sql.execute(
        &format!(
            "UPDATE {} SET checkpoint = substring(checkpoint from 1 for 5)",
            tables.replicas
        ),
        &[],
    )
    .unwrap();
    sql.execute(&format!("DELETE FROM {}", tables.log), &[])
        .unwrap();
    sql.execute(
        &format!(
            "UPDATE {} SET log_entries = 0, log_bytes = 0",
            tables.replicas
        ),
        &[],
    )
    .unwrap();
    let err = store
        .replica::<OrSet<String>>("tags", Options::default())
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Corrupt {
                record: Record::Checkpoint { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_write_whose_commit_fails_is_not_acknowledged_nor_kept() {
    let mut server = PgServer::start();
    let store = store(&server);
    let mut likes = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    let me = likes.id();
    likes.apply(|c| c.increment(me, 1).unwrap()).unwrap();
    server.stop();
    let err = likes.apply(|c| c.increment(me, 1).unwrap()).unwrap_err();
    assert!(
        matches!(err, WriteError::Store(StoreError::Postgres { .. })),
        "{err}"
    );
    assert!(likes.is_poisoned());
    assert!(likes.poll_transmit(me).is_none());
    server.restart();
    let err = likes.apply(|c| c.increment(me, 1).unwrap()).unwrap_err();
    assert!(
        matches!(err, WriteError::Store(StoreError::Poisoned { .. })),
        "{err}"
    );
    let reopened = store
        .replica::<GCounter>("likes", Options::default())
        .unwrap();
    assert_eq!(reopened.state().value(), 1, "only the acknowledged write");
}

#[test]
fn bad_names_and_prefixes_are_refused() {
    let config: postgres::Config = "host=127.0.0.1 user=postgres".parse().unwrap();
    for prefix in ["", "Concord", "1abc", "a-b", "a;drop"] {
        let err = PgStore::with_config(config.clone(), prefix).unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidPrefix { .. }),
            "{prefix}: {err}"
        );
    }
    let store = PgStore::with_config(config, "ok_1").unwrap();
    assert_eq!(store.tables().log, "ok_1_log");
    for name in [String::new(), "a\0b".to_owned(), "x".repeat(2000)] {
        let err = store
            .replica::<GCounter>(&name, Options::default())
            .unwrap_err();
        assert!(matches!(err, StoreError::InvalidName { .. }), "{err}");
    }
}
