//! The models of [`EwFlag`] and [`DwFlag`].
//!
//! Replica `i` enables and disables under actor `i`. The oracles are sequential
//! specifications over the events of the history: every operation that makes a dot is an
//! event, and an event is *observed* by a later operation when that operation's replica had
//! seen its dot (its causal context contained it) at the time. An event survives when no
//! later operation observed it:
//!
//! - enable-wins: the flag is enabled iff some enable precedes no disable (observation
//!   taken transitively: a disable that observed an enable also comes after what that enable
//!   observed);
//! - disable-wins: the flag is enabled iff some enable is unobserved and no disable is.
//!
//! Both oracles also give the surviving events (so the converged store is checked, not only
//! the boolean), and record whether an operation ever failed to show at its own replica
//! (an enable that does not read enabled there, a disable that does not read disabled).

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use concord_core::Dot;
use concord_core::laws::{Arbitrary, Gen, Model};

use crate::{DwFlag, EwFlag};

/// One local operation of the flag models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum FlagOp {
    /// Enable the flag.
    Enable,
    /// Disable the flag.
    Disable,
}

impl Arbitrary for FlagOp {
    fn arbitrary(g: &mut Gen) -> Self {
        if bool::arbitrary(g) {
            Self::Enable
        } else {
            Self::Disable
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match self {
            Self::Enable => Box::new(core::iter::empty()),
            Self::Disable => Box::new(core::iter::once(Self::Enable)),
        }
    }
}

/// The sequential specification of an enable-wins flag: every operation with the enables
/// its replica had seen when it ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EwFlagOracle {
    /// Every enable, by its dot, with the enables it observed.
    pub enables: BTreeMap<Dot<u64>, Vec<Dot<u64>>>,
    /// Every disable, with the enables it observed.
    pub disables: Vec<Vec<Dot<u64>>>,
    /// Whether an operation ever failed to show at its own replica.
    pub lost_own_write: bool,
}

impl EwFlagOracle {
    /// Whether the flag is enabled: some enable precedes no disable.
    ///
    /// An enable precedes a disable when the disable observed it, or observed an
    /// enable that happened after it (observation is transitive: an enable that replaced an
    /// older one carries it in its causal past even where a delta brought only the newer
    /// dot).
    #[must_use]
    pub fn enabled(&self) -> bool {
        let mut before_a_disable: BTreeSet<Dot<u64>> = BTreeSet::new();
        let mut pending: Vec<Dot<u64>> = self.disables.iter().flatten().copied().collect();
        while let Some(dot) = pending.pop() {
            if before_a_disable.insert(dot) {
                pending.extend(self.enables.get(&dot).into_iter().flatten().copied());
            }
        }
        self.enables
            .keys()
            .any(|dot| !before_a_disable.contains(dot))
    }

    /// The surviving enables: those no later operation observed.
    #[must_use]
    pub fn surviving(&self) -> Vec<Dot<u64>> {
        let observed: BTreeSet<&Dot<u64>> = self
            .enables
            .values()
            .chain(&self.disables)
            .flatten()
            .collect();
        self.enables
            .keys()
            .filter(|dot| !observed.contains(dot))
            .copied()
            .collect()
    }

    /// The enables a replica that has seen `seen` observes.
    fn observed_by(&self, seen: &concord_clock::DotContext<u64>) -> Vec<Dot<u64>> {
        self.enables
            .keys()
            .filter(|dot| seen.contains(dot))
            .copied()
            .collect()
    }
}

/// The model of `EwFlag<u64>`: replica `i` enables and disables under actor `i`.
///
/// Value: whether the flag is enabled, its surviving dots, and `false`; the oracle expects
/// [`EwFlagOracle::enabled`], [`EwFlagOracle::surviving`], and reports `true` if an
/// operation ever failed to show at its own replica.
#[derive(Debug)]
pub struct EwFlagModel;

impl Model for EwFlagModel {
    type State = EwFlag<u64>;
    type Op = FlagOp;
    type Replica = u64;
    type Oracle = EwFlagOracle;
    type Value = (bool, Vec<Dot<u64>>, bool);

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> Self::State {
        EwFlag::new()
    }

