//! `EwFlag` and `DwFlag`: concurrent enables and disables on hand-made histories, the
//! metadata bound over random histories, decode refusals, and golden wire vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_clock::{Causal, CausalCrdt, DotContext, DotFun, DotSet};
use concord_map::concord_core::{CatchUp, Dot, Novelty, Overflow};
use concord_map::{DwFlag, EwFlag, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Ew = EwFlag<u64>;
type Dw = DwFlag<u64>;

#[test]
fn both_flags_start_disabled() {
    assert!(!Ew::new().is_enabled());
    assert!(!Dw::new().is_enabled());
    assert_eq!(Ew::default(), Ew::new());
    assert_eq!(Dw::default(), Dw::new());
    assert!(Ew::new().as_causal().is_bottom() && Dw::new().as_causal().is_bottom());
}

#[test]
fn ew_a_concurrent_enable_and_disable_leave_the_flag_enabled() {
    let (mut a, mut b) = (Ew::new(), Ew::new());
    b.merge(&a.enable(1).unwrap());
    let off = b.disable();
    let on = a.enable(1).unwrap();
    assert!(!b.is_enabled() && a.is_enabled());
    a.merge(&off);
    b.merge(&on);
    assert!(
        a.is_enabled() && b.is_enabled(),
        "the unobserved enable wins"
    );
    assert_eq!(a, b);
    assert_eq!(a.dots(), [Dot::new(1, 2)]);
    // A disable that observed it disables the flag everywhere.
    a.merge(&b.disable());
    assert!(!a.is_enabled());
    assert_eq!(a, b);
}

#[test]
fn ew_a_disable_removes_only_the_enables_it_observed() {
    let (mut a, mut b, mut c) = (Ew::new(), Ew::new(), Ew::new());
    b.merge(&a.enable(1).unwrap());
    let unseen = c.enable(3).unwrap();
    let off = b.disable();
    for r in [&mut a, &mut b, &mut c] {
        r.merge(&off);
        r.merge(&unseen);
    }
    assert!(a.is_enabled() && b.is_enabled() && c.is_enabled());
    assert_eq!(a.dots(), [Dot::new(3, 1)]);
    assert_eq!((&a, &b), (&c, &c));
}

#[test]
fn ew_an_enable_replaces_the_enables_it_saw() {
    let (mut a, mut b) = (Ew::new(), Ew::new());
    a.enable(1).unwrap();
    b.enable(2).unwrap();
    a.merge(&b);
    assert_eq!(
        a.dots(),
        [Dot::new(1, 1), Dot::new(2, 1)],
        "concurrent enables"
    );
    let delta = a.enable(1).unwrap();
    assert_eq!(a.dots(), [Dot::new(1, 2)], "one enable, the new one");
    assert_eq!(delta.dots(), [Dot::new(1, 2)]);
    assert!(delta.context().contains(&Dot::new(2, 1)));
    b.merge(&delta);
    assert_eq!(a, b);
}

#[test]
fn ew_disabling_a_disabled_flag_returns_an_empty_delta() {
    let mut f = Ew::new();
    let delta = f.disable();
    assert!(delta.as_causal().is_bottom());
    assert_eq!(f, Ew::new());
}

#[test]
fn dw_a_concurrent_enable_and_disable_leave_the_flag_disabled() {
    let (mut a, mut b) = (Dw::new(), Dw::new());
    b.merge(&a.enable(1).unwrap());
    let off = b.disable(2).unwrap();
    let on = a.enable(1).unwrap();
    assert!(!b.is_enabled() && a.is_enabled());
    a.merge(&off);
    b.merge(&on);
    assert!(
        !a.is_enabled() && !b.is_enabled(),
        "the unobserved disable wins"
    );
    assert_eq!(a, b);
    assert_eq!(
        a.events(),
        [(Dot::new(1, 2), true), (Dot::new(2, 1), false)]
    );
    // An enable that observed the disable enables the flag everywhere.
    b.merge(&a.enable(1).unwrap());
    assert!(b.is_enabled());
    assert_eq!(b.events(), [(Dot::new(1, 3), true)]);
}

#[test]
fn dw_concurrent_enables_enable_and_concurrent_disables_disable() {
    let (mut a, mut b) = (Dw::new(), Dw::new());
    let on_a = a.enable(1).unwrap();
    let on_b = b.enable(2).unwrap();
    a.merge(&on_b);
    b.merge(&on_a);
    assert!(a.is_enabled() && b.is_enabled());
    let off_a = a.disable(1).unwrap();
    let off_b = b.disable(2).unwrap();
    a.merge(&off_b);
    b.merge(&off_a);
    assert!(!a.is_enabled() && !b.is_enabled());
    assert_eq!(a, b);
    assert_eq!(a.events().len(), 2);
}

#[test]
fn deltas_in_any_order_and_repeated_converge() {
    let mut origin = Ew::new();
    let d1 = origin.enable(1).unwrap();
    let d2 = origin.disable();
    let d3 = origin.enable(2).unwrap();
    let mut other = Ew::new();
    for d in [&d3, &d1, &d2, &d2, &d1] {
        other.merge(d);
    }
    assert_eq!(other, origin);
    assert!(d1 <= origin && d2 <= origin && d3 <= origin);

    let mut origin = Dw::new();
    let d1 = origin.enable(1).unwrap();
    let d2 = origin.disable(1).unwrap();
    let d3 = origin.enable(2).unwrap();
    let mut other = Dw::new();
    for d in [&d2, &d3, &d1, &d3] {
        other.merge(d);
    }
    assert_eq!(other, origin);
    assert!(other.is_enabled());
}

#[test]
fn an_actor_at_the_last_dot_is_refused_and_nothing_changes() {
    let last = Dot::new(1u64, u64::MAX);
    let mut ew = Ew::from(Causal::from_store(
        DotSet::from_dot(last),
        DotContext::new(),
    ));
    let before = ew.clone();
    assert_eq!(ew.enable(1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(ew, before);
    ew.enable(2).unwrap();

    let mut dw = Dw::from(Causal::from_store(
        DotFun::from_entry(last, true),
        DotContext::new(),
    ));
    let before = dw.clone();
    assert_eq!(dw.disable(1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(dw.enable(1), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(dw, before);
}

#[test]
fn the_flags_are_causal_crdts() {
    let (mut a, mut b) = (Ew::new(), Ew::new());
    b.merge(&a.enable(1).unwrap());
    let off = b.disable();
    assert_eq!(EwFlag::from_causal(a.clone().into_causal()), a);
    assert_eq!(CausalCrdt::as_causal(&a), a.as_causal());
    // Novelty: what `a` lacks of the disable; catch-up: what `a` lacks of `b`.
    let novel = a.novel(&off).unwrap();
    assert_eq!(a.joined(&novel), a.joined(&off));
    assert_eq!(a.joined(&b.delta_since(&a.summary())), a.joined(&b));
    assert!(b.novel(&off).is_none(), "b has it already");

    let mut d = Dw::new();
    d.enable(1).unwrap();
    assert_eq!(DwFlag::from_causal(d.clone().into_causal()), d);
}

#[test]
fn debug_shows_the_reading() {
    let mut ew = Ew::new();
    ew.enable(1).unwrap();
    let shown = format!("{ew:?}");
    assert!(shown.starts_with("EwFlag { enabled: true"), "{shown}");
    let mut dw = Dw::new();
    dw.disable(1).unwrap();
    let shown = format!("{dw:?}");
    assert!(shown.starts_with("DwFlag { enabled: false"), "{shown}");
}

/// Random enables and disables, with random deltas delivered and (sometimes) full states
/// exchanged. Replicas that only ever exchange full states hold at most one dot per actor at
/// every step; every replica does once everything is exchanged, and the context is one
/// counter per actor.
#[test]
fn metadata_after_any_history_is_at_most_one_dot_per_actor() {
    fn per_actor_at_most_one(dots: impl Iterator<Item = Dot<u64>>) -> bool {
        let mut dots: Vec<Dot<u64>> = dots.collect();
        let n = dots.len();
        dots.dedup_by_key(|d| d.actor);
        dots.len() == n
    }

    let mut rng = StdRng::seed_from_u64(0x0f1a_6500);
    for round in 0..200 {
        let n = rng.random_range(2..7usize);
        let states_only = rng.random_bool(0.5);
        let mut ew = vec![Ew::new(); n];
        let mut dw = vec![Dw::new(); n];
        let (mut ew_deltas, mut dw_deltas) = (Vec::new(), Vec::new());
        for _ in 0..rng.random_range(1..300) {
            let at = rng.random_range(0..n);
            let actor = at as u64;
            ew_deltas.push(if rng.random_bool(0.5) {
                ew[at].enable(actor).unwrap()
            } else {
                ew[at].disable()
            });
            dw_deltas.push(if rng.random_bool(0.5) {
                dw[at].enable(actor).unwrap()
            } else {
                dw[at].disable(actor).unwrap()
            });
            if rng.random_bool(0.4) {
                let (from, to) = (rng.random_range(0..n), rng.random_range(0..n));
                if states_only {
                    let (e, d) = (ew[from].clone(), dw[from].clone());
                    ew[to].merge(&e);
                    dw[to].merge(&d);
                } else {
                    let i = rng.random_range(0..ew_deltas.len());
                    ew[to].merge(&ew_deltas[i]);
                    dw[to].merge(&dw_deltas[i]);
                }
            }
            if states_only {
                for (e, d) in ew.iter().zip(&dw) {
                    assert!(per_actor_at_most_one(e.dots().iter().copied()), "{e:?}");
                    assert!(per_actor_at_most_one(d.events().iter().map(|(d, _)| *d)));
                }
            }
        }
        let (mut all_ew, mut all_dw) = (Ew::new(), Dw::new());
        for (e, d) in ew.iter().zip(&dw) {
            all_ew.merge(e);
            all_dw.merge(d);
        }
        assert!(all_ew.dots().len() <= n, "round {round}: {all_ew:?}");
        assert!(all_dw.events().len() <= n, "round {round}: {all_dw:?}");
        assert!(per_actor_at_most_one(all_ew.dots().iter().copied()));
        assert!(per_actor_at_most_one(
            all_dw.events().iter().map(|(d, _)| *d)
        ));
        for context in [all_ew.context(), all_dw.context()] {
            assert!(
                context.cloud().is_empty(),
                "round {round}: every dot arrived"
            );
            assert!(context.vector().len() <= n, "round {round}");
        }
    }
}

#[test]
fn a_flag_toggled_a_thousand_times_keeps_one_counter_per_actor() {
    let (mut a, mut b) = (Ew::new(), Ew::new());
    let (mut c, mut d) = (Dw::new(), Dw::new());
    for _ in 0..1_000 {
        b.merge(&a.enable(1).unwrap());
        a.merge(&b.disable());
        d.merge(&c.enable(1).unwrap());
        c.merge(&d.disable(2).unwrap());
    }
    assert!(!a.is_enabled() && a.dots().is_empty());
    assert_eq!(a.context().vector().len(), 1);
    assert!(a.context().cloud().is_empty());
    assert_eq!(c.events(), [(Dot::new(2, 1_000), false)]);
    assert_eq!(c.context().vector().len(), 2);
    assert!(c.context().cloud().is_empty());
}

#[cfg(feature = "serde")]
mod decode {
    use concord_map::concord_clock::DotContext;
    use concord_map::concord_core::codec::{self, DecodeError, WireType, tag};
    use concord_map::concord_core::{Dot, MAX_ENTRIES, ValidationError};
    use concord_map::{DwFlag, EwFlag};
    use serde::Serialize;

    /// A flag's wire shape without its checks: the store, then the context, under `TAG`.
    #[derive(Serialize)]
    struct LookAlike<S, const TAG: u16> {
        store: S,
        context: DotContext<u64>,
    }

    impl<S: Serialize, const TAG: u16> WireType for LookAlike<S, TAG> {
        const TAG: u16 = TAG;
        const VERSION: u16 = 2;
        const NAME: &'static str = "LookAlike";
    }

    impl<'de, S, const TAG: u16> serde::Deserialize<'de> for LookAlike<S, TAG> {
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

    /// Encodes the look-alike under `T`'s tag and decodes it as `T`: "accepted" or the
    /// refusal.
    fn decode<T, S>(store: S, context: DotContext<u64>) -> String
    where
        T: WireType + core::fmt::Debug,
        S: Serialize,
    {
        let bytes = match T::TAG {
            tag::EW_FLAG => codec::encode(&LookAlike::<S, { tag::EW_FLAG }> { store, context }),
            _ => codec::encode(&LookAlike::<S, { tag::DW_FLAG }> { store, context }),
        }
        .unwrap();
        match codec::decode::<T>(&bytes) {
            Ok(flag) => format!("accepted {flag:?}"),
            Err(DecodeError::Invalid { type_name, reason }) => {
                assert_eq!(type_name, T::NAME);
                reason
            }
            Err(other) => format!("{other}"),
        }
    }

    #[test]
    fn the_look_alikes_decode_when_valid() {
        let full = ctx(&[(1, 1), (1, 2), (2, 1), (3, 1)]);
        let ew = decode::<EwFlag<u64>, _>(vec![d(1, 2), d(2, 1)], full.clone());
        assert!(ew.starts_with("accepted EwFlag { enabled: true"), "{ew}");
        let dw = decode::<DwFlag<u64>, _>(vec![(d(1, 2), true), (d(2, 1), false)], full);
        assert!(dw.starts_with("accepted DwFlag { enabled: false"), "{dw}");
    }

    #[test]
    fn two_dots_of_one_actor_are_accepted() {
        // A replica that has not received the disable which removed the older one holds both.
        let full = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let ew = decode::<EwFlag<u64>, _>(vec![d(1, 1), d(1, 3)], full);
        assert!(ew.starts_with("accepted"), "{ew}");
    }

    #[test]
    fn invalid_flags_are_refused_with_a_reason() {
        let full = ctx(&[(1, 1), (1, 2), (1, 3)]);
        let unsorted = ValidationError::Unsorted.to_string();
        let duplicate = ValidationError::Duplicate.to_string();
        let zero = ValidationError::ZeroEntry.to_string();
        let ew_cases = [
            (vec![d(1, 2), d(1, 1)], unsorted.as_str()),
            (vec![d(1, 1), d(1, 1)], duplicate.as_str()),
            (vec![d(1, 4)], "missing from the causal context"),
            (vec![d(1, 0)], zero.as_str()),
        ];
        for (dots, expected) in ew_cases {
            let shown = format!("{dots:?}");
            let reason = decode::<EwFlag<u64>, _>(dots, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
        let dw_cases = [
            (vec![(d(1, 2), true), (d(1, 1), false)], unsorted.as_str()),
            (vec![(d(1, 1), true), (d(1, 1), false)], duplicate.as_str()),
            (vec![(d(2, 1), false)], "missing from the causal context"),
        ];
        for (events, expected) in dw_cases {
            let shown = format!("{events:?}");
            let reason = decode::<DwFlag<u64>, _>(events, full.clone());
            assert!(reason.contains(expected), "{shown}: {reason}");
        }
    }

    #[test]
    fn more_dots_than_the_limit_are_refused() {
        let dots: Vec<Dot<u64>> = (1..=MAX_ENTRIES as u64 + 1).map(|c| d(1, c)).collect();
        let reason = decode::<EwFlag<u64>, _>(dots, DotContext::new());
        let expected = ValidationError::TooMany {
            len: MAX_ENTRIES + 1,
            max: MAX_ENTRIES,
        };
        assert!(reason.contains(&expected.to_string()), "{reason}");
    }

    #[test]
    fn one_flag_is_not_the_other() {
        let mut ew = EwFlag::<u64>::new();
        ew.enable(1).unwrap();
        let bytes = codec::encode(&ew).unwrap();
        assert!(matches!(
            codec::decode::<DwFlag<u64>>(&bytes),
            Err(DecodeError::WrongType { .. })
        ));
        assert_eq!(codec::decode::<EwFlag<u64>>(&bytes).unwrap(), ew);
    }

    #[test]
    fn truncated_and_random_bytes_never_panic() {
        let (mut ew, mut dw) = (EwFlag::<u64>::new(), DwFlag::<u64>::new());
        for i in 0..40u64 {
            ew.enable(i % 5).unwrap();
            dw.disable(i % 3).unwrap();
            if i % 7 == 0 {
                ew.disable();
            }
        }
        let ew_bytes = codec::encode(&ew).unwrap();
        let dw_bytes = codec::encode(&dw).unwrap();
        for cut in 0..ew_bytes.len() {
            assert!(codec::decode::<EwFlag<u64>>(&ew_bytes[..cut]).is_err());
        }
        for cut in 0..dw_bytes.len() {
            assert!(codec::decode::<DwFlag<u64>>(&dw_bytes[..cut]).is_err());
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for bytes in [&ew_bytes, &dw_bytes] {
            for _ in 0..2_000 {
                let mut noise = bytes.clone();
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = codec::HEADER_LEN + (state as usize) % (noise.len() - codec::HEADER_LEN);
                noise[at] ^= (state >> 32) as u8 | 1;
                let _ = codec::decode::<EwFlag<u64>>(&noise);
                let _ = codec::decode::<DwFlag<u64>>(&noise);
            }
        }
    }
}

#[cfg(feature = "laws")]
mod golden {
    use concord_map::concord_core::golden_test;
    use concord_map::{DwFlag, EwFlag, Merge, ReplicaId};

    golden_test!(ew_flag_empty = EwFlag::<u64>::new());

    golden_test!(
        ew_flag_concurrent = {
            // An enable concurrent with a disable that removed the other actor's enable.
            let (mut a, mut b) = (EwFlag::<u64>::new(), EwFlag::<u64>::new());
            b.merge(&a.enable(1).unwrap());
            b.enable(2).unwrap();
            let off = b.disable();
            a.enable(1).unwrap();
            a.merge(&off);
            assert!(a.is_enabled());
            a
        }
    );

    golden_test!(
        ew_flag_replica_id = {
            let mut flag = EwFlag::<ReplicaId>::new();
            flag.enable(ReplicaId::from_u128(0x0123_4567_89ab_cdef))
                .unwrap();
            flag
        }
    );

    golden_test!(dw_flag_empty = DwFlag::<u64>::new());

    golden_test!(
        dw_flag_concurrent = {
            let (mut a, mut b) = (DwFlag::<u64>::new(), DwFlag::<u64>::new());
            b.merge(&a.enable(1).unwrap());
            let off = b.disable(2).unwrap();
            a.enable(1).unwrap();
            a.merge(&off);
            assert!(!a.is_enabled());
            a
        }
    );
}
