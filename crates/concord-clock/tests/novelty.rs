//! Novelty and catch-up of the causal kernel carry what the receiver lacks, not the state:
//! sizes on histories long enough to tell the difference. The laws themselves are checked by
//! the law kit on every causal type.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_clock::{Causal, DotContext, DotMap, DotSet, DotStore, Merge, VectorClock};
use concord_core::{CatchUp, Dot, Novelty};

/// The shape of an observed-remove set of `u32` with `u64` actors.
type Set = Causal<DotMap<u32, DotSet<u64>, u64>, u64>;

fn insert(set: &mut Set, actor: u64, elem: u32) -> Set {
    let dot = set.next_dot(actor).unwrap();
    let seen = set
        .store()
        .get(&elem)
        .map(DotSet::to_context)
        .unwrap_or_default();
    let delta = Causal::from_store(DotMap::from_entry(elem, DotSet::from_dot(dot)), seen);
    set.apply(delta)
}

fn remove(set: &mut Set, elem: u32) -> Set {
    let seen = set
        .store()
        .get(&elem)
        .map(DotSet::to_context)
        .unwrap_or_default();
    set.apply(Causal::from_store(DotMap::new(), seen))
}

fn size(state: &Set) -> (usize, u128) {
    (state.store().dot_count(), state.context().dot_count())
}

fn thousand() -> Set {
    let mut set = Set::new();
    for elem in 0..1_000 {
        insert(&mut set, 1, elem);
    }
    set
}

#[test]
fn novelty_of_a_state_one_write_ahead_is_that_write() {
    let x = thousand();
    let mut peer = x.clone();
    insert(&mut peer, 1, 5_000);
    let novel = x.novel(&peer).expect("one write is new");
    assert_eq!(size(&novel), (1, 1));
    assert_eq!(x.joined(&novel), x.joined(&peer));
    // Nothing is new the second time.
    assert_eq!(x.joined(&novel).novel(&peer), None);
}

#[test]
fn novelty_of_a_remove_is_the_remove() {
    let x = thousand();
    let mut peer = x.clone();
    remove(&mut peer, 7);
    let novel = x.novel(&peer).expect("the remove is new");
    assert_eq!(size(&novel), (0, 1));
    assert_eq!(x.joined(&novel), x.joined(&peer));
}

#[test]
fn catch_up_sends_the_writes_and_removes_the_peer_lacks() {
    let behind = thousand();
    let mut ahead = behind.clone();
    for elem in 1_000..1_010 {
        insert(&mut ahead, 1, elem);
    }
    for elem in 0..5 {
        remove(&mut ahead, elem);
    }
    insert(&mut ahead, 2, 0);
    let delta = ahead.delta_since(&behind.summary());
    // 11 new adds; 11 new dots and the 5 removed adds in the context.
    assert_eq!(size(&delta), (11, 16));
    assert_eq!(behind.joined(&delta), behind.joined(&ahead));
    // A replica that has everything gets nothing.
    assert!(ahead.delta_since(&ahead.summary()).is_bottom());
}

#[test]
fn catch_up_of_an_empty_replica_from_a_long_history_is_the_live_part() {
    // A million adds of actor 1, all removed but ten: the context is one vector entry.
    let mut store = DotMap::new();
    for counter in 0..10u32 {
        let dot = Dot::new(1u64, 999_990 + u64::from(counter));
        store.join(
            &DotContext::new(),
            &DotMap::from_entry(counter, DotSet::from_dot(dot)),
            &DotContext::new(),
        );
    }
    let mut vector = VectorClock::new();
    vector.apply(Dot::new(1, 1_000_000));
    let long = Causal::from_parts(store, DotContext::from(vector)).unwrap();
    let delta = long.delta_since(&Set::new().summary());
    assert_eq!(delta, long);
    assert_eq!(Set::new().joined(&delta), long);
}
