//! The simulator as a convergence test: hundreds of seeds per type with drops, duplicates,
//! partitions and restarts, in both sync modes, and the checks that must be able to fail.
#![allow(
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure"
)]

use concord_core::Merge;
use concord_core::codec::{WireType, tag};
use concord_core::laws::Model;
use concord_counter::GCounter;
use concord_counter::laws::GCounterModel;
use concord_sim::{Mode, Scenario, TYPES, simulate};
use serde::{Deserialize, Serialize};

const SEEDS_PER_TYPE: u64 = 500;

fn scenario(seed: u64) -> Scenario {
    Scenario {
        replicas: [2, 3, 5, 8][(seed % 4) as usize],
        ops: 120,
        drop: 0.2,
        dup: 0.1,
        partitions: 2,
        restarts: 3,
        seed,
        clients: 3,
        sessions: true,
        max_delay: 6,
        gossip_interval: 5,
        max_rounds: 2_000,
    }
}

#[test]
fn every_type_converges_on_500_seeds_in_both_modes() {
    for t in TYPES {
        let mut restarts = 0;
        let mut partitions = 0;
        for seed in 0..SEEDS_PER_TYPE {
            let sc = scenario(seed);
            for mode in Mode::BOTH {
                let r = (t.run)(&sc, mode, &mut |_| {});
                assert!(r.passed(), "{} {mode} seed {seed} failed: {r:#?}", t.name);
                assert!(
                    r.rounds_to_converge.is_some(),
                    "{} {mode} seed {seed}: no gossip convergence",
                    t.name
                );
                restarts += r.restarts;
                partitions += r.partitions;
            }
        }
        // The faults really happened.
        assert!(
            restarts > SEEDS_PER_TYPE,
            "{}: only {restarts} restarts",
            t.name
        );
        assert!(
            partitions > SEEDS_PER_TYPE,
            "{}: only {partitions} partitions",
            t.name
        );
    }
}

#[test]
fn same_seed_same_run() {
    for t in TYPES {
        let sc = Scenario {
            ops: 800,
            seed: 42,
            ..Scenario::default()
        };
        for mode in Mode::BOTH {
            let a = (t.run)(&sc, mode, &mut |_| {});
            let b = (t.run)(&sc, mode, &mut |_| {});
            assert_eq!(a, b, "{} {mode} is not deterministic", t.name);
        }
        let other = (t.run)(
            &Scenario {
                ops: 800,
                seed: 43,
                ..Scenario::default()
            },
            Mode::Full,
            &mut |_| {},
        );
        let first = (t.run)(&sc, Mode::Full, &mut |_| {});
        assert_ne!(
            (first.messages, first.bytes),
            (other.messages, other.bytes),
            "{}: seed ignored",
            t.name
        );
    }
}

#[test]
fn session_checker_sees_violations_when_tokens_are_ignored() {
    let mut seen = 0;
    for seed in 0..20 {
        let sc = Scenario {
            ops: 600,
            sessions: false,
            seed,
            ..Scenario::default()
        };
        for t in TYPES {
            let r = (t.run)(&sc, Mode::Full, &mut |_| {});
            assert!(r.converged_ok(), "{} seed {seed}: {r:#?}", t.name);
            seen += r.session_violations();
        }
    }
    assert!(
        seen > 0,
        "with sessions off, lossy gossip must produce stale reads"
    );
    // And with tokens honoured, the same scenarios have none (reads wait instead).
    for seed in 0..20 {
        let sc = Scenario {
            ops: 600,
            sessions: true,
            seed,
            ..Scenario::default()
        };
        for t in TYPES {
            let r = (t.run)(&sc, Mode::Full, &mut |_| {});
            assert_eq!(r.session_violations(), 0, "{} seed {seed}", t.name);
        }
    }
}

/// A counter whose "merge" keeps whichever side has the larger total: not a join.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct LargerTotalWins(GCounter<u64>);

impl Merge for LargerTotalWins {
    fn merge(&mut self, other: &Self) {
        if other.0.value() > self.0.value() {
            *self = other.clone();
        }
    }
}

impl WireType for LargerTotalWins {
    const TAG: u16 = tag::USER;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LargerTotalWins";
}

struct BrokenModel;

impl Model for BrokenModel {
    type State = LargerTotalWins;
    type Op = <GCounterModel as Model>::Op;
    type Replica = <GCounterModel as Model>::Replica;
    type Oracle = <GCounterModel as Model>::Oracle;
    type Value = <GCounterModel as Model>::Value;

    fn replica(index: usize) -> Self::Replica {
        <GCounterModel as Model>::replica(index)
    }
    fn initial() -> LargerTotalWins {
        LargerTotalWins(<GCounterModel as Model>::initial())
    }
    fn oracle() -> Self::Oracle {
        <GCounterModel as Model>::oracle()
    }
    fn apply(
        replica: &mut Self::Replica,
        state: &mut LargerTotalWins,
        op: &Self::Op,
        oracle: &mut Self::Oracle,
    ) -> Option<LargerTotalWins> {
        <GCounterModel as Model>::apply(replica, &mut state.0, op, oracle).map(LargerTotalWins)
    }
    fn value(state: &LargerTotalWins) -> Self::Value {
        <GCounterModel as Model>::value(&state.0)
    }
    fn expected(oracle: &Self::Oracle) -> Self::Value {
        <GCounterModel as Model>::expected(oracle)
    }
}

#[test]
fn a_broken_merge_is_reported_as_diverged() {
    let mut diverged = 0;
    for seed in 0..20 {
        for mode in Mode::BOTH {
            let r = simulate::<BrokenModel>(&scenario(seed), mode, &mut |_| {});
            if r.outcome() == "DIVERGED" {
                assert!(!r.passed());
                assert!(!r.failures.is_empty());
                diverged += 1;
            }
        }
    }
    assert!(
        diverged >= 30,
        "only {diverged} of 40 broken runs were caught"
    );
}

#[test]
fn an_invalid_scenario_is_a_failure_not_a_panic() {
    let sc = Scenario {
        replicas: 1,
        ..Scenario::default()
    };
    let r = simulate::<GCounterModel>(&sc, Mode::Full, &mut |_| {});
    assert!(!r.passed());
    assert!(r.failures[0].contains("replicas"), "{:?}", r.failures);
}
