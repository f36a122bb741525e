//! Range-based reconciliation on a model of an LWW map (key → stamp, the greater stamp
//! wins): every exchange leaves the replica behind with everything the other side has, the
//! entries sent are the ones whose write differs, the cost follows the difference, and hostile
//! summaries are refused on decode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use std::collections::BTreeMap;

use concord_core::codec::{self, DecodeError};
use concord_core::reconcile::{self, Bucket, Index, LEAF, Probe, RangeSummary};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Model = BTreeMap<u64, u64>;

fn index(model: &Model) -> Index {
    Index::new(
        model
            .iter()
            .map(|(k, s)| (reconcile::key_hash(k), reconcile::digest(&(k, s)))),
    )
}

/// What one exchange cost.
#[derive(Debug, Default)]
struct Cost {
    rounds: usize,
    /// Entries the answering side sent.
    sent: usize,
    /// Encoded bytes of every summary and question.
    summary_bytes: usize,
}

/// Runs the exchange: `behind` sends its summary, `ahead` answers, `behind` merges the entries
/// (greater stamp wins) and refines, until no question is left.
fn exchange(behind: &mut Model, ahead: &Model) -> Cost {
    let mut cost = Cost::default();
    let mut summary = Some(index(behind).summary());
    while let Some(asked) = summary {
        cost.rounds += 1;
        assert!(
            cost.rounds <= 32,
            "the exchange must end within the tree's depth"
        );
        cost.summary_bytes += codec::encode(&asked).unwrap().len();
        let entries: Vec<(&u64, &u64)> = ahead.iter().collect();
        let answer = index(ahead).answer(&asked);
        if let Some(q) = &answer.questions {
            cost.summary_bytes += codec::encode(q).unwrap().len();
        }
        cost.sent += answer.send.len();
        for at in answer.send {
            let (k, s) = entries[at];
            let held = behind.entry(*k).or_insert(*s);
            *held = (*held).max(*s);
        }
        summary = answer.questions.and_then(|q| index(behind).refine(&q));
    }
    cost
}

fn joined(a: &Model, b: &Model) -> Model {
    let mut out = a.clone();
    for (k, s) in b {
        let held = out.entry(*k).or_insert(*s);
        *held = (*held).max(*s);
    }
    out
}

#[test]
fn random_replicas_reconcile_and_are_sent_only_differing_writes() {
    let mut rounds_seen = 0;
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let size = [0, 5, 40, 300, 2_000][usize::try_from(seed % 5).unwrap()];
        let common: Model = (0..size).map(|k| (k * 7, 1)).collect();
        let mut x = common.clone();
        let mut y = common;
        for _ in 0..rng.random_range(0..30) {
            x.insert(rng.random_range(0..size * 8 + 10), rng.random_range(0..100));
        }
        for _ in 0..rng.random_range(0..30) {
            y.insert(rng.random_range(0..size * 8 + 10), rng.random_range(0..100));
        }
        let differing = x.iter().filter(|(k, s)| y.get(k) != Some(s)).count();
        let expected = joined(&y, &x);
        let mut caught = y.clone();
        let cost = exchange(&mut caught, &x);
        assert_eq!(caught, expected, "seed {seed}: the exchange loses nothing");
        // Every differing write is sent; beyond them, at most one small bucket's worth per
        // bucket where `x` holds no more than LEAF entries and `y` more.
        assert!(cost.sent >= differing, "seed {seed}");
        assert!(
            cost.sent <= differing + LEAF * differing.max(1),
            "seed {seed}: {cost:?}"
        );
        rounds_seen = rounds_seen.max(cost.rounds);
    }
    assert!(
        rounds_seen > 1,
        "some exchange must have needed a second round"
    );
}

#[test]
fn equal_replicas_agree_in_one_round_with_nothing_sent() {
    for size in [0u64, 1, LEAF as u64, 10_000] {
        let model: Model = (0..size).map(|k| (k, k)).collect();
        let mut copy = model.clone();
        let cost = exchange(&mut copy, &model);
        assert_eq!((cost.rounds, cost.sent), (1, 0), "size {size}");
    }
}

#[test]
fn a_replica_missing_one_percent_of_a_large_set_receives_about_one_percent() {
    let n: u64 = 200_000;
    let full: Model = (0..n)
        .map(|k| (k.wrapping_mul(0x9e37_79b9_7f4a_7c15), 1))
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    let mut behind = full.clone();
    let keys: Vec<u64> = full.keys().copied().collect();
    let mut missing = 0;
    while missing < n / 100 {
        if behind
            .remove(&keys[rng.random_range(0..keys.len())])
            .is_some()
        {
            missing += 1;
        }
    }
    let cost = exchange(&mut behind, &full);
    assert_eq!(behind, full);
    // Every entry is 16 bytes of key and stamp: the summaries and questions are measured
    // against the entries sent, and against the whole state.
    let state_bytes = n as usize * 16;
    println!(
        "missing {missing} of {n}: {} entries sent in {} rounds, {} summary and question bytes \
         ({:.2}% of the state's {} bytes)",
        cost.sent,
        cost.rounds,
        cost.summary_bytes,
        100.0 * cost.summary_bytes as f64 / state_bytes as f64,
        state_bytes
    );
    assert_eq!(
        cost.sent as u64, missing,
        "exactly the missing entries are sent"
    );
    assert!(cost.rounds <= 12, "about log4(n) rounds: {cost:?}");
    // The metadata follows the difference: fingerprints along the paths to each missing
    // entry (about log4(n / missing) levels of four), not the size of the state.
    assert!(
        cost.summary_bytes < 256 * missing as usize,
        "the metadata must stay within 256 bytes per missing entry: {cost:?}"
    );
}

