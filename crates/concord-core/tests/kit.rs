//! The law kit tested on itself: correct toy lattices pass every law with real cases, and
//! deliberately broken merges are caught with the right law named.
#![cfg(feature = "laws")]

use std::collections::BTreeSet;

use concord_core::Merge;
use concord_core::codec::{WireType, tag};
use concord_core::laws::runner::{check_decode, check_general, check_lattice};
use concord_core::laws::{Arbitrary, Gen, Law, LawViolation, Model, Script};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- a correct lattice: max

#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
struct Max(u64);

impl Merge for Max {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

impl WireType for Max {
    const TAG: u16 = tag::USER;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Max";
}

struct MaxModel;

impl Model for MaxModel {
    type State = Max;
    type Op = u16;
    type Replica = ();
    type Oracle = u64;
    type Value = u64;

    fn replica(_: usize) {}
    fn initial() -> Max {
        Max(0)
    }
    fn oracle() -> u64 {
        0
    }
    fn apply(_: &mut (), state: &mut Max, op: &u16, oracle: &mut u64) -> Option<Max> {
        let delta = Max(u64::from(*op));
        state.merge(&delta);
        *oracle = (*oracle).max(u64::from(*op));
        Some(delta)
    }
    fn value(state: &Max) -> u64 {
        state.0
    }
    fn expected(oracle: &u64) -> u64 {
        *oracle
    }
}

concord_core::law_tests!(max: MaxModel, lattice);

// ---------------------------------------------------------- a correct lattice: set union

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Union(BTreeSet<u8>);

impl PartialOrd for Union {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering::*;
        match (self.0.is_subset(&other.0), other.0.is_subset(&self.0)) {
            (true, true) => Some(Equal),
            (true, false) => Some(Less),
            (false, true) => Some(Greater),
            (false, false) => None,
        }
    }
}

impl Merge for Union {
    fn merge(&mut self, other: &Self) {
        self.0.extend(other.0.iter().copied());
    }
}

impl WireType for Union {
    const TAG: u16 = tag::USER + 1;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Union";
}

struct UnionModel;

impl Model for UnionModel {
    type State = Union;
    type Op = u8;
    type Replica = ();
    type Oracle = BTreeSet<u8>;
    type Value = BTreeSet<u8>;

    fn replica(_: usize) {}
    fn initial() -> Union {
        Union(BTreeSet::new())
    }
    fn oracle() -> BTreeSet<u8> {
        BTreeSet::new()
    }
    fn apply(_: &mut (), state: &mut Union, op: &u8, oracle: &mut BTreeSet<u8>) -> Option<Union> {
        let delta = Union([*op].into());
        state.merge(&delta);
        oracle.insert(*op);
        Some(delta)
    }
    fn value(state: &Union) -> BTreeSet<u8> {
        state.0.clone()
    }
    fn expected(oracle: &BTreeSet<u8>) -> BTreeSet<u8> {
        oracle.clone()
    }
}

concord_core::law_tests!(union: UnionModel, lattice);

// ------------------------------------------------------------------------ broken merges

/// Overwrites with the other side: idempotent and associative, not commutative.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
struct Overwrite(u64);

impl Merge for Overwrite {
    fn merge(&mut self, other: &Self) {
        self.0 = other.0;
    }
}

struct OverwriteModel;

impl Model for OverwriteModel {
    type State = Overwrite;
    type Op = u16;
    type Replica = ();
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) {}
    fn initial() -> Overwrite {
        Overwrite(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), state: &mut Overwrite, op: &u16, (): &mut ()) -> Option<Overwrite> {
        *state = Overwrite(u64::from(*op));
        Some(state.clone())
    }
    fn value(_: &Overwrite) {}
    fn expected((): &()) {}
}

/// Adds the other side: commutative and associative, not idempotent.
#[derive(Clone, Debug, PartialEq)]
struct Sum(u64);

impl Merge for Sum {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.wrapping_add(other.0);
    }
}

struct SumModel;

impl Model for SumModel {
    type State = Sum;
    type Op = u8;
    type Replica = ();
    type Oracle = u64;
    type Value = u64;

    fn replica(_: usize) {}
    fn initial() -> Sum {
        Sum(0)
    }
    fn oracle() -> u64 {
        0
    }
    fn apply(_: &mut (), state: &mut Sum, op: &u8, oracle: &mut u64) -> Option<Sum> {
        let delta = Sum(u64::from(*op) + 1);
        state.merge(&delta);
        *oracle += u64::from(*op) + 1;
        Some(delta)
    }
    fn value(state: &Sum) -> u64 {
        state.0
    }
    fn expected(oracle: &u64) -> u64 {
        *oracle
    }
}

/// Last-writer-wins whose stamps carry no actor, and whose tie rule keeps the local value: two
/// replicas can write the same stamp, and then the merge is not commutative.
#[derive(Clone, Debug, PartialEq)]
struct TieKeepsLocal {
    stamp: u64,
    value: u8,
}

impl Merge for TieKeepsLocal {
    fn merge(&mut self, other: &Self) {
        if other.stamp > self.stamp {
            *self = other.clone();
        }
    }
}

struct TieModel;

