//! The memory the dot index of a map costs, as the process's resident set: an
//! `OrMap<String, MvRegister<String>>` of the simulator's key-value shape (100,000 keys, one
//! version each) joining one small delta from a peer, which builds the index of every held
//! dot. Run with `--nocapture` to see the figures; the join is checked against the writer.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "test code: a panic is a test failure with a message, the figures are its output"
)]

use concord_map::concord_core::ReplicaId;
use concord_map::{Merge, OrMap};
use concord_register::MvRegister;

type Kv = OrMap<String, MvRegister<String>>;

/// The resident set of this process in bytes (0 where `/proc` is missing).
fn resident() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

#[test]
fn the_index_of_a_large_map() {
    const KEYS: usize = 100_000;
    let (one, two) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
    let write = |map: &mut Kv, actor, key: String, value: String| {
        map.apply(actor, key, |reg, at| {
            let (_, seen) = reg.read();
            reg.write(at, value, &seen)
        })
        .unwrap()
    };
    let start = resident();
    let mut writer = Kv::new();
    for i in 0..KEYS {
        write(&mut writer, one, format!("key-{i:06}"), format!("v{i}"));
    }
    let mut reader = writer.clone();
    let states = resident() - start;

    let delta = write(&mut writer, two, "key-000007".to_owned(), "w".to_owned());
    let before = resident();
    reader.merge(&delta);
    let index = resident().saturating_sub(before);
    assert_eq!(reader, writer);
    println!(
        "{KEYS} keys: two states {states} bytes resident ({:.0}/key each), the index {index} \
         bytes ({:.0}/key)",
        states as f64 / KEYS as f64 / 2.0,
        index as f64 / KEYS as f64,
    );
}
