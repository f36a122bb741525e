//! The laws over generated worlds: one check function and one quickcheck runner per law.
//!
//! A check function (`check_idempotence`, ...) plays one [`Script`] and checks one law on the
//! world it produces. A runner (`run_idempotence`, ...) feeds a check function quickcheck-made
//! scripts until enough cases passed, and panics naming the law when one fails. Each law has
//! its own pair, and each pair requires exactly the bounds its law needs (`PartialOrd` for the
//! order laws, [`WireType`] for the decode law), so there is no way to ask a runner for a law
//! it does not check: such a call does not compile.

use alloc::vec::Vec;
use core::any::type_name;
use std::eprintln;

use quickcheck::{Gen, QuickCheck, TestResult};

use super::checks::{
    Law, LawViolation, associative, catch_up, commutative, idempotent, least_upper_bound, novelty,
    upper_bound,
};
use super::world::{Model, Script, World};
use crate::codec::{self, HEADER_LEN, WireType};
use crate::{CatchUp, Merge, Novelty};

/// Passing cases each law needs by default; `QUICKCHECK_TESTS` changes it.
pub const DEFAULT_CASES: u64 = 1_000;

/// The seed used unless `CONCORD_SEED` gives another; printed on failure.
pub const DEFAULT_SEED: u64 = 0xC0AC_0D5E_ED00_0001;

/// Steps per world at most, unless `QUICKCHECK_GENERATOR_SIZE` gives another.
const DEFAULT_SIZE: usize = 40;

/// How many cases, from which seed, of what size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Passing cases required.
    pub cases: u64,
    /// The generator's seed.
    pub seed: u64,
    /// The generator's size: steps per world at most.
    pub size: usize,
}

impl Config {
    /// Reads `QUICKCHECK_TESTS`, `CONCORD_SEED` (decimal or `0x` hex) and
    /// `QUICKCHECK_GENERATOR_SIZE`, falling back to the defaults. The case count never drops
    /// below 1.
    #[must_use]
    pub fn from_env() -> Self {
        fn var(name: &str) -> Option<std::string::String> {
            std::env::var(name).ok()
        }
        let parse_u64 = |s: std::string::String| -> Option<u64> {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        };
        Config {
            cases: var("QUICKCHECK_TESTS")
                .and_then(parse_u64)
                .unwrap_or(DEFAULT_CASES)
                .max(1),
            seed: var("CONCORD_SEED")
                .and_then(parse_u64)
                .unwrap_or(DEFAULT_SEED),
            size: var("QUICKCHECK_GENERATOR_SIZE")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(DEFAULT_SIZE)
                .max(1),
        }
    }
}

// ------------------------------------------------------------------------------- runners

/// Runs `check` over generated scripts of `M`; `law` only labels the run.
#[track_caller]
fn run<M: Model>(law: Law, check: fn(Script<M::Op>) -> TestResult) {
    let cfg = Config::from_env();
    // Shown by the test harness when the test fails: the seed reproduces the run.
    eprintln!(
        "law kit: {law} for {}: {} cases, size {}, seed {:#x} (rerun with CONCORD_SEED={:#x})",
        type_name::<M::State>(),
        cfg.cases,
        cfg.size,
        cfg.seed,
        cfg.seed
    );
    QuickCheck::new()
        .rng(Gen::from_size_and_seed(cfg.size, cfg.seed))
        .tests(cfg.cases)
        .max_tests(cfg.cases.saturating_mul(20))
        .min_tests_passed(cfg.cases)
        .quickcheck(check);
}

/// A check's result as quickcheck sees it: a vacuous world is discarded, not passed.
fn verdict<T: core::fmt::Debug>(result: Result<bool, LawViolation<T>>) -> TestResult {
    match result {
        Ok(true) => TestResult::passed(),
        Ok(false) => TestResult::discard(),
        Err(violation) => TestResult::error(alloc::format!("{violation}")),
    }
}

/// Runs [`check_idempotence`] over generated worlds of `M`.
///
/// # Panics
///
/// When the law fails (the message names the law, the inputs and the seed), or when fewer than
/// the configured number of cases passed because worlds were vacuous. This is a test runner:
/// panicking is how it reports.
#[track_caller]
pub fn run_idempotence<M: Model>() {
    run::<M>(Law::Idempotence, |s| verdict(check_idempotence::<M>(&s)));
}

