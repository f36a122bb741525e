//! `DotContext`: insertion, compaction, next dots, merge and inclusion order.

use core::cmp::Ordering;

use concord_clock::{DotContext, Merge, Overflow, VectorClock};
use concord_core::Dot;

fn dots(ds: &[(u64, u64)]) -> DotContext<u64> {
    ds.iter().map(|&(a, c)| Dot::new(a, c)).collect()
}

#[test]
fn in_order_dots_stay_in_the_vector() {
    let ctx = dots(&[(1, 1), (1, 2), (2, 1)]);
    assert_eq!(ctx.vector().iter().collect::<Vec<_>>(), [(&1, 2), (&2, 1)]);
    assert!(ctx.cloud().is_empty());
    assert_eq!(ctx.dot_count(), 3);
}

#[test]
fn out_of_order_dots_wait_in_the_cloud_then_fold() {
    let mut ctx = dots(&[(1, 1), (1, 3), (1, 5), (2, 2)]);
    assert_eq!(ctx.vector().get(&1), 1);
    assert_eq!(
        ctx.cloud(),
        [Dot::new(1, 3), Dot::new(1, 5), Dot::new(2, 2)]
    );
    assert!(ctx.contains(&Dot::new(1, 3)));
    assert!(!ctx.contains(&Dot::new(1, 2)));
    assert!(!ctx.contains(&Dot::new(1, 4)));
    assert!(!ctx.contains(&Dot::new(2, 1)));

    // Dot 2 closes the first gap: 1..=3 fold, 5 still waits.
    ctx.insert(Dot::new(1, 2));
    assert_eq!(ctx.vector().get(&1), 3);
    assert_eq!(ctx.cloud(), [Dot::new(1, 5), Dot::new(2, 2)]);
    ctx.insert(Dot::new(1, 4));
    assert_eq!(ctx.vector().get(&1), 5);
    ctx.insert(Dot::new(2, 1));
    assert_eq!(ctx.vector().get(&2), 2);
    assert!(ctx.cloud().is_empty());
    assert_eq!(
        ctx,
        dots(&[(1, 5), (1, 4), (1, 3), (1, 2), (1, 1), (2, 1), (2, 2)])
    );
}

#[test]
fn insertion_order_does_not_matter() {
    let forward: Vec<_> = (1..=20).map(|c| (c % 3, c)).collect();
    let a = dots(&forward);
    let mut backward = forward.clone();
    backward.reverse();
    let b = dots(&backward);
    assert_eq!(a, b);
}

#[test]
fn duplicates_and_covered_dots_change_nothing() {
    let mut ctx = dots(&[(1, 1), (1, 2), (1, 4)]);
    let before = ctx.clone();
    ctx.insert(Dot::new(1, 1));
    ctx.insert(Dot::new(1, 4));
    ctx.insert(Dot::new(1, 0));
    assert_eq!(ctx, before);
}

#[test]
fn next_dot_is_above_vector_and_cloud() {
    let mut ctx = DotContext::<u64>::new();
    assert_eq!(ctx.next_dot(1), Dot::new(1, 1));
    ctx.insert(Dot::new(1, 1));
    assert_eq!(ctx.next_dot(1), Dot::new(1, 2));
    ctx.insert(Dot::new(1, 7));
    assert_eq!(ctx.next_dot(1), Dot::new(1, 8));
    assert_eq!(ctx.max_counter(&1), 7);
    ctx.insert(Dot::new(0, 3));
    ctx.insert(Dot::new(2, 9));
    assert_eq!(ctx.max_counter(&1), 7);
    assert_eq!(ctx.max_counter(&0), 3);
    assert_eq!(ctx.max_counter(&5), 0);
}

#[test]
fn next_dot_at_the_limit() {
    let mut ctx = DotContext::<u64>::new();
    ctx.insert(Dot::new(1, u64::MAX));
    assert_eq!(ctx.checked_next_dot(1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(ctx.next_dot(1), Dot::new(1, u64::MAX));
    assert!(ctx.contains(&ctx.next_dot(1)));
}

#[test]
fn merge_is_union_then_compact() {
    let a = dots(&[(1, 1), (1, 3), (2, 2)]);
    let b = dots(&[(1, 2), (2, 1), (3, 5)]);
    let j = a.joined(&b);
    assert_eq!(j.vector().iter().collect::<Vec<_>>(), [(&1, 3), (&2, 2)]);
    assert_eq!(j.cloud(), [Dot::new(3, 5)]);
    assert_eq!(j, b.joined(&a));
    assert_eq!(j, dots(&[(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 5)]));
}

#[test]
fn merge_with_a_vector_covers_cloud_dots() {
    let mut ctx = dots(&[(1, 4), (1, 9)]);
    let vector: VectorClock<u64> = [(1, 6)].into_iter().collect();
    ctx.merge(&DotContext::from(vector));
    assert_eq!(ctx.vector().get(&1), 6);
    assert_eq!(ctx.cloud(), [Dot::new(1, 9)]);
    let mut ctx2 = dots(&[(1, 4), (1, 5), (1, 6)]);
    ctx2.merge(&dots(&[(1, 1), (1, 2), (1, 3)]));
    assert_eq!(ctx2.vector().get(&1), 6);
    assert!(ctx2.cloud().is_empty());
}

#[test]
fn compact_is_idempotent_on_compact_contexts() {
    let mut ctx = dots(&[(1, 1), (1, 3), (2, 4), (2, 6)]);
    let before = ctx.clone();
    ctx.compact();
    assert_eq!(ctx, before);
}

#[test]
fn order_is_set_inclusion() {
    let small = dots(&[(1, 1), (1, 3)]);
    let big = dots(&[(1, 1), (1, 2), (1, 3), (2, 1)]);
    let other = dots(&[(1, 2)]);
    assert_eq!(small.partial_cmp(&big), Some(Ordering::Less));
    assert_eq!(big.partial_cmp(&small), Some(Ordering::Greater));
    assert_eq!(small.partial_cmp(&small.clone()), Some(Ordering::Equal));
    assert_eq!(small.partial_cmp(&other), None);
    // A vector entry is not covered by a cloud holding only part of its range.
    let vector_only = dots(&[(1, 1), (1, 2)]);
    let cloud_only = dots(&[(1, 2)]);
    assert_eq!(
        vector_only.partial_cmp(&cloud_only),
        Some(Ordering::Greater)
    );
    assert!(DotContext::<u64>::new() <= small);
}

#[test]
fn empty_context() {
    let ctx = DotContext::<u64>::default();
    assert!(ctx.is_empty());
    assert_eq!(ctx.dot_count(), 0);
    assert!(!ctx.contains(&Dot::new(1, 1)));
    assert!(!dots(&[(1, 3)]).is_empty());
}
