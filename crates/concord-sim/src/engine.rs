//! The deterministic scheduler: replicas, network, faults, clients, and the final checks.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use concord_clock::{DotContext, VectorClock};
use concord_core::codec::{self, WireType};
use concord_core::laws::{Arbitrary, Gen, Model};
use concord_core::{Dot, Merge};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
// ChaCha8 with rand_core's `seed_from_u64`: a stream fixed by its specification, so a seed
// gives the same report on every platform and with every release of the generator's crate
// (`StdRng` promises neither).
use rand_chacha::ChaCha8Rng;

use crate::report::Report;
use crate::scenario::{Mode, Scenario};

/// The actor id of replica `i` in the seen-sets and tokens.
fn actor(i: usize) -> u64 {
    i as u64
}

/// What crosses the network. Every state travels as codec bytes.
#[derive(Clone, Debug)]
enum Payload {
    /// A whole state and the set of writes it contains.
    Full { state: Vec<u8>, seen: Vec<u8> },
    /// The join of the sender's deltas with sequence numbers up to `upto` that the receiver had
    /// not acknowledged, and the writes they contain.
    Delta {
        upto: u64,
        state: Vec<u8>,
        writes: Vec<u8>,
    },
    /// The receiver has every delta of the sender up to `upto`.
    Ack { upto: u64 },
}

impl Payload {
    fn bytes(&self) -> usize {
        match self {
            Payload::Full { state, seen } => state.len() + seen.len(),
            Payload::Delta { state, writes, .. } => 8 + state.len() + writes.len(),
            Payload::Ack { .. } => 8,
        }
    }
}

#[derive(Debug)]
struct Message {
    deliver_at: u64,
    id: u64,
    from: usize,
    to: usize,
    payload: Payload,
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        (self.deliver_at, self.id) == (other.deliver_at, other.id)
    }
}
impl Eq for Message {}
impl PartialOrd for Message {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Message {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deliver_at, self.id).cmp(&(other.deliver_at, other.id))
    }
}

/// A replica's volatile part: lost on a crash, rebuilt from its bytes on restart.
#[derive(Debug)]
struct Live<M: Model> {
    state: M::State,
    context: M::Replica,
    seen: DotContext<u64>,
}

/// One of the replica's own deltas, kept until every peer acknowledged it.
#[derive(Debug)]
struct Outgoing<S> {
    seq: u64,
    delta: S,
    write: Dot<u64>,
}

#[derive(Debug)]
struct Replica<M: Model> {
    live: Option<Live<M>>,
    /// The encoded state and seen-set, written when the replica goes down.
    disk: (Vec<u8>, Vec<u8>),
    outbox: Vec<Outgoing<M::State>>,
    next_seq: u64,
    /// Per peer, the highest sequence number it acknowledged.
    acked: Vec<u64>,
}

#[derive(Debug)]
struct Client {
    /// The replica this client talks to, until it moves (or its replica is down).
    home: usize,
    token: VectorClock<u64>,
    own: DotContext<u64>,
    observed: DotContext<u64>,
}

/// Precomputed per tick, so both modes run the same script.
#[derive(Clone, Debug)]
struct TickPlan {
    writer: usize,
    reader: usize,
    /// When set, the client moves to this replica before its operation.
    writer_moves: Option<usize>,
    reader_moves: Option<usize>,
}

/// Probability that a client moves to another replica before an operation.
const MOVE_PROBABILITY: f64 = 0.03;

#[derive(Clone, Debug)]
enum Fault {
    Partition(Vec<u8>),
    Heal,
    Crash(usize),
    Restart(usize),
}

#[derive(Clone, Debug)]
struct Script<Op> {
    ops: Vec<Op>,
    ticks: Vec<TickPlan>,
    /// (tick, fault), sorted by tick.
    faults: Vec<(u64, Fault)>,
}

