//! Golden byte vectors: the encoding of fixed sets, compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A difference means the wire format
//! changed, which needs a format-version bump.
//! `CONCORD_BLESS=1 cargo test -p concord-set --all-features --test golden` rewrites the files.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    reason = "fixed histories: a refused write is a test failure"
)]

use concord_set::concord_clock::LamportTimestamp;
use concord_set::concord_core::golden_test;
use concord_set::{AddWins, Bias, LwwElementSet, RemoveWins};

type Ts = LamportTimestamp<u64>;

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

golden_test!(lww_element_set_empty = LwwElementSet::<String, Ts, AddWins>::new());

golden_test!(lww_element_set_add_wins = cart::<AddWins>());

golden_test!(lww_element_set_remove_wins = cart::<RemoveWins>());

golden_test!(
    lww_element_set_u64 = {
        // Equal stamps with plain numbers.
        let mut set: LwwElementSet<u64, u64, RemoveWins> = LwwElementSet::new();
        set.insert(1, 1_700_000_000);
        set.remove(1, 1_700_000_000);
        set.insert(u64::MAX, 0);
        set
    }
);

/// A cart kept as an observed-remove set by two devices, with a concurrent re-add.
fn or_cart() -> concord_set::OrSet<String, u64> {
    use concord_set::{Merge, OrSet};
    let mut phone = OrSet::new();
    let mut laptop = OrSet::new();
    laptop.merge(&phone.insert(1, "milk".to_string()).unwrap());
    phone.insert(1, "eggs".to_string()).unwrap();
    let removed = laptop.remove("milk");
    phone.insert(1, "milk".to_string()).unwrap();
    phone.merge(&removed);
    phone.merge(&laptop.insert(2, "bread".to_string()).unwrap());
    phone
}

golden_test!(or_set_empty = concord_set::OrSet::<String, u64>::new());

golden_test!(or_set_cart = or_cart());
