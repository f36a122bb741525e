//! The source article's monotonic-read client against the session-token client, on one
//! script against real servers: a primary and two read replicas (`--replicaof`).
//!
//! The article's client (`MonotonicRedisClient`, rebuilt here as [`TimestampClient`]) writes
//! each value with a microsecond wall-clock timestamp as its version, remembers the greatest
//! version it wrote or read, and reads from the first replica whose version is at least that.
//! The token client ([`concord_redis::SessionClient`]) writes through a stored replica on the
//! primary and carries a `SessionToken`.
//!
//! The script: write `v1`; every replica has it; replica 0 falls behind (detached from the
//! primary, still readable); the writer's clock steps back (an NTP correction, or a failover
//! to a host whose clock is behind); write `v2`; replica 1 has it; read twice, trying replica 0
//! first. A read must never return a value older than one the client wrote or read before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use std::time::Duration;

use common::server::RedisServer;
use common::{Kv, get, set};
use concord_redis::{Lag, Options, RedisReplica, RedisStore, SessionClient, SessionError};

/// A primary and two replicas of it.
struct Cluster {
    primary: RedisServer,
    replicas: [RedisServer; 2],
}

impl Cluster {
    fn start() -> Option<Self> {
        let primary = RedisServer::start()?;
        let replicas = [
            RedisServer::replica_of(&primary),
            RedisServer::replica_of(&primary),
        ];
        Some(Self { primary, replicas })
    }

    /// Waits until `n` replicas hold every write the primary took so far. (Not `WAIT`, which
    /// counts only the writes of its own connection, and the clients write on theirs.)
    fn wait_replicas(&self, n: usize) {
        let mut conn = self.primary.conn();
        let info = |conn: &mut redis::Connection| -> String {
            redis::cmd("INFO").arg("replication").query(conn).unwrap()
        };
        let target: u64 = info(&mut conn)
            .lines()
            .find_map(|l| l.trim().strip_prefix("master_repl_offset:"))
            .unwrap()
            .parse()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            // Lines `slave0:ip=127.0.0.1,port=...,state=online,offset=884,lag=0`.
            let caught_up = info(&mut conn)
                .lines()
                .filter(|l| l.starts_with("slave") && l.contains("state=online"))
                .filter_map(|l| l.split(',').find_map(|f| f.strip_prefix("offset=")))
                .filter_map(|offset| offset.trim().parse::<u64>().ok())
                .filter(|offset| *offset >= target)
                .count();
            if caught_up >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {caught_up} replicas reached offset {target}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// What the script needs of a client.
trait Client {
    /// Writes `value` under key `k` on the primary, at wall-clock time `now_micros` (which
    /// the token client ignores).
    fn write(&mut self, value: &str, now_micros: u64);
    /// Reads key `k` from the replicas, replica 0 first.
    fn read(&mut self) -> String;
}

/// The article's client: versions are the writer's wall clock in microseconds.
struct TimestampClient {
    primary: redis::Connection,
    replicas: Vec<redis::Connection>,
    /// The greatest version written or read.
    last_seen: u64,
}

impl Client for TimestampClient {
    fn write(&mut self, value: &str, now_micros: u64) {
        let _: () = redis::cmd("HSET")
            .arg("k")
            .arg("value")
            .arg(value)
            .arg("version")
            .arg(now_micros)
            .query(&mut self.primary)
            .unwrap();
        self.last_seen = self.last_seen.max(now_micros);
    }

    fn read(&mut self) -> String {
        let mut seen = Vec::new();
        for conn in self
            .replicas
            .iter_mut()
            .chain(std::iter::once(&mut self.primary))
        {
            let (value, version): (Option<String>, Option<u64>) = redis::cmd("HMGET")
                .arg("k")
                .arg("value")
                .arg("version")
                .query(conn)
                .unwrap();
            seen.push((value.clone(), version));
            if let (Some(value), Some(version)) = (value, version)
                && version >= self.last_seen
            {
                self.last_seen = version;
                return value;
            }
        }
        panic!(
            "no server has a version at least {}: {seen:?}",
            self.last_seen
        );
    }
}

/// The token client: a stored replica on the primary for writes, a session over the replicas.
struct TokenClient {
    writer: RedisReplica<Kv>,
    session: SessionClient,
}

impl Client for TokenClient {
    fn write(&mut self, value: &str, _now_micros: u64) {
        let me = self.writer.id();
        self.session
            .write(&mut self.writer, |kv| set(kv, me, "k", value))
            .unwrap();
    }

    fn read(&mut self) -> String {
        let read = self.session.read::<Kv>("kv").unwrap();
        let versions = get(&read.state, "k");
        assert_eq!(versions.len(), 1, "one writer, one version: {versions:?}");
        versions[0].clone()
    }
}

/// The number in a value `v<n>`: the write's place in the script.
fn order(value: &str) -> u32 {
    value.trim_start_matches('v').parse().unwrap()
}

/// Runs the script; returns the values read, and every read that went backwards (older than
/// the latest value written or read before it).
fn script(
    cluster: &Cluster,
    client: &mut dyn Client,
    clock_steps_back: bool,
) -> (Vec<String>, Vec<String>) {
    let mut newest = 0;
    let mut reads = Vec::new();
    let mut backwards = Vec::new();
    let mut read = |client: &mut dyn Client, newest: &mut u32| {
        let value = client.read();
        if order(&value) < *newest {
            backwards.push(format!("read {value} after v{newest}"));
        }
        *newest = (*newest).max(order(&value));
        reads.push(value);
    };
    let mut clock = 1_700_000_000_000_000u64;
    client.write("v1", clock);
    newest = newest.max(1);
    cluster.wait_replicas(2);
    read(client, &mut newest);
    cluster.replicas[0].detach();
    clock = if clock_steps_back {
        clock - 2_000_000
    } else {
        clock + 1_000
    };
    client.write("v2", clock);
    newest = newest.max(2);
    cluster.wait_replicas(1);
    read(client, &mut newest);
    read(client, &mut newest);
    (reads, backwards)
}

fn timestamp_client(cluster: &Cluster) -> TimestampClient {
    TimestampClient {
        primary: cluster.primary.conn(),
        replicas: cluster.replicas.iter().map(RedisServer::conn).collect(),
        last_seen: 0,
    }
}

fn token_client(cluster: &Cluster) -> TokenClient {
    let store = RedisStore::open(&cluster.primary.url()).unwrap();
    let writer = store.replica::<Kv>("kv", Options::default()).unwrap();
    let servers: Vec<redis::Client> = cluster.replicas.iter().map(RedisServer::client).collect();
    let session = SessionClient::new(&servers, "concord");
    TokenClient { writer, session }
}

#[test]
fn timestamps_go_backwards_when_the_writers_clock_steps_back() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut client = timestamp_client(&cluster);
    let (reads, backwards) = script(&cluster, &mut client, true);
    assert_eq!(
        reads,
        ["v1", "v1", "v1"],
        "the stale replica's v1 looks newer than v2"
    );
    assert_eq!(backwards, ["read v1 after v2", "read v1 after v2"]);
}

#[test]
fn timestamps_hold_while_the_clock_does() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut client = timestamp_client(&cluster);
    let (reads, backwards) = script(&cluster, &mut client, false);
    assert_eq!(reads, ["v1", "v2", "v2"]);
    assert!(backwards.is_empty(), "{backwards:?}");
}

