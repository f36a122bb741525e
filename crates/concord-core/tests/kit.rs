//! The law kit tested on itself: correct toy lattices pass every law with real cases, and for
//! each law a model that breaks exactly that law is caught by that law's check function and
//! by its runner, with the law named. The golden check refuses wrong bytes.
#![cfg(feature = "laws")]
#![allow(
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a message"
)]

use std::collections::BTreeSet;
use std::panic::{UnwindSafe, catch_unwind};

use concord_core::codec::{self, WireType, tag};
use concord_core::laws::{
    self, Arbitrary, Gen, GoldenError, Law, LawViolation, Model, Script, check_associativity,
    check_catch_up, check_commutativity, check_convergence, check_decode, check_delta_delivery,
    check_delta_inflation, check_idempotence, check_least_upper_bound, check_novelty,
    check_upper_bound,
};
use concord_core::{CatchUp, Merge, Novelty};
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

impl Novelty for Max {
    fn novel(&self, delta: &Self) -> Option<Self> {
        (delta.0 > self.0).then(|| delta.clone())
    }
}

impl CatchUp for Max {
    type Summary = u64;

    fn summary(&self) -> u64 {
        self.0
    }

    fn delta_since(&self, summary: &u64) -> Self {
        Max(if self.0 > *summary { self.0 } else { 0 })
    }
}

concord_core::law_tests!(max: MaxModel, lattice, novelty, catch_up);

// ------------------------------------- maxima whose novelty or catch-up is broken on purpose

/// How a [`Peak`] answers `novel` and `delta_since`.
const FORGETS_NOVELTY: u8 = 0;
const NOVELTY_TOO_BIG: u8 = 1;
const CATCH_UP_STALE: u8 = 2;

/// A maximum whose merge is right and whose novelty or catch-up is wrong, by `MODE`.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
struct Peak<const MODE: u8>(u64);

impl<const MODE: u8> Merge for Peak<MODE> {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

impl<const MODE: u8> Novelty for Peak<MODE> {
    fn novel(&self, delta: &Self) -> Option<Self> {
        match MODE {
            // Says nothing is new, even when the delta is above.
            FORGETS_NOVELTY => None,
            // Right in effect (x ⊔ (x ⊔ d) == x ⊔ d) but carries more than the delta.
            NOVELTY_TOO_BIG => Some(self.joined(delta)),
            _ => (delta.0 > self.0).then(|| delta.clone()),
        }
    }
}

impl<const MODE: u8> CatchUp for Peak<MODE> {
    type Summary = u64;

    fn summary(&self) -> u64 {
        self.0
    }

    fn delta_since(&self, summary: &u64) -> Self {
        match MODE {
            // Answers with the bottom whatever the peer lacks.
            CATCH_UP_STALE => Peak(0),
            _ => Peak(self.0.max(*summary)),
        }
    }
}

struct PeakModel<const MODE: u8>;

impl<const MODE: u8> Model for PeakModel<MODE> {
    type State = Peak<MODE>;
    type Op = u16;
    type Replica = ();
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) {}
    fn initial() -> Peak<MODE> {
        Peak(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), state: &mut Peak<MODE>, op: &u16, (): &mut ()) -> Option<Peak<MODE>> {
        let delta = Peak(u64::from(*op));
        state.merge(&delta);
        Some(delta)
    }
    fn value(_: &Peak<MODE>) {}
    fn expected((): &()) {}
}

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

// --------------------------------------------------- more broken models, one per law

/// The floor of the average: idempotent and commutative, not associative.
#[derive(Clone, Debug, PartialEq)]
struct Average(u64);

impl Merge for Average {
    fn merge(&mut self, other: &Self) {
        self.0 = (self.0 + other.0) / 2;
    }
}

struct AverageModel;

impl Model for AverageModel {
    type State = Average;
    type Op = u16;
    type Replica = ();
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) {}
    fn initial() -> Average {
        Average(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), state: &mut Average, op: &u16, (): &mut ()) -> Option<Average> {
        let delta = Average(u64::from(*op));
        state.merge(&delta);
        Some(delta)
    }
    fn value(_: &Average) {}
    fn expected((): &()) {}
}

/// A correct maximum whose operations return a delta too small for the change they made.
struct ShortDeltaModel;

impl Model for ShortDeltaModel {
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
        state.merge(&Max(u64::from(*op) + 1));
        *oracle = (*oracle).max(u64::from(*op) + 1);
        Some(Max(u64::from(*op) / 2))
    }
    fn value(state: &Max) -> u64 {
        state.0
    }
    fn expected(oracle: &u64) -> u64 {
        *oracle
    }
}

