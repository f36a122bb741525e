//! The `_decode` checks: hostile bytes must decode inside a bound, or be refused, and whatever
//! decodes must obey the laws.

use concord_core::codec::{self, CLAIM_RATIO, DecodeError, WireType};
use concord_core::laws::{self, Gen, Model, Script};

use crate::{AllocationMeter, Outcome};

/// How much a failing sequence may allocate before its first element is read: serde's `Vec`
/// visitor reserves `min(length prefix, 1 MiB / element size)` elements up front
/// (`serde::__private::size_hint::cautious`), and bincode's serde mode does not charge the
/// length prefix to its claim limit. A decode fails at the first sequence that runs out of
/// input, so this happens once per decode; a sequence nested in the first element of one that
/// is failing reserves too, which is why the nested sequences of the fuzzed types (the dot
/// stores, a summary's digest lists) reserve at most 4 KiB
/// ([`codec::deserialize_vec`](concord_core::codec::deserialize_vec)), inside
/// [`ALLOCATION_SLACK`].
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

/// Decodes `data` as a `T` and returns the bytes the decode allocated as `meter` counts them:
/// every allocation, freed or not, and every growth of a reallocation.
///
/// While decoding, `meter` refuses (and the process aborts on) any allocation that would take
/// the live total more than [`allocation_bound`] above where it started, so a length prefix
/// that claims terabytes fails on the spot instead of exhausting memory. The caller holds
/// [`exclusive`](crate::exclusive) when other threads may allocate.
pub fn measure_decode<T: WireType>(
    data: &[u8],
    meter: &dyn AllocationMeter,
) -> (Result<T, DecodeError>, usize) {
    let live = meter.live();
    let total = meter.total_allocated();
    meter.set_limit(live.saturating_add(allocation_bound(data.len())));
    let decoded = codec::decode::<T>(data);
    meter.set_limit(usize::MAX);
    let used = meter.total_allocated().wrapping_sub(total);
    (decoded, used)
}

/// Decodes `data` as a `T`, failing if the decode allocated more than [`allocation_bound`].
///
/// # Errors
///
/// A report naming the input's length, the bound and the bytes allocated.
pub fn decode_counted<T: WireType>(
    data: &[u8],
    meter: &dyn AllocationMeter,
) -> Result<Result<T, DecodeError>, String> {
    let bound = allocation_bound(data.len());
    let (decoded, used) = measure_decode::<T>(data, meter);
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

/// The `_decode` check of one model's state type.
///
/// Decoding `data` must stay inside [`allocation_bound`] as `meter` counts it; a decode limit
/// one byte shorter than the input must refuse it; whatever decodes must re-encode to a fixed
/// point and obey the merge laws with the honest states of two fixed worlds
/// ([`laws::check_bytes`]).
///
/// # Errors
///
/// A report of the first failure, with the input.
pub fn decode<M: Model>(data: &[u8], meter: &dyn AllocationMeter) -> Outcome
where
    M::State: WireType,
{
    let name = <M::State as WireType>::NAME;
    let decoded = decode_counted::<M::State>(data, meter)?;
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