    fn oracle() -> EwFlagOracle {
        EwFlagOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut Self::State,
        op: &FlagOp,
        oracle: &mut EwFlagOracle,
    ) -> Option<Self::State> {
        let observed = oracle.observed_by(state.context());
        match op {
            FlagOp::Enable => {
                let dot = state.context().next_dot(*actor);
                let delta = state.enable(*actor).ok()?;
                oracle.enables.insert(dot, observed);
                oracle.lost_own_write |= !state.is_enabled();
                Some(delta)
            }
            FlagOp::Disable => {
                oracle.disables.push(observed);
                let delta = state.disable();
                oracle.lost_own_write |= state.is_enabled();
                Some(delta)
            }
        }
    }

    fn value(state: &Self::State) -> Self::Value {
        (state.is_enabled(), state.dots().to_vec(), false)
    }

    fn expected(oracle: &EwFlagOracle) -> Self::Value {
        (oracle.enabled(), oracle.surviving(), oracle.lost_own_write)
    }
}

/// The sequential specification of a disable-wins flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DwFlagOracle {
    /// Every operation, by its dot: `true` for an enable, `false` for a disable.
    pub events: BTreeMap<Dot<u64>, bool>,
    /// The events some later operation observed (and replaced).
    pub observed: BTreeSet<Dot<u64>>,
    /// Whether an operation ever failed to show at its own replica.
    pub lost_own_write: bool,
}

impl DwFlagOracle {
    /// The events no later operation observed, with what they wrote.
    #[must_use]
    pub fn surviving(&self) -> Vec<(Dot<u64>, bool)> {
        self.events
            .iter()
            .filter(|(dot, _)| !self.observed.contains(dot))
            .map(|(&dot, &enabled)| (dot, enabled))
            .collect()
    }

    /// Whether the flag is enabled: some enable is unobserved and no disable is.
    #[must_use]
    pub fn enabled(&self) -> bool {
        let surviving = self.surviving();
        surviving.iter().any(|&(_, enabled)| enabled)
            && !surviving.iter().any(|&(_, enabled)| !enabled)
    }
}

/// The model of `DwFlag<u64>`: replica `i` enables and disables under actor `i`.
///
/// Value: whether the flag is enabled, its surviving events, and `false`; the oracle expects
/// [`DwFlagOracle::enabled`], [`DwFlagOracle::surviving`], and reports `true` if an
/// operation ever failed to show at its own replica.
#[derive(Debug)]
pub struct DwFlagModel;

impl Model for DwFlagModel {
    type State = DwFlag<u64>;
    type Op = FlagOp;
    type Replica = u64;
    type Oracle = DwFlagOracle;
    type Value = (bool, Vec<(Dot<u64>, bool)>, bool);

    fn replica(index: usize) -> u64 {
        index as u64
    }

    fn initial() -> Self::State {
        DwFlag::new()
    }

    fn oracle() -> DwFlagOracle {
        DwFlagOracle::default()
    }

    fn apply(
        actor: &mut u64,
        state: &mut Self::State,
        op: &FlagOp,
        oracle: &mut DwFlagOracle,
    ) -> Option<Self::State> {
        let enable = matches!(op, FlagOp::Enable);
        let dot = state.context().next_dot(*actor);
        let observed: Vec<Dot<u64>> = oracle
            .events
            .keys()
            .filter(|seen| state.context().contains(seen))
            .copied()
            .collect();
        let delta = if enable {
            state.enable(*actor)
        } else {
            state.disable(*actor)
        }
        .ok()?;
        oracle.observed.extend(observed);
        oracle.events.insert(dot, enable);
        oracle.lost_own_write |= state.is_enabled() != enable;
        Some(delta)
    }

    fn value(state: &Self::State) -> Self::Value {
        (state.is_enabled(), state.events().to_vec(), false)
    }

    fn expected(oracle: &DwFlagOracle) -> Self::Value {
        (oracle.enabled(), oracle.surviving(), oracle.lost_own_write)
    }
}