fn build_script<M: Model>(sc: &Scenario) -> Script<M::Op> {
    let n = sc.replicas;
    let mut source = Gen::from_size_and_seed(32, sc.seed ^ 0x0505_0505_0505_0505);
    let ops = (0..sc.ops).map(|_| M::Op::arbitrary(&mut source)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0x5C81_97A0_0000_0001);
    let ticks = (0..sc.ops)
        .map(|_| {
            let writer = rng.random_range(0..sc.clients);
            let writer_moves = rng
                .random_bool(MOVE_PROBABILITY)
                .then(|| rng.random_range(0..n));
            let reader = rng.random_range(0..sc.clients);
            let reader_moves = rng
                .random_bool(MOVE_PROBABILITY)
                .then(|| rng.random_range(0..n));
            TickPlan {
                writer,
                reader,
                writer_moves,
                reader_moves,
            }
        })
        .collect();
    let span = sc.ops.max(1) as u64;
    let mut faults = Vec::new();
    if sc.partitions > 0 {
        let slot = span / sc.partitions as u64;
        for p in 0..sc.partitions as u64 {
            if slot < 4 {
                break;
            }
            let start = p * slot + rng.random_range(0..slot / 2);
            let end = start + rng.random_range(slot / 8..slot / 2).max(1);
            let groups = rng.random_range(2..=3u8);
            let mut assign: Vec<u8> = (0..n).map(|_| rng.random_range(0..groups)).collect();
            // Make sure the cut separates someone.
            if assign.iter().all(|g| Some(g) == assign.first())
                && let Some(last) = assign.last_mut()
            {
                *last = (*last + 1) % groups;
            }
            faults.push((start, Fault::Partition(assign)));
            faults.push((end, Fault::Heal));
        }
    }
    for _ in 0..sc.restarts {
        let at = rng.random_range(0..span);
        let down_for = rng.random_range(1..=(span / 20).max(2));
        let who = rng.random_range(0..n);
        faults.push((at, Fault::Crash(who)));
        faults.push((at + down_for, Fault::Restart(who)));
    }
    faults.sort_by_key(|(t, _)| *t);
    Script { ops, ticks, faults }
}

struct Sim<'a, M: Model> {
    sc: &'a Scenario,
    mode: Mode,
    replicas: Vec<Replica<M>>,
    clients: Vec<Client>,
    oracle: M::Oracle,
    groups: Option<Vec<u8>>,
    net: BinaryHeap<Reverse<Message>>,
    rng: ChaCha8Rng,
    now: u64,
    next_msg: u64,
    report: Report,
}

/// Runs one scenario for the type modelled by `M` in one sync mode.
///
/// `progress` is called with the number of operations done, now and then.
#[must_use]
pub fn simulate<M: Model>(sc: &Scenario, mode: Mode, progress: &mut dyn FnMut(u64)) -> Report
where
    M::State: WireType,
{
    let mut report = Report::new(std::any::type_name::<M::State>(), mode, sc);
    if let Err(e) = sc.validate() {
        report.failures.push(e.to_string());
        return report;
    }
    let script = build_script::<M>(sc);
    let n = sc.replicas;
    let mut sim = Sim::<M> {
        sc,
        mode,
        replicas: (0..n)
            .map(|i| Replica {
                live: Some(Live {
                    state: M::initial(),
                    context: M::replica(i),
                    seen: DotContext::new(),
                }),
                disk: (Vec::new(), Vec::new()),
                outbox: Vec::new(),
                next_seq: 1,
                acked: vec![0; n],
            })
            .collect(),
        clients: (0..sc.clients)
            .map(|c| Client {
                home: c % n,
                token: VectorClock::new(),
                own: DotContext::new(),
                observed: DotContext::new(),
            })
            .collect(),
        oracle: M::oracle(),
        groups: None,
        net: BinaryHeap::new(),
        rng: ChaCha8Rng::seed_from_u64(sc.seed ^ 0x4E37_0000_0000_0002),
        now: 0,
        next_msg: 0,
        report,
    };
    sim.run(&script, progress);
    sim.report
}

