//! Behaviour of `PnCounter`: deltas, overflow, merge and order.

use std::cmp::Ordering;

use concord_counter::{Merge, PnCounter, ReplicaId};

#[test]
fn increments_and_decrements_return_the_actors_entry() {
    let mut c = PnCounter::<u64>::new();
    let d = c.increment(1, 10).unwrap();
    assert_eq!(d.iter().collect::<Vec<_>>(), [(&1, (10, 0))]);
    let d = c.decrement(1, 4).unwrap();
    assert_eq!(d.iter().collect::<Vec<_>>(), [(&1, (10, 4))]);
    let d = c.decrement(2, 9).unwrap();
    assert_eq!(d.iter().collect::<Vec<_>>(), [(&2, (0, 9))]);
    assert_eq!(c.value(), -3);
    assert_eq!(c.get(&1), (10, 4));
    assert_eq!(c.get(&3), (0, 0));
    assert_eq!((c.increments(), c.decrements()), (10, 13));
}

#[test]
fn zero_amounts_change_nothing() {
    let mut c = PnCounter::<u64>::new();
    c.increment(1, 1).unwrap();
    let before = c.clone();
    assert!(c.increment(1, 0).unwrap().is_empty());
    assert!(c.decrement(2, 0).unwrap().is_empty());
    assert_eq!(c, before);
}

#[test]
fn overflow_on_either_side_is_refused_and_changes_nothing() {
    let mut c = PnCounter::<u64>::new();
    c.increment(1, u64::MAX).unwrap();
    c.decrement(1, u64::MAX - 1).unwrap();
    let before = c.clone();
    let err = c.increment(1, 1).unwrap_err();
    assert_eq!((err.count(), err.amount()), (u64::MAX, 1));
    assert_eq!(c, before);
    let err = c.decrement(1, 2).unwrap_err();
    assert_eq!((err.count(), err.amount()), (u64::MAX - 1, 2));
    assert_eq!(c, before);
    // The other side still has room.
    c.decrement(1, 1).unwrap();
    assert_eq!(c.get(&1), (u64::MAX, u64::MAX));
    assert_eq!(c.value(), 0);
    assert!(!c.is_empty());
}

#[test]
fn value_is_exact_in_both_directions() {
    let mut c = PnCounter::<u64>::new();
    for actor in 0..3 {
        c.decrement(actor, u64::MAX).unwrap();
    }
    assert_eq!(c.value(), -3 * i128::from(u64::MAX));
    c.increment(7, u64::MAX).unwrap();
    assert_eq!(c.value(), -2 * i128::from(u64::MAX));
}

#[test]
fn resent_and_duplicated_deltas_are_harmless() {
    let mut a = PnCounter::<u64>::new();
    let deltas = [
        a.increment(1, 5).unwrap(),
        a.decrement(1, 2).unwrap(),
        a.decrement(2, 1).unwrap(),
        a.increment(1, 1).unwrap(),
    ];
    let mut b = PnCounter::<u64>::new();
    for i in [3, 3, 0, 2, 1, 0, 2] {
        b.merge(&deltas[i]);
    }
    assert_eq!(b, a);
    assert_eq!(b.value(), 3);
}

#[test]
fn three_replicas_converge_to_increments_minus_decrements() {
    let ids = [9u128, 4, 6].map(ReplicaId::from_u128);
    let mut replicas: Vec<PnCounter> = vec![PnCounter::new(); 3];
    let mut expected = 0i128;
    let mut deltas = Vec::new();
    for step in 1..=30u64 {
        let i = (step % 3) as usize;
        if step % 4 == 0 {
            deltas.push(replicas[i].decrement(ids[i], step * 2).unwrap());
            expected -= i128::from(step * 2);
        } else {
            deltas.push(replicas[i].increment(ids[i], step).unwrap());
            expected += i128::from(step);
        }
    }
    for r in &mut replicas {
        for d in &deltas {
            r.merge(d);
        }
    }
    assert!(replicas.iter().all(|r| *r == replicas[0]));
    assert_eq!(replicas[0].value(), expected);
}

#[test]
fn merge_is_one_per_actor_maximum_of_both_totals() {
    let mut a = PnCounter::<u64>::new();
    a.increment(1, 5).unwrap();
    let mut b = PnCounter::<u64>::new();
    b.increment(1, 2).unwrap();
    b.decrement(1, 3).unwrap();
    b.increment(2, 1).unwrap();
    a.merge(&b);
    assert_eq!(a.iter().collect::<Vec<_>>(), [(&1, (5, 3)), (&2, (1, 0))]);
    assert_eq!(a.value(), 3);
}

#[test]
fn partial_order_is_pointwise_on_both_totals() {
    let mut a = PnCounter::<u64>::new();
    a.increment(1, 1).unwrap();
    let mut b = a.clone();
    b.decrement(1, 1).unwrap();
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    assert!(a.value() > b.value());
    let mut c = a.clone();
    c.increment(1, 1).unwrap();
    assert_eq!(b.partial_cmp(&c), None);
    assert_eq!(
        PnCounter::<u64>::default().partial_cmp(&a),
        Some(Ordering::Less)
    );
    assert_eq!(format!("{a:?}"), "PnCounter({1: [1, 0]})");
}

#[test]
fn collect_extend_and_iterate_by_reference_join_entries() {
    let built: PnCounter<u64> = [(1, (5, 1)), (2, (0, 3)), (1, (4, 2)), (3, (0, 0))]
        .into_iter()
        .collect();
    assert_eq!(
        built.iter().collect::<Vec<_>>(),
        [(&1, (5, 2)), (&2, (0, 3))],
        "each total keeps its maximum"
    );
    let mut c = built.clone();
    c.extend([(2, (7, 1))]);
    assert_eq!(
        (&c).into_iter().collect::<Vec<_>>(),
        [(&1, (5, 2)), (&2, (7, 3))]
    );
    assert_eq!(c.value(), 5 - 2 + 7 - 3);
    assert_eq!(c.iter().next_back(), Some((&2, (7, 3))));
}
