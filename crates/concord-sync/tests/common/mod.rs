//! A small deterministic harness: replicas of one type on in-memory links that drop,
//! duplicate, delay (so reorder) and partition, driven by one seeded generator.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test harness: a panic is a test failure with a line number"
)]

use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::ReplicaId;
use concord_core::codec;
use concord_counter::{GCounter, PnCounter};
use concord_map::{CausalCounter, DwFlag, EwFlag, LwwMap, OrMap};
use concord_register::{LwwRegister, MvRegister};
use concord_set::{LwwElementSet, OrSet};
use concord_sync::{Config, Replica, SessionToken, Syncable};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A type the harness can write to: one random local operation.
pub(crate) trait Workload: Syncable + core::fmt::Debug {
    /// Performs a random operation at `actor` and returns its delta, or `None` when the
    /// operation was refused (the state unchanged).
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self>;
}

impl Workload for GCounter {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        state.increment(actor, rng.random_range(1..100)).ok()
    }
}

impl Workload for PnCounter {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let by = rng.random_range(1..100);
        if rng.random_bool(0.5) {
            state.increment(actor, by).ok()
        } else {
            state.decrement(actor, by).ok()
        }
    }
}

impl Workload for MvRegister<u64> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        // A write that saw the register as it is here: it replaces every local sibling.
        let (_, seen) = state.read();
        state.write(actor, rng.random_range(0..1_000), &seen).ok()
    }
}

/// A set over a large domain, mostly growing: large states, small deltas.
impl Workload for OrSet<u32> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let elem = rng.random_range(0..1_000_000);
        if rng.random_bool(0.05) {
            let present = *state.iter().nth(rng.random_range(0..state.len().max(1)))?;
            Some(state.remove(&present))
        } else {
            state.insert(actor, elem).ok()
        }
    }
}

impl Workload for OrSet<u64> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let elem = rng.random_range(0..64);
        if rng.random_bool(0.3) {
            Some(state.remove(&elem))
        } else {
            state.insert(actor, elem).ok()
        }
    }
}

impl Workload for OrMap<u16, MvRegister<u64>> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let key = rng.random_range(0..64);
        if rng.random_bool(0.2) {
            return Some(state.remove(&key));
        }
        let value = rng.random_range(0..1_000);
        state
            .apply(actor, key, |reg, actor| {
                let (_, seen) = reg.read();
                reg.write(actor, value, &seen)
            })
            .ok()
    }
}

impl Workload for OrMap<u16, CausalCounter> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let key = rng.random_range(0..16);
        if rng.random_bool(0.1) {
            return Some(state.remove(&key));
        }
        let by = rng.random_range(1..10);
        state
            .apply(actor, key, |counter, actor| counter.increment(actor, by))
            .ok()
    }
}

impl Workload for EwFlag {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        if rng.random_bool(0.5) {
            state.enable(actor).ok()
        } else {
            Some(state.disable())
        }
    }
}

impl Workload for DwFlag {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        if rng.random_bool(0.5) {
            state.enable(actor).ok()
        } else {
            state.disable(actor).ok()
        }
    }
}

impl Workload for CausalCounter {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        match rng.random_range(0..10) {
            0 => Some(state.reset()),
            1..=3 => state.decrement(actor, rng.random_range(1..10)).ok(),
            _ => state.increment(actor, rng.random_range(1..10)).ok(),
        }
    }
}

/// The stamp of a new operation at `actor`: a Lamport clock moved past every stamp the state
/// holds, so the operation beats everything this replica has seen (its own earlier writes
/// included, which makes the stamp unique).
fn next_stamp(
    actor: ReplicaId,
    seen: Option<&LamportTimestamp<ReplicaId>>,
) -> Option<LamportTimestamp<ReplicaId>> {
    let mut clock = LamportClock::new(actor);
    if let Some(seen) = seen {
        clock.observe(seen).ok()?;
    }
    clock.tick().ok()
}

