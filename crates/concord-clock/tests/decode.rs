//! Decoding refuses states that break an invariant, instead of panicking or "fixing" them.
//!
//! Each bad state is written by a look-alike wire struct with the same serde shape and the
//! same tag as the real type, then decoded as the real type.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_clock::{DotContext, HybridTimestamp, LamportTimestamp, VectorClock};
use concord_core::codec::{self, DecodeError, WireType, tag};
use concord_core::laws::RawActorMap;
use concord_core::{Dot, MAX_ENTRIES};
use serde::{Deserialize, Serialize};

/// The shape of a `VectorClock<u64>`: an actor map of (actor, counter) pairs.
#[derive(Serialize, Deserialize)]
struct RawVectorClock(RawActorMap<u64>);

impl WireType for RawVectorClock {
    const TAG: u16 = tag::VECTOR_CLOCK;
    const VERSION: u16 = VectorClock::<u64>::VERSION;
    const NAME: &'static str = "RawVectorClock";
}

/// The shape of a `DotContext<u64>`: the vector, then the cloud of (actor, counter) dots.
#[derive(Serialize, Deserialize)]
struct RawDotContext {
    vector: RawActorMap<u64>,
    cloud: Vec<(u64, u64)>,
}

impl WireType for RawDotContext {
    const TAG: u16 = tag::DOT_CONTEXT;
    const VERSION: u16 = DotContext::<u64>::VERSION;
    const NAME: &'static str = "RawDotContext";
}

fn vector_clock(pairs: &[(u64, u64)]) -> Result<VectorClock<u64>, DecodeError> {
    let bytes = codec::encode(&RawVectorClock(RawActorMap(pairs.to_vec()))).unwrap();
    codec::decode::<VectorClock<u64>>(&bytes)
}

fn dot_context(
    vector: &[(u64, u64)],
    cloud: &[(u64, u64)],
) -> Result<DotContext<u64>, DecodeError> {
    let raw = RawDotContext {
        vector: RawActorMap(vector.to_vec()),
        cloud: cloud.to_vec(),
    };
    codec::decode::<DotContext<u64>>(&codec::encode(&raw).unwrap())
}

fn refused<T: std::fmt::Debug>(result: Result<T, DecodeError>, why: &str) {
    match result {
        Err(DecodeError::Invalid { reason, .. }) => {
            assert!(
                reason.contains(why),
                "refused for {reason:?}, expected {why:?}"
            );
        }
        other => panic!("expected a refusal ({why}), got {other:?}"),
    }
}

#[test]
fn vector_clock_look_alike_decodes_when_valid() {
    let clock = vector_clock(&[(1, 3), (4, 1)]).unwrap();
    let expected: VectorClock<u64> = [(1, 3), (4, 1)].into_iter().collect();
    assert_eq!(clock, expected);
    // The look-alike has the real shape: both encodings are the same bytes.
    assert_eq!(
        codec::encode(&expected).unwrap(),
        codec::encode(&RawVectorClock(RawActorMap(vec![(1, 3), (4, 1)]))).unwrap()
    );
}

#[test]
fn vector_clock_refuses_unsorted_actors() {
    refused(vector_clock(&[(4, 1), (1, 3)]), "increasing order");
}

#[test]
fn vector_clock_refuses_duplicate_actors() {
    refused(vector_clock(&[(1, 3), (1, 5)]), "twice");
}

#[test]
fn vector_clock_refuses_zero_counters() {
    refused(vector_clock(&[(1, 3), (2, 0)]), "zero");
}

#[test]
fn vector_clock_refuses_too_many_entries() {
    let pairs: Vec<(u64, u64)> = (0..=MAX_ENTRIES as u64).map(|a| (a, 1)).collect();
    refused(vector_clock(&pairs), "exceed the limit");
}

#[test]
fn dot_context_look_alike_decodes_when_valid() {
    let ctx = dot_context(&[(1, 2)], &[(1, 4), (2, 3)]).unwrap();
    let expected: DotContext<u64> = [(1, 1), (1, 2), (1, 4), (2, 3)]
        .into_iter()
        .map(|(a, c)| Dot::new(a, c))
        .collect();
    assert_eq!(ctx, expected);
}

