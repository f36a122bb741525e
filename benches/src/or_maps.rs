//! Maps of multi-value registers, the source articles' document store: concord's
//! `OrMap<u64, MvRegister<u64>>` against crdts' `Map<u64, MVReg<u64>>`, both built by the same
//! writes through each library's public API.
//!
//! The scenario, for `m` keys per side:
//!
//! 1. *History*: writer A1 writes the shared keys `0..m/2`. Side B starts from this history.
//! 2. *Then, concurrently*: on side A, writer A2 writes its own keys `m/2..m` and A1
//!    overwrites `0..m/4` (a write that replaces the value it read); on side B, writer B1
//!    writes its own keys `m..m + m/2 + m/10` and removes `m/4..m/4 + m/10`, which it saw
//!    written.
//!
//! Each side then holds `m` keys, half of them shared. After the merge the overwritten keys
//! hold the overwrite alone, the removed keys are gone (nothing concurrent wrote them), and
//! every key of either side's own is there.

use std::collections::BTreeMap;

use concord_core::{Merge, ReplicaId};
use concord_map::OrMap;
use concord_register::MvRegister;
use crdts::{CmRDT, CvRDT};

use crate::harness::quick;

/// Keys per side in the map group (fewer in the quick run of `cargo test --benches`).
#[must_use]
pub fn or_map_sizes() -> Vec<usize> {
    if quick() { vec![400] } else { vec![10_000] }
}

/// The concord map benchmarked.
pub type ConcordOrMap = OrMap<u64, MvRegister<u64, ReplicaId>, ReplicaId>;

/// The crdts map on the same keys and values, `Uuid` actors (the same 128 bits).
pub type CrdtsMap = crdts::Map<u64, crdts::MVReg<u64, uuid::Uuid>, uuid::Uuid>;

/// One map merge input in both libraries.
#[derive(Clone, Debug)]
pub struct OrMapCase {
    /// concord `(receiver A, incoming B)`.
    pub concord: (ConcordOrMap, ConcordOrMap),
    /// crdts `(receiver A, incoming B)`.
    pub crdts: (CrdtsMap, CrdtsMap),
    /// Every key after the merge with its values, sorted: the expected join.
    pub merged: BTreeMap<u64, Vec<u64>>,
}

#[derive(Clone, Copy)]
enum Op {
    Write { writer: u128, key: u64, value: u64 },
    Remove { key: u64 },
}

fn concord_apply(map: &mut ConcordOrMap, op: Op) {
    match op {
        Op::Write { writer, key, value } => {
            let actor = ReplicaId::from_u128(writer);
            map.apply(actor, key, |reg, actor| {
                let (_, seen) = reg.read();
                reg.write(actor, value, &seen)
            })
            .expect("a fresh writer does not overflow");
        }
        Op::Remove { key } => {
            map.remove(&key);
        }
    }
}

fn crdts_apply(map: &mut CrdtsMap, op: Op) {
    match op {
        Op::Write { writer, key, value } => {
            let actor = uuid::Uuid::from_u128(writer);
            let ctx = map.read_ctx().derive_add_ctx(actor);
            let update = map.update(key, ctx, |reg, ctx| reg.write(value, ctx));
            map.apply(update);
        }
        Op::Remove { key } => {
            let ctx = map.get(&key).derive_rm_ctx();
            let rm = map.rm(key, ctx);
            map.apply(rm);
        }
    }
}

/// The merge inputs for `m` keys per side, checked: both libraries' merges give `merged`.
///
/// # Panics
///
/// When a library's merge disagrees with the expected join.
#[must_use]
pub fn or_map_cases(m: usize) -> Vec<OrMapCase> {
    let m = m as u64;
    let (a1, a2, b1) = (1u128, 2u128, 3u128);
    let history: Vec<Op> = (0..m / 2)
        .map(|key| Op::Write {
            writer: a1,
            key,
            value: key,
        })
        .collect();
    let later_a: Vec<Op> = (m / 2..m)
        .map(|key| Op::Write {
            writer: a2,
            key,
            value: key,
        })
        .chain((0..m / 4).map(|key| Op::Write {
            writer: a1,
            key,
            value: key + 1,
        }))
        .collect();
    let later_b: Vec<Op> = (m..m + m / 2 + m / 10)
        .map(|key| Op::Write {
            writer: b1,
            key,
            value: key,
        })
        .chain((m / 4..m / 4 + m / 10).map(|key| Op::Remove { key }))
        .collect();

    let mut merged = BTreeMap::new();
    for key in 0..m {
        if !(m / 4..m / 4 + m / 10).contains(&key) {
            merged.insert(key, vec![if key < m / 4 { key + 1 } else { key }]);
        }
    }
    for key in m..m + m / 2 + m / 10 {
        merged.insert(key, vec![key]);
    }

    let build_concord = |later: &[Op]| {
        let mut map = ConcordOrMap::new();
        for &op in history.iter().chain(later) {
            concord_apply(&mut map, op);
        }
        map
    };
    let build_crdts = |later: &[Op]| {
        let mut map = CrdtsMap::new();
        for &op in history.iter().chain(later) {
            crdts_apply(&mut map, op);
        }
        map
    };
    let case = OrMapCase {
        concord: (build_concord(&later_a), build_concord(&later_b)),
        crdts: (build_crdts(&later_a), build_crdts(&later_b)),
        merged,
    };

    let mut concord = case.concord.0.clone();
    concord.merge(&case.concord.1);
    let concord_read: BTreeMap<u64, Vec<u64>> = concord
        .iter()
        .map(|(key, reg)| {
            let mut values: Vec<u64> = reg.values().copied().collect();
            values.sort_unstable();
            (*key, values)
        })
        .collect();
    assert_eq!(
        concord_read, case.merged,
        "concord's merge is not the expected join"
    );
    let mut crdts = case.crdts.0.clone();
    crdts.merge(case.crdts.1.clone());
    let crdts_read: BTreeMap<u64, Vec<u64>> = crdts
        .keys()
        .map(|key| {
            let key = *key.val;
            let mut values = crdts
                .get(&key)
                .val
                .map(|reg| reg.read().val)
                .unwrap_or_default();
            values.sort_unstable();
            (key, values)
        })
        .collect();
    assert_eq!(
        crdts_read, case.merged,
        "crdts' merge is not the expected join"
    );
    vec![case]
}
