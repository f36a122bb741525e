//! `OrMap`: the observed-remove rules on hand-made histories (flat maps of registers and sets,
//! nested maps), what `apply` puts in its delta, reading, the metadata bound over random
//! histories, and the refusals of its decoder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_clock::{Causal, DotContext};
use concord_map::concord_core::{Dot, Overflow};
use concord_map::{Merge, OrMap};
use concord_register::MvRegister;
use concord_set::OrSet;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Reg = MvRegister<&'static str, u64>;
type Map = OrMap<u8, Reg, u64>;

/// Writes `value` at `key`, replacing the versions this replica has read.
fn set(map: &mut Map, actor: u64, key: u8, value: &'static str) -> Map {
    map.apply(actor, key, |reg, actor| {
        let (_, seen) = reg.read();
        reg.write(actor, value, &seen)
    })
    .unwrap()
}

/// The versions at `key`, in dot order (empty when absent).
fn versions(map: &Map, key: u8) -> Vec<&'static str> {
    map.get(&key).map(Reg::into_values).unwrap_or_default()
}

/// The state is one a decoder would accept: every dot covered, none held twice.
fn assert_valid(map: &Map) {
    let (store, context) = map.as_causal().clone().into_parts();
    Causal::from_parts(store, context).expect("a valid state");
}

// --------------------------------------------------------------------- observed remove

#[test]
fn an_update_concurrent_with_a_remove_survives_alone() {
    let (mut a, mut b) = (Map::new(), Map::new());
    b.merge(&set(&mut a, 1, 7, "old"));
    let removed = b.remove(&7);
    let updated = set(&mut a, 1, 7, "new");
    a.merge(&removed);
    b.merge(&updated);
    assert_eq!(a, b);
    assert_eq!(
        versions(&a, 7),
        ["new"],
        "the update survives, the seen value does not"
    );
}

#[test]
fn a_remove_removes_exactly_what_it_saw() {
    let (mut a, mut b, mut c) = (Map::new(), Map::new(), Map::new());
    let first = set(&mut a, 1, 7, "a");
    b.merge(&first);
    // c writes the same key concurrently; b has not seen that write when it removes.
    let concurrent = set(&mut c, 3, 7, "c");
    let removed = b.remove(&7);
    assert_eq!(removed.context(), &DotContext::from_iter([Dot::new(1, 1)]));
    assert!(removed.is_empty());
    for replica in [&mut a, &mut b, &mut c] {
        replica.merge(&first);
        replica.merge(&concurrent);
        replica.merge(&removed);
    }
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(versions(&a, 7), ["c"]);
    // A remove that saw every write removes the key everywhere, for good.
    let all = a.remove(&7);
    b.merge(&all);
    c.merge(&all);
    c.merge(&concurrent);
    assert!(!b.contains_key(&7) && !c.contains_key(&7));
    assert!(b.is_empty() && c.is_empty());
}

#[test]
fn removing_an_absent_key_is_bottom_and_rewriting_works() {
    let mut map = Map::new();
    let delta = map.remove(&1);
    assert!(delta.as_causal().is_bottom());
    set(&mut map, 1, 1, "x");
    map.remove(&1);
    assert!(map.is_empty() && map.get(&1).is_none());
    set(&mut map, 1, 1, "again");
    assert_eq!(versions(&map, 1), ["again"]);
    assert_eq!(map.len(), 1);
}

#[test]
fn clear_removes_everything_observed_only() {
    let (mut a, mut b) = (Map::new(), Map::new());
    b.merge(&set(&mut a, 1, 1, "x"));
    b.merge(&set(&mut a, 1, 2, "y"));
    let cleared = b.clear();
    let concurrent = set(&mut a, 1, 3, "z");
    b.merge(&concurrent);
    a.merge(&cleared);
    assert_eq!(a, b);
    assert_eq!(a.keys().copied().collect::<Vec<_>>(), [3]);
}

// ------------------------------------------------------------------- registers as values

