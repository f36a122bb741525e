//! Actor kinds, the seeded generator and the timing loop.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use concord_core::ReplicaId;
use criterion::Bencher;
use criterion::measurement::WallTime;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The seed every input is derived from; each workload mixes in its own tag.
pub const SEED: u64 = 0x0C0C_0A2D_2025_0007;

/// A generator for one workload: the global seed mixed with the workload's tag.
#[must_use]
pub fn rng(tag: u64) -> StdRng {
    StdRng::seed_from_u64(SEED ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Set by [`full_size`]: build full-size pools whatever the arguments.
static FULL_SIZE: AtomicBool = AtomicBool::new(false);

/// Whether the bench binary runs in test mode (`cargo test --benches`, no `--bench` flag):
/// criterion then runs each benchmark once, so the builders make small pools.
#[must_use]
pub fn quick() -> bool {
    !FULL_SIZE.load(AtomicOrdering::Relaxed) && !std::env::args().any(|arg| arg == "--bench")
}

/// Makes every builder from now on build the pools of a benchmark run (as with `--bench`): for
/// programs other than the bench binaries, such as the profiling one.
pub fn full_size() {
    FULL_SIZE.store(true, AtomicOrdering::Relaxed);
}

/// How replicas are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// Random version-4 UUIDs: `ReplicaId` in concord, `uuid::Uuid` in crdts.
    Uuid,
    /// Small numeric ids (distinct, drawn from `1..=4n`), `u64` in both libraries.
    U64,
}

/// Both actor kinds, in report order.
pub const ACTOR_KINDS: [ActorKind; 2] = [ActorKind::Uuid, ActorKind::U64];

impl ActorKind {
    /// The name used in benchmark ids and tables.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Uuid => "uuid",
            Self::U64 => "u64",
        }
    }

    /// `count` distinct actor ids, as the 128 bits both libraries' actor types are made from.
    /// The numeric order of the bits is the order of `ReplicaId`, `Uuid` and `u64` alike.
    #[must_use]
    pub fn draw(self, rng: &mut StdRng, count: usize) -> Vec<u128> {
        let mut seen = BTreeSet::new();
        let mut ids = Vec::with_capacity(count);
        let bound = u64::try_from(count)
            .unwrap_or(u64::MAX)
            .saturating_mul(4)
            .max(4);
        while ids.len() < count {
            let id = match self {
                Self::Uuid => uuid::Builder::from_random_bytes(rng.random())
                    .into_uuid()
                    .as_u128(),
                Self::U64 => u128::from(rng.random_range(1..=bound)),
            };
            if seen.insert(id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// An actor type that can be made from the 128 bits [`ActorKind::draw`] hands out.
pub trait FromBits: Sized {
    /// The actor with these bits.
    fn from_bits(bits: u128) -> Self;
}

impl FromBits for ReplicaId {
    fn from_bits(bits: u128) -> Self {
        Self::from_u128(bits)
    }
}

impl FromBits for uuid::Uuid {
    fn from_bits(bits: u128) -> Self {
        Self::from_u128(bits)
    }
}

impl FromBits for u64 {
    fn from_bits(bits: u128) -> Self {
        Self::try_from(bits).expect("u64 actors are drawn below 2^64")
    }
}

/// How many distinct input pairs to cycle through for inputs of `entries` entries per side:
/// many small ones (so the branch predictor cannot learn one), fewer big ones (memory).
#[must_use]
pub fn pool_size(entries: usize) -> usize {
    if quick() {
        2
    } else {
        ((1 << 18) / entries.max(1)).clamp(2, 64)
    }
}

/// Times `routine` on clones of the inputs in `pool`, taken in turn.
///
/// Inputs are cloned in chunks of about 2^16 entries outside the timed region; only the calls
/// of `routine` are timed, and their outputs are dropped after the clock stops, so neither
/// cloning nor freeing is measured (except what a routine frees itself, such as the
/// by-value argument of a crdts merge). `entries` is the size of one input, to size the chunks.
pub fn bench_batched<I, O>(
    b: &mut Bencher<'_, WallTime>,
    pool: &[I],
    entries: usize,
    mut routine: impl FnMut(I) -> O,
) where
    I: Clone,
{
    assert!(!pool.is_empty(), "an empty input pool");
    let chunk = u64::try_from(((1 << 16) / entries.max(1)).max(1)).unwrap_or(1);
    let mut cycle = pool.iter().cycle();
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let take = left.min(chunk);
            let inputs: Vec<I> = cycle
                .by_ref()
                .take(usize::try_from(take).unwrap_or(1))
                .cloned()
                .collect();
            let mut outputs = Vec::with_capacity(inputs.len());
            let inputs = black_box(inputs);
            let start = Instant::now();
            for input in inputs {
                outputs.push(routine(input));
            }
            total += start.elapsed();
            drop(black_box(outputs));
            left -= take;
        }
        total
    });
}
