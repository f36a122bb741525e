//! The models of [`OrMap`]: a map of multi-value registers, and a map of such maps.
//!
//! Replica `i` acts as actor `i`. It writes small values (`u8`, drawn from a handful so writes
//! collide) under small keys through [`OrMap::apply`], each write replacing the versions its
//! replica has read, and removes keys. The oracle is the sequential specification of an
//! observed-remove map of registers, written in terms of events rather than of the join:
//!
//! - every write is an event (its dot, its value) that records which earlier writes of its key
//!   its replica had observed, that is, had in its causal context when it wrote;
//! - every remove is an event that records the same of the writes under the key it removes
//!   (for an outer key of the nested map, the writes under every inner key);
//! - the converged value of a key is the values of its writes that no other event observed,
//!   one per write (two concurrent writes of one value are two versions), and the key is
//!   present exactly when there is one. A remove creates no version, so what a write had seen
//!   of removes does not change the value and is not recorded.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use concord_clock::DotContext;
use concord_core::Dot;
use concord_core::laws::{Arbitrary, Gen, Model};
use concord_register::MvRegister;

use crate::OrMap;

/// How many distinct keys the models draw from (at each level of the nested map).
pub const OR_MAP_KEYS: u8 = 4;

/// How many distinct values the models draw from.
pub const OR_MAP_VALUES: u8 = 3;

/// The register the models keep under each key.
pub type Register = MvRegister<u8, u64>;

/// One event of the specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrMapEvent<P> {
    /// Where the event happened: the key written, or the key removed.
    pub key: P,
    /// The write's dot and value; `None` for a remove.
    pub write: Option<(Dot<u64>, u8)>,
    /// The earlier writes under `key` that the event's replica had observed.
    pub observed: BTreeSet<Dot<u64>>,
}

/// The oracle: every event so far, in the order they happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrMapOracle<P> {
    /// The events.
    pub events: Vec<OrMapEvent<P>>,
}

impl<P> Default for OrMapOracle<P> {
    fn default() -> Self {
        Self { events: Vec::new() }
    }
}

impl<P: Ord + Copy> OrMapOracle<P> {
    /// Records an event at `key` of a replica that has seen `seen`: a write when `write` is
    /// given, else a remove. It observed every earlier write whose key `covers` accepts and
    /// whose dot `seen` holds.
    pub fn record(
        &mut self,
        key: P,
        write: Option<(Dot<u64>, u8)>,
        covers: impl Fn(&P) -> bool,
        seen: &DotContext<u64>,
    ) {
        let observed = self
            .events
            .iter()
            .filter(|e| covers(&e.key))
            .filter_map(|e| e.write.map(|(dot, _)| dot))
            .filter(|dot| seen.contains(dot))
            .collect();
        self.events.push(OrMapEvent {
            key,
            write,
            observed,
        });
    }

    /// Per key with a surviving write, the values of its writes that no other event
    /// observed, in increasing order (repeats kept).
    #[must_use]
    pub fn survivors(&self) -> BTreeMap<P, Vec<u8>> {
        let mut out: BTreeMap<P, Vec<u8>> = BTreeMap::new();
        for event in &self.events {
            if let Some((dot, value)) = event.write
                && !self.events.iter().any(|e| e.observed.contains(&dot))
            {
                out.entry(event.key).or_default().push(value);
            }
        }
        for values in out.values_mut() {
            values.sort_unstable();
        }
        out
    }
}

/// Writes `value` under the register, replacing the versions read: the write of both models.
fn write(
    register: &mut Register,
    actor: u64,
    value: u8,
) -> Result<Register, concord_core::Overflow> {
    let (_, seen) = register.read();
    register.write(actor, value, &seen)
}

/// The values of a register, in increasing order.
fn versions(register: &Register) -> Vec<u8> {
    let mut values: Vec<u8> = register.values().copied().collect();
    values.sort_unstable();
    values
}

/// One local operation of [`OrMapModel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OrMapOp {
    /// Write the value under the key, replacing the versions read.
    Write(u8, u8),
    /// Remove the key.
    Remove(u8),
}

impl Arbitrary for OrMapOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let key = u8::arbitrary(g) % OR_MAP_KEYS;
        if u8::arbitrary(g) % 3 == 0 {
            Self::Remove(key)
        } else {
            Self::Write(key, u8::arbitrary(g) % OR_MAP_VALUES)
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Self::Write(k, v) => Box::new(
                k.shrink()
                    .map(move |k| Self::Write(k, v))
                    .chain(v.shrink().map(move |v| Self::Write(k, v))),
            ),
            Self::Remove(k) => Box::new(k.shrink().map(Self::Remove).chain([Self::Write(k, 0)])),
        }
    }
}

/// The model of `OrMap<u8, MvRegister<u8, u64>, u64>`.
#[derive(Debug)]
pub struct OrMapModel;

impl Model for OrMapModel {
    type State = OrMap<u8, Register, u64>;
    type Op = OrMapOp;
    type Replica = u64;
    type Oracle = OrMapOracle<u8>;
    type Value = Vec<(u8, Vec<u8>)>;

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> Self::State {
        OrMap::new()
    }