#[test]
fn concurrent_writes_are_siblings_until_a_write_that_saw_them() {
    let (mut a, mut b) = (Map::new(), Map::new());
    let base = set(&mut a, 1, 0, "draft");
    b.merge(&base);
    let from_a = set(&mut a, 1, 0, "red");
    let from_b = set(&mut b, 2, 0, "blue");
    a.merge(&from_b);
    b.merge(&from_a);
    assert_eq!(a, b);
    let reg = a.get(&0).unwrap();
    assert_eq!(reg.len(), 2);
    assert_eq!(versions(&a, 0), ["red", "blue"]);
    let resolved = set(&mut b, 2, 0, "purple");
    a.merge(&resolved);
    assert_eq!(versions(&a, 0), ["purple"]);
    assert_eq!(a, b);
    // A late copy of a replaced sibling does not bring it back.
    a.merge(&from_a);
    b.merge(&from_b);
    assert_eq!(versions(&a, 0), ["purple"]);
    assert_eq!(a, b);
}

#[test]
fn a_write_removes_nothing_under_other_keys() {
    // The register's read context is the map's whole context; the delta must not carry it.
    let mut a = Map::new();
    let one = set(&mut a, 1, 1, "one");
    let two = set(&mut a, 1, 2, "two");
    assert_eq!(two.context(), &DotContext::from_iter([Dot::new(1, 2)]));
    let mut b = Map::new();
    b.merge(&one);
    b.merge(&two);
    assert_eq!(versions(&b, 1), ["one"]);
    // Rewriting key 2 carries key 2's old dot and the new one only.
    let again = set(&mut a, 1, 2, "2");
    assert_eq!(
        again.context(),
        &DotContext::from_iter([Dot::new(1, 2), Dot::new(1, 3)])
    );
    let mut c = Map::new();
    c.merge(&one);
    c.merge(&again);
    assert_eq!(versions(&c, 1), ["one"]);
    assert_eq!(versions(&c, 2), ["2"]);
}

#[test]
fn a_failed_update_changes_nothing() {
    let mut map = Map::new();
    set(&mut map, 1, 1, "x");
    let before = map.clone();
    let err = map
        .apply(1, 2, |reg, actor| {
            reg.write(actor, "scratch", &DotContext::new())?;
            Err(Overflow::new(u64::MAX, 1))
        })
        .unwrap_err();
    assert_eq!(err, Overflow::new(u64::MAX, 1));
    assert_eq!(map, before);
}

#[test]
fn several_mutations_in_one_update_ship_every_dot_they_minted() {
    let mut a = Map::new();
    let delta = a
        .apply(1, 5, |reg, actor| {
            let first = reg.write(actor, "first", &DotContext::new())?;
            let (_, seen) = reg.read();
            let second = reg.write(actor, "second", &seen)?;
            Ok(first.joined(&second))
        })
        .unwrap();
    assert_eq!(versions(&a, 5), ["second"]);
    assert!(a.context().cloud().is_empty(), "no gap: {a:?}");
    assert_eq!(
        a.context(),
        &DotContext::from_iter([Dot::new(1, 1), Dot::new(1, 2)])
    );
    let mut b = Map::new();
    b.merge(&delta);
    assert_eq!(a, b);
}

#[test]
fn an_update_that_returns_a_foreign_value_cannot_duplicate_a_dot() {
    let mut a = Map::new();
    set(&mut a, 1, 1, "one");
    let foreign = a.get(&1).unwrap();
    let delta = a.apply(1, 2, move |_, _| Ok(foreign)).unwrap();
    assert!(delta.is_empty(), "key 1's dot is not new to the map");
    assert_valid(&a);
    assert_eq!(versions(&a, 1), ["one"]);
    assert!(!a.contains_key(&2));
}

// --------------------------------------------------------------------------- other values

