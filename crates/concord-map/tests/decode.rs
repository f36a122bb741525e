//! The wire form: round trips, and refusals of states the merge could not rely on. Hostile
//! bytes are crafted by encoding a look-alike struct (same serde shape, same tag) and decoding
//! them as the real type; truncated and random bytes must be refused without a panic.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_clock::LamportTimestamp;
use concord_map::concord_core::codec::{self, DecodeError, WireType, tag};
use concord_map::concord_core::{MAX_ENTRIES, ValidationError};
use concord_map::{LwwMap, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

type Ts = LamportTimestamp<u64>;
type Map = LwwMap<u32, String, Ts>;

/// The same shape as the map's encoding, without its checks.
#[derive(Serialize, Deserialize)]
struct LookAlike {
    entries: Vec<(u32, Ts, Option<String>)>,
}

impl WireType for LookAlike {
    const TAG: u16 = tag::LWW_MAP;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LookAlike";
}

fn ts(time: u64) -> Ts {
    LamportTimestamp::new(time, 1)
}

fn craft(entries: Vec<(u32, Ts, Option<String>)>) -> Vec<u8> {
    codec::encode(&LookAlike { entries }).unwrap()
}

fn refusal(bytes: &[u8]) -> String {
    match codec::decode::<Map>(bytes) {
        Err(DecodeError::Invalid { type_name, reason }) => {
            assert_eq!(type_name, "LwwMap");
            reason
        }
        other => panic!("expected an invalid-state refusal, got {other:?}"),
    }
}

fn sample() -> Map {
    let mut map = Map::new();
    map.insert(1, "one".into(), ts(1));
    map.remove(2, ts(2));
    map.insert(7, "seven".into(), ts(3));
    map
}

#[test]
fn the_look_alike_is_accepted_when_it_is_valid() {
    // Guards the refusal tests below: they fail for the reason they name, not the shape.
    let bytes = craft(vec![
        (1, ts(1), Some("one".into())),
        (2, ts(2), None),
        (7, ts(3), Some("seven".into())),
    ]);
    let map: Map = codec::decode(&bytes).unwrap();
    assert_eq!(map, sample());
    assert_eq!((map.len(), map.tombstones()), (2, 1));
    assert_eq!(codec::encode(&map).unwrap(), bytes);
}

#[test]
fn unsorted_keys_are_refused() {
    let bytes = craft(vec![(1, ts(1), None), (5, ts(2), None), (3, ts(3), None)]);
    assert!(refusal(&bytes).contains(&ValidationError::Unsorted.to_string()));
}

#[test]
fn duplicate_keys_are_refused() {
    let bytes = craft(vec![
        (1, ts(1), None),
        (4, ts(2), Some("a".into())),
        (4, ts(3), None),
    ]);
    assert!(refusal(&bytes).contains(&ValidationError::Duplicate.to_string()));
}

#[test]
fn more_entries_than_the_limit_are_refused() {
    let entries = (0..=MAX_ENTRIES as u32).map(|k| (k, ts(1), None)).collect();
    let bytes = craft(entries);
    let expected = ValidationError::TooMany {
        len: MAX_ENTRIES + 1,
        max: MAX_ENTRIES,
    };
    assert!(refusal(&bytes).contains(&expected.to_string()));
}

#[test]
fn other_types_are_refused_by_tag() {
    let bytes = codec::encode(&LamportTimestamp::new(1, 2u64)).unwrap();
    assert!(matches!(
        codec::decode::<Map>(&bytes),
        Err(DecodeError::WrongType { .. })
    ));
}

#[test]
fn round_trips_keep_every_entry() {
    let mut map = Map::new();
    map.extend((0..5_000u32).map(|k| (k * 3, k.to_string(), ts(u64::from(k)))));
    for k in 0..2_000u32 {
        map.remove(k * 5, ts(3_000));
    }
    let bytes = codec::encode(&map).unwrap();
    let back = codec::decode::<Map>(&bytes).unwrap();
    assert_eq!(back, map);
    assert_eq!(
        (back.len(), back.tombstones()),
        (map.len(), map.tombstones())
    );
    assert_eq!(
        codec::decode::<Map>(&codec::encode(&Map::new()).unwrap()).unwrap(),
        Map::new()
    );
}

#[test]
fn every_prefix_of_an_encoding_is_refused_without_panic() {
    let bytes = codec::encode(&sample()).unwrap();
    for cut in 0..bytes.len() {
        assert!(codec::decode::<Map>(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(codec::decode::<Map>(&bytes).unwrap(), sample());
}

#[test]
fn random_and_corrupted_bytes_never_panic_and_what_decodes_is_valid() {
    let good = codec::encode(&sample()).unwrap();
    let mut rng = StdRng::seed_from_u64(0xDEC0DE);
    for case in 0..20_000 {
        let bytes: Vec<u8> = if case % 2 == 0 {
            // A valid envelope with random bytes flipped.
            let mut bytes = good.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..bytes.len());
                bytes[at] = rng.random();
            }
            bytes
        } else {
            // The right header, then random bytes.
            let mut bytes = good[..codec::HEADER_LEN].to_vec();
            bytes.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
            bytes
        };
        if let Ok(map) = codec::decode::<Map>(&bytes) {
            // Whatever is accepted is a state the merge can rely on: it round-trips, its
            // keys are sorted and unique, and merging it with itself changes nothing.
            let again = codec::decode::<Map>(&codec::encode(&map).unwrap()).unwrap();
            assert_eq!(again, map, "case {case}");
            let mut twice = map.clone();
            twice.merge(&map);
            assert_eq!(twice, map, "case {case}");
            let keys: Vec<u32> = map.iter().map(|(&k, _)| k).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "case {case}");
        }
    }
}
