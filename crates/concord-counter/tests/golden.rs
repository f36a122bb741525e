//! Golden wire vectors: the encodings of fixed states, compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A difference means the wire format
//! changed, which needs a format-version bump. Run with `CONCORD_BLESS=1` to write the files
//! instead.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_core::codec::{self, WireType};
use concord_core::golden_test;
use concord_counter::{GCounter, PnCounter, ReplicaId};

fn ids() -> [ReplicaId; 3] {
    [
        ReplicaId::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        ReplicaId::from_u128(0xfeed_face_0000_0000_0000_0000_0000_0001),
        ReplicaId::from_u128(1),
    ]
}

golden_test!(g_counter_empty = GCounter::<u64>::new());

golden_test!(
    g_counter_u64 = {
        let mut c = GCounter::<u64>::new();
        c.increment(0, 1).unwrap();
        c.increment(7, 250).unwrap();
        c.increment(300, 70_000).unwrap();
        c.increment(u64::MAX, u64::MAX).unwrap();
        c
    }
);

golden_test!(
    g_counter_replica_id = {
        let mut c = GCounter::new();
        for (id, n) in ids().into_iter().zip([120, 75, 42]) {
            c.increment(id, n).unwrap();
        }
        c
    }
);

golden_test!(pn_counter_empty = PnCounter::<u64>::new());

golden_test!(
    pn_counter_u64 = {
        let mut c = PnCounter::<u64>::new();
        c.increment(1, 5).unwrap();
        c.decrement(1, 2).unwrap();
        c.decrement(40, 251).unwrap();
        c.increment(u64::MAX, u64::MAX).unwrap();
        c.decrement(u64::MAX, u64::MAX).unwrap();
        c
    }
);

golden_test!(
    pn_counter_replica_id = {
        let mut c = PnCounter::new();
        let [a, b, d] = ids();
        c.increment(a, 10).unwrap();
        c.decrement(b, 3).unwrap();
        c.increment(d, 1).unwrap();
        c.decrement(d, 1).unwrap();
        c
    }
);

/// The envelope and layout, spelled out for one small state so the golden files are not the
/// only description of the format.
#[test]
fn g_counter_layout() {
    let mut c = GCounter::<u64>::new();
    c.increment(3, 2).unwrap();
    c.increment(9, 300).unwrap();
    let bytes = codec::encode(&c).unwrap();
    let tag = GCounter::<u64>::TAG.to_le_bytes();
    let version = GCounter::<u64>::VERSION.to_le_bytes();
    let mut want = b"CNCD".to_vec();
    want.extend_from_slice(&tag);
    want.extend_from_slice(&version);
    // The actor column: length 2, actors 3 and 9 (variable-length integers).
    want.extend_from_slice(&[2, 3, 9]);
    // The count column, one byte string: length 3, then 2 and 300 in LEB128
    // (300 = 0b10_0101100: low seven bits with the continuation bit, then the rest).
    want.extend_from_slice(&[3, 2, 0b1010_1100, 0b10]);
    assert_eq!(bytes, want);
}
