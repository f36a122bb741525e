//! Automatic compaction: tombstones are freed once every replica has passed them, never
//! before, and what was freed never comes back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a panic is a test failure with a line number"
)]

use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::{ReplicaId, codec};
use concord_map::LwwMap;
use concord_sync::{Checkpoint, Config, Replica};

type Kv = LwwMap<String, u32, LamportTimestamp<ReplicaId>>;

/// Ticks between compactions in these tests.
const EVERY: u64 = 5;

fn id(n: usize) -> ReplicaId {
    ReplicaId::from_u128(n as u128 + 1)
}

/// A full mesh of `n` replicas on perfect links, some of which may be cut, each whole or in
/// one direction.
struct Mesh {
    replicas: Vec<Replica<Kv>>,
    cut: Vec<bool>,
    blocked: Vec<(usize, usize)>,
    now: u64,
}

impl Mesh {
    fn new(n: usize, config: Config) -> Self {
        let replicas = (0..n)
            .map(|i| {
                let mut r = Replica::with_config(id(i), Kv::new(), config);
                for j in (0..n).filter(|&j| j != i) {
                    r.add_peer(id(j));
                }
                r
            })
            .collect();
        Self {
            replicas,
            cut: vec![false; n],
            blocked: Vec::new(),
            now: 0,
        }
    }

    /// A ring of `n` replicas: each has its two neighbours as peers, not the others.
    fn ring(n: usize, config: Config) -> Self {
        let mut ring = Self::new(n, config);
        for at in 0..n {
            for other in 0..n {
                let distance = (at + n - other) % n;
                if distance > 1 && distance < n - 1 {
                    ring.replicas[at].remove_peer(&id(other));
                }
            }
        }
        ring
    }

    /// A stamp above everything replica `at` holds.
    fn stamp(&self, at: usize) -> LamportTimestamp<ReplicaId> {
        let mut clock = LamportClock::new(id(at));
        if let Some(seen) = self.replicas[at].state().max_stamp() {
            clock.observe(seen).unwrap();
        }
        clock.tick().unwrap()
    }

    fn put(&mut self, at: usize, key: &str, value: u32) {
        let stamp = self.stamp(at);
        self.replicas[at]
            .apply(|m| m.insert(key.to_owned(), value, stamp))
            .unwrap();
    }

    fn delete(&mut self, at: usize, key: &str) {
        let stamp = self.stamp(at);
        self.replicas[at]
            .apply(|m| m.remove(key.to_owned(), stamp))
            .unwrap();
    }

    /// One tick: every replica that is not cut sends what it has to every other that is not,
    /// delivered at once.
    fn tick(&mut self) {
        self.now += 1;
        for r in &mut self.replicas {
            r.on_tick(self.now);
        }
        let n = self.replicas.len();
        for from in 0..n {
            for to in 0..n {
                if from == to
                    || self.cut[from]
                    || self.cut[to]
                    || self.blocked.contains(&(from, to))
                {
                    continue;
                }
                while let Some(bytes) = self.replicas[from].poll_transmit(id(to)) {
                    self.replicas[to].receive(id(from), &bytes).unwrap();
                }
            }
        }
    }

    fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Tombstones held by replica `at`: entries that are not live.
    fn tombstones(&self, at: usize) -> usize {
        self.replicas[at].state().tombstones()
    }
}

#[test]
fn a_replica_cut_off_since_before_a_delete_never_sees_its_key_come_back() {
    let mut mesh = Mesh::new(3, Config::default().with_compact_every(Some(EVERY)));
    mesh.put(0, "k", 1);
    mesh.put(1, "other", 2);
    mesh.run(3);
    assert_eq!(mesh.replicas[2].state().get("k"), Some(&1));

    // Replica 2 is cut off, still holding the put; replica 0 deletes the key. Replica 1
    // writes nothing meanwhile: only the floors its peers sent hold it back.
    mesh.cut[2] = true;
    mesh.delete(0, "k");
    mesh.put(0, "later", 3);
    mesh.run(10 * EVERY);
    let delete = mesh.replicas[0].state().stamp("k").cloned().unwrap();
    for at in 0..2 {
        // The tombstone stays while replica 2 may still hold the older put.
        assert_eq!(
            mesh.tombstones(at),
            1,
            "replica {at} freed the tombstone too early"
        );
        assert!(mesh.replicas[at].stable().is_none_or(|s| *s < delete));
    }

    // Healed: the delete reaches replica 2, then every replica frees the tombstone.
    mesh.cut[2] = false;
    mesh.run(10 * EVERY);
    for at in 0..3 {
        let r = &mesh.replicas[at];
        assert_eq!(
            r.state().get("k"),
            None,
            "replica {at} holds the deleted key"
        );
        assert_eq!(r.state().get("later"), Some(&3));
        assert!(r.stable().is_some_and(|s| *s >= delete), "replica {at}");
    }
    // The greatest stamp stays, tombstone or not: a later write frees the delete's.
    mesh.put(2, "last", 4);
    mesh.run(10 * EVERY);
    for at in 0..3 {
        assert_eq!(
            mesh.tombstones(at),
            0,
            "replica {at} kept a stable tombstone"
        );
        assert_eq!(mesh.replicas[at].state().len(), 3);
    }
    assert!(
        mesh.replicas
            .iter()
            .map(|r| r.stats().compacted)
            .sum::<u64>()
            >= 3
    );
}

