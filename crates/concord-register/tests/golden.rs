//! Golden wire vectors: the encodings of fixed registers, compared byte for byte with
//! `tests/data/*.bin`. A difference means the format changed: bump the type's
//! `WireType::VERSION`. `CONCORD_BLESS=1` rewrites the files.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_register::concord_clock::{DotContext, HybridTimestamp, LamportTimestamp};
use concord_register::concord_core::Dot;
use concord_register::concord_core::codec::{self, WireType};
use concord_register::{LwwRegister, MvRegister, ReplicaId};

fn check<T: WireType + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let bytes = codec::encode(value).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    if std::env::var_os("CONCORD_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let golden = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes, golden, "{name} changed: bump the format version");
    assert_eq!(
        &codec::decode::<T>(&golden).unwrap(),
        value,
        "{name} decodes back"
    );
}

#[test]
fn lww_lamport() {
    check(
        "lww_lamport_u64.bin",
        &LwwRegister::new(String::from("Ada"), LamportTimestamp::new(300, 7u64)),
    );
}

#[test]
fn lww_hybrid() {
    let stamp = HybridTimestamp::new(
        1_700_000_000_123,
        2,
        ReplicaId::from_u128(0x0123_4567_89ab_cdef),
    );
    check("lww_hybrid_replica_id.bin", &LwwRegister::new(42u32, stamp));
}

#[test]
fn mv_u64() {
    // Two concurrent siblings; the context has a gap, so its cloud is not empty.
    let mut reg = MvRegister::<String, u64>::new();
    reg.write(1, "blue".into(), &DotContext::new()).unwrap();
    reg.write(1, "teal".into(), &reg.read().1).unwrap();
    reg.write(2, "green".into(), &DotContext::new()).unwrap();
    let far: DotContext<u64> = [Dot::new(3, 5)].into_iter().collect();
    reg.write(2, "red".into(), &far).unwrap();
    assert_eq!(reg.len(), 3);
    assert!(!reg.context().cloud().is_empty());
    check("mv_u64.bin", &reg);
}

#[test]
fn mv_replica_id() {
    let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(u128::MAX - 1));
    let mut reg = MvRegister::<u16>::new();
    reg.write(a, 500, &DotContext::new()).unwrap();
    reg.write(b, 7, &DotContext::new()).unwrap();
    check("mv_replica_id.bin", &reg);
}
