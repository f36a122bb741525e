//! Causal comparison and the operations of `VectorClock`.

use core::cmp::Ordering;

use concord_clock::{Causality, Merge, Overflow, VectorClock};
use concord_core::Dot;

fn clock(entries: &[(u64, u64)]) -> VectorClock<u64> {
    entries.iter().copied().collect()
}

#[test]
fn empty_clocks_are_equal() {
    let (a, b) = (VectorClock::<u64>::new(), VectorClock::<u64>::new());
    assert_eq!(a.compare(&b), Causality::Equal);
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
    assert!(a.is_empty());
    assert_eq!(a.len(), 0);
}

#[test]
fn empty_clock_is_before_any_event() {
    let empty = VectorClock::<u64>::new();
    let one = clock(&[(3, 1)]);
    assert_eq!(empty.compare(&one), Causality::Before);
    assert_eq!(one.compare(&empty), Causality::After);
    assert!(empty < one);
    assert!(one > empty);
}

#[test]
fn before_and_after_with_shared_actors() {
    let a = clock(&[(1, 2), (2, 5)]);
    let b = clock(&[(1, 3), (2, 5)]);
    assert_eq!(a.compare(&b), Causality::Before);
    assert_eq!(b.compare(&a), Causality::After);
    assert!(a <= b);
    assert_eq!(b.partial_cmp(&a), Some(Ordering::Greater));
}

#[test]
fn before_when_the_later_clock_has_an_extra_actor() {
    let a = clock(&[(1, 2), (3, 1)]);
    let b = clock(&[(1, 2), (2, 9), (3, 1)]);
    assert_eq!(a.compare(&b), Causality::Before);
    assert_eq!(b.compare(&a), Causality::After);
}

#[test]
fn concurrent_with_shared_actors() {
    let a = clock(&[(1, 2), (2, 1)]);
    let b = clock(&[(1, 1), (2, 2)]);
    assert_eq!(a.compare(&b), Causality::Concurrent);
    assert_eq!(b.compare(&a), Causality::Concurrent);
    assert_eq!(a.partial_cmp(&b), None);
    assert!(a != b);
    assert!(a.partial_cmp(&b).is_none() && b.partial_cmp(&a).is_none());
}

#[test]
fn disjoint_clocks_are_concurrent() {
    let a = clock(&[(1, 4)]);
    let b = clock(&[(2, 1)]);
    assert_eq!(a.compare(&b), Causality::Concurrent);
    let c = clock(&[(1, 1), (3, 1)]);
    let d = clock(&[(2, 1), (4, 1)]);
    assert_eq!(c.compare(&d), Causality::Concurrent);
}

#[test]
fn equal_clocks_built_in_different_orders() {
    let a = clock(&[(2, 1), (1, 3)]);
    let mut b = VectorClock::new();
    for _ in 0..3 {
        b.increment(1).unwrap();
    }
    b.increment(2).unwrap();
    assert_eq!(a.compare(&b), Causality::Equal);
    assert_eq!(a, b);
}

#[test]
fn merge_makes_both_sides_before_the_join() {
    let a = clock(&[(1, 2), (2, 1)]);
    let b = clock(&[(1, 1), (2, 2), (5, 7)]);
    let j = a.joined(&b);
    assert_eq!(j, clock(&[(1, 2), (2, 2), (5, 7)]));
    assert_eq!(a.compare(&j), Causality::Before);
    assert_eq!(b.compare(&j), Causality::Before);
    assert_eq!(j.compare(&b.joined(&a)), Causality::Equal);
}

#[test]
fn increment_returns_consecutive_dots() {
    let mut c = VectorClock::<u64>::new();
    assert_eq!(c.increment(7), Ok(Dot::new(7, 1)));
    assert_eq!(c.increment(7), Ok(Dot::new(7, 2)));
    assert_eq!(c.increment(3), Ok(Dot::new(3, 1)));
    assert_eq!(c.get(&7), 2);
    assert_eq!(c.get(&4), 0);
    assert_eq!(c.iter().collect::<Vec<_>>(), [(&3, 1), (&7, 2)]);
}

#[test]
fn increment_at_the_limit_is_refused_and_changes_nothing() {
    let mut c = clock(&[(1, u64::MAX - 1)]);
    assert_eq!(c.increment(1), Ok(Dot::new(1, u64::MAX)));
    let before = c.clone();
    assert_eq!(c.increment(1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(c, before);
}

#[test]
fn contains_dots_up_to_the_entry() {
    let c = clock(&[(1, 3)]);
    assert!(c.contains(&Dot::new(1, 1)));
    assert!(c.contains(&Dot::new(1, 3)));
    assert!(!c.contains(&Dot::new(1, 4)));
    assert!(!c.contains(&Dot::new(2, 1)));
}

#[test]
fn zero_entries_are_never_stored() {
    let c = clock(&[(1, 0), (2, 3), (2, 1)]);
    assert_eq!(c.len(), 1);
    assert_eq!(c, clock(&[(2, 3)]));
}

#[test]
fn apply_raises_but_never_lowers() {
    let mut c = clock(&[(1, 5)]);
    c.apply(Dot::new(1, 2));
    assert_eq!(c.get(&1), 5);
    c.apply(Dot::new(1, 8));
    c.apply(Dot::new(2, 1));
    assert_eq!(c, clock(&[(1, 8), (2, 1)]));
}

#[test]
fn causality_round_trips_through_ordering() {
    for c in [
        Causality::Before,
        Causality::After,
        Causality::Equal,
        Causality::Concurrent,
    ] {
        assert_eq!(Causality::from_ordering(c.to_ordering()), c);
    }
}

#[test]
fn extend_and_iterate_by_reference() {
    let mut c: VectorClock<u64> = [(3, 1), (7, 2)].into_iter().collect();
    c.extend([(3, 4), (5, 1), (7, 1)]);
    assert_eq!(
        (&c).into_iter().collect::<Vec<_>>(),
        [(&3, 4), (&5, 1), (&7, 2)]
    );
    assert_eq!(c.iter().len(), 3);
}
