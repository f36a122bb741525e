//! Opening, writing, folding and reopening stores, objects and batches.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

use concord_set::OrSet;
use concord_store::{Options, Store};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn writes_survive_a_reopen() {
    let dir = temp();
    let path = dir.path().join("s.redb");
    let (id, token, incarnation) = {
        let store = Store::open(&path).unwrap();
        let mut set = store.replica::<OrSet<u32>>("set", Options::default()).unwrap();
        let id = set.id();
        let mut token = None;
        for elem in 0..50 {
            token = Some(set.apply(|s| s.insert(id, elem).unwrap()).unwrap());
        }
        (id, token.unwrap(), set.replica().config().incarnation)
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.objects().unwrap(), ["set"]);
    let set = store.replica::<OrSet<u32>>("set", Options::default()).unwrap();
    assert_eq!(set.id(), id);
    assert_eq!(set.state().len(), 50);
    assert_eq!(set.replica().writes(), 50);
    assert!(set.can_serve(&token));
    assert!(set.replica().config().incarnation > incarnation);
    println!("{:?}", set.storage_stats());
}
