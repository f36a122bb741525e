//! Runs the laws over generated worlds with quickcheck. Reached by the macros through
//! `concord_core::__private`; call it directly for a law the macros do not cover.

use alloc::vec::Vec;
use core::any::type_name;
use std::eprintln;

use quickcheck::{Gen, QuickCheck, TestResult};

use super::checks::{
    Law, LawViolation, associative, commutative, idempotent, least_upper_bound, upper_bound,
};
use super::world::{Model, Script, World};
use crate::Merge;
use crate::codec::{self, HEADER_LEN, WireType};

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

fn run<A: quickcheck::Arbitrary + core::fmt::Debug>(
    law: Law,
    subject: &str,
    prop: fn(A) -> TestResult,
) {
    let cfg = Config::from_env();
    // Shown by the test harness when the test fails: the seed reproduces the run.
    eprintln!(
        "law kit: {law} for {subject}: {} cases, size {}, seed {:#x} (rerun with CONCORD_SEED={:#x})",
        cfg.cases, cfg.size, cfg.seed, cfg.seed
    );
    QuickCheck::new()
        .rng(Gen::from_size_and_seed(cfg.size, cfg.seed))
        .tests(cfg.cases)
        .max_tests(cfg.cases.saturating_mul(20))
        .min_tests_passed(cfg.cases)
        .quickcheck(prop);
}

fn verdict<T: core::fmt::Debug>(result: Result<bool, LawViolation<T>>) -> TestResult {
    match result {
        Ok(true) => TestResult::passed(),
        Ok(false) => TestResult::discard(),
        Err(violation) => TestResult::error(alloc::format!("{violation}")),
    }
}

/// Runs one law that needs only [`Merge`] over generated worlds of `M`.
///
/// # Panics
///
/// When the law fails (the message names the law, the inputs and the seed), or when fewer than
/// the configured number of cases passed because worlds were vacuous. This is a test runner:
/// panicking is how it reports.
#[track_caller]
pub fn run_law<M: Model>(law: Law) {
    let prop: fn(Script<M::Op>) -> TestResult = match law {
        Law::Idempotence => general::<M, 0>,
        Law::Commutativity => general::<M, 1>,
        Law::Associativity => general::<M, 2>,
        Law::DeltaInflation => general::<M, 5>,
        Law::DeltaDelivery => general::<M, 6>,
        Law::Convergence => general::<M, 7>,
        // The order and decode laws need more bounds; their runners check them.
        Law::UpperBound | Law::LeastUpperBound | Law::Decode => general::<M, 0>,
    };
    run(law, type_name::<M::State>(), prop);
}

/// Runs one law that needs the type's `PartialOrd` as its lattice order ([`Law::UpperBound`],
/// [`Law::LeastUpperBound`]); other laws are passed on to [`run_law`].
///
/// # Panics
///
/// As [`run_law`].
#[track_caller]
pub fn run_lattice_law<M: Model>(law: Law)
where
    M::State: PartialOrd,
{
    match law {
        Law::UpperBound => run(law, type_name::<M::State>(), lattice::<M, 3>),
        Law::LeastUpperBound => run(law, type_name::<M::State>(), lattice::<M, 4>),
        other => run_law::<M>(other),
    }
}

/// Runs the decode law: every state of a world decodes from its own encoding, and corrupted,
/// truncated and random encodings either fail to decode or obey the laws with honest states.
///
/// # Panics
///
/// As [`run_law`].
#[track_caller]
pub fn run_decode<M: Model>()
where
    M::State: WireType,
{
    run(Law::Decode, type_name::<M::State>(), decode::<M>);
}

fn general<M: Model, const L: u8>(script: Script<M::Op>) -> TestResult {
    verdict(check_general::<M>(Law::from_index(L), &script))
}

fn lattice<M: Model, const L: u8>(script: Script<M::Op>) -> TestResult
where
    M::State: PartialOrd,
{
    verdict(check_lattice::<M>(Law::from_index(L), &script))
}