/// One setting, overwritten from everywhere.
impl Workload for LwwRegister<u64, LamportTimestamp<ReplicaId>> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let stamp = next_stamp(actor, Some(state.stamp()))?;
        Some(state.set(rng.random_range(0..1_000), stamp))
    }
}

/// A key-value store: puts of string keys from a few hundred, a fifth of the writes deletes.
impl Workload for LwwMap<String, u32, LamportTimestamp<ReplicaId>> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let stamp = next_stamp(actor, state.max_stamp())?;
        let key = format!("user:{}", rng.random_range(0..256));
        if rng.random_bool(0.2) {
            Some(state.remove(key, stamp))
        } else {
            Some(state.insert(key, rng.random_range(0..1_000), stamp))
        }
    }
}

/// A shopping cart: items added and removed, removes mostly of items present.
impl Workload for LwwElementSet<u32, LamportTimestamp<ReplicaId>> {
    fn write(rng: &mut ChaCha8Rng, actor: ReplicaId, state: &mut Self) -> Option<Self> {
        let stamp = next_stamp(actor, state.max_stamp())?;
        if rng.random_bool(0.3) {
            let elem = match state.iter().nth(rng.random_range(0..state.len().max(1))) {
                Some(&present) if rng.random_bool(0.9) => present,
                _ => rng.random_range(0..128),
            };
            Some(state.remove(elem, stamp))
        } else {
            Some(state.insert(rng.random_range(0..128), stamp))
        }
    }
}

/// Ticks between two rounds of full-state gossip in the baseline (the engine's default resend
/// period).
pub(crate) const GOSSIP_PERIOD: u64 = 10;

/// Link faults.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Faults {
    pub(crate) drop: f64,
    pub(crate) duplicate: f64,
    /// Ticks a message may be delayed, at most.
    pub(crate) max_delay: u64,
    /// Probability per tick that a partition starts (one replica cut off for a while).
    pub(crate) partition: f64,
}

impl Faults {
    pub(crate) const NONE: Self = Self {
        drop: 0.0,
        duplicate: 0.0,
        max_delay: 0,
        partition: 0.0,
    };
    pub(crate) const DEFAULT: Self = Self {
        drop: 0.1,
        duplicate: 0.05,
        max_delay: 6,
        partition: 0.01,
    };
}

struct InFlight {
    at: u64,
    from: usize,
    to: usize,
    bytes: Vec<u8>,
}

/// A write and the token its client got, to check read-your-writes later.
struct Write<T> {
    delta: T,
    token: SessionToken,
}

/// Replicas on a faulty network.
pub(crate) struct World<T: Workload> {
    pub(crate) rng: ChaCha8Rng,
    pub(crate) replicas: Vec<Replica<T>>,
    pub(crate) ids: Vec<ReplicaId>,
    net: Vec<InFlight>,
    pub(crate) now: u64,
    pub(crate) faults: Faults,
    /// The replica cut off, and until when.
    cut: Option<(usize, u64)>,
    /// The join of every write: what full-state gossip converges to.
    pub(crate) reference: T,
    writes: Vec<Write<T>>,
    /// Each write's delta, encoded: the lower bound on what each link must carry once.
    pub(crate) delta_bytes: u64,
    /// The same with each delta in its own codec envelope.
    pub(crate) enveloped_delta_bytes: u64,
    pub(crate) messages_delivered: u64,
    /// What full-state gossip would have sent: every replica's whole state to every peer once
    /// per resend period, over the same run.
    pub(crate) full_gossip_bytes: u64,
    /// Bytes delivered to each replica.
    pub(crate) received_bytes: Vec<u64>,
    /// Reads served (checked for read-your-writes) and reads refused as behind.
    pub(crate) reads: (u64, u64),
}

