//! Clients and their sessions: home replicas, session tokens, reads that wait, and the
//! checker that compares what each read shows with what the client wrote and read before.

use std::collections::{BTreeMap, HashMap, VecDeque};

use concord_core::Merge;
use concord_sync::SessionToken;

use crate::workload::Mark;

/// What one client wrote and saw at one key since its last read of it.
#[derive(Clone, Debug, Default)]
struct Floor {
    /// Marks of the client's writes of the key since its last read of it.
    own: Vec<Mark>,
    /// What the client's last read of the key showed.
    seen: Vec<Mark>,
}

/// One client.
#[derive(Debug)]
pub(crate) struct Client {
    /// The replica it talks to first.
    pub(crate) home: usize,
    pub(crate) token: SessionToken,
    floors: HashMap<u32, Floor>,
}

/// A read waiting for a replica that can serve it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Waiting {
    pub(crate) client: u16,
    pub(crate) key: u32,
    pub(crate) since: u64,
}

/// How reads went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReadStats {
    pub(crate) served: u64,
    /// Served by another replica than the client's home.
    pub(crate) redirected: u64,
    /// Served after waiting at least one tick.
    pub(crate) waited: u64,
    /// Gave up after the scenario's read timeout.
    pub(crate) gave_up: u64,
    /// Reads that missed a write of the client's own.
    pub(crate) ryw_violations: u64,
    /// Reads that missed what an earlier read of the client had shown.
    pub(crate) monotonic_violations: u64,
    /// Served reads by ticks waited.
    pub(crate) waits: BTreeMap<u64, u64>,
}

impl ReadStats {
    /// The wait, in ticks, at quantile `q` of the served reads.
    pub(crate) fn wait_quantile(&self, q: f64) -> u64 {
        let total: u64 = self.waits.values().sum();
        if total == 0 {
            return 0;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (&wait, &count) in &self.waits {
            seen += count;
            if seen >= rank {
                return wait;
            }
        }
        self.waits.keys().next_back().copied().unwrap_or(0)
    }
}

/// The clients of one run.
#[derive(Debug)]
pub(crate) struct Sessions {
    pub(crate) clients: Vec<Client>,
    pub(crate) waiting: VecDeque<Waiting>,
    pub(crate) stats: ReadStats,
}

impl Sessions {
    pub(crate) fn new(clients: usize, replicas: usize) -> Self {
        Sessions {
            clients: (0..clients)
                .map(|c| Client {
                    home: c % replicas,
                    token: SessionToken::new(),
                    floors: HashMap::new(),
                })
                .collect(),
            waiting: VecDeque::new(),
            stats: ReadStats::default(),
        }
    }

    /// Records a write of `client` at `key`.
    pub(crate) fn wrote(&mut self, client: u16, key: u32, token: &SessionToken, marks: Vec<Mark>) {
        let Some(c) = self.clients.get_mut(usize::from(client)) else {
            return;
        };
        c.token.merge(token);
        c.floors.entry(key).or_default().own.extend(marks);
    }

    /// Checks a read of `key` by `client` against what it wrote and saw: `holds` says whether
    /// the serving replica holds a mark. Then the read's view becomes the client's floor.
    pub(crate) fn served(
        &mut self,
        waiting: Waiting,
        now: u64,
        redirected: bool,
        holds: impl Fn(&Mark) -> bool,
        view: Vec<Mark>,
        token: SessionToken,
    ) {
        let Some(c) = self.clients.get_mut(usize::from(waiting.client)) else {
            return;
        };
        let floor = c.floors.entry(waiting.key).or_default();
        if !floor.own.iter().all(&holds) {
            self.stats.ryw_violations += 1;
        }
        if !floor.seen.iter().all(&holds) {
            self.stats.monotonic_violations += 1;
        }
        floor.own.clear();
        floor.seen = view;
        c.token = token;
        let wait = now.saturating_sub(waiting.since);
        self.stats.served += 1;
        self.stats.redirected += u64::from(redirected);
        self.stats.waited += u64::from(wait > 0);
        *self.stats.waits.entry(wait).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_the_waits() {
        let mut stats = ReadStats::default();
        stats.waits.insert(0, 98);
        stats.waits.insert(5, 1);
        stats.waits.insert(40, 1);
        assert_eq!(stats.wait_quantile(0.5), 0);
        assert_eq!(stats.wait_quantile(0.99), 5);
        assert_eq!(stats.wait_quantile(1.0), 40);
        assert_eq!(ReadStats::default().wait_quantile(0.99), 0);
    }

    #[test]
    fn a_read_missing_an_own_write_or_an_earlier_view_is_a_violation() {
        let dot = |n| Mark::Count(concord_core::ReplicaId::from_u128(1), n);
        let mut s = Sessions::new(1, 2);
        s.wrote(0, 7, &SessionToken::new(), vec![dot(3)]);
        let w = Waiting {
            client: 0,
            key: 7,
            since: 0,
        };
        // A replica holding counts up to 2 misses the write of count 3.
        let upto = |n: u64| move |m: &Mark| matches!(m, Mark::Count(_, c) if *c <= n);
        s.served(w, 0, false, upto(2), vec![dot(2)], SessionToken::new());
        assert_eq!(
            (s.stats.ryw_violations, s.stats.monotonic_violations),
            (1, 0)
        );
        // Then one holding counts up to 4 shows 4; a later one holding 3 misses that view.
        s.served(w, 1, true, upto(4), vec![dot(4)], SessionToken::new());
        assert_eq!(
            (s.stats.ryw_violations, s.stats.monotonic_violations),
            (1, 0)
        );
        s.served(w, 1, false, upto(3), vec![dot(3)], SessionToken::new());
        assert_eq!(
            (s.stats.ryw_violations, s.stats.monotonic_violations),
            (1, 1)
        );
        assert_eq!(
            (s.stats.served, s.stats.redirected, s.stats.waited),
            (3, 1, 2)
        );
    }
}