    fn oracle() -> OrMapOracle<u8> {
        OrMapOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut Self::State,
        op: &OrMapOp,
        oracle: &mut OrMapOracle<u8>,
    ) -> Option<Self::State> {
        match *op {
            OrMapOp::Write(key, value) => {
                let dot = state.context().next_dot(*actor);
                let seen = state.context().clone();
                let delta = state
                    .apply(*actor, key, |reg, actor| write(reg, actor, value))
                    .ok()?;
                oracle.record(key, Some((dot, value)), |k| *k == key, &seen);
                Some(delta)
            }
            OrMapOp::Remove(key) => {
                oracle.record(key, None, |k| *k == key, state.context());
                Some(state.remove(&key))
            }
        }
    }

    fn value(state: &Self::State) -> Vec<(u8, Vec<u8>)> {
        state.iter().map(|(&k, reg)| (k, versions(&reg))).collect()
    }

    fn expected(oracle: &OrMapOracle<u8>) -> Vec<(u8, Vec<u8>)> {
        oracle.survivors().into_iter().collect()
    }
}

/// Where an event of [`NestedOrMapModel`] happened: an outer key and, except for the remove
/// of a whole outer key, an inner key.
pub type NestedKey = (u8, Option<u8>);

/// One local operation of [`NestedOrMapModel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum NestedOrMapOp {
    /// Write the value under the outer and inner keys, replacing the versions read.
    Write(u8, u8, u8),
    /// Remove the inner key of the outer key (an update of the outer key's value).
    RemoveInner(u8, u8),
    /// Remove the outer key with everything under it.
    RemoveOuter(u8),
}

impl Arbitrary for NestedOrMapOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let outer = u8::arbitrary(g) % OR_MAP_KEYS;
        let inner = u8::arbitrary(g) % OR_MAP_KEYS;
        match u8::arbitrary(g) % 4 {
            0 => Self::RemoveOuter(outer),
            1 => Self::RemoveInner(outer, inner),
            _ => Self::Write(outer, inner, u8::arbitrary(g) % OR_MAP_VALUES),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Self::Write(o, i, v) => Box::new(
                o.shrink()
                    .map(move |o| Self::Write(o, i, v))
                    .chain(i.shrink().map(move |i| Self::Write(o, i, v)))
                    .chain(v.shrink().map(move |v| Self::Write(o, i, v))),
            ),
            Self::RemoveInner(o, i) => Box::new(
                o.shrink()
                    .map(move |o| Self::RemoveInner(o, i))
                    .chain(i.shrink().map(move |i| Self::RemoveInner(o, i)))
                    .chain([Self::RemoveOuter(o)]),
            ),
            Self::RemoveOuter(o) => Box::new(
                o.shrink()
                    .map(Self::RemoveOuter)
                    .chain([Self::Write(o, 0, 0)]),
            ),
        }
    }
}

/// The model of `OrMap<u8, OrMap<u8, MvRegister<u8, u64>, u64>, u64>`: writes reach the
/// registers through two `apply`s, inner removes through an outer `apply`.
#[derive(Debug)]
pub struct NestedOrMapModel;

/// The state of [`NestedOrMapModel`].
pub type NestedOrMap = OrMap<u8, OrMap<u8, Register, u64>, u64>;

impl Model for NestedOrMapModel {
    type State = NestedOrMap;
    type Op = NestedOrMapOp;
    type Replica = u64;
    type Oracle = OrMapOracle<NestedKey>;
    type Value = Vec<(u8, Vec<(u8, Vec<u8>)>)>;

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> NestedOrMap {
        OrMap::new()
    }

    fn oracle() -> OrMapOracle<NestedKey> {
        OrMapOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut NestedOrMap,
        op: &NestedOrMapOp,
        oracle: &mut OrMapOracle<NestedKey>,
    ) -> Option<NestedOrMap> {
        match *op {
            NestedOrMapOp::Write(outer, inner, value) => {
                let dot = state.context().next_dot(*actor);
                let seen = state.context().clone();
                let delta = state
                    .apply(*actor, outer, |map, actor| {
                        map.apply(actor, inner, |reg, actor| write(reg, actor, value))
                    })
                    .ok()?;
                let key = (outer, Some(inner));
                oracle.record(key, Some((dot, value)), |k| *k == key, &seen);
                Some(delta)
            }
            NestedOrMapOp::RemoveInner(outer, inner) => {
                let key = (outer, Some(inner));
                oracle.record(key, None, |k| *k == key, state.context());
                state
                    .apply(*actor, outer, |map, _| Ok(map.remove(&inner)))
                    .ok()
            }
            NestedOrMapOp::RemoveOuter(outer) => {
                oracle.record((outer, None), None, |k| k.0 == outer, state.context());
                Some(state.remove(&outer))
            }
        }
    }

    fn value(state: &NestedOrMap) -> Self::Value {
        state
            .iter()
            .map(|(&outer, map)| {
                let inner = map
                    .iter()
                    .map(|(&inner, reg)| (inner, versions(&reg)))
                    .collect();
                (outer, inner)
            })
            .collect()
    }

    fn expected(oracle: &OrMapOracle<NestedKey>) -> Self::Value {
        let mut out: BTreeMap<u8, Vec<(u8, Vec<u8>)>> = BTreeMap::new();
        for ((outer, inner), values) in oracle.survivors() {
            if let Some(inner) = inner {
                out.entry(outer).or_default().push((inner, values));
            }
        }
        out.into_iter().collect()
    }
}