/// A counter that ships operations as its deltas: a full state is a maximum, a delta is an
/// amount to add. Full states merge lawfully and every operation's delta gives the new state,
/// but deltas delivered again (or to a replica that has seen them) count again.
#[derive(Clone, Debug, PartialEq)]
enum OpDelta {
    Full(u64),
    Add(u64),
}

impl Merge for OpDelta {
    fn merge(&mut self, other: &Self) {
        *self = match (&*self, other) {
            (OpDelta::Full(a), OpDelta::Full(b)) => OpDelta::Full(*a.max(b)),
            (OpDelta::Full(a), OpDelta::Add(k)) | (OpDelta::Add(k), OpDelta::Full(a)) => {
                OpDelta::Full(a + k)
            }
            (OpDelta::Add(a), OpDelta::Add(b)) => OpDelta::Add(*a.max(b)),
        }
    }
}

struct OpDeltaModel;

impl Model for OpDeltaModel {
    type State = OpDelta;
    type Op = u8;
    type Replica = ();
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) {}
    fn initial() -> OpDelta {
        OpDelta::Full(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), state: &mut OpDelta, op: &u8, (): &mut ()) -> Option<OpDelta> {
        let delta = OpDelta::Add(u64::from(*op) + 1);
        state.merge(&delta);
        Some(delta)
    }
    fn value(_: &OpDelta) {}
    fn expected((): &()) {}
}

/// A correct maximum with a wrong oracle: it expects the sum of the proposals.
struct SumOracleModel;

impl Model for SumOracleModel {
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
        *oracle += u64::from(*op);
        Some(delta)
    }
    fn value(state: &Max) -> u64 {
        state.0
    }
    fn expected(oracle: &u64) -> u64 {
        *oracle
    }
}

/// A correct maximum whose `PartialOrd` compares only equal values: no join is above its
/// (distinct) inputs, so the upper bound law fails while the least upper bound law, which
/// speaks only of comparable pairs, holds.
#[derive(Clone, Debug, PartialEq)]
struct Discrete(u64);

impl PartialOrd for Discrete {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self.0 == other.0).then_some(std::cmp::Ordering::Equal)
    }
}

impl Merge for Discrete {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

struct DiscreteModel;

impl Model for DiscreteModel {
    type State = Discrete;
    type Op = u16;
    type Replica = ();
    type Oracle = u64;
    type Value = u64;

    fn replica(_: usize) {}
    fn initial() -> Discrete {
        Discrete(0)
    }
    fn oracle() -> u64 {
        0
    }
    fn apply(_: &mut (), state: &mut Discrete, op: &u16, oracle: &mut u64) -> Option<Discrete> {
        let delta = Discrete(u64::from(*op));
        state.merge(&delta);
        *oracle = (*oracle).max(u64::from(*op));
        Some(delta)
    }
    fn value(state: &Discrete) -> u64 {
        state.0
    }
    fn expected(oracle: &u64) -> u64 {
        *oracle
    }
}

/// Set union ordered by size instead of inclusion: a smaller set counts as below a larger one
/// it is not a subset of. The join is still above both inputs (upper bound holds), but not the
/// larger input itself (least upper bound fails).
#[derive(Clone, Debug, PartialEq)]
struct BySize(BTreeSet<u8>);

impl PartialOrd for BySize {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        if self == other {
            Some(std::cmp::Ordering::Equal)
        } else if self.0.len() == other.0.len() {
            None
        } else {
            Some(self.0.len().cmp(&other.0.len()))
        }
    }
}

impl Merge for BySize {
    fn merge(&mut self, other: &Self) {
        self.0.extend(other.0.iter().copied());
    }
}

struct BySizeModel;

impl Model for BySizeModel {
    type State = BySize;
    type Op = u8;
    type Replica = ();
    type Oracle = BTreeSet<u8>;
    type Value = BTreeSet<u8>;

    fn replica(_: usize) {}
    fn initial() -> BySize {
        BySize(BTreeSet::new())
    }
    fn oracle() -> BTreeSet<u8> {
        BTreeSet::new()
    }
    fn apply(_: &mut (), state: &mut BySize, op: &u8, oracle: &mut BTreeSet<u8>) -> Option<BySize> {
        // Few distinct elements, so replicas often hold different sets of one size.
        let delta = BySize([*op % 16].into());
        state.merge(&delta);
        oracle.insert(*op % 16);
        Some(delta)
    }
    fn value(state: &BySize) -> BTreeSet<u8> {
        state.0.clone()
    }
    fn expected(oracle: &BTreeSet<u8>) -> BTreeSet<u8> {
        oracle.clone()
    }
}

