//! Behaviour of the set on hand-made histories: the rules a user relies on, one per test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_set::concord_clock::{LamportClock, LamportTimestamp};
use concord_set::{AddWins, LwwElementSet, Merge, RemoveWins};
use std::cmp::Ordering;

type Ts = LamportTimestamp<u64>;

fn ts(time: u64, actor: u64) -> Ts {
    LamportTimestamp::new(time, actor)
}

fn items<B: concord_set::Bias>(set: &LwwElementSet<&'static str, u64, B>) -> Vec<&'static str> {
    set.iter().copied().collect()
}

#[test]
fn late_add_with_an_older_stamp_stays_removed() {
    // The remove arrives first, for an element this replica has never seen.
    let mut set: LwwElementSet<&str, Ts> = LwwElementSet::new();
    set.remove("milk", ts(5, 2));
    assert!(!set.contains("milk"));
    assert_eq!(set.stats().tombstones, 1, "the remove is recorded");

    // The add was made earlier elsewhere and is delivered late.
    let mut elsewhere = LwwElementSet::new();
    let late = elsewhere.insert("milk", ts(3, 1));
    set.merge(&late);
    assert!(!set.contains("milk"));
    assert!(set.is_empty());

    // A newer add does bring it back.
    set.insert("milk", ts(6, 1));
    assert!(set.contains("milk"));
    assert_eq!(set.len(), 1);
}

#[test]
fn equal_stamps_are_decided_by_the_bias() {
    let mut add_wins: LwwElementSet<&str, u64, AddWins> = LwwElementSet::new();
    let mut remove_wins: LwwElementSet<&str, u64, RemoveWins> = LwwElementSet::new();
    for (name, add, remove) in [("eggs", 10, 10), ("milk", 11, 10), ("tea", 10, 11)] {
        add_wins.insert(name, add);
        add_wins.remove(name, remove);
        // The other order of operations gives the same result.
        remove_wins.remove(name, remove);
        remove_wins.insert(name, add);
    }
    assert_eq!(items(&add_wins), ["eggs", "milk"]);
    assert_eq!(items(&remove_wins), ["milk"]);
    assert!(add_wins.contains("eggs"));
    assert!(!remove_wins.contains("eggs"));
    assert_eq!((add_wins.len(), remove_wins.len()), (2, 1));
}

#[test]
fn older_operations_change_nothing_but_are_harmless() {
    let mut set: LwwElementSet<&str, u64> = LwwElementSet::new();
    set.insert("tea", 7);
    let before = set.clone();
    let delta = set.insert("tea", 3);
    assert_eq!(set, before, "an older add is absorbed");
    assert_eq!(delta.stamps("tea"), Some((Some(&3), None)));
    set.remove("tea", 2);
    assert!(set.contains("tea"));
    assert_eq!(set.stamps("tea"), Some((Some(&7), Some(&2))));
    assert_eq!(set.stamps("coffee"), None);
}

#[test]
fn deltas_reproduce_the_operation_anywhere() {
    let mut a: LwwElementSet<String, Ts> = LwwElementSet::new();
    let mut b: LwwElementSet<String, Ts> = LwwElementSet::new();
    let mut deltas = vec![
        a.insert("bread".to_string(), ts(1, 1)),
        a.insert("jam".to_string(), ts(2, 1)),
        a.remove("bread".to_string(), ts(3, 1)),
    ];
    deltas.push(a.insert("butter".to_string(), ts(4, 1)));
    // Delivered out of order and twice.
    for d in deltas.iter().rev().chain(&deltas) {
        b.merge(d);
    }
    assert_eq!(a, b);
    assert!(b.contains("jam"), "lookup by &str in a set of String");
    assert_eq!(
        b.iter().map(String::as_str).collect::<Vec<_>>(),
        ["butter", "jam"]
    );
    assert_eq!(b.max_stamp(), Some(&ts(4, 1)));
}

#[test]
fn merge_keeps_the_greatest_stamps_per_element() {
    let mut a: LwwElementSet<u32, u64> = LwwElementSet::new();
    let mut b: LwwElementSet<u32, u64> = LwwElementSet::new();
    a.insert(1, 5);
    a.remove(2, 9);
    a.insert(4, 1);
    b.insert(2, 10);
    b.remove(1, 6);
    b.insert(3, 2);
    b.insert(4, 3);
    let joined = a.joined(&b);
    assert_eq!(joined, b.joined(&a));
    assert_eq!(joined.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(joined.stamps(&1), Some((Some(&5), Some(&6))));
    assert_eq!(joined.stamps(&2), Some((Some(&10), Some(&9))));
    assert_eq!(joined.stamps(&4), Some((Some(&3), None)));
    assert_eq!(joined.len(), 3);
}

#[test]
fn merge_of_a_subset_updates_in_place_and_of_a_superset_grows() {
    let mut big: LwwElementSet<u32, u64> = LwwElementSet::new();
    big.insert_all((0..100).map(|e| (e, 1)));
    let mut small: LwwElementSet<u32, u64> = LwwElementSet::new();
    small.remove_all([(10, 2), (50, 2), (99, 2)]);
    let mut a = big.clone();
    a.merge(&small);
    assert_eq!(a.len(), 97);
    assert!(!a.contains(&50));
    let mut b = small.clone();
    b.merge(&big);
    assert_eq!(a, b);
    assert_eq!(b.stats().entries(), 100);
}

#[test]
fn batches_keep_the_greatest_stamp_of_a_repeated_element() {
    let mut set: LwwElementSet<&str, u64> = LwwElementSet::new();
    let delta = set.insert_all([("b", 4), ("a", 2), ("b", 9), ("c", 1)]);
    assert_eq!(delta, set);
    assert_eq!(set.stamps("b"), Some((Some(&9), None)));
    set.remove_all([("b", 8), ("c", 3), ("c", 0)]);
    assert_eq!(items(&set), ["a", "b"]);
    assert_eq!(set.stamps("c"), Some((Some(&1), Some(&3))));
    // One by one gives the same state.
    let mut single = LwwElementSet::new();
    for (e, s) in [("b", 4), ("a", 2), ("b", 9), ("c", 1)] {
        single.insert(e, s);
    }
    for (e, s) in [("b", 8), ("c", 3), ("c", 0)] {
        single.remove(e, s);
    }
    assert_eq!(single, set);
}

#[test]
fn compaction_frees_tombstones_and_losing_stamps_up_to_the_stable_stamp() {
    let mut set: LwwElementSet<&str, u64> = LwwElementSet::new();
    set.insert("a", 1);
    set.remove("a", 2); // tombstone at 2
    set.insert("b", 3);
    set.remove("b", 1); // present, losing remove at 1
    set.insert("c", 4);
    set.remove("c", 8); // tombstone at 8, losing add at 4
    set.remove("d", 9); // tombstone at 9, never added
    set.insert("e", 10);
    let stats = set.stats();
    assert_eq!(
        (stats.elements, stats.tombstones, stats.losing_stamps),
        (2, 3, 3)
    );

    let visible = items(&set);
    assert_eq!(
        set.compact(&5),
        1,
        "only the tombstone of `a` is old enough"
    );
    assert_eq!(items(&set), visible);
    assert_eq!(set.stamps("a"), None);
    assert_eq!(set.stamps("b"), Some((Some(&3), None)));
    assert_eq!(set.stamps("c"), Some((None, Some(&8))));
    let stats = set.stats();
    assert_eq!(
        (stats.elements, stats.tombstones, stats.losing_stamps),
        (2, 2, 0)
    );

    assert_eq!(set.compact(&100), 2);
    assert_eq!(items(&set), ["b", "e"]);
    assert_eq!(set.stats().tombstones, 0);
    assert_eq!(set.stats().entries(), 2);
    assert_eq!(set.compact(&100), 0, "compaction is idempotent");
}

#[test]
fn compaction_respects_the_bias_on_ties() {
    let mut add_wins: LwwElementSet<&str, u64, AddWins> = LwwElementSet::new();
    let mut remove_wins: LwwElementSet<&str, u64, RemoveWins> = LwwElementSet::new();
    add_wins.insert("x", 5);
    add_wins.remove("x", 5);
    remove_wins.insert("x", 5);
    remove_wins.remove("x", 5);
    assert_eq!(add_wins.compact(&5), 0);
    assert_eq!(add_wins.stamps("x"), Some((Some(&5), None)));
    assert!(add_wins.contains("x"));
    assert_eq!(remove_wins.compact(&5), 1);
    assert!(remove_wins.stats().entries() == 0);
}

#[test]
fn merging_an_uncompacted_state_brings_the_tombstone_back_harmlessly() {
    let mut a: LwwElementSet<&str, u64> = LwwElementSet::new();
    a.insert("x", 1);
    a.remove("x", 2);
    let b = a.clone();
    a.compact(&2);
    assert_ne!(a, b);
    assert!(a < b, "compaction moves down in the lattice order");
    a.merge(&b);
    assert_eq!(a, b);
    assert!(!a.contains("x"));
}

#[test]
fn compaction_without_its_precondition_resurrects_an_element() {
    // The documented failure: an add stamped below `stable` is still in flight.
    let mut a: LwwElementSet<&str, u64> = LwwElementSet::new();
    let in_flight = LwwElementSet::new().insert("x", 1);
    a.remove("x", 2);
    a.compact(&2); // wrong: the add at 1 has not been seen by `a`
    a.merge(&in_flight);
    assert!(a.contains("x"), "the tombstone that kept it out is gone");
}

#[test]
fn lattice_order_is_per_element_stamp_inclusion() {
    let mut a: LwwElementSet<u8, u64> = LwwElementSet::new();
    a.insert(1, 3);
    let mut b = a.clone();
    b.remove(1, 4);
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    assert_eq!(b.partial_cmp(&a), Some(Ordering::Greater));
    assert_eq!(a.partial_cmp(&a.clone()), Some(Ordering::Equal));
    let mut c: LwwElementSet<u8, u64> = LwwElementSet::new();
    c.insert(2, 1);
    assert_eq!(a.partial_cmp(&c), None);
    let mut d = a.clone();
    d.insert(1, 5); // greater add, but no remove: incomparable with b
    assert_eq!(b.partial_cmp(&d), None);
    assert!(LwwElementSet::new() <= a);
    let j = b.joined(&d);
    assert!(b <= j && d <= j);
}

#[test]
fn a_clock_that_observes_merged_stamps_writes_after_them() {
    let mut alice = LamportClock::new(1u64);
    let mut bob = LamportClock::new(2u64);
    let mut a: LwwElementSet<&str, Ts, RemoveWins> = LwwElementSet::new();
    let mut b = LwwElementSet::new();
    for _ in 0..5 {
        a.insert("x", alice.tick().unwrap());
    }
    b.merge(&a);
    bob.observe(b.max_stamp().unwrap()).unwrap();
    let d = b.remove("x", bob.tick().unwrap());
    a.merge(&d);
    assert!(!a.contains("x"));
    assert!(a.is_empty());
}

#[test]
fn debug_shows_bias_and_stamps() {
    let mut set: LwwElementSet<&str, u64, RemoveWins> = LwwElementSet::default();
    set.insert("a", 1);
    let shown = format!("{set:?}");
    assert!(shown.contains("RemoveWins"), "{shown}");
    assert!(shown.contains("\"a\": (Some(1), None)"), "{shown}");
}

#[test]
fn collect_extend_and_iterate_by_reference() {
    let mut set: LwwElementSet<&str, u64> = [("b", 2), ("a", 1), ("b", 5)].into_iter().collect();
    set.remove("a", 3);
    set.extend([("c", 1), ("a", 2)]);
    assert_eq!((&set).into_iter().copied().collect::<Vec<_>>(), ["b", "c"]);
    assert_eq!(set.iter().len(), set.len());
    assert_eq!(set.iter().rev().copied().collect::<Vec<_>>(), ["c", "b"]);
    set.extend([("a", 4)]);
    let mut it = set.iter();
    assert_eq!(it.size_hint(), (3, Some(3)));
    assert_eq!(it.next(), Some(&"a"));
    assert_eq!(it.size_hint(), (2, Some(2)));
}
