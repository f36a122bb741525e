//! Observed-remove sets: concord's `OrSet` against crdts' `Orswot`, both built by the same
//! operations of the same writers, each through its own library's public API.
//!
//! The scenario, for `m` present elements per side:
//!
//! 1. *History*: side A's four writers add the shared elements `S` (`m / 2`) and the elements
//!    `R` (`m / 10`). Side B starts from this history: it has seen part of A's.
//! 2. *Then, concurrently*: A's writers add `m / 2 - m / 10` elements of their own and re-add
//!    a random half of `S` (a new add that replaces the one they saw); B's four writers add
//!    `m / 2` elements of their own, re-add an independent random half of `S` (so about a
//!    quarter of `S` is re-added on both sides) and remove `R` (which they saw added).
//!
//! Each side then holds `m` elements, `S` on both. The merge keeps every add the other side
//! has not seen (A's own and re-added elements, B's likewise; an element re-added on both
//! sides keeps both adds), drops the adds of `S` that one side has seen replaced, and drops
//! `R`, whose adds B saw and removed: `m / 2 + m / 2 - m / 10 + m / 2` elements remain.
//!
//! # How the states are built
//!
//! In both libraries the same way: one replica applies the history's operations in order;
//! side A is a copy of it applying A's operations in order, side B another copy applying B's
//! (each add and remove through the library's own mutators, which touch only the element's
//! entry).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use concord_core::{Merge, ReplicaId};
use concord_set::OrSet;
use crdts::{CmRDT, CvRDT};
use rand::RngExt;
use rand::seq::SliceRandom;

use crate::harness::{ActorKind, FromBits, quick, rng};

/// Present elements per side in the observed-remove set group.
pub const OR_SET_SIZES: [usize; 2] = [1_000, 100_000];

/// Replicas that write each side (each add is made by one of them).
const WRITERS_PER_SIDE: usize = 4;

/// The concord set benchmarked: `u64` elements, `ReplicaId` actors.
pub type ConcordOrSet = OrSet<u64, ReplicaId>;

/// The crdts set on the same elements, `Uuid` actors (the same 128 bits).
pub type CrdtsOrswot = crdts::Orswot<u64, uuid::Uuid>;

/// One observed-remove set merge input in both libraries.
#[derive(Clone, Debug)]
pub struct OrSetCase {
    /// concord `(receiver A, incoming B)`.
    pub concord: (ConcordOrSet, ConcordOrSet),
    /// crdts `(receiver A, incoming B)`.
    pub crdts: (CrdtsOrswot, CrdtsOrswot),
    /// The elements present after the merge, for checks.
    pub merged: BTreeSet<u64>,
}

/// One operation of a writer.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `writer` adds the element (new, or re-added after seeing its history add).
    Add { writer: u128, elem: u64 },
    /// The element is removed after seeing its history add.
    Remove { elem: u64 },
}

/// The operations of one pair: the shared history, then each side's own.
struct Script {
    history: Vec<Op>,
    later_a: Vec<Op>,
    later_b: Vec<Op>,
    present_a: BTreeSet<u64>,
    present_b: BTreeSet<u64>,
    merged: BTreeSet<u64>,
}

