//! The wire sizes per entry that docs/choosing.md quotes for `OrSet`, `LwwMap` and
//! `LwwElementSet`, measured on encodings with `ReplicaId` actors: what one more element or key
//! adds to an encoded state. If the format changes, update the figures here and in the doc.
#![cfg(all(feature = "serde", feature = "set", feature = "map"))]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a refused write is a test failure"
)]

use concord_crdt::clock::{HybridTimestamp, LamportTimestamp};
use concord_crdt::codec::{self, WireType};
use concord_crdt::map::LwwMap;
use concord_crdt::set::{LwwElementSet, OrSet};
use concord_crdt::{Merge, ReplicaId};

fn len<T: WireType>(state: &T) -> usize {
    codec::encode(state).unwrap().len()
}

/// Today's wall time in milliseconds, as a `HybridClock` would stamp it (a fixed value).
const WALL: u64 = 1_764_590_000_000;

#[test]
fn or_set_entries() {
    let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
    let mut set = OrSet::<u8, ReplicaId>::new();
    let empty = len(&set);

    // The first add: the element with its dot, and the context's entry for the replica.
    set.insert(a, 0).unwrap();
    let one = len(&set);
    assert_eq!(one - empty, 19 + 17);

    // Each further add by that replica: the element, a 1-byte dot count and one dot of 17
    // bytes (16-byte actor, counter below 251); the context stays one entry.
    for elem in 1..=99 {
        set.insert(a, elem).unwrap();
    }
    let hundred = len(&set);
    assert_eq!(hundred - one, 99 * 19);

    // A removed element costs nothing: its dot stays covered by the context's one entry.
    for elem in 0..50 {
        set.remove(&elem);
    }
    assert_eq!(hundred - len(&set), 50 * 19);
    assert_eq!(set.len(), 50);

    // A concurrent add of a present element by another replica: one more dot (17 bytes) and
    // a context entry for the new replica (17 bytes).
    let mut other = OrSet::<u8, ReplicaId>::new();
    other.insert(b, 99).unwrap();
    let before = len(&set);
    set.merge(&other);
    assert_eq!(set.add_dots(&99).len(), 2);
    assert_eq!(len(&set) - before, 17 + 17);

    // Counters from 251 on take 3 bytes: a dot of 19 bytes, an element of 21.
    let mut busy = OrSet::<u16, ReplicaId>::new();
    for elem in 0..300 {
        busy.insert(a, elem).unwrap();
    }
    let before = len(&busy);
    busy.insert(a, 300).unwrap();
    // u16 elements from 251 take 3 bytes too.
    assert_eq!(len(&busy) - before, 3 + 1 + 19);
}

#[test]
fn lww_map_entries() {
    let a = ReplicaId::from_u128(1);

    // Lamport stamps: the key, the stamp (time below 251 and a 16-byte actor: 17 bytes), a
    // 1-byte tag and the value; a delete leaves the tag without a value.
    let mut map: LwwMap<u8, u8, LamportTimestamp<ReplicaId>> = LwwMap::new();
    map.insert(0, 0, LamportTimestamp::new(1, a));
    let one = len(&map);
    map.insert(1, 0, LamportTimestamp::new(2, a));
    assert_eq!(len(&map) - one, 20);
    let two = len(&map);
    map.remove(2, LamportTimestamp::new(3, a));
    assert_eq!(len(&map) - two, 19);

    // The default stamp, a hybrid timestamp of today's wall time (26 bytes).
    let mut map: LwwMap<u8, u8> = LwwMap::new();
    map.insert(0, 0, HybridTimestamp::new(WALL, 0, a));
    let one = len(&map);
    map.insert(1, 0, HybridTimestamp::new(WALL, 1, a));
    assert_eq!(len(&map) - one, 29);
    let two = len(&map);
    map.remove(2, HybridTimestamp::new(WALL + 1, 0, a));
    assert_eq!(len(&map) - two, 28);
}

#[test]
fn lww_element_set_entries() {
    let a = ReplicaId::from_u128(1);
    let mut set: LwwElementSet<u8, LamportTimestamp<ReplicaId>> = LwwElementSet::new();
    set.insert(0, LamportTimestamp::new(1, a));
    let one = len(&set);
    set.insert(1, LamportTimestamp::new(2, a));
    assert_eq!(len(&set) - one, 20);
}

#[test]
fn or_map_entries() {
    use concord_crdt::map::OrMap;
    use concord_crdt::register::MvRegister;
    let a = ReplicaId::from_u128(1);
    let write = |map: &mut OrMap<u8, MvRegister<u8, ReplicaId>, ReplicaId>, key: u8| {
        map.apply(a, key, |reg, actor| {
            let (_, seen) = reg.read();
            reg.write(actor, key, &seen)
        })
        .unwrap();
    };
    let mut map = OrMap::<u8, MvRegister<u8, ReplicaId>, ReplicaId>::new();
    write(&mut map, 0);
    let one = len(&map);
    // Each further key written once by that replica: the key, a 1-byte sibling count, one
    // dot (17 bytes) and the 1-byte value; the context stays one entry.
    for key in 1..=99 {
        write(&mut map, key);
    }
    let hundred = len(&map);
    assert_eq!(hundred - one, 99 * 20);
    // An overwrite replaces the sibling: the size does not grow.
    write(&mut map, 5);
    assert_eq!(len(&map), hundred);
    // A removed key costs nothing.
    for key in 0..50 {
        map.remove(&key);
    }
    assert_eq!(hundred - len(&map), 50 * 20);
}
