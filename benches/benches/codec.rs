//! Encode and decode: concord's codec against crdts with bincode 2 (serde, standard config).
//!
//! States: a 1024-actor UUID vector clock and positive-negative counter, a multi-value
//! register with 32 siblings, and a merged set of 150,000 elements (crdts `GSet` and `Orswot`).
//! Throughput is in entries (actors, siblings, elements) per second.

use std::hint::black_box;

use concord_benches::maps::{self, Overlap};
use concord_benches::sizes::{concord_bytes, crdts_bytes};
use concord_benches::{ActorKind, registers, sets};
use concord_clock::VectorClock;
use concord_core::codec::{self, WireType};
use concord_core::{Merge, ReplicaId};
use concord_counter::{GCounter, PnCounter};
use crdts::CvRDT;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The merged sets: concord's and crdts' `GSet` in a case, crdts' `Orswot` beside it.
type SetStates = (
    Case<sets::ConcordSet, crdts::GSet<u64>>,
    Vec<crdts::Orswot<u64, uuid::Uuid>>,
);

/// One state in both libraries, and how many entries it holds.
struct Case<C, K> {
    name: &'static str,
    crdts_name: &'static str,
    entries: usize,
    concord: Vec<C>,
    crdts: Vec<K>,
}

fn cases_vclock<A: maps::BenchActor, K: maps::BenchActor>(
    kind: ActorKind,
    n: usize,
    name: &'static str,
    crdts_name: &'static str,
) -> Case<VectorClock<A>, crdts::VClock<K>> {
    let pools = maps::vclock_pools::<A, K>(kind, Overlap::Same, n);
    Case {
        name,
        crdts_name,
        entries: n,
        concord: pools.concord.into_iter().map(|(a, _)| a).take(8).collect(),
        crdts: pools.crdts.into_iter().map(|(a, _)| a).take(8).collect(),
    }
}

fn cases_gcounter(
    n: usize,
    name: &'static str,
    crdts_name: &'static str,
) -> Case<GCounter<ReplicaId>, crdts::GCounter<uuid::Uuid>> {
    let pools = maps::gcounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Same, n);
    Case {
        name,
        crdts_name,
        entries: n,
        concord: pools.concord.into_iter().map(|(a, _)| a).take(8).collect(),
        crdts: pools.crdts.into_iter().map(|(a, _)| a).take(8).collect(),
    }
}

fn cases_pncounter() -> Case<PnCounter<ReplicaId>, crdts::PNCounter<uuid::Uuid>> {
    let pools =
        maps::pncounter_pools::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, Overlap::Same, 1024);
    Case {
        name: "pncounter/1024",
        crdts_name: "pncounter/1024",
        entries: 1024,
        concord: pools.concord.into_iter().map(|(a, _)| a).take(8).collect(),
        crdts: pools.crdts.into_iter().map(|(a, _)| a).take(8).collect(),
    }
}

fn cases_mv() -> Case<concord_register::MvRegister<u64, ReplicaId>, crdts::MVReg<u64, uuid::Uuid>> {
    let mut case = Case {
        name: "mv_register/32",
        crdts_name: "mvreg/32",
        entries: 32,
        concord: vec![],
        crdts: vec![],
    };
    for pair in registers::mv_cases(16).into_iter().take(8) {
        let (mut mine, other) = pair.concord;
        mine.merge(&other);
        case.concord.push(mine);
        let (mut theirs, other) = pair.crdts;
        theirs.merge(other);
        case.crdts.push(theirs);
    }
    case
}

fn encode_case<C: WireType, K: Serialize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    case: &Case<C, K>,
) {
    group.throughput(Throughput::Elements(case.entries as u64));
    let mut next = case.concord.iter().cycle();
    group.bench_function(BenchmarkId::new("concord", case.name), |b| {
        b.iter(|| codec::encode(black_box(next.next()?)).ok());
    });
    encode_crdts(group, case.crdts_name, case.entries, &case.crdts);
}

fn encode_crdts<K: Serialize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    entries: usize,
    states: &[K],
) {
    group.throughput(Throughput::Elements(entries as u64));
    let mut next = states.iter().cycle();
    group.bench_function(BenchmarkId::new("crdts", name), |b| {
        b.iter(|| next.next().map(|state| crdts_bytes(black_box(state))));
    });
}

fn decode_case<C, K>(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case<C, K>)
where
    C: WireType + PartialEq + std::fmt::Debug,
    K: Serialize + DeserializeOwned,
{
    group.throughput(Throughput::Elements(case.entries as u64));
    let concord: Vec<Vec<u8>> = case.concord.iter().map(concord_bytes).collect();
    for (bytes, state) in concord.iter().zip(&case.concord) {
        assert_eq!(codec::decode::<C>(bytes).as_ref(), Ok(state), "round trip");
    }
    let mut next = concord.iter().cycle();
    group.bench_function(BenchmarkId::new("concord", case.name), |b| {
        b.iter(|| codec::decode::<C>(black_box(next.next()?)).ok());
    });
    decode_crdts(group, case.crdts_name, case.entries, &case.crdts);
}