#[test]
fn tombstones_stay_bounded_under_churn_and_every_replica_reads_the_same() {
    let churn = |config: Config| {
        let mut mesh = Mesh::new(3, config);
        for round in 0..600_u32 {
            let at = (round % 3) as usize;
            let key = format!("key:{}", round % 97);
            if round % 4 == 3 {
                mesh.delete(at, &key);
            } else {
                mesh.put(at, &key, round);
            }
            mesh.tick();
        }
        mesh.put(0, "last", 0);
        mesh.run(10 * EVERY);
        mesh
    };
    let compacting = churn(Config::default().with_compact_every(Some(EVERY)));
    let keeping = churn(Config::default().with_compact_every(None));
    let live: Vec<_> = keeping.replicas[0].state().iter().collect();
    assert!(keeping.tombstones(0) > 20, "the churn leaves tombstones");
    for at in 0..3 {
        assert_eq!(
            compacting.replicas[at].state().iter().collect::<Vec<_>>(),
            live
        );
        assert_eq!(compacting.tombstones(at), 0, "replica {at}");
        assert_eq!(keeping.tombstones(at), keeping.tombstones(0));
    }
}

#[test]
fn a_removed_peer_no_longer_holds_back_the_stable_stamp() {
    let mut mesh = Mesh::new(3, Config::default().with_compact_every(Some(EVERY)));
    mesh.put(0, "k", 1);
    // Replica 2 is gone for good before it told anything.
    mesh.cut[2] = true;
    mesh.delete(1, "k");
    mesh.put(0, "last", 2);
    mesh.run(10 * EVERY);
    assert_eq!(mesh.replicas[0].stable(), None);
    assert_eq!(mesh.tombstones(0), 1);
    for at in 0..2 {
        mesh.replicas[at].remove_peer(&id(2));
    }
    mesh.run(10 * EVERY);
    for at in 0..2 {
        assert!(mesh.replicas[at].stable().is_some(), "replica {at}");
        assert_eq!(mesh.tombstones(at), 0, "replica {at}");
        assert_eq!(mesh.replicas[at].state().get("k"), None);
    }
}

#[test]
fn a_late_copy_of_an_old_put_never_brings_a_freed_key_back_also_after_a_restart() {
    let mut mesh = Mesh::new(2, Config::default().with_compact_every(Some(EVERY)));
    mesh.put(0, "k", 1);
    mesh.tick();
    // A copy of replica 0's interval carrying the put, as a network may deliver it late.
    let late = {
        // The interval replica 0 sent first: rebuilt from a replica that never heard back.
        let mut first = Replica::with_config(id(0), Kv::new(), Config::default());
        first.add_peer(id(1));
        let stamp = mesh.replicas[0].state().stamp("k").cloned().unwrap();
        first.apply(|m| m.insert("k".to_owned(), 1, stamp)).unwrap();
        first.poll_transmit(id(1)).unwrap()
    };
    mesh.delete(1, "k");
    mesh.run(2);
    // A later write, so that the delete's stamp is not the greatest (which stays).
    mesh.put(0, "last", 2);
    mesh.run(10 * EVERY);
    assert_eq!(mesh.tombstones(1), 0);
    assert_eq!(mesh.replicas[1].state().get("k"), None);

    mesh.replicas[1].receive(id(0), &late).unwrap();
    assert_eq!(
        mesh.replicas[1].state().get("k"),
        None,
        "the freed key came back"
    );

    // Restarted from its compacted state and checkpoint, replica 1 still drops the copy.
    let state = mesh.replicas[1].state().clone();
    let checkpoint: Checkpoint =
        codec::decode(&codec::encode(&mesh.replicas[1].checkpoint()).unwrap()).unwrap();
    assert!(checkpoint.stable.is_some());
    let mut restored = Replica::restore(
        state,
        checkpoint,
        Config::default().with_compact_every(Some(EVERY)),
    )
    .unwrap();
    restored.add_peer(id(0));
    assert_eq!(restored.stable(), mesh.replicas[1].stable());
    // The copy comes from replica 0's first life; as this replica restarted, it is taken.
    restored.receive(id(0), &late).unwrap();
    assert_eq!(restored.state().get("k"), None, "the freed key came back");
}

