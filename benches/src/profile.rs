//! Single workloads for instruction-level profiles, one per benchmark row a profile explains.
//!
//! `cargo run --release -p concord-benches --bin profile -- <workload> [calls]` builds the
//! inputs of one benchmark row (the same seeded pools as the criterion benchmark), then runs
//! its routine `calls` times on clones of the pool. Only the calls run inside [`profiled`], so
//! a profiler told to count that function alone sees the routine and nothing of the setup:
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*profile::profiled*' \
//!     --cache-sim=yes --branch-sim=yes \
//!     target/release/profile gcounter-disjoint-u64
//! ```
//!
//! The program prints what it ran: calls and entries per call, to turn totals into figures per
//! entry.

use std::hint::black_box;

use concord_clock::LamportTimestamp;
use concord_core::codec;
use concord_core::{Merge, ReplicaId};
use concord_set::LwwElementSet;
use crdts::CvRDT;

use crate::maps::{self, MapPools, Overlap};
use crate::{ActorKind, registers, sets};

/// One profiled workload: its name on the command line, what it mirrors, how it runs.
#[derive(Debug)]
pub struct Workload {
    /// The name given on the command line.
    pub name: &'static str,
    /// The benchmark row it mirrors.
    pub row: &'static str,
    /// Builds the inputs and runs the routine that many times; returns entries per call.
    pub run: fn(usize) -> usize,
}

/// Runs `routine` on each input, and nothing else: the one function a profile counts.
#[inline(never)]
pub fn profiled<I, O>(inputs: Vec<I>, routine: &mut impl FnMut(I) -> O) -> Vec<O> {
    let mut outputs = Vec::with_capacity(inputs.len());
    for input in inputs {
        outputs.push(routine(input));
    }
    outputs
}

/// Runs `routine` `calls` times on clones of `pool`'s inputs, taken in turn; the clones are
/// made before, and the outputs dropped after, each chunk of calls.
fn drive<I: Clone, O>(pool: &[I], calls: usize, mut routine: impl FnMut(I) -> O) {
    const CHUNK: usize = 64;
    let mut cycle = pool.iter().cycle();
    let mut left = calls;
    while left > 0 {
        let take = left.min(CHUNK);
        let inputs: Vec<I> = cycle.by_ref().take(take).cloned().collect();
        drop(black_box(profiled(black_box(inputs), &mut routine)));
        left -= take;
    }
}

/// The concord merges of a map pool.
fn concord_maps<C: Merge + Clone, K>(pools: &MapPools<C, K>, calls: usize) {
    drive(&pools.concord, calls, |(mut a, b)| {
        a.merge(&b);
        (a, b)
    });
}

/// The crdts merges of a map pool.
fn crdts_maps<C, K: CvRDT + Clone>(pools: &MapPools<C, K>, calls: usize) {
    drive(&pools.crdts, calls, |(mut a, b)| {
        a.merge(b);
        a
    });
}

/// Entries per side of the 1,024-entry map rows.
const MAP_N: usize = 1024;

fn gcounter_disjoint_u64(calls: usize) -> usize {
    let pools = maps::gcounter_pools::<u64, u64>(ActorKind::U64, Overlap::Disjoint, MAP_N);
    concord_maps(&pools, calls);
    MAP_N
}

fn gcounter_disjoint_u64_crdts(calls: usize) -> usize {
    let pools = maps::gcounter_pools::<u64, u64>(ActorKind::U64, Overlap::Disjoint, MAP_N);
    crdts_maps(&pools, calls);
    MAP_N
}

fn gcounter_disjoint_uuid(calls: usize) -> usize {
    let pools =
        maps::gcounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Disjoint, MAP_N);
    concord_maps(&pools, calls);
    MAP_N
}

fn gcounter_disjoint_uuid_crdts(calls: usize) -> usize {
    let pools =
        maps::gcounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Disjoint, MAP_N);
    crdts_maps(&pools, calls);
    MAP_N
}

fn vclock_same_uuid(calls: usize) -> usize {
    let pools = maps::vclock_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Same, MAP_N);
    concord_maps(&pools, calls);
    MAP_N
}

fn vclock_same_u64(calls: usize) -> usize {
    let pools = maps::vclock_pools::<u64, u64>(ActorKind::U64, Overlap::Same, MAP_N);
    concord_maps(&pools, calls);
    MAP_N
}

/// Entries per side of the small-union rows profiled.
const SMALL_N: usize = 16;

fn small_union_uuid(calls: usize) -> usize {
    let pools =
        maps::gcounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Disjoint, SMALL_N);
    concord_maps(&pools, calls);
    SMALL_N
}

fn small_union_uuid_plain(calls: usize) -> usize {
    let pools =
        maps::gcounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Disjoint, SMALL_N);
    let plain = maps::plain_pairs(&pools);
    drive(&plain, calls, |(a, b)| {
        let merged = maps::sorted_vec_merge(&a, &b);
        (merged, a, b)
    });
    SMALL_N
}

fn lww_set_merge(calls: usize) -> usize {
    let cases = sets::set_cases(100_000);
    let pool: Vec<_> = cases.into_iter().map(|case| case.concord).collect();
    drive(&pool, calls, |(mut a, b)| {
        a.merge(&b);
        (a, b)
    });
    100_000
}

