//! The law kit on the standard building blocks: `Option<T>` (None is bottom), tuples (the
//! product), `BTreeMap<K, V>` (grow-only map) and `BTreeSet<T>` (grow-only set), each built on
//! a maximum of `u64`s, and a derived struct of all of them.
//!
//! `law_tests!` decodes states through the codec, so each state is a newtype with a
//! `WireType` tag from `tag::USER` up; its merge is the standard type's merge, untouched. The
//! newtypes also give the lattice order as `PartialOrd` (tuples, maps and sets order
//! themselves lexicographically, which is not the lattice order).
#![cfg(feature = "laws")]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use concord_core::Merge;
use concord_core::codec::{WireType, tag};
use concord_core::lattice::partial_order;
use concord_core::laws::{self, Model};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

/// The maximum of `u64`s: the lattice every model below is built on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Max(u64);

impl Merge for Max {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

/// `(a ≤ b, b ≤ a)` for two grow-only maps: an absent key is below every value.
fn map_inclusions<K: Ord, V: PartialOrd>(a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> (bool, bool) {
    let below = |x: &BTreeMap<K, V>, y: &BTreeMap<K, V>| {
        x.iter().all(|(k, v)| y.get(k).is_some_and(|w| v <= w))
    };
    (below(a, b), below(b, a))
}

fn map_order<K: Ord, V: PartialOrd>(a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> Option<Ordering> {
    let (le, ge) = map_inclusions(a, b);
    partial_order(le, ge)
}

fn set_order<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> Option<Ordering> {
    partial_order(a.is_subset(b), b.is_subset(a))
}

// ------------------------------------------------------------------------- Option<Max>

/// `Option<Max>`; `Option`'s derived order (`None` below every `Some`) is the lattice order.
#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
struct Opt(Option<Max>);

impl Merge for Opt {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
}

impl WireType for Opt {
    const TAG: u16 = tag::USER + 0x100;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Option<Max>";
}

/// Every replica starts with `None` (nothing written); an operation raises the value.
struct OptionModel;

impl Model for OptionModel {
    type State = Opt;
    type Op = u16;
    type Replica = ();
    type Oracle = Option<u64>;
    type Value = Option<u64>;

    fn replica(_: usize) {}
    fn initial() -> Opt {
        Opt(None)
    }
    fn oracle() -> Option<u64> {
        None
    }
    fn apply(_: &mut (), state: &mut Opt, op: &u16, oracle: &mut Option<u64>) -> Option<Opt> {
        let value = u64::from(*op);
        // The mutator is written without `merge`, so a broken merge cannot hide in it.
        state.0 = Some(Max(state.0.map_or(value, |m| m.0.max(value))));
        *oracle = Some(oracle.map_or(value, |v| v.max(value)));
        Some(Opt(Some(Max(value))))
    }
    fn value(state: &Opt) -> Option<u64> {
        state.0.map(|m| m.0)
    }
    fn expected(oracle: &Option<u64>) -> Option<u64> {
        *oracle
    }
}

concord_core::law_tests!(option: OptionModel, lattice);

// ---------------------------------------------------------------------- BTreeSet<u8>

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct GSet(BTreeSet<u8>);

impl PartialOrd for GSet {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        set_order(&self.0, &other.0)
    }
}

impl Merge for GSet {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
}

impl WireType for GSet {
    const TAG: u16 = tag::USER + 0x101;
    const VERSION: u16 = 1;
    const NAME: &'static str = "BTreeSet<u8>";
}

/// Inserts elements from a small range, so replicas insert the same elements concurrently.
struct SetModel;

impl Model for SetModel {
    type State = GSet;
    type Op = u8;
    type Replica = ();
    type Oracle = BTreeSet<u8>;
    type Value = BTreeSet<u8>;

    fn replica(_: usize) {}
    fn initial() -> GSet {
        GSet(BTreeSet::new())
    }
    fn oracle() -> BTreeSet<u8> {
        BTreeSet::new()
    }
    fn apply(_: &mut (), state: &mut GSet, op: &u8, oracle: &mut BTreeSet<u8>) -> Option<GSet> {
        state.0.insert(op % 32);
        oracle.insert(op % 32);
        Some(GSet(BTreeSet::from([op % 32])))
    }
    fn value(state: &GSet) -> BTreeSet<u8> {
        state.0.clone()
    }
    fn expected(oracle: &BTreeSet<u8>) -> BTreeSet<u8> {
        oracle.clone()
    }
}

concord_core::law_tests!(btree_set: SetModel, lattice);

// ----------------------------------------------------------------- BTreeMap<u8, Max>

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct GMap(BTreeMap<u8, Max>);

impl PartialOrd for GMap {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        map_order(&self.0, &other.0)
    }
}

impl Merge for GMap {
    fn merge(&mut self, other: &Self) {
        // Named in full: the standard library has an unstable inherent `BTreeMap::merge`.
        Merge::merge(&mut self.0, &other.0);
    }
}

impl WireType for GMap {
    const TAG: u16 = tag::USER + 0x102;
    const VERSION: u16 = 1;
    const NAME: &'static str = "BTreeMap<u8, Max>";
}

/// Raises the value of a key from a small range: keys both sides hold are merged, not replaced.
struct MapModel;

impl Model for MapModel {
    type State = GMap;
    type Op = (u8, u16);
    type Replica = ();
    type Oracle = BTreeMap<u8, u64>;
    type Value = BTreeMap<u8, u64>;

