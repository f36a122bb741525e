//! Encoded sizes: concord's codec against crdts with bincode 2 (serde, standard configuration).

use concord_clock::VectorClock;
use concord_core::{Merge, ReplicaId, codec};
use concord_counter::{GCounter, PnCounter};
use rand::RngExt;
use serde::Serialize;

use crate::harness::{ACTOR_KINDS, ActorKind, rng};
use crate::maps::{self, BenchActor, Overlap, SIZES};
use crate::or_sets;
use crate::registers;
use crate::sets;

/// The bytes of a crdts state under bincode 2's standard configuration (little-endian,
/// variable-length integers), the configuration concord's codec uses too.
#[must_use]
pub fn crdts_bytes<T: Serialize>(state: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(state, bincode::config::standard())
        .expect("crdts states serialize")
}

/// The bytes of a concord state, envelope included.
#[must_use]
pub fn concord_bytes<T: codec::WireType>(state: &T) -> Vec<u8> {
    codec::encode(state).expect("concord states encode")
}

/// One line of the size table.
#[derive(Clone, Debug)]
pub struct SizeRow {
    /// What was encoded.
    pub workload: String,
    /// Entries (actors, siblings or elements) in the state.
    pub entries: usize,
    /// concord's bytes, envelope included.
    pub concord: usize,
    /// The crdts type and its bytes.
    pub crdts: Vec<(&'static str, usize)>,
}

impl SizeRow {
    /// Bytes per entry of `bytes`.
    #[must_use]
    pub fn per_entry(&self, bytes: usize) -> f64 {
        bytes as f64 / self.entries.max(1) as f64
    }
}

fn map_rows<A: BenchActor, K: BenchActor>(kind: ActorKind, rows: &mut Vec<SizeRow>) {
    for n in SIZES {
        let case = maps::map_case::<u64>(&mut rng(0x40 ^ n as u64), kind, Overlap::Same, n);
        rows.push(SizeRow {
            workload: format!("VectorClock, {} actors", kind.name()),
            entries: n,
            concord: concord_bytes(&VectorClock::from(maps::actor_map::<A, u64>(&case.a))).len(),
            crdts: vec![(
                "VClock",
                crdts_bytes(&maps::crdts_vclock::<K>(&case.a)).len(),
            )],
        });
    }
    let n = 1024;
    let case = maps::map_case::<u64>(&mut rng(0x41), kind, Overlap::Same, n);
    rows.push(SizeRow {
        workload: format!("GCounter, {} actors", kind.name()),
        entries: n,
        concord: concord_bytes(&GCounter::from(maps::actor_map::<A, u64>(&case.a))).len(),
        crdts: vec![(
            "GCounter",
            crdts_bytes(&maps::crdts_gcounter::<K>(&case.a)).len(),
        )],
    });
    let case = maps::map_case::<[u64; 2]>(&mut rng(0x42), kind, Overlap::Same, n);
    rows.push(SizeRow {
        workload: format!("PnCounter, {} actors", kind.name()),
        entries: n,
        concord: concord_bytes(&PnCounter::from(maps::actor_map::<A, [u64; 2]>(&case.a))).len(),
        crdts: vec![(
            "PNCounter",
            crdts_bytes(&maps::crdts_pncounter::<K>(&case.a)).len(),
        )],
    });
}

/// Bytes per entry of a 1024-entry UUID vector clock as the counters grow: concord and crdts.
#[must_use]
pub fn counter_range_rows() -> Vec<SizeRow> {
    let n = 1024;
    [250_u64, 65_535, 1_000_000, u64::from(u32::MAX)]
        .into_iter()
        .map(|max| {
            let mut rng = rng(0x43 ^ max);
            let mut actors = ActorKind::Uuid.draw(&mut rng, n);
            actors.sort_unstable();
            let entries: Vec<(u128, u64)> = actors
                .into_iter()
                .map(|a| (a, rng.random_range(1..=max)))
                .collect();
            SizeRow {
                workload: format!("VectorClock, uuid actors, counters 1..={max}"),
                entries: n,
                concord: concord_bytes(&VectorClock::from(maps::actor_map::<ReplicaId, u64>(
                    &entries,
                )))
                .len(),
                crdts: vec![(
                    "VClock",
                    crdts_bytes(&maps::crdts_vclock::<uuid::Uuid>(&entries)).len(),
                )],
            }
        })
        .collect()
}

/// Every size row, from the same builders the benchmarks use.
#[must_use]
pub fn rows() -> Vec<SizeRow> {
    let mut rows = vec![];
    for kind in ACTOR_KINDS {
        match kind {
            ActorKind::Uuid => map_rows::<ReplicaId, uuid::Uuid>(kind, &mut rows),
            ActorKind::U64 => map_rows::<u64, u64>(kind, &mut rows),
        }
    }
    for k in registers::MV_SIBLINGS {
        let case = registers::mv_cases(k).swap_remove(0);
        let mut concord = case.concord.0.clone();
        concord.merge(&case.concord.1);
        let mut theirs = case.crdts.0.clone();
        crdts::CvRDT::merge(&mut theirs, case.crdts.1.clone());
        rows.push(SizeRow {
            workload: format!("MvRegister<u64>, {} siblings after merge", 2 * k),
            entries: 2 * k,
            concord: concord_bytes(&concord).len(),
            crdts: vec![("MVReg", crdts_bytes(&theirs).len())],
        });
    }
    let batch = registers::lww_batches().swap_remove(0);
    if let (Some(mine), Some(theirs)) = (batch.concord_a.first(), batch.crdts_a.first()) {
        rows.push(SizeRow {
            workload: "LwwRegister<u64, HybridTimestamp>".into(),
            entries: 1,
            concord: concord_bytes(mine).len(),
            crdts: vec![("LWWReg", crdts_bytes(theirs).len())],
        });
    }
    for m in sets::SET_SIZES {
        let case = sets::set_cases(m).swap_remove(0);
        let mut concord = case.concord.0.clone();
        concord.merge(&case.concord.1);
        let mut gset = case.gset.0.clone();
        crdts::CvRDT::merge(&mut gset, case.gset.1.clone());
        let mut orswot = case.orswot.0.clone();
        crdts::CvRDT::merge(&mut orswot, case.orswot.1.clone());
        rows.push(SizeRow {
            workload: "LwwElementSet<u64, LamportTimestamp>, merged".into(),
            entries: case.union.len(),
            concord: concord_bytes(&concord).len(),
            crdts: vec![
                ("GSet", crdts_bytes(&gset).len()),
                ("Orswot", crdts_bytes(&orswot).len()),
            ],
        });
    }
    for m in or_sets::OR_SET_SIZES {
        let case = or_sets::or_set_cases(m).swap_remove(0);
        let mut concord = case.concord.0.clone();
        concord.merge(&case.concord.1);
        let mut orswot = case.crdts.0.clone();
        crdts::CvRDT::merge(&mut orswot, case.crdts.1.clone());
        rows.push(SizeRow {
            workload: "OrSet<u64, ReplicaId>, merged".into(),
            entries: case.merged.len(),
            concord: concord_bytes(&concord).len(),
            crdts: vec![("Orswot", crdts_bytes(&orswot).len())],
        });
    }
    rows.extend(counter_range_rows());
    rows
}

/// The rows as a Markdown table.
#[must_use]
pub fn table(rows: &[SizeRow]) -> String {
    let mut out = String::from(
        "| state | entries | concord bytes | concord B/entry | crdts type | crdts bytes | crdts B/entry |\n\
         | --- | ---: | ---: | ---: | --- | ---: | ---: |\n",
    );
    for row in rows {
        for (name, bytes) in &row.crdts {
            out.push_str(&format!(
                "| {} | {} | {} | {:.2} | {} | {} | {:.2} |\n",
                row.workload,
                row.entries,
                row.concord,
                row.per_entry(row.concord),
                name,
                bytes,
                row.per_entry(*bytes),
            ));
        }
    }
    out
}