impl<M: Model> Sim<'_, M>
where
    M::State: WireType,
{
    fn run(&mut self, script: &Script<M::Op>, progress: &mut dyn FnMut(u64)) {
        let mut faults = script.faults.iter().peekable();
        for (t, (op, plan)) in script.ops.iter().zip(&script.ticks).enumerate() {
            self.now = t as u64;
            while let Some((_, fault)) = faults.next_if(|(at, _)| *at <= self.now) {
                self.fault(fault);
            }
            self.deliver_due();
            self.client_write(plan, op);
            self.client_read(plan);
            if self.now.is_multiple_of(self.sc.gossip_interval) {
                self.gossip();
            }
            if t % 1024 == 0 {
                progress(t as u64);
            }
        }
        progress(script.ops.len() as u64);
        // Heal: end every partition, restart every crashed replica.
        self.groups = None;
        for i in 0..self.replicas.len() {
            self.restart(i);
        }
        self.converge_by_gossip();
        self.final_exchange();
    }

    fn fault(&mut self, fault: &Fault) {
        match fault {
            Fault::Partition(groups) => {
                self.groups = Some(groups.clone());
                self.report.partitions += 1;
            }
            Fault::Heal => self.groups = None,
            Fault::Crash(i) => self.crash(*i),
            Fault::Restart(i) => self.restart(*i),
        }
    }

    fn up(&self, i: usize) -> bool {
        self.replicas[i].live.is_some()
    }

    fn crash(&mut self, i: usize) {
        // Keep at least one replica up so clients always have somewhere to go.
        let up = (0..self.replicas.len()).filter(|&j| self.up(j)).count();
        if up <= 1 {
            return;
        }
        let replica = &mut self.replicas[i];
        let Some(live) = replica.live.take() else {
            return;
        };
        match (codec::encode(&live.state), codec::encode(&live.seen)) {
            (Ok(state), Ok(seen)) => replica.disk = (state, seen),
            (Err(e), _) | (_, Err(e)) => {
                self.report
                    .failures
                    .push(format!("replica {i} could not persist: {e}"));
                replica.live = Some(live);
                return;
            }
        }
        self.report.crashes += 1;
    }

    fn restart(&mut self, i: usize) {
        let replica = &mut self.replicas[i];
        if replica.live.is_some() {
            return;
        }
        let state = codec::decode::<M::State>(&replica.disk.0);
        let seen = codec::decode::<DotContext<u64>>(&replica.disk.1);
        match (state, seen) {
            (Ok(state), Ok(seen)) => {
                let mut context = M::replica(i);
                M::observe(&mut context, &state);
                replica.live = Some(Live {
                    state,
                    context,
                    seen,
                });
                self.report.restarts += 1;
            }
            (Err(e), _) => {
                self.report
                    .failures
                    .push(format!("replica {i} could not restart: {e}"));
            }
            (_, Err(e)) => {
                self.report
                    .failures
                    .push(format!("replica {i} could not restart: {e}"));
            }
        }
    }

    fn connected(&self, a: usize, b: usize) -> bool {
        match &self.groups {
            None => true,
            Some(g) => g.get(a) == g.get(b),
        }
    }

    /// The first up replica at or after `i`.
    fn up_from(&self, i: usize) -> Option<usize> {
        let n = self.replicas.len();
        (0..n).map(|k| (i + k) % n).find(|&j| self.up(j))
    }

    /// Moves the client if the plan says so, and returns where it starts looking.
    fn home_of(&mut self, client: usize, moves: Option<usize>) -> usize {
        let c = &mut self.clients[client];
        if let Some(to) = moves {
            c.home = to;
        }
        c.home
    }

    fn client_write(&mut self, plan: &TickPlan, op: &M::Op) {
        let home = self.home_of(plan.writer, plan.writer_moves);
        let Some(at) = self.up_from(home) else { return };
        self.report.operations += 1;
        let Some(live) = self.replicas[at].live.as_mut() else {
            return;
        };
        let Some(delta) = M::apply(&mut live.context, &mut live.state, op, &mut self.oracle) else {
            self.report.refused += 1;
            return;
        };
        let write = live.seen.next_dot(actor(at));
        live.seen.insert(write);
        let client = &mut self.clients[plan.writer];
        client.own.insert(write);
        client.token.apply(write);
        let replica = &mut self.replicas[at];
        let seq = replica.next_seq;
        replica.next_seq += 1;
        if self.mode == Mode::Delta {
            replica.outbox.push(Outgoing { seq, delta, write });
        }
        self.report.applied += 1;
    }

    fn client_read(&mut self, plan: &TickPlan) {
        let n = self.replicas.len();
        let home = self.home_of(plan.reader, plan.reader_moves);
        let client = &self.clients[plan.reader];
        // The client asks its own replica first, then the others in order.
        let serving = (0..n).map(|k| (home + k) % n).find(|&j| {
            let Some(live) = self.replicas[j].live.as_ref() else {
                return false;
            };
            // With sessions, a replica serves the read only once it has seen the token.
            !self.sc.sessions
                || matches!(
                    client.token.partial_cmp(live.seen.vector()),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                )
        });
        let Some(at) = serving else {
            self.report.reads_waited += 1;
            return;
        };
        let Some(live) = self.replicas[at].live.as_ref() else {
            return;
        };
        let client = &mut self.clients[plan.reader];
        // The checker: independent of the token, compares write sets.
        let seen_all = |set: &DotContext<u64>| set.is_empty() || *set <= live.seen;
        if !seen_all(&client.own) {
            self.report.ryw_violations += 1;
        }
        if !seen_all(&client.observed) {
            self.report.monotonic_violations += 1;
        }
        client.observed.merge(&live.seen);
        client.token.merge(live.seen.vector());
        self.report.reads += 1;
    }

    fn send(&mut self, from: usize, to: usize, payload: Payload) {
        self.report.messages += 1;
        self.report.bytes += payload.bytes() as u64;
        if !self.connected(from, to) {
            self.report.cut += 1;
            return;
        }
        if self.rng.random_bool(self.sc.drop) {
            self.report.dropped += 1;
            return;
        }
        let copies = if self.rng.random_bool(self.sc.dup) {
            self.report.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.rng.random_range(1..=self.sc.max_delay);
            self.next_msg += 1;
            self.net.push(Reverse(Message {
                deliver_at: self.now + delay,
                id: self.next_msg,
                from,
                to,
                payload: payload.clone(),
            }));
        }
    }

    fn gossip(&mut self) {
        let n = self.replicas.len();
        for from in 0..n {
            if !self.up(from) {
                continue;
            }
            match self.mode {
                Mode::Full => {
                    let to = (from + self.rng.random_range(1..n)) % n;
                    let Some(live) = self.replicas[from].live.as_ref() else {
                        continue;
                    };
                    match (codec::encode(&live.state), codec::encode(&live.seen)) {
                        (Ok(state), Ok(seen)) => self.send(from, to, Payload::Full { state, seen }),
                        (Err(e), _) | (_, Err(e)) => self.report.failures.push(e.to_string()),
                    }
                }
                Mode::Delta => {
                    for to in (0..n).filter(|&to| to != from) {
                        if let Some(payload) = self.delta_for(from, to) {
                            self.send(from, to, payload);
                        }
                    }
                }
            }
        }
    }

    /// The join of `from`'s deltas that `to` has not acknowledged, with the writes they hold.
    ///
    /// `to` acknowledged every earlier delta, and a replica's own writes are numbered without
    /// gaps, so after merging the batch `to` holds every write of `from` up to the batch's last:
    /// the write set travels as one vector entry.
    fn delta_for(&mut self, from: usize, to: usize) -> Option<Payload> {
        let replica = &self.replicas[from];
        let acked = replica.acked[to];
        let mut pending = replica.outbox.iter().filter(|o| o.seq > acked);
        let first = pending.next()?;
        let mut batch = first.delta.clone();
        let (mut upto, mut last) = (first.seq, first.write);
        for o in pending {
            batch.merge(&o.delta);
            (upto, last) = (o.seq, o.write);
        }
        let writes: DotContext<u64> = VectorClock::from_iter([(last.actor, last.counter)]).into();
        match (codec::encode(&batch), codec::encode(&writes)) {
            (Ok(state), Ok(writes)) => Some(Payload::Delta {
                upto,
                state,
                writes,
            }),
            (Err(e), _) | (_, Err(e)) => {
                self.report.failures.push(e.to_string());
                None
            }
        }
    }

    fn deliver_due(&mut self) {
        while self
            .net
            .peek()
            .is_some_and(|Reverse(m)| m.deliver_at <= self.now)
        {
            let Some(Reverse(msg)) = self.net.pop() else {
                break;
            };
            if !self.up(msg.to) {
                self.report.lost_down += 1;
                continue;
            }
            if !self.connected(msg.from, msg.to) {
                self.report.cut += 1;
                continue;
            }
            self.report.delivered += 1;
            self.receive(msg);
        }
    }

    fn receive(&mut self, msg: Message) {
        let (from, to) = (msg.from, msg.to);
        match msg.payload {
            Payload::Full { state, seen } => {
                self.absorb(to, &state, &seen);
            }
            Payload::Delta {
                upto,
                state,
                writes,
            } => {
                if self.absorb(to, &state, &writes) {
                    self.send(to, from, Payload::Ack { upto });
                }
            }
            Payload::Ack { upto } => {
                let replica = &mut self.replicas[to];
                replica.acked[from] = replica.acked[from].max(upto);
                let floor = replica
                    .acked
                    .iter()
                    .enumerate()
                    .filter(|&(peer, _)| peer != to)
                    .map(|(_, a)| *a)
                    .min()
                    .unwrap_or(0);
                replica.outbox.retain(|o| o.seq > floor);
            }
        }
    }

    /// Decodes and merges a state and its write set; false if the bytes were refused.
    fn absorb(&mut self, to: usize, state: &[u8], seen: &[u8]) -> bool {
        let incoming = match codec::decode::<M::State>(state) {
            Ok(s) => s,
            Err(e) => {
                self.report
                    .failures
                    .push(format!("replica {to} refused a state: {e}"));
                return false;
            }
        };
        let writes = match codec::decode::<DotContext<u64>>(seen) {
            Ok(s) => s,
            Err(e) => {
                self.report
                    .failures
                    .push(format!("replica {to} refused a write set: {e}"));
                return false;
            }
        };
        let Some(live) = self.replicas[to].live.as_mut() else {
            return false;
        };
        live.state.merge(&incoming);
        M::observe(&mut live.context, &incoming);
        live.seen.merge(&writes);
        true
    }

    fn all_equal(&self) -> bool {
        let mut states = self
            .replicas
            .iter()
            .filter_map(|r| r.live.as_ref().map(|l| &l.state));
        let Some(first) = states.next() else {
            return true;
        };
        states.all(|s| s == first)
    }

    fn converge_by_gossip(&mut self) {
        for round in 1..=self.sc.max_rounds {
            for _ in 0..self.sc.gossip_interval {
                self.now += 1;
                self.deliver_due();
                if self.now.is_multiple_of(self.sc.gossip_interval) {
                    self.gossip();
                }
            }
            if self.all_equal() {
                self.report.rounds_to_converge = Some(round);
                return;
            }
        }
    }

    fn final_exchange(&mut self) {
        let states: Vec<M::State> = self
            .replicas
            .iter()
            .filter_map(|r| r.live.as_ref().map(|l| l.state.clone()))
            .collect();
        if states.len() != self.replicas.len() {
            self.report
                .failures
                .push("a replica is still down after the heal".to_owned());
        }
        let mut join = M::initial();
        for s in &states {
            join.merge(s);
        }
        // Every replica merges every other state, each in its own shuffled order.
        let mut order: Vec<usize> = (0..states.len()).collect();
        let mut finals = Vec::with_capacity(states.len());
        for replica in &mut self.replicas {
            let Some(live) = replica.live.as_mut() else {
                continue;
            };
            order.shuffle(&mut self.rng);
            for &k in &order {
                let s = &states[k];
                live.state.merge(s);
                M::observe(&mut live.context, s);
            }
            finals.push(live.state.clone());
        }
        let diverged = finals.iter().filter(|s| **s != join).count();
        self.report.converged = diverged == 0 && !finals.is_empty();
        if diverged > 0 {
            self.report.failures.push(format!(
                "{diverged} of {} replicas differ from the join of all states after the full exchange",
                finals.len()
            ));
        }
        let expected = M::expected(&self.oracle);
        let got = M::value(&join);
        self.report.matches_oracle = expected == got;
        if !self.report.matches_oracle {
            self.report.failures.push(format!(
                "value {got:?} differs from the oracle's {expected:?}"
            ));
        }
        match codec::encode(&join) {
            Ok(bytes) => {
                self.report.final_state_bytes = bytes.len() as u64;
                self.report.digest = fnv1a(&bytes);
            }
            Err(e) => self.report.failures.push(e.to_string()),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}
