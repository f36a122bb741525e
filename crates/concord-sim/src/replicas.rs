//! The replicas of each sync mode, with what they keep in memory and what on their simulated
//! disk.
//!
//! Every mode persists the same way, as `concord-store` does: a local write is committed
//! (with everything merged before it) before the client is answered, and what arrives from
//! peers is merged in memory and committed at the next write or gossip round, before any
//! acknowledgement of it leaves. A crash loses memory: what arrived since the last commit,
//! messages owed, per-peer sync state. It never loses a write a client was answered for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use concord_clock::VectorClock;
use concord_core::codec;
use concord_core::lattice::JoinTree;
use concord_core::{Dot, Merge, Novelty, ReplicaId, Stability};
use concord_sync::{ApplyError, Checkpoint, Config, Replica, SessionToken};
use rand::RngExt;

use crate::network::Network;
use crate::script::{Op, OpKind};
use crate::workload::{Mark, Refusal, Workload};

/// The id of replica `i`.
pub(crate) fn replica_id(i: usize) -> ReplicaId {
    ReplicaId::from_u128(0xC0C0_0000_0000_0000_0000_0000_0000_0000 | (i as u128 + 1))
}

/// A write a replica accepted.
#[derive(Debug)]
pub(crate) struct Written<S> {
    /// The session token after the write.
    pub(crate) token: SessionToken,
    /// What the checker will ask later reads to hold.
    pub(crate) marks: Vec<Mark>,
    /// The write's delta, for the reference and the byte lower bound (none for the article's
    /// scheme).
    pub(crate) delta: Option<S>,
}

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteRefused {
    /// By the type (an overflow).
    Type(Refusal),
    /// The replica detected that it lost state (concord-sync refuses its writes).
    LostState,
}

/// One replica of one sync mode.
pub(crate) trait Node<W: Workload>: Sized {
    /// What travels between replicas of this mode.
    type Payload: Clone + std::fmt::Debug;

    /// Replica `index` of `n`, empty; `keys` are the run's key names.
    fn new(index: usize, n: usize, keys: &Arc<[String]>) -> Self;
    fn is_up(&self) -> bool;
    /// Performs a client write.
    fn write(&mut self, op: Op, keys: &[String]) -> Result<Written<W::State>, WriteRefused>;
    /// Whether the replica may serve a session holding `token`.
    fn can_serve(&self, token: &SessionToken) -> bool;
    /// A read of `key`: what it shows, and the session's token afterwards.
    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken);
    /// Whether the replica holds `mark` at `key`.
    fn holds(&self, key: &str, mark: &Mark) -> bool;
    /// One gossip round at tick `now`: commit, then send.
    fn gossip(&mut self, now: u64, net: &mut Network<Self::Payload>);
    /// Tells the replica the time (ticks).
    fn tick(&mut self, _now: u64) {}
    /// A message from replica `from`; an error is a failure of the run.
    fn receive(&mut self, from: usize, payload: Self::Payload) -> Result<(), String>;
    /// Loses memory; returns how many received deltas not yet committed were lost.
    fn crash(&mut self) -> usize;
    /// Restarts from the disk.
    fn restart(&mut self) -> Result<(), String>;
    /// How many writes of each replica the state holds, if the mode knows.
    fn frontier(&self) -> Option<&VectorClock<ReplicaId>>;
    /// The state, for the final checks (none for the article's scheme).
    fn state(&self) -> Option<&W::State>;
    /// The replica's state equals `other`'s (for the article's scheme, whose states are not
    /// CRDTs).
    fn same_as(&self, other: &Self) -> bool;
    /// The replica holds `reference`, the join of every accepted write (up to the tombstones
    /// it freed once stable).
    fn matches(&self, reference: &W::State) -> bool {
        self.state() == Some(reference)
    }
    /// Encoded size of the state.
    fn state_bytes(&self) -> usize;
    /// Writes made anywhere (`total`) that the replicas up lack, summed over the replicas.
    fn missing(nodes: &[Self], total: &VectorClock<ReplicaId>) -> u64 {
        nodes
            .iter()
            .filter_map(Self::frontier)
            .map(|f| {
                // Both clocks iterate in replica order: one walk, no lookups (this runs every
                // round, over every replica).
                let mut held = f.iter().peekable();
                total
                    .iter()
                    .map(|(r, n)| {
                        while held.next_if(|(h, _)| *h < r).is_some() {}
                        let has = held.next_if(|(h, _)| *h == r).map_or(0, |(_, c)| c);
                        n.saturating_sub(has)
                    })
                    .sum::<u64>()
            })
            .sum()
    }

    /// The keys whose values differ across `nodes` (only the article's scheme can end so).
    fn differing_keys(_nodes: &[Self], _keys: &[String]) -> Vec<String> {
        Vec::new()
    }
}