impl<T: Workload> World<T> {
    pub(crate) fn new(seed: u64, n: usize, faults: Faults, config: Config) -> Self {
        let ids: Vec<ReplicaId> = (1..=n as u128).map(ReplicaId::from_u128).collect();
        let replicas = ids
            .iter()
            .map(|&id| {
                let mut r = Replica::with_config(id, T::default(), config);
                for &peer in &ids {
                    r.add_peer(peer);
                }
                r
            })
            .collect();
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            replicas,
            ids,
            net: Vec::new(),
            now: 0,
            faults,
            cut: None,
            reference: T::default(),
            writes: Vec::new(),
            delta_bytes: 0,
            enveloped_delta_bytes: 0,
            messages_delivered: 0,
            full_gossip_bytes: 0,
            received_bytes: vec![0; n],
            reads: (0, 0),
        }
    }

    /// A random write at replica `at`.
    pub(crate) fn write_at(&mut self, at: usize) {
        let actor = self.ids[at];
        let mut delta = None;
        let token = self.replicas[at].apply(|state| {
            // A refused operation leaves the state unchanged; its "delta" is the bottom.
            let d = T::write(&mut self.rng, actor, state).unwrap_or_default();
            delta = Some(d.clone());
            d
        });
        let (Ok(token), Some(delta)) = (token, delta) else {
            return;
        };
        self.reference.merge(&delta);
        let enveloped = codec::encode(&delta).unwrap().len() as u64;
        self.enveloped_delta_bytes += enveloped;
        self.delta_bytes += enveloped - codec::HEADER_LEN as u64;
        self.writes.push(Write { delta, token });
    }

    /// A random earlier write's client reads at a random replica: when the replica says it can
    /// serve the session, the write must be there.
    pub(crate) fn read_somewhere(&mut self) {
        if self.writes.is_empty() {
            return;
        }
        let w = self.rng.random_range(0..self.writes.len());
        let at = self.rng.random_range(0..self.replicas.len());
        let write = &self.writes[w];
        // What a replica may have dropped of the write: the part at or below its stable stamp.
        let mut delta = write.delta.clone();
        if let Some(stable) = self.replicas[at].stable() {
            delta.forget_stable(stable);
        }
        match self.replicas[at].read(&write.token) {
            Ok(served) => {
                assert_eq!(
                    served.state.joined(&delta),
                    *served.state,
                    "{}: replica {at} served a session whose write it lacks",
                    <T as codec::WireType>::NAME
                );
                self.reads.0 += 1;
            }
            Err(_) => self.reads.1 += 1,
        }
    }

    /// How many writes were made so far.
    pub(crate) fn write_count(&self) -> usize {
        self.writes.len()
    }

    /// The join of the deltas of the writes from number `from` on.
    pub(crate) fn join_of_writes_from(&self, from: usize) -> T {
        let mut joined = T::default();
        for w in self.writes.iter().skip(from) {
            joined.merge(&w.delta);
        }
        joined
    }

    /// Cuts replica `who` off the network for `ticks` ticks from now.
    pub(crate) fn cut_off_for(&mut self, who: usize, ticks: u64) {
        self.cut = Some((who, self.now + ticks));
    }

    fn cut_off(&self, i: usize) -> bool {
        self.cut
            .is_some_and(|(c, until)| c == i && self.now < until)
    }

    /// Every replica sends what it has for every peer; the network takes it.
    pub(crate) fn transmit(&mut self) {
        for from in 0..self.replicas.len() {
            for to in 0..self.replicas.len() {
                if from == to {
                    continue;
                }
                let peer = self.ids[to];
                while let Some(bytes) = self.replicas[from].poll_transmit(peer) {
                    if self.cut_off(from) || self.cut_off(to) {
                        continue;
                    }
                    if self.rng.random_bool(self.faults.drop) {
                        continue;
                    }
                    let copies = if self.rng.random_bool(self.faults.duplicate) {
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let delay = self.rng.random_range(0..=self.faults.max_delay);
                        self.net.push(InFlight {
                            at: self.now + 1 + delay,
                            from,
                            to,
                            bytes: bytes.clone(),
                        });
                    }
                }
            }
        }
    }

    /// Delivers what is due, in an order the generator picks.
    pub(crate) fn deliver(&mut self) {
        let (mut due, rest): (Vec<_>, Vec<_>) = core::mem::take(&mut self.net)
            .into_iter()
            .partition(|m| m.at <= self.now);
        self.net = rest;
        // Shuffle the due messages (Fisher-Yates on the seeded generator).
        for i in (1..due.len()).rev() {
            let j = self.rng.random_range(0..=i);
            due.swap(i, j);
        }
        for m in due {
            let from = self.ids[m.from];
            self.replicas[m.to]
                .receive(from, &m.bytes)
                .unwrap_or_else(|e| {
                    panic!(
                        "{}: honest message refused: {e}",
                        <T as codec::WireType>::NAME
                    )
                });
            self.messages_delivered += 1;
            self.received_bytes[m.to] += m.bytes.len() as u64;
        }
    }

    /// One tick: maybe a write, maybe a read, maybe a partition, then the network.
    pub(crate) fn step(&mut self, write_rate: f64) {
        self.now += 1;
        if self.cut.is_none_or(|(_, until)| self.now >= until)
            && self.rng.random_bool(self.faults.partition)
        {
            let who = self.rng.random_range(0..self.replicas.len());
            let len = self.rng.random_range(10..60);
            self.cut = Some((who, self.now + len));
        }
        if self.rng.random_bool(write_rate) {
            let at = self.rng.random_range(0..self.replicas.len());
            self.write_at(at);
        }
        if self.rng.random_bool(0.3) {
            self.read_somewhere();
        }
        for r in &mut self.replicas {
            r.on_tick(self.now);
        }
        if self.now.is_multiple_of(GOSSIP_PERIOD) {
            let peers = self.replicas.len() as u64 - 1;
            for r in &self.replicas {
                self.full_gossip_bytes += codec::encode(r.state()).unwrap().len() as u64 * peers;
            }
        }
        self.transmit();
        self.deliver();
    }

    /// Heals every fault and runs until the network is quiet, at most `limit` ticks.
    pub(crate) fn settle(&mut self, limit: u64) -> bool {
        self.faults = Faults::NONE;
        self.cut = None;
        for _ in 0..limit {
            self.step(0.0);
            if self.net.is_empty() && self.converged() && self.quiet() {
                return true;
            }
        }
        false
    }

    fn quiet(&mut self) -> bool {
        // Nothing to send right now, and no resend pending.
        self.replicas.iter().all(|r| r.poll_timeout().is_none())
    }

    /// Every replica holds the reference, up to the tombstones its stable stamp freed.
    pub(crate) fn converged(&self) -> bool {
        self.replicas
            .iter()
            .all(|r| same_up_to(r.state(), &self.reference, r.stable()))
    }

    pub(crate) fn bytes_sent(&self) -> u64 {
        self.replicas.iter().map(|r| r.stats().bytes()).sum()
    }
}

/// Whether `state` and `reference` are equal once both free their tombstones at or below
/// `stable` (equal, when there is no stable stamp).
pub(crate) fn same_up_to<T: Syncable>(state: &T, reference: &T, stable: Option<&T::Floor>) -> bool {
    let Some(stable) = stable else {
        return state == reference;
    };
    let (mut state, mut reference) = (state.clone(), reference.clone());
    state.compact_stable(stable);
    reference.compact_stable(stable);
    state == reference
}

/// Runs one seed: `steps` ticks of writes under faults, then settles. Returns the world.
pub(crate) fn run<T: Workload>(
    seed: u64,
    n: usize,
    steps: u64,
    faults: Faults,
    config: Config,
) -> World<T> {
    let mut world = World::<T>::new(seed, n, faults, config);
    for _ in 0..steps {
        world.step(0.5);
    }
    let settled = world.settle(5_000);
    assert!(
        settled,
        "{} seed {seed}: not converged after healing; states {:?} reference {:?}",
        <T as codec::WireType>::NAME,
        world.replicas.iter().map(|r| r.state()).collect::<Vec<_>>(),
        world.reference
    );
    world
}
