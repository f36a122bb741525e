//! Golden byte vectors: the encoding of fixed sets, compared byte for byte with
//! `tests/data/*.bin`. A difference means the wire format changed, which needs a format-version
//! bump. `CONCORD_BLESS=1 cargo test -p concord-set --test golden` rewrites the files.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use std::path::PathBuf;

use concord_set::concord_clock::LamportTimestamp;
use concord_set::concord_core::codec::{self, WireType};
use concord_set::{AddWins, Bias, LwwElementSet, RemoveWins};

type Ts = LamportTimestamp<u64>;

fn check<T: WireType + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let bytes = codec::encode(value).unwrap();
    if std::env::var_os("CONCORD_BLESS").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with CONCORD_BLESS=1)", path.display()));
    assert_eq!(
        bytes, golden,
        "{name}: encoding changed; bump the format version"
    );
    assert_eq!(&codec::decode::<T>(&golden).unwrap(), value, "{name}");
}

/// The cart of the README: added, removed, re-added items from two devices.
fn cart<B: Bias>() -> LwwElementSet<String, Ts, B> {
    let mut set = LwwElementSet::new();
    set.insert("milk".to_string(), LamportTimestamp::new(1, 1));
    set.insert("eggs".to_string(), LamportTimestamp::new(2, 1));
    set.remove("milk".to_string(), LamportTimestamp::new(3, 2));
    set.remove("tea".to_string(), LamportTimestamp::new(4, 2));
    set.insert("bread".to_string(), LamportTimestamp::new(300, 7));
    set
}

#[test]
fn empty_set() {
    check(
        "lww_element_set_empty.bin",
        &LwwElementSet::<String, Ts, AddWins>::new(),
    );
}

#[test]
fn add_wins_cart() {
    check("lww_element_set_add_wins.bin", &cart::<AddWins>());
}

#[test]
fn remove_wins_cart() {
    check("lww_element_set_remove_wins.bin", &cart::<RemoveWins>());
}

#[test]
fn equal_stamps_with_plain_numbers() {
    let mut set: LwwElementSet<u64, u64, RemoveWins> = LwwElementSet::new();
    set.insert(1, 1_700_000_000);
    set.remove(1, 1_700_000_000);
    set.insert(u64::MAX, 0);
    check("lww_element_set_u64.bin", &set);
}
