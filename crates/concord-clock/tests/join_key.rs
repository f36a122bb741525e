//! `Causal::join_key` against the general join, and the context merge against insertion, on
//! random histories: replicas mutate keys of maps (flat, nested, of multi-value stores), ship
//! their deltas in any order (so contexts grow clouds) and merge whole states.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_clock::{Causal, DotContext, DotFun, DotMap, DotSet, DotStore, Merge};
use concord_core::Dot;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Flat = Causal<DotMap<u8, DotSet<u64>, u64>, u64>;
type Nested = Causal<DotMap<u8, DotMap<u8, DotSet<u64>, u64>, u64>, u64>;
type Values = Causal<DotMap<u8, DotFun<u8, u64>, u64>, u64>;

/// The dots of `store`, or a random part of them when `partial`.
fn seen<S: DotStore<u64>>(store: Option<&S>, rng: &mut StdRng, partial: bool) -> DotContext<u64> {
    let mut context = DotContext::new();
    if let Some(store) = store {
        store.for_each_dot(&mut |dot| {
            if !partial || rng.random_bool(0.5) {
                context.insert(*dot);
            }
        });
    }
    context
}

/// Joins `delta` into `state` with `join_key`, checks it against the general join, and
/// returns the delta.
fn apply<K: Ord + Clone + core::fmt::Debug, S: DotStore<u64> + core::fmt::Debug>(
    state: &mut Causal<DotMap<K, S, u64>, u64>,
    key: &K,
    delta: Causal<DotMap<K, S, u64>, u64>,
) -> Causal<DotMap<K, S, u64>, u64> {
    let general = state.joined(&delta);
    state.join_key(key, &delta);
    assert_eq!(*state, general, "join_key of {delta:?} on {key:?}");
    delta
}

/// One local operation on a flat map: add (replacing all or some of the key's dots), or
/// remove all or some of them.
fn flat_op(state: &mut Flat, actor: u64, rng: &mut StdRng) -> Flat {
    let key = rng.random_range(0..12u8);
    let partial = rng.random_bool(0.2);
    let context = seen(state.store().get(&key), rng, partial);
    let delta = if rng.random_bool(0.6) {
        let dot = state.next_dot(actor).expect("small counters");
        Causal::from_store(DotMap::from_entry(key, DotSet::from_dot(dot)), context)
    } else {
        Causal::from_store(DotMap::new(), context)
    };
    apply(state, &key, delta)
}

/// One local operation on a map of maps: add under an inner key, remove an inner key, or
/// remove an outer key.
fn nested_op(state: &mut Nested, actor: u64, rng: &mut StdRng) -> Nested {
    let key = rng.random_range(0..6u8);
    let inner_key = rng.random_range(0..6u8);
    let inner = state.store().get(&key);
    let delta = match rng.random_range(0..4) {
        0 | 1 => {
            let context = seen(inner.and_then(|m| m.get(&inner_key)), rng, false);
            let dot = state.next_dot(actor).expect("small counters");
            let store = DotMap::from_entry(inner_key, DotSet::from_dot(dot));
            Causal::from_store(DotMap::from_entry(key, store), context)
        }
        2 => {
            let context = seen(inner.and_then(|m| m.get(&inner_key)), rng, false);
            Causal::from_store(DotMap::new(), context)
        }
        _ => {
            let partial = rng.random_bool(0.2);
            let context = seen(inner, rng, partial);
            Causal::from_store(DotMap::new(), context)
        }
    };
    apply(state, &key, delta)
}

/// One local operation on a map of dot functions: a write replacing all or some of the
/// key's values, or a remove.
fn values_op(state: &mut Values, actor: u64, rng: &mut StdRng) -> Values {
    let key = rng.random_range(0..8u8);
    let partial = rng.random_bool(0.3);
    let context = seen(state.store().get(&key), rng, partial);
    let delta = if rng.random_bool(0.7) {
        let dot = state.next_dot(actor).expect("small counters");
        let value = rng.random_range(0..4u8);
        Causal::from_store(
            DotMap::from_entry(key, DotFun::from_entry(dot, value)),
            context,
        )
    } else {
        Causal::from_store(DotMap::new(), context)
    };
    apply(state, &key, delta)
}

