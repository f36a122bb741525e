//! The one table of fuzzed types, and the targets it gives.

use std::fmt;

use arbitrary::Arbitrary;
use concord_core::codec::WireType;
use concord_core::laws::Model;

use concord_clock::laws::{DotContextModel, HybridModel, LamportModel, VectorClockModel};
use concord_counter::laws::{GCounterModel, PnCounterModel};
use concord_map::laws::{CausalCounterModel, DwFlagModel, EwFlagModel, LwwMapModel, OrMapModel};
use concord_register::laws::{HybridOp, LwwHybridModel, LwwLamportModel, MvModel};
use concord_set::laws::{AddWinsModel, OrSetModel, RemoveWinsModel};

use crate::{AllocationMeter, Follows, decode, encodings, ops, ops_followed, script_bytes, sync};

/// What a check reports: nothing, or what went wrong (a fuzz target panics with it).
pub type Outcome = Result<(), String>;

/// Every fuzzed type, each giving the targets `<name>_ops` and `<name>_decode`.
///
/// This list drives everything else: the targets `fuzz/` must build (a test compares it with
/// `fuzz/Cargo.toml` and `fuzz/fuzz_targets/`), the checks they run, the seeds of their
/// corpora and the corpus replay under `cargo test`. Adding a type is one row here, over the
/// type's law-kit model.
pub const TYPES: &[FuzzType] = &[
    FuzzType::of::<GCounterModel>("g_counter", "GCounter<u64>"),
    FuzzType::of::<PnCounterModel>("pn_counter", "PnCounter<u64>"),
    FuzzType::followed::<LwwHybridModel, LwwLamportModel>(
        "lww_register",
        "LwwRegister<u8, _> with hybrid stamps and, on the same history, Lamport stamps",
    ),
    FuzzType::of::<MvModel>("mv_register", "MvRegister<u8, u64>"),
    FuzzType::followed::<AddWinsModel, RemoveWinsModel>(
        "lww_element_set",
        "LwwElementSet<u8, LamportTimestamp<u64>, _>, add-wins and remove-wins",
    ),
    FuzzType::of::<OrSetModel>("or_set", "OrSet<u8, u64>"),
    FuzzType::of::<LwwMapModel>("lww_map", "LwwMap<u8, u8, LamportTimestamp<u64>>"),
    FuzzType::of::<OrMapModel>("or_map", "OrMap<u8, MvRegister<u8, u64>, u64>"),
    FuzzType::of::<EwFlagModel>("ew_flag", "EwFlag<u64>"),
    FuzzType::of::<DwFlagModel>("dw_flag", "DwFlag<u64>"),
    FuzzType::of::<CausalCounterModel>("causal_counter", "CausalCounter<u64>"),
    FuzzType::of::<VectorClockModel>("vector_clock", "VectorClock<u64>"),
    FuzzType::of::<DotContextModel>("dot_context", "DotContext<u64>"),
    FuzzType::followed::<HybridModel, LamportModel>(
        "timestamp",
        "HybridTimestamp<u64> and LamportTimestamp<u64>",
    ),
    // Not law-kit models but the sync engine: `_ops` plays histories of two replicas whose
    // messages are lost, duplicated, reordered and damaged; `_decode` delivers the bytes to a
    // replica; the seeds of `_decode` are messages a replica sent.
    FuzzType {
        name: "sync_replica",
        states: "concord_sync::Replica<OrSet<u8>> receiving messages, intact and damaged",
        ops: sync::history::<sync::Set>,
        decode: sync::receive::<sync::Set>,
        encodings: sync::messages::<sync::Set>,
    },
    FuzzType {
        name: "sync_lww_map",
        states: "concord_sync::Replica<LwwMap<u8, u8, LamportTimestamp<ReplicaId>>> compacting \
                 every 5 ticks, receiving messages, intact and damaged",
        ops: sync::history::<sync::Map>,
        decode: sync::receive::<sync::Map>,
        encodings: sync::messages::<sync::Map>,
    },
];

/// The Lamport-stamped register plays the hybrid one's history without its physical times.
impl Follows<LwwHybridModel> for LwwLamportModel {
    fn follow(op: &HybridOp) -> u8 {
        op.value
    }
}

/// The remove-wins set plays the add-wins set's inserts and removes.
impl Follows<AddWinsModel> for RemoveWinsModel {
    fn follow(op: &<AddWinsModel as Model>::Op) -> Self::Op {
        *op
    }
}

/// The Lamport clock ticks where the hybrid clock's events happen, ignoring their times.
impl Follows<HybridModel> for LamportModel {
    fn follow(_: &i16) {}
}

/// One fuzzed type: a row of [`TYPES`].
#[derive(Clone, Copy)]
pub struct FuzzType {
    /// Stem of the target names (`g_counter` gives `g_counter_ops` and `g_counter_decode`).
    pub name: &'static str,
    /// The state types the checks cover, for people reading the target list.
    pub states: &'static str,
    /// The `_ops` check, given the same meter (the law-kit rows do not use it; the sync row
    /// bounds what a delivery allocates).
    pub ops: fn(&[u8], &dyn AllocationMeter) -> Outcome,
    /// The `_decode` check, measuring allocations with the meter it is given.
    pub decode: fn(&[u8], &dyn AllocationMeter) -> Outcome,
    /// Seeds of the `_decode` target: encodings of honest states.
    pub encodings: fn() -> Vec<Vec<u8>>,
}