/// Last-writer-wins whose honest stamps are unique (counter and replica index), with a tie
/// rule that keeps the local value: lawful on every honest state. Its decoder accepts any
/// `(stamp, value)`, so a peer can send a known stamp with another value, and the merge is
/// then not commutative: the decode law must catch the missing validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Lww {
    stamp: u64,
    value: u8,
}

impl Merge for Lww {
    fn merge(&mut self, other: &Self) {
        if other.stamp > self.stamp {
            *self = other.clone();
        }
    }
}

impl WireType for Lww {
    const TAG: u16 = tag::USER + 2;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Lww";
}

struct LwwModel;

impl Model for LwwModel {
    type State = Lww;
    type Op = u8;
    type Replica = u64;
    type Oracle = ();
    type Value = ();

    fn replica(index: usize) -> u64 {
        index as u64
    }
    fn initial() -> Lww {
        Lww { stamp: 0, value: 0 }
    }
    fn oracle() {}
    fn apply(index: &mut u64, state: &mut Lww, op: &u8, (): &mut ()) -> Option<Lww> {
        let counter = (state.stamp >> 3) + 1;
        let delta = Lww {
            stamp: counter << 3 | *index,
            value: *op,
        };
        state.merge(&delta);
        Some(delta)
    }
    fn value(_: &Lww) {}
    fn expected((): &()) {}
}

/// A correct maximum whose encoding keeps one byte: states above 255 do not round-trip.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
struct Lossy(u64);

impl Serialize for Lossy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::try_from(self.0).unwrap_or(u8::MAX))
    }
}

impl<'de> Deserialize<'de> for Lossy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u8::deserialize(d).map(|b| Lossy(u64::from(b)))
    }
}

impl Merge for Lossy {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

impl WireType for Lossy {
    const TAG: u16 = tag::USER + 3;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Lossy";
}

struct LossyModel;

impl Model for LossyModel {
    type State = Lossy;
    type Op = u16;
    type Replica = ();
    type Oracle = ();
    type Value = ();

