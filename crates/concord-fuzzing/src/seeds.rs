//! Seed inputs: what the committed corpora under `fuzz/corpus/` are written from.

use concord_core::codec::{self, WireType};
use concord_core::laws::{self, Gen, Model, Script};

/// Encodings of the final states and a delta of a few small worlds of `M`, distinct, small
/// first: the seeds of a `_decode` target.
#[must_use]
pub fn encodings<M: Model>() -> Vec<Vec<u8>>
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

/// Byte strings of 32 to 256 bytes that `arbitrary` turns into short scripts with a mix of
/// steps: the seeds of every `_ops` target. A fixed splitmix64 stream, so the committed seeds
/// can be written again byte for byte.
#[must_use]
pub fn script_bytes() -> Vec<Vec<u8>> {
    let mut state: u64 = 0x0C0A_C0DE;
    let mut next = move || {
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
