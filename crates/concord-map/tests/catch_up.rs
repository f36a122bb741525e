//! Catching an `LwwMap` up through the range-based exchange: what differs is sent (newer
//! puts, new keys, deletes), nothing the replica has; a compaction below an unstable stamp
//! loses a delete; and a map and its summary are told apart on the wire.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_map::concord_core::CatchUp;
use concord_map::concord_core::reconcile::RangeSummary;
use concord_map::{LwwMap, Merge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Plain `u64` stamps, so a test can place writes exactly.
type Map = LwwMap<u16, u32, u64>;

fn joined(a: &Map, b: &Map) -> Map {
    let mut out = a.clone();
    out.merge(b);
    out
}

/// Every entry of `map` as `(key, stamp, value or none)`, tombstones included; the tests draw
/// keys below 64.
fn entries(map: &Map) -> Vec<(u16, u64, Option<u32>)> {
    (0..64)
        .filter_map(|k| Some((k, *map.stamp(&k)?, map.get(&k).copied())))
        .collect()
}

/// The whole exchange: `behind` sends its summary, merges each answer of `ahead` and refines
/// its questions. Returns the join of the answers and the rounds taken.
fn catch_up<K, V, S>(
    behind: &mut LwwMap<K, V, S>,
    ahead: &LwwMap<K, V, S>,
) -> (LwwMap<K, V, S>, usize)
where
    LwwMap<K, V, S>: CatchUp<Summary = RangeSummary> + Default,
{
    let mut received = LwwMap::default();
    let mut rounds = 0;
    let mut summary = Some(behind.summary());
    while let Some(asked) = summary {
        rounds += 1;
        assert!(rounds <= 32, "the exchange must end");
        let (delta, questions) = ahead.answer(&asked);
        behind.merge(&delta);
        received.merge(&delta);
        summary = questions.and_then(|q| behind.refine(&q));
    }
    (received, rounds)
}

#[test]
fn a_cut_off_replica_is_sent_what_differs() {
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
    ahead.insert(5, 49, 8); // older than `behind`'s write: sent (a digest cannot tell which
    // write is newer), and lost in the merge
    ahead.insert(6, 60, 2); // a key `behind` never saw
    ahead.remove(7, 3); // a delete of a key `behind` never saw

    let expected = joined(&behind, &ahead);
    let (received, rounds) = catch_up(&mut behind, &ahead);
    assert_eq!(rounds, 1, "a small map is listed by its digests at once");
    assert_eq!(
        entries(&received),
        [
            (2, 5, Some(21)),
            (3, 6, None),
            (4, 7, Some(40)),
            (5, 8, Some(49)),
            (6, 2, Some(60)),
            (7, 3, None),
        ]
    );
    assert_eq!(behind, expected);
    assert_eq!(behind.get(&5), Some(&50));
}

#[test]
fn equal_states_send_nothing() {
    let mut map = Map::new();
    for key in 0..40 {
        map.insert(key, 1, u64::from(key));
    }
    map.remove(50, 2);
    let (received, rounds) = catch_up(&mut map.clone(), &map);
    assert_eq!((received, rounds), (Map::new(), 1));
    // An empty map asks for everything, and has nothing to give.
    let mut empty = Map::new();
    assert_eq!(catch_up(&mut empty, &map).0, map);
    assert_eq!(catch_up(&mut map.clone(), &Map::new()).0, Map::new());
}

#[test]
fn a_large_map_sends_only_the_few_entries_that_changed() {
    let mut ahead: LwwMap<u32, u32, u64> = LwwMap::new();
    for key in 0..50_000 {
        ahead.insert(key, key, 1);
    }
    let mut behind = ahead.clone();
    for key in (0..50_000).step_by(997) {
        ahead.insert(key, 0, 2);
    }
    ahead.remove(3, 3);
    let expected = joined_any(&behind, &ahead);
    let (received, rounds) = catch_up(&mut behind, &ahead);
    assert_eq!(behind, expected);
    assert_eq!(received.len() + received.tombstones(), 51 + 1);
    assert!(rounds > 1 && rounds <= 12, "{rounds} rounds");
}

fn joined_any(a: &LwwMap<u32, u32, u64>, b: &LwwMap<u32, u32, u64>) -> LwwMap<u32, u32, u64> {
    let mut out = a.clone();
    out.merge(b);
    out
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
    let mut lagging = old.clone();
    assert_eq!(catch_up(&mut lagging, &compacted).0, Map::new());
    assert_eq!(lagging.get(&1), Some(&10));

    // Without the compaction (or once `old` has merged the delete) the delete arrives.
    let mut lagging = old;
    catch_up(&mut lagging, &new);
    assert_eq!(lagging.get(&1), None);
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
fn random_replicas_catch_up_and_are_sent_only_what_differs() {
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let common = random_map(&mut rng, &Map::new(), 10, 0);
        let x = random_map(&mut rng, &common, 8, 1);
        let y = random_map(&mut rng, &common, 8, 2);
        let mut caught = y.clone();
        let (received, _) = catch_up(&mut caught, &x);
        assert_eq!(caught, joined(&y, &x), "seed {seed}: catch-up");
        // Only writes of `x` that `y` does not hold are sent.
        for (key, stamp, value) in entries(&received) {
            assert_eq!(x.stamp(&key), Some(&stamp), "seed {seed}: a write of x");
            assert_eq!(x.get(&key).copied(), value, "seed {seed}");
            assert_ne!(
                y.stamp(&key),
                Some(&stamp),
                "seed {seed}: {key} was held already"
            );
        }
    }
}

#[test]
fn equal_stamps_of_different_writes_are_not_told_apart() {
    // Only a misbehaving replica issues one stamp twice; the digests cover keys and stamps,
    // not values, so the tie-break of merge (the greater value wins) does not travel by
    // catch-up.
    let mut low = Map::new();
    low.insert(1, 10, 5);
    let mut high = Map::new();
    high.insert(1, 11, 5);
    assert_eq!(catch_up(&mut low.clone(), &high).0, Map::new());
    assert_eq!(joined(&low, &high).get(&1), Some(&11));
}

#[cfg(feature = "serde")]
mod wire {
    use concord_map::concord_clock::LamportTimestamp;
    use concord_map::concord_core::CatchUp;
    use concord_map::concord_core::codec::{self, DecodeError};
    use concord_map::concord_core::reconcile::RangeSummary;

    type Ts = LamportTimestamp<u64>;
    type Map = concord_map::LwwMap<u32, String, Ts>;

    fn sample() -> Map {
        let mut map = Map::new();
        for key in 0..100 {
            map.insert(
                key,
                key.to_string(),
                LamportTimestamp::new(u64::from(key), 1),
            );
        }
        map.remove(200, LamportTimestamp::new(1_000, 1));
        map
    }

    #[test]
    fn a_summary_round_trips_and_holds_no_value() {
        let mut map = sample();
        map.insert(
            7,
            "a long value that no summary carries".into(),
            LamportTimestamp::new(500, 1),
        );
        let summary = map.summary();
        let bytes = codec::encode(&summary).unwrap();
        assert_eq!(codec::decode::<RangeSummary>(&bytes).unwrap(), summary);
        // A hundred entries are listed by their digests, eight bytes each, in 16 buckets.
        assert_eq!(summary.probes().len(), 16);
        assert!(bytes.len() < 101 * 8 + 16 * 4, "{} bytes", bytes.len());
        // Ten thousand, by 64 fingerprints: the exchange narrows down from there.
        let mut large = Map::new();
        for key in 0..10_000 {
            large.insert(key, String::new(), LamportTimestamp::new(1, 1));
        }
        let bytes = codec::encode(&large.summary()).unwrap();
        assert!(bytes.len() < 64 * 16, "{} bytes", bytes.len());
    }

    #[test]
    fn a_map_and_its_summary_are_told_apart_by_tag() {
        let map = codec::encode(&sample()).unwrap();
        assert!(matches!(
            codec::decode::<RangeSummary>(&map),
            Err(DecodeError::WrongType { .. })
        ));
        let summary = codec::encode(&sample().summary()).unwrap();
        assert!(matches!(
            codec::decode::<Map>(&summary),
            Err(DecodeError::WrongType { .. })
        ));
    }
}