/// The concord half of [`decode_case`] alone.
fn decode_only<C, K>(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case<C, K>)
where
    C: WireType + PartialEq + std::fmt::Debug,
{
    group.throughput(Throughput::Elements(case.entries as u64));
    let concord: Vec<Vec<u8>> = case.concord.iter().map(concord_bytes).collect();
    for (bytes, state) in concord.iter().zip(&case.concord) {
        assert_eq!(codec::decode::<C>(bytes).as_ref(), Ok(state), "round trip");
    }
    let mut next = concord.iter().cycle();
    group.bench_function(BenchmarkId::new("concord", case.name), |b| {
        b.iter(|| codec::decode::<C>(black_box(next.next()?)).ok());
    });
}

fn decode_crdts<K: Serialize + DeserializeOwned>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    entries: usize,
    states: &[K],
) {
    group.throughput(Throughput::Elements(entries as u64));
    let bytes: Vec<Vec<u8>> = states.iter().map(crdts_bytes).collect();
    let mut next = bytes.iter().cycle();
    group.bench_function(BenchmarkId::new("crdts", name), |b| {
        b.iter(|| {
            bincode::serde::decode_from_slice::<K, _>(
                black_box(next.next()?),
                bincode::config::standard(),
            )
            .ok()
        });
    });
}

/// The merged 100,000-per-side set in the three set types.
fn set_states() -> SetStates {
    let mut case = Case {
        name: "lww_element_set/150000",
        crdts_name: "gset/150000",
        entries: 0,
        concord: vec![],
        crdts: vec![],
    };
    let mut orswots = vec![];
    for set in sets::set_cases(100_000) {
        case.entries = set.union.len();
        let (mut mine, other) = set.concord;
        mine.merge(&other);
        case.concord.push(mine);
        let (mut gset, other) = set.gset;
        gset.merge(other);
        case.crdts.push(gset);
        let (mut orswot, other) = set.orswot;
        orswot.merge(other);
        orswots.push(orswot);
    }
    (case, orswots)
}

fn codec_groups(c: &mut Criterion) {
    let vclock = cases_vclock::<ReplicaId, uuid::Uuid>(
        ActorKind::Uuid,
        1024,
        "vector_clock/1024",
        "vclock/1024",
    );
    let sized: Vec<_> = [
        (64, "vector_clock/64", "vclock/64"),
        (16384, "vector_clock/16384", "vclock/16384"),
    ]
    .into_iter()
    .map(|(n, name, theirs)| {
        cases_vclock::<ReplicaId, uuid::Uuid>(ActorKind::Uuid, n, name, theirs)
    })
    .collect();
    let vclock_u64 = cases_vclock::<u64, u64>(
        ActorKind::U64,
        1024,
        "vector_clock_u64/1024",
        "vclock_u64/1024",
    );
    let gcounters: Vec<_> = [
        (64, "gcounter/64", "gcounter/64"),
        (1024, "gcounter/1024", "gcounter/1024"),
        (16384, "gcounter/16384", "gcounter/16384"),
    ]
    .into_iter()
    .map(|(n, name, theirs)| cases_gcounter(n, name, theirs))
    .collect();
    let pncounter = cases_pncounter();
    let mv = cases_mv();
    let (set, orswots) = set_states();
    let orswot_name = "orswot/150000";
    let narrow = Case {
        name: "lww_element_set_u64/150000",
        crdts_name: "gset/150000",
        entries: set.entries,
        concord: sets::u64_stamped(&set.concord),
        crdts: set.crdts.clone(),
    };

    let mut group = c.benchmark_group("encode");
    encode_case(&mut group, &vclock);
    for case in &sized {
        encode_case(&mut group, case);
    }
    encode_case(&mut group, &vclock_u64);
    for case in &gcounters {
        encode_case(&mut group, case);
    }
    encode_case(&mut group, &pncounter);
    encode_case(&mut group, &mv);
    group.sample_size(20);
    encode_case(&mut group, &set);
    encode_crdts(&mut group, orswot_name, set.entries, &orswots);
    group.finish();

    let mut group = c.benchmark_group("decode");
    decode_case(&mut group, &vclock);
    for case in &sized {
        decode_case(&mut group, case);
    }
    decode_case(&mut group, &vclock_u64);
    for case in &gcounters {
        decode_case(&mut group, case);
    }
    decode_case(&mut group, &pncounter);
    decode_case(&mut group, &mv);
    group.sample_size(20);
    decode_case(&mut group, &set);
    decode_only(&mut group, &narrow);
    decode_crdts(&mut group, orswot_name, set.entries, &orswots);
    group.finish();
}

criterion_group!(benches, codec_groups);
criterion_main!(benches);