    fn replica(_: usize) {}
    fn initial() -> Lossy {
        Lossy(0)
    }
    fn oracle() {}
    fn apply(_: &mut (), state: &mut Lossy, op: &u16, (): &mut ()) -> Option<Lossy> {
        let delta = Lossy(u64::from(*op));
        state.merge(&delta);
        Some(delta)
    }
    fn value(_: &Lossy) {}
    fn expected((): &()) {}
}

// ------------------------------------------------------------------------------ helpers

/// A check function of the kit, for one model.
type Check<M> = fn(&Script<<M as Model>::Op>) -> Result<bool, LawViolation<<M as Model>::State>>;

/// Finds the first violation `check` reports over many generated worlds.
fn first_violation<M: Model>(check: Check<M>) -> Option<LawViolation<M::State>> {
    let mut g = Gen::from_size_and_seed(30, 7);
    (0..500).find_map(|_| check(&Script::arbitrary(&mut g)).err())
}

/// Runs `runner` and returns its panic message; fails the test if it passed.
fn runner_failure(runner: impl FnOnce() + UnwindSafe) -> String {
    match catch_unwind(runner) {
        Ok(()) => panic!("the runner passed a model that breaks its law"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_default(),
    }
}

/// Asserts that `runner` fails, naming `law`.
fn assert_runner_rejects(law: Law, runner: impl FnOnce() + UnwindSafe) {
    let message = runner_failure(runner);
    let want = format!("law violated: {law}\n");
    assert!(message.contains(&want), "expected {want:?} in: {message}");
}

// ------------------------------------------- each law's check rejects its broken model

#[test]
fn idempotence_check_rejects_addition() {
    let v = first_violation::<SumModel>(check_idempotence::<SumModel>).expect("a violation");
    assert!(matches!(v, LawViolation::Idempotence { .. }), "{v}");
    // Addition is commutative and associative: the kit must not blame those laws.
    assert!(first_violation::<SumModel>(check_commutativity::<SumModel>).is_none());
    assert!(first_violation::<SumModel>(check_associativity::<SumModel>).is_none());
}

#[test]
fn commutativity_check_rejects_overwrite() {
    let v = first_violation::<OverwriteModel>(check_commutativity::<OverwriteModel>)
        .expect("a violation");
    assert_eq!(v.law(), Law::Commutativity);
    assert!(matches!(v, LawViolation::Commutativity { .. }));
    // Overwriting is idempotent and associative.
    assert!(first_violation::<OverwriteModel>(check_idempotence::<OverwriteModel>).is_none());
    assert!(first_violation::<OverwriteModel>(check_associativity::<OverwriteModel>).is_none());
}

#[test]
fn commutativity_check_rejects_a_tie_rule() {
    let v = first_violation::<TieModel>(check_commutativity::<TieModel>).expect("a violation");
    match v {
        LawViolation::Commutativity { a, b, .. } => {
            assert_eq!(a.stamp, b.stamp, "the witness is a tie");
            assert_ne!(a.value, b.value);
        }
        other => panic!("wrong law: {other}"),
    }
}

#[test]
fn associativity_check_rejects_an_average() {
    let v =
        first_violation::<AverageModel>(check_associativity::<AverageModel>).expect("a violation");
    assert!(matches!(v, LawViolation::Associativity { .. }), "{v}");
    assert!(first_violation::<AverageModel>(check_idempotence::<AverageModel>).is_none());
    assert!(first_violation::<AverageModel>(check_commutativity::<AverageModel>).is_none());
}

#[test]
fn delta_inflation_check_rejects_a_short_delta() {
    let v = first_violation::<ShortDeltaModel>(check_delta_inflation::<ShortDeltaModel>)
        .expect("a violation");
    assert!(matches!(v, LawViolation::DeltaInflation { .. }), "{v}");
}

#[test]
fn delta_inflation_check_rejects_a_refusal_that_changed_the_state() {
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
    let v = first_violation::<Liar>(check_delta_inflation::<Liar>).expect("a violation");
    assert!(matches!(v, LawViolation::RefusedOperationChanged { .. }));
    assert_eq!(v.law(), Law::DeltaInflation);
}

#[test]
fn delta_delivery_check_rejects_operations_shipped_as_deltas() {
    let v =
        first_violation::<OpDeltaModel>(check_delta_delivery::<OpDeltaModel>).expect("a violation");
    assert!(matches!(v, LawViolation::DeltaDelivery { .. }), "{v}");
    // Every law on full states holds, and so does each operation's delta.
    assert!(first_violation::<OpDeltaModel>(check_delta_inflation::<OpDeltaModel>).is_none());
    assert!(first_violation::<OpDeltaModel>(check_commutativity::<OpDeltaModel>).is_none());
    assert!(first_violation::<OpDeltaModel>(check_associativity::<OpDeltaModel>).is_none());
    assert!(first_violation::<OpDeltaModel>(check_convergence::<OpDeltaModel>).is_none());
}

#[test]
fn convergence_check_rejects_a_wrong_oracle() {
    let v = first_violation::<SumOracleModel>(check_convergence::<SumOracleModel>)
        .expect("a violation");
    assert!(matches!(v, LawViolation::Oracle { .. }), "{v}");
    assert!(first_violation::<SumOracleModel>(check_delta_delivery::<SumOracleModel>).is_none());
}

#[test]
fn upper_bound_check_rejects_an_order_that_is_not_the_lattice_order() {
    let v =
        first_violation::<DiscreteModel>(check_upper_bound::<DiscreteModel>).expect("a violation");
    assert!(matches!(v, LawViolation::UpperBound { .. }), "{v}");
    assert!(first_violation::<DiscreteModel>(check_least_upper_bound::<DiscreteModel>).is_none());
}

#[test]
fn upper_bound_check_rejects_overwrite() {
    let v = first_violation::<OverwriteModel>(check_upper_bound::<OverwriteModel>)
        .expect("a violation");
    assert_eq!(v.law(), Law::UpperBound);
}

#[test]
fn least_upper_bound_check_rejects_an_order_by_size() {
    let v = first_violation::<BySizeModel>(check_least_upper_bound::<BySizeModel>)
        .expect("a violation");
    assert!(matches!(v, LawViolation::LeastUpperBound { .. }), "{v}");
    assert!(first_violation::<BySizeModel>(check_upper_bound::<BySizeModel>).is_none());
    // The merge itself is a lattice: only the order is wrong.
    assert!(first_violation::<BySizeModel>(check_commutativity::<BySizeModel>).is_none());
}

#[test]
fn decode_check_rejects_a_decoder_without_validation() {
    // Honest worlds are lawful...
    assert!(first_violation::<LwwModel>(check_commutativity::<LwwModel>).is_none());
    assert!(first_violation::<LwwModel>(check_associativity::<LwwModel>).is_none());
    // ...but a corrupted encoding decodes to a known stamp with another value.
    let v = first_violation::<LwwModel>(check_decode::<LwwModel>).expect("a violation");
    match v {
        LawViolation::Decoded { violation, .. } => {
            assert!(
                matches!(*violation, LawViolation::Commutativity { .. }),
                "{violation}"
            );
        }
        other => panic!("wrong law: {other}"),
    }
}

#[test]
fn check_bytes_rejects_a_hostile_state() {
    let mut g = Gen::from_size_and_seed(30, 9);
    let (script, honest) = (0..100)
        .find_map(|_| {
            let script = Script::arbitrary(&mut g);
            let world = laws::World::<LwwModel>::run(&script).unwrap();
            let first = world.replicas.first().cloned()?;
            (first.stamp > 0).then_some((script, first))
        })
        .expect("a world where replica 0 wrote");
    let hostile = Lww {
        stamp: honest.stamp,
        value: honest.value ^ 1,
    };
    let bytes = codec::encode(&hostile).unwrap();
    let v = laws::check_bytes::<LwwModel>(&bytes, &script).expect_err("a violation");
    assert_eq!(v.law(), Law::Decode);
    // Bytes that do not decode say so and break nothing.
    assert_eq!(laws::check_bytes::<LwwModel>(&[0; 3], &script), Ok(false));
}

#[test]
fn decode_check_rejects_an_encoding_that_loses_information() {
    let v = first_violation::<LossyModel>(check_decode::<LossyModel>).expect("a violation");
    assert!(matches!(v, LawViolation::RoundTrip { .. }), "{v}");
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

#[test]
fn novelty_check_rejects_a_novelty_that_forgets() {
    type M = PeakModel<FORGETS_NOVELTY>;
    let v = first_violation::<M>(check_novelty::<M>).expect("a violation");
    assert!(matches!(v, LawViolation::Novelty { .. }), "{v}");
    assert!(first_violation::<M>(check_catch_up::<M>).is_none());
}

#[test]
fn novelty_check_rejects_a_novelty_larger_than_the_delta() {
    type M = PeakModel<NOVELTY_TOO_BIG>;
    let v = first_violation::<M>(check_novelty::<M>).expect("a violation");
    assert!(matches!(v, LawViolation::NoveltyNotSmaller { .. }), "{v}");
}

#[test]
fn catch_up_check_rejects_a_stale_answer() {
    type M = PeakModel<CATCH_UP_STALE>;
    let v = first_violation::<M>(check_catch_up::<M>).expect("a violation");
    assert!(matches!(v, LawViolation::CatchUp { .. }), "{v}");
    assert!(first_violation::<M>(check_novelty::<M>).is_none());
}

// ---------------------------------------------- each law's runner rejects its broken model

#[test]
fn novelty_runner_rejects_a_novelty_that_forgets() {
    assert_runner_rejects(
        Law::Novelty,
        laws::run_novelty::<PeakModel<FORGETS_NOVELTY>>,
    );
    assert_runner_rejects(
        Law::Novelty,
        laws::run_novelty::<PeakModel<NOVELTY_TOO_BIG>>,
    );
}

#[test]
fn catch_up_runner_rejects_a_stale_answer() {
    assert_runner_rejects(
        Law::CatchUp,
        laws::run_catch_up::<PeakModel<CATCH_UP_STALE>>,
    );
}

#[test]
fn idempotence_runner_rejects_addition() {
    assert_runner_rejects(Law::Idempotence, laws::run_idempotence::<SumModel>);
}

#[test]
fn commutativity_runner_rejects_overwrite() {
    assert_runner_rejects(
        Law::Commutativity,
        laws::run_commutativity::<OverwriteModel>,
    );
}

#[test]
fn associativity_runner_rejects_an_average() {
    assert_runner_rejects(Law::Associativity, laws::run_associativity::<AverageModel>);
}

#[test]
fn delta_inflation_runner_rejects_a_short_delta() {
    assert_runner_rejects(
        Law::DeltaInflation,
        laws::run_delta_inflation::<ShortDeltaModel>,
    );
}

#[test]
fn delta_delivery_runner_rejects_operations_shipped_as_deltas() {
    assert_runner_rejects(Law::DeltaDelivery, laws::run_delta_delivery::<OpDeltaModel>);
}

#[test]
fn convergence_runner_rejects_a_wrong_oracle() {
    assert_runner_rejects(Law::Convergence, laws::run_convergence::<SumOracleModel>);
}

#[test]
fn upper_bound_runner_rejects_an_order_that_is_not_the_lattice_order() {
    assert_runner_rejects(Law::UpperBound, laws::run_upper_bound::<DiscreteModel>);
}

#[test]
fn least_upper_bound_runner_rejects_an_order_by_size() {
    assert_runner_rejects(
        Law::LeastUpperBound,
        laws::run_least_upper_bound::<BySizeModel>,
    );
}

#[test]
fn decode_runner_rejects_a_decoder_without_validation() {
    assert_runner_rejects(Law::Decode, laws::run_decode::<LwwModel>);
    assert_runner_rejects(Law::Decode, laws::run_decode::<LossyModel>);
}

// ------------------------------------------------------------------ vacuous worlds

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
fn vacuous_worlds_are_discarded_not_passed() {
    let mut g = Gen::from_size_and_seed(30, 3);
    for _ in 0..50 {
        let script = Script::arbitrary(&mut g);
        assert_eq!(check_idempotence::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_commutativity::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_associativity::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_delta_delivery::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_convergence::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_upper_bound::<RefuseAll>(&script), Ok(false));
        assert_eq!(check_least_upper_bound::<RefuseAll>(&script), Ok(false));
    }
}

#[test]
fn runner_fails_when_too_many_cases_are_discarded() {
    let message = runner_failure(laws::run_commutativity::<RefuseAll>);
    assert!(
        message.contains("Unable to generate enough tests"),
        "{message}"
    );
}

// ------------------------------------------------------------------------- golden

#[test]
fn golden_check_accepts_the_encoding_and_rejects_other_bytes() {
    let golden = codec::encode(&Max(300)).unwrap();
    assert_eq!(laws::check_golden(&Max(300), &golden), Ok(()));

    // One byte of the state differs.
    let err = laws::check_golden(&Max(301), &golden).unwrap_err();
    match &err {
        GoldenError::Bytes { name, .. } => assert_eq!(*name, "Max"),
        other => panic!("wrong error: {other}"),
    }
    assert!(err.to_string().contains("VERSION"), "{err}");
    // Bytes cut short, or with a byte more.
    let short = &golden[..golden.len() - 1];
    assert!(matches!(
        laws::check_golden(&Max(300), short),
        Err(GoldenError::Bytes { .. })
    ));
    let mut long = golden.clone();
    long.push(0);
    assert!(matches!(
        laws::check_golden(&Max(300), &long),
        Err(GoldenError::Bytes { .. })
    ));
}

#[test]
fn golden_check_decodes_the_bytes_back() {
    // Lossy(300) encodes like Lossy(255): the bytes match, the decoded state does not.
    let golden = codec::encode(&Lossy(255)).unwrap();
    assert_eq!(
        laws::check_golden(&Lossy(300), &golden),
        Err(GoldenError::Decoded {
            expected: Lossy(300),
            got: Lossy(255)
        })
    );
}

#[test]
fn golden_file_check_reads_blesses_and_compares() {
    let dir = std::env::temp_dir().join(format!("concord-kit-golden-{}", std::process::id()));
    let path = dir.join("max.bin");
    let _ = std::fs::remove_dir_all(&dir);

    // No file yet: an error that says how to write it.
    let err = laws::check_golden_file(&path, &Max(7), false).unwrap_err();
    assert!(matches!(err, GoldenError::Read { .. }), "{err}");
    assert!(err.to_string().contains("CONCORD_BLESS=1"), "{err}");

    // Bless mode writes it; then it matches, and another value does not.
    laws::check_golden_file(&path, &Max(7), true).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        codec::encode(&Max(7)).unwrap()
    );
    assert_eq!(laws::check_golden_file(&path, &Max(7), false), Ok(()));
    assert!(matches!(
        laws::check_golden_file(&path, &Max(8), false),
        Err(GoldenError::Bytes { .. })
    ));

    // The runner panics on a mismatch.
    let message = runner_failure(|| laws::run_golden(&path, &Max(8)));
    assert!(
        message.contains("differs from the golden bytes"),
        "{message}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
}
