//! The join that visits only the keys a small delta concerns (`DotMap::join_sparse`) against
//! the join that visits every key, and the novelty found through the index against the
//! novelty found by a walk, on random histories of flat maps, maps of multi-value stores and
//! maps of maps. Every replica keeps its state (and so its index) from step to step, so the
//! index is checked after every local mutator, sparse join and full join.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with a message"
)]

use alloc::vec::Vec;
use core::fmt::Debug;

use concord_core::{Dot, Merge, Novelty};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::dot_map::Sparse;
use super::{Causal, DotFun, DotMap, DotSet, DotStore};
use crate::DotContext;

type State<S> = Causal<DotMap<u16, S, u64>, u64>;

/// Every key, every context size: the sparse path is taken whenever it can be.
const FORCED: Sparse = Sparse {
    min_keys: 0,
    ratio: 1,
};

/// A store type of the tests: how a mutator makes the store of one key.
trait Value: DotStore<u64> + Debug {
    fn made(dot: Dot<u64>, rng: &mut StdRng) -> Self;
}

impl Value for DotSet<u64> {
    fn made(dot: Dot<u64>, _: &mut StdRng) -> Self {
        Self::from_dot(dot)
    }
}

impl Value for DotFun<u8, u64> {
    fn made(dot: Dot<u64>, rng: &mut StdRng) -> Self {
        Self::from_entry(dot, rng.random_range(0..4))
    }
}

impl Value for DotMap<u16, DotSet<u64>, u64> {
    fn made(dot: Dot<u64>, rng: &mut StdRng) -> Self {
        Self::from_entry(rng.random_range(0..4), DotSet::from_dot(dot))
    }
}

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

/// A local write or remove of one key, joined with `join_key`; returns the delta.
fn mutate<S: Value>(state: &mut State<S>, actor: u64, keys: u16, rng: &mut StdRng) -> State<S> {
    let key = rng.random_range(0..keys);
    let partial = rng.random_bool(0.2);
    let context = seen(state.store().get(&key), rng, partial);
    let delta = if rng.random_bool(0.7) {
        let dot = state.next_dot(actor).expect("small counters");
        Causal::from_store(DotMap::from_entry(key, S::made(dot, rng)), context)
    } else {
        Causal::from_store(DotMap::new(), context)
    };
    state.join_key(&key, &delta);
    assert!(state.store.index_is_consistent(), "index after join_key");
    delta
}

/// Joins `other` into `state` through the sparse path when it applies, and checks the result
/// against the full join; returns whether the sparse path was taken.
fn join_checked<S: Value>(state: &mut State<S>, other: &State<S>, limits: Sparse) -> bool {
    let mut full = state.clone();
    full.store
        .join_full(&full.context, &other.store, &other.context);
    full.context.merge(&other.context);

    let sparse = state
        .store
        .join_sparse(&state.context, &other.store, &other.context, limits);
    if !sparse {
        state
            .store
            .join_full(&state.context, &other.store, &other.context);
    }
    state.context.merge(&other.context);
    assert_eq!(*state, full, "sparse join of {other:?}");
    assert!(state.store.index_is_consistent(), "index after a join");
    sparse
}

/// The novelty of `delta` for `state` through its index (when it has one) against the
/// novelty found by a walk (a clone has no index).
fn novel_checked<S: Value>(state: &State<S>, delta: &State<S>) {
    let walked = state.clone();
    assert!(!walked.store.has_index());
    assert_eq!(
        state.novel(delta),
        walked.novel(delta),
        "novel of {delta:?}"
    );
}

/// One random history of `replicas` replicas over `keys` keys; returns how many joins took
/// the sparse path.
fn history<S: Value>(seed: u64, keys: u16, steps: usize, limits: Sparse) -> usize {
    let mut rng = StdRng::seed_from_u64(seed);
    let replicas = 3;
    let mut states: Vec<State<S>> = (0..replicas).map(|_| State::<S>::new()).collect();
    let mut deltas: Vec<State<S>> = Vec::new();
    let mut sparse = 0;
    for _ in 0..steps {
        let r = rng.random_range(0..replicas);
        match rng.random_range(0..10) {
            // Local mutators.
            0..=3 => {
                let delta = mutate(&mut states[r], r as u64 + 1, keys, &mut rng);
                deltas.push(delta);
            }
            // A delta, or a few joined (as an interval of a log), arriving in any order.
            4..=7 if !deltas.is_empty() => {
                let mut delta = deltas[rng.random_range(0..deltas.len())].clone();
                for _ in 0..rng.random_range(0..3) {
                    delta.merge(&deltas[rng.random_range(0..deltas.len())]);
                }
                novel_checked(&states[r], &delta);
                let novel = states[r].novel(&delta).unwrap_or_default();
                let mut direct = states[r].clone();
                sparse += usize::from(join_checked(&mut direct, &delta, limits));
                sparse += usize::from(join_checked(&mut states[r], &novel, limits));
                assert_eq!(states[r], direct, "the novel part joins as the delta does");
            }
            // A whole state, or a catch-up delta (a vector prefix in its context).
            8 => {
                let from = states[rng.random_range(0..replicas)].clone();
                sparse += usize::from(join_checked(&mut states[r], &from, limits));
            }
            _ => {
                let from = rng.random_range(0..replicas);
                let summary = concord_core::CatchUp::summary(&states[r]);
                let delta = concord_core::CatchUp::delta_since(&states[from], &summary);
                novel_checked(&states[r], &delta);
                sparse += usize::from(join_checked(&mut states[r], &delta, limits));
            }
        }
    }
    sparse
}

/// Histories per store type and limits; each asserts its own joins.
const CASES: u64 = 200;

fn every_store(keys: u16, steps: usize, limits: Sparse) -> usize {
    let mut sparse = 0;
    for seed in 0..CASES {
        sparse += history::<DotSet<u64>>(seed, keys, steps, limits);
        sparse += history::<DotFun<u8, u64>>(seed, keys, steps, limits);
        sparse += history::<DotMap<u16, DotSet<u64>, u64>>(seed, keys, steps, limits);
    }
    sparse
}

#[test]
fn forced_sparse_join_is_the_full_join() {
    let sparse = every_store(24, 80, FORCED);
    // The check must have checked something: most joins take the sparse path.
    assert!(sparse >= 10_000, "only {sparse} sparse joins");
}

#[test]
fn default_sparse_join_is_the_full_join() {
    // Maps of a few hundred keys: small deltas take the sparse path, states and catch-ups
    // the full join.
    let sparse = every_store(300, 400, Sparse::DEFAULT);
    assert!(sparse >= 10_000, "only {sparse} sparse joins");
}
