//! The joins of `DotSet` and `DotFun` against the definition of the causal join, on random
//! stores of every size (none, one, a few, more than 64 entries) and random contexts: an entry
//! on both sides stays (a `DotFun` keeps the greater value), an entry on one side stays when
//! the other side's context has not seen its dot.
#![allow(
    clippy::expect_used,
    reason = "test helpers: a panic is a test failure with a message"
)]

use std::collections::{BTreeMap, BTreeSet};

use concord_clock::{DotContext, DotFun, DotSet, DotStore};
use concord_core::Dot;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A random size, small ones (the inline single entry) as often as large ones.
fn size(rng: &mut StdRng) -> usize {
    match rng.random_range(0..4) {
        0 => rng.random_range(0..=1),
        1 => rng.random_range(2..6),
        2 => rng.random_range(0..20),
        _ => rng.random_range(60..160),
    }
}

fn random_dots(rng: &mut StdRng, n: usize) -> BTreeSet<Dot<u64>> {
    (0..n)
        .map(|_| Dot::new(rng.random_range(1..4u64), rng.random_range(1..100u64)))
        .collect()
}

/// A context holding `store`'s dots and some others.
fn context_over(rng: &mut StdRng, store: &BTreeSet<Dot<u64>>) -> DotContext<u64> {
    let extra = size(rng);
    store
        .iter()
        .copied()
        .chain(random_dots(rng, extra))
        .collect()
}

/// The definition: what the join keeps.
fn expected(
    mine: &BTreeSet<Dot<u64>>,
    context: &DotContext<u64>,
    theirs: &BTreeSet<Dot<u64>>,
    other_context: &DotContext<u64>,
) -> BTreeSet<Dot<u64>> {
    let kept = mine
        .iter()
        .filter(|d| theirs.contains(d) || !other_context.contains(d));
    let new = theirs.iter().filter(|d| !context.contains(d));
    kept.chain(new).copied().collect()
}

#[test]
fn dot_set_join_is_the_causal_join() {
    let mut rng = StdRng::seed_from_u64(0x0d07_0001);
    for _ in 0..5_000 {
        let (n, k) = (size(&mut rng), size(&mut rng));
        let mine = random_dots(&mut rng, n);
        // The other side shares some dots.
        let mut theirs = random_dots(&mut rng, k);
        for d in &mine {
            if rng.random_bool(0.3) {
                theirs.insert(*d);
            }
        }
        let context = context_over(&mut rng, &mine);
        let other_context = context_over(&mut rng, &theirs);
        let as_set = |dots: &BTreeSet<Dot<u64>>| {
            DotSet::from_sorted(dots.iter().copied().collect()).expect("sorted")
        };
        let mut joined = as_set(&mine);
        joined.join(&context, &as_set(&theirs), &other_context);
        let want = expected(&mine, &context, &theirs, &other_context);
        assert_eq!(joined, as_set(&want), "{mine:?} with {theirs:?}");
        assert_eq!(joined.len(), want.len());
        assert!(joined.iter().eq(want.iter()));

        let mut filtered = as_set(&theirs);
        filtered.retain_unseen(&context);
        let unseen = as_set(&theirs).clone_unseen(&context);
        assert_eq!(filtered, unseen);
        assert!(
            unseen
                .iter()
                .eq(theirs.iter().filter(|d| !context.contains(d)))
        );
    }
}

#[test]
fn dot_fun_join_is_the_causal_join_keeping_the_greater_value() {
    let mut rng = StdRng::seed_from_u64(0x0d07_0002);
    for _ in 0..5_000 {
        let (n, k) = (size(&mut rng), size(&mut rng));
        let mine: BTreeMap<Dot<u64>, u8> = random_dots(&mut rng, n)
            .into_iter()
            .map(|d| (d, rng.random_range(0..4u8)))
            .collect();
        let mut theirs: BTreeMap<Dot<u64>, u8> = random_dots(&mut rng, k)
            .into_iter()
            .map(|d| (d, rng.random_range(0..4u8)))
            .collect();
        for d in mine.keys() {
            // A shared dot, with the same value or (a misbehaving peer) another.
            if rng.random_bool(0.3) {
                theirs.insert(*d, rng.random_range(0..4u8));
            }
        }
        let mine_dots: BTreeSet<_> = mine.keys().copied().collect();
        let theirs_dots: BTreeSet<_> = theirs.keys().copied().collect();
        let context = context_over(&mut rng, &mine_dots);
        let other_context = context_over(&mut rng, &theirs_dots);
        let as_fun = |entries: &BTreeMap<Dot<u64>, u8>| {
            DotFun::from_sorted(entries.iter().map(|(d, v)| (*d, *v)).collect()).expect("sorted")
        };
        let mut joined = as_fun(&mine);
        joined.join(&context, &as_fun(&theirs), &other_context);
        let want: BTreeMap<Dot<u64>, u8> =
            expected(&mine_dots, &context, &theirs_dots, &other_context)
                .into_iter()
                .map(|d| {
                    let value = match (mine.get(&d), theirs.get(&d)) {
                        (Some(a), Some(b)) => *a.max(b),
                        (Some(v), None) | (None, Some(v)) => *v,
                        (None, None) => unreachable!("a kept dot is on some side"),
                    };
                    (d, value)
                })
                .collect();
        assert_eq!(joined, as_fun(&want), "{mine:?} with {theirs:?}");
        assert_eq!(joined.into_entries(), want.into_iter().collect::<Vec<_>>());
    }
}
