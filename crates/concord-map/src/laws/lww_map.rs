//! The model of [`LwwMap`].
//!
//! Replicas put and delete small keys (`u8`, drawn from a handful so operations collide) with
//! small values, stamping each operation with their own `LamportClock` (actor = replica
//! index) and advancing it past every stamp they receive. The oracle is the sequential
//! specification: per key, the operation with the greatest stamp of all operations decides,
//! a put leaving its value and a delete leaving nothing.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::LwwMap;

/// The stamp the model uses: a Lamport timestamp whose actor is the replica index.
pub type LwwStamp = LamportTimestamp<u64>;

/// How many distinct keys the model draws from.
pub const LWW_MAP_KEYS: u8 = 8;

/// How many distinct values the model draws from.
pub const LWW_MAP_VALUES: u8 = 4;

/// One local operation of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum LwwMapOp {
    /// Put the value under the key.
    Insert(u8, u8),
    /// Delete the key.
    Remove(u8),
}

impl Arbitrary for LwwMapOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let key = u8::arbitrary(g) % LWW_MAP_KEYS;
        if u8::arbitrary(g) % 3 == 0 {
            Self::Remove(key)
        } else {
            Self::Insert(key, u8::arbitrary(g) % LWW_MAP_VALUES)
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Self::Insert(k, v) => Box::new(
                k.shrink()
                    .map(move |k| Self::Insert(k, v))
                    .chain(v.shrink().map(move |v| Self::Insert(k, v))),
            ),
            Self::Remove(k) => Box::new(k.shrink().map(Self::Remove).chain([Self::Insert(k, 0)])),
        }
    }
}

/// The oracle: per key, the operation with the greatest stamp so far (`None` for a delete).
pub type LwwMapOracle = BTreeMap<u8, (LwwStamp, Option<u8>)>;

/// The model of `LwwMap<u8, u8, LwwStamp>`.
#[derive(Debug)]
pub struct LwwMapModel;

impl Model for LwwMapModel {
    type State = LwwMap<u8, u8, LwwStamp>;
    type Op = LwwMapOp;
    type Replica = LamportClock<u64>;
    type Oracle = LwwMapOracle;
    type Value = Vec<(u8, u8)>;

    fn replica(index: usize) -> LamportClock<u64> {
        LamportClock::new(index as u64)
    }

    fn initial() -> Self::State {
        LwwMap::new()
    }

    fn oracle() -> LwwMapOracle {
        BTreeMap::new()
    }

    fn apply(
        clock: &mut LamportClock<u64>,
        state: &mut Self::State,
        op: &LwwMapOp,
        oracle: &mut LwwMapOracle,
    ) -> Option<Self::State> {
        let stamp = clock.tick().ok()?;
        let (key, value) = match *op {
            LwwMapOp::Insert(k, v) => (k, Some(v)),
            LwwMapOp::Remove(k) => (k, None),
        };
        let latest = oracle.entry(key).or_insert((stamp, value));
        if stamp > latest.0 {
            *latest = (stamp, value);
        }
        Some(match value {
            Some(v) => state.insert(key, v, stamp),
            None => state.remove(key, stamp),
        })
    }

    fn observe(clock: &mut LamportClock<u64>, incoming: &Self::State) {
        if let Some(stamp) = incoming.max_stamp() {
            // Only a time of u64::MAX overflows; the model never gets near it.
            let _ = clock.observe(stamp);
        }
    }

    fn value(state: &Self::State) -> Vec<(u8, u8)> {
        state.iter().map(|(&k, &v)| (k, v)).collect()
    }

    fn expected(oracle: &LwwMapOracle) -> Vec<(u8, u8)> {
        oracle
            .iter()
            .filter_map(|(&k, &(_, v))| Some((k, v?)))
            .collect()
    }
}