/// Runs [`check_commutativity`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for commutativity.
#[track_caller]
pub fn run_commutativity<M: Model>() {
    run::<M>(Law::Commutativity, |s| {
        verdict(check_commutativity::<M>(&s))
    });
}

/// Runs [`check_associativity`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for associativity.
#[track_caller]
pub fn run_associativity<M: Model>() {
    run::<M>(Law::Associativity, |s| {
        verdict(check_associativity::<M>(&s))
    });
}

/// Runs [`check_delta_inflation`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for delta inflation.
#[track_caller]
pub fn run_delta_inflation<M: Model>() {
    run::<M>(Law::DeltaInflation, |s| {
        verdict(check_delta_inflation::<M>(&s))
    });
}

/// Runs [`check_delta_delivery`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for delta delivery.
#[track_caller]
pub fn run_delta_delivery<M: Model>() {
    run::<M>(Law::DeltaDelivery, |s| {
        verdict(check_delta_delivery::<M>(&s))
    });
}

/// Runs [`check_convergence`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for convergence (to the join of all states and to the oracle).
#[track_caller]
pub fn run_convergence<M: Model>() {
    run::<M>(Law::Convergence, |s| verdict(check_convergence::<M>(&s)));
}

/// Runs [`check_upper_bound`] over generated worlds of `M`, whose `PartialOrd` must be the
/// lattice order.
///
/// A state without `PartialOrd` has no order law to check, and the call does not compile:
///
/// ```compile_fail
/// use concord_core::{laws, Merge};
///
/// #[derive(Clone, Debug, PartialEq)] // no PartialOrd
/// struct Max(u64);
/// impl Merge for Max {
///     fn merge(&mut self, other: &Self) { self.0 = self.0.max(other.0) }
/// }
/// struct MaxModel;
/// impl laws::Model for MaxModel {
///     type State = Max;
///     type Op = u8;
///     type Replica = ();
///     type Oracle = ();
///     type Value = ();
///     fn replica(_: usize) {}
///     fn initial() -> Max { Max(0) }
///     fn oracle() {}
///     fn apply(_: &mut (), s: &mut Max, op: &u8, _: &mut ()) -> Option<Max> {
///         let d = Max(u64::from(*op));
///         s.merge(&d);
///         Some(d)
///     }
///     fn value(_: &Max) {}
///     fn expected(_: &()) {}
/// }
///
/// laws::run_upper_bound::<MaxModel>();
/// ```
///
/// # Panics
///
/// As [`run_idempotence`], for the upper bound law.
#[track_caller]
pub fn run_upper_bound<M: Model>()
where
    M::State: PartialOrd,
{
    run::<M>(Law::UpperBound, |s| verdict(check_upper_bound::<M>(&s)));
}

/// Runs [`check_least_upper_bound`] over generated worlds of `M`, whose `PartialOrd` must be
/// the lattice order.
///
/// # Panics
///
/// As [`run_idempotence`], for the least upper bound law.
#[track_caller]
pub fn run_least_upper_bound<M: Model>()
where
    M::State: PartialOrd,
{
    run::<M>(Law::LeastUpperBound, |s| {
        verdict(check_least_upper_bound::<M>(&s))
    });
}

/// Runs [`check_decode`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for the decode law.
#[track_caller]
pub fn run_decode<M: Model>()
where
    M::State: WireType,
{
    run::<M>(Law::Decode, |s| verdict(check_decode::<M>(&s)));
}

/// Runs [`check_novelty`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for the novelty laws.
#[track_caller]
pub fn run_novelty<M: Model>()
where
    M::State: Novelty,
{
    run::<M>(Law::Novelty, |s| verdict(check_novelty::<M>(&s)));
}

/// Runs [`check_catch_up`] over generated worlds of `M`.
///
/// # Panics
///
/// As [`run_idempotence`], for the catch-up law.
#[track_caller]
pub fn run_catch_up<M: Model>()
where
    M::State: CatchUp,
{
    run::<M>(Law::CatchUp, |s| verdict(check_catch_up::<M>(&s)));
}

// ------------------------------------------------------------------------ check functions
//
// Each `check_*` plays the script (which checks delta inflation on every operation) and then
// checks its law on the world. `Ok(false)` means the world was vacuous (no operation took
// effect) and says nothing either way; the runners discard such cases.

/// Plays `script`; `None` when no operation produced a delta.
fn play<M: Model>(script: &Script<M::Op>) -> Result<Option<World<M>>, LawViolation<M::State>> {
    let world = World::<M>::run(script)?;
    Ok((!world.deltas.is_empty()).then_some(world))
}

