use core::fmt;

use serde::Serialize;

/// How replicas synchronise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Anti-entropy: every gossip round each replica sends its whole state to one random peer.
    Full,
    /// Delta shipping: every gossip round each replica sends every peer the join of its own
    /// deltas that peer has not acknowledged; unacknowledged deltas are resent until acked.
    Delta,
}

impl Mode {
    /// Both modes, in the order reports list them.
    pub const BOTH: [Mode; 2] = [Mode::Full, Mode::Delta];

    /// The mode's name on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Delta => "delta",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a run depends on. The same scenario gives the same run, bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Number of replicas (2 to 64).
    pub replicas: usize,
    /// Client writes in the operation phase; one write and one read per tick.
    pub ops: usize,
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub dup: f64,
    /// Number of partition episodes during the operation phase; each cuts the replicas into
    /// two or three random groups and heals later.
    pub partitions: usize,
    /// Number of crashes; each crashed replica restarts later from its encoded bytes.
    pub restarts: usize,
    /// The seed every random choice derives from.
    pub seed: u64,
    /// Number of clients issuing reads and writes through random replicas.
    pub clients: usize,
    /// Whether replicas honour the clients' causal tokens.
    pub sessions: bool,
    /// Largest network delay, in ticks (at least 1).
    pub max_delay: u64,
    /// Ticks between gossip rounds (at least 1).
    pub gossip_interval: u64,
    /// Gossip rounds after the heal before the run gives up on convergence by gossip alone.
    pub max_rounds: u64,
}

impl Default for Scenario {
    /// 5 replicas, 10,000 operations, 10% drops, 5% duplicates, 3 partitions, 5 restarts,
    /// 4 clients with sessions, seed 1.
    fn default() -> Self {
        Scenario {
            replicas: 5,
            ops: 10_000,
            drop: 0.10,
            dup: 0.05,
            partitions: 3,
            restarts: 5,
            seed: 1,
            clients: 4,
            sessions: true,
            max_delay: 8,
            gossip_interval: 10,
            max_rounds: 1_000,
        }
    }
}

/// A scenario that cannot run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError(String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Largest number of replicas.
    pub const MAX_REPLICAS: usize = 64;

    /// Checks every field is in range.
    ///
    /// # Errors
    ///
    /// A [`ScenarioError`] naming the field and its allowed range.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let fail = |msg: String| Err(ScenarioError(msg));
        if !(2..=Self::MAX_REPLICAS).contains(&self.replicas) {
            return fail(format!(
                "replicas must be between 2 and {}, got {}",
                Self::MAX_REPLICAS,
                self.replicas
            ));
        }
        for (name, p) in [("drop", self.drop), ("dup", self.dup)] {
            if !(0.0..1.0).contains(&p) {
                return fail(format!("{name} must be a probability in [0, 1), got {p}"));
            }
        }
        if self.clients == 0 {
            return fail("clients must be at least 1".to_owned());
        }
        if self.max_delay == 0 || self.gossip_interval == 0 || self.max_rounds == 0 {
            return fail("max_delay, gossip_interval and max_rounds must be at least 1".to_owned());
        }
        if self.ops > 100_000_000 {
            return fail(format!("ops must be at most 100000000, got {}", self.ops));
        }
        Ok(())
    }
}
