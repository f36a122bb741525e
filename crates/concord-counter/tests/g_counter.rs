//! Behaviour of `GCounter`: deltas, overflow, merge and order.

use std::cmp::Ordering;

use concord_counter::{GCounter, Merge, Overflow, ReplicaId};

#[test]
fn increment_returns_only_the_actors_new_count() {
    let mut c = GCounter::<u64>::new();
    c.increment(1, 10).unwrap();
    let delta = c.increment(2, 3).unwrap();
    assert_eq!(delta.iter().collect::<Vec<_>>(), [(&2, 3)]);
    let delta = c.increment(2, 4).unwrap();
    assert_eq!(delta.iter().collect::<Vec<_>>(), [(&2, 7)]);
    assert_eq!((c.get(&1), c.get(&2), c.get(&3)), (10, 7, 0));
    assert_eq!(c.value(), 17);
    assert_eq!(c.len(), 2);
}

#[test]
fn increment_by_zero_changes_nothing() {
    let mut c = GCounter::<u64>::new();
    c.increment(1, 5).unwrap();
    let before = c.clone();
    let delta = c.increment(1, 0).unwrap();
    assert!(delta.is_empty());
    assert_eq!(c, before);
    let delta = c.increment(9, 0).unwrap();
    assert!(delta.is_empty());
    assert_eq!(c, before);
    assert_eq!(c.len(), 1);
}

#[test]
fn overflow_is_refused_and_leaves_the_counter_unchanged() {
    let mut c = GCounter::<u64>::new();
    c.increment(1, u64::MAX - 5).unwrap();
    c.increment(2, 8).unwrap();
    let before = c.clone();
    let err = c.increment(1, 6).unwrap_err();
    assert_eq!(err.count(), u64::MAX - 5);
    assert_eq!(err.amount(), 6);
    assert_eq!(c, before);
    // The largest amount that fits is accepted.
    let delta = c.increment(1, 5).unwrap();
    assert_eq!(delta.get(&1), u64::MAX);
    let err: Overflow = c.increment(1, 1).unwrap_err();
    assert_eq!((err.count(), err.amount()), (u64::MAX, 1));
    assert_eq!(c.get(&1), u64::MAX);
    assert!(err.to_string().contains("overflow"));
    let _: &dyn core::error::Error = &err;
    // A different actor is unaffected.
    c.increment(3, u64::MAX).unwrap();
}

#[test]
fn value_is_exact_past_u64() {
    let mut c = GCounter::<u64>::new();
    for actor in 0..4 {
        c.increment(actor, u64::MAX).unwrap();
    }
    assert_eq!(c.value(), 4 * u128::from(u64::MAX));
}

#[test]
fn resent_and_duplicated_deltas_are_harmless() {
    let mut a = GCounter::<u64>::new();
    let d1 = a.increment(1, 2).unwrap();
    let d2 = a.increment(1, 3).unwrap();
    let d3 = a.increment(1, 4).unwrap();
    let mut b = GCounter::<u64>::new();
    // Newest first, then everything again, out of order.
    for d in [&d3, &d1, &d2, &d3, &d1, &d2, &d2] {
        b.merge(d);
    }
    assert_eq!(b, a);
    assert_eq!(b.value(), 9);
    // Only the newest delta is needed: older ones are subsumed.
    let mut c = GCounter::<u64>::new();
    c.merge(&d3);
    assert_eq!(c, a);
}

#[test]
fn three_replicas_converge_to_the_sum() {
    let ids = [3u128, 1, 2].map(ReplicaId::from_u128);
    let mut replicas: Vec<GCounter> = vec![GCounter::new(); 3];
    let mut expected = 0u128;
    let mut deltas = Vec::new();
    for round in 1..=20u64 {
        let i = (round % 3) as usize;
        deltas.push(replicas[i].increment(ids[i], round).unwrap());
        expected += u128::from(round);
        // Occasional full-state gossip between two replicas.
        if round % 7 == 0 {
            let from = replicas[(i + 1) % 3].clone();
            replicas[i].merge(&from);
        }
    }
    let states = replicas.clone();
    for (i, r) in replicas.iter_mut().enumerate() {
        for s in states.iter().cycle().skip(i).take(3) {
            r.merge(s);
        }
    }
    assert!(replicas.iter().all(|r| *r == replicas[0]));
    assert_eq!(replicas[0].value(), expected);
    // Deltas alone rebuild the same state.
    let mut fresh = GCounter::new();
    for d in deltas.iter().rev() {
        fresh.merge(d);
    }
    assert_eq!(fresh, replicas[0]);
}

#[test]
fn merge_is_the_per_actor_maximum() {
    let mut a = GCounter::<u64>::new();
    a.increment(1, 5).unwrap();
    a.increment(3, 1).unwrap();
    let mut b = GCounter::<u64>::new();
    b.increment(1, 2).unwrap();
    b.increment(2, 7).unwrap();
    let mut ab = a.clone();
    ab.merge(&b);
    assert_eq!(ab.iter().collect::<Vec<_>>(), [(&1, 5), (&2, 7), (&3, 1)]);
    let mut ba = b.clone();
    ba.merge(&a);
    assert_eq!(ab, ba);
}

#[test]
fn partial_order_is_pointwise() {
    let mut a = GCounter::<u64>::new();
    a.increment(1, 1).unwrap();
    let mut b = a.clone();
    b.increment(2, 1).unwrap();
    let mut c = GCounter::<u64>::new();
    c.increment(1, 2).unwrap();
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
    assert_eq!(b.partial_cmp(&a), Some(Ordering::Greater));
    assert_eq!(a.partial_cmp(&a.clone()), Some(Ordering::Equal));
    assert_eq!(b.partial_cmp(&c), None);
    assert!(GCounter::<u64>::default() <= a);
    // Larger value does not mean larger in the lattice.
    assert!(c.value() == b.value() && c.partial_cmp(&b).is_none());
}

#[test]
fn default_debug_and_actor_map() {
    let mut c = GCounter::<u64>::default();
    assert!(c.is_empty());
    assert_eq!(c.value(), 0);
    c.increment(4, 2).unwrap();
    assert_eq!(format!("{c:?}"), "GCounter({4: 2})");
    let back = GCounter::from(c.as_actor_map().clone());
    assert_eq!(back, c);
}

#[test]
fn collect_extend_and_iterate_by_reference_join_entries() {
    let built: GCounter<u64> = [(2, 4), (1, 3), (2, 1), (3, 0)].into_iter().collect();
    let mut expected = GCounter::new();
    expected.increment(1, 3).unwrap();
    expected.increment(2, 4).unwrap();
    assert_eq!(
        built, expected,
        "an actor given twice keeps the larger count"
    );

    let mut c = built.clone();
    c.extend([(1, 2), (4, 6)]);
    assert_eq!(
        (&c).into_iter().collect::<Vec<_>>(),
        [(&1, 3), (&2, 4), (&4, 6)]
    );
    assert_eq!(c, built.joined(&[(4, 6)].into_iter().collect()));
    let mut seen = 0;
    for (_, count) in &c {
        seen += count;
    }
    assert_eq!(u128::from(seen), c.value());
}
