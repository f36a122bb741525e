use std::fmt::Write as _;

use serde::Serialize;

use crate::scenario::{Mode, Scenario};

/// What one run did and whether it converged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The simulated state type.
    pub type_name: String,
    /// The sync mode.
    pub mode: Mode,
    /// Number of replicas.
    pub replicas: usize,
    /// The scenario's seed.
    pub seed: u64,
    /// Whether sessions were honoured.
    pub sessions: bool,
    /// Client writes attempted.
    pub operations: u64,
    /// Writes that took effect.
    pub applied: u64,
    /// Writes the type refused (an overflow, say); they change nothing.
    pub refused: u64,
    /// Reads served.
    pub reads: u64,
    /// Reads no replica could serve yet because none had seen the client's token.
    pub reads_waited: u64,
    /// Messages sent.
    pub messages: u64,
    /// Messages delivered (duplicates count twice).
    pub delivered: u64,
    /// Messages lost at random.
    pub dropped: u64,
    /// Messages sent twice.
    pub duplicated: u64,
    /// Messages lost to a partition.
    pub cut: u64,
    /// Messages that arrived at a crashed replica.
    pub lost_down: u64,
    /// Payload bytes sent (encoded states, write sets, sequence numbers).
    pub bytes: u64,
    /// Partition episodes.
    pub partitions: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restarts from encoded bytes.
    pub restarts: u64,
    /// Gossip rounds after the heal until every replica was equal, if that happened within
    /// the scenario's limit.
    pub rounds_to_converge: Option<u64>,
    /// Reads that missed one of the client's own writes.
    pub ryw_violations: u64,
    /// Reads that missed a write an earlier read of the same client had seen.
    pub monotonic_violations: u64,
    /// Every replica equals the join of all states after the full exchange.
    pub converged: bool,
    /// The converged value equals the oracle's.
    pub matches_oracle: bool,
    /// Encoded size of the final state.
    pub final_state_bytes: u64,
    /// FNV-1a hash of the final state's encoding: equal runs have equal digests.
    pub digest: u64,
    /// What went wrong, if anything.
    pub failures: Vec<String>,
}

impl Report {
    pub(crate) fn new(type_name: &str, mode: Mode, sc: &Scenario) -> Self {
        Report {
            type_name: type_name.to_owned(),
            mode,
            replicas: sc.replicas,
            seed: sc.seed,
            sessions: sc.sessions,
            operations: 0,
            applied: 0,
            refused: 0,
            reads: 0,
            reads_waited: 0,
            messages: 0,
            delivered: 0,
            dropped: 0,
            duplicated: 0,
            cut: 0,
            lost_down: 0,
            bytes: 0,
            partitions: 0,
            crashes: 0,
            restarts: 0,
            rounds_to_converge: None,
            ryw_violations: 0,
            monotonic_violations: 0,
            converged: false,
            matches_oracle: false,
            final_state_bytes: 0,
            digest: 0,
            failures: Vec::new(),
        }
    }

    /// Session violations of both kinds.
    #[must_use]
    pub fn session_violations(&self) -> u64 {
        self.ryw_violations + self.monotonic_violations
    }

    /// Converged to the join, matched the oracle, and nothing failed.
    #[must_use]
    pub fn converged_ok(&self) -> bool {
        self.converged && self.matches_oracle && self.failures.is_empty()
    }

    /// The run passes: it converged and, with sessions honoured, no read broke a session
    /// guarantee.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.converged_ok() && (!self.sessions || self.session_violations() == 0)
    }

    /// `CONVERGED` or `DIVERGED`.
    #[must_use]
    pub fn outcome(&self) -> &'static str {
        if self.converged_ok() {
            "CONVERGED"
        } else {
            "DIVERGED"
        }
    }
}

/// Renders the reports of one type, one column per mode.
#[must_use]
pub fn table(title: &str, reports: &[Report]) -> String {
    let mut out = String::new();
    let per_op = |r: &Report| {
        if r.operations == 0 {
            0.0
        } else {
            r.bytes as f64 / r.operations as f64
        }
    };
    type Cell = Box<dyn Fn(&Report) -> String>;
    let rows: Vec<(&str, Cell)> = vec![
        (
            "operations (applied)",
            Box::new(|r| format!("{} ({})", r.operations, r.applied)),
        ),
        ("messages sent", Box::new(|r| r.messages.to_string())),
        (
            "  dropped / cut / dup",
            Box::new(|r| format!("{}/{}/{}", r.dropped, r.cut, r.duplicated)),
        ),
        ("bytes shipped", Box::new(|r| r.bytes.to_string())),
        (
            "bytes per operation",
            Box::new(move |r| format!("{:.1}", per_op(r))),
        ),
        (
            "crashes / restarts",
            Box::new(|r| format!("{}/{}", r.crashes, r.restarts)),
        ),
        (
            "rounds to converge after heal",
            Box::new(|r| {
                r.rounds_to_converge
                    .map_or_else(|| "-".to_owned(), |n| n.to_string())
            }),
        ),
        (
            "reads (waited)",
            Box::new(|r| format!("{} ({})", r.reads, r.reads_waited)),
        ),
        (
            "session violations ryw/mr",
            Box::new(|r| format!("{}/{}", r.ryw_violations, r.monotonic_violations)),
        ),
        (
            "final state bytes",
            Box::new(|r| r.final_state_bytes.to_string()),
        ),
        ("result", Box::new(|r| r.outcome().to_owned())),
    ];
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "  {:<30}", "");
    for r in reports {
        let _ = write!(out, " {:>18}", r.mode.name());
    }
    out.push('\n');
    for (label, cell) in &rows {
        let _ = write!(out, "  {label:<30}");
        for r in reports {
            let _ = write!(out, " {:>18}", cell(r));
        }
        out.push('\n');
    }
    for r in reports {
        for f in &r.failures {
            let _ = writeln!(out, "  ! {} mode: {f}", r.mode);
        }
    }
    out
}
