//! `RedisTransport` against a real `redis-server`: replicas converge through it, lost and
//! garbage stream entries change nothing but the time it takes, a new replica onboards from
//! snapshots with no peer online, and a Redis restart that loses everything still converges.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use std::time::{Duration, Instant};

use common::server::RedisServer;
use common::{Kv, get, set};
use concord_redis::concord_sync::Replica;
use concord_redis::{Config, RedisTransport, ReplicaId, TransportOptions};

type Node = (Replica<Kv>, RedisTransport);

fn node(server: &RedisServer, n: u128) -> Node {
    let id = ReplicaId::from_u128(n);
    let transport =
        RedisTransport::connect(server.client(), "kv", id, TransportOptions::default()).unwrap();
    (Replica::new(id, Kv::new()), transport)
}

/// Pumps every node until their states are equal and `done` holds, or panics after 20 s.
/// Transport errors (Redis restarting) are retried.
fn converge(nodes: &mut [Node], done: impl Fn(&Kv) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        for (replica, transport) in nodes.iter_mut() {
            let _ = transport.pump(replica, Duration::from_millis(2));
        }
        let first = nodes[0].0.state();
        if done(first) && nodes.iter().all(|(r, _)| r.state() == first) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no convergence: {:?}",
            nodes.iter().map(|(r, _)| r.state()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn three_replicas_converge_through_redis() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut nodes: Vec<Node> = (1..=3).map(|n| node(&server, n)).collect();
    for (i, (replica, _)) in nodes.iter_mut().enumerate() {
        let me = replica.id();
        for k in 0..5 {
            replica
                .apply(|kv| set(kv, me, &format!("key-{i}-{k}"), &format!("v{k}")))
                .unwrap();
        }
    }
    // A conflict: all three write the same key concurrently.
    for (replica, _) in &mut nodes {
        let me = replica.id();
        replica
            .apply(|kv| set(kv, me, "shared", &me.to_string()))
            .unwrap();
    }
    converge(&mut nodes, |kv| {
        kv.len() == 16 && get(kv, "shared").len() == 3
    });
    for (replica, transport) in &nodes {
        assert_eq!(transport.members().count(), 2);
        assert!(transport.stats().sent > 0 && transport.stats().received > 0);
        assert_eq!(transport.stats().refused, 0);
        // Every replica can serve every other's last write.
        for (other, _) in &nodes {
            let token = concord_redis::SessionToken::after_write(other.id(), other.writes());
            assert!(replica.can_serve(&token));
        }
    }
}

#[test]
fn lost_stream_entries_are_resent() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut nodes: Vec<Node> = (1..=2).map(|n| node(&server, n)).collect();
    // Both know each other before any write.
    for (replica, transport) in &mut nodes {
        transport.refresh_members(replica).unwrap();
    }
    for (replica, transport) in &mut nodes {
        transport.refresh_members(replica).unwrap();
    }
    let (a, b) = (nodes[0].0.id(), nodes[1].0.id());
    let (replica, transport) = &mut nodes[0];
    replica.apply(|kv| set(kv, a, "x", "1")).unwrap();
    transport.flush(replica).unwrap();
    // Redis loses the message (as a trim would).
    let mut conn = server.conn();
    let inbox = nodes[1].1.keys().inbox(b);
    let len: u64 = redis::cmd("XLEN").arg(&inbox).query(&mut conn).unwrap();
    assert_eq!(len, 1);
    let _: () = redis::cmd("XTRIM")
        .arg(&inbox)
        .arg("MAXLEN")
        .arg(0)
        .query(&mut conn)
        .unwrap();
    converge(&mut nodes, |kv| get(kv, "x") == ["1"]);
    assert!(
        nodes[0].1.stats().sent >= 2,
        "the delta was sent again: {:?}",
        nodes[0].1.stats()
    );
}

#[test]
fn garbage_entries_are_refused_and_counted() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut nodes: Vec<Node> = (1..=2).map(|n| node(&server, n)).collect();
    let (a, b) = (nodes[0].0.id(), nodes[1].0.id());
    let inbox = nodes[1].1.keys().inbox(b);
    let mut conn = server.conn();
    let (member, stranger) = (a.to_string(), ReplicaId::from_u128(99).to_string());
    let junk: [&[&[u8]]; 4] = [
        // No `from`.
        &[b"msg", b"\x01\x02"],
        // A `from` that is not an id.
        &[b"from", b"nobody", b"msg", b"\x01"],
        // A member's id, garbage bytes.
        &[
            b"from",
            member.as_bytes(),
            b"msg",
            b"\xff\xff\xff\xff garbage",
        ],
        // An id that is not a member.
        &[b"from", stranger.as_bytes(), b"msg", b"x"],
    ];
    for fields in junk {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&inbox).arg("*");
        for field in fields {
            cmd.arg(*field);
        }
        let _: String = cmd.query(&mut conn).unwrap();
    }
    // A member id in the set that is not an id at all.
    let _: () = redis::cmd("SADD")
        .arg(nodes[0].1.keys().members())
        .arg("not-an-id")
        .query(&mut conn)
        .unwrap();
    nodes[0].0.apply(|kv| set(kv, a, "x", "1")).unwrap();
    converge(&mut nodes, |kv| get(kv, "x") == ["1"]);
    assert_eq!(nodes[1].1.stats().refused, 4, "{:?}", nodes[1].1.stats());
}

