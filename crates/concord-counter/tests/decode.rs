//! Decoding refuses states that break the counters' invariants. The hostile bytes are made by
//! encoding look-alike types with the same serde shape and the same wire tag.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_core::codec::{self, DecodeError, WireType, tag};
use concord_core::laws::RawActorMap;
use concord_core::{MAX_ENTRIES, ValidationError};
use concord_counter::{GCounter, PnCounter, ReplicaId};
use serde::{Deserialize, Serialize};

/// A `GCounter<u64>` without its invariants: any sequence of `(actor, count)` pairs.
#[derive(Serialize, Deserialize)]
struct RawG(RawActorMap<u64>);

impl WireType for RawG {
    const TAG: u16 = tag::G_COUNTER;
    const VERSION: u16 = GCounter::<u64>::VERSION;
    const NAME: &'static str = "RawG";
}

/// A `PnCounter<u64>` without its invariants.
#[derive(Serialize, Deserialize)]
struct RawPn(RawActorMap<u64, [u64; 2]>);

impl WireType for RawPn {
    const TAG: u16 = tag::PN_COUNTER;
    const VERSION: u16 = PnCounter::<u64>::VERSION;
    const NAME: &'static str = "RawPn";
}

fn refusal<T: WireType + std::fmt::Debug>(bytes: &[u8]) -> String {
    match codec::decode::<T>(bytes) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid-state refusal, got {other:?}"),
    }
}

fn g(pairs: &[(u64, u64)]) -> Vec<u8> {
    codec::encode(&RawG(RawActorMap(pairs.to_vec()))).unwrap()
}

fn pn(pairs: &[(u64, [u64; 2])]) -> Vec<u8> {
    codec::encode(&RawPn(RawActorMap(pairs.to_vec()))).unwrap()
}

#[test]
fn look_alikes_encode_like_the_real_types() {
    let mut c = GCounter::<u64>::new();
    c.increment(2, 9).unwrap();
    c.increment(5, 300).unwrap();
    assert_eq!(codec::encode(&c).unwrap(), g(&[(2, 9), (5, 300)]));
    let mut p = PnCounter::<u64>::new();
    p.increment(2, 9).unwrap();
    p.decrement(2, 1).unwrap();
    p.decrement(7, 4).unwrap();
    assert_eq!(codec::encode(&p).unwrap(), pn(&[(2, [9, 1]), (7, [0, 4])]));
    // And a valid look-alike decodes as the real type.
    assert_eq!(
        codec::decode::<GCounter<u64>>(&g(&[(2, 9), (5, 300)])),
        Ok(c)
    );
    assert_eq!(
        codec::decode::<PnCounter<u64>>(&pn(&[(2, [9, 1]), (7, [0, 4])])),
        Ok(p)
    );
}

#[test]
fn duplicate_actors_are_refused() {
    let want = ValidationError::Duplicate.to_string();
    assert!(refusal::<GCounter<u64>>(&g(&[(1, 1), (1, 2)])).contains(&want));
    assert!(refusal::<PnCounter<u64>>(&pn(&[(1, [1, 0]), (1, [0, 1])])).contains(&want));
}

#[test]
fn unsorted_actors_are_refused() {
    let want = ValidationError::Unsorted.to_string();
    assert!(refusal::<GCounter<u64>>(&g(&[(1, 1), (3, 1), (2, 1)])).contains(&want));
    assert!(refusal::<PnCounter<u64>>(&pn(&[(5, [1, 1]), (4, [1, 1])])).contains(&want));
}

#[test]
fn zero_entries_are_refused() {
    let want = ValidationError::ZeroEntry.to_string();
    assert!(refusal::<GCounter<u64>>(&g(&[(1, 1), (2, 0)])).contains(&want));
    assert!(refusal::<PnCounter<u64>>(&pn(&[(1, [0, 0])])).contains(&want));
    // One zero side of a PN entry is a normal state.
    assert!(codec::decode::<PnCounter<u64>>(&pn(&[(1, [0, 3])])).is_ok());
}

/// Entries whose actors and counts take nine bytes each, so one more than `MAX_ENTRIES` of
/// them is too long for the default decode limit and must be decoded with a larger one to reach
/// the entry-count check.
fn wide(len: usize) -> impl Iterator<Item = u64> {
    (0..len as u64).map(|a| a | 1 << 40)
}