#[test]
fn a_map_of_sets_keeps_exactly_the_concurrent_add_of_a_removed_key() {
    type Tags = OrMap<u8, OrSet<u8, u64>, u64>;
    let (mut a, mut b) = (Tags::new(), Tags::new());
    b.merge(&a.apply(1, 0, |s, at| s.insert(at, 10)).unwrap());
    b.merge(&a.apply(1, 0, |s, at| s.insert(at, 11)).unwrap());
    let removed = b.remove(&0);
    let added = a.apply(1, 0, |s, at| s.insert(at, 12)).unwrap();
    let readded = a.apply(1, 0, |s, at| s.insert(at, 10)).unwrap();
    a.merge(&removed);
    for d in [&readded, &added] {
        b.merge(d);
    }
    assert_eq!(a, b);
    let tags = a.get(&0).unwrap();
    assert_eq!(tags.iter().copied().collect::<Vec<_>>(), [10, 12]);
    // An inner remove is an update of the outer key.
    let untag = b.apply(2, 0, |s, _| Ok(s.remove(&12))).unwrap();
    a.merge(&untag);
    assert_eq!(a.get(&0).unwrap().iter().copied().collect::<Vec<_>>(), [10]);
    assert_eq!(a, b);
}

#[test]
fn a_map_of_maps_keeps_exactly_the_inner_update_concurrent_with_an_outer_remove() {
    type Inner = OrMap<u8, MvRegister<u8, u64>, u64>;
    type Outer = OrMap<u8, Inner, u64>;
    fn put(map: &mut Outer, actor: u64, outer: u8, inner: u8, value: u8) -> Outer {
        map.apply(actor, outer, |m, actor| {
            m.apply(actor, inner, |reg, actor| {
                let (_, seen) = reg.read();
                reg.write(actor, value, &seen)
            })
        })
        .unwrap()
    }
    let (mut a, mut b) = (Outer::new(), Outer::new());
    b.merge(&put(&mut a, 1, 0, 1, 10));
    b.merge(&put(&mut a, 1, 0, 2, 20));
    b.merge(&put(&mut a, 1, 9, 1, 90));
    let removed = b.remove(&0);
    assert_eq!(
        removed.context(),
        &DotContext::from_iter([Dot::new(1, 1), Dot::new(1, 2)]),
        "every dot under the key, nested ones included"
    );
    let updated = put(&mut a, 1, 0, 2, 21);
    a.merge(&removed);
    b.merge(&updated);
    assert_eq!(a, b);
    let inner = a.get(&0).unwrap();
    assert_eq!(inner.keys().copied().collect::<Vec<_>>(), [2]);
    assert_eq!(inner.get(&2).unwrap().into_values(), [21]);
    assert_eq!(a.get(&9).unwrap().get(&1).unwrap().into_values(), [90]);
    assert_eq!(a.len(), 2);
}

// ---------------------------------------------------------------- reading and the order

