//! What a user of `LwwMap` relies on: puts and deletes, concurrent writes, the tie-break of
//! equal stamps, compaction and its precondition, iteration, and the lattice order; then the
//! map against a plain `BTreeMap` model over seeded random histories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use std::collections::BTreeMap;

use concord_map::concord_clock::{LamportClock, LamportTimestamp};
use concord_map::{LwwMap, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Plain `u64` stamps, so tests can make two writes share one.
type Map = LwwMap<u16, u32, u64>;

fn joined(a: &Map, b: &Map) -> Map {
    let mut out = a.clone();
    out.merge(b);
    out
}

fn items(map: &Map) -> Vec<(u16, u32)> {
    map.iter().map(|(&k, &v)| (k, v)).collect()
}

// ------------------------------------------------------------------------- puts and deletes

#[test]
fn a_put_is_read_back_and_a_newer_put_replaces_it() {
    let mut map = Map::new();
    assert!(map.is_empty());
    map.insert(1, 10, 5);
    assert_eq!(map.get(&1), Some(&10));
    assert_eq!(map.stamp(&1), Some(&5));
    assert!(map.contains_key(&1));
    map.insert(1, 11, 6);
    assert_eq!(map.get(&1), Some(&11));
    // An older put changes nothing.
    map.insert(1, 9, 4);
    assert_eq!(map.get(&1), Some(&11));
    assert_eq!(map.stamp(&1), Some(&6));
    assert_eq!(map.len(), 1);
    assert_eq!(map.get(&2), None);
    assert_eq!(map.stamp(&2), None);
}

#[test]
fn a_delete_hides_the_key_and_keeps_a_tombstone() {
    let mut map = Map::new();
    map.insert(1, 10, 5);
    map.insert(2, 20, 5);
    map.remove(1, 7);
    assert_eq!(map.get(&1), None);
    assert!(!map.contains_key(&1));
    assert_eq!(map.stamp(&1), Some(&7));
    assert_eq!((map.len(), map.tombstones()), (1, 1));
    // An older put arriving later stays deleted; a newer one brings the key back.
    map.insert(1, 11, 6);
    assert_eq!(map.get(&1), None);
    map.insert(1, 12, 8);
    assert_eq!(map.get(&1), Some(&12));
    assert_eq!((map.len(), map.tombstones()), (2, 0));
}

#[test]
fn a_delete_of_an_unseen_key_is_recorded() {
    let mut map = Map::new();
    let delta = map.remove(3, 10);
    assert!(map.is_empty());
    assert_eq!(map.tombstones(), 1);
    assert_eq!(delta, map);
    // The put it beats arrives afterwards, from a peer.
    let mut peer = Map::new();
    let late = peer.insert(3, 30, 9);
    map.merge(&late);
    assert_eq!(map.get(&3), None);
    assert_eq!(map.stamp(&3), Some(&10));
}

#[test]
fn mutators_return_the_delta_of_their_write() {
    let mut map = Map::new();
    map.insert(1, 10, 1);
    let delta = map.insert(2, 20, 2);
    assert_eq!(items(&delta), [(2, 20)]);
    let delta = map.remove(1, 3);
    assert_eq!((delta.len(), delta.tombstones()), (0, 1));
    // Merging the deltas anywhere has the effect of the calls.
    let mut other = Map::new();
    other.merge(&map.insert(5, 50, 4));
    other.merge(&delta);
    assert_eq!(items(&other), [(5, 50)]);
    assert_eq!(other.stamp(&1), Some(&3));
}

#[test]
fn a_delta_that_loses_changes_nothing() {
    let mut map = Map::new();
    let old = map.insert(1, 1, 1);
    map.insert(1, 2, 2);
    let before = map.clone();
    map.merge(&old);
    assert_eq!(map, before);
}

// --------------------------------------------------------------------- concurrent writes

#[test]
fn concurrent_put_and_delete_the_greater_stamp_wins() {
    type Ts = LamportTimestamp<u64>;
    let mut alice_clock = LamportClock::new(1u64);
    let mut bob_clock = LamportClock::new(2u64);
    let mut alice: LwwMap<&str, &str, Ts> = LwwMap::new();
    let mut bob = alice.clone();
    let shared = alice.insert("k", "v0", alice_clock.tick().unwrap());
    bob.merge(&shared);
    bob_clock.observe(bob.max_stamp().unwrap()).unwrap();

    // Concurrent, both at Lamport time 3 (Alice wrote another key meanwhile): Bob's actor
    // is greater, so his delete wins.
    let other = alice.insert("other", "x", alice_clock.tick().unwrap());
    let put = alice.insert("k", "v1", alice_clock.tick().unwrap());
    let delete = bob.remove("k", bob_clock.tick().unwrap());
    assert_eq!(put.stamp("k").unwrap().time, 3);
    assert_eq!(delete.stamp("k").unwrap().time, 3);
    alice.merge(&delete);
    bob.merge(&put);
    bob.merge(&other);
    assert_eq!(alice, bob);
    assert_eq!(alice.get("k"), None);

    // Alice, having seen the delete, writes again: later than it, so the key returns.
    alice_clock.observe(alice.max_stamp().unwrap()).unwrap();
    let again = alice.insert("k", "v2", alice_clock.tick().unwrap());
    bob.merge(&again);
    assert_eq!(bob.get("k"), Some(&"v2"));
    assert_eq!(alice, bob);
}

#[test]
fn concurrent_puts_of_different_keys_are_both_kept() {
    let (mut a, mut b) = (Map::new(), Map::new());
    a.insert(1, 10, 1);
    b.insert(2, 20, 1);
    let (ab, ba) = (joined(&a, &b), joined(&b, &a));
    assert_eq!(ab, ba);
    assert_eq!(items(&ab), [(1, 10), (2, 20)]);
}

// ------------------------------------------------------------------------------ tie-break

#[test]
fn equal_stamps_a_delete_beats_a_value_in_either_order() {
    let (mut put, mut delete) = (Map::new(), Map::new());
    put.insert(1, 10, 7);
    delete.remove(1, 7);
    let (pd, dp) = (joined(&put, &delete), joined(&delete, &put));
    assert_eq!(pd, dp);
    assert_eq!(pd.get(&1), None);
    assert_eq!(pd.tombstones(), 1);
    assert!(put < pd && delete == pd);
}

#[test]
fn equal_stamps_the_greater_value_wins_in_either_order() {
    let (mut small, mut large) = (Map::new(), Map::new());
    small.insert(1, 10, 7);
    large.insert(1, 20, 7);
    let (sl, ls) = (joined(&small, &large), joined(&large, &small));
    assert_eq!(sl, ls);
    assert_eq!(sl.get(&1), Some(&20));
    assert!(small < large);
    // Through the in-place path and the rebuilding path alike.
    let mut wider = small.clone();
    wider.insert(0, 0, 1);
    let mut incoming = large.clone();
    incoming.insert(2, 2, 1);
    assert_eq!(joined(&wider, &incoming), joined(&incoming, &wider));
    assert_eq!(joined(&wider, &incoming).get(&1), Some(&20));
}

#[test]
fn equal_stamps_inside_one_batch_follow_the_same_rule() {
    let map: Map = [(1, 10, 7), (1, 30, 7), (1, 20, 7)].into_iter().collect();
    assert_eq!(map.get(&1), Some(&30));
    let map: Map = [(1, 30, 7), (1, 10, 8)].into_iter().collect();
    assert_eq!(map.get(&1), Some(&10));
}

// ----------------------------------------------------------------------------- compaction

#[test]
fn compact_frees_only_tombstones_at_or_below_the_stable_stamp() {
    let mut map = Map::new();
    map.insert(1, 10, 1);
    map.remove(2, 2);
    map.remove(3, 3);
    map.remove(4, 4);
    map.insert(5, 50, 5);
    let before = items(&map);
    assert_eq!(map.compact(&3), 2);
    assert_eq!(items(&map), before);
    assert_eq!((map.len(), map.tombstones()), (2, 1));
    assert_eq!(map.stamp(&2), None);
    assert_eq!(map.stamp(&3), None);
    assert_eq!(map.stamp(&4), Some(&4));
    // A live entry is never dropped, however old.
    assert_eq!(map.compact(&100), 1);
    assert_eq!(items(&map), [(1, 10), (5, 50)]);
    assert_eq!(map.compact(&100), 0);
}

#[test]
fn compacting_under_the_precondition_changes_no_outcome() {
    // Every replica has seen the delete at 5 and every later stamp is greater: stable = 5.
    let mut map = Map::new();
    map.insert(1, 10, 1);
    map.remove(1, 5);
    let mut kept = map.clone();
    map.compact(&5);
    // Later operations carry greater stamps; both replicas agree on every read.
    for delta in [Map::new().insert(1, 11, 6), Map::new().remove(1, 7)] {
        map.merge(&delta);
        kept.merge(&delta);
        assert_eq!(items(&map), items(&kept));
    }
}

#[test]
fn compacting_before_an_older_put_arrives_brings_the_key_back() {
    // The documented failure: the put at 3 was still in flight, so 5 was not stable.
    let mut map = Map::new();
    map.remove(1, 5);
    let late = Map::new().insert(1, 10, 3);
    let mut honest = map.clone();
    honest.merge(&late);
    assert_eq!(honest.get(&1), None);
    map.compact(&5);
    map.merge(&late);
    assert_eq!(map.get(&1), Some(&10));
}

#[test]
fn merging_a_freed_tombstone_brings_it_back_harmlessly() {
    let mut map = Map::new();
    map.remove(1, 2);
    let old = map.clone();
    map.compact(&2);
    assert!(map < old);
    map.merge(&old);
    assert_eq!(map, old);
    assert!(map.is_empty());
}

// ------------------------------------------------------------------------------ iteration

#[test]
fn iteration_yields_live_entries_in_key_order() {
    let mut map = Map::new();
    for k in [5u16, 1, 9, 3, 7] {
        map.insert(k, u32::from(k) * 10, u64::from(k));
    }
    map.remove(3, 100);
    map.remove(8, 100);
    assert_eq!(items(&map), [(1, 10), (5, 50), (7, 70), (9, 90)]);
    let rev: Vec<u16> = map.iter().rev().map(|(&k, _)| k).collect();
    assert_eq!(rev, [9, 7, 5, 1]);
    let mut it = map.iter();
    assert_eq!(it.len(), 4);
    it.next();
    it.next_back();
    assert_eq!(it.len(), 2);
    assert_eq!(it.clone().count(), 2);
    let mut seen = Vec::new();
    for (k, v) in &map {
        seen.push((*k, *v));
    }
    assert_eq!(seen, items(&map));
    let mut it = map.iter();
    it.by_ref().for_each(drop);
    assert_eq!(it.next(), None);
}

#[test]
fn lookups_borrow_the_key() {
    let mut map: LwwMap<String, Vec<u8>, u64> = LwwMap::new();
    map.insert("apples".to_owned(), vec![1], 1);
    assert_eq!(map.get("apples"), Some(&vec![1]));
    assert!(map.contains_key("apples"));
    assert_eq!(map.stamp("apples"), Some(&1));
    assert_eq!(map.get("pears"), None);
}

#[test]
fn extend_and_collect_keep_the_winning_write_per_key() {
    let mut map: Map = [(3, 30, 3), (1, 10, 1), (3, 31, 2)].into_iter().collect();
    assert_eq!(items(&map), [(1, 10), (3, 30)]);
    map.remove(2, 5);
    map.extend([(2, 20, 4), (4, 40, 4), (1, 11, 9)]);
    assert_eq!(items(&map), [(1, 11), (3, 30), (4, 40)]);
    assert_eq!(map.tombstones(), 1);
}

#[test]
fn max_stamp_covers_puts_and_deletes() {
    let mut map = Map::new();
    assert_eq!(map.max_stamp(), None);
    map.insert(2, 1, 4);
    map.remove(9, 8);
    map.insert(5, 1, 6);
    assert_eq!(map.max_stamp(), Some(&8));
}

#[test]
fn debug_shows_values_and_tombstones() {
    let mut map = Map::new();
    map.insert(1, 10, 2);
    map.remove(2, 3);
    assert_eq!(
        format!("{map:?}"),
        "LwwMap { len: 1, entries: {1: (2, Some(10)), 2: (3, None)} }"
    );
}

// -------------------------------------------------------------------------- lattice order

#[test]
fn the_order_is_per_key_and_merge_is_its_least_upper_bound() {
    let (mut a, mut b) = (Map::new(), Map::new());
    a.insert(1, 10, 1);
    b.insert(2, 20, 1);
    assert_eq!(a.partial_cmp(&b), None);
    let j = joined(&a, &b);
    assert!(a <= j && b <= j);
    let mut newer = a.clone();
    newer.insert(1, 11, 2);
    assert!(a < newer);
    assert_eq!(newer.partial_cmp(&j), None);
    assert_eq!(
        Map::new().partial_cmp(&Map::new()),
        Some(std::cmp::Ordering::Equal)
    );
    assert!(Map::new() < a);
}

// --------------------------------------------------------------------------------- novelty

#[test]
fn novel_keeps_exactly_what_would_change_the_map() {
    let mut rng = StdRng::seed_from_u64(0x4E0_7E1);
    for case in 0..500 {
        let x = random_map(&mut rng, 12);
        let d = random_map(&mut rng, 6);
        let ctx = format!("case {case}: x = {x:?}, d = {d:?}");
        match x.novel(&d) {
            None => assert_eq!(joined(&x, &d), x, "{ctx}"),
            Some(n) => {
                assert_eq!(joined(&x, &n), joined(&x, &d), "{ctx}");
                assert!(n <= d, "{ctx}: novel is part of the delta");
                assert_ne!(joined(&x, &n), x, "{ctx}: novel is not empty of news");
            }
        }
    }
}

fn random_map(rng: &mut StdRng, keys: u16) -> Map {
    let mut map = Map::new();
    for _ in 0..rng.random_range(0..keys) {
        let (key, stamp) = (rng.random_range(0..keys), rng.random_range(0..6));
        if rng.random_bool(0.3) {
            map.remove(key, stamp);
        } else {
            map.insert(key, rng.random_range(0..3), stamp);
        }
    }
    map
}

// ------------------------------------------------------------------- against a plain model

/// Per key, the winning write: the greatest `(stamp, is a delete, value)`. This is the
/// tie-break restated independently: a delete (`true`) beats a value, then the greater value.
type Plain = BTreeMap<u16, (u64, bool, Option<u32>)>;

fn plain_write(model: &mut Plain, key: u16, stamp: u64, value: Option<u32>) {
    let write = (stamp, value.is_none(), value);
    let slot = model.entry(key).or_insert(write);
    if write > *slot {
        *slot = write;
    }
}

fn plain_join(into: &mut Plain, from: &Plain) {
    for (&k, &(stamp, _, value)) in from {
        plain_write(into, k, stamp, value);
    }
}

/// Compares everything the map reports with the model.
fn agree(map: &Map, model: &Plain, ctx: &str) {
    let want: Vec<(u16, u32)> = model
        .iter()
        .filter_map(|(&k, &(_, _, v))| Some((k, v?)))
        .collect();
    assert_eq!(items(map), want, "{ctx}: entries");
    assert_eq!(map.len(), want.len(), "{ctx}: len");
    assert_eq!(map.is_empty(), want.is_empty(), "{ctx}: is_empty");
    assert_eq!(
        map.tombstones(),
        model.len() - want.len(),
        "{ctx}: tombstones"
    );
    assert!(
        map.iter()
            .rev()
            .map(|(&k, &v)| (k, v))
            .eq(want.iter().rev().copied()),
        "{ctx}: reverse iteration"
    );
    for k in 0..KEYS + 2 {
        let m = model.get(&k);
        assert_eq!(map.stamp(&k), m.map(|(s, _, _)| s), "{ctx}: stamp of {k}");
        assert_eq!(
            map.get(&k),
            m.and_then(|(_, _, v)| v.as_ref()),
            "{ctx}: get {k}"
        );
        assert_eq!(
            map.contains_key(&k),
            m.is_some_and(|(_, _, v)| v.is_some()),
            "{ctx}: contains_key {k}"
        );
    }
    assert_eq!(
        map.max_stamp(),
        model.values().map(|(s, _, _)| s).max(),
        "{ctx}: max_stamp"
    );
}

const KEYS: u16 = 24;

#[test]
fn the_map_follows_the_plain_model_over_random_histories() {
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let replicas = rng.random_range(2..=4);
        let mut maps = vec![Map::new(); replicas];
        let mut models = vec![Plain::new(); replicas];
        let mut deltas: Vec<(Map, Plain)> = Vec::new();
        for step in 0..rng.random_range(1..120) {
            let at = rng.random_range(0..replicas);
            // Stamps from a small range, so equal stamps (and the tie-break) come up often.
            let stamp = rng.random_range(0..40);
            let key = rng.random_range(0..KEYS);
            let what = match rng.random_range(0..10) {
                0..=3 => {
                    let value = rng.random_range(0..4);
                    let delta = maps[at].insert(key, value, stamp);
                    let mut d = Plain::new();
                    plain_write(&mut d, key, stamp, Some(value));
                    plain_join(&mut models[at], &d);
                    deltas.push((delta, d));
                    "insert"
                }
                4 | 5 => {
                    let delta = maps[at].remove(key, stamp);
                    let mut d = Plain::new();
                    plain_write(&mut d, key, stamp, None);
                    plain_join(&mut models[at], &d);
                    deltas.push((delta, d));
                    "remove"
                }
                6 => {
                    let batch: Vec<(u16, u32, u64)> = (0..rng.random_range(0..8))
                        .map(|_| {
                            (
                                rng.random_range(0..KEYS),
                                rng.random_range(0..4),
                                rng.random_range(0..40),
                            )
                        })
                        .collect();
                    for &(k, v, s) in &batch {
                        plain_write(&mut models[at], k, s, Some(v));
                    }
                    maps[at].extend(batch);
                    "extend"
                }
                7 | 8 => {
                    let from = rng.random_range(0..replicas);
                    let (state, model) = (maps[from].clone(), models[from].clone());
                    maps[at].merge(&state);
                    plain_join(&mut models[at], &model);
                    "merge"
                }
                _ => {
                    if deltas.is_empty() {
                        continue;
                    }
                    let (delta, model) = deltas[rng.random_range(0..deltas.len())].clone();
                    maps[at].merge(&delta);
                    plain_join(&mut models[at], &model);
                    "delta"
                }
            };
            let ctx = format!("seed {seed}, step {step} ({what} at {at})");
            agree(&maps[at], &models[at], &ctx);
        }
        // Everyone merges everyone, in two orders: all equal, and equal to the joined model.
        let mut all = Plain::new();
        for model in &models {
            plain_join(&mut all, model);
        }
        let mut forward = Map::new();
        for map in &maps {
            forward.merge(map);
        }
        let mut backward = Map::new();
        for map in maps.iter().rev() {
            backward.merge(map);
        }
        assert_eq!(forward, backward, "seed {seed}: merge order");
        agree(&forward, &all, &format!("seed {seed}: converged"));
    }
}

