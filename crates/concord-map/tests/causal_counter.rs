//! `CausalCounter`: increments, decrements and resets on hand-made histories (a reset that
//! observed everything, an increment concurrent with a reset), overflow refusals, the metadata
//! bound over random histories, decode refusals, and golden wire vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_clock::{Causal, CausalCrdt, DotContext, DotFun};
use concord_map::concord_core::{CatchUp, Dot, Novelty, Overflow};
use concord_map::{CausalCounter, Contribution, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Counter = CausalCounter<u64>;

#[test]
fn increments_and_decrements_add_up_across_replicas() {
    let (mut a, mut b) = (Counter::new(), Counter::new());
    assert_eq!(a.value(), 0);
    let d1 = a.increment(1, 5).unwrap();
    let d2 = b.decrement(2, 2).unwrap();
    let d3 = a.increment(1, 3).unwrap();
    a.merge(&d2);
    for d in [&d3, &d1, &d3] {
        b.merge(d);
    }
    assert_eq!((a.value(), b.value()), (6, 6));
    assert_eq!(a, b);
    assert_eq!((a.get(&1), a.get(&2), a.get(&3)), (8, -2, 0));
    assert_eq!(
        a.contributions(),
        [
            (Dot::new(1, 2), Contribution::new(8, 0)),
            (Dot::new(2, 1), Contribution::new(0, 2)),
        ],
        "one dot per actor, carrying its totals"
    );
    assert!(d1 <= a && d2 <= a && d3 <= a);
}

#[test]
fn a_delta_replaces_the_actors_dot_only() {
    let (mut a, mut b) = (Counter::new(), Counter::new());
    a.merge(&b.increment(2, 4).unwrap());
    a.increment(1, 1).unwrap();
    let delta = a.decrement(1, 3).unwrap();
    assert_eq!(
        delta.contributions(),
        [(Dot::new(1, 2), Contribution::new(1, 3))]
    );
    assert!(delta.context().contains(&Dot::new(1, 1)));
    assert!(
        !delta.context().contains(&Dot::new(2, 1)),
        "another actor's share is not touched"
    );
    b.merge(&delta);
    assert_eq!(b.value(), 4 + 1 - 3);
}

#[test]
fn a_reset_that_observed_everything_resets_everywhere() {
    let (mut a, mut b) = (Counter::new(), Counter::new());
    b.merge(&a.increment(1, 5).unwrap());
    a.merge(&b.decrement(2, 2).unwrap());
    let reset = b.reset();
    assert_eq!(b.value(), 0);
    assert!(reset.contributions().is_empty());
    a.merge(&reset);
    assert_eq!(a.value(), 0);
    assert_eq!(a, b);
    // After seeing the reset, each actor counts again from zero.
    b.merge(&a.increment(1, 1).unwrap());
    assert_eq!((a.value(), b.value()), (1, 1));
    assert_eq!(b.get(&1), 1);
}

#[test]
fn an_increment_concurrent_with_a_reset_survives_with_its_actors_earlier_contribution() {
    let (mut a, mut b) = (Counter::new(), Counter::new());
    b.merge(&a.increment(1, 5).unwrap());
    b.increment(2, 10).unwrap();
    // b resets having seen a's 5 and its own 10; a, not having seen the reset, adds 1.
    let reset = b.reset();
    let more = a.increment(1, 1).unwrap();
    a.merge(&reset);
    b.merge(&more);
    assert_eq!(a, b);
    // b's 10 is gone; a's new dot carries 5 + 1, which the reset had not observed.
    assert_eq!((a.value(), b.value()), (6, 6));
    assert_eq!(
        a.contributions(),
        [(Dot::new(1, 2), Contribution::new(6, 0))]
    );
}

#[test]
fn a_reset_removes_only_what_it_observed() {
    let (mut a, mut b, mut c) = (Counter::new(), Counter::new(), Counter::new());
    b.merge(&a.increment(1, 5).unwrap());
    let unseen = c.increment(3, 7).unwrap();
    let reset = b.reset();
    for r in [&mut a, &mut b, &mut c] {
        r.merge(&reset);
        r.merge(&unseen);
    }
    assert_eq!((a.value(), b.value(), c.value()), (7, 7, 7));
    assert_eq!(a, c);
}

#[test]
fn resetting_and_adding_nothing_change_nothing() {
    let mut c = Counter::new();
    assert!(c.reset().as_causal().is_bottom());
    assert!(c.increment(1, 0).unwrap().as_causal().is_bottom());
    assert!(c.decrement(1, 0).unwrap().as_causal().is_bottom());
    assert_eq!(c, Counter::new());
}

#[test]
fn overflow_is_refused_and_the_counter_is_unchanged() {
    let mut c = Counter::new();
    c.increment(1, u64::MAX).unwrap();
    c.decrement(1, u64::MAX - 1).unwrap();
    let before = c.clone();
    assert_eq!(c.increment(1, 1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(c.decrement(1, 2), Err(Overflow::new(u64::MAX - 1, 2)));
    assert_eq!(c, before);
    assert_eq!(c.value(), 1);
    // Other actors are not affected, and the value is exact beyond u64.
    c.increment(2, u64::MAX).unwrap();
    assert_eq!(c.value(), i128::from(u64::MAX) + 1);
    c.decrement(1, 1).unwrap();
    c.decrement(3, u64::MAX).unwrap();
    c.decrement(4, u64::MAX).unwrap();
    assert_eq!(c.value(), -i128::from(u64::MAX));
}

#[test]
fn an_actor_at_the_last_dot_is_refused() {
    let last = Dot::new(1u64, u64::MAX);
    let mut c = Counter::from(Causal::from_store(
        DotFun::from_entry(last, Contribution::new(3, 0)),
        DotContext::new(),
    ));
    let before = c.clone();
    assert_eq!(c.increment(1, 1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(c, before);
}

#[test]
fn several_dots_of_one_actor_are_handled() {
    // A replica holds an actor's older dot until the reset that removed it arrives; a hostile
    // state can hold any number. The value counts each, and the actor's next operation sums
    // them into one dot that replaces them all.
    let state = Causal::from_store(
        DotFun::from_sorted(vec![
            (Dot::new(1u64, 1), Contribution::new(5, 0)),
            (Dot::new(1, 3), Contribution::new(2, 1)),
            (Dot::new(2, 1), Contribution::new(0, 4)),
        ])
        .unwrap(),
        DotContext::new(),
    );
    let mut c = Counter::from(state);
    assert_eq!((c.value(), c.get(&1)), (2, 6));
    let delta = c.increment(1, 1).unwrap();
    assert_eq!(c.value(), 3);
    assert_eq!(
        delta.contributions(),
        [(Dot::new(1, 4), Contribution::new(8, 1))]
    );
    assert_eq!(c.contributions().len(), 2);

    // Summing them can overflow: refused, unchanged.
    let mut c = Counter::from(Causal::from_store(
        DotFun::from_sorted(vec![
            (Dot::new(1u64, 1), Contribution::new(u64::MAX, 0)),
            (Dot::new(1, 2), Contribution::new(1, 0)),
        ])
        .unwrap(),
        DotContext::new(),
    ));
    let before = c.clone();
    assert_eq!(c.increment(1, 1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(c, before);
}

#[test]
fn the_counter_is_a_causal_crdt() {
    let (mut a, mut b) = (Counter::new(), Counter::new());
    b.merge(&a.increment(1, 2).unwrap());
    b.increment(2, 3).unwrap();
    let reset = b.reset();
    assert_eq!(CausalCounter::from_causal(a.clone().into_causal()), a);
    assert_eq!(CausalCrdt::as_causal(&a), a.as_causal());
    let novel = a.novel(&reset).unwrap();
    assert_eq!(a.joined(&novel), a.joined(&reset));
    assert_eq!(a.joined(&b.delta_since(&a.summary())), a.joined(&b));
    assert_eq!(a.joined(&b).value(), 0);
}

#[test]
fn debug_shows_the_value() {
    let mut c = Counter::new();
    c.decrement(1, 4).unwrap();
    let shown = format!("{c:?}");
    assert!(shown.starts_with("CausalCounter { value: -4"), "{shown}");
}

/// Random increments, decrements and resets, with random deltas delivered and (sometimes)
/// full states exchanged: replicas that only exchange full states hold at most one dot per
/// actor at every step; every replica does once everything is exchanged; the value is the
/// sum of the live contributions and the context is one counter per actor.
#[test]
fn metadata_after_any_history_is_at_most_one_dot_per_actor() {
    fn per_actor_at_most_one(c: &Counter) -> bool {
        c.contributions()
            .windows(2)
            .all(|w| w[0].0.actor != w[1].0.actor)
    }

    let mut rng = StdRng::seed_from_u64(0xcc_0c07);
    for round in 0..200 {
        let n = rng.random_range(2..7usize);
        let states_only = rng.random_bool(0.5);
        let mut replicas = vec![Counter::new(); n];
        let mut deltas = Vec::new();
        for _ in 0..rng.random_range(1..300) {
            let at = rng.random_range(0..n);
            let by = rng.random_range(0..100u64);
            deltas.push(match rng.random_range(0..10) {
                0..5 => replicas[at].increment(at as u64, by).unwrap(),
                5..8 => replicas[at].decrement(at as u64, by).unwrap(),
                _ => replicas[at].reset(),
            });
            if rng.random_bool(0.4) {
                let to = rng.random_range(0..n);
                let incoming = if states_only {
                    replicas[rng.random_range(0..n)].clone()
                } else {
                    deltas[rng.random_range(0..deltas.len())].clone()
                };
                replicas[to].merge(&incoming);
            }
            if states_only {
                assert!(replicas.iter().all(per_actor_at_most_one), "{replicas:?}");
            }
        }
        let mut all = Counter::new();
        for r in &replicas {
            all.merge(r);
        }
        assert!(per_actor_at_most_one(&all), "round {round}: {all:?}");
        assert!(all.contributions().len() <= n, "round {round}");
        let sum: i128 = all.contributions().iter().map(|(_, c)| c.value()).sum();
        assert_eq!(all.value(), sum);
        assert!(all.context().cloud().is_empty(), "round {round}");
        assert!(all.context().vector().len() <= n, "round {round}");
    }
}

#[cfg(feature = "serde")]
mod decode {
    use concord_map::concord_clock::{Causal, DotContext, DotFun};
    use concord_map::concord_core::codec::{self, DecodeError, WireType, tag};
    use concord_map::concord_core::{Dot, ValidationError};
    use concord_map::{CausalCounter, Contribution};
    use serde::Serialize;

    type Counter = CausalCounter<u64>;

    /// The counter's wire shape without its checks: `(dot, (increments, decrements))` pairs,
    /// then the context.
    #[derive(Serialize)]
    struct LookAlike {
        store: Vec<(Dot<u64>, (u64, u64))>,
        context: DotContext<u64>,
    }

    impl WireType for LookAlike {
        const TAG: u16 = tag::CAUSAL_COUNTER;
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

    fn d(actor: u64, counter: u64) -> Dot<u64> {
        Dot { actor, counter }
    }

    fn decode(store: Vec<(Dot<u64>, (u64, u64))>, context: DotContext<u64>) -> String {
        let bytes = codec::encode(&LookAlike { store, context }).unwrap();
        match codec::decode::<Counter>(&bytes) {
            Ok(counter) => format!("accepted {counter:?}"),
            Err(DecodeError::Invalid { type_name, reason }) => {
                assert_eq!(type_name, "CausalCounter");
                reason
            }
            Err(other) => format!("{other}"),
        }
    }

    #[test]
    fn the_look_alike_decodes_when_valid_and_is_the_real_encoding() {
        let store = vec![(d(1, 2), (5, 1)), (d(2, 1), (0, 3))];
        let context = ctx(&[(1, 1), (1, 2), (2, 1)]);
        let reason = decode(store.clone(), context.clone());
        assert!(
            reason.starts_with("accepted CausalCounter { value: 1"),
            "{reason}"
        );
        // The look-alike's bytes are the real encoding of the same state.
        let real = CausalCounter::from(
            Causal::from_parts(
                DotFun::from_sorted(vec![
                    (d(1, 2), Contribution::new(5, 1)),
                    (d(2, 1), Contribution::new(0, 3)),
                ])
                .unwrap(),
                context.clone(),
            )
            .unwrap(),
        );
        assert_eq!(
            codec::encode(&real).unwrap()[codec::HEADER_LEN..],
            codec::encode(&LookAlike { store, context }).unwrap()[codec::HEADER_LEN..]
        );
    }

    #[test]
    fn several_dots_of_one_actor_and_zero_contributions_are_accepted() {
        let context = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let reason = decode(vec![(d(1, 1), (5, 0)), (d(1, 3), (0, 0))], context);
        assert!(
            reason.starts_with("accepted CausalCounter { value: 5"),
            "{reason}"
        );
    }

    #[test]
    fn invalid_counters_are_refused_with_a_reason() {
        let full = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let unsorted = ValidationError::Unsorted.to_string();
        let duplicate = ValidationError::Duplicate.to_string();
        let zero = ValidationError::ZeroEntry.to_string();
        let cases = [
            (
                vec![(d(1, 2), (1, 0)), (d(1, 1), (1, 0))],
                unsorted.as_str(),
            ),
            (
                vec![(d(1, 1), (1, 0)), (d(1, 1), (2, 0))],
                duplicate.as_str(),
            ),
            (vec![(d(2, 1), (1, 0))], "missing from the causal context"),
            (vec![(d(1, 0), (1, 0))], zero.as_str()),
        ];
        for (store, expected) in cases {
            let shown = format!("{store:?}");
            let reason = decode(store, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
    }

    #[test]
    fn other_types_are_refused_by_tag() {
        let mut flag = concord_map::EwFlag::<u64>::new();
        flag.enable(1).unwrap();
        let bytes = codec::encode(&flag).unwrap();
        assert!(matches!(
            codec::decode::<Counter>(&bytes),
            Err(DecodeError::WrongType { .. })
        ));
    }

    #[test]
    fn truncated_and_random_bytes_never_panic() {
        let mut c = Counter::new();
        for i in 0..60u64 {
            if i % 3 == 0 {
                c.decrement(i % 4, i).unwrap();
            } else {
                c.increment(i % 5, i * 1_000).unwrap();
            }
            if i % 11 == 0 {
                c.reset();
            }
        }
        let bytes = codec::encode(&c).unwrap();
        assert_eq!(codec::decode::<Counter>(&bytes).unwrap(), c);
        for cut in 0..bytes.len() {
            assert!(codec::decode::<Counter>(&bytes[..cut]).is_err());
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..4_000 {
            let mut noise = bytes.clone();
            for _ in 0..1 + state % 3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = codec::HEADER_LEN + (state as usize) % (noise.len() - codec::HEADER_LEN);
                noise[at] ^= (state >> 32) as u8 | 1;
            }
            if let Ok(decoded) = codec::decode::<Counter>(&noise) {
                // Whatever decodes is a state the counter can work with.
                let _ = decoded.value();
                let mut decoded = decoded;
                let _ = decoded.increment(1, 1);
                decoded.reset();
            }
        }
    }
}

#[cfg(feature = "laws")]
mod golden {
    use concord_map::concord_core::golden_test;
    use concord_map::{CausalCounter, Merge, ReplicaId};

    golden_test!(causal_counter_empty = CausalCounter::<u64>::new());

    golden_test!(
        causal_counter_likes = {
            // Likes of one post from three devices: a reset concurrent with an increment.
            let (mut a, mut b, mut c) = (
                CausalCounter::<u64>::new(),
                CausalCounter::new(),
                CausalCounter::new(),
            );
            b.merge(&a.increment(1, 5).unwrap());
            b.decrement(2, 2).unwrap();
            c.increment(3, u64::MAX).unwrap();
            let reset = b.reset();
            a.increment(1, 1).unwrap();
            a.merge(&reset);
            a.merge(&c);
            assert_eq!(a.value(), 6 + i128::from(u64::MAX));
            a
        }
    );

    golden_test!(
        causal_counter_replica_id = {
            let (x, y) = (ReplicaId::from_u128(1), ReplicaId::from_u128(u128::MAX - 1));
            let mut counter = CausalCounter::<ReplicaId>::new();
            counter.increment(x, 300).unwrap();
            counter.decrement(y, 7).unwrap();
            counter
        }
    );
}