fn lww_register_batch(calls: usize) -> usize {
    let batches = registers::lww_batches();
    let pool: Vec<_> = batches
        .into_iter()
        .map(|batch| (batch.concord_a, batch.concord_b))
        .collect();
    let size = pool.first().map_or(0, |(a, _)| a.len());
    drive(&pool, calls, |(mut a, b)| {
        for (x, y) in a.iter_mut().zip(&b) {
            x.merge(y);
        }
        (a, b)
    });
    size
}

fn encode_vclock_uuid(calls: usize) -> usize {
    let pools = maps::vclock_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Same, MAP_N);
    let states: Vec<_> = pools.concord.into_iter().map(|(a, _)| a).take(8).collect();
    drive(&states, calls, |state| codec::encode(&state).ok());
    MAP_N
}

fn encode_vclock_uuid_crdts(calls: usize) -> usize {
    let pools = maps::vclock_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Same, MAP_N);
    let states: Vec<_> = pools.crdts.into_iter().map(|(a, _)| a).take(8).collect();
    drive(&states, calls, |state| {
        bincode::serde::encode_to_vec(&state, bincode::config::standard()).ok()
    });
    MAP_N
}

/// The merged 100,000-per-side sets of the codec benchmark, and their element count.
fn merged_sets() -> (Vec<sets::ConcordSet>, Vec<crdts::GSet<u64>>, usize) {
    let mut entries = 0;
    let (mut mine, mut theirs) = (vec![], vec![]);
    for case in sets::set_cases(100_000) {
        entries = case.union.len();
        let (mut set, other) = case.concord;
        set.merge(&other);
        mine.push(set);
        let (mut gset, other) = case.gset;
        gset.merge(other);
        theirs.push(gset);
    }
    (mine, theirs, entries)
}

fn decode_lww_set(calls: usize) -> usize {
    let (sets, _, entries) = merged_sets();
    let encoded: Vec<Vec<u8>> = sets.iter().filter_map(|s| codec::encode(s).ok()).collect();
    drive(&encoded, calls, |bytes| {
        codec::decode::<sets::ConcordSet>(&bytes).ok()
    });
    entries
}

fn decode_lww_set_u64(calls: usize) -> usize {
    let (sets, _, entries) = merged_sets();
    let encoded: Vec<Vec<u8>> = sets::u64_stamped(&sets)
        .iter()
        .filter_map(|s| codec::encode(s).ok())
        .collect();
    drive(&encoded, calls, |bytes| {
        codec::decode::<LwwElementSet<u64, LamportTimestamp<u64>>>(&bytes).ok()
    });
    entries
}

fn decode_gset_crdts(calls: usize) -> usize {
    let (_, gsets, entries) = merged_sets();
    let encoded: Vec<Vec<u8>> = gsets
        .iter()
        .filter_map(|s| bincode::serde::encode_to_vec(s, bincode::config::standard()).ok())
        .collect();
    drive(&encoded, calls, |bytes| {
        bincode::serde::decode_from_slice::<crdts::GSet<u64>, _>(
            &bytes,
            bincode::config::standard(),
        )
        .ok()
    });
    entries
}

/// Every workload, by name.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "gcounter-disjoint-u64",
        row: "gcounter_merge/concord/u64/disjoint/1024",
        run: gcounter_disjoint_u64,
    },
    Workload {
        name: "gcounter-disjoint-u64-crdts",
        row: "gcounter_merge/crdts/u64/disjoint/1024",
        run: gcounter_disjoint_u64_crdts,
    },
    Workload {
        name: "gcounter-disjoint-uuid",
        row: "gcounter_merge/concord/uuid/disjoint/1024",
        run: gcounter_disjoint_uuid,
    },
    Workload {
        name: "gcounter-disjoint-uuid-crdts",
        row: "gcounter_merge/crdts/uuid/disjoint/1024",
        run: gcounter_disjoint_uuid_crdts,
    },
    Workload {
        name: "vclock-same-uuid",
        row: "vector_clock_merge/concord/uuid/same/1024",
        run: vclock_same_uuid,
    },
    Workload {
        name: "vclock-same-u64",
        row: "vector_clock_merge/concord/u64/same/1024",
        run: vclock_same_u64,
    },
    Workload {
        name: "small-union-uuid",
        row: "small_union/concord/uuid/16",
        run: small_union_uuid,
    },
    Workload {
        name: "small-union-uuid-plain",
        row: "small_union/sorted_vec/uuid/16",
        run: small_union_uuid_plain,
    },
    Workload {
        name: "lww-set-merge",
        row: "set_merge/concord/lww_element_set/100000",
        run: lww_set_merge,
    },
    Workload {
        name: "lww-register-batch",
        row: "lww_register_merge/concord/100000",
        run: lww_register_batch,
    },
    Workload {
        name: "encode-vclock-uuid",
        row: "encode/concord/vector_clock/1024",
        run: encode_vclock_uuid,
    },
    Workload {
        name: "encode-vclock-uuid-crdts",
        row: "encode/crdts/vclock/1024",
        run: encode_vclock_uuid_crdts,
    },
    Workload {
        name: "decode-lww-set",
        row: "decode/concord/lww_element_set/150000",
        run: decode_lww_set,
    },
    Workload {
        name: "decode-lww-set-u64",
        row: "decode/concord/lww_element_set_u64/150000",
        run: decode_lww_set_u64,
    },
    Workload {
        name: "decode-gset-crdts",
        row: "decode/crdts/gset/150000",
        run: decode_gset_crdts,
    },
];