#[test]
fn summaries_round_trip() {
    let model: Model = (0..1_000).map(|k| (k, k)).collect();
    let mut other = model.clone();
    other.insert(5, 9_999);
    let summary = index(&model).summary();
    let bytes = codec::encode(&summary).unwrap();
    assert_eq!(codec::decode::<RangeSummary>(&bytes).unwrap(), summary);
    let questions = index(&other).answer(&summary).questions.unwrap();
    assert!(!questions.is_empty());
    let bytes = codec::encode(&questions).unwrap();
    assert_eq!(codec::decode::<RangeSummary>(&bytes).unwrap(), questions);
    for cut in 0..bytes.len() {
        assert!(
            codec::decode::<RangeSummary>(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}

/// A bucket's wire form: the prefix below a bit at position `2 * depth`.
fn path(depth: u32, prefix: u64) -> u64 {
    (1 << (2 * depth)) | prefix
}

/// The encoding of a list of probes, without the summary's checks.
fn craft(probes: Vec<(u64, Probe)>) -> Vec<u8> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct LookAlike(Vec<(u64, Probe)>);
    impl codec::WireType for LookAlike {
        const TAG: u16 = codec::tag::RANGE_SUMMARY;
        const VERSION: u16 = 1;
        const NAME: &'static str = "LookAlike";
    }
    codec::encode(&LookAlike(probes)).unwrap()
}

fn refusal(bytes: &[u8]) -> String {
    match codec::decode::<RangeSummary>(bytes) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid-summary refusal, got {other:?}"),
    }
}

#[test]
fn hostile_summaries_are_refused() {
    let fp = Probe::Fingerprint { count: 3, sum: 1 };
    // The look-alike encodes like the real thing.
    let root = RangeSummary::try_from(vec![(Bucket::ROOT, fp.clone())]).unwrap();
    assert_eq!(
        craft(vec![(path(0, 0), fp.clone())]),
        codec::encode(&root).unwrap()
    );

    let deep = "deeper than 31 levels, or with a prefix longer";
    assert!(refusal(&craft(vec![(0, fp.clone())])).contains(deep));
    assert!(refusal(&craft(vec![(1 << 63, fp.clone())])).contains(deep));
    assert!(refusal(&craft(vec![(0b10_11, fp.clone())])).contains(deep));
    // Overlapping: the root and one of its children; out of order: two children reversed.
    let overlapping = craft(vec![(path(0, 0), fp.clone()), (path(1, 3), fp.clone())]);
    assert!(refusal(&overlapping).contains("overlapping"));
    let reversed = craft(vec![(path(1, 2), fp.clone()), (path(1, 1), fp.clone())]);
    assert!(refusal(&reversed).contains("out of key-hash order"));
    let unsorted = craft(vec![(path(1, 1), Probe::Digests(vec![3, 1]))]);
    assert!(refusal(&unsorted).contains("digests not sorted"));
    // Disjoint buckets in order, at several depths, are fine.
    let fine = craft(vec![
        (path(1, 0), fp.clone()),
        (path(2, 0b0100), Probe::Digests(vec![1, 1, 4])),
        (path(31, (1 << 62) - 1), fp),
    ]);
    assert!(codec::decode::<RangeSummary>(&fine).is_ok());
}

#[test]
fn buckets_cover_the_hash_space_without_gaps() {
    assert_eq!((Bucket::ROOT.first(), Bucket::ROOT.last()), (0, u64::MAX));
    let first = Bucket::new(1, 0).unwrap();
    let last = Bucket::new(1, 3).unwrap();
    assert_eq!((first.first(), first.last()), (0, u64::MAX >> 2));
    assert_eq!((last.first(), last.last()), (0b11 << 62, u64::MAX));
    let leaf = Bucket::new(31, 42).unwrap();
    assert_eq!((leaf.first(), leaf.last()), (42 << 2, (42 << 2) | 3));
    assert!(Bucket::new(32, 0).is_none());
    assert!(Bucket::new(2, 16).is_none());
}

#[test]
fn hashes_are_fixed_across_platforms_and_releases() {
    // The values every build must compute: a change here breaks catch-up between versions
    // (it still converges, but every exchange then descends to digest lists).
    assert_eq!(reconcile::key_hash(&1u64), reconcile::key_hash(&1u64));
    assert_ne!(reconcile::key_hash(&1u64), reconcile::digest(&1u64));
    println!(
        "key_hash(1u64) = {:#x}, digest((1u64, 2u64)) = {:#x}, key_hash(\"a\") = {:#x}",
        reconcile::key_hash(&1u64),
        reconcile::digest(&(1u64, 2u64)),
        reconcile::key_hash("a")
    );
}
