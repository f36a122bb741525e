//! `OrSet`: the observed-remove rules on hand-made histories, the metadata bound over random
//! histories, and the refusals of its decoder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_set::concord_clock::DotContext;
use concord_set::concord_core::Dot;
use concord_set::{Merge, OrSet};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Set = OrSet<&'static str, u64>;

#[test]
fn a_remove_removes_exactly_the_adds_it_observed() {
    let (mut a, mut b) = (Set::new(), Set::new());
    let first = a.insert(1, "x").unwrap();
    b.merge(&first);
    // b removes the add it saw; a adds again without having seen the remove.
    let removed = b.remove("x");
    let second = a.insert(1, "x").unwrap();
    assert_eq!(
        a.add_dots("x"),
        [Dot::new(1, 2)],
        "an add replaces the adds it saw"
    );
    a.merge(&removed);
    b.merge(&second);
    assert!(
        a.contains("x") && b.contains("x"),
        "the unobserved add survives"
    );
    assert_eq!(a, b);
    // A remove that observed both adds removes the element for good.
    let all = a.remove("x");
    b.merge(&all);
    assert!(!b.contains("x"));
    assert_eq!(b.iter().count(), 0);
}

#[test]
fn removing_an_unseen_element_changes_nothing_and_readding_works() {
    let mut s = Set::new();
    let delta = s.remove("never");
    assert!(delta.is_empty() && delta.context().is_empty());
    s.insert(1, "x").unwrap();
    s.remove("x");
    assert!(s.is_empty());
    s.insert(1, "x").unwrap();
    assert!(s.contains("x"));
    assert_eq!(s.len(), 1);
}

#[test]
fn deltas_in_any_order_and_repeated_converge() {
    let mut origin = Set::new();
    let d1 = origin.insert(1, "a").unwrap();
    let d2 = origin.insert(1, "b").unwrap();
    let d3 = origin.remove("a");
    let d4 = origin.insert(2, "c").unwrap();
    let mut other = Set::new();
    for d in [&d4, &d3, &d3, &d1, &d2, &d1] {
        other.merge(d);
    }
    assert_eq!(other, origin);
    assert_eq!(other.iter().copied().collect::<Vec<_>>(), ["b", "c"]);
    assert!(d3 <= origin && d1 <= origin);
}

#[test]
fn clear_removes_everything_observed_only() {
    let (mut a, mut b) = (Set::new(), Set::new());
    b.merge(&a.insert(1, "x").unwrap());
    b.merge(&a.insert(1, "y").unwrap());
    let cleared = b.clear();
    let concurrent = a.insert(1, "z").unwrap();
    b.merge(&concurrent);
    a.merge(&cleared);
    assert_eq!(a, b);
    assert_eq!((&a).into_iter().copied().collect::<Vec<_>>(), ["z"]);
}

/// Replicas doing random adds and removes, exchanging random deltas, then exchanging
/// everything: the converged metadata is the dots of present elements (at most one per actor
/// per element) plus one vector entry per actor that added, and no trace of removed elements.
#[test]
fn metadata_after_any_history_is_elements_present_plus_actors() {
    let mut rng = StdRng::seed_from_u64(0x05e7_a11d);
    for round in 0..200 {
        let n = rng.random_range(2..6usize);
        let mut replicas: Vec<OrSet<u8, u64>> = vec![OrSet::new(); n];
        let mut deltas = Vec::new();
        for _ in 0..rng.random_range(1..200) {
            let at = rng.random_range(0..n);
            let elem = rng.random_range(0..20u8);
            let delta = if rng.random_bool(0.6) {
                replicas[at].insert(at as u64, elem).unwrap()
            } else {
                replicas[at].remove(&elem)
            };
            deltas.push(delta);
            if rng.random_bool(0.3) {
                let d = &deltas[rng.random_range(0..deltas.len())];
                replicas[rng.random_range(0..n)].merge(d);
            }
        }
        let mut all = OrSet::new();
        for r in &replicas {
            all.merge(r);
        }
        let present = all.len();
        let stored: usize = all.iter().map(|e| all.add_dots(e).len()).sum();
        assert!(
            stored <= present * n,
            "round {round}: {stored} dots for {present} elements"
        );
        assert!(
            all.context().cloud().is_empty(),
            "round {round}: every dot arrived"
        );
        assert!(all.context().vector().len() <= n, "round {round}");
        assert!(
            all.metadata() <= present * n + n,
            "round {round}: metadata {} for {present} elements and {n} actors",
            all.metadata()
        );
    }
}