#[test]
fn tokens_never_go_backwards() {
    for clock_steps_back in [true, false] {
        let Some(cluster) = Cluster::start() else {
            return;
        };
        let mut client = token_client(&cluster);
        let (reads, backwards) = script(&cluster, &mut client, clock_steps_back);
        assert_eq!(reads, ["v1", "v2", "v2"]);
        assert!(backwards.is_empty(), "{backwards:?}");
        // The stale replica was skipped, not read.
        assert_eq!(client.session.skipped(), 2);
        // Once it catches up it serves again.
        cluster.replicas[0].attach(&cluster.primary);
        let read = client.session.read::<Kv>("kv").unwrap();
        assert_eq!(read.server, 0);
        assert_eq!(get(&read.state, "k"), ["v2"]);
    }
}

#[test]
fn a_read_no_replica_can_serve_waits_then_says_what_is_missing() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let store = RedisStore::open(&cluster.primary.url()).unwrap();
    let mut writer = store.replica::<Kv>("kv", Options::default()).unwrap();
    let me = writer.id();
    let mut session = SessionClient::new(&[cluster.replicas[0].client()], "concord")
        .with_wait(Duration::from_millis(200));
    session
        .write(&mut writer, |kv| set(kv, me, "k", "v1"))
        .unwrap();
    cluster.wait_replicas(2);
    cluster.replicas[0].detach();
    session
        .write(&mut writer, |kv| set(kv, me, "k", "v2"))
        .unwrap();
    match session.read::<Kv>("kv") {
        Err(SessionError::NotCaughtUp { behind }) => match &behind[..] {
            [Lag::Behind(lack)] => assert_eq!(lack.missing, [(me, 2, 1)]),
            other => panic!("expected one server behind, got {other:?}"),
        },
        other => panic!("expected NotCaughtUp, got {other:?}"),
    }
    // The replica catches up while the read waits.
    let mut session = session.with_wait(Duration::from_secs(10));
    let read = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            cluster.replicas[0].attach(&cluster.primary);
        });
        session.read::<Kv>("kv").unwrap()
    });
    assert_eq!(get(&read.state, "k"), ["v2"]);
}

#[test]
fn a_replica_that_is_down_or_corrupt_is_skipped() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let mut client = token_client(&cluster);
    client.write("v1", 0);
    cluster.wait_replicas(2);
    // Replica 0 dies: the read goes to replica 1.
    cluster.replicas[0].kill();
    assert_eq!(client.read(), "v1");
    // Replica 1's copy is damaged behind Redis's back (detached first, so the primary's
    // stream does not repair it): with replica 0 still down, no server can serve.
    cluster.replicas[1].detach();
    let keys = concord_redis::Keys::new("concord", "kv");
    let _: () = redis::cmd("SET")
        .arg(keys.store("snapshot"))
        .arg(b"junk".as_slice())
        .query(&mut cluster.replicas[1].conn())
        .unwrap();
    let mut session = SessionClient::new(
        &[cluster.replicas[0].client(), cluster.replicas[1].client()],
        "concord",
    )
    .with_wait(Duration::from_millis(100));
    match session.read::<Kv>("kv") {
        Err(SessionError::NotCaughtUp { behind }) => match &behind[..] {
            [Lag::Failed(down), Lag::Failed(corrupt)] => {
                assert!(down.to_string().contains("read server 0"), "{down}");
                assert!(
                    matches!(corrupt, concord_redis::StoreError::Corrupt { .. }),
                    "{corrupt}"
                );
            }
            other => panic!("expected two failures, got {other:?}"),
        },
        other => panic!("expected NotCaughtUp, got {other:?}"),
    }
    // Replica 0 comes back (empty, then synced from the primary) and serves again.
    cluster.replicas[0].restart();
    cluster.replicas[0].wait_synced();
    let read = session.read::<Kv>("kv").unwrap();
    assert_eq!(
        (read.server, get(&read.state, "k")),
        (0, vec!["v1".to_owned()])
    );
}