#[test]
fn reads_are_detached_values_with_only_their_own_dots() {
    let mut map = Map::new();
    set(&mut map, 1, 3, "c");
    set(&mut map, 2, 1, "a");
    set(&mut map, 1, 2, "b");
    let reg = map.get(&2).unwrap();
    assert_eq!(reg.context(), &DotContext::from_iter([Dot::new(1, 2)]));
    assert_eq!(map.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    let pairs: Vec<(u8, Vec<&str>)> = map.iter().map(|(&k, r)| (k, r.into_values())).collect();
    assert_eq!(pairs, [(1, vec!["a"]), (2, vec!["b"]), (3, vec!["c"])]);
    assert_eq!((&map).into_iter().len(), 3);
    assert_eq!(map.iter().next_back().map(|(k, _)| *k), Some(3));
    assert_eq!(map.keys().rev().copied().collect::<Vec<_>>(), [3, 2, 1]);
    assert!(map.contains_key(&1) && !map.contains_key(&4));
    assert!(map.get(&4).is_none());
}

#[test]
fn deltas_in_any_order_and_repeated_converge_and_sit_below_the_state() {
    let mut origin = Map::new();
    let d1 = set(&mut origin, 1, 1, "a");
    let d2 = set(&mut origin, 1, 2, "b");
    let d3 = origin.remove(&1);
    let d4 = set(&mut origin, 2, 3, "c");
    let d5 = set(&mut origin, 2, 2, "bb");
    let mut other = Map::new();
    for d in [&d5, &d4, &d3, &d3, &d1, &d2, &d1] {
        other.merge(d);
    }
    assert_eq!(other, origin);
    assert_eq!(other.keys().copied().collect::<Vec<_>>(), [2, 3]);
    for d in [&d1, &d2, &d3, &d4, &d5] {
        assert!(*d <= origin);
    }
    assert!(
        d1.partial_cmp(&d4).is_none(),
        "concurrent deltas are incomparable"
    );
}

// ------------------------------------------------------------------------------ metadata

/// Replicas doing random writes and removes, exchanging random deltas, then exchanging
/// everything: the converged metadata is the dots of present keys (at most one per actor per
/// key) plus one vector entry per actor, and no trace of removed keys; so is the encoding.
/// Replicas running `op` (which returns the delta of one mutator), shipping deltas in any
/// order and merging whole states; after every mutator the replica must be what merging its
/// delta into the replica before it gives (`apply` and `remove` join into one key's entry, the
/// merge walks every key).
fn mutators_give_the_join<T: Merge + Clone + Default + PartialEq + core::fmt::Debug>(
    seed: u64,
    mut op: impl FnMut(&mut T, u64, &mut StdRng) -> T,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..200 {
        let n = rng.random_range(2..5usize);
        let mut replicas = vec![T::default(); n];
        let mut deltas = Vec::new();
        for _ in 0..rng.random_range(1..120) {
            let at = rng.random_range(0..n);
            let before = replicas[at].clone();
            let delta = op(&mut replicas[at], at as u64 + 1, &mut rng);
            assert_eq!(replicas[at], before.joined(&delta), "round {round}");
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
fn mutators_of_a_map_of_registers_give_the_join_of_their_delta() {
    mutators_give_the_join(
        0x0a11_0001,
        |map: &mut OrMap<u8, MvRegister<u8, u64>, u64>, actor, rng| {
            let key = rng.random_range(0..10u8);
            match rng.random_range(0..10) {
                0..=5 => {
                    let value = rng.random_range(0..4u8);
                    // Half the writes replace what was read, half replace nothing.
                    let replace = rng.random_bool(0.5);
                    map.apply(actor, key, |reg, actor| {
                        let seen = if replace {
                            reg.read().1
                        } else {
                            DotContext::new()
                        };
                        reg.write(actor, value, &seen)
                    })
                    .unwrap()
                }
                6..=8 => map.remove(&key),
                _ => map.clear(),
            }
        },
    );
}

#[test]
fn mutators_of_a_map_of_sets_give_the_join_of_their_delta() {
    mutators_give_the_join(
        0x0a11_0002,
        |map: &mut OrMap<u8, OrSet<u8, u64>, u64>, actor, rng| {
            let key = rng.random_range(0..8u8);
            let elem = rng.random_range(0..6u8);
            match rng.random_range(0..10) {
                0..=4 => map.apply(actor, key, |s, at| s.insert(at, elem)).unwrap(),
                5..=6 => map.apply(actor, key, |s, _| Ok(s.remove(&elem))).unwrap(),
                7..=8 => map.remove(&key),
                _ => map.apply(actor, key, |s, _| Ok(s.clear())).unwrap(),
            }
        },
    );
}

#[test]
fn mutators_of_a_map_of_maps_give_the_join_of_their_delta() {
    type Inner = OrMap<u8, MvRegister<u8, u64>, u64>;
    mutators_give_the_join(
        0x0a11_0003,
        |map: &mut OrMap<u8, Inner, u64>, actor, rng| {
            let key = rng.random_range(0..5u8);
            let inner_key = rng.random_range(0..5u8);
            let value = rng.random_range(0..4u8);
            match rng.random_range(0..10) {
                0..=5 => map
                    .apply(actor, key, |inner: &mut Inner, at| {
                        inner.apply(at, inner_key, |reg, at| {
                            let (_, seen) = reg.read();
                            reg.write(at, value, &seen)
                        })
                    })
                    .unwrap(),
                6..=7 => map
                    .apply(actor, key, |inner: &mut Inner, _| {
                        Ok(inner.remove(&inner_key))
                    })
                    .unwrap(),
                _ => map.remove(&key),
            }
        },
    );
}

#[test]
fn metadata_after_any_history_is_keys_present_plus_actors() {
    let mut rng = StdRng::seed_from_u64(0x0a11_a9e5);
    for round in 0..200 {
        let n = rng.random_range(2..6usize);
        let mut replicas: Vec<OrMap<u8, MvRegister<u8, u64>, u64>> = vec![OrMap::new(); n];
        let mut deltas = Vec::new();
        for _ in 0..rng.random_range(1..300) {
            let at = rng.random_range(0..n);
            let key = rng.random_range(0..20u8);
            let delta = if rng.random_bool(0.6) {
                let value = rng.random_range(0..4u8);
                replicas[at]
                    .apply(at as u64, key, |reg, actor| {
                        let (_, seen) = reg.read();
                        reg.write(actor, value, &seen)
                    })
                    .unwrap()
            } else {
                replicas[at].remove(&key)
            };
            deltas.push(delta);
            if rng.random_bool(0.3) {
                let d = &deltas[rng.random_range(0..deltas.len())];
                replicas[rng.random_range(0..n)].merge(d);
            }
        }
        let mut all = OrMap::new();
        for r in &replicas {
            all.merge(r);
        }
        let present = all.len();
        let stored: usize = all.iter().map(|(_, reg)| reg.len()).sum();
        assert!(
            stored <= present * n,
            "round {round}: {stored} dots for {present} keys"
        );
        assert!(
            all.context().cloud().is_empty(),
            "round {round}: every dot arrived"
        );
        assert!(all.context().vector().len() <= n, "round {round}");
        assert!(
            all.metadata() <= present * n + n,
            "round {round}: metadata {} for {present} keys and {n} actors",
            all.metadata()
        );
        #[cfg(feature = "serde")]
        {
            // Varint bytes: a key and its entry count (2), a dot with its value (actor,
            // counter below 2^21, value: 5), a vector entry (actor, counter: 4), and the
            // envelope with the lengths (16). Nothing grows with the history.
            use concord_map::concord_core::codec;
            let bytes = codec::encode(&all).unwrap();
            let bound = 16 + 2 * present + 5 * stored + 4 * n;
            assert!(
                bytes.len() <= bound,
                "round {round}: {} bytes for {present} keys, {stored} dots, {n} actors",
                bytes.len()
            );
        }
    }
}

#[test]
fn a_key_written_and_removed_a_thousand_times_leaves_one_counter() {
    let (mut a, mut b) = (
        OrMap::<u32, MvRegister<u32, u64>, u64>::new(),
        OrMap::<u32, MvRegister<u32, u64>, u64>::new(),
    );
    for i in 0..1_000 {
        let d = a
            .apply(1, i % 7, |reg, actor| {
                let (_, seen) = reg.read();
                reg.write(actor, i, &seen)
            })
            .unwrap();
        b.merge(&d);
        a.merge(&b.remove(&(i % 7)));
    }
    a.merge(&b);
    assert!(a.is_empty());
    assert_eq!(a.metadata(), 1, "one vector entry, no tombstone: {a:?}");
    assert_eq!(
        a.context(),
        &DotContext::from_iter((1..=1_000).map(|c| Dot::new(1, c)))
    );
}

// -------------------------------------------------------------------------------- decode

#[cfg(feature = "serde")]
mod decode {
    use concord_map::OrMap;
    use concord_map::concord_clock::DotContext;
    use concord_map::concord_core::Dot;
    use concord_map::concord_core::codec::{self, DecodeError, WireType, tag};
    use concord_register::MvRegister;
    use concord_set::OrSet;
    use serde::Serialize;

    type Map = OrMap<u8, MvRegister<u8, u64>, u64>;

    /// The map's wire shape without its checks: keys with their registers' `(dot, value)`
    /// entries, then the context.
    #[derive(Serialize)]
    struct LookAlike<E> {
        entries: Vec<(u8, E)>,
        context: DotContext<u64>,
    }

    impl<E: Serialize> WireType for LookAlike<E> {
        const TAG: u16 = tag::OR_MAP;
        const VERSION: u16 = 2;
        const NAME: &'static str = "LookAlike";
    }

    impl<'de, E> serde::Deserialize<'de> for LookAlike<E> {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom("only encoded"))
        }
    }

    fn ctx(dots: &[(u64, u64)]) -> DotContext<u64> {
        dots.iter().map(|&(a, c)| Dot::new(a, c)).collect()
    }

    /// Decodes the look-alike as `T`; the reason of the refusal, or "accepted".
    fn decode<T: WireType + std::fmt::Debug, E: Serialize>(
        entries: Vec<(u8, E)>,
        context: DotContext<u64>,
    ) -> String {
        let bytes = codec::encode(&LookAlike { entries, context }).unwrap();
        match codec::decode::<T>(&bytes) {
            Ok(map) => format!("accepted {map:?}"),
            Err(DecodeError::Invalid { type_name, reason }) => {
                assert_eq!(type_name, "OrMap");
                reason
            }
            Err(other) => format!("{other}"),
        }
    }

    type Registers = Vec<(Dot<u64>, u8)>;

    #[test]
    fn the_look_alike_decodes_when_valid() {
        let d = Dot::new;
        let entries: Vec<(u8, Registers)> = vec![
            (1, vec![(d(1, 1), 5)]),
            (4, vec![(d(1, 2), 6), (d(2, 1), 7)]),
        ];
        let reason = decode::<Map, _>(entries, ctx(&[(1, 1), (1, 2), (2, 1), (3, 1)]));
        assert!(reason.starts_with("accepted"), "{reason}");
    }

    #[test]
    fn invalid_states_are_refused_with_a_reason() {
        let d = Dot::new;
        let full = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let cases: Vec<(Vec<(u8, Registers)>, &str)> = vec![
            (
                vec![(1, vec![(d(1, 4), 0)])],
                "a dot of the store is missing from the causal context",
            ),
            (
                vec![(4, vec![(d(1, 1), 0)]), (1, vec![(d(1, 2), 0)])],
                "entries are not in strictly increasing order",
            ),
            (
                vec![(1, vec![(d(1, 1), 0)]), (1, vec![(d(1, 2), 0)])],
                "an entry appears twice",
            ),
            (vec![(1, vec![])], "a key of a dot map holds no dot"),
            (
                vec![(1, vec![(d(1, 2), 0), (d(1, 1), 0)])],
                "entries are not in strictly increasing order",
            ),
            (
                vec![(1, vec![(d(1, 1), 0), (d(1, 1), 1)])],
                "an entry appears twice",
            ),
            (
                vec![(1, vec![(d(1, 1), 0)]), (2, vec![(d(1, 1), 0)])],
                "the same dot is held twice in one causal state",
            ),
        ];
        for (entries, expected) in cases {
            let shown = format!("{entries:?}");
            let reason = decode::<Map, _>(entries, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
    }

    #[test]
    fn nested_values_check_their_own_form() {
        type Tags = OrMap<u8, OrSet<u8, u64>, u64>;
        let d = Dot::new;
        let full = ctx(&[(1, 1), (1, 2)]);
        /// Post keys with their tags' `(tag, dots)` entries.
        type Posts = Vec<(u8, Vec<(u8, Vec<Dot<u64>>)>)>;
        let cases: Vec<(Posts, &str)> = vec![
            (
                vec![(1, vec![(7, vec![])])],
                "a key of a dot map holds no dot",
            ),
            (vec![(1, vec![])], "a key of a dot map holds no dot"),
            (
                vec![(1, vec![(7, vec![d(1, 1)]), (3, vec![d(1, 2)])])],
                "entries are not in strictly increasing order",
            ),
            (
                vec![(1, vec![(7, vec![d(1, 1)])]), (2, vec![(7, vec![d(1, 1)])])],
                "the same dot is held twice in one causal state",
            ),
        ];
        for (entries, expected) in cases {
            let shown = format!("{entries:?}");
            let reason = decode::<Tags, _>(entries, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
        let valid = vec![(1, vec![(3, vec![d(1, 2)]), (7, vec![d(1, 1)])])];
        let reason = decode::<Tags, _>(valid, full);
        assert!(reason.starts_with("accepted"), "{reason}");
    }

    #[test]
    fn truncated_and_random_bytes_never_panic() {
        let mut map = Map::new();
        for i in 0..60u8 {
            map.apply(u64::from(i % 3), i % 17, |reg, actor| {
                let (_, seen) = reg.read();
                reg.write(actor, i, &seen)
            })
            .unwrap();
            if i % 5 == 0 {
                map.remove(&(i % 17));
            }
        }
        let bytes = codec::encode(&map).unwrap();
        assert_eq!(codec::decode::<Map>(&bytes).unwrap(), map);
        for cut in 0..bytes.len() {
            assert!(codec::decode::<Map>(&bytes[..cut]).is_err());
        }
        let mut noise = bytes.clone();
        for i in 8..noise.len() {
            noise[i] ^= 0x5a;
            if let Ok(decoded) = codec::decode::<Map>(&noise) {
                // Whatever decodes is a valid state: it encodes back to the same bytes.
                assert_eq!(codec::encode(&decoded).unwrap(), noise);
            }
        }
    }
}

// ------------------------------------------------------------------------------- arbitrary

#[cfg(all(feature = "arbitrary", feature = "serde"))]
#[test]
fn arbitrary_maps_are_valid_states() {
    use arbitrary::{Arbitrary, Unstructured};
    use concord_map::concord_core::codec;
    let mut rng = StdRng::seed_from_u64(0xa4b1_7a41);
    for _ in 0..300 {
        let raw: Vec<u8> = (0..rng.random_range(0..600))
            .map(|_| rng.random())
            .collect();
        let mut u = Unstructured::new(&raw);
        let Ok(map) = OrMap::<u8, MvRegister<u8, u64>, u64>::arbitrary(&mut u) else {
            continue;
        };
        let bytes = codec::encode(&map).unwrap();
        assert_eq!(
            codec::decode::<OrMap<u8, MvRegister<u8, u64>, u64>>(&bytes).unwrap(),
            map
        );
        let Ok(nested) = OrMap::<u8, OrMap<u8, OrSet<u8, u64>, u64>, u64>::arbitrary(&mut u) else {
            continue;
        };
        let bytes = codec::encode(&nested).unwrap();
        assert_eq!(
            codec::decode::<OrMap<u8, OrMap<u8, OrSet<u8, u64>, u64>, u64>>(&bytes).unwrap(),
            nested
        );
    }
}

/// A map of counters (likes per post): removing a post resets the likes its remover saw; a
/// like concurrent with the remove survives, and other posts keep theirs.
#[test]
fn a_map_of_counters_resets_what_the_remover_saw() {
    use concord_map::CausalCounter;
    type Likes = OrMap<&'static str, CausalCounter<u64>, u64>;
    let like = |map: &mut Likes, actor: u64, post: &'static str| {
        map.apply(actor, post, |counter, actor| counter.increment(actor, 1))
            .unwrap()
    };
    let mut alice = Likes::new();
    like(&mut alice, 1, "hello");
    like(&mut alice, 1, "hello");
    like(&mut alice, 1, "news");
    let mut bob = alice.clone();
    // Bob removes "hello" while Carol, who had not seen it, likes it twice.
    bob.remove(&"hello");
    let mut carol = Likes::new();
    like(&mut carol, 3, "hello");
    like(&mut carol, 3, "hello");
    let mut all = alice.clone();
    for other in [&bob, &carol] {
        all.merge(other);
    }
    let mut reverse = carol.clone();
    for other in [&bob, &alice] {
        reverse.merge(other);
    }
    assert_eq!(all, reverse);
    assert_eq!(all.get(&"hello").map(|c| c.value()), Some(2));
    assert_eq!(all.get(&"news").map(|c| c.value()), Some(1));
}
