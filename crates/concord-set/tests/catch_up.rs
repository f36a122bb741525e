//! Catching an `LwwElementSet` up through the range-based exchange: the entries whose stamps
//! differ are sent whole, nothing the replica has; and a compaction below an unstable stamp
//! loses a remove.
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

/// The whole exchange: `behind` sends its summary, merges each answer of `ahead` and refines
/// its questions. Returns the join of the answers and the rounds taken.
fn catch_up<B: Bias>(behind: &mut Set<B>, ahead: &Set<B>) -> (Set<B>, usize) {
    let mut received = Set::new();
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
fn a_cut_off_replica_is_sent_the_entries_that_differ() {
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

    let expected = joined(&behind, &ahead);
    let (delta, rounds) = catch_up(&mut behind, &ahead);
    assert_eq!(rounds, 1, "a small set is listed by its digests at once");
    assert_eq!(
        entries(&delta),
        [
            (2, Some(2), Some(5)),
            (3, Some(6), None),
            (4, Some(7), Some(4)),
            (5, Some(8), Some(8)), // older than `behind`'s: sent, lost in the merge
            (6, Some(2), Some(3)),
            (7, None, Some(3)),
        ]
    );
    assert_eq!(behind, expected);
}

#[test]
fn equal_states_send_nothing() {
    let mut set: Set = Set::new();
    for elem in 0..40 {
        set.insert(elem, u64::from(elem));
    }
    set.remove(50, 2);
    assert_eq!(catch_up(&mut set.clone(), &set), (Set::new(), 1));
    // An empty set asks for everything, and has nothing to give.
    assert_eq!(catch_up(&mut Set::new(), &set).0, set);
    assert_eq!(catch_up(&mut set.clone(), &Set::new()).0, Set::new());
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
    let mut lagging = old.clone();
    assert_eq!(catch_up(&mut lagging, &compacted).0, Set::new());
    assert!(lagging.contains(&1));

    // Without the compaction the remove arrives.
    let mut lagging = old;
    catch_up(&mut lagging, &new);
    assert!(!lagging.contains(&1));
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
        let mut caught = y.clone();
        let (delta, _) = catch_up(&mut caught, &x);
        assert_eq!(caught, joined(&y, &x), "seed {seed}: catch-up");
        assert_eq!(joined(&x, &delta), x, "seed {seed}: the delta is part of x");
        // Only entries whose stamps differ from `y`'s are sent.
        for (elem, add, remove) in entries(&delta) {
            let (x_add, x_remove) = x.stamps(&elem).unwrap();
            assert_eq!(
                (x_add.copied(), x_remove.copied()),
                (add, remove),
                "seed {seed}"
            );
            let held = y.stamps(&elem).map(|(a, r)| (a.copied(), r.copied()));
            assert_ne!(
                held,
                Some((add, remove)),
                "seed {seed}: {elem} was held already"
            );
        }
    }
}

#[test]
fn random_add_wins_replicas_catch_up_with_no_redundant_entry() {
    random_replicas_catch_up::<AddWins>();
}

#[test]
fn random_remove_wins_replicas_catch_up_with_no_redundant_entry() {
    random_replicas_catch_up::<RemoveWins>();
}
