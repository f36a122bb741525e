//! Decoding refuses registers that break an invariant. Each hostile input is made by encoding
//! a look-alike struct with the same serde shape and the same wire tag, then decoding it as
//! the real type.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_register::concord_clock::{DotContext, LamportTimestamp};
use concord_register::concord_core::codec::{self, DecodeError, WireType, tag};
use concord_register::concord_core::{Dot, MAX_ENTRIES};
use concord_register::{LwwRegister, MvRegister};
use serde::{Deserialize, Serialize};

/// Same fields, same order, same tag as `MvRegister<u8, u64>`, but no validation.
#[derive(Debug, Serialize, Deserialize)]
struct LooseMv {
    siblings: Vec<(Dot<u64>, u8)>,
    context: DotContext<u64>,
}

impl WireType for LooseMv {
    const TAG: u16 = tag::MV_REGISTER;
    const VERSION: u16 = MvRegister::<u8, u64>::VERSION;
    const NAME: &'static str = "LooseMv";
}

fn context(dots: &[(u64, u64)]) -> DotContext<u64> {
    dots.iter().map(|&(a, c)| Dot::new(a, c)).collect()
}

fn decode_loose(
    siblings: Vec<(Dot<u64>, u8)>,
    ctx: DotContext<u64>,
) -> Result<MvRegister<u8, u64>, DecodeError> {
    let bytes = codec::encode(&LooseMv {
        siblings,
        context: ctx,
    })
    .unwrap();
    codec::decode::<MvRegister<u8, u64>>(&bytes)
}

fn reason(result: Result<MvRegister<u8, u64>, DecodeError>) -> String {
    match result {
        Err(DecodeError::Invalid {
            type_name: "MvRegister",
            reason,
        }) => reason,
        other => panic!("expected an invalid MvRegister, got {other:?}"),
    }
}

#[test]
fn the_look_alike_has_the_same_encoding() {
    let mut real = MvRegister::<u8, u64>::new();
    real.write(1, 10, &DotContext::new()).unwrap();
    real.write(2, 20, &DotContext::new()).unwrap();
    let loose = LooseMv {
        siblings: real.siblings().to_vec(),
        context: real.context().clone(),
    };
    let bytes = codec::encode(&loose).unwrap();
    assert_eq!(bytes, codec::encode(&real).unwrap());
    assert_eq!(codec::decode::<MvRegister<u8, u64>>(&bytes).unwrap(), real);
}

#[test]
fn unsorted_siblings_are_refused() {
    let ctx = context(&[(1, 1), (2, 1)]);
    let r = reason(decode_loose(
        vec![(Dot::new(2, 1), 0), (Dot::new(1, 1), 0)],
        ctx,
    ));
    assert!(r.contains("increasing order"), "{r}");
}

#[test]
fn duplicate_dots_are_refused() {
    let ctx = context(&[(1, 1)]);
    let r = reason(decode_loose(
        vec![(Dot::new(1, 1), 3), (Dot::new(1, 1), 4)],
        ctx,
    ));
    assert!(r.contains("twice"), "{r}");
}

#[test]
fn a_sibling_outside_the_context_is_refused() {
    let ctx = context(&[(1, 1)]);
    let r = reason(decode_loose(
        vec![(Dot::new(1, 1), 0), (Dot::new(1, 2), 0)],
        ctx,
    ));
    assert!(r.contains("missing from the causal context"), "{r}");
    let r = reason(decode_loose(vec![(Dot::new(3, 5), 0)], DotContext::new()));
    assert!(r.contains("missing from the causal context"), "{r}");
}

#[test]
fn a_zero_dot_is_refused() {
    let result = decode_loose(vec![(Dot::new(1, 0), 0)], DotContext::new());
    assert!(
        matches!(result, Err(DecodeError::Invalid { .. })),
        "{result:?}"
    );
}

#[test]
fn too_many_siblings_are_refused() {
    let n = u64::try_from(MAX_ENTRIES).unwrap() + 1;
    let siblings: Vec<(Dot<u64>, u8)> = (1..=n).map(|c| (Dot::new(1, c), 0)).collect();
    let ctx = context(&[(1, n)]);
    let ctx = siblings.iter().fold(ctx, |mut ctx, (d, _)| {
        ctx.insert(*d);
        ctx
    });
    let r = reason(decode_loose(siblings, ctx));
    assert!(r.contains("exceed the limit"), "{r}");
}

#[test]
fn a_valid_hostile_state_is_accepted_and_merges_lawfully() {
    // Siblings from a single actor with gaps, in a context with a cloud: odd, but reachable
    // by blind writes, so it decodes.
    let ctx = context(&[(1, 1), (1, 2), (1, 5), (4, 9)]);
    let reg = decode_loose(
        vec![
            (Dot::new(1, 2), 7),
            (Dot::new(1, 5), 8),
            (Dot::new(4, 9), 1),
        ],
        ctx,
    )
    .unwrap();
    assert_eq!(reg.len(), 3);
    let mut honest = MvRegister::<u8, u64>::new();
    honest.write(1, 1, &DotContext::new()).unwrap();
    honest.write(2, 2, &DotContext::new()).unwrap();
    use concord_register::Merge;
    assert_eq!(reg.joined(&honest), honest.joined(&reg));
    assert_eq!(reg.joined(&reg), reg);
    // Replica 1's next write gets the dot after the largest one seen.
    let mut next = honest.joined(&reg);
    let delta = next.write(1, 0, &DotContext::new()).unwrap();
    assert_eq!(delta.siblings()[0].0, Dot::new(1, 6));
}

#[test]
fn registers_are_refused_under_each_others_tags() {
    let mv = MvRegister::<u8, u64>::new();
    let lww = LwwRegister::new(1u8, LamportTimestamp::new(1, 1u64));
    let mv_bytes = codec::encode(&mv).unwrap();
    let lww_bytes = codec::encode(&lww).unwrap();
    assert!(matches!(
        codec::decode::<LwwRegister<u8, LamportTimestamp<u64>>>(&mv_bytes),
        Err(DecodeError::WrongType { found, .. }) if found == tag::MV_REGISTER
    ));
    assert!(matches!(
        codec::decode::<MvRegister<u8, u64>>(&lww_bytes),
        Err(DecodeError::WrongType { found, .. }) if found == tag::LWW_REGISTER
    ));
    assert_eq!(
        codec::decode::<LwwRegister<u8, LamportTimestamp<u64>>>(&lww_bytes).unwrap(),
        lww
    );
}
