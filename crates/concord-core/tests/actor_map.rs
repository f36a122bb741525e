//! ActorMap against a BTreeMap model: merge, order and the in-place paths.

use std::collections::BTreeMap;

use concord_core::Merge;
use concord_core::lattice::ActorMap;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_map(rng: &mut Rng, actors: u64, max: u64) -> (ActorMap<u64>, BTreeMap<u64, u64>) {
    let mut map = ActorMap::new();
    let mut model = BTreeMap::new();
    for _ in 0..rng.next() % 12 {
        let a = rng.next() % actors;
        let v = rng.next() % max;
        map.set(a, v);
        if v == 0 {
            model.remove(&a);
        } else {
            model.insert(a, v);
        }
    }
    (map, model)
}

#[test]
fn merge_and_compare_match_a_model() {
    let mut rng = Rng(0x1234_5678);
    for _ in 0..5_000 {
        let (mut a, ma) = random_map(&mut rng, 10, 4);
        let (b, mb) = random_map(&mut rng, 10, 4);
        let le = ma.iter().all(|(k, v)| mb.get(k).is_some_and(|w| v <= w));
        let ge = mb.iter().all(|(k, v)| ma.get(k).is_some_and(|w| v <= w));
        let expected = match (le, ge) {
            (true, true) => Some(std::cmp::Ordering::Equal),
            (true, false) => Some(std::cmp::Ordering::Less),
            (false, true) => Some(std::cmp::Ordering::Greater),
            (false, false) => None,
        };
        assert_eq!(a.partial_cmp(&b), expected, "{a:?} vs {b:?}");
        let mut model = ma.clone();
        for (k, v) in &mb {
            let e = model.entry(*k).or_insert(0);
            *e = (*e).max(*v);
        }
        a.merge(&b);
        assert_eq!(
            a.iter().map(|(k, v)| (*k, v)).collect::<BTreeMap<_, _>>(),
            model
        );
        assert!(a.actors().windows(2).all(|w| w[0] < w[1]));
        assert!(a.values().iter().all(|v| *v != 0));
    }
}

/// Large maps, so merges are cut into lanes: every mix of shared and own actors, including
/// one side entirely below or above the other and runs of shared actors at lane borders.
#[test]
fn large_merges_match_a_model() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3_000 {
        let universe = [40, 200, 1_000, 100_000][round % 4];
        let shift = if round % 7 == 0 { universe } else { 0 };
        let mut a = ActorMap::<u64, [u64; 2]>::new();
        let mut b = ActorMap::new();
        let mut model = BTreeMap::new();
        for (map, offset) in [(&mut a, 0), (&mut b, shift)] {
            for _ in 0..rng.next() % 300 {
                let actor = rng.next() % universe + offset;
                let value = [rng.next() % 5, rng.next() % 5];
                map.set(actor, value);
            }
        }
        for (k, v) in a.iter().chain(b.iter()) {
            let e = model.entry(*k).or_insert([0, 0]);
            *e = [e[0].max(v[0]), e[1].max(v[1])];
        }
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.merge(&b);
        ba.merge(&a);
        assert_eq!(ab, ba, "round {round}");
        assert_eq!(
            ab.iter().map(|(k, v)| (*k, v)).collect::<BTreeMap<_, _>>(),
            model,
            "round {round}"
        );
        assert_eq!(ab.actors().len(), model.len());
        assert!(ab.actors().windows(2).all(|w| w[0] < w[1]));
        assert!(ab.values().iter().all(|v| *v != [0, 0]));
    }
}

#[test]
fn pairs_merge_pointwise() {
    let mut a = ActorMap::<u64, [u64; 2]>::new();
    a.set(1, [5, 0]);
    let mut b = ActorMap::new();
    b.set(1, [2, 3]);
    b.set(2, [0, 1]);
    a.merge(&b);
    assert_eq!(a.get(&1), [5, 3]);
    assert_eq!(a.get(&2), [0, 1]);
    assert_eq!(a.get(&3), [0, 0]);
}

#[test]
fn from_parts_refuses_broken_invariants() {
    assert!(ActorMap::<u64>::from_parts(vec![1, 2], vec![1]).is_err());
    assert!(ActorMap::<u64>::from_parts(vec![2, 1], vec![1, 1]).is_err());
    assert!(ActorMap::<u64>::from_parts(vec![1, 1], vec![1, 1]).is_err());
    assert!(ActorMap::<u64>::from_parts(vec![1, 2], vec![1, 0]).is_err());
    assert_eq!(
        ActorMap::<u64>::from_parts(vec![1, 2], vec![1, 9])
            .unwrap()
            .get(&2),
        9
    );
}

#[test]
fn collecting_and_extending_join_entries_like_the_model() {
    let mut rng = Rng(0x9e37_79b9);
    for _ in 0..2_000 {
        let pairs: Vec<(u64, u64)> = (0..rng.next() % 16)
            .map(|_| (rng.next() % 8, rng.next() % 5))
            .collect();
        let mut model = BTreeMap::new();
        for &(a, v) in &pairs {
            if v > 0 {
                let e = model.entry(a).or_insert(0);
                *e = v.max(*e);
            }
        }
        let collected: ActorMap<u64> = pairs.iter().copied().collect();
        assert_eq!(
            (&collected)
                .into_iter()
                .map(|(a, v)| (*a, v))
                .collect::<BTreeMap<_, _>>(),
            model,
            "{pairs:?}"
        );
        assert!(collected.values().iter().all(|v| *v != 0));

        let (mut extended, base) = random_map(&mut rng, 8, 5);
        extended.extend(pairs.iter().copied());
        let mut expected = base.clone();
        for (a, v) in &model {
            let e = expected.entry(*a).or_insert(0);
            *e = (*v).max(*e);
        }
        assert_eq!(
            extended
                .iter()
                .map(|(a, v)| (*a, v))
                .collect::<BTreeMap<_, _>>(),
            expected
        );
    }
}
