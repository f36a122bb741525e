use core::fmt;

use serde::Serialize;

/// How replicas synchronise. Every mode runs the same script (writes, reads, faults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The first source article's own scheme, for comparison: every key holds a value and a
    /// version number that a write increments locally; replicas send their whole store to a
    /// random peer, which copies a value only when its version is greater. It is not a CRDT:
    /// concurrent writes on different replicas reach the same version and never propagate.
    /// Runs for the key-value workloads only.
    Seed,
    /// Full-state anti-entropy: every gossip round each replica sends its whole state (and its
    /// frontier, for sessions) to one random peer.
    Full,
    /// Plain delta shipping: every gossip round each replica sends every peer the join of its
    /// own deltas that peer has not acknowledged, and resends them until acknowledged.
    Delta,
    /// `concord_sync::Replica`: delta intervals with acknowledgements, only what each peer
    /// lacks, relayed through peers, catch-up from summaries after a gap.
    Sync,
}

impl Mode {
    /// Every mode, in the order reports list them.
    pub const ALL: [Mode; 4] = [Mode::Seed, Mode::Full, Mode::Delta, Mode::Sync];

    /// The CRDT modes: the ones that must converge.
    pub const CONCORD: [Mode; 3] = [Mode::Full, Mode::Delta, Mode::Sync];

    /// The mode's name on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Seed => "seed",
            Mode::Full => "full",
            Mode::Delta => "delta",
            Mode::Sync => "sync",
        }
    }

    /// Whether the mode must converge: every mode but the article's scheme.
    #[must_use]
    pub const fn must_converge(self) -> bool {
        !matches!(self, Mode::Seed)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything a run depends on. The same scenario gives the same run, bit for bit, on every
/// platform.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Number of replicas (2 to 64).
    pub replicas: usize,
    /// Client writes in the operation phase; one write and one read per tick.
    pub ops: usize,
    /// Keys of the key-value store (and elements of the sets), drawn with Zipf-like
    /// popularity: key `k` (from 0) with weight `1 / (k + 1)^zipf`.
    pub keys: usize,
    /// The exponent of the key popularity; 0 draws keys uniformly.
    pub zipf: f64,
    /// Probability that a write is a delete (a remove, a reset, a disable, by type).
    pub deletes: f64,
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub dup: f64,
    /// Number of partition episodes during the operation phase; each cuts the replicas into
    /// two or three random groups and heals later.
    pub partitions: usize,
    /// Number of crashes; a crashed replica loses what it had not persisted and restarts later
    /// from its simulated disk.
    pub restarts: usize,
    /// The seed every random choice derives from.
    pub seed: u64,
    /// Number of clients issuing reads and writes through their home replica.
    pub clients: usize,
    /// Probability that a client moves to another home replica before an operation.
    pub moves: f64,
    /// Whether replicas honour the clients' session tokens.
    pub sessions: bool,
    /// Ticks a read waits for a replica that can serve it before it gives up.
    pub read_timeout: u64,
    /// Largest network delay, in ticks (at least 1).
    pub max_delay: u64,
    /// Ticks between gossip rounds (at least 1).
    pub gossip_interval: u64,
    /// Gossip rounds after the heal before the run gives up on convergence.
    pub max_rounds: u64,
}

impl Default for Scenario {
    /// 5 replicas, 10,000 writes over 1,000 keys (Zipf exponent 1), 5% deletes, 10% drops,
    /// 5% duplicates, 3 partitions, 5 crashes, 4 clients with sessions that move 3% of the
    /// time, seed 1.
    fn default() -> Self {
        Scenario {
            replicas: 5,
            ops: 10_000,
            keys: 1_000,
            zipf: 1.0,
            deletes: 0.05,
            drop: 0.10,
            dup: 0.05,
            partitions: 3,
            restarts: 5,
            seed: 1,
            clients: 4,
            moves: 0.03,
            sessions: true,
            read_timeout: 200,
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
    /// Largest number of keys.
    pub const MAX_KEYS: usize = 1_000_000;
    /// Largest number of writes.
    pub const MAX_OPS: usize = 100_000_000;

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
        for (name, p) in [
            ("drop", self.drop),
            ("dup", self.dup),
            ("deletes", self.deletes),
            ("moves", self.moves),
        ] {
            if !(0.0..1.0).contains(&p) {
                return fail(format!("{name} must be a probability in [0, 1), got {p}"));
            }
        }
        if !(0.0..=10.0).contains(&self.zipf) {
            return fail(format!(
                "zipf must be an exponent between 0 and 10, got {}",
                self.zipf
            ));
        }
        if !(1..=Self::MAX_KEYS).contains(&self.keys) {
            return fail(format!(
                "keys must be between 1 and {}, got {}",
                Self::MAX_KEYS,
                self.keys
            ));
        }
        if self.clients == 0 || self.clients > usize::from(u16::MAX) {
            return fail(format!(
                "clients must be between 1 and {}, got {}",
                u16::MAX,
                self.clients
            ));
        }
        if self.max_delay == 0
            || self.gossip_interval == 0
            || self.max_rounds == 0
            || self.read_timeout == 0
        {
            return fail(
                "max_delay, gossip_interval, max_rounds and read_timeout must be at least 1"
                    .to_owned(),
            );
        }
        if self.ops > Self::MAX_OPS {
            return fail(format!(
                "ops must be at most {}, got {}",
                Self::MAX_OPS,
                self.ops
            ));
        }
        Ok(())
    }
}
