//! Documents with conflicting versions kept in PostgreSQL: two replicas in two databases write
//! one field concurrently, sync through concord-sync, both read the two versions, and a write
//! that has seen them resolves the conflict everywhere.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their helpers: a failed step is a failed test"
)]

mod common;

use common::server::PgServer;
use concord_postgres::{
    Document, Options, PgReplica, PgStore, conflicting_versions, fields, read_field, set_field,
    write_field,
};

type Doc = Document<String>;

/// Exchanges messages between `a` and `b` until neither has anything to send.
fn sync(a: &mut PgReplica<Doc>, b: &mut PgReplica<Doc>) {
    let (ia, ib) = (a.id(), b.id());
    for _ in 0..20 {
        let mut sent = false;
        while let Some(bytes) = a.poll_transmit(ib) {
            b.receive(ia, &bytes).unwrap();
            sent = true;
        }
        while let Some(bytes) = b.poll_transmit(ia) {
            a.receive(ib, &bytes).unwrap();
            sent = true;
        }
        if !sent {
            return;
        }
    }
    panic!("the replicas never fell quiet");
}

#[test]
fn conflicting_versions_are_kept_read_resolved_and_converge() {
    let server = PgServer::start();
    server.create_database("east");
    server.create_database("west");
    let east_store = PgStore::open(&server.params("east")).unwrap();
    let west_store = PgStore::open(&server.params("west")).unwrap();
    let mut east = east_store
        .replica::<Doc>("docs/order-17", Options::default())
        .unwrap();
    let mut west = west_store
        .replica::<Doc>("docs/order-17", Options::default())
        .unwrap();
    assert_ne!(east.id(), west.id(), "two databases, two replicas");
    east.add_peer(west.id());
    west.add_peer(east.id());

    let e = east.id();
    east.apply(|d| set_field(d, e, "status", "created".to_owned()).unwrap())
        .unwrap();
    sync(&mut east, &mut west);
    assert_eq!(read_field(west.state(), "status").values, ["created"]);

    // Both update the field without seeing each other's update.
    let w = west.id();
    east.apply(|d| set_field(d, e, "status", "paid".to_owned()).unwrap())
        .unwrap();
    west.apply(|d| set_field(d, w, "status", "cancelled".to_owned()).unwrap())
        .unwrap();
    west.apply(|d| set_field(d, w, "note", "customer called".to_owned()).unwrap())
        .unwrap();
    sync(&mut east, &mut west);
    for replica in [&east, &west] {
        let conflicts = conflicting_versions(replica.state());
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let mut versions = conflicts["status"].clone();
        versions.sort();
        assert_eq!(versions, ["cancelled", "paid"]);
        assert!(read_field(replica.state(), "status").is_conflict());
    }
    assert_eq!(fields(east.state()), fields(west.state()));

    // The siblings survive a restart of the replica: they are in the rows.
    drop(east);
    let mut east = east_store
        .replica::<Doc>("docs/order-17", Options::default())
        .unwrap();
    east.add_peer(w);
    assert_eq!(read_field(east.state(), "status").values.len(), 2);

    // A write that has seen both versions resolves them; a write that saw only one would not.
    let seen = read_field(east.state(), "status");
    let e = east.id();
    east.apply(|d| write_field(d, e, "status", "refunded".to_owned(), &seen).unwrap())
        .unwrap();
    assert!(conflicting_versions(east.state()).is_empty());
    sync(&mut east, &mut west);
    for replica in [&east, &west] {
        assert!(conflicting_versions(replica.state()).is_empty());
        assert_eq!(read_field(replica.state(), "status").values, ["refunded"]);
        assert_eq!(
            read_field(replica.state(), "note").values,
            ["customer called"]
        );
    }
    // And each database holds it: reopened from its rows, west reads the resolution.
    drop(west);
    let west = west_store
        .replica::<Doc>("docs/order-17", Options::default())
        .unwrap();
    assert_eq!(read_field(west.state(), "status").values, ["refunded"]);
}

#[test]
fn a_write_that_saw_one_version_leaves_the_other() {
    let server = PgServer::start();
    let store = PgStore::open(&server.params("postgres")).unwrap();
    let mut a = store.replica::<Doc>("docs/a", Options::default()).unwrap();
    let mut b = store.replica::<Doc>("docs/b", Options::default()).unwrap();
    a.add_peer(b.id());
    b.add_peer(a.id());
    let (ia, ib) = (a.id(), b.id());
    a.apply(|d| set_field(d, ia, "title", "A".to_owned()).unwrap())
        .unwrap();
    let seen_by_b_before = read_field(b.state(), "title");
    b.apply(|d| set_field(d, ib, "title", "B".to_owned()).unwrap())
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(read_field(b.state(), "title").values.len(), 2);
    // b writes with what it had seen before the sync: only its own version's predecessor
    // (nothing), so both versions stay beside the new one.
    b.apply(|d| write_field(d, ib, "title", "C".to_owned(), &seen_by_b_before).unwrap())
        .unwrap();
    sync(&mut a, &mut b);
    let mut versions = read_field(a.state(), "title").values;
    versions.sort();
    assert_eq!(versions, ["A", "B", "C"]);
}