    fn replica(_: usize) {}
    fn initial() -> GMap {
        GMap(BTreeMap::new())
    }
    fn oracle() -> BTreeMap<u8, u64> {
        BTreeMap::new()
    }
    fn apply(
        _: &mut (),
        state: &mut GMap,
        &(key, value): &(u8, u16),
        oracle: &mut BTreeMap<u8, u64>,
    ) -> Option<GMap> {
        let (key, value) = (key % 8, u64::from(value));
        let slot = state.0.entry(key).or_insert(Max(value));
        slot.0 = slot.0.max(value);
        let entry = oracle.entry(key).or_insert(value);
        *entry = (*entry).max(value);
        Some(GMap(BTreeMap::from([(key, Max(value))])))
    }
    fn value(state: &GMap) -> BTreeMap<u8, u64> {
        state.0.iter().map(|(k, v)| (*k, v.0)).collect()
    }
    fn expected(oracle: &BTreeMap<u8, u64>) -> BTreeMap<u8, u64> {
        oracle.clone()
    }
}

concord_core::law_tests!(btree_map: MapModel, lattice);

// ------------------------------------------------------------- a tuple of four parts

type Four = (Max, Option<Max>, BTreeSet<u8>, BTreeMap<u8, Max>);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Tuple(Four);

/// The product order: below in every component.
fn four_order(a: &Four, b: &Four) -> Option<Ordering> {
    let parts = [
        partial_order(a.0 <= b.0, b.0 <= a.0),
        partial_order(a.1 <= b.1, b.1 <= a.1),
        set_order(&a.2, &b.2),
        map_order(&a.3, &b.3),
    ];
    let le = parts
        .iter()
        .all(|o| matches!(o, Some(Ordering::Less | Ordering::Equal)));
    let ge = parts
        .iter()
        .all(|o| matches!(o, Some(Ordering::Greater | Ordering::Equal)));
    partial_order(le, ge)
}

impl PartialOrd for Tuple {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        four_order(&self.0, &other.0)
    }
}

impl Merge for Tuple {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
}

impl WireType for Tuple {
    const TAG: u16 = tag::USER + 0x103;
    const VERSION: u16 = 1;
    const NAME: &'static str = "(Max, Option<Max>, BTreeSet<u8>, BTreeMap<u8, Max>)";
}

fn bottom() -> Four {
    (Max(0), None, BTreeSet::new(), BTreeMap::new())
}

/// One operation changes one component; its delta is that change with bottom elsewhere.
fn four_delta(&(which, key, value): &(u8, u8, u16)) -> Four {
    let mut delta = bottom();
    let (key, value) = (key % 8, u64::from(value));
    match which % 4 {
        0 => delta.0 = Max(value),
        1 => delta.1 = Some(Max(value)),
        2 => {
            delta.2.insert(key);
        }
        _ => {
            delta.3.insert(key, Max(value));
        }
    }
    delta
}

/// Applies one operation's delta to a state or the oracle component by component, written
/// without `Merge` (a maximum, a union, a per-key maximum), so the mutators and the oracle are
/// independent of the merge under test.
fn four_join(oracle: &mut Four, delta: &Four) {
    oracle.0 = oracle.0.max(delta.0);
    oracle.1 = match (oracle.1, delta.1) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    oracle.2.extend(delta.2.iter().copied());
    for (k, v) in &delta.3 {
        let entry = oracle.3.entry(*k).or_insert(*v);
        *entry = (*entry).max(*v);
    }
}