/// Idempotence on every state of `world` and its first deltas.
fn idempotence_in<M: Model>(
    world: &World<M>,
    pool: &[M::State],
) -> Result<(), LawViolation<M::State>> {
    for s in pool.iter().chain(world.deltas.iter().take(8)) {
        idempotent(s)?;
    }
    Ok(())
}

/// Commutativity on every pair of `pool`.
fn commutativity_in<T: Merge + Clone + PartialEq>(pool: &[T]) -> Result<(), LawViolation<T>> {
    for (i, a) in pool.iter().enumerate() {
        for b in pool.iter().skip(i + 1) {
            commutative(a, b)?;
        }
    }
    Ok(())
}

/// Associativity on triples of `pool`: every pair, with a third picked by `shuffle`.
fn associativity_in<T: Merge + Clone + PartialEq>(
    pool: &[T],
    shuffle: u64,
) -> Result<(), LawViolation<T>> {
    let n = pool.len();
    let offset = (shuffle % 97) as usize;
    for (i, a) in pool.iter().enumerate() {
        for (j, b) in pool.iter().enumerate() {
            if let Some(c) = pool.get((i + j + offset) % n.max(1)) {
                associative(a, b, c)?;
            }
        }
    }
    Ok(())
}

/// The upper bound law on every pair of `pool`, each state with itself included.
fn upper_bound_in<T: Merge + Clone + PartialOrd>(pool: &[T]) -> Result<(), LawViolation<T>> {
    for (i, a) in pool.iter().enumerate() {
        for b in pool.iter().skip(i) {
            upper_bound(a, b)?;
        }
    }
    Ok(())
}

/// The least upper bound law on every pair of `pool`, and on each input with the join (so
/// the law is not vacuous when the pair is incomparable).
fn least_upper_bound_in<T: Merge + Clone + PartialOrd>(pool: &[T]) -> Result<(), LawViolation<T>> {
    for (i, a) in pool.iter().enumerate() {
        for b in pool.iter().skip(i) {
            least_upper_bound(a, b)?;
            let joined = a.joined(b);
            least_upper_bound(a, &joined)?;
            least_upper_bound(b, &joined)?;
        }
    }
    Ok(())
}

/// Plays `script` and checks idempotence, `a ⊔ a == a`, on its states and deltas.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::Idempotence`], or a delta inflation violation met while playing.
pub fn check_idempotence<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>> {
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    idempotence_in(&world, &world.pool())?;
    Ok(true)
}

