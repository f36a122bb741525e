use std::fmt::Write as _;

use serde::Serialize;

use crate::network::Traffic;
use crate::scenario::{Mode, Scenario};
use crate::sessions::ReadStats;

/// Version of the JSON form of [`Report`] (`--json`); it changes when a field is renamed or
/// removed, not when one is added.
pub const SCHEMA_VERSION: u32 = 2;

/// Client writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Writes {
    /// Writes the clients issued.
    pub attempted: u64,
    /// Writes a replica accepted (and committed before answering).
    pub applied: u64,
    /// Accepted by another replica than the client's home, which was down.
    pub redirected: u64,
    /// Refused by the type: a counter or clock at its largest value.
    pub refused_overflow: u64,
    /// Refused by a replica that detected it had lost state.
    pub refused_lost_state: u64,
    /// Refused because no replica was up.
    pub refused_down: u64,
}

impl Writes {
    /// Every refused write.
    #[must_use]
    pub const fn refused(&self) -> u64 {
        self.refused_overflow + self.refused_lost_state + self.refused_down
    }
}

/// Client reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reads {
    /// Reads served.
    pub served: u64,
    /// Served by another replica than the client's home (which was down or behind).
    pub redirected: u64,
    /// Served after waiting at least one tick for a replica that could serve them.
    pub waited: u64,
    /// Reads that gave up after waiting the scenario's `read_timeout`.
    pub gave_up: u64,
    /// Ticks waited by the served reads: median.
    pub wait_p50: u64,
    /// 99th percentile.
    pub wait_p99: u64,
    /// Largest.
    pub wait_max: u64,
    /// Reads that missed one of the client's own writes of the key.
    pub ryw_violations: u64,
    /// Reads that missed what the client's previous read of the key showed.
    pub monotonic_violations: u64,
}

impl From<ReadStats> for Reads {
    fn from(s: ReadStats) -> Self {
        Reads {
            served: s.served,
            redirected: s.redirected,
            waited: s.waited,
            gave_up: s.gave_up,
            wait_p50: s.wait_quantile(0.5),
            wait_p99: s.wait_quantile(0.99),
            wait_max: s.waits.keys().next_back().copied().unwrap_or(0),
            ryw_violations: s.ryw_violations,
            monotonic_violations: s.monotonic_violations,
        }
    }
}

/// Messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Messages {
    /// Messages sent.
    pub sent: u64,
    /// Messages delivered (duplicates count twice).
    pub delivered: u64,
    /// Lost at random.
    pub dropped: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Lost to a partition.
    pub cut: u64,
    /// Arrived at a replica that was down.
    pub lost_down: u64,
}

impl From<Traffic> for Messages {
    fn from(t: Traffic) -> Self {
        Messages {
            sent: t.messages,
            delivered: t.delivered,
            dropped: t.dropped,
            duplicated: t.duplicated,
            cut: t.cut,
            lost_down: t.lost_down,
        }
    }
}

/// Bytes shipped, lost messages included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bytes {
    /// Bytes of CRDT state: whole states, deltas, catch-ups.
    pub state: u64,
    /// Everything else: write numbers, acknowledgements, frontiers, summaries, headers.
    pub metadata: u64,
    /// Each accepted write's encoded delta over each link once: what no mode can go below.
    pub lower_bound: u64,
}

impl Bytes {
    /// State and metadata.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.state + self.metadata
    }
}

/// Faults that happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Faults {
    /// Partition episodes.
    pub partitions: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restarts from the simulated disk.
    pub restarts: u64,
    /// Received deltas merged in memory and lost in a crash before their commit (their
    /// senders had no acknowledgement of them, and sent them again or caught the replica up).
    pub lost_on_crash: u64,
}