/// `token` joined with every write `frontier` holds.
fn token_after_read(frontier: &VectorClock<ReplicaId>, token: &SessionToken) -> SessionToken {
    let mut after = token.clone();
    after.merge(&SessionToken::from_frontier(frontier.clone()));
    after
}

/// A replica's simulated disk, laid out as `concord-store` lays out its file: a snapshot and
/// the log of deltas committed since. A commit costs what its deltas cost, not what the state
/// does; once the log is long, the commit writes the state in memory as the new snapshot (it
/// is the join of the snapshot and the log, as everything memory merged is committed) and
/// empties the log.
#[derive(Clone, Debug, Default)]
struct Disk<S> {
    snapshot: S,
    log: Vec<S>,
}

/// Log entries that trigger a fold.
const FOLD_AT: usize = 1024;

impl<S: Merge + Clone> Disk<S> {
    /// Commits `deltas`, after which `state` (memory) is the join of what the disk holds.
    fn commit(&mut self, deltas: impl Iterator<Item = S>, state: &S) {
        self.log.extend(deltas);
        if self.log.len() >= FOLD_AT {
            self.snapshot.clone_from(state);
            self.log.clear();
        }
    }

    /// Joins the log into the snapshot: the deltas as a balanced tree first (small joins),
    /// then their join into the snapshot once, as `concord-store` folds.
    fn fold(&mut self) {
        let mut tree = JoinTree::new();
        for delta in self.log.drain(..) {
            tree.push(delta);
        }
        if let Some(joined) = tree.finish() {
            self.snapshot.merge(&joined);
        }
    }

    /// The state a restart reads: the snapshot joined with the log.
    fn load(&mut self) -> S {
        self.fold();
        self.snapshot.clone()
    }
}

/// What a full-state or plain-delta replica keeps: the state, how many writes of each
/// replica it holds, and its own write count. Memory and disk each hold one.
#[derive(Clone, Debug)]
struct Held<S> {
    state: S,
    frontier: VectorClock<ReplicaId>,
    writes: u64,
}

impl<S: Default> Default for Held<S> {
    fn default() -> Self {
        Held {
            state: S::default(),
            frontier: VectorClock::new(),
            writes: 0,
        }
    }
}

/// A replica's memory in the hand-made modes.
#[derive(Debug)]
struct Memory<W: Workload> {
    held: Held<W::State>,
    writer: W::Writer,
    /// Merged since the last commit: the new parts of what arrived.
    uncommitted: Vec<W::State>,
}

/// The part the full-state and plain-delta replicas share.
#[derive(Debug)]
struct Base<W: Workload> {
    index: usize,
    id: ReplicaId,
    n: usize,
    memory: Option<Memory<W>>,
    /// The state on disk, and the frontier and write count committed with it.
    disk: Disk<W::State>,
    disk_meta: (VectorClock<ReplicaId>, u64),
}

impl<W: Workload> Base<W> {
    fn new(index: usize, n: usize) -> Self {
        let id = replica_id(index);
        Base {
            index,
            id,
            n,
            memory: Some(Memory {
                held: Held::default(),
                writer: W::writer(id, &W::State::default()),
                uncommitted: Vec::new(),
            }),
            disk: Disk::default(),
            disk_meta: (VectorClock::new(), 0),
        }
    }

    /// Commits what memory merged since the last commit.
    fn commit(&mut self) {
        let Some(memory) = self.memory.as_mut() else {
            return;
        };
        self.disk
            .commit(memory.uncommitted.drain(..), &memory.held.state);
        self.disk_meta.0.clone_from(&memory.held.frontier);
        self.disk_meta.1 = memory.held.writes;
    }

    fn write(&mut self, op: Op, keys: &[String]) -> Result<Written<W::State>, WriteRefused> {
        let id = self.id;
        let memory = self.memory.as_mut().ok_or(WriteRefused::LostState)?;
        let (delta, marks) = W::write(&mut memory.writer, id, &mut memory.held.state, op, keys)
            .map_err(WriteRefused::Type)?;
        memory.held.writes += 1;
        let writes = memory.held.writes;
        memory.held.frontier.apply(Dot::new(id, writes));
        memory.uncommitted.push(delta.clone());
        self.commit();
        Ok(Written {
            token: SessionToken::after_write(id, writes),
            marks,
            delta: Some(delta),
        })
    }

