//! The fuzzing generators build only valid counters: every one survives an encode/decode round
//! trip (which validates) and merges lawfully with the others.
#![cfg(all(feature = "arbitrary", feature = "serde"))]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure with a message"
)]

use arbitrary::{Arbitrary, Unstructured};
use concord_core::codec;
use concord_counter::{GCounter, Merge, PnCounter};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Deterministic pseudo-random bytes.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    StdRng::seed_from_u64(seed)
        .random_iter()
        .take(len)
        .collect()
}

fn check<T>(seed: u64) -> usize
where
    T: for<'a> Arbitrary<'a> + codec::WireType + Merge + Clone + PartialEq + std::fmt::Debug,
{
    let data = bytes(seed, 64 + (seed as usize % 512));
    let mut u = Unstructured::new(&data);
    let a = T::arbitrary(&mut u).unwrap();
    let b = T::arbitrary(&mut u).unwrap();
    for state in [&a, &b] {
        let back: T = codec::decode(&codec::encode(state).unwrap()).unwrap();
        assert_eq!(&back, state, "seed {seed}");
    }
    let mut ab = a.clone();
    ab.merge(&b);
    let mut ba = b.clone();
    ba.merge(&a);
    assert_eq!(ab, ba, "seed {seed}");
    let mut aa = a.clone();
    aa.merge(&a);
    assert_eq!(aa, a, "seed {seed}");
    codec::encode(&ab).unwrap().len()
}

#[test]
fn generated_g_counters_are_valid() {
    let sizes: usize = (0..300).map(check::<GCounter<u8>>).sum();
    assert!(
        sizes > 300 * 9,
        "the generator produced only empty counters"
    );
    for seed in 0..100 {
        check::<GCounter>(seed);
    }
}

#[test]
fn generated_pn_counters_are_valid() {
    let sizes: usize = (0..300).map(check::<PnCounter<u8>>).sum();
    assert!(
        sizes > 300 * 9,
        "the generator produced only empty counters"
    );
    for seed in 0..100 {
        check::<PnCounter>(seed);
    }
}
