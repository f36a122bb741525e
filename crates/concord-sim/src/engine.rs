//! The scheduler: runs one script in one sync mode, then heals, converges and checks.

use std::sync::Arc;

use concord_clock::VectorClock;
use concord_core::codec;
use concord_core::{Dot, Merge, ReplicaId};
use concord_sync::SessionToken;

use crate::network::Network;
use crate::replicas::{DeltaNode, FullNode, Node, SeedNode, SyncNode, WriteRefused, replica_id};
use crate::report::Report;
use crate::scenario::{Mode, Scenario};
use crate::script::{Fault, Op, Script};
use crate::sessions::{Sessions, Waiting};
use crate::trace::{Trace, TracePoint};
use crate::workload::{Refusal, Workload};

/// Rounds after the heal that the article's scheme gets to settle: it never converges, and
/// after this many rounds of pairwise full-state copies it has long stopped changing.
const SEED_ROUNDS: u64 = 50;

/// What one run gives: its report and its per-round trace.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The figures and the verdict.
    pub report: Report,
    /// One point per gossip round.
    pub trace: Trace,
}

impl Outcome {
    /// The outcome of a run that could not start.
    pub(crate) fn refused(name: &str, sc: &Scenario, mode: Mode, why: String) -> Self {
        let mut report = Report::new(name, mode, sc);
        report.failures.push(why);
        Outcome {
            report,
            trace: Trace {
                mode: mode.name().to_owned(),
                points: Vec::new(),
            },
        }
    }
}

/// Runs `sc` for workload `W` in `mode`, calling `progress` with the writes done now and
/// then.
pub(crate) fn simulate<W: Workload>(
    name: &'static str,
    sc: &Scenario,
    mode: Mode,
    progress: &mut dyn FnMut(u64),
) -> Outcome {
    if let Err(e) = sc.validate() {
        return Outcome::refused(name, sc, mode, e.to_string());
    }
    let report = Report::new(name, mode, sc);
    let script = Script::new(sc);
    match mode {
        Mode::Seed => Run::<W, SeedNode>::new(sc, mode, &script, report).run(progress),
        Mode::Full => Run::<W, FullNode<W>>::new(sc, mode, &script, report).run(progress),
        Mode::Delta => Run::<W, DeltaNode<W>>::new(sc, mode, &script, report).run(progress),
        Mode::Sync => Run::<W, SyncNode<W>>::new(sc, mode, &script, report).run(progress),
    }
}

struct Run<'a, W: Workload, N: Node<W>> {
    sc: &'a Scenario,
    mode: Mode,
    script: &'a Script,
    nodes: Vec<N>,
    net: Network<N::Payload>,
    sessions: Sessions,
    /// The join of every accepted write's delta: what every replica must end equal to.
    reference: W::State,
    /// Every accepted write, as a count per replica.
    total: VectorClock<ReplicaId>,
    now: u64,
    round: u64,
    healed: bool,
    report: Report,
    trace: Vec<TracePoint>,
}

impl<'a, W: Workload, N: Node<W>> Run<'a, W, N> {
    fn new(sc: &'a Scenario, mode: Mode, script: &'a Script, report: Report) -> Self {
        let n = sc.replicas;
        let keys: Arc<[String]> = script.keys.as_slice().into();
        Run {
            sc,
            mode,
            script,
            nodes: (0..n).map(|i| N::new(i, n, &keys)).collect(),
            net: Network::new(sc),
            sessions: Sessions::new(sc.clients, n),
            reference: W::State::default(),
            total: VectorClock::new(),
            now: 0,
            round: 0,
            healed: false,
            report,
            trace: Vec::new(),
        }
    }

    fn run(mut self, progress: &mut dyn FnMut(u64)) -> Outcome {
        let script = self.script;
        let mut faults = script.faults.iter().peekable();
        for (t, tick) in script.ticks.iter().enumerate() {
            self.now = t as u64;
            while let Some((_, fault)) = faults.next_if(|(at, _)| *at <= self.now) {
                self.fault(fault);
            }
            self.step();
            let mut write = tick.write;
            let mut read_key = tick.read_key;
            if !W::KEYED {
                write.key = 0;
                read_key = 0;
            }
            self.client_write(tick.writer, tick.writer_moves, write);
            self.client_read(tick.reader, tick.reader_moves, read_key);
            self.gossip_if_due();
            if t % 1024 == 0 {
                progress(t as u64);
            }
        }
        progress(script.ticks.len() as u64);
        self.heal();
        self.converge();
        self.finish()
    }