    /// Merges a state that arrived; `false` when the replica is down.
    fn absorb(&mut self, incoming: &W::State) -> bool {
        let Some(memory) = self.memory.as_mut() else {
            return false;
        };
        if let Some(new) = memory.held.state.novel(incoming) {
            memory.held.state.merge(&new);
            W::observe(&mut memory.writer, &new);
            memory.uncommitted.push(new);
        }
        true
    }

    fn crash(&mut self) -> usize {
        self.memory.take().map_or(0, |m| m.uncommitted.len())
    }

    fn restart(&mut self) {
        if self.memory.is_none() {
            let held = Held {
                state: self.disk.load(),
                frontier: self.disk_meta.0.clone(),
                writes: self.disk_meta.1,
            };
            self.memory = Some(Memory {
                writer: W::writer(self.id, &held.state),
                held,
                uncommitted: Vec::new(),
            });
        }
    }

    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken) {
        match &self.memory {
            Some(m) => (
                W::view(&m.held.state, key),
                token_after_read(&m.held.frontier, token),
            ),
            None => (Vec::new(), token.clone()),
        }
    }

    fn can_serve(&self, token: &SessionToken) -> bool {
        self.memory
            .as_ref()
            .is_some_and(|m| token.is_covered_by(&m.held.frontier))
    }

    fn holds(&self, key: &str, mark: &Mark) -> bool {
        self.memory
            .as_ref()
            .is_some_and(|m| W::holds(&m.held.state, key, mark))
    }

    fn state_bytes(&self) -> usize {
        self.memory
            .as_ref()
            .and_then(|m| codec::encoded_len(&m.held.state).ok())
            .unwrap_or(0)
    }
}

/// Full-state anti-entropy: the whole state and the frontier to one random peer per round.
#[derive(Debug)]
pub(crate) struct FullNode<W: Workload>(Base<W>);

/// A whole state and its frontier, as codec bytes.
#[derive(Clone, Debug)]
pub(crate) struct FullState {
    state: Vec<u8>,
    frontier: Vec<u8>,
}

impl<W: Workload> Node<W> for FullNode<W> {
    type Payload = FullState;

    fn new(index: usize, n: usize, _: &Arc<[String]>) -> Self {
        FullNode(Base::new(index, n))
    }

    fn is_up(&self) -> bool {
        self.0.memory.is_some()
    }

    fn write(&mut self, op: Op, keys: &[String]) -> Result<Written<W::State>, WriteRefused> {
        self.0.write(op, keys)
    }

    fn can_serve(&self, token: &SessionToken) -> bool {
        self.0.can_serve(token)
    }

    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken) {
        self.0.read(key, token)
    }

    fn holds(&self, key: &str, mark: &Mark) -> bool {
        self.0.holds(key, mark)
    }

    fn gossip(&mut self, now: u64, net: &mut Network<FullState>) {
        self.0.commit();
        let Some(memory) = self.0.memory.as_ref() else {
            return;
        };
        let (Ok(state), Ok(frontier)) = (
            codec::encode(&memory.held.state),
            codec::encode(&memory.held.frontier),
        ) else {
            return;
        };
        let to = (self.0.index + net.rng().random_range(1..self.0.n)) % self.0.n;
        let (s, f) = (state.len(), frontier.len());
        net.send(now, self.0.index, to, FullState { state, frontier }, s, f);
    }

    fn receive(&mut self, from: usize, payload: FullState) -> Result<(), String> {
        let incoming = codec::decode::<W::State>(&payload.state)
            .map_err(|e| format!("a state from replica {from} was refused: {e}"))?;
        let frontier = codec::decode::<VectorClock<ReplicaId>>(&payload.frontier)
            .map_err(|e| format!("a frontier from replica {from} was refused: {e}"))?;
        if self.0.absorb(&incoming)
            && let Some(memory) = self.0.memory.as_mut()
        {
            memory.held.frontier.merge(&frontier);
        }
        Ok(())
    }

    fn crash(&mut self) -> usize {
        self.0.crash()
    }

    fn restart(&mut self) -> Result<(), String> {
        self.0.restart();
        Ok(())
    }

    fn frontier(&self) -> Option<&VectorClock<ReplicaId>> {
        self.0.memory.as_ref().map(|m| &m.held.frontier)
    }

    fn state(&self) -> Option<&W::State> {
        self.0.memory.as_ref().map(|m| &m.held.state)
    }

    fn same_as(&self, other: &Self) -> bool {
        self.state() == other.state()
    }

    fn state_bytes(&self) -> usize {
        self.0.state_bytes()
    }
}

