//! Registers: batches of last-writer-wins registers and multi-value registers with siblings.

use concord_clock::HybridTimestamp;
use concord_core::{Merge, ReplicaId};
use concord_register::{LwwRegister, MvRegister};
use crdts::{CmRDT, CvRDT};
use rand::RngExt;

use crate::harness::{ActorKind, FromBits, quick, rng};

/// Registers per batch in the last-writer-wins group.
pub const LWW_BATCH: usize = 100_000;

/// Sibling counts per side in the multi-value group.
pub const MV_SIBLINGS: [usize; 3] = [1, 4, 16];

/// The stamp both libraries' last-writer-wins registers use: a hybrid timestamp.
pub type Stamp = HybridTimestamp<ReplicaId>;

/// One batch: `LWW_BATCH` independent register pairs, in both libraries.
#[derive(Clone, Debug)]
pub struct LwwBatch {
    /// concord receivers.
    pub concord_a: Vec<LwwRegister<u64, Stamp>>,
    /// concord incoming registers.
    pub concord_b: Vec<LwwRegister<u64, Stamp>>,
    /// crdts receivers, with the same values and stamps.
    pub crdts_a: Vec<crdts::LWWReg<u64, Stamp>>,
    /// crdts incoming registers.
    pub crdts_b: Vec<crdts::LWWReg<u64, Stamp>>,
}

/// Batches of register pairs where a random half of the incoming writes is newer (and
/// overwrites). Each batch's merge is checked against the model in both libraries.
#[must_use]
pub fn lww_batches() -> Vec<LwwBatch> {
    let mut rng = rng(0x10);
    let replicas: Vec<ReplicaId> = ActorKind::Uuid
        .draw(&mut rng, 64)
        .into_iter()
        .map(ReplicaId::from_bits)
        .collect();
    let size = if quick() { 1000 } else { LWW_BATCH };
    let batches = if quick() { 1 } else { 4 };
    let mut out = vec![];
    for _ in 0..batches {
        let mut batch = LwwBatch {
            concord_a: vec![],
            concord_b: vec![],
            crdts_a: vec![],
            crdts_b: vec![],
        };
        let mut expected = vec![];
        let stamp = |rng: &mut rand::rngs::StdRng, wall: u64| {
            let actor = replicas
                .get(rng.random_range(0..replicas.len()))
                .copied()
                .unwrap_or_default();
            HybridTimestamp::new(wall, rng.random_range(0..4), actor)
        };
        for _ in 0..size {
            let wall = rng.random_range(1_700_000_000_000..1_800_000_000_000);
            let older = stamp(&mut rng, wall);
            let later = wall + rng.random_range(1..10_000);
            let newer = stamp(&mut rng, later);
            let (va, vb) = (rng.random::<u64>(), rng.random::<u64>());
            let overwrite = rng.random_bool(0.5);
            let (sa, sb) = if overwrite {
                (older, newer)
            } else {
                (newer, older)
            };
            expected.push(if overwrite { vb } else { va });
            batch.concord_a.push(LwwRegister::new(va, sa));
            batch.concord_b.push(LwwRegister::new(vb, sb));
            batch.crdts_a.push(crdts::LWWReg {
                val: va,
                marker: sa,
            });
            batch.crdts_b.push(crdts::LWWReg {
                val: vb,
                marker: sb,
            });
        }
        let mut mine = batch.concord_a.clone();
        for (x, y) in mine.iter_mut().zip(&batch.concord_b) {
            x.merge(y);
        }
        assert!(mine.iter().map(|r| *r.value()).eq(expected.iter().copied()));
        let mut theirs = batch.crdts_a.clone();
        for (x, y) in theirs.iter_mut().zip(batch.crdts_b.clone()) {
            x.merge(y);
        }
        assert!(theirs.iter().map(|r| r.val).eq(expected.iter().copied()));
        out.push(batch);
    }
    out
}

/// One multi-value merge input in both libraries: each side holds `k` concurrent siblings.
#[derive(Clone, Debug)]
pub struct MvCase {
    /// concord `(receiver, incoming)`.
    pub concord: (MvRegister<u64, ReplicaId>, MvRegister<u64, ReplicaId>),
    /// crdts `(receiver, incoming)`, from the same writes.
    pub crdts: (crdts::MVReg<u64, uuid::Uuid>, crdts::MVReg<u64, uuid::Uuid>),
}

/// Writes of history before the concurrent writes, each seeing the previous one, so contexts
/// are as wide as in a register that has been written by a few replicas over time.
const MV_HISTORY: usize = 8;

/// Multi-value register pairs with `k` siblings per side, all `2k` writes concurrent, after a
/// shared history of `MV_HISTORY` sequential writes. Both merges must keep all `2k` values.
#[must_use]
pub fn mv_cases(k: usize) -> Vec<MvCase> {
    let mut rng = rng(0x20 ^ ((k as u64) << 8));
    let pool = if quick() { 2 } else { 32 };
    (0..pool)
        .map(|_| {
            let ids = ActorKind::Uuid.draw(&mut rng, MV_HISTORY + 2 * k);
            let (history, writers) = ids.split_at(MV_HISTORY);
            let values: Vec<u64> = (0..2 * k).map(|_| rng.random()).collect();

            let mut base = MvRegister::<u64, ReplicaId>::new();
            let mut their_base = crdts::MVReg::<u64, uuid::Uuid>::new();
            for &id in history {
                let value = rng.random();
                let (_, context) = base.read();
                base.write(ReplicaId::from_bits(id), value, &context)
                    .expect("fresh actors cannot overflow");
                let add = their_base
                    .read_ctx()
                    .derive_add_ctx(uuid::Uuid::from_bits(id));
                their_base.apply(their_base.write(value, add));
            }

            let side = |range: std::ops::Range<usize>| {
                let mut mine = base.clone();
                let mut theirs = their_base.clone();
                for (id, value) in writers
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
                    .zip(values.get(range).unwrap_or_default())
                {
                    let mut replica = base.clone();
                    let (_, context) = replica.read();
                    let delta = replica
                        .write(ReplicaId::from_bits(*id), *value, &context)
                        .expect("fresh actors cannot overflow");
                    mine.merge(&delta);
                    let add = their_base
                        .read_ctx()
                        .derive_add_ctx(uuid::Uuid::from_bits(*id));
                    theirs.apply(their_base.write(*value, add));
                }
                (mine, theirs)
            };
            let (ca, ta) = side(0..k);
            let (cb, tb) = side(k..2 * k);
            assert_eq!(ca.len(), k);
            assert_eq!(ta.read().val.len(), k);

            let mut expected = values.clone();
            expected.sort_unstable();
            let mut merged = ca.clone();
            merged.merge(&cb);
            let mut got: Vec<u64> = merged.values().copied().collect();
            got.sort_unstable();
            assert_eq!(got, expected);
            let mut merged = ta.clone();
            merged.merge(tb.clone());
            let mut got = merged.read().val;
            got.sort_unstable();
            assert_eq!(got, expected);

            MvCase {
                concord: (ca, cb),
                crdts: (ta, tb),
            }
        })
        .collect()
}
