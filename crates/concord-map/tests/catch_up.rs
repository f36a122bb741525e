//! Catching an `LwwMap` up from a summary: exactly what the replica lacks is sent (newer puts,
//! new keys, deletes), nothing it has; the summary holds keys and stamps without values; a
//! compaction below an unstable stamp loses a delete; and the summary's wire form.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_core::CatchUp;
use concord_map::{LwwMap, LwwMapSummary, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Plain `u64` stamps, so a test can place writes exactly.
type Map = LwwMap<u16, u32, u64>;

fn joined(a: &Map, b: &Map) -> Map {
    let mut out = a.clone();
    out.merge(b);
    out
}

/// Every entry of `map` as `(key, stamp, value or none)`, tombstones included.
fn entries(map: &Map) -> Vec<(u16, u64, Option<u32>)> {
    map.summary()
        .iter()
        .map(|(&k, &s)| (k, s, map.get(&k).copied()))
        .collect()
}

#[test]
fn a_cut_off_replica_is_sent_exactly_what_it_lacks() {
    let mut behind = Map::new();
    behind.insert(1, 10, 1);
    behind.insert(2, 20, 2);
    behind.insert(3, 30, 3);
    behind.remove(4, 4);
    behind.insert(5, 50, 9); // newer here than on the peer

    let mut ahead = Map::new();
    ahead.insert(1, 10, 1); // the same write: not sent
    ahead.insert(2, 21, 5); // a newer put of a known key
    ahead.remove(3, 6); // a delete of a live key
    ahead.insert(4, 40, 7); // a put over a tombstone
    ahead.insert(5, 49, 8); // older than `behind`'s write: not sent
    ahead.insert(6, 60, 2); // a key `behind` never saw
    ahead.remove(7, 3); // a delete of a key `behind` never saw

    let delta = ahead.delta_since(&behind.summary());
    assert_eq!(
        entries(&delta),
        [
            (2, 5, Some(21)),
            (3, 6, None),
            (4, 7, Some(40)),
            (6, 2, Some(60)),
            (7, 3, None),
        ]
    );
    assert_eq!((delta.len(), delta.tombstones()), (3, 2));
    assert_eq!(joined(&behind, &delta), joined(&behind, &ahead));
}

#[test]
fn equal_states_send_nothing() {
    let mut map = Map::new();
    map.insert(1, 10, 1);
    map.remove(2, 2);
    let delta = map.delta_since(&map.summary());
    assert_eq!(delta, Map::new());
    assert_eq!(delta.tombstones(), 0);
    assert_eq!(Map::new().delta_since(&map.summary()), Map::new());
    // An empty summary asks for everything.
    assert_eq!(map.delta_since(&LwwMapSummary::default()), map);
}

#[test]
fn the_summary_holds_every_key_and_stamp_and_no_value() {
    let mut map: LwwMap<String, String, u64> = LwwMap::new();
    map.insert(
        "b".into(),
        "a long value that the summary leaves out".into(),
        4,
    );
    map.insert("a".into(), "x".into(), 2);
    map.remove("c".into(), 7);
    let summary = map.summary();
    assert_eq!((summary.len(), summary.is_empty()), (3, false));
    let listed: Vec<(&str, u64)> = summary.iter().map(|(k, &s)| (k.as_str(), s)).collect();
    assert_eq!(listed, [("a", 2), ("b", 4), ("c", 7)]);
    assert!(!format!("{summary:?}").contains("long value"));
    assert_eq!(
        format!("{summary:?}"),
        r#"LwwMapSummary({"a": 2, "b": 4, "c": 7})"#
    );
    assert!(LwwMap::<u8, u8, u64>::new().summary().is_empty());
}

#[test]
fn a_compaction_below_an_unstable_stamp_loses_the_delete() {
    // `old` was cut off before the delete of key 1 and still holds the put.
    let mut old = Map::new();
    old.insert(1, 10, 1);
    let mut new = old.clone();
    new.remove(1, 2);

    // Compacting at a stamp `old` has not passed frees the tombstone: catch-up then cannot
    // carry the delete, and the replicas disagree.
    let mut compacted = new.clone();
    assert_eq!(compacted.compact(&2), 1);
    let delta = compacted.delta_since(&old.summary());
    assert_eq!(delta, Map::new());
    assert_eq!(joined(&old, &delta).get(&1), Some(&10));

    // Without the compaction (or once `old` has merged the delete) the delete arrives.
    let delta = new.delta_since(&old.summary());
    assert_eq!(joined(&old, &delta).get(&1), None);
}

/// `map` after `writes` random writes stamped in `lane` (0, 1 or 2): replicas writing in
/// different lanes never share a stamp, as honest replicas never do.
fn random_map(rng: &mut StdRng, base: &Map, writes: usize, lane: u64) -> Map {
    let mut map = base.clone();
    for _ in 0..writes {
        let key = rng.random_range(0..24);
        let stamp = rng.random_range(0..1_000) * 3 + lane;
        if rng.random_bool(0.3) {
            map.remove(key, stamp);
        } else {
            map.insert(key, rng.random_range(0..4), stamp);
        }
    }
    map
}

#[test]
fn random_replicas_are_sent_exactly_their_novelty() {
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let common = random_map(&mut rng, &Map::new(), 10, 0);
        let x = random_map(&mut rng, &common, 8, 1);
        let y = random_map(&mut rng, &common, 8, 2);
        let delta = x.delta_since(&y.summary());
        assert_eq!(joined(&y, &delta), joined(&y, &x), "seed {seed}: catch-up");
        // Exactly the entries of `x` that win over `y`'s: nothing `y` had, nothing missing.
        assert_eq!(y.novel(&x).unwrap_or_default(), delta, "seed {seed}");
    }
}