impl Model for TieModel {
    type State = TieKeepsLocal;
    type Op = u8;
    type Replica = u64;
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) -> u64 {
        0
    }
    fn initial() -> TieKeepsLocal {
        TieKeepsLocal { stamp: 0, value: 0 }
    }
    fn oracle() {}
    fn apply(
        clock: &mut u64,
        state: &mut TieKeepsLocal,
        op: &u8,
        (): &mut (),
    ) -> Option<TieKeepsLocal> {
        *clock = (*clock).max(state.stamp) + 1;
        *state = TieKeepsLocal {
            stamp: *clock,
            value: *op,
        };
        Some(state.clone())
    }
    fn value(_: &TieKeepsLocal) {}
    fn expected((): &()) {}
}

/// Finds the first violation of `law` over many generated worlds.
fn first_violation<M: Model>(law: Law) -> Option<LawViolation<M::State>> {
    let mut g = Gen::from_size_and_seed(30, 7);
    (0..500).find_map(|_| check_general::<M>(law, &Script::arbitrary(&mut g)).err())
}

#[test]
fn overwrite_is_caught_as_not_commutative() {
    let v = first_violation::<OverwriteModel>(Law::Commutativity).expect("a violation");
    assert_eq!(v.law(), Law::Commutativity);
    assert!(matches!(v, LawViolation::Commutativity { .. }));
    // Overwriting is idempotent and associative: the kit must not blame those laws.
    assert!(first_violation::<OverwriteModel>(Law::Idempotence).is_none());
    assert!(first_violation::<OverwriteModel>(Law::Associativity).is_none());
}

#[test]
fn overwrite_breaks_upper_bound() {
    let mut g = Gen::from_size_and_seed(30, 11);
    let v = (0..500)
        .find_map(|_| {
            check_lattice::<OverwriteModel>(Law::UpperBound, &Script::arbitrary(&mut g)).err()
        })
        .expect("a violation");
    assert_eq!(v.law(), Law::UpperBound);
}

#[test]
fn addition_is_caught_as_not_idempotent() {
    let v = first_violation::<SumModel>(Law::Idempotence).expect("a violation");
    assert!(matches!(v, LawViolation::Idempotence { .. }), "{v}");
    assert!(first_violation::<SumModel>(Law::Commutativity).is_none());
    assert!(first_violation::<SumModel>(Law::Associativity).is_none());
    // Duplicated deltas inflate a sum: the delivery law catches it too.
    let v = first_violation::<SumModel>(Law::DeltaDelivery).expect("a violation");
    assert_eq!(v.law(), Law::DeltaDelivery);
}

#[test]
fn tie_rule_is_caught_as_not_commutative() {
    let v = first_violation::<TieModel>(Law::Commutativity).expect("a violation");
    match v {
        LawViolation::Commutativity { a, b, .. } => {
            assert_eq!(a.stamp, b.stamp, "the witness is a tie");
            assert_ne!(a.value, b.value);
        }
        other => panic!("wrong law: {other}"),
    }
}

#[test]
#[should_panic(expected = "law violated: commutativity")]
fn runner_panics_naming_the_law() {
    concord_core::__private::run_law::<OverwriteModel>(Law::Commutativity);
}

/// A model whose operations are all refused: every world is vacuous.
struct RefuseAll;

impl Model for RefuseAll {
    type State = Max;
    type Op = u8;
    type Replica = ();
    type Oracle = ();
    type Value = ();
    fn replica(_: usize) {}
    fn initial() -> Max {
        Max(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), _: &mut Max, _: &u8, (): &mut ()) -> Option<Max> {
        None
    }
    fn value(_: &Max) {}
    fn expected((): &()) {}
}

#[test]
fn refused_operations_must_change_nothing() {
    struct Liar;
    impl Model for Liar {
        type State = Max;
        type Op = u8;
        type Replica = ();
        type Oracle = ();
        type Value = ();
        fn replica(_: usize) {}
        fn initial() -> Max {
            Max(0)
        }
        fn oracle() {}
        fn apply(_: &mut (), state: &mut Max, op: &u8, (): &mut ()) -> Option<Max> {
            state.0 += u64::from(*op) + 1;
            None
        }
        fn value(_: &Max) {}
        fn expected((): &()) {}
    }
    let v = first_violation::<Liar>(Law::Idempotence).expect("a violation");
    assert!(matches!(v, LawViolation::RefusedOperationChanged { .. }));
}

#[test]
fn vacuous_worlds_are_discarded_not_passed() {
    let mut g = Gen::from_size_and_seed(30, 3);
    for _ in 0..50 {
        let script = Script::arbitrary(&mut g);
        assert_eq!(
            check_general::<RefuseAll>(Law::Commutativity, &script).ok(),
            Some(false)
        );
    }
}

#[test]
#[should_panic(expected = "Unable to generate enough tests")]
fn runner_fails_when_too_many_cases_are_discarded() {
    concord_core::__private::run_law::<RefuseAll>(Law::Commutativity);
}

#[test]
fn decode_law_accepts_honest_states() {
    let mut g = Gen::from_size_and_seed(30, 5);
    let mut passed = 0;
    for _ in 0..200 {
        if check_decode::<UnionModel>(&Script::arbitrary(&mut g)).expect("decode law") {
            passed += 1;
        }
    }
    assert_eq!(passed, 200);
}