/// Plain delta shipping: every round, to every peer, the join of this replica's own deltas
/// that peer has not acknowledged.
#[derive(Debug)]
pub(crate) struct DeltaNode<W: Workload> {
    base: Base<W>,
    /// Own deltas not yet acknowledged by every peer, by write number: durable.
    outbox: Vec<(u64, W::State)>,
    /// Per peer, the last own write it acknowledged (memory: reset on restart).
    acked: Vec<u64>,
    /// Per peer, the last of its writes this replica received and must acknowledge once
    /// committed (memory).
    owed: Vec<Option<u64>>,
}

/// A plain-delta message.
#[derive(Clone, Debug)]
pub(crate) enum DeltaMsg {
    /// The join of the sender's writes up to `upto` the receiver had not acknowledged.
    Delta { upto: u64, state: Vec<u8> },
    /// The receiver has the sender's writes up to `upto`.
    Ack { upto: u64 },
}

/// Bytes of a write number on the wire (a fixed u64).
const SEQ_BYTES: usize = 8;

impl<W: Workload> DeltaNode<W> {
    fn prune(&mut self) {
        let me = self.base.index;
        let floor = self
            .acked
            .iter()
            .enumerate()
            .filter(|&(peer, _)| peer != me)
            .map(|(_, a)| *a)
            .min()
            .unwrap_or(0);
        self.outbox.retain(|(seq, _)| *seq > floor);
    }
}

impl<W: Workload> Node<W> for DeltaNode<W> {
    type Payload = DeltaMsg;

    fn new(index: usize, n: usize, _: &Arc<[String]>) -> Self {
        DeltaNode {
            base: Base::new(index, n),
            outbox: Vec::new(),
            acked: vec![0; n],
            owed: vec![None; n],
        }
    }

    fn is_up(&self) -> bool {
        self.base.memory.is_some()
    }

    fn write(&mut self, op: Op, keys: &[String]) -> Result<Written<W::State>, WriteRefused> {
        let written = self.base.write(op, keys)?;
        if let Some(delta) = &written.delta {
            self.outbox.push((self.base.disk_meta.1, delta.clone()));
        }
        Ok(written)
    }

    fn can_serve(&self, token: &SessionToken) -> bool {
        self.base.can_serve(token)
    }

    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken) {
        self.base.read(key, token)
    }

    fn holds(&self, key: &str, mark: &Mark) -> bool {
        self.base.holds(key, mark)
    }

    fn gossip(&mut self, now: u64, net: &mut Network<DeltaMsg>) {
        self.base.commit();
        if self.base.memory.is_none() {
            return;
        }
        let me = self.base.index;
        for (to, owed) in self.owed.iter_mut().enumerate() {
            if let Some(upto) = owed.take() {
                net.send(now, me, to, DeltaMsg::Ack { upto }, 0, SEQ_BYTES);
            }
        }
        for to in (0..self.base.n).filter(|&to| to != me) {
            let acked = self.acked[to];
            let mut pending = self.outbox.iter().filter(|(seq, _)| *seq > acked);
            let Some((first, delta)) = pending.next() else {
                continue;
            };
            let mut batch = delta.clone();
            let mut upto = *first;
            for (seq, delta) in pending {
                batch.merge(delta);
                upto = *seq;
            }
            if let Ok(state) = codec::encode(&batch) {
                let len = state.len();
                net.send(now, me, to, DeltaMsg::Delta { upto, state }, len, SEQ_BYTES);
            }
        }
    }

    fn receive(&mut self, from: usize, payload: DeltaMsg) -> Result<(), String> {
        match payload {
            DeltaMsg::Delta { upto, state } => {
                let incoming = codec::decode::<W::State>(&state)
                    .map_err(|e| format!("a delta from replica {from} was refused: {e}"))?;
                if self.base.absorb(&incoming)
                    && let Some(memory) = self.base.memory.as_mut()
                {
                    // The sender sent every write after the last one this replica
                    // acknowledged, and what it acknowledged it had committed.
                    memory.held.frontier.apply(Dot::new(replica_id(from), upto));
                    let owed = &mut self.owed[from];
                    *owed = Some(owed.map_or(upto, |o| o.max(upto)));
                }
            }
            DeltaMsg::Ack { upto } => {
                self.acked[from] = self.acked[from].max(upto);
                self.prune();
            }
        }
        Ok(())
    }

    fn crash(&mut self) -> usize {
        self.acked.iter_mut().for_each(|a| *a = 0);
        self.owed.iter_mut().for_each(|o| *o = None);
        self.base.crash()
    }

    fn restart(&mut self) -> Result<(), String> {
        self.base.restart();
        Ok(())
    }

    fn frontier(&self) -> Option<&VectorClock<ReplicaId>> {
        self.base.memory.as_ref().map(|m| &m.held.frontier)
    }

    fn state(&self) -> Option<&W::State> {
        self.base.memory.as_ref().map(|m| &m.held.state)
    }

    fn same_as(&self, other: &Self) -> bool {
        self.state() == other.state()
    }

    fn state_bytes(&self) -> usize {
        self.base.state_bytes()
    }
}