    /// What every tick does first: time passes, messages due arrive, waiting reads retry.
    fn step(&mut self) {
        for node in &mut self.nodes {
            node.tick(self.now);
        }
        loop {
            let nodes = &self.nodes;
            let Some(d) = self
                .net
                .next_due(self.now, |i| nodes.get(i).is_some_and(N::is_up))
            else {
                break;
            };
            let Some(node) = self.nodes.get_mut(d.to) else {
                continue;
            };
            if let Err(e) = node.receive(d.from, d.payload) {
                self.report.failures.push(format!("replica {}: {e}", d.to));
            }
        }
        let waiting = std::mem::take(&mut self.sessions.waiting);
        for w in waiting {
            if !self.try_read(w) {
                if self.now.saturating_sub(w.since) >= self.sc.read_timeout {
                    self.sessions.stats.gave_up += 1;
                } else {
                    self.sessions.waiting.push_back(w);
                }
            }
        }
    }

    fn gossip_if_due(&mut self) {
        if !self.now.is_multiple_of(self.sc.gossip_interval) {
            return;
        }
        for node in &mut self.nodes {
            if node.is_up() {
                node.gossip(self.now, &mut self.net);
            }
        }
        self.round += 1;
        self.trace.push(TracePoint {
            round: self.round,
            missing: N::missing(&self.nodes, &self.total),
            bytes: self.net.traffic.bytes(),
            reads_waiting: self.sessions.waiting.len() as u32,
            healed: self.healed,
        });
    }

    /// Replicas that lack a write made anywhere (down ones count). For the article's scheme,
    /// which cannot say what it holds: replicas whose store differs from replica 0's.
    fn divergent(&self) -> u32 {
        if self.mode == Mode::Seed {
            let Some(first) = self.nodes.first() else {
                return 0;
            };
            return self.nodes.iter().filter(|n| !n.same_as(first)).count() as u32;
        }
        self.nodes
            .iter()
            .filter(|n| n.frontier() != Some(&self.total))
            .count() as u32
    }

    fn fault(&mut self, fault: &Fault) {
        match fault {
            Fault::Partition(groups) => {
                self.net.partition(groups.clone());
                self.report.faults.partitions += 1;
            }
            Fault::Heal => self.net.heal(),
            Fault::Crash(i) => self.crash(*i),
            Fault::Restart(i) => self.restart(*i),
        }
    }

    fn crash(&mut self, i: usize) {
        // Keep one replica up, so clients always have somewhere to go.
        if self.nodes.iter().filter(|n| n.is_up()).count() <= 1 {
            return;
        }
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        if node.is_up() {
            self.report.faults.lost_on_crash += node.crash() as u64;
            self.report.faults.crashes += 1;
        }
    }

