//! The model of [`CausalCounter`].
//!
//! Replica `i` increments, decrements (by small amounts, now and then by half of `u64::MAX`
//! so that overflow refusals happen) and resets under actor `i`. The oracle is the sequential
//! specification the counter documents, over the events of the history:
//!
//! - an increment or decrement by `n > 0` at actor `a` is an event with its own dot that
//!   carries `a`'s contribution as `a`'s replica knew it (the contributions of `a`'s events
//!   still live there) plus `n`; it observes `a`'s earlier events;
//! - a reset observes every event whose dot its replica had seen;
//! - an event survives when no later operation observed it, and the value is the sum of the
//!   surviving contributions, each increments minus decrements.
//!
//! The oracle reads one thing from the replica: which of the actor's own events are still
//! live there, that is, whether the replica has received a reset that observed them (no
//! causal context shows that: a reset makes no dot). The contributions are the oracle's own.
//! An operation is refused exactly when the specification's contribution would pass
//! `u64::MAX` in either total. The oracle also records whether an operation ever read wrong at
//! its own replica: the local value must move by exactly the amount, a reset must read zero,
//! and a refusal must happen exactly when the specification says.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use concord_core::Dot;
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::{CausalCounter, Contribution};

/// The amount of a large step: two of them by one actor without a reset in between overflow.
pub const CAUSAL_COUNTER_BIG_STEP: u64 = u64::MAX / 2 + 1;

/// One local operation of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum CausalCounterOp {
    /// Add the amount.
    Increment(u64),
    /// Subtract the amount.
    Decrement(u64),
    /// Reset the counter.
    Reset,
}

fn amount(g: &mut Gen) -> u64 {
    if u8::arbitrary(g) % 16 == 0 {
        CAUSAL_COUNTER_BIG_STEP
    } else {
        u64::from(u8::arbitrary(g) % 4)
    }
}

impl Arbitrary for CausalCounterOp {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 8 {
            0..=3 => Self::Increment(amount(g)),
            4 | 5 => Self::Decrement(amount(g)),
            _ => Self::Reset,
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Self::Increment(n) => Box::new(n.shrink().map(Self::Increment)),
            Self::Decrement(n) => Box::new(
                n.shrink()
                    .map(Self::Decrement)
                    .chain(core::iter::once(Self::Increment(n))),
            ),
            Self::Reset => Box::new(core::iter::once(Self::Increment(1))),
        }
    }
}

/// The sequential specification of the counter: every event with its contribution, and the
/// events later operations observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CausalCounterOracle {
    /// Every increment or decrement, by its dot, with the contribution it carries.
    pub events: BTreeMap<Dot<u64>, Contribution>,
    /// The events some later operation observed: a reset whose replica had seen them, or a
    /// later increment or decrement of the same actor.
    pub observed: BTreeSet<Dot<u64>>,
    /// Whether an operation ever read wrong at its own replica, or was refused (or not)
    /// against the specification.
    pub local_mismatch: bool,
}

impl CausalCounterOracle {
    /// The events no later operation observed, with their contributions.
    #[must_use]
    pub fn surviving(&self) -> Vec<(Dot<u64>, Contribution)> {
        self.events
            .iter()
            .filter(|(dot, _)| !self.observed.contains(dot))
            .map(|(&dot, &c)| (dot, c))
            .collect()
    }

    /// The value: the sum of the surviving contributions.
    #[must_use]
    pub fn value(&self) -> i128 {
        self.surviving().iter().map(|(_, c)| c.value()).sum()
    }

    /// What `actor`'s new event carries after adding `amount` at a replica whose live dots
    /// of `actor` are `live`: their contributions plus `amount`, or `None` past `u64::MAX`.
    fn next_contribution(
        &mut self,
        live: &[Dot<u64>],
        amount: Contribution,
    ) -> Option<Contribution> {
        let (mut up, mut down) = (amount.increments(), amount.decrements());
        for dot in live {
            let Some(c) = self.events.get(dot) else {
                // The replica holds an event the history never made.
                self.local_mismatch = true;
                continue;
            };
            up = up.checked_add(c.increments())?;
            down = down.checked_add(c.decrements())?;
        }
        Some(Contribution::new(up, down))
    }
}

/// The model of `CausalCounter<u64>`: replica `i` counts under actor `i`.
///
/// Value: the counter's value, its live contributions and `false`; the oracle expects
/// [`CausalCounterOracle::value`], [`CausalCounterOracle::surviving`], and reports `true`
/// if an operation ever read wrong at its own replica.
#[derive(Debug)]
pub struct CausalCounterModel;

impl Model for CausalCounterModel {
    type State = CausalCounter<u64>;
    type Op = CausalCounterOp;
    type Replica = u64;
    type Oracle = CausalCounterOracle;
    type Value = (i128, Vec<(Dot<u64>, Contribution)>, bool);

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> Self::State {
        CausalCounter::new()
    }

    fn oracle() -> CausalCounterOracle {
        CausalCounterOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut Self::State,
        op: &CausalCounterOp,
        oracle: &mut CausalCounterOracle,
    ) -> Option<Self::State> {
        let seen: Vec<Dot<u64>> = oracle
            .events
            .keys()
            .filter(|dot| state.context().contains(dot))
            .copied()
            .collect();
        let before = state.value();
        let (n, result, expected, signed) = match *op {
            CausalCounterOp::Reset => {
                oracle.observed.extend(seen);
                let delta = state.reset();
                oracle.local_mismatch |= state.value() != 0;
                return Some(delta);
            }
            CausalCounterOp::Increment(n) | CausalCounterOp::Decrement(n) => {
                let up = matches!(op, CausalCounterOp::Increment(_));
                // The actor's events still live here: what its replica knows of its share.
                let live: Vec<Dot<u64>> = state
                    .contributions()
                    .iter()
                    .map(|(dot, _)| *dot)
                    .filter(|dot| dot.actor == *actor)
                    .collect();
                let amount = if up {
                    Contribution::new(n, 0)
                } else {
                    Contribution::new(0, n)
                };
                let expected = oracle.next_contribution(&live, amount);
                let dot = state.context().next_dot(*actor);
                let result = if up {
                    state.increment(*actor, n)
                } else {
                    state.decrement(*actor, n)
                };
                let signed = if up { i128::from(n) } else { -i128::from(n) };
                (n, result.map(|delta| (delta, dot)), expected, signed)
            }
        };
        if n == 0 {
            // Adding nothing changes nothing and makes no event.
            oracle.local_mismatch |= state.value() != before || result.is_err();
            return result.ok().map(|(delta, _)| delta);
        }
        match (result, expected) {
            (Ok((delta, dot)), Some(contribution)) => {
                oracle.events.insert(dot, contribution);
                oracle
                    .observed
                    .extend(seen.into_iter().filter(|d| d.actor == *actor));
                oracle.local_mismatch |= state.value() != before + signed;
                Some(delta)
            }
            (Err(_), None) => None,
            (result, _) => {
                // Refused against the specification, or accepted when it should be refused.
                oracle.local_mismatch = true;
                result.ok().map(|(delta, _)| delta)
            }
        }
    }

    fn value(state: &Self::State) -> Self::Value {
        (state.value(), state.contributions().to_vec(), false)
    }

    fn expected(oracle: &CausalCounterOracle) -> Self::Value {
        (oracle.value(), oracle.surviving(), oracle.local_mismatch)
    }
}