/// A `concord_sync::Replica`, with its state and checkpoint committed as `concord-store`
/// does.
#[derive(Debug)]
pub(crate) struct SyncNode<W: Workload> {
    index: usize,
    n: usize,
    memory: Option<SyncMemory<W>>,
    disk: (Disk<W::State>, Checkpoint),
}

#[derive(Debug)]
struct SyncMemory<W: Workload> {
    replica: Replica<W::State>,
    writer: W::Writer,
    uncommitted: Vec<W::State>,
}

/// Ticks an unacknowledged interval waits before it is sent again: two gossip rounds of the
/// default scenario, a little more than a round trip at the largest delay.
const RESEND_AFTER: u64 = 20;

impl<W: Workload> SyncNode<W> {
    /// The simulated network is a full mesh (partitions cut it into groups that are full
    /// meshes too), so replicas ship their own writes only: see `Config::relay`.
    fn config() -> Config {
        Config::default()
            .with_resend_after(RESEND_AFTER)
            .with_relay(false)
    }

    fn commit(&mut self) {
        let Some(memory) = self.memory.as_mut() else {
            return;
        };
        self.disk
            .0
            .commit(memory.uncommitted.drain(..), memory.replica.state());
        self.disk.1 = memory.replica.checkpoint();
    }

    fn add_peers(&self, replica: &mut Replica<W::State>) {
        for peer in (0..self.n).filter(|&p| p != self.index) {
            replica.add_peer(replica_id(peer));
        }
    }
}

impl<W: Workload> Node<W> for SyncNode<W> {
    type Payload = Vec<u8>;

    fn new(index: usize, n: usize, _: &Arc<[String]>) -> Self {
        let id = replica_id(index);
        let mut replica = Replica::with_config(id, W::State::default(), Self::config());
        let node = SyncNode {
            index,
            n,
            memory: None,
            disk: (Disk::default(), replica.checkpoint()),
        };
        node.add_peers(&mut replica);
        SyncNode {
            memory: Some(SyncMemory {
                replica,
                writer: W::writer(id, &W::State::default()),
                uncommitted: Vec::new(),
            }),
            ..node
        }
    }

    fn is_up(&self) -> bool {
        self.memory.is_some()
    }

    fn write(&mut self, op: Op, keys: &[String]) -> Result<Written<W::State>, WriteRefused> {
        let memory = self.memory.as_mut().ok_or(WriteRefused::LostState)?;
        let id = memory.replica.id();
        let writer = &mut memory.writer;
        let mut out = None;
        let token = memory
            .replica
            .try_apply(|state| {
                let (delta, marks) = W::write(writer, id, state, op, keys)?;
                out = Some((delta.clone(), marks));
                Ok(delta)
            })
            .map_err(|e| match e {
                ApplyError::LostState(_) => WriteRefused::LostState,
                ApplyError::Operation(refusal) => WriteRefused::Type(refusal),
            })?;
        let Some((delta, marks)) = out else {
            return Err(WriteRefused::LostState);
        };
        memory.uncommitted.push(delta.clone());
        self.commit();
        Ok(Written {
            token,
            marks,
            delta: Some(delta),
        })
    }

