//! Golden wire vectors: the encoding of each type, compared byte for byte with
//! `tests/data/*.bin`. A change in the bytes needs a format-version bump.
//!
//! `CONCORD_BLESS=1 cargo test -p concord-clock --test golden` rewrites the files.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use std::path::PathBuf;

use concord_clock::{
    DotContext, HybridTimestamp, LamportClock, LamportTimestamp, ReplicaId, VectorClock,
};
use concord_core::Dot;
use concord_core::codec::{self, WireType};

fn id(n: u128) -> ReplicaId {
    ReplicaId::from_u128(0x0193_5c2e_7a10_7000_8000_0000_0000_0000 | n)
}

fn check<T: WireType + PartialEq + std::fmt::Debug>(file: &str, value: &T) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let bytes = codec::encode(value).unwrap();
    if std::env::var_os("CONCORD_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &bytes).unwrap();
        return;
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with CONCORD_BLESS=1 to write it",
            path.display()
        )
    });
    assert_eq!(
        bytes,
        golden,
        "{} changed: bump {}::VERSION if the format changed, then bless",
        path.display(),
        T::NAME
    );
    assert_eq!(&codec::decode::<T>(&golden).unwrap(), value);
}

#[test]
fn vector_clock() {
    let clock: VectorClock = [(id(1), 3), (id(2), 1), (id(3), 300)].into_iter().collect();
    check("vector_clock.bin", &clock);
}

#[test]
fn dot_context() {
    let ctx: DotContext = [
        (id(1), 1),
        (id(1), 2),
        (id(1), 4),
        (id(2), 1),
        (id(3), 7),
        (id(3), 9),
    ]
    .into_iter()
    .map(|(a, c)| Dot::new(a, c))
    .collect();
    check("dot_context.bin", &ctx);
}

#[test]
fn hybrid_timestamp() {
    check(
        "hybrid_timestamp.bin",
        &HybridTimestamp::new(1_700_000_000_123, 42, id(1)),
    );
}

#[test]
fn lamport_timestamp() {
    check(
        "lamport_timestamp.bin",
        &LamportTimestamp::new(1_000_000, id(2)),
    );
}

#[test]
fn lamport_clock() {
    let mut clock = LamportClock::new(id(3));
    clock.observe(&LamportTimestamp::new(99, id(1))).unwrap();
    check("lamport_clock.bin", &clock);
}