/// A checkpoint whose stable stamp is damaged is refused: restoring without it would let a
/// late old write bring back a freed key.
#[test]
fn a_checkpoint_with_a_damaged_stable_stamp_is_refused() {
    let mut mesh = Mesh::new(2, Config::default().with_compact_every(Some(EVERY)));
    mesh.put(0, "k", 1);
    mesh.delete(1, "k");
    mesh.put(0, "last", 2);
    mesh.run(10 * EVERY);
    let good = mesh.replicas[1].checkpoint();
    let bytes = good
        .stable
        .clone()
        .expect("the replica reached a stable stamp");
    let state = mesh.replicas[1].state().clone();
    let restored = Replica::restore(state.clone(), good.clone(), Config::default()).unwrap();
    assert_eq!(restored.stable(), mesh.replicas[1].stable());

    let mut flipped = bytes.clone();
    flipped[0] ^= 0x40;
    let damaged = [bytes[..bytes.len() - 1].to_vec(), flipped, vec![0xff; 8]];
    for bad in damaged {
        let mut checkpoint = good.clone();
        checkpoint.stable = Some(bad.clone());
        assert!(
            checkpoint
                .stable_stamp::<LamportTimestamp<ReplicaId>>()
                .is_err()
        );
        let refused = Replica::restore(state.clone(), checkpoint, Config::default());
        assert!(refused.is_err(), "the stable stamp {bad:02x?} was taken");
    }
}

/// In a ring, a replica's peers are not all the others: the floors of its neighbours do not
/// show what the replica across holds. Here replica 2 holds a write stamped above a delete it
/// never received, and its neighbours acknowledged that write, so every floor passes the
/// delete. Were the floors counted, replicas 1 and 3 would free the tombstone and strip the
/// delete they were still to relay to 2, which would keep the key for ever. The members'
/// digests differ, so nothing is freed and all four end equal.
#[test]
fn a_partial_mesh_frees_nothing_and_still_converges() {
    let mut ring = Mesh::ring(4, Config::default().with_compact_every(Some(EVERY)));
    ring.put(0, "k", 1);
    ring.run(10);
    // Replica 2 writes far ahead of the others' clocks; replicas 1 and 3 acknowledge it, but
    // do not pass it on to replica 0 yet.
    let far = LamportTimestamp::new(1_000, id(2));
    ring.replicas[2]
        .apply(|m| m.insert("x".to_owned(), 2, far))
        .unwrap();
    ring.blocked = vec![(1, 0), (3, 0)];
    ring.run(3 * EVERY);
    // Replica 2 is cut off; replica 0, which has not seen the far write, deletes `k` below it.
    ring.cut[2] = true;
    ring.delete(0, "k");
    assert!(ring.replicas[0].state().stamp("k").unwrap() < &far);
    ring.blocked.clear();
    ring.run(20 * EVERY);
    for at in [0, 1, 3] {
        assert!(!ring.replicas[at].members_agree(), "replica {at}");
        assert_eq!(ring.tombstones(at), 1, "replica {at} freed the tombstone");
    }
    ring.cut[2] = false;
    ring.run(20 * EVERY);
    for at in 0..4 {
        assert_eq!(
            ring.replicas[at].state().get("k"),
            None,
            "replica {at} kept `k`"
        );
        assert_eq!(ring.replicas[at].state(), ring.replicas[0].state());
    }
}

/// In a full mesh the members agree once every peer has told its floor; while a new member
/// has not told its floor, nothing written since is freed.
#[test]
fn compaction_waits_for_every_replica_to_list_the_same_members() {
    let mut mesh = Mesh::new(3, Config::default().with_compact_every(Some(EVERY)));
    mesh.put(0, "a", 1);
    mesh.delete(1, "a");
    mesh.put(0, "last", 2);
    mesh.run(10 * EVERY);
    for at in 0..3 {
        assert!(mesh.replicas[at].members_agree(), "replica {at}");
        assert_eq!(mesh.tombstones(at), 0, "replica {at}");
    }
    // Replica 0 learns of a new member first.
    mesh.replicas[0].add_peer(id(3));
    mesh.put(0, "b", 3);
    mesh.delete(1, "b");
    mesh.put(0, "later", 4);
    mesh.run(10 * EVERY);
    assert!(!mesh.replicas[0].members_agree());
    for at in 0..3 {
        assert_eq!(mesh.tombstones(at), 1, "replica {at}");
    }
}