#[test]
fn replicas_that_compact_at_stable_points_still_read_the_oracle() {
    type Ts = LamportTimestamp<u64>;
    for seed in 0..100u64 {
        let mut rng = StdRng::seed_from_u64(0xC0_4AC7 ^ seed);
        let n = 3;
        let mut clocks: Vec<LamportClock<u64>> = (0..n).map(LamportClock::new).collect();
        let mut maps: Vec<LwwMap<u8, u8, Ts>> = vec![LwwMap::new(); n as usize];
        // The sequential specification: per key, the operation with the greatest stamp.
        let mut oracle: BTreeMap<u8, (Ts, Option<u8>)> = BTreeMap::new();
        let mut in_flight: Vec<(usize, LwwMap<u8, u8, Ts>)> = Vec::new();
        for round in 0..20 {
            for _ in 0..rng.random_range(0..12) {
                let at = rng.random_range(0..n as usize);
                let stamp = clocks[at].tick().unwrap();
                let key = rng.random_range(0..6);
                let value = rng.random_bool(0.6).then(|| rng.random_range(0..5));
                let latest = oracle.entry(key).or_insert((stamp, value));
                if stamp > latest.0 {
                    *latest = (stamp, value);
                }
                let delta = match value {
                    Some(v) => maps[at].insert(key, v, stamp),
                    None => maps[at].remove(key, stamp),
                };
                in_flight.push((rng.random_range(0..n as usize), delta));
            }
            // Deliver some deltas, in random order; the rest stay in flight.
            for _ in 0..rng.random_range(0..=in_flight.len()) {
                let (to, delta) = in_flight.swap_remove(rng.random_range(0..in_flight.len()));
                maps[to].merge(&delta);
                clocks[to].observe(delta.max_stamp().unwrap()).unwrap();
            }
            if round % 4 == 3 {
                // Full exchange: nothing is in flight any more, every replica holds every
                // operation and its clock is past them all, so the greatest stamp is stable.
                in_flight.clear();
                let mut all = LwwMap::new();
                for map in &maps {
                    all.merge(map);
                }
                let stable = *all.max_stamp().unwrap_or(&LamportTimestamp::new(0, 0));
                for (i, map) in maps.iter_mut().enumerate() {
                    map.merge(&all);
                    clocks[i].observe(&stable).unwrap();
                    // Some replicas compact, others keep their tombstones.
                    if rng.random_bool(0.5) {
                        map.compact(&stable);
                        assert_eq!(map.tombstones(), 0, "seed {seed}: all were stable");
                    }
                }
            }
        }
        for (_, delta) in in_flight.drain(..) {
            for map in &mut maps {
                map.merge(&delta);
            }
        }
        let mut all = LwwMap::new();
        for map in &maps {
            all.merge(map);
        }
        let expected: Vec<(u8, u8)> = oracle
            .iter()
            .filter_map(|(&k, &(_, v))| Some((k, v?)))
            .collect();
        for (i, map) in maps.iter_mut().enumerate() {
            map.merge(&all);
            let got: Vec<(u8, u8)> = map.iter().map(|(&k, &v)| (k, v)).collect();
            assert_eq!(got, expected, "seed {seed}: replica {i} reads the oracle");
        }
    }
}