#[test]
fn a_new_replica_onboards_from_snapshots_with_no_peer_online() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut tokens = Vec::new();
    {
        let mut nodes: Vec<Node> = (1..=2).map(|n| node(&server, n)).collect();
        for (replica, _) in &mut nodes {
            let me = replica.id();
            tokens.push(
                replica
                    .apply(|kv| set(kv, me, &me.to_string(), "here"))
                    .unwrap(),
            );
        }
        converge(&mut nodes, |kv| kv.len() == 2);
        // Only the first publishes after the sync; the second publishes what it wrote alone.
        let (replica, transport) = &mut nodes[0];
        transport.publish_snapshot(replica).unwrap();
    } // both go offline
    let id = ReplicaId::from_u128(3);
    let mut transport =
        RedisTransport::connect(server.client(), "kv", id, TransportOptions::default()).unwrap();
    let snapshot = transport.fetch_snapshot::<Kv>().unwrap().unwrap();
    assert_eq!(snapshot.sources.len(), 1);
    let mut replica: Replica<Kv> = transport.onboard(Config::default()).unwrap();
    assert_eq!(replica.state().len(), 2);
    for token in &tokens {
        assert!(
            replica.can_serve(token),
            "the newcomer serves sessions of what it holds"
        );
    }
    // It writes under its own id.
    let token = replica.apply(|kv| set(kv, id, "new", "yes")).unwrap();
    assert_eq!(token.writes_of(&id), 1);
    // A corrupt snapshot is an error naming its key, not a panic.
    let mut conn = server.conn();
    let _: () = redis::cmd("HSET")
        .arg(transport.keys().snapshot(ReplicaId::from_u128(2)))
        .arg("state")
        .arg(b"\x00\x01junk".as_slice())
        .arg("checkpoint")
        .arg(b"junk".as_slice())
        .query(&mut conn)
        .unwrap();
    let error = transport.fetch_snapshot::<Kv>().unwrap_err();
    assert!(error.to_string().contains(":snapshot:"), "{error}");
}

#[test]
fn replicas_converge_after_redis_restarts_empty() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let mut nodes: Vec<Node> = (1..=3).map(|n| node(&server, n)).collect();
    for (replica, _) in &mut nodes {
        let me = replica.id();
        replica
            .apply(|kv| set(kv, me, &format!("before-{me}"), "1"))
            .unwrap();
    }
    converge(&mut nodes, |kv| kv.len() == 3);
    // Writes in flight when Redis dies, and Redis comes back with nothing: no members, no
    // inboxes.
    for (replica, transport) in &mut nodes {
        let me = replica.id();
        replica
            .apply(|kv| set(kv, me, &format!("during-{me}"), "1"))
            .unwrap();
        transport.flush(replica).unwrap();
    }
    server.restart();
    for (replica, _) in &mut nodes {
        let me = replica.id();
        replica
            .apply(|kv| set(kv, me, &format!("after-{me}"), "1"))
            .unwrap();
    }
    converge(&mut nodes, |kv| kv.len() == 9);
    assert!(nodes.iter().all(|(_, t)| t.stats().reconnects >= 1));
}

#[test]
fn an_inbox_of_the_wrong_redis_type_is_an_error() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (mut replica, mut transport) = node(&server, 1);
    let _: () = redis::cmd("SET")
        .arg(transport.keys().inbox(replica.id()))
        .arg("not a stream")
        .query(&mut server.conn())
        .unwrap();
    let error = transport
        .pump(&mut replica, Duration::ZERO)
        .expect_err("a string is not an inbox");
    assert!(error.to_string().contains("reading the inbox"), "{error}");
}

#[test]
fn a_stored_replica_onboards_from_snapshots_and_keeps_them() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let token = {
        let mut nodes: Vec<Node> = (1..=2).map(|n| node(&server, n)).collect();
        let me = nodes[0].0.id();
        let token = nodes[0].0.apply(|kv| set(kv, me, "x", "1")).unwrap();
        converge(&mut nodes, |kv| kv.len() == 1);
        let (replica, transport) = &mut nodes[1];
        transport.publish_snapshot(replica).unwrap();
        token
    };
    let store = concord_redis::RedisStore::open(&server.url()).unwrap();
    let mut transport = RedisTransport::connect(
        server.client(),
        "kv",
        ReplicaId::from_u128(3),
        TransportOptions::default(),
    )
    .unwrap();
    let seed = transport.fetch_snapshot::<Kv>().unwrap().unwrap();
    let options = concord_redis::Options::default();
    let id = {
        let stored = store.replica_from::<Kv>("kv/new", options, seed).unwrap();
        assert!(stored.can_serve(&token));
        stored.id()
    };
    // Reopened, it holds the snapshot's state: it was committed.
    let stored = store.replica::<Kv>("kv/new", options).unwrap();
    assert_eq!(stored.id(), id);
    assert_eq!(get(stored.state(), "x"), ["1"]);
    assert!(stored.can_serve(&token));
}