    fn can_serve(&self, token: &SessionToken) -> bool {
        self.memory
            .as_ref()
            .is_some_and(|m| m.replica.can_serve(token))
    }

    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken) {
        match self.memory.as_ref().map(|m| m.replica.read(token)) {
            Some(Ok(served)) => (W::view(served.state, key), served.token),
            // Without sessions a read is served whatever the token: show the state as it is.
            Some(Err(_)) => self.memory.as_ref().map_or_else(
                || (Vec::new(), token.clone()),
                |m| {
                    (
                        W::view(m.replica.state(), key),
                        token_after_read(m.replica.frontier(), token),
                    )
                },
            ),
            None => (Vec::new(), token.clone()),
        }
    }

    fn holds(&self, key: &str, mark: &Mark) -> bool {
        self.memory.as_ref().is_some_and(|m| {
            W::holds(m.replica.state(), key, mark)
                || m.replica
                    .stable()
                    .is_some_and(|stable| W::stable_covers(mark, stable))
        })
    }

    fn matches(&self, reference: &W::State) -> bool {
        let Some(memory) = self.memory.as_ref() else {
            return false;
        };
        let state = memory.replica.state();
        match memory.replica.stable() {
            None => state == reference,
            Some(stable) => {
                let (mut state, mut reference) = (state.clone(), reference.clone());
                state.compact_stable(stable);
                reference.compact_stable(stable);
                state == reference
            }
        }
    }

    fn tick(&mut self, now: u64) {
        if let Some(memory) = self.memory.as_mut() {
            memory.replica.on_tick(now);
        }
    }

    fn gossip(&mut self, now: u64, net: &mut Network<Vec<u8>>) {
        self.commit();
        let Some(memory) = self.memory.as_mut() else {
            return;
        };
        for to in (0..self.n).filter(|&p| p != self.index) {
            loop {
                let before = memory.replica.stats().state_bytes;
                let Some(bytes) = memory.replica.poll_transmit(replica_id(to)) else {
                    break;
                };
                let state = (memory.replica.stats().state_bytes - before) as usize;
                let meta = bytes.len().saturating_sub(state);
                net.send(now, self.index, to, bytes, state, meta);
            }
        }
    }

    fn receive(&mut self, from: usize, payload: Vec<u8>) -> Result<(), String> {
        let Some(memory) = self.memory.as_mut() else {
            return Ok(());
        };
        let new = memory
            .replica
            .receive(replica_id(from), &payload)
            .map_err(|e| format!("a message from replica {from} was refused: {e}"))?;
        if let Some(new) = new {
            W::observe(&mut memory.writer, &new);
            memory.uncommitted.push(new);
        }
        Ok(())
    }

    fn crash(&mut self) -> usize {
        self.memory.take().map_or(0, |m| m.uncommitted.len())
    }

    fn restart(&mut self) -> Result<(), String> {
        if self.memory.is_some() {
            return Ok(());
        }
        let state = self.disk.0.load();
        let checkpoint = self.disk.1.clone();
        let writer = W::writer(checkpoint.id, &state);
        let mut replica = Replica::restore(state, checkpoint, Self::config())
            .map_err(|e| format!("replica {} could not be restored: {e}", self.index))?;
        self.add_peers(&mut replica);
        // The restored incarnation is part of the checkpoint from now on.
        self.disk.1 = replica.checkpoint();
        self.memory = Some(SyncMemory {
            replica,
            writer,
            uncommitted: Vec::new(),
        });
        Ok(())
    }

    fn frontier(&self) -> Option<&VectorClock<ReplicaId>> {
        self.memory.as_ref().map(|m| m.replica.frontier())
    }

    fn state(&self) -> Option<&W::State> {
        self.memory.as_ref().map(|m| m.replica.state())
    }

    fn same_as(&self, other: &Self) -> bool {
        self.state() == other.state()
    }

    fn state_bytes(&self) -> usize {
        self.state()
            .and_then(|s| codec::encoded_len(s).ok())
            .unwrap_or(0)
    }
}

/// The first source article's store: per key a value and a version number a write
/// increments locally; sync copies a value only when the peer's version is greater.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeedStore {
    /// Per key index: version and value (`None` for a delete).
    entries: BTreeMap<u32, (u64, Option<u32>)>,
}

impl SeedStore {
    /// Bytes on the wire, as a compact encoding would take them: per entry the key's name,
    /// a varint version and the value's text.
    fn wire_len(&self, keys: &[String]) -> usize {
        self.entries
            .iter()
            .map(|(k, (version, value))| {
                let key = keys.get(*k as usize).map_or(0, String::len);
                let value = value.map_or(0, |v| format!("v{v}").len());
                2 + key + varint_len(*version) + value
            })
            .sum()
    }
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// A replica of the article's store.
#[derive(Debug)]
pub(crate) struct SeedNode {
    index: usize,
    n: usize,
    /// The store in memory and how many received values it has not committed.
    memory: Option<(SeedStore, usize)>,
    disk: SeedStore,
    /// The key names, for lookups and byte counts.
    keys: Arc<[String]>,
}

impl SeedNode {
    fn commit(&mut self) {
        if let Some((store, uncommitted)) = self.memory.as_mut() {
            self.disk.clone_from(store);
            *uncommitted = 0;
        }
    }

