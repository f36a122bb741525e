//! Golden byte vectors: the encoding of fixed maps, compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A difference means the wire format
//! changed, which needs a format-version bump.
//! `CONCORD_BLESS=1 cargo test -p concord-map --all-features --test golden` rewrites the files.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    reason = "fixed histories: a refused write is a test failure"
)]

use concord_map::concord_core::golden_test;
use concord_map::{Merge, OrMap, Overflow, ReplicaId};
use concord_register::MvRegister;
use concord_set::OrSet;

/// Writes `value` into `field`, replacing the versions read.
fn set<A: concord_map::Actor>(
    doc: &mut OrMap<String, MvRegister<String, A>, A>,
    at: A,
    field: &str,
    value: &str,
) -> Result<OrMap<String, MvRegister<String, A>, A>, Overflow> {
    doc.apply(at, field.to_owned(), |versions, at| {
        let (_, seen) = versions.read();
        versions.write(at, value.to_owned(), &seen)
    })
}

/// A document edited on two replicas: a field with two concurrent versions, a field removed,
/// a field written once.
fn document<A: concord_map::Actor>(east: A, west: A) -> OrMap<String, MvRegister<String, A>, A> {
    let mut a = OrMap::new();
    let mut b = OrMap::new();
    b.merge(&set(&mut a, east, "name", "Ada").unwrap());
    b.merge(&set(&mut a, east, "phone", "555-0100").unwrap());
    let removed = b.remove("phone");
    let from_west = set(&mut b, west, "email", "ada@west.example").unwrap();
    set(&mut a, east, "email", "ada@east.example").unwrap();
    a.merge(&from_west);
    a.merge(&removed);
    a
}

golden_test!(or_map_empty = OrMap::<String, MvRegister<String, u64>, u64>::new());

golden_test!(or_map_document = document(1u64, 2u64));

golden_test!(
    or_map_document_replica_id = document(ReplicaId::from_u128(1), ReplicaId::from_u128(2))
);

golden_test!(
    or_map_of_sets = {
        // Tags per post; a post removed on one replica while tagged again on the other.
        let mut a = OrMap::<String, OrSet<String, u64>, u64>::new();
        let mut b = OrMap::new();
        b.merge(
            &a.apply(1, "intro".into(), |t, at| t.insert(at, "rust".into()))
                .unwrap(),
        );
        b.merge(
            &a.apply(1, "outro".into(), |t, at| t.insert(at, "misc".into()))
                .unwrap(),
        );
        let removed = b.remove("intro");
        a.apply(1, "intro".into(), |t, at| t.insert(at, "crdt".into()))
            .unwrap();
        a.merge(&removed);
        a
    }
);

golden_test!(
    or_map_nested = {
        let mut map = OrMap::<u8, OrMap<u8, MvRegister<u8, u64>, u64>, u64>::new();
        for (outer, inner, value) in [(0, 1, 10), (0, 2, 20), (3, 1, 31)] {
            map.apply(7, outer, |m, at| {
                m.apply(at, inner, |reg, at| {
                    let (_, seen) = reg.read();
                    reg.write(at, value, &seen)
                })
            })
            .unwrap();
        }
        map.apply(7, 0, |m, _| Ok(m.remove(&1))).unwrap();
        map
    }
);