struct TupleModel;

impl Model for TupleModel {
    type State = Tuple;
    type Op = (u8, u8, u16);
    type Replica = ();
    type Oracle = Four;
    type Value = Four;

    fn replica(_: usize) {}
    fn initial() -> Tuple {
        Tuple(bottom())
    }
    fn oracle() -> Four {
        bottom()
    }
    fn apply(
        _: &mut (),
        state: &mut Tuple,
        op: &(u8, u8, u16),
        oracle: &mut Four,
    ) -> Option<Tuple> {
        let delta = four_delta(op);
        four_join(&mut state.0, &delta);
        four_join(oracle, &delta);
        Some(Tuple(delta))
    }
    fn value(state: &Tuple) -> Four {
        state.0.clone()
    }
    fn expected(oracle: &Four) -> Four {
        oracle.clone()
    }
}

concord_core::law_tests!(tuple: TupleModel, lattice);

// ------------------------------------------------------ the same parts, as a derived struct

#[cfg(feature = "derive")]
mod derived {
    use super::*;

    /// The tuple's four parts as named fields: the derive must merge exactly like the tuple.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Merge)]
    pub(super) struct Doc {
        views: Max,
        owner: Option<Max>,
        tags: BTreeSet<u8>,
        scores: BTreeMap<u8, Max>,
    }

    impl Doc {
        fn from_four((views, owner, tags, scores): Four) -> Doc {
            Doc {
                views,
                owner,
                tags,
                scores,
            }
        }

        fn to_four(&self) -> Four {
            (
                self.views,
                self.owner,
                self.tags.clone(),
                self.scores.clone(),
            )
        }
    }

    impl PartialOrd for Doc {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            four_order(&self.to_four(), &other.to_four())
        }
    }

    impl WireType for Doc {
        const TAG: u16 = tag::USER + 0x104;
        const VERSION: u16 = 1;
        const NAME: &'static str = "derived Doc";
    }

    pub(super) struct DocModel;

    impl Model for DocModel {
        type State = Doc;
        type Op = (u8, u8, u16);
        type Replica = ();
        type Oracle = Four;
        type Value = Four;

        fn replica(_: usize) {}
        fn initial() -> Doc {
            Doc::from_four(bottom())
        }
        fn oracle() -> Four {
            bottom()
        }
        fn apply(
            _: &mut (),
            state: &mut Doc,
            op: &(u8, u8, u16),
            oracle: &mut Four,
        ) -> Option<Doc> {
            let delta = four_delta(op);
            let mut next = state.to_four();
            four_join(&mut next, &delta);
            *state = Doc::from_four(next);
            four_join(oracle, &delta);
            Some(Doc::from_four(delta))
        }
        fn value(state: &Doc) -> Four {
            state.to_four()
        }
        fn expected(oracle: &Four) -> Four {
            oracle.clone()
        }
    }

    concord_core::law_tests!(derived_struct: DocModel, lattice);
}

// ------------------------------------------------------------- every tuple arity, directly

/// The laws on random values of every tuple arity from 1 to 8 (any `Max` values are reachable
/// states, so random values are honest ones here).
#[test]
fn every_tuple_arity_is_a_lattice() {
    let mut rng = StdRng::seed_from_u64(0x7e57_0001);
    let mut max = || Max(rng.random_range(0..16));
    for _ in 0..1000 {
        let (a, b, c) = ((max(),), (max(),), (max(),));
        laws::idempotent(&a).unwrap();
        laws::commutative(&a, &b).unwrap();
        laws::associative(&a, &b, &c).unwrap();

        let mut eight = || (max(), max(), max(), max(), max(), max(), max(), max());
        let (a, b, c) = (eight(), eight(), eight());
        laws::idempotent(&a).unwrap();
        laws::commutative(&a, &b).unwrap();
        laws::associative(&a, &b, &c).unwrap();
        let joined = a.joined(&b);
        assert_eq!(joined.0, a.0.max(b.0));
        assert_eq!(joined.7, a.7.max(b.7));

        let ((), ()) = ((), ().joined(&()));
    }
}
