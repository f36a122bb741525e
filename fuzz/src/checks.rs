//! The check behind every fuzz target, by name.
//!
//! This file is compiled twice: by the fuzz crate (`fuzz/src/lib.rs`), whose targets call one
//! function each, and by the replay test `crates/concord-sim/tests/fuzz_replay.rs`, which feeds
//! every file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` to the same function
//! under a normal `cargo test`. Both crates declare the counting allocator this file measures
//! with as `crate::ALLOCATOR`.
//!
//! Two kinds of targets:
//!
//! - `<type>_ops`: the input is turned into a law-kit [`Script`] (replicas, local operations,
//!   full-state and delta sends in any order, duplicated or never delivered) and
//!   [`laws::check_script_lattice`] asserts the merge laws, the order laws, delta inflation and
//!   delivery, convergence to the model's oracle and the decode law on the states it reaches.
//! - `<type>_decode`: the input is the bytes of an encoded state. Decoding must stay inside
//!   [`allocation_bound`], a smaller decode limit must refuse it, and whatever decodes must
//!   re-encode to a fixed point and obey the merge laws with the honest states of two fixed
//!   worlds ([`laws::check_bytes`]).

use std::sync::{Mutex, MutexGuard, PoisonError};

use arbitrary::{Arbitrary, Unstructured};
use concord_core::codec::{self, CLAIM_RATIO, DecodeError, WireType};
use concord_core::laws::{self, Gen, Model, Script, Step};

use concord_clock::laws::{DotContextModel, HybridModel, LamportModel, VectorClockModel};
use concord_counter::laws::{GCounterModel, PnCounterModel};
use concord_register::laws::{HybridOp, LwwHybridModel, LwwLamportModel, MvModel};
use concord_set::laws::{AddWinsModel, RemoveWinsModel};

/// What a check reports: nothing, or what went wrong (the target panics with it).
pub type Outcome = Result<(), String>;

/// One fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs`) and its check.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The target's name, also the folder of its corpus and regressions.
    pub name: &'static str,
    /// The check run on every input.
    pub check: fn(&[u8]) -> Outcome,
}

/// Every target, in the order `scripts/fuzz.sh` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "g_counter_ops",
        check: g_counter_ops,
    },
    Target {
        name: "g_counter_decode",
        check: g_counter_decode,
    },
    Target {
        name: "pn_counter_ops",
        check: pn_counter_ops,
    },
    Target {
        name: "pn_counter_decode",
        check: pn_counter_decode,
    },
    Target {
        name: "lww_register_ops",
        check: lww_register_ops,
    },
    Target {
        name: "lww_register_decode",
        check: lww_register_decode,
    },
    Target {
        name: "mv_register_ops",
        check: mv_register_ops,
    },
    Target {
        name: "mv_register_decode",
        check: mv_register_decode,
    },
    Target {
        name: "lww_element_set_ops",
        check: lww_element_set_ops,
    },
    Target {
        name: "lww_element_set_decode",
        check: lww_element_set_decode,
    },
    Target {
        name: "vector_clock_ops",
        check: vector_clock_ops,
    },
    Target {
        name: "vector_clock_decode",
        check: vector_clock_decode,
    },
    Target {
        name: "dot_context_ops",
        check: dot_context_ops,
    },
    Target {
        name: "dot_context_decode",
        check: dot_context_decode,
    },
    Target {
        name: "timestamp_ops",
        check: timestamp_ops,
    },
    Target {
        name: "timestamp_decode",
        check: timestamp_decode,
    },
];