/// What one run did and whether it converged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The simulated type's name, as `--type` takes it.
    pub type_name: String,
    /// The sync mode.
    pub mode: Mode,
    /// Number of replicas.
    pub replicas: usize,
    /// The scenario's seed.
    pub seed: u64,
    /// Whether sessions were honoured.
    pub sessions: bool,
    /// Client writes.
    pub writes: Writes,
    /// Client reads issued.
    pub reads_attempted: u64,
    /// How they went.
    pub reads: Reads,
    /// Messages.
    pub messages: Messages,
    /// Bytes.
    pub bytes: Bytes,
    /// Faults.
    pub faults: Faults,
    /// Gossip rounds after the heal until every replica held every write, if that happened
    /// within the scenario's limit.
    pub rounds_to_converge: Option<u64>,
    /// Every replica ended equal (and, in the CRDT modes, equal to the join of every write).
    pub converged: bool,
    /// In the CRDT modes, whether every replica equals the join of every accepted write's
    /// delta; `None` for the article's scheme.
    pub matches_reference: Option<bool>,
    /// The article's scheme: keys whose values still differ between replicas at the end.
    pub keys_differing: u64,
    /// A few of them.
    pub keys_differing_sample: Vec<String>,
    /// Encoded size of the final state.
    pub final_state_bytes: u64,
    /// FNV-1a hash of the final state's encoding, as 16 hex digits: equal runs have equal
    /// digests. Empty for the article's scheme.
    pub digest: String,
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
            writes: Writes::default(),
            reads_attempted: 0,
            reads: Reads::default(),
            messages: Messages::default(),
            bytes: Bytes::default(),
            faults: Faults::default(),
            rounds_to_converge: None,
            converged: false,
            matches_reference: None,
            keys_differing: 0,
            keys_differing_sample: Vec::new(),
            final_state_bytes: 0,
            digest: String::new(),
            failures: Vec::new(),
        }
    }

    /// Session violations of both kinds.
    #[must_use]
    pub const fn session_violations(&self) -> u64 {
        self.reads.ryw_violations + self.reads.monotonic_violations
    }

    /// Every replica holds exactly the join of every accepted write, and nothing failed.
    #[must_use]
    pub fn converged_ok(&self) -> bool {
        self.converged && self.matches_reference == Some(true) && self.failures.is_empty()
    }

    /// The run passes. A CRDT mode must converge to the join of every write and, with
    /// sessions honoured, serve no read that breaks a session guarantee. The article's scheme
    /// passes when it ran without failure: its divergence is the finding, not a failure.
    #[must_use]
    pub fn passed(&self) -> bool {
        if !self.mode.must_converge() {
            return self.failures.is_empty();
        }
        self.converged_ok() && (!self.sessions || self.session_violations() == 0)
    }

    /// `CONVERGED`, or `DIVERGED` with the number of keys that differ.
    #[must_use]
    pub fn outcome(&self) -> String {
        if self.mode.must_converge() {
            if self.converged_ok() {
                "CONVERGED".to_owned()
            } else {
                "DIVERGED".to_owned()
            }
        } else if self.converged && self.failures.is_empty() {
            "converged".to_owned()
        } else {
            format!("DIVERGED: {} keys", self.keys_differing)
        }
    }

    /// Bytes shipped per accepted write.
    #[must_use]
    pub fn bytes_per_write(&self) -> f64 {
        ratio(self.bytes.total(), self.writes.applied)
    }

    /// The share of reads served, of those issued.
    #[must_use]
    pub fn served_share(&self) -> f64 {
        ratio(self.reads.served, self.reads_attempted)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Thousands separated by commas, for the tables.
fn n(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Renders the reports of one type, one column per mode.
#[must_use]
pub fn table(title: &str, reports: &[Report]) -> String {
    type Cell = fn(&Report) -> String;
    let rows: [(&str, Cell); 15] = [
        ("writes attempted / applied", |r| {
            format!("{} / {}", n(r.writes.attempted), n(r.writes.applied))
        }),
        ("  refused overflow/lost/down", |r| {
            format!(
                "{}/{}/{}",
                r.writes.refused_overflow, r.writes.refused_lost_state, r.writes.refused_down
            )
        }),
        ("reads served / issued", |r| {
            format!("{} / {}", n(r.reads.served), n(r.reads_attempted))
        }),
        ("  redirected / waited / gave up", |r| {
            format!(
                "{}/{}/{}",
                r.reads.redirected, r.reads.waited, r.reads.gave_up
            )
        }),
        ("  wait ticks p50/p99/max", |r| {
            format!(
                "{}/{}/{}",
                r.reads.wait_p50, r.reads.wait_p99, r.reads.wait_max
            )
        }),
        ("session violations ryw/mr", |r| {
            format!(
                "{}/{}",
                r.reads.ryw_violations, r.reads.monotonic_violations
            )
        }),
        ("messages sent", |r| n(r.messages.sent)),
        ("  dropped/cut/dup/at down", |r| {
            let m = &r.messages;
            format!("{}/{}/{}/{}", m.dropped, m.cut, m.duplicated, m.lost_down)
        }),
        ("bytes shipped", |r| n(r.bytes.total())),
        ("  state / metadata", |r| {
            format!("{} / {}", n(r.bytes.state), n(r.bytes.metadata))
        }),
        ("bytes per write (lower bound)", |r| {
            if r.mode.must_converge() {
                format!(
                    "{:.1} ({:.1})",
                    r.bytes_per_write(),
                    ratio(r.bytes.lower_bound, r.writes.applied)
                )
            } else {
                format!("{:.1}", r.bytes_per_write())
            }
        }),
        ("crashes (uncommitted lost)", |r| {
            format!("{} ({})", r.faults.crashes, r.faults.lost_on_crash)
        }),
        ("rounds to converge after heal", |r| {
            r.rounds_to_converge
                .map_or_else(|| "-".to_owned(), |v| v.to_string())
        }),
        ("final state bytes", |r| n(r.final_state_bytes)),
        ("result", Report::outcome),
    ];
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "  {:<32}", "");
    for r in reports {
        let _ = write!(out, " {:>21}", r.mode.name());
    }
    out.push('\n');
    for (label, cell) in &rows {
        let _ = write!(out, "  {label:<32}");
        for r in reports {
            let _ = write!(out, " {:>21}", cell(r));
        }
        out.push('\n');
    }
    for r in reports {
        if !r.keys_differing_sample.is_empty() {
            let _ = writeln!(
                out,
                "  {} mode: {} keys differ between replicas, e.g. {}",
                r.mode,
                r.keys_differing,
                r.keys_differing_sample.join(", ")
            );
        }
        for f in &r.failures {
            let _ = writeln!(out, "  ! {} mode: {f}", r.mode);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1_000), "1,000");
        assert_eq!(n(1_234_567), "1,234,567");
    }
}
