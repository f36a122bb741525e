//! Durable replicas syncing through concord-sync on an in-memory link: onboarding a new
//! store, restarts with live peers, and stores restored from backups.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

use std::path::Path;

use concord_set::OrSet;
use concord_store::concord_core::codec;
use concord_store::{DurableReplica, Options, ReplicaId, Store, Syncable, WriteError};

type Set = OrSet<u32>;

fn open(path: &Path) -> (Store, DurableReplica<Set>) {
    let store = Store::open(path).unwrap();
    let replica = store.replica::<Set>("doc", Options::default()).unwrap();
    (store, replica)
}

fn insert(replica: &mut DurableReplica<Set>, elem: u32) {
    let id = replica.id();
    replica.apply(|s| s.insert(id, elem).unwrap()).unwrap();
}

/// Delivers messages both ways on a perfect link until both sides are quiet; returns the
/// bytes that reached `y`.
fn sync<T: Syncable>(x: &mut DurableReplica<T>, y: &mut DurableReplica<T>) -> usize {
    let (ix, iy) = (x.id(), y.id());
    let mut to_y = 0;
    for round in 0..200 {
        x.on_tick(round);
        y.on_tick(round);
        let mut moved = false;
        while let Some(bytes) = x.poll_transmit(iy) {
            to_y += bytes.len();
            y.receive(ix, &bytes).unwrap();
            moved = true;
        }
        while let Some(bytes) = y.poll_transmit(ix) {
            x.receive(iy, &bytes).unwrap();
            moved = true;
        }
        if !moved {
            return to_y;
        }
    }
    panic!("the link never went quiet");
}

fn peers(x: &mut DurableReplica<Set>, y: &mut DurableReplica<Set>) {
    x.add_peer(y.id());
    y.add_peer(x.id());
}

#[test]
fn a_new_store_is_caught_up_from_one_peer() {
    onboard(false);
}

#[test]
fn a_new_store_is_caught_up_from_a_peer_that_just_restarted() {
    onboard(true);
}

fn onboard(restart_peer: bool) {
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.redb");
    let (mut a_store, mut a) = open(&a_path);
    let id = a.id();
    a.apply_batch(|batch| {
        for elem in 0..3_000 {
            batch.apply(|s| s.insert(id, elem).unwrap()).unwrap();
        }
    })
    .unwrap();
    if restart_peer {
        drop(a);
        drop(a_store);
        (a_store, a) = open(&a_path);
    }
    let _ = &a_store;
    let state_bytes = codec::encode(a.state()).unwrap().len();

    // The new store: empty, under a fresh id.
    let b_path = dir.path().join("b.redb");
    let (b_store, mut b) = open(&b_path);
    assert_ne!(b.id(), a.id());
    peers(&mut a, &mut b);
    let shipped = sync(&mut a, &mut b);
    assert_eq!(b.state(), a.state());
    println!(
        "onboarding (peer restarted: {restart_peer}): {} elements, state {state_bytes} bytes, shipped {shipped} bytes to the new store",
        b.state().len()
    );
    // It was caught up from the summary path or the log, not sent the state many times.
    assert!(
        shipped < 3 * state_bytes,
        "{shipped} bytes for a {state_bytes}-byte state"
    );
    // What it received is durable.
    let b_id = b.id();
    drop(b);
    drop(b_store);
    let (_b_store, b) = open(&b_path);
    assert_eq!(b.id(), b_id);
    assert_eq!(b.state(), a.state());
}

#[test]
fn a_restart_with_a_live_peer_keeps_its_id_and_ships_what_it_had_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.redb");
    let (a_store, mut a) = open(&a_path);
    let (_b_store, mut b) = open(&dir.path().join("b.redb"));
    peers(&mut a, &mut b);
    for elem in 0..20 {
        insert(&mut a, elem);
        insert(&mut b, 1_000 + elem);
        sync(&mut a, &mut b);
    }
    // Acknowledged, committed, never sent: then the process dies.
    insert(&mut a, 99);
    let id = a.id();
    drop(a);
    drop(a_store);

    let (_a_store, mut a) = open(&a_path);
    assert_eq!(a.id(), id);
    a.add_peer(b.id());
    // The peer has not heard of the restart and speaks first, acknowledging the old log.
    insert(&mut b, 2_000);
    while let Some(bytes) = b.poll_transmit(id) {
        a.receive(b.id(), &bytes).unwrap();
    }
    assert_eq!(a.lost_state(), None);
    sync(&mut a, &mut b);
    assert!(b.state().contains(&99), "the unsent write reached the peer");
    insert(&mut a, 100);
    sync(&mut a, &mut b);
    assert_eq!(a.lost_state(), None);
    assert_eq!(a.state(), b.state());
    assert_eq!(a.state().len(), 43);
}