/// Replicas applying `op`, shipping deltas in random order and merging whole states.
fn histories<T: Merge + Clone + Default>(
    seed: u64,
    mut op: impl FnMut(&mut T, u64, &mut StdRng) -> T,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..300 {
        let n = rng.random_range(2..5usize);
        let mut replicas = vec![T::default(); n];
        let mut deltas: Vec<T> = Vec::new();
        for _ in 0..rng.random_range(1..120) {
            let at = rng.random_range(0..n);
            let delta = op(&mut replicas[at], at as u64 + 1, &mut rng);
            deltas.push(delta);
            match rng.random_range(0..10) {
                0..=3 => {
                    let d = &deltas[rng.random_range(0..deltas.len())];
                    replicas[rng.random_range(0..n)].merge(d);
                }
                4 => {
                    let from = replicas[rng.random_range(0..n)].clone();
                    replicas[rng.random_range(0..n)].merge(&from);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn join_key_is_the_join_on_flat_maps() {
    histories(0x01e7_0001, flat_op);
}

#[test]
fn join_key_is_the_join_on_maps_of_maps() {
    histories(0x01e7_0002, nested_op);
}

#[test]
fn join_key_is_the_join_on_maps_of_dot_functions() {
    histories(0x01e7_0003, values_op);
}

#[test]
fn join_key_leaves_other_keys_alone() {
    let mut state = Flat::new();
    for key in 0..4u8 {
        let dot = state.next_dot(1).expect("small counters");
        let add = Causal::from_store(
            DotMap::from_entry(key, DotSet::from_dot(dot)),
            DotContext::new(),
        );
        apply(&mut state, &key, add);
    }
    // Remove key 2, then re-add key 0 with a foreign actor that has not seen its dot.
    let remove = Causal::from_store(
        DotMap::new(),
        seen(state.store().get(&2), &mut StdRng::seed_from_u64(0), false),
    );
    apply(&mut state, &2, remove);
    let concurrent = Causal::from_store(
        DotMap::from_entry(0, DotSet::from_dot(Dot::new(9, 1))),
        DotContext::new(),
    );
    apply(&mut state, &0, concurrent);
    let keys: Vec<u8> = state.store().iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [0, 1, 3]);
    assert_eq!(
        state.store().get(&0).map(DotSet::as_slice),
        Some(&[Dot::new(1, 1), Dot::new(9, 1)][..])
    );
}

/// Up to `max` dots of four actors, counters below 12: contiguous runs and gaps.
fn random_dots(rng: &mut StdRng, max: usize) -> Vec<Dot<u64>> {
    (0..rng.random_range(0..=max))
        .map(|_| Dot::new(rng.random_range(1..5u64), rng.random_range(1..12u64)))
        .collect()
}

#[test]
fn context_merge_is_the_union_for_small_and_large_contexts() {
    let mut rng = StdRng::seed_from_u64(0x01e7_0004);
    for _ in 0..5000 {
        let mine = random_dots(&mut rng, 30);
        // Few dots (the entry-by-entry path) as often as many (the walk over both).
        let max = if rng.random_bool(0.5) { 6 } else { 30 };
        let theirs = random_dots(&mut rng, max);
        let mut merged: DotContext<u64> = mine.iter().copied().collect();
        let other: DotContext<u64> = theirs.iter().copied().collect();
        merged.merge(&other);
        let union: DotContext<u64> = mine.iter().chain(&theirs).copied().collect();
        assert_eq!(merged, union, "{mine:?} with {theirs:?}");
        let mut compacted = merged.clone();
        compacted.compact();
        assert_eq!(compacted, merged, "the merge leaves the context compact");
    }
}