#[test]
fn an_element_added_and_removed_a_thousand_times_leaves_one_counter() {
    let (mut a, mut b) = (OrSet::<u32, u64>::new(), OrSet::<u32, u64>::new());
    for i in 0..1_000 {
        b.merge(&a.insert(1, i % 7).unwrap());
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

#[cfg(feature = "serde")]
mod decode {
    use concord_set::OrSet;
    use concord_set::concord_clock::DotContext;
    use concord_set::concord_core::Dot;
    use concord_set::concord_core::codec::{self, DecodeError, WireType, tag};
    use serde::Serialize;

    /// The set's wire shape without its checks: elements with their dots, then the context.
    #[derive(Serialize)]
    struct LookAlike {
        elements: Vec<(u8, Vec<Dot<u64>>)>,
        context: DotContext<u64>,
    }

    impl WireType for LookAlike {
        const TAG: u16 = tag::OR_SET;
        const VERSION: u16 = 2;
        const NAME: &'static str = "LookAlike";
    }

    impl<'de> serde::Deserialize<'de> for LookAlike {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom("only encoded"))
        }
    }

    fn ctx(dots: &[(u64, u64)]) -> DotContext<u64> {
        dots.iter().map(|&(a, c)| Dot::new(a, c)).collect()
    }

    fn decode(elements: Vec<(u8, Vec<Dot<u64>>)>, context: DotContext<u64>) -> String {
        let bytes = codec::encode(&LookAlike { elements, context }).unwrap();
        match codec::decode::<OrSet<u8, u64>>(&bytes) {
            Ok(set) => format!("accepted {set:?}"),
            Err(DecodeError::Invalid { reason, .. }) => reason,
            Err(other) => format!("{other}"),
        }
    }

    #[test]
    fn the_look_alike_decodes_when_valid() {
        let reason = decode(
            vec![
                (1, vec![Dot::new(1, 1)]),
                (4, vec![Dot::new(1, 2), Dot::new(2, 1)]),
            ],
            ctx(&[(1, 1), (1, 2), (2, 1), (3, 1)]),
        );
        assert!(reason.starts_with("accepted"), "{reason}");
    }

    #[test]
    fn invalid_states_are_refused_with_a_reason() {
        let d = |a, c| Dot::new(a, c);
        let full = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let cases = [
            (
                vec![(4, vec![d(1, 1)]), (1, vec![d(1, 2)])],
                "strictly increasing",
            ),
            (vec![(1, vec![d(1, 1)]), (1, vec![d(1, 2)])], "twice"),
            (vec![(1, vec![])], "holds no dot"),
            (vec![(1, vec![d(1, 2), d(1, 1)])], "strictly increasing"),
            (
                vec![(1, vec![d(1, 1)]), (2, vec![d(1, 1)])],
                "same dot is held twice",
            ),
            (vec![(1, vec![d(1, 4)])], "missing from the causal context"),
        ];
        for (elements, expected) in cases {
            let shown = format!("{elements:?}");
            let reason = decode(elements, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
    }

    #[test]
    fn truncated_and_random_bytes_never_panic() {
        let mut set = OrSet::<u8, u64>::new();
        for i in 0..50u8 {
            set.insert(u64::from(i % 3), i).unwrap();
        }
        let bytes = codec::encode(&set).unwrap();
        for cut in 0..bytes.len() {
            assert!(codec::decode::<OrSet<u8, u64>>(&bytes[..cut]).is_err());
        }
        let mut noise = bytes.clone();
        for i in 8..noise.len() {
            noise[i] ^= 0x5a;
            let _ = codec::decode::<OrSet<u8, u64>>(&noise);
        }
    }
}

/// Every mutator leaves the set at what merging its delta into the set before it gives (the
/// mutators join their delta into the one element's entry, the merge walks every element), on
/// random histories with deltas delivered in any order.
#[test]
fn each_mutator_gives_the_join_of_its_delta() {
    let mut rng = StdRng::seed_from_u64(0x05e7_0a1e);
    for round in 0..300 {
        let n = rng.random_range(2..5usize);
        let mut replicas: Vec<OrSet<u8, u64>> = vec![OrSet::new(); n];
        let mut deltas = Vec::new();
        for _ in 0..rng.random_range(1..150) {
            let at = rng.random_range(0..n);
            let elem = rng.random_range(0..16u8);
            let before = replicas[at].clone();
            let delta = match rng.random_range(0..20) {
                0..=11 => replicas[at].insert(at as u64, elem).unwrap(),
                12..=18 => replicas[at].remove(&elem),
                _ => replicas[at].clear(),
            };
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