/// Plays `script` and checks commutativity, `a ⊔ b == b ⊔ a`, on every pair of its states.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::Commutativity`], or a delta inflation violation met while playing.
pub fn check_commutativity<M: Model>(
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>> {
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    commutativity_in(&world.pool())?;
    Ok(true)
}

/// Plays `script` and checks associativity, `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`, on triples of its
/// states.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::Associativity`], or a delta inflation violation met while playing.
pub fn check_associativity<M: Model>(
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>> {
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    associativity_in(&world.pool(), script.shuffle)?;
    Ok(true)
}

/// Plays `script`, checking delta inflation (`x ⊔ d == m(x)`) on every operation, and that a
/// refused operation changed nothing.
///
/// Returns `Ok(true)` when at least one operation was performed, `Ok(false)` otherwise.
///
/// # Errors
///
/// [`LawViolation::DeltaInflation`] or [`LawViolation::RefusedOperationChanged`].
pub fn check_delta_inflation<M: Model>(
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>> {
    let world = World::<M>::run(script)?;
    Ok(world.operations > 0)
}

/// Plays `script` and checks delta delivery: every delta, shuffled and partly duplicated,
/// merged into a fresh replica gives the join of all final states.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::DeltaDelivery`], or a delta inflation violation met while playing.
pub fn check_delta_delivery<M: Model>(
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>> {
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    world.check_delta_delivery(script.shuffle)?;
    Ok(true)
}

/// Plays `script` and checks convergence: after a shuffled exchange of full states every
/// replica equals the join of all states, and reads the value the model's oracle expects.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::Divergence`] or [`LawViolation::Oracle`], or a delta inflation violation
/// met while playing.
pub fn check_convergence<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>> {
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    world.check_convergence(script.shuffle)?;
    Ok(true)
}

/// Plays `script` and checks the upper bound law, `a ≤ a ⊔ b` and `b ≤ a ⊔ b` in the state's
/// `PartialOrd`, on every pair of its states.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::UpperBound`], or a delta inflation violation met while playing.
pub fn check_upper_bound<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>>
where
    M::State: PartialOrd,
{
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    upper_bound_in(&world.pool())?;
    Ok(true)
}

/// Plays `script` and checks the least upper bound law, `a ≤ b ⇒ a ⊔ b == b` in the state's
/// `PartialOrd`, on every pair of its states and on each state with a join above it.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::LeastUpperBound`], or a delta inflation violation met while playing.
pub fn check_least_upper_bound<M: Model>(
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>>
where
    M::State: PartialOrd,
{
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    least_upper_bound_in(&world.pool())?;
    Ok(true)
}

/// Plays `script` and checks the novelty laws ([`Novelty`]) for every state of the world
/// against every delta produced and every other state: `x ⊔ x.novel(d) == x ⊔ d` and
/// `x.novel(d) ⊔ d == d`.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::Novelty`] or [`LawViolation::NoveltyNotSmaller`], or a delta inflation
/// violation met while playing.
pub fn check_novelty<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>>
where
    M::State: Novelty,
{
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    let pool = world.pool();
    for x in &pool {
        for d in world.deltas.iter().chain(&pool) {
            novelty(x, d)?;
        }
    }
    Ok(true)
}

/// Plays `script` and checks the catch-up law ([`CatchUp`]) on every ordered pair of the
/// world's states: `y ⊔ x.delta_since(&y.summary()) == y ⊔ x`.
///
/// Returns `Ok(true)` when the law was checked, `Ok(false)` when the world was vacuous.
///
/// # Errors
///
/// [`LawViolation::CatchUp`], or a delta inflation violation met while playing.
pub fn check_catch_up<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>>
where
    M::State: CatchUp,
{
    let Some(world) = play::<M>(script)? else {
        return Ok(false);
    };
    let pool = world.pool();
    for x in &pool {
        for y in &pool {
            catch_up(x, y)?;
        }
    }
    Ok(true)
}

/// Plays `script` and checks the decode law: every state decodes from its own encoding to an
/// equal state, a valid encoding with a byte appended is refused, and truncated, corrupted and
/// random encodings either fail to decode or decode to a state that round-trips and obeys the
/// merge laws together with the world's honest states.
///
/// Returns `Ok(true)`: even a vacuous world has its initial states to encode.
///
/// # Errors
///
/// [`LawViolation::RoundTrip`] or [`LawViolation::Decoded`] (which holds the bytes and the
/// law the decoded state broke), or a delta inflation violation met while playing.
pub fn check_decode<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>>
where
    M::State: WireType,
{
    let world = World::<M>::run(script)?;
    decode_in(&world, script)?;
    Ok(true)
}

fn decode_in<M: Model>(
    world: &World<M>,
    script: &Script<M::Op>,
) -> Result<(), LawViolation<M::State>>
where
    M::State: WireType,
{
    let pool = world.pool();
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for state in pool.iter().chain(world.deltas.iter().take(2)).take(6) {
        let bytes = round_trip(state)?;
        // Extra bytes after a valid state are always refused.
        let mut longer = bytes.clone();
        longer.push(script.noise.first().map_or(0, |&(_, b)| b));
        if codec::decode::<M::State>(&longer).is_ok() {
            return Err(LawViolation::RoundTrip {
                state: state.clone(),
                got: alloc::string::String::from("a state with a trailing byte was accepted"),
            });
        }
        let payload = bytes.len().saturating_sub(HEADER_LEN);
        if payload > 0 {
            let cut = HEADER_LEN + (script.shuffle as usize % payload);
            candidates.push(bytes.get(..cut).unwrap_or_default().to_vec());
            let mut all = bytes.clone();
            for &(pos, flip) in script.noise.iter().take(8) {
                let mut one = bytes.clone();
                let at = HEADER_LEN + usize::from(pos) % payload;
                if let Some(b) = one.get_mut(at) {
                    *b ^= flip.max(1);
                }
                if let Some(b) = all.get_mut(at) {
                    *b ^= flip.max(1);
                }
                candidates.push(one);
            }
            candidates.push(all);
        }
    }
    if let Some(first) = pool.first() {
        let mut raw = round_trip(first)?
            .get(..HEADER_LEN)
            .unwrap_or_default()
            .to_vec();
        raw.extend(script.noise.iter().map(|&(_, b)| b));
        candidates.push(raw);
    }
    for bytes in candidates {
        if let Ok(hostile) = codec::decode::<M::State>(&bytes) {
            hostile_laws(&hostile, &pool).map_err(|violation| LawViolation::Decoded {
                bytes: bytes.clone(),
                violation: alloc::boxed::Box::new(violation),
            })?;
        }
    }
    Ok(())
}

// --------------------------------------------------------------------- fuzz entry points

/// Plays `script` once and checks every law that needs only [`Merge`] and [`WireType`]:
/// delta inflation (while playing), idempotence, commutativity, associativity, delta
/// delivery, convergence to the oracle, and the decode law. The entry point for fuzz targets
/// over operation scripts.
///
/// # Errors
///
/// The first violation found.
pub fn check_script<M: Model>(script: &Script<M::Op>) -> Result<(), LawViolation<M::State>>
where
    M::State: WireType,
{
    let world = World::<M>::run(script)?;
    merge_laws_in(&world, script)?;
    decode_in(&world, script)
}

/// [`check_script`] plus the order laws (upper bound, least upper bound), for types whose
/// `PartialOrd` is the lattice order.
///
/// # Errors
///
/// The first violation found.
pub fn check_script_lattice<M: Model>(script: &Script<M::Op>) -> Result<(), LawViolation<M::State>>
where
    M::State: WireType + PartialOrd,
{
    let world = World::<M>::run(script)?;
    merge_laws_in(&world, script)?;
    decode_in(&world, script)?;
    if !world.deltas.is_empty() {
        let pool = world.pool();
        upper_bound_in(&pool)?;
        least_upper_bound_in(&pool)?;
    }
    Ok(())
}

/// The laws of [`check_script`] but the decode law, on a world already played.
fn merge_laws_in<M: Model>(
    world: &World<M>,
    script: &Script<M::Op>,
) -> Result<(), LawViolation<M::State>> {
    if world.deltas.is_empty() {
        return Ok(());
    }
    let pool = world.pool();
    idempotence_in(world, &pool)?;
    commutativity_in(&pool)?;
    associativity_in(&pool, script.shuffle)?;
    world.check_delta_delivery(script.shuffle)?;
    world.check_convergence(script.shuffle)
}

/// Decodes `bytes` as a state of `M`; if that succeeds, checks the decoded state round-trips
/// and obeys the merge laws together with the honest states of `script`'s world. Returns
/// whether the bytes decoded. The entry point for fuzz targets over raw bytes.
///
/// # Errors
///
/// [`LawViolation::Decoded`] (or a violation in the honest world itself).
pub fn check_bytes<M: Model>(
    bytes: &[u8],
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>>
where
    M::State: WireType,
{
    let Ok(hostile) = codec::decode::<M::State>(bytes) else {
        return Ok(false);
    };
    let world = World::<M>::run(script)?;
    let mut pool = world.pool();
    pool.push(M::initial());
    hostile_laws(&hostile, &pool).map_err(|violation| LawViolation::Decoded {
        bytes: bytes.to_vec(),
        violation: alloc::boxed::Box::new(violation),
    })?;
    Ok(true)
}

fn round_trip<T: WireType + Clone + PartialEq + core::fmt::Debug>(
    state: &T,
) -> Result<Vec<u8>, LawViolation<T>> {
    let fail = |got: alloc::string::String| LawViolation::RoundTrip {
        state: state.clone(),
        got,
    };
    let bytes = codec::encode(state).map_err(|e| fail(alloc::format!("{e}")))?;
    match codec::decode::<T>(&bytes) {
        Ok(back) if back == *state => Ok(bytes),
        Ok(back) => Err(fail(alloc::format!("{back:?}"))),
        Err(e) => Err(fail(alloc::format!("{e}"))),
    }
}

fn hostile_laws<T: WireType + Merge + Clone + PartialEq + core::fmt::Debug>(
    hostile: &T,
    honest: &[T],
) -> Result<(), LawViolation<T>> {
    round_trip(hostile)?;
    idempotent(hostile)?;
    for (i, a) in honest.iter().enumerate().take(4) {
        commutative(hostile, a)?;
        let b = honest.get(i + 1).unwrap_or(a);
        associative(hostile, a, b)?;
        associative(a, hostile, b)?;
        associative(a, b, hostile)?;
    }
    Ok(())
}