#[test]
fn dot_context_refuses_a_bad_vector() {
    refused(dot_context(&[(2, 1), (1, 1)], &[]), "increasing order");
    refused(dot_context(&[(1, 0)], &[]), "zero");
}

#[test]
fn dot_context_refuses_an_unsorted_cloud() {
    refused(dot_context(&[], &[(1, 5), (1, 3)]), "increasing order");
    refused(dot_context(&[], &[(2, 5), (1, 7)]), "increasing order");
}

#[test]
fn dot_context_refuses_a_duplicate_cloud_dot() {
    refused(dot_context(&[], &[(1, 5), (1, 5)]), "twice");
}

#[test]
fn dot_context_refuses_a_zero_cloud_dot() {
    refused(dot_context(&[], &[(1, 0)]), "zero");
}

#[test]
fn dot_context_refuses_a_covered_cloud_dot() {
    refused(dot_context(&[(1, 5)], &[(1, 3)]), "covered");
    refused(dot_context(&[(1, 5)], &[(1, 5)]), "covered");
}

#[test]
fn dot_context_refuses_a_cloud_dot_that_continues_the_vector() {
    refused(dot_context(&[(1, 5)], &[(1, 6)]), "folded");
    // Dot 1 of an actor absent from the vector continues it too.
    refused(dot_context(&[], &[(3, 1)]), "folded");
}

#[test]
fn dot_context_refuses_too_many_entries() {
    // Vector and cloud are each within the limit; together they are one entry over it.
    let half = MAX_ENTRIES as u64 / 2;
    let vector: Vec<(u64, u64)> = (0..half).map(|a| (a, 1)).collect();
    let cloud: Vec<(u64, u64)> = (half..=2 * half).map(|a| (a, 3)).collect();
    assert_eq!(vector.len() + cloud.len(), MAX_ENTRIES + 1);
    refused(dot_context(&vector, &cloud), "exceed the limit");
    // One entry fewer is accepted.
    let ctx = dot_context(&vector[1..], &cloud).unwrap();
    assert_eq!(ctx.vector().len() + ctx.cloud().len(), MAX_ENTRIES);
}

#[test]
fn timestamps_refuse_trailing_and_truncated_bytes() {
    let mut bytes = codec::encode(&HybridTimestamp::new(1_700_000_000_000, 3, 9u64)).unwrap();
    let good = bytes.clone();
    bytes.push(0);
    assert!(matches!(
        codec::decode::<HybridTimestamp<u64>>(&bytes),
        Err(DecodeError::TrailingBytes { count: 1 })
    ));
    assert!(codec::decode::<HybridTimestamp<u64>>(&good[..good.len() - 1]).is_err());
    // A Lamport timestamp's bytes are not a hybrid timestamp.
    let lamport = codec::encode(&LamportTimestamp::new(3, 9u64)).unwrap();
    assert!(matches!(
        codec::decode::<HybridTimestamp<u64>>(&lamport),
        Err(DecodeError::WrongType { .. })
    ));
}

#[test]
fn every_type_round_trips() {
    let vc: VectorClock<u64> = [(1, 3), (9, 1)].into_iter().collect();
    assert_eq!(
        codec::decode::<VectorClock<u64>>(&codec::encode(&vc).unwrap()).unwrap(),
        vc
    );
    let ctx: DotContext<u64> = [Dot::new(1, 1), Dot::new(1, 3), Dot::new(4, 2)]
        .into_iter()
        .collect();
    assert_eq!(
        codec::decode::<DotContext<u64>>(&codec::encode(&ctx).unwrap()).unwrap(),
        ctx
    );
    let hts = HybridTimestamp::new(u64::MAX, u32::MAX, 7u64);
    assert_eq!(
        codec::decode::<HybridTimestamp<u64>>(&codec::encode(&hts).unwrap()).unwrap(),
        hts
    );
}