fn script(rng: &mut rand::rngs::StdRng, m: usize) -> Script {
    let elements: Vec<u64> = ActorKind::U64
        .draw(rng, m + m / 2)
        .into_iter()
        .map(u64::from_bits)
        .map(|e| e.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let (shared, rest) = elements.split_at(m / 2);
    let (removed, rest) = rest.split_at(m / 10);
    let (own_a, own_b) = rest.split_at(m / 2 - m / 10);
    let writers = ActorKind::Uuid.draw(rng, 2 * WRITERS_PER_SIDE);
    let (writers_a, writers_b) = writers.split_at(WRITERS_PER_SIDE);
    let mut add = |writers: &[u128], elem: u64| Op::Add {
        writer: writers[rng.random_range(0..writers.len())],
        elem,
    };

    let mut history: Vec<Op> = shared
        .iter()
        .chain(removed)
        .map(|&e| add(writers_a, e))
        .collect();
    let mut later_a: Vec<Op> = own_a.iter().map(|&e| add(writers_a, e)).collect();
    let mut later_b: Vec<Op> = own_b.iter().map(|&e| add(writers_b, e)).collect();
    later_b.extend(removed.iter().map(|&elem| Op::Remove { elem }));
    // Each shared element is re-added by neither side, by A, by B or by both.
    for &e in shared {
        let class = rng.random_range(0..4_u8);
        if class & 1 != 0 {
            later_a.push(Op::Add {
                writer: writers_a[rng.random_range(0..writers_a.len())],
                elem: e,
            });
        }
        if class & 2 != 0 {
            later_b.push(Op::Add {
                writer: writers_b[rng.random_range(0..writers_b.len())],
                elem: e,
            });
        }
    }
    history.shuffle(rng);
    later_a.shuffle(rng);
    later_b.shuffle(rng);

    let present_a: BTreeSet<u64> = shared.iter().chain(removed).chain(own_a).copied().collect();
    let present_b: BTreeSet<u64> = shared.iter().chain(own_b).copied().collect();
    let merged: BTreeSet<u64> = shared.iter().chain(own_a).chain(own_b).copied().collect();
    assert_eq!(present_a.len(), m);
    assert_eq!(present_b.len(), m);
    Script {
        history,
        later_a,
        later_b,
        present_a,
        present_b,
        merged,
    }
}

/// `start` applying every operation of `ops` in order.
fn one_replica(start: &ConcordOrSet, ops: &[Op]) -> ConcordOrSet {
    let mut replica = start.clone();
    for &op in ops {
        match op {
            Op::Add { writer, elem } => {
                replica
                    .insert(ReplicaId::from_bits(writer), elem)
                    .expect("counters stay far below u64::MAX");
            }
            Op::Remove { elem } => {
                replica.remove(&elem);
            }
        }
    }
    replica
}

fn concord_sides(script: &Script) -> (ConcordOrSet, ConcordOrSet) {
    let history = one_replica(&ConcordOrSet::new(), &script.history);
    (
        one_replica(&history, &script.later_a),
        one_replica(&history, &script.later_b),
    )
}

fn crdts_apply(set: &mut CrdtsOrswot, ops: &[Op]) {
    for &op in ops {
        match op {
            Op::Add { writer, elem } => {
                let ctx = set.read_ctx().derive_add_ctx(uuid::Uuid::from_bits(writer));
                set.apply(set.add(elem, ctx));
            }
            Op::Remove { elem } => {
                let ctx = set.contains(&elem).derive_rm_ctx();
                set.apply(set.rm(elem, ctx));
            }
        }
    }
}

fn crdts_sides(script: &Script) -> (CrdtsOrswot, CrdtsOrswot) {
    let mut history = CrdtsOrswot::new();
    crdts_apply(&mut history, &script.history);
    let mut a = history.clone();
    crdts_apply(&mut a, &script.later_a);
    let mut b = history;
    crdts_apply(&mut b, &script.later_b);
    (a, b)
}

/// Each writer's number of adds, as both libraries count them: concord's context vector
/// (which must have no cloud) and crdts' clock.
fn concord_clock(set: &ConcordOrSet) -> BTreeMap<u128, u64> {
    assert!(set.context().cloud().is_empty(), "every delta arrived");
    set.context()
        .vector()
        .iter()
        .map(|(actor, n)| (actor.as_u128(), n))
        .collect()
}

fn crdts_clock(set: &CrdtsOrswot) -> BTreeMap<u128, u64> {
    set.clock()
        .iter()
        .map(|dot| (dot.actor.as_u128(), dot.counter))
        .collect()
}

/// Set pairs of `m` present elements per side, half of them on both (see the module
/// documentation). Before anything is timed, each pair is checked in both libraries: the
/// sides hold the expected elements and the same dots were issued (same clocks), and both
/// merges give the expected elements.
#[must_use]
pub fn or_set_cases(m: usize) -> Vec<OrSetCase> {
    let mut rng = rng(0x60 ^ ((m as u64) << 8));
    let pool = if quick() || m > 10_000 { 2 } else { 16 };
    (0..pool)
        .map(|_| {
            let script = script(&mut rng, m);
            let (ca, cb) = concord_sides(&script);
            let (ta, tb) = crdts_sides(&script);

            assert!(ca.iter().eq(&script.present_a));
            assert!(cb.iter().eq(&script.present_b));
            let hashed = |set: &BTreeSet<u64>| set.iter().copied().collect::<HashSet<u64>>();
            assert_eq!(ta.read().val, hashed(&script.present_a));
            assert_eq!(tb.read().val, hashed(&script.present_b));
            assert_eq!(concord_clock(&ca), crdts_clock(&ta));
            assert_eq!(concord_clock(&cb), crdts_clock(&tb));

            let mut merged = ca.clone();
            merged.merge(&cb);
            assert!(merged.iter().eq(&script.merged));
            assert_eq!(concord_clock(&merged), {
                let mut theirs = ta.clone();
                theirs.merge(tb.clone());
                assert_eq!(theirs.read().val, hashed(&script.merged));
                crdts_clock(&theirs)
            });

            OrSetCase {
                concord: (ca, cb),
                crdts: (ta, tb),
                merged: script.merged,
            }
        })
        .collect()
}

/// The writer of the insert-and-remove benchmark: an actor neither side has used.
pub const FRESH_WRITER: u128 = 0x0F0F_0F0F_0F0F_4F0F_8F0F_0F0F_0F0F_0F0F;

/// The inputs of the insert-and-remove benchmark: side A of the first pair in both libraries,
/// and `count` elements absent from both sides, each to be inserted into side A and removed
/// again (so the set keeps its `m` elements).
#[must_use]
pub fn insert_remove_inputs(
    cases: &[OrSetCase],
    count: usize,
) -> (ConcordOrSet, CrdtsOrswot, Vec<u64>) {
    let case = &cases[0];
    let mut rng = rng(0x61 ^ ((case.merged.len() as u64) << 8));
    let mut fresh = BTreeSet::new();
    while fresh.len() < count {
        let e: u64 = rng.random();
        if !case.concord.0.contains(&e) && !case.concord.1.contains(&e) {
            fresh.insert(e);
        }
    }
    let mut fresh: Vec<u64> = fresh.into_iter().collect();
    fresh.shuffle(&mut rng);
    (case.concord.0.clone(), case.crdts.0.clone(), fresh)
}

/// Inserts `elem` into `set` as `writer` and removes it again; returns both deltas.
pub fn concord_insert_remove(
    set: &mut ConcordOrSet,
    writer: ReplicaId,
    elem: u64,
) -> (ConcordOrSet, ConcordOrSet) {
    let added = set
        .insert(writer, elem)
        .expect("counters stay far below u64::MAX");
    (added, set.remove(&elem))
}

/// Inserts `elem` into `set` as `writer` and removes it again, as a crdts replica would: the
/// add with the context the set reads, the remove with the adds the set observed.
pub fn crdts_insert_remove(set: &mut CrdtsOrswot, writer: uuid::Uuid, elem: u64) {
    let ctx = set.read_ctx().derive_add_ctx(writer);
    set.apply(set.add(elem, ctx));
    let ctx = set.contains(&elem).derive_rm_ctx();
    set.apply(set.rm(elem, ctx));
}
