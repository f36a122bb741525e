//! Golden wire vectors: the encoding of each type, compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A change in the bytes needs a
//! format-version bump.
//!
//! `CONCORD_BLESS=1 cargo test -p concord-clock --all-features --test golden` rewrites the files.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_clock::{
    DotContext, HybridTimestamp, LamportClock, LamportTimestamp, ReplicaId, VectorClock,
};
use concord_core::{Dot, golden_test};

fn id(n: u128) -> ReplicaId {
    ReplicaId::from_u128(0x0193_5c2e_7a10_7000_8000_0000_0000_0000 | n)
}

golden_test!(vector_clock: VectorClock = [(id(1), 3), (id(2), 1), (id(3), 300)].into_iter().collect());

golden_test!(dot_context: DotContext = [
    (id(1), 1),
    (id(1), 2),
    (id(1), 4),
    (id(2), 1),
    (id(3), 7),
    (id(3), 9),
]
.into_iter()
.map(|(a, c)| Dot::new(a, c))
.collect());

golden_test!(hybrid_timestamp = HybridTimestamp::new(1_700_000_000_123, 42, id(1)));

golden_test!(lamport_timestamp = LamportTimestamp::new(1_000_000, id(2)));

golden_test!(
    lamport_clock = {
        let mut clock = LamportClock::new(id(3));
        clock.observe(&LamportTimestamp::new(99, id(1))).unwrap();
        clock
    }
);
