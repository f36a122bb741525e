//! The simulated network: delays (so reorders), drops, duplicates and partitions, from one
//! seeded stream.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scenario::Scenario;

/// What the network did, for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Traffic {
    pub(crate) messages: u64,
    pub(crate) delivered: u64,
    pub(crate) dropped: u64,
    pub(crate) duplicated: u64,
    pub(crate) cut: u64,
    pub(crate) lost_down: u64,
    /// Bytes of CRDT state (whole states, deltas) in the messages sent.
    pub(crate) state_bytes: u64,
    /// Every other byte: sequence numbers, acknowledgements, frontiers, summaries, headers.
    pub(crate) meta_bytes: u64,
}

impl Traffic {
    pub(crate) const fn bytes(&self) -> u64 {
        self.state_bytes + self.meta_bytes
    }
}

/// A message on its way.
#[derive(Debug)]
struct InFlight<P> {
    deliver_at: u64,
    id: u64,
    from: usize,
    to: usize,
    payload: P,
}

impl<P> PartialEq for InFlight<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.deliver_at, self.id) == (other.deliver_at, other.id)
    }
}
impl<P> Eq for InFlight<P> {}
impl<P> PartialOrd for InFlight<P> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for InFlight<P> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deliver_at, self.id).cmp(&(other.deliver_at, other.id))
    }
}

/// A message handed to a replica.
#[derive(Debug)]
pub(crate) struct Delivery<P> {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) payload: P,
}

/// The network between the replicas of one run.
#[derive(Debug)]
pub(crate) struct Network<P> {
    queue: BinaryHeap<Reverse<InFlight<P>>>,
    groups: Option<Vec<u8>>,
    rng: ChaCha8Rng,
    drop: f64,
    dup: f64,
    max_delay: u64,
    next_id: u64,
    pub(crate) traffic: Traffic,
}

impl<P: Clone> Network<P> {
    pub(crate) fn new(sc: &Scenario) -> Self {
        Network {
            queue: BinaryHeap::new(),
            groups: None,
            rng: ChaCha8Rng::seed_from_u64(sc.seed ^ 0x4E37_0000_0000_0002),
            drop: sc.drop,
            dup: sc.dup,
            max_delay: sc.max_delay,
            next_id: 0,
            traffic: Traffic::default(),
        }
    }

    /// The generator the replicas draw their random peers from (the network's own stream,
    /// so the choice of peers is part of the script's randomness, not of a mode's).
    pub(crate) fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    pub(crate) fn partition(&mut self, groups: Vec<u8>) {
        self.groups = Some(groups);
    }

    pub(crate) fn heal(&mut self) {
        self.groups = None;
    }

    pub(crate) fn connected(&self, a: usize, b: usize) -> bool {
        match &self.groups {
            None => true,
            Some(g) => g.get(a) == g.get(b),
        }
    }

    /// Sends `payload` from `from` to `to` at tick `now`, counting its bytes: a message lost
    /// on the way cost its bytes all the same.
    pub(crate) fn send(
        &mut self,
        now: u64,
        from: usize,
        to: usize,
        payload: P,
        state_bytes: usize,
        meta_bytes: usize,
    ) {
        self.traffic.messages += 1;
        self.traffic.state_bytes += state_bytes as u64;
        self.traffic.meta_bytes += meta_bytes as u64;
        if !self.connected(from, to) {
            self.traffic.cut += 1;
            return;
        }
        if self.rng.random_bool(self.drop) {
            self.traffic.dropped += 1;
            return;
        }
        let copies = if self.rng.random_bool(self.dup) {
            self.traffic.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.rng.random_range(1..=self.max_delay);
            self.next_id += 1;
            self.queue.push(Reverse(InFlight {
                deliver_at: now + delay,
                id: self.next_id,
                from,
                to,
                payload: payload.clone(),
            }));
        }
    }

    /// The next message due at `now` whose receiver `is_up` and is still connected to its
    /// sender; the others due are counted lost.
    pub(crate) fn next_due(
        &mut self,
        now: u64,
        is_up: impl Fn(usize) -> bool,
    ) -> Option<Delivery<P>> {
        while self
            .queue
            .peek()
            .is_some_and(|Reverse(m)| m.deliver_at <= now)
        {
            let Reverse(m) = self.queue.pop()?;
            if !is_up(m.to) {
                self.traffic.lost_down += 1;
                continue;
            }
            if !self.connected(m.from, m.to) {
                self.traffic.cut += 1;
                continue;
            }
            self.traffic.delivered += 1;
            return Some(Delivery {
                from: m.from,
                to: m.to,
                payload: m.payload,
            });
        }
        None
    }
}