impl FuzzType {
    /// The row of a type with one law-kit model `M`: [`ops`], [`decode`] and [`encodings`] of
    /// `M`.
    #[must_use]
    pub const fn of<M: Model>(name: &'static str, states: &'static str) -> Self
    where
        M::State: WireType + PartialOrd,
        M::Op: for<'a> Arbitrary<'a>,
    {
        FuzzType {
            name,
            states,
            ops: |data, _| ops::<M>(data),
            decode: decode::<M>,
            encodings: encodings::<M>,
        }
    }

    /// The row of a type checked through two models on one history (see [`Follows`]): each
    /// check runs on `A`, then on `B`, and the seeds are both models' encodings.
    #[must_use]
    pub const fn followed<A: Model, B: Follows<A>>(name: &'static str, states: &'static str) -> Self
    where
        A::State: WireType + PartialOrd,
        B::State: WireType + PartialOrd,
        A::Op: for<'a> Arbitrary<'a>,
    {
        FuzzType {
            name,
            states,
            ops: |data, _| ops_followed::<A, B>(data),
            decode: |data, meter| {
                decode::<A>(data, meter)?;
                decode::<B>(data, meter)
            },
            encodings: || {
                let mut all = encodings::<A>();
                all.extend(encodings::<B>());
                all
            },
        }
    }

    /// This type's two targets, `_ops` first.
    pub fn targets(&'static self) -> impl Iterator<Item = Target> {
        Kind::ALL
            .into_iter()
            .map(move |kind| Target { ty: self, kind })
    }
}

impl fmt::Debug for FuzzType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuzzType")
            .field("name", &self.name)
            .field("states", &self.states)
            .finish_non_exhaustive()
    }
}

/// Which of a type's two checks a target runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Operation scripts checked against every law ([`ops`]).
    Ops,
    /// Hostile bytes decoded inside the allocation bound ([`decode`]).
    Decode,
}

impl Kind {
    /// Both kinds, in the order of a type's targets.
    pub const ALL: [Kind; 2] = [Kind::Ops, Kind::Decode];

    /// The suffix of the target name: `ops` or `decode`.
    #[must_use]
    pub const fn suffix(self) -> &'static str {
        match self {
            Kind::Ops => "ops",
            Kind::Decode => "decode",
        }
    }
}

/// One fuzz target: a type of [`TYPES`] and one of its checks. Its name is the name of the
/// cargo-fuzz binary, of `fuzz/fuzz_targets/<name>.rs`, and of its folders under
/// `fuzz/corpus/` and `fuzz/regressions/`.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The type checked.
    pub ty: &'static FuzzType,
    /// The check run.
    pub kind: Kind,
}

impl Target {
    /// `<type>_<kind>`, for example `g_counter_ops`.
    #[must_use]
    pub fn name(&self) -> String {
        format!("{}_{}", self.ty.name, self.kind.suffix())
    }

    /// Whether this target is called `name`, without building its name.
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        name.strip_prefix(self.ty.name)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|suffix| suffix == self.kind.suffix())
    }

    /// Runs this target's check on one input; `meter` counts what a decode (or a delivery to
    /// a replica) allocates (the `_ops` checks of law-kit rows do not use it).
    ///
    /// # Errors
    ///
    /// The check's report of what failed.
    pub fn check(&self, data: &[u8], meter: &dyn AllocationMeter) -> Outcome {
        match self.kind {
            Kind::Ops => (self.ty.ops)(data, meter),
            Kind::Decode => (self.ty.decode)(data, meter),
        }
    }

    /// A few valid inputs: encodings of small worlds' states for a `_decode` target, byte
    /// strings that form scripts for an `_ops` target. The committed seed corpora are written
    /// from these, and the replay test checks they still pass.
    #[must_use]
    pub fn seeds(&self) -> Vec<Vec<u8>> {
        match self.kind {
            Kind::Ops => script_bytes(),
            Kind::Decode => (self.ty.encodings)(),
        }
    }
}

/// Every target, type by type in the order of [`TYPES`], `_ops` before `_decode`.
pub fn targets() -> impl Iterator<Item = Target> {
    TYPES.iter().flat_map(FuzzType::targets)
}

/// The target called `name`, if [`TYPES`] has it.
#[must_use]
pub fn find(name: &str) -> Option<Target> {
    targets().find(|t| t.is(name))
}

/// Runs `target`'s check on `data` and panics with its report: what a fuzz target does with an
/// input.
///
/// # Panics
///
/// When the check fails; the fuzzer records the input as a crash.
#[expect(
    clippy::panic,
    reason = "a panic is how a fuzz target reports a finding"
)]
pub fn run(target: &Target, data: &[u8], meter: &dyn AllocationMeter) {
    if let Err(report) = target.check(data, meter) {
        panic!("{}: {report}", target.name());
    }
}