/// Runs `check` on `data` and panics with its report: what a fuzz target does with an input.
///
/// # Panics
///
/// When the check fails; the fuzzer records the input as a crash.
#[expect(
    clippy::panic,
    reason = "a panic is how a fuzz target reports a finding"
)]
pub fn run(check: fn(&[u8]) -> Outcome, data: &[u8]) {
    if let Err(report) = check(data) {
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------------
// Operation scripts

/// Builds a script from the fuzzer's bytes as `fuzz_target!` would for a typed input; bytes
/// that do not form a script are skipped, as libFuzzer skips them.
fn script<Op: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<Script<Op>> {
    Script::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// The same history with every operation mapped, so one input drives two models.
fn map_script<A, B>(script: &Script<A>, f: impl Fn(&A) -> B) -> Script<B> {
    Script {
        replicas: script.replicas,
        steps: script
            .steps
            .iter()
            .map(|step| match step {
                Step::Local { at, op } => Step::Local { at: *at, op: f(op) },
                Step::Merge { from, to } => Step::Merge {
                    from: *from,
                    to: *to,
                },
                Step::Delta { index, to } => Step::Delta {
                    index: *index,
                    to: *to,
                },
            })
            .collect(),
        shuffle: script.shuffle,
        noise: script.noise.clone(),
    }
}

fn lattice<M: Model>(script: &Script<M::Op>) -> Outcome
where
    M::State: WireType + PartialOrd,
{
    laws::check_script_lattice::<M>(script)
        .map_err(|violation| format!("{}: {violation}", std::any::type_name::<M::State>()))
}

fn ops<M: Model>(data: &[u8]) -> Outcome
where
    M::State: WireType + PartialOrd,
    M::Op: for<'a> Arbitrary<'a>,
{
    script::<M::Op>(data).map_or(Ok(()), |s| lattice::<M>(&s))
}

/// `GCounter`: increments, some refused by overflow.
pub fn g_counter_ops(data: &[u8]) -> Outcome {
    ops::<GCounterModel>(data)
}

/// `PnCounter`: increments and decrements, some refused by overflow.
pub fn pn_counter_ops(data: &[u8]) -> Outcome {
    ops::<PnCounterModel>(data)
}

/// `LwwRegister`: the same history stamped by hybrid clocks (with the physical time the
/// operations move) and by Lamport clocks.
pub fn lww_register_ops(data: &[u8]) -> Outcome {
    let Some(hybrid) = script::<HybridOp>(data) else {
        return Ok(());
    };
    lattice::<LwwHybridModel>(&hybrid)?;
    lattice::<LwwLamportModel>(&map_script(&hybrid, |op| op.value))
}

/// `MvRegister`: writes with current, empty and stale contexts.
pub fn mv_register_ops(data: &[u8]) -> Outcome {
    ops::<MvModel>(data)
}

/// `LwwElementSet`: the same inserts and removes under both biases.
pub fn lww_element_set_ops(data: &[u8]) -> Outcome {
    let Some(s) = script(data) else {
        return Ok(());
    };
    lattice::<AddWinsModel>(&s)?;
    lattice::<RemoveWinsModel>(&s)
}

/// `VectorClock`: increments of each replica's own entry.
pub fn vector_clock_ops(data: &[u8]) -> Outcome {
    ops::<VectorClockModel>(data)
}

/// `DotContext`: next dots, dots beyond a gap and late dots filling one.
pub fn dot_context_ops(data: &[u8]) -> Outcome {
    ops::<DotContextModel>(data)
}

/// `HybridTimestamp` and `LamportTimestamp`: the same history of clock events.
pub fn timestamp_ops(data: &[u8]) -> Outcome {
    let Some(hybrid) = script::<i16>(data) else {
        return Ok(());
    };
    lattice::<HybridModel>(&hybrid)?;
    lattice::<LamportModel>(&map_script(&hybrid, |_| ()))
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// How much a failing sequence may allocate before its first element is read: serde's `Vec`
/// visitor reserves `min(length prefix, 1 MiB / element size)` elements up front
/// (`serde::__private::size_hint::cautious`), and bincode's serde mode does not charge the
/// length prefix to its claim limit. A decode fails at the first sequence that runs out of
/// input, so this happens at most once per decode.
pub const SEQUENCE_PREALLOCATION: usize = 1 << 20;

/// Bytes a decode may allocate per input byte, in units of [`CLAIM_RATIO`]: the decoded value
/// claims at most [`CLAIM_RATIO`] bytes per input byte, its in-memory layout may pad that by up
/// to half again, vectors grow by doubling (every size counted once, so twice the final size),
/// and validation builds the state beside its wire form (counted twice again).
pub const ALLOCATION_FACTOR: usize = 8;

/// Fixed cost of a decode whatever the input: error messages and small temporaries.
pub const ALLOCATION_SLACK: usize = 16 << 10;

/// The most a decode of `len` input bytes may allocate, counting every allocation (freed or
/// not) and every growth of a reallocation.
#[must_use]
pub fn allocation_bound(len: usize) -> usize {
    SEQUENCE_PREALLOCATION
        .saturating_add(
            ALLOCATION_FACTOR
                .saturating_mul(CLAIM_RATIO)
                .saturating_mul(len),
        )
        .saturating_add(ALLOCATION_SLACK)
}

/// One measurement at a time: the counters are global, so tests in the same process that
/// measure must not overlap.
static MEASURING: Mutex<()> = Mutex::new(());

/// Holds off other measurements; the replay test holds it for each whole test.
pub fn exclusive() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Decodes `data` as a `T` and returns the bytes the decode allocated, counting every
/// allocation (freed or not) and every growth of a reallocation.
///
/// The allocator refuses (and the process aborts on) any allocation that would take the live
/// total more than [`allocation_bound`] above where it started, so a length prefix that claims
/// terabytes fails on the spot instead of exhausting memory. The caller holds [`exclusive`]
/// when other threads may allocate.
pub fn measure_decode<T: WireType>(data: &[u8]) -> (Result<T, DecodeError>, usize) {
    let allocator = &crate::ALLOCATOR;
    let live = allocator.allocated();
    let total = allocator.total_allocated();
    // Fails only if the live total already exceeds the new limit, which it cannot.
    let _ = allocator.set_limit(live.saturating_add(allocation_bound(data.len())));
    let decoded = codec::decode::<T>(data);
    let _ = allocator.set_limit(usize::MAX);
    let used = allocator.total_allocated().wrapping_sub(total);
    (decoded, used)
}

/// Decodes `data` as a `T`, failing if the decode allocated more than [`allocation_bound`].
///
/// # Errors
///
/// A report naming the input's length, the bound and the bytes allocated.
pub fn decode_counted<T: WireType>(data: &[u8]) -> Result<Result<T, DecodeError>, String> {
    let bound = allocation_bound(data.len());
    let (decoded, used) = measure_decode::<T>(data);
    if used > bound {
        return Err(format!(
            "decoding {len} bytes as {ty} allocated {used} bytes, above the bound of {bound} \
             ({outcome}); input: {data:02x?}",
            len = data.len(),
            ty = T::NAME,
            outcome = match &decoded {
                Ok(_) => "decoded".to_string(),
                Err(e) => e.to_string(),
            },
        ));
    }
    Ok(decoded)
}

/// Worlds whose honest states every decoded state must merge lawfully with.
fn honest_scripts<M: Model>() -> [Script<M::Op>; 2] {
    [
        laws::Arbitrary::arbitrary(&mut Gen::from_size_and_seed(12, 0x5EED_0001)),
        laws::Arbitrary::arbitrary(&mut Gen::from_size_and_seed(24, 0x5EED_0002)),
    ]
}

/// The decode check of one model's state type; see the module documentation.
///
/// # Errors
///
/// A report of the first failure.
pub fn decode<M: Model>(data: &[u8]) -> Outcome
where
    M::State: WireType,
{
    let name = <M::State as WireType>::NAME;
    let decoded = decode_counted::<M::State>(data)?;
    if let Some(smaller) = data.len().checked_sub(1) {
        match codec::decode_with_limit::<M::State>(data, smaller) {
            Err(DecodeError::TooLarge { .. }) => {}
            other => {
                return Err(format!(
                    "{name}: {} bytes under a limit of {smaller}: {other:?}",
                    data.len()
                ));
            }
        }
    }
    let Ok(state) = decoded else {
        return Ok(());
    };
    let fail = |what: String| format!("{name}: {what}; input: {data:02x?}; decoded: {state:?}");
    let once = codec::encode(&state).map_err(|e| fail(e.to_string()))?;
    let back = codec::decode::<M::State>(&once).map_err(|e| fail(format!("re-encoding: {e}")))?;
    if back != state {
        return Err(fail(format!("re-encoding decodes to {back:?}")));
    }
    let twice = codec::encode(&back).map_err(|e| fail(e.to_string()))?;
    if twice != once {
        return Err(fail(format!(
            "encoding is not a fixed point: {once:02x?} then {twice:02x?}"
        )));
    }
    for honest in honest_scripts::<M>() {
        laws::check_bytes::<M>(data, &honest).map_err(|violation| fail(violation.to_string()))?;
    }
    Ok(())
}

/// `GCounter<u64>`.
pub fn g_counter_decode(data: &[u8]) -> Outcome {
    decode::<GCounterModel>(data)
}

/// `PnCounter<u64>`.
pub fn pn_counter_decode(data: &[u8]) -> Outcome {
    decode::<PnCounterModel>(data)
}

/// `LwwRegister<u8, _>` with hybrid and with Lamport stamps (one tag, two layouts).
pub fn lww_register_decode(data: &[u8]) -> Outcome {
    decode::<LwwHybridModel>(data)?;
    decode::<LwwLamportModel>(data)
}

/// `MvRegister<u8, u64>`.
pub fn mv_register_decode(data: &[u8]) -> Outcome {
    decode::<MvModel>(data)
}

/// `LwwElementSet<u8, LamportTimestamp<u64>, _>` under both biases.
pub fn lww_element_set_decode(data: &[u8]) -> Outcome {
    decode::<AddWinsModel>(data)?;
    decode::<RemoveWinsModel>(data)
}

/// `VectorClock<u64>`.
pub fn vector_clock_decode(data: &[u8]) -> Outcome {
    decode::<VectorClockModel>(data)
}

/// `DotContext<u64>`.
pub fn dot_context_decode(data: &[u8]) -> Outcome {
    decode::<DotContextModel>(data)
}

/// `HybridTimestamp<u64>` and `LamportTimestamp<u64>`.
pub fn timestamp_decode(data: &[u8]) -> Outcome {
    decode::<HybridModel>(data)?;
    decode::<LamportModel>(data)
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// A few valid inputs for `target`: encodings of the states of small worlds for `_decode`
/// targets, byte strings that form scripts for `_ops` targets. Used to write the committed seed
/// corpora and by the replay test to check they still pass.
#[must_use]
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "g_counter_decode" => encoded::<GCounterModel>(),
        "pn_counter_decode" => encoded::<PnCounterModel>(),
        "lww_register_decode" => {
            let mut all = encoded::<LwwHybridModel>();
            all.extend(encoded::<LwwLamportModel>());
            all
        }
        "mv_register_decode" => encoded::<MvModel>(),
        "lww_element_set_decode" => {
            let mut all = encoded::<AddWinsModel>();
            all.extend(encoded::<RemoveWinsModel>());
            all
        }
        "vector_clock_decode" => encoded::<VectorClockModel>(),
        "dot_context_decode" => encoded::<DotContextModel>(),
        "timestamp_decode" => {
            let mut all = encoded::<HybridModel>();
            all.extend(encoded::<LamportModel>());
            all
        }
        _ => script_bytes(),
    }
}

/// Encodings of the final states and a delta of a few worlds, distinct, small first.
fn encoded<M: Model>() -> Vec<Vec<u8>>
where
    M::State: WireType,
{
    let mut out: Vec<Vec<u8>> = Vec::new();
    for seed in 1..=3 {
        let script: Script<M::Op> =
            laws::Arbitrary::arbitrary(&mut Gen::from_size_and_seed(16, seed));
        let Ok(world) = laws::World::<M>::run(&script) else {
            continue;
        };
        let joined = world.join_all();
        let states = world
            .replicas
            .iter()
            .take(2)
            .chain(world.deltas.first())
            .chain(Some(&joined));
        out.extend(states.filter_map(|s| codec::encode(s).ok()));
    }
    out.sort_by_key(Vec::len);
    out.dedup();
    out
}

/// Byte strings that decode (through `arbitrary`) into short scripts with a mix of steps.
fn script_bytes() -> Vec<Vec<u8>> {
    let mut state: u64 = 0x0C0A_C0DE;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    [32usize, 64, 128, 256]
        .iter()
        .map(|&len| (0..len).map(|_| next().to_le_bytes()[0]).collect())
        .collect()
}
