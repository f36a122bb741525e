//! Catching an `LwwElementSet` up from a summary (the set itself): per element only the stamps
//! that beat the summary's are sent, whole entries for elements it lacks, nothing it has; and
//! a compaction below an unstable stamp loses a remove.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_set::concord_core::CatchUp;
use concord_set::{AddWins, Bias, LwwElementSet, Merge, RemoveWins};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Plain `u64` stamps, so a test can place operations exactly.
type Set<B = AddWins> = LwwElementSet<u16, u64, B>;

fn joined<B: Bias>(a: &Set<B>, b: &Set<B>) -> Set<B> {
    let mut out = a.clone();
    out.merge(b);
    out
}

/// Every entry as `(element, add stamp, remove stamp)`; the tests draw elements below 64.
fn entries<B: Bias>(set: &Set<B>) -> Vec<(u16, Option<u64>, Option<u64>)> {
    (0..64)
        .filter_map(|e| {
            let (add, remove) = set.stamps(&e)?;
            Some((e, add.copied(), remove.copied()))
        })
        .collect()
}

#[test]
fn a_cut_off_replica_is_sent_only_the_stamps_it_lacks() {
    let mut behind: Set = Set::new();
    behind.insert(1, 1);
    behind.insert(2, 2);
    behind.insert(3, 3);
    behind.remove(4, 4);
    behind.insert(5, 9);
    behind.remove(5, 10);

    let mut ahead = Set::new();
    ahead.insert(1, 1); // the same add: not sent
    ahead.insert(2, 2);
    ahead.remove(2, 5); // a remove of a known element: only the remove stamp is sent
    ahead.insert(3, 6); // a newer add
    ahead.remove(4, 4);
    ahead.insert(4, 7); // a re-add over a tombstone: only the add stamp
    ahead.insert(5, 8); // older stamps than `behind`'s: not sent
    ahead.remove(5, 8);
    ahead.insert(6, 2); // an element `behind` never saw, whole
    ahead.remove(6, 3);
    ahead.remove(7, 3); // a remove of an element `behind` never saw

    let delta = ahead.delta_since(&behind.summary());
    assert_eq!(
        entries(&delta),
        [
            (2, None, Some(5)),
            (3, Some(6), None),
            (4, Some(7), None),
            (6, Some(2), Some(3)),
            (7, None, Some(3)),
        ]
    );
    assert_eq!(delta.iter().copied().collect::<Vec<_>>(), [3, 4]);
    assert_eq!(joined(&behind, &delta), joined(&behind, &ahead));
}

#[test]
fn equal_states_send_nothing() {
    let mut set: Set = Set::new();
    set.insert(1, 1);
    set.remove(2, 2);
    assert_eq!(set.delta_since(&set.summary()), Set::new());
    assert_eq!(Set::new().delta_since(&set.summary()), Set::new());
    // An empty summary asks for everything.
    assert_eq!(set.delta_since(&Set::new()), set);
    assert_eq!(set.summary(), set);
}

#[test]
fn a_compaction_below_an_unstable_stamp_loses_the_remove() {
    // `old` was cut off before the remove and still holds the add.
    let mut old: Set = Set::new();
    old.insert(1, 1);
    let mut new = old.clone();
    new.remove(1, 2);

    // Compacting at a stamp `old` has not passed frees the tombstone: catch-up then cannot
    // carry the remove, and the replicas disagree.
    let mut compacted = new.clone();
    assert_eq!(compacted.compact(&2), 1);
    let delta = compacted.delta_since(&old.summary());
    assert_eq!(delta, Set::new());
    assert!(joined(&old, &delta).contains(&1));

    // Without the compaction the remove arrives.
    assert!(!joined(&old, &new.delta_since(&old.summary())).contains(&1));
}

/// `set` after `ops` random inserts and removes.
fn random_set<B: Bias>(rng: &mut StdRng, base: &Set<B>, ops: usize) -> Set<B> {
    let mut set = base.clone();
    for _ in 0..ops {
        let elem = rng.random_range(0..24);
        let stamp = rng.random_range(0..200);
        if rng.random_bool(0.4) {
            set.remove(elem, stamp);
        } else {
            set.insert(elem, stamp);
        }
    }
    set
}

fn random_replicas_catch_up<B: Bias>() {
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let common = random_set::<B>(&mut rng, &Set::new(), 10);
        let x = random_set(&mut rng, &common, 8);
        let y = random_set(&mut rng, &common, 8);
        let delta = x.delta_since(&y.summary());
        assert_eq!(joined(&y, &delta), joined(&y, &x), "seed {seed}: catch-up");
        assert_eq!(joined(&x, &delta), x, "seed {seed}: the delta is part of x");
        // Every stamp sent beats `y`'s for its element: nothing `y` had is sent.
        for (elem, add, remove) in entries(&delta) {
            let (y_add, y_remove) = y.stamps(&elem).unwrap_or((None, None));
            let beats = |sent: Option<u64>, known: Option<&u64>| {
                sent.is_none_or(|s| known.is_none_or(|k| s > *k))
            };
            assert!(
                beats(add, y_add) && beats(remove, y_remove),
                "seed {seed}: element {elem} sent with a stamp the summary has"
            );
        }
    }
}

#[test]
fn random_add_wins_replicas_catch_up_with_no_redundant_stamp() {
    random_replicas_catch_up::<AddWins>();
}

#[test]
fn random_remove_wins_replicas_catch_up_with_no_redundant_stamp() {
    random_replicas_catch_up::<RemoveWins>();
}