    fn restart(&mut self, i: usize) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        if node.is_up() {
            return;
        }
        match node.restart() {
            Ok(()) => self.report.faults.restarts += 1,
            Err(e) => self
                .report
                .failures
                .push(format!("replica {i} could not restart: {e}")),
        }
    }

    /// The first replica up at or after `from`.
    fn up_from(&self, from: usize) -> Option<usize> {
        let n = self.nodes.len();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|&j| self.nodes[j].is_up())
    }

    /// The replica up that lacks the fewest of the writes `token` depends on (the first from
    /// `home` among equals): the first that can serve the session, when one can (it lacks
    /// none). A client whose session no replica holds whole (the only holder of
    /// some of its writes crashed, or they are cut off) writes there rather than at its home:
    /// the new write then joins the session's other writes on the replicas closest to it,
    /// instead of tying the session to both sides of a partition, which no replica could
    /// serve before the heal and the catch-up after it.
    fn closest(&self, home: usize, token: &SessionToken) -> Option<usize> {
        let n = self.nodes.len();
        (0..n)
            .map(|k| (home + k) % n)
            .filter_map(|j| {
                let frontier = self.nodes.get(j)?.frontier()?;
                let lacking: u64 = token
                    .as_vector()
                    .iter()
                    .map(|(r, needed)| needed.saturating_sub(frontier.get(r)))
                    .sum();
                Some((lacking, j))
            })
            .min_by_key(|&(lacking, _)| lacking)
            .map(|(_, j)| j)
    }

    fn home(&mut self, client: u16, moves: Option<u8>) -> usize {
        let c = &mut self.sessions.clients[usize::from(client)];
        if let Some(to) = moves {
            c.home = usize::from(to);
        }
        c.home
    }

    fn client_write(&mut self, client: u16, moves: Option<u8>, op: Op) {
        let home = self.home(client, moves);
        self.report.writes.attempted += 1;
        // With sessions, a write goes where the session can be served (its home first), so
        // that the session's token stays one a replica holds; else to the replica up that
        // lacks the least of the session; without sessions, to the home or the next replica up.
        let token = &self.sessions.clients[usize::from(client)].token;
        let Some(at) = self
            .sc
            .sessions
            .then(|| self.closest(home, token))
            .flatten()
            .or_else(|| self.up_from(home))
        else {
            self.report.writes.refused_down += 1;
            return;
        };
        match self.nodes[at].write(op, &self.script.keys) {
            Ok(written) => {
                let w = &mut self.report.writes;
                w.applied += 1;
                w.redirected += u64::from(at != home);
                let id = replica_id(at);
                let number = written.token.writes_of(&id);
                if number > 0 {
                    self.total.apply(Dot::new(id, number));
                }
                if let Some(delta) = &written.delta {
                    let len = codec::encoded_len(delta).unwrap_or(0) as u64;
                    self.report.bytes.lower_bound += len * (self.nodes.len() as u64 - 1);
                    self.reference.merge(delta);
                }
                self.sessions
                    .wrote(client, op.key, &written.token, written.marks);
            }
            Err(WriteRefused::Type(Refusal::Overflow)) => self.report.writes.refused_overflow += 1,
            Err(WriteRefused::LostState) => self.report.writes.refused_lost_state += 1,
        }
    }

    fn client_read(&mut self, client: u16, moves: Option<u8>, key: u32) {
        self.home(client, moves);
        self.report.reads_attempted += 1;
        let w = Waiting {
            client,
            key,
            since: self.now,
        };
        if !self.try_read(w) {
            self.sessions.waiting.push_back(w);
        }
    }

    /// Serves `w` from the client's home replica, or the first other one that can serve it;
    /// `false` when none can yet.
    fn try_read(&mut self, w: Waiting) -> bool {
        let n = self.nodes.len();
        let c = &self.sessions.clients[usize::from(w.client)];
        let home = c.home;
        let sessions = self.sc.sessions;
        let serving = (0..n).map(|k| (home + k) % n).find(|&j| {
            let node = &self.nodes[j];
            node.is_up() && (!sessions || node.can_serve(&c.token))
        });
        let Some(at) = serving else {
            return false;
        };
        let node = &self.nodes[at];
        let key = self
            .script
            .keys
            .get(w.key as usize)
            .map_or("", String::as_str);
        let (view, token) = node.read(key, &c.token);
        self.sessions
            .served(w, self.now, at != home, |m| node.holds(key, m), view, token);
        true
    }

    fn heal(&mut self) {
        self.net.heal();
        self.healed = true;
        for i in 0..self.nodes.len() {
            self.restart(i);
        }
    }

    fn converged(&self) -> bool {
        if self.mode == Mode::Seed {
            return self.divergent() == 0;
        }
        self.divergent() == 0 && self.nodes.iter().all(|n| n.matches(&self.reference))
    }

    fn converge(&mut self) {
        let limit = if self.mode == Mode::Seed {
            self.sc.max_rounds.min(SEED_ROUNDS)
        } else {
            self.sc.max_rounds
        };
        for round in 1..=limit {
            for _ in 0..self.sc.gossip_interval {
                self.now += 1;
                self.step();
                self.gossip_if_due();
            }
            if self.converged() {
                self.report.rounds_to_converge = Some(round);
                break;
            }
        }
        // Reads still waiting once the rounds are over never found a replica.
        self.sessions.stats.gave_up += self.sessions.waiting.len() as u64;
        self.sessions.waiting.clear();
    }

    fn finish(mut self) -> Outcome {
        let divergent = self.divergent();
        let r = &mut self.report;
        r.reads = self.sessions.stats.clone().into();
        r.messages = self.net.traffic.into();
        r.bytes.state = self.net.traffic.state_bytes;
        r.bytes.metadata = self.net.traffic.meta_bytes;
        let up = self.nodes.iter().filter(|n| n.is_up()).count();
        if up != self.nodes.len() {
            r.failures.push(format!(
                "{} replicas still down after the heal",
                self.nodes.len() - up
            ));
        }
        if self.mode == Mode::Seed {
            let differing = N::differing_keys(&self.nodes, &self.script.keys);
            r.converged = differing.is_empty() && divergent == 0;
            r.matches_reference = None;
            r.keys_differing = differing.len() as u64;
            r.keys_differing_sample = differing.into_iter().take(5).collect();
            r.final_state_bytes = self.nodes.first().map_or(0, |n| n.state_bytes()) as u64;
        } else {
            let differ = self
                .nodes
                .iter()
                .filter(|n| !n.matches(&self.reference))
                .count();
            r.converged = divergent == 0 && differ == 0;
            r.matches_reference = Some(differ == 0);
            if differ > 0 {
                r.failures.push(format!(
                    "{differ} of {} replicas differ from the join of every accepted write",
                    self.nodes.len()
                ));
            }
            // What the replicas hold: with automatic compaction, less than the reference.
            r.final_state_bytes = self
                .nodes
                .iter()
                .map(|n| n.state_bytes())
                .max()
                .unwrap_or(0) as u64;
            match codec::encode(&self.reference) {
                Ok(bytes) => {
                    r.digest = format!("{:016x}", fnv1a(&bytes));
                }
                Err(e) => r.failures.push(e.to_string()),
            }
        }
        Outcome {
            report: self.report,
            trace: Trace {
                mode: self.mode.name().to_owned(),
                points: self.trace,
            },
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use concord_core::ReplicaId;
    use concord_counter::GCounter;

    use super::*;
    use crate::script::OpKind;
    use crate::workload::{Mark, Refusal};

    /// A counter whose writes return an empty delta: the replicas never learn each other's
    /// writes, which the checks must report.
    #[derive(Debug)]
    struct Forgetful;

    impl Workload for Forgetful {
        type State = GCounter;
        type Writer = ();
        const KEYED: bool = false;

        fn writer(_: ReplicaId, _: &GCounter) {}

        fn write(
            (): &mut (),
            actor: ReplicaId,
            state: &mut GCounter,
            op: Op,
            _: &[String],
        ) -> Result<(GCounter, Vec<Mark>), Refusal> {
            let by = match op.kind {
                OpKind::Put(n) => u64::from(n % 10) + 1,
                OpKind::Delete => 1,
            };
            state.increment(actor, by)?;
            Ok((GCounter::new(), vec![Mark::Count(actor, state.get(&actor))]))
        }

        fn view(state: &GCounter, _: &str) -> Vec<Mark> {
            state.iter().map(|(a, n)| Mark::Count(*a, n)).collect()
        }

        fn holds(state: &GCounter, _: &str, mark: &Mark) -> bool {
            matches!(mark, Mark::Count(a, n) if state.get(a) >= *n)
        }
    }

    #[test]
    fn lost_writes_are_reported_as_diverged_in_every_mode() {
        let sc = Scenario {
            ops: 300,
            max_rounds: 20,
            ..Scenario::default()
        };
        for mode in Mode::CONCORD {
            let r = simulate::<Forgetful>("forgetful", &sc, mode, &mut |_| {}).report;
            assert!(!r.passed(), "{mode}: {r:#?}");
            assert_eq!(r.outcome(), "DIVERGED");
            assert_eq!(r.rounds_to_converge, None);
            assert!(!r.failures.is_empty());
        }
    }

    #[test]
    fn an_invalid_scenario_is_refused_with_its_reason() {
        let sc = Scenario {
            replicas: 1,
            ..Scenario::default()
        };
        let r = simulate::<Forgetful>("forgetful", &sc, Mode::Sync, &mut |_| {}).report;
        assert!(!r.passed());
        assert!(r.failures[0].contains("replicas must be between 2 and 64"));
    }
}