#[test]
fn too_many_entries_are_refused() {
    let len = MAX_ENTRIES + 1;
    let want = ValidationError::TooMany {
        len,
        max: MAX_ENTRIES,
    }
    .to_string();
    let limit = 64 << 20;

    let bytes = g(&wide(len).map(|a| (a, a)).collect::<Vec<_>>());
    assert!(codec::decode::<GCounter<u64>>(&bytes).is_err());
    let reason = match codec::decode_with_limit::<GCounter<u64>>(&bytes, limit) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid-state refusal, got {other:?}"),
    };
    assert!(reason.contains(&want), "{reason}");

    let bytes = pn(&wide(len).map(|a| (a, [a, a])).collect::<Vec<_>>());
    assert!(codec::decode::<PnCounter<u64>>(&bytes).is_err());
    let reason = match codec::decode_with_limit::<PnCounter<u64>>(&bytes, limit) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid-state refusal, got {other:?}"),
    };
    assert!(reason.contains(&want), "{reason}");

    // Compact entries: one more than the limit is refused by the default decode as well.
    let pairs: Vec<(u64, u64)> = (0..len as u64).map(|a| (a, 1)).collect();
    assert!(codec::decode::<GCounter<u64>>(&g(&pairs)).is_err());

    // Exactly `MAX_ENTRIES` is accepted.
    let bytes = g(&wide(MAX_ENTRIES).map(|a| (a, a)).collect::<Vec<_>>());
    let at_limit = codec::decode_with_limit::<GCounter<u64>>(&bytes, limit).unwrap();
    assert_eq!(at_limit.len(), MAX_ENTRIES);
}

#[test]
fn other_types_and_truncations_are_refused() {
    let mut c = GCounter::<u64>::new();
    c.increment(1, 1).unwrap();
    let bytes = codec::encode(&c).unwrap();
    assert!(matches!(
        codec::decode::<PnCounter<u64>>(&bytes),
        Err(DecodeError::WrongType { .. })
    ));
    assert!(matches!(
        codec::decode::<GCounter<u64>>(&bytes[..bytes.len() - 1]),
        Err(DecodeError::Invalid { .. })
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        codec::decode::<GCounter<u64>>(&longer),
        Err(DecodeError::TrailingBytes { count: 1 })
    ));
}

#[test]
fn replica_id_counters_round_trip() {
    let mut c = GCounter::new();
    c.increment(ReplicaId::from_u128(u128::MAX), 3).unwrap();
    c.increment(ReplicaId::from_u128(7), 1).unwrap();
    let bytes = codec::encode(&c).unwrap();
    assert_eq!(codec::decode::<GCounter>(&bytes), Ok(c));
}

/// The size hint covers counters of `ReplicaId`s whose counts are below 2^21 (three varint
/// bytes): `encode` reserves its output once, at the envelope plus the hint, and never grows
/// it. A hint that is missing or too small shows as a capacity other than that.
#[test]
fn the_size_hint_reserves_the_output_once() {
    use concord_core::codec::HEADER_LEN;
    for (actors, count) in [
        (1_usize, 1_u64),
        (100, 127),
        (1000, 16_383),
        (5000, (1 << 21) - 1),
    ] {
        let mut gcounter = GCounter::<ReplicaId>::new();
        let mut pncounter = PnCounter::<ReplicaId>::new();
        for k in 0..actors {
            let actor = ReplicaId::from_u128(0x1000 + k as u128);
            gcounter.increment(actor, count).unwrap();
            pncounter.increment(actor, count).unwrap();
            pncounter.decrement(actor, count).unwrap();
        }
        let bytes = codec::encode(&gcounter).unwrap();
        let reserved = (HEADER_LEN + gcounter.encoded_len_hint()).max(64);
        assert!(
            bytes.len() <= reserved,
            "{actors} actors: {} bytes",
            bytes.len()
        );
        assert_eq!(bytes.capacity(), reserved, "{actors} actors");
        let bytes = codec::encode(&pncounter).unwrap();
        let reserved = (HEADER_LEN + pncounter.encoded_len_hint()).max(64);
        assert_eq!(bytes.capacity(), reserved, "{actors} actors");
        assert_eq!(
            codec::decode::<GCounter<ReplicaId>>(&codec::encode(&gcounter).unwrap()),
            Ok(gcounter)
        );
    }
}