    fn store(&self) -> Option<&SeedStore> {
        self.memory.as_ref().map(|(s, _)| s)
    }

    const fn up(&self) -> bool {
        self.memory.is_some()
    }

    fn get(&self, key: &str) -> Option<(u64, Option<u32>)> {
        let k = self.keys.binary_search_by(|n| n.as_str().cmp(key)).ok()? as u32;
        self.store()?.entries.get(&k).copied()
    }
}

impl<W: Workload> Node<W> for SeedNode {
    type Payload = Arc<SeedStore>;

    fn new(index: usize, n: usize, keys: &Arc<[String]>) -> Self {
        SeedNode {
            index,
            n,
            memory: Some((SeedStore::default(), 0)),
            disk: SeedStore::default(),
            keys: Arc::clone(keys),
        }
    }

    fn is_up(&self) -> bool {
        self.up()
    }

    /// The key's version goes up by one, locally.
    fn write(&mut self, op: Op, _: &[String]) -> Result<Written<W::State>, WriteRefused> {
        let Some((store, _)) = self.memory.as_mut() else {
            return Err(WriteRefused::LostState);
        };
        let value = match op.kind {
            OpKind::Put(v) => Some(v),
            OpKind::Delete => None,
        };
        let entry = store.entries.entry(op.key).or_insert((0, None));
        *entry = (entry.0 + 1, value);
        let mark = Mark::Version(entry.0, value);
        self.commit();
        Ok(Written {
            token: SessionToken::new(),
            marks: vec![mark],
            delta: None,
        })
    }

    /// The scheme has no sessions: any replica serves any read.
    fn can_serve(&self, _: &SessionToken) -> bool {
        self.up()
    }

    fn read(&self, key: &str, token: &SessionToken) -> (Vec<Mark>, SessionToken) {
        let view = self
            .get(key)
            .map(|(version, value)| vec![Mark::Version(version, value)])
            .unwrap_or_default();
        (view, token.clone())
    }

    fn holds(&self, key: &str, mark: &Mark) -> bool {
        let Mark::Version(version, value) = mark else {
            return false;
        };
        self.get(key)
            .is_some_and(|(v, x)| v > *version || (v == *version && x == *value))
    }

    fn gossip(&mut self, now: u64, net: &mut Network<Arc<SeedStore>>) {
        self.commit();
        let Some(store) = self.store() else {
            return;
        };
        let to = (self.index + net.rng().random_range(1..self.n)) % self.n;
        let len = store.wire_len(&self.keys);
        let payload = Arc::new(store.clone());
        net.send(now, self.index, to, payload, len, 0);
    }

    fn receive(&mut self, _: usize, incoming: Arc<SeedStore>) -> Result<(), String> {
        let Some((store, uncommitted)) = self.memory.as_mut() else {
            return Ok(());
        };
        for (k, theirs) in &incoming.entries {
            let mine = store.entries.entry(*k).or_insert((0, None));
            if theirs.0 > mine.0 {
                *mine = *theirs;
                *uncommitted += 1;
            }
        }
        Ok(())
    }

    fn crash(&mut self) -> usize {
        self.memory.take().map_or(0, |(_, u)| u)
    }

    fn restart(&mut self) -> Result<(), String> {
        if self.memory.is_none() {
            self.memory = Some((self.disk.clone(), 0));
        }
        Ok(())
    }

    fn frontier(&self) -> Option<&VectorClock<ReplicaId>> {
        None
    }

    fn state(&self) -> Option<&W::State> {
        None
    }

    fn same_as(&self, other: &Self) -> bool {
        self.store() == other.store()
    }

    fn state_bytes(&self) -> usize {
        self.store().map_or(0, |s| s.wire_len(&self.keys))
    }

    /// The scheme cannot say which writes it holds: the keys at which a replica holds another
    /// entry than the one with the greatest version (the first one met, among equals).
    fn missing(nodes: &[Self], _: &VectorClock<ReplicaId>) -> u64 {
        let stores: Vec<&SeedStore> = nodes.iter().filter_map(SeedNode::store).collect();
        let mut latest: BTreeMap<u32, (u64, Option<u32>)> = BTreeMap::new();
        for s in &stores {
            for (k, e) in &s.entries {
                let best = latest.entry(*k).or_insert(*e);
                if e.0 > best.0 {
                    *best = *e;
                }
            }
        }
        stores
            .iter()
            .map(|s| {
                latest
                    .iter()
                    .filter(|(k, e)| s.entries.get(k) != Some(e))
                    .count() as u64
            })
            .sum()
    }