#[test]
fn equal_stamps_of_different_writes_are_not_told_apart() {
    // Only a misbehaving replica issues one stamp twice; the summary carries no value, so the
    // tie-break of merge (the greater value wins) does not travel by catch-up.
    let mut low = Map::new();
    low.insert(1, 10, 5);
    let mut high = Map::new();
    high.insert(1, 11, 5);
    assert_eq!(high.delta_since(&low.summary()), Map::new());
    assert_eq!(joined(&low, &high).get(&1), Some(&11));
}

#[cfg(feature = "serde")]
mod wire {
    use concord_map::LwwMapSummary;
    use concord_map::concord_clock::LamportTimestamp;
    use concord_map::concord_core::codec::{self, DecodeError, WireType, tag};
    use concord_map::concord_core::{CatchUp, MAX_ENTRIES, ValidationError};
    use serde::{Deserialize, Serialize};

    type Ts = LamportTimestamp<u64>;
    type Summary = LwwMapSummary<u32, Ts>;
    type Map = concord_map::LwwMap<u32, String, Ts>;

    /// The same shape as the summary's encoding, without its checks.
    #[derive(Serialize, Deserialize)]
    struct LookAlike {
        entries: Vec<(u32, Ts)>,
    }

    impl WireType for LookAlike {
        const TAG: u16 = tag::LWW_MAP_SUMMARY;
        const VERSION: u16 = 1;
        const NAME: &'static str = "LookAlike";
    }

    fn ts(time: u64) -> Ts {
        LamportTimestamp::new(time, 1)
    }

    fn craft(entries: Vec<(u32, Ts)>) -> Vec<u8> {
        codec::encode(&LookAlike { entries }).unwrap()
    }

    fn refusal(bytes: &[u8]) -> String {
        match codec::decode::<Summary>(bytes) {
            Err(DecodeError::Invalid { type_name, reason }) => {
                assert_eq!(type_name, "LwwMapSummary");
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
    fn a_summary_round_trips_and_matches_the_look_alike() {
        let summary = sample().summary();
        let bytes = codec::encode(&summary).unwrap();
        assert_eq!(codec::decode::<Summary>(&bytes).unwrap(), summary);
        assert_eq!(bytes, craft(vec![(1, ts(1)), (2, ts(2)), (7, ts(3))]));
        let empty = codec::encode(&Summary::default()).unwrap();
        assert_eq!(
            codec::decode::<Summary>(&empty).unwrap(),
            Summary::default()
        );
    }

    #[test]
    fn unsorted_and_duplicate_keys_are_refused() {
        let unsorted = craft(vec![(1, ts(1)), (5, ts(2)), (3, ts(3))]);
        assert!(refusal(&unsorted).contains(&ValidationError::Unsorted.to_string()));
        let twice = craft(vec![(1, ts(1)), (4, ts(2)), (4, ts(3))]);
        assert!(refusal(&twice).contains(&ValidationError::Duplicate.to_string()));
    }

    #[test]
    fn more_entries_than_the_limit_are_refused() {
        let bytes = craft((0..=MAX_ENTRIES as u32).map(|k| (k, ts(1))).collect());
        let expected = ValidationError::TooMany {
            len: MAX_ENTRIES + 1,
            max: MAX_ENTRIES,
        };
        assert!(refusal(&bytes).contains(&expected.to_string()));
    }

    #[test]
    fn a_map_and_its_summary_are_told_apart_by_tag() {
        let map = codec::encode(&sample()).unwrap();
        assert!(matches!(
            codec::decode::<Summary>(&map),
            Err(DecodeError::WrongType { .. })
        ));
        let summary = codec::encode(&sample().summary()).unwrap();
        assert!(matches!(
            codec::decode::<Map>(&summary),
            Err(DecodeError::WrongType { .. })
        ));
    }

    #[test]
    fn every_prefix_of_an_encoding_is_refused_without_panic() {
        let bytes = codec::encode(&sample().summary()).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                codec::decode::<Summary>(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }
}