fn decode<M: Model>(script: Script<M::Op>) -> TestResult
where
    M::State: WireType,
{
    verdict(check_decode::<M>(&script))
}

/// Plays `script` and checks `law` on it. `Ok(false)` means the world was vacuous (no
/// operation took effect) and the case is discarded.
///
/// # Errors
///
/// The first violation found.
pub fn check_general<M: Model>(
    law: Law,
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>> {
    let world = World::<M>::run(script)?;
    if world.deltas.is_empty() {
        return Ok(false);
    }
    let pool = world.pool();
    let n = pool.len();
    match law {
        Law::Idempotence => {
            for s in pool.iter().chain(world.deltas.iter().take(8)) {
                idempotent(s)?;
            }
        }
        Law::Commutativity => {
            for (i, a) in pool.iter().enumerate() {
                for b in pool.iter().skip(i + 1) {
                    commutative(a, b)?;
                }
            }
        }
        Law::Associativity => {
            let offset = (script.shuffle % 97) as usize;
            for (i, a) in pool.iter().enumerate() {
                for (j, b) in pool.iter().enumerate() {
                    if let Some(c) = pool.get((i + j + offset) % n) {
                        associative(a, b, c)?;
                    }
                }
            }
        }
        Law::DeltaInflation => {} // checked on every operation by World::run
        Law::DeltaDelivery => world.check_delta_delivery(script.shuffle)?,
        Law::Convergence => world.check_convergence(script.shuffle)?,
        Law::UpperBound | Law::LeastUpperBound | Law::Decode => {}
    }
    Ok(true)
}

/// Plays `script` and checks an order law on it.
///
/// # Errors
///
/// The first violation found.
pub fn check_lattice<M: Model>(
    law: Law,
    script: &Script<M::Op>,
) -> Result<bool, LawViolation<M::State>>
where
    M::State: PartialOrd,
{
    let world = World::<M>::run(script)?;
    if world.deltas.is_empty() {
        return Ok(false);
    }
    let pool = world.pool();
    for (i, a) in pool.iter().enumerate() {
        for b in pool.iter().skip(i) {
            match law {
                Law::UpperBound => upper_bound(a, b)?,
                _ => {
                    least_upper_bound(a, b)?;
                    let joined = a.joined(b);
                    least_upper_bound(a, &joined)?;
                    least_upper_bound(b, &joined)?;
                }
            }
        }
    }
    Ok(true)
}

/// Plays `script` and checks the decode law on its states.
///
/// # Errors
///
/// The first violation found.
pub fn check_decode<M: Model>(script: &Script<M::Op>) -> Result<bool, LawViolation<M::State>>
where
    M::State: WireType,
{
    let world = World::<M>::run(script)?;
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
        let payload = bytes.len() - HEADER_LEN;
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
    Ok(true)
}

/// Plays `script` and checks every law that needs only [`Merge`] and [`WireType`]: the three
/// merge laws, delta inflation and delivery, convergence to the oracle, and the decode law.
/// The entry point for fuzz targets over operation scripts.
///
/// # Errors
///
/// The first violation found.
pub fn check_script<M: Model>(script: &Script<M::Op>) -> Result<(), LawViolation<M::State>>
where
    M::State: WireType,
{
    for law in [
        Law::Idempotence,
        Law::Commutativity,
        Law::Associativity,
        Law::DeltaDelivery,
        Law::Convergence,
    ] {
        check_general::<M>(law, script)?;
    }
    check_decode::<M>(script)?;
    Ok(())
}

/// [`check_script`] plus the order laws, for types whose `PartialOrd` is the lattice order.
///
/// # Errors
///
/// The first violation found.
pub fn check_script_lattice<M: Model>(script: &Script<M::Op>) -> Result<(), LawViolation<M::State>>
where
    M::State: WireType + PartialOrd,
{
    check_script::<M>(script)?;
    check_lattice::<M>(Law::UpperBound, script)?;
    check_lattice::<M>(Law::LeastUpperBound, script)?;
    Ok(())
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