    fn differing_keys(nodes: &[Self], keys: &[String]) -> Vec<String> {
        let stores: Vec<&SeedStore> = nodes.iter().filter_map(SeedNode::store).collect();
        let Some(first) = stores.first() else {
            return Vec::new();
        };
        let mut all = BTreeSet::new();
        for s in &stores {
            all.extend(s.entries.keys().copied());
        }
        all.into_iter()
            .filter(|k| {
                let a = first.entries.get(k);
                stores.iter().any(|s| s.entries.get(k) != a)
            })
            .filter_map(|k| keys.get(k as usize).cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::workload::KvOrMap;

    /// The first article's demo: `x` written on three replicas within one gossip interval,
    /// each at version 1. Pairwise sync copies only greater versions, so every replica keeps
    /// its own value forever.
    #[test]
    fn the_articles_scheme_keeps_concurrent_writes_apart_forever() {
        let keys: Arc<[String]> = vec!["x".to_owned()].into();
        let mut nodes: Vec<SeedNode> = (0..3)
            .map(|i| <SeedNode as Node<KvOrMap>>::new(i, 3, &keys))
            .collect();
        for (i, node) in nodes.iter_mut().enumerate() {
            let op = Op {
                key: 0,
                kind: OpKind::Put(i as u32 + 1),
            };
            assert!(Node::<KvOrMap>::write(node, op, &keys).is_ok());
        }
        let sc = Scenario {
            drop: 0.0,
            dup: 0.0,
            ..Scenario::default()
        };
        let mut net = Network::new(&sc);
        for round in 0..100 {
            for node in &mut nodes {
                Node::<KvOrMap>::gossip(node, round * 10, &mut net);
            }
            while let Some(d) = net.next_due(round * 10 + 9, |_| true) {
                assert!(Node::<KvOrMap>::receive(&mut nodes[d.to], d.from, d.payload).is_ok());
            }
        }
        assert!(net.traffic.delivered >= 300);
        let values: Vec<_> = nodes.iter().map(|n| n.get("x")).collect();
        assert_eq!(
            values,
            [Some((1, Some(1))), Some((1, Some(2))), Some((1, Some(3)))]
        );
        assert_eq!(
            <SeedNode as Node<KvOrMap>>::differing_keys(&nodes, &keys),
            ["x"]
        );
        // A later write with a greater version does propagate.
        let op = Op {
            key: 0,
            kind: OpKind::Put(9),
        };
        assert!(Node::<KvOrMap>::write(&mut nodes[0], op, &keys).is_ok());
        for round in 100..110 {
            for node in &mut nodes {
                Node::<KvOrMap>::gossip(node, round * 10, &mut net);
            }
            while let Some(d) = net.next_due(round * 10 + 9, |_| true) {
                assert!(Node::<KvOrMap>::receive(&mut nodes[d.to], d.from, d.payload).is_ok());
            }
        }
        assert!(nodes.iter().all(|n| n.get("x") == Some((2, Some(9)))));
    }

    /// A crash loses what arrived since the last commit, never a committed write.
    #[test]
    fn a_crash_loses_only_what_was_not_committed() {
        let keys: Arc<[String]> = vec!["a".to_owned(), "b".to_owned()].into();
        let mut a = <SyncNode<KvOrMap> as Node<KvOrMap>>::new(0, 2, &keys);
        let mut b = <SyncNode<KvOrMap> as Node<KvOrMap>>::new(1, 2, &keys);
        let put = |key| Op {
            key,
            kind: OpKind::Put(7),
        };
        let mark = a.write(put(0), &keys).expect("accepted").marks[0].clone();
        let sc = Scenario {
            drop: 0.0,
            dup: 0.0,
            ..Scenario::default()
        };
        let mut net = Network::new(&sc);
        a.gossip(0, &mut net);
        while let Some(d) = net.next_due(100, |_| true) {
            assert!(b.receive(d.from, d.payload).is_ok());
        }
        assert!(b.holds("a", &mark));
        // b merged a's write but has not committed it: the crash loses it.
        assert_eq!(b.crash(), 1);
        assert!(b.restart().is_ok());
        assert_eq!(b.state(), Some(&Default::default()));
        // a's write itself was committed before it was acknowledged: a crash keeps it.
        assert_eq!(a.crash(), 0);
        assert!(a.restart().is_ok());
        assert!(a.state().is_some_and(|s| s.contains_key("a")));
    }
}