/// Sleeps past the millisecond, so that the next open's incarnation is read off a later clock.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(3));
}

/// A store whose file is replaced by an older copy of itself after more writes reached the
/// peer and two more restarts: returns the peer, the backup's path and the original id.
fn history_beyond_a_backup(
    dir: &Path,
) -> (Store, DurableReplica<Set>, std::path::PathBuf, ReplicaId) {
    let a_path = dir.join("a.redb");
    let backup = dir.join("a.backup");
    let (b_store, mut b) = open(&dir.join("b.redb"));
    let id;
    {
        let (_store, mut a) = open(&a_path);
        id = a.id();
        peers(&mut a, &mut b);
        for elem in 0..10 {
            insert(&mut a, elem);
        }
        sync(&mut a, &mut b);
    }
    std::fs::copy(&a_path, &backup).unwrap();
    for life in 0..3 {
        tick();
        let (_store, mut a) = open(&a_path);
        a.add_peer(b.id());
        for elem in 0..5 {
            insert(&mut a, 100 * (life + 1) + elem);
        }
        sync(&mut a, &mut b);
    }
    assert_eq!(b.state().len(), 25);
    tick();
    (b_store, b, backup, id)
}

#[test]
fn a_backup_opened_as_is_is_refused_writes_once_a_peer_shows_it_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let (_b_store, mut b, backup, id) = history_beyond_a_backup(dir.path());
    {
        // The mistake: the backup opened as if it were the store.
        let (_store, mut a) = open(&backup);
        assert_eq!(a.id(), id);
        a.add_peer(b.id());
        sync(&mut a, &mut b);
        let lost = a
            .lost_state()
            .expect("the peer showed it its own history")
            .clone();
        assert_eq!((lost.held, lost.seen), (10, 25));
        let refused = a.apply(|s| s.insert(id, 7).unwrap());
        assert!(
            matches!(refused, Err(WriteError::LostState(_))),
            "{refused:?}"
        );
        // It took what the peer had: nothing of the history is lost to it.
        assert_eq!(a.state(), b.state());
    }
    // The refusal survives a restart, before any peer is heard from.
    let (store, mut a) = open(&backup);
    assert!(a.lost_state().is_some());
    let refused = a.apply(|s| s.insert(id, 7).unwrap());
    assert!(
        matches!(refused, Err(WriteError::LostState(_))),
        "{refused:?}"
    );
    // One call, and it writes again under a new id.
    let fresh = a.with_new_id().unwrap();
    assert_ne!(fresh, id);
    assert_eq!(a.lost_state(), None);
    insert(&mut a, 777);
    a.add_peer(b.id());
    b.add_peer(fresh);
    sync(&mut a, &mut b);
    assert_eq!(a.state(), b.state());
    assert!(b.state().contains(&777));
    drop(a);
    drop(store);
    let (_store, a) = open(&backup);
    assert_eq!((a.id(), a.lost_state()), (fresh, None));
}

#[test]
fn a_backup_opened_as_restored_writes_at_once_under_a_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let (_b_store, mut b, backup, id) = history_beyond_a_backup(dir.path());
    let store = Store::open_restored(&backup).unwrap();
    let mut a = store.replica::<Set>("doc", Options::default()).unwrap();
    assert_ne!(a.id(), id);
    assert_eq!(a.state().len(), 10);
    // It writes before hearing from anyone: its new id has no history anywhere.
    insert(&mut a, 777);
    peers(&mut a, &mut b);
    sync(&mut a, &mut b);
    assert_eq!(a.lost_state(), None);
    assert_eq!(a.state(), b.state());
    assert_eq!(b.state().len(), 26);
}

#[test]
fn a_store_created_anew_at_the_same_path_has_a_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.redb");
    let first = open(&path).1.id();
    std::fs::remove_file(&path).unwrap();
    let second = open(&path).1.id();
    assert_ne!(first, second);
}
