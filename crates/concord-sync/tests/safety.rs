//! What the engine refuses: hostile messages change nothing, a replica restarted empty under
//! its old id is refused writes, and catching up after a partition ships about what the peer
//! lacks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use common::{Faults, Workload, World};
use concord_clock::LamportTimestamp;
use concord_core::ReplicaId;
use concord_core::codec::{self, WireType, tag};
use concord_counter::GCounter;
use concord_map::LwwMap;
use concord_set::{LwwElementSet, OrSet};
use concord_sync::{Config, ReceiveError, Replica};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn id(n: u128) -> ReplicaId {
    ReplicaId::from_u128(n)
}

type SetReplica = Replica<OrSet<u32>>;

/// Two replicas of a set with some history, and the messages of `a` to `b` not delivered.
fn pair() -> (SetReplica, SetReplica, Vec<Vec<u8>>) {
    let (a, b) = (id(1), id(2));
    let mut left = Replica::new(a, OrSet::new());
    let mut right = Replica::new(b, OrSet::new());
    left.add_peer(b);
    right.add_peer(a);
    for elem in 0..20 {
        left.apply(|s| s.insert(a, elem).unwrap()).unwrap();
        right.apply(|s| s.insert(b, elem + 100).unwrap()).unwrap();
    }
    let mut pending = Vec::new();
    while let Some(bytes) = left.poll_transmit(b) {
        pending.push(bytes);
    }
    (left, right, pending)
}

/// Everything observable of a replica, to check that a refused message changed nothing.
fn snapshot<T: concord_sync::Syncable + core::fmt::Debug>(replica: &Replica<T>) -> String {
    format!("{replica:?}")
}

#[test]
fn hostile_messages_are_refused_and_change_nothing() {
    let (_, mut right, pending) = pair();
    let valid = pending.first().expect("a message to deliver").clone();
    let before = snapshot(&right);
    let mut rng = ChaCha8Rng::seed_from_u64(7);

    // Random bytes, and random bytes behind a valid envelope header.
    for len in [0usize, 3, 8, 9, 64, 4096] {
        let mut noise = vec![0u8; len];
        noise.iter_mut().for_each(|b| *b = rng.random());
        assert!(matches!(
            right.receive(id(1), &noise),
            Err(ReceiveError::Decode(_))
        ));
        if len > 8 {
            noise[..8].copy_from_slice(&valid[..8]);
            assert!(right.receive(id(1), &noise).is_err());
        }
    }
    // Every truncation of a valid message.
    for cut in 0..valid.len() {
        assert!(
            right.receive(id(1), &valid[..cut]).is_err(),
            "a message cut at {cut} of {} bytes was accepted",
            valid.len()
        );
    }
    // A valid message with one byte flipped either fails or is a valid message (checked by
    // the convergence tests); here it must never panic.
    for at in 0..valid.len() {
        let mut flipped = valid.clone();
        flipped[at] ^= 0x5a;
        let mut scratch = right.clone();
        let _ = scratch.receive(id(1), &flipped);
    }
    // A message from a replica that is not a peer.
    assert_eq!(
        right.receive(id(9), &valid),
        Err(ReceiveError::UnknownPeer(id(9)))
    );
    assert_eq!(snapshot(&right), before);

    // A valid message for another object of the same type.
    let mut other = Replica::with_config(id(1), OrSet::<u32>::new(), Config::for_object(5));
    other.add_peer(id(2));
    other.apply(|s| s.insert(id(1), 1).unwrap()).unwrap();
    let for_other = other.poll_transmit(id(2)).unwrap();
    assert!(matches!(
        right.receive(id(1), &for_other),
        Err(ReceiveError::WrongObject { .. })
    ));
    // A valid message of another CRDT type.
    let mut counter = Replica::new(id(1), GCounter::new());
    counter.add_peer(id(2));
    counter.apply(|c| c.increment(id(1), 3).unwrap()).unwrap();
    let for_counter = counter.poll_transmit(id(2)).unwrap();
    let err = right.receive(id(1), &for_counter).unwrap_err();
    assert!(
        matches!(
            err,
            ReceiveError::WrongObject { .. } | ReceiveError::Decode(_)
        ),
        "{err}"
    );
    assert_eq!(snapshot(&right), before);

    // And the honest message still works afterwards.
    right.receive(id(1), &valid).unwrap();
    assert!(right.state().contains(&0));
}

/// The shape of a message, to forge one that decodes but is inconsistent.
#[derive(serde::Serialize, serde::Deserialize)]
struct Forged {
    object_tag: u16,
    object_version: u16,
    object: u64,
    incarnation: u64,
    ack_incarnation: u64,
    ack: u64,
    floor: Option<()>,
    body: ForgedBody,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum ForgedBody {
    Delta {
        start: u64,
        end: u64,
        frontier: concord_clock::VectorClock<ReplicaId>,
        delta: OrSet<u32>,
    },
}

impl WireType for Forged {
    const TAG: u16 = tag::SYNC_MESSAGE;
    const VERSION: u16 = 5;
    const NAME: &'static str = "forged message";
}

#[test]
fn an_interval_that_ends_before_it_starts_is_refused() {
    let (_, mut right, _) = pair();
    let before = snapshot(&right);
    let forge = |start, end| {
        codec::encode(&Forged {
            object_tag: <OrSet<u32> as WireType>::TAG,
            object_version: <OrSet<u32> as WireType>::VERSION,
            object: 0,
            incarnation: 0,
            ack_incarnation: 0,
            ack: 0,
            floor: None,
            body: ForgedBody::Delta {
                start,
                end,
                frontier: concord_clock::VectorClock::new(),
                delta: OrSet::new(),
            },
        })
        .unwrap()
    };
    for (start, end) in [(5, 4), (0, 3)] {
        assert!(matches!(
            right.receive(id(1), &forge(start, end)),
            Err(ReceiveError::Malformed(_))
        ));
    }
    assert_eq!(snapshot(&right), before);
    // The same shape with a consistent interval is accepted: the forgery is faithful.
    right.receive(id(1), &forge(1, 1)).unwrap();
}

#[test]
fn a_replica_restarted_empty_under_its_old_id_is_refused_writes() {
    let (a, b) = (id(1), id(2));
    let mut left = Replica::new(a, GCounter::new());
    let mut right = Replica::new(b, GCounter::new());
    left.add_peer(b);
    right.add_peer(a);
    for _ in 0..5 {
        left.apply(|c| c.increment(a, 1).unwrap()).unwrap();
    }
    sync(&mut left, &mut right);
    assert_eq!(right.state().value(), 5);

    // `left` crashes and comes back empty, same id, next incarnation.
    let mut reborn =
        Replica::with_config(a, GCounter::new(), Config::default().with_incarnation(1));
    reborn.add_peer(b);
    // Before it hears from anyone it cannot know; once `right` shows it its own history:
    right.apply(|c| c.increment(b, 1).unwrap()).unwrap();
    sync(&mut reborn, &mut right);
    let lost = reborn
        .lost_state()
        .expect("the lost state is detected")
        .clone();
    assert_eq!((lost.id, lost.held, lost.seen, lost.peer), (a, 0, 5, b));
    let refused = reborn.apply(|c| c.increment(a, 1).unwrap());
    assert_eq!(refused, Err(lost.clone()));
    assert!(
        lost.to_string().contains("give the replica a new id"),
        "{lost}"
    );
    // It did receive the state, so nothing of the old history is lost to it.
    assert_eq!(reborn.state().value(), 6);

    // With a fresh id it writes again, and the peers that add the new id converge.
    let fresh = id(3);
    reborn.with_new_id(fresh);
    reborn.add_peer(b);
    right.add_peer(fresh);
    reborn.apply(|c| c.increment(fresh, 10).unwrap()).unwrap();
    sync_as(&mut reborn, fresh, &mut right, b);
    assert_eq!(right.state().value(), 16);
    assert_eq!(reborn.state(), right.state());
}

fn sync<T: concord_sync::Syncable>(x: &mut Replica<T>, y: &mut Replica<T>) {
    let (ix, iy) = (x.id(), y.id());
    sync_as(x, ix, y, iy);
}

/// Delivers messages both ways on a perfect link until both sides are quiet.
fn sync_as<T: concord_sync::Syncable>(
    x: &mut Replica<T>,
    ix: ReplicaId,
    y: &mut Replica<T>,
    iy: ReplicaId,
) {
    for _ in 0..100 {
        let mut moved = false;
        while let Some(bytes) = x.poll_transmit(iy) {
            y.receive(ix, &bytes).unwrap();
            moved = true;
        }
        while let Some(bytes) = y.poll_transmit(ix) {
            x.receive(iy, &bytes).unwrap();
            moved = true;
        }
        if !moved {
            return;
        }
    }
    panic!("the link never went quiet");
}

/// A replica cut off while the others write 400 times, behind the truncated log, is caught up
/// with at most twice the bytes of what it lacks.
fn catch_up_after_a_partition_ships_at_most_twice_what_the_peer_lacks<T: Workload>() {
    // A small log, so the partitioned replica falls behind its truncated part.
    let config = Config::default().with_max_log(16);
    let mut world = World::<T>::new(3, 4, Faults::NONE, config);
    for _ in 0..50 {
        let at = world.rng.random_range(0..4);
        world.write_at(at);
        world.step(0.0);
    }
    assert!(world.settle(1_000));
    let before = world.received_bytes[3];
    let writes_before = world.write_count();
    let reference_before = world.reference.clone();

    world.cut_off_for(3, 400);
    for _ in 0..400 {
        let at = world.rng.random_range(0..3);
        world.write_at(at);
        world.step(0.0);
    }
    // What replica 3 lacks: the part of the final state new to it (the join of the writes
    // made meanwhile is larger: its context lists every dot one by one).
    let lacks = reference_before.novel(&world.reference).unwrap_or_default();
    let lacks_bytes = codec::encode(&lacks).unwrap().len() as u64;
    let writes_bytes = codec::encode(&world.join_of_writes_from(writes_before))
        .unwrap()
        .len();

    assert!(world.settle(2_000));
    let shipped = world.received_bytes[3] - before;
    println!(
        "catch-up, {}: replica 3 lacked {lacks_bytes} bytes (the writes it missed joined: \
         {writes_bytes}) and received {shipped} bytes ({:.2}x)",
        core::any::type_name::<T>(),
        shipped as f64 / lacks_bytes as f64
    );
    assert!(
        shipped <= 2 * lacks_bytes,
        "catch-up shipped {shipped} bytes for {lacks_bytes} bytes lacked"
    );
}

#[test]
fn catch_up_of_an_or_set_ships_at_most_twice_what_the_peer_lacks() {
    catch_up_after_a_partition_ships_at_most_twice_what_the_peer_lacks::<OrSet<u64>>();
}

#[test]
fn catch_up_of_an_lww_map_ships_at_most_twice_what_the_peer_lacks() {
    catch_up_after_a_partition_ships_at_most_twice_what_the_peer_lacks::<
        LwwMap<String, u32, LamportTimestamp<ReplicaId>>,
    >();
}

#[test]
fn catch_up_of_an_lww_set_ships_at_most_twice_what_the_peer_lacks() {
    catch_up_after_a_partition_ships_at_most_twice_what_the_peer_lacks::<
        LwwElementSet<u32, LamportTimestamp<ReplicaId>>,
    >();
}

#[test]
fn a_replica_restored_from_its_checkpoint_writes_on_under_its_id() {
    let (a, b) = (id(1), id(2));
    let mut left = Replica::new(a, OrSet::<u32>::new());
    let mut right = Replica::new(b, OrSet::<u32>::new());
    left.add_peer(b);
    right.add_peer(a);
    for elem in 0..10 {
        left.apply(|s| s.insert(a, elem).unwrap()).unwrap();
    }
    sync(&mut left, &mut right);
    // What a durable store kept, through the codec, and a crash that loses the rest.
    let saved_state = codec::encode(left.state()).unwrap();
    let saved = codec::encode(&left.checkpoint()).unwrap();
    let token = left.apply(|s| s.insert(a, 99).unwrap()).unwrap();
    drop(left);

    let mut back: Replica<OrSet<u32>> = Replica::restore(
        codec::decode(&saved_state).unwrap(),
        codec::decode(&saved).unwrap(),
        Config::default(),
    )
    .unwrap();
    assert_eq!(back.config().incarnation, 1);
    back.add_peer(b);
    // The write after the checkpoint was lost with the crash before it left the replica (a
    // durable store commits before it acknowledges, so this is a write never acknowledged):
    // its session token is not served. Had a peer received it, that peer's frontier would
    // count it and the restored replica would be refused writes (the test above).
    assert!(!back.can_serve(&token));
    back.apply(|s| s.insert(a, 10).unwrap()).unwrap();
    sync(&mut back, &mut right);
    assert!(back.lost_state().is_none());
    assert_eq!(back.state(), right.state());
    assert_eq!(right.state().len(), 11);
}

/// A replica with five writes synced to its peer, a sixth committed durably but never sent,
/// and the state and checkpoint a durable store kept, through the codec.
fn crashed_with_an_unsent_write() -> (Replica<GCounter>, Vec<u8>, Vec<u8>) {
    let (a, b) = (id(1), id(2));
    let mut left = Replica::new(a, GCounter::new());
    let mut right = Replica::new(b, GCounter::new());
    left.add_peer(b);
    right.add_peer(a);
    for _ in 0..5 {
        left.apply(|c| c.increment(a, 1).unwrap()).unwrap();
        sync(&mut left, &mut right);
    }
    left.apply(|c| c.increment(a, 100).unwrap()).unwrap();
    let state = codec::encode(left.state()).unwrap();
    let checkpoint = codec::encode(&left.checkpoint()).unwrap();
    (right, state, checkpoint)
}

fn restored(state: &[u8], checkpoint: &[u8]) -> Replica<GCounter> {
    let mut back = Replica::restore(
        codec::decode(state).unwrap(),
        codec::decode(checkpoint).unwrap(),
        Config::default(),
    )
    .unwrap();
    back.add_peer(id(2));
    back
}

#[test]
fn a_restored_replica_ignores_acknowledgements_of_its_previous_life() {
    let (mut right, state, checkpoint) = crashed_with_an_unsent_write();
    let mut back = restored(&state, &checkpoint);
    // The peer has not heard of the restart: its next message acknowledges positions of the
    // old log, which the restored replica never wrote in this life. That is no lost state.
    right.apply(|c| c.increment(id(2), 1).unwrap()).unwrap();
    while let Some(bytes) = right.poll_transmit(id(1)) {
        back.receive(id(2), &bytes).unwrap();
    }
    assert_eq!(back.lost_state(), None);
    back.apply(|c| c.increment(id(1), 1).unwrap()).unwrap();
    sync(&mut back, &mut right);
    assert_eq!(back.lost_state(), None);
    assert_eq!(back.state(), right.state());
    assert_eq!(right.state().value(), 107);
}

#[test]
fn a_restored_replica_ships_the_writes_its_peers_had_not_received() {
    let (mut right, state, checkpoint) = crashed_with_an_unsent_write();
    let mut back = restored(&state, &checkpoint);
    // No new write after the restart: the committed write that never left must still arrive.
    sync(&mut back, &mut right);
    assert_eq!(right.state().value(), 105);
    assert_eq!(back.state(), right.state());
    assert_eq!(back.lost_state(), None);
}

#[test]
fn a_new_id_ships_what_the_old_one_had_not_sent_and_ignores_old_acknowledgements() {
    let (mut right, state, checkpoint) = crashed_with_an_unsent_write();
    let mut back = restored(&state, &checkpoint);
    let incarnation = back.config().incarnation;
    let fresh = id(3);
    back.with_new_id(fresh);
    assert_eq!(back.config().incarnation, incarnation + 1);
    right.add_peer(fresh);
    // The peer still talks to the old id first, acknowledging the old log.
    right.apply(|c| c.increment(id(2), 1).unwrap()).unwrap();
    while let Some(bytes) = right.poll_transmit(id(1)) {
        back.receive(id(2), &bytes).unwrap();
    }
    assert_eq!(back.lost_state(), None);
    sync_as(&mut back, fresh, &mut right, id(2));
    assert_eq!(right.state().value(), 106);
    assert_eq!(back.state(), right.state());
}

/// A replica's state never holds a write its frontier does not count: a read shows the state
/// and hands out the frontier as the session's token, so a write shown but not counted could
/// be missing from the next read elsewhere (a monotonic-read violation). Here `b` restarts,
/// and `a`, which has not heard of the restart, goes on with its interval where `b`'s previous
/// life acknowledged it: after a gap in what the restored `b` has received.
#[test]
fn an_interval_after_a_gap_is_not_merged_without_its_frontier() {
    let (a, b) = (id(1), id(2));
    let mut left = Replica::new(a, GCounter::new());
    let mut right = Replica::new(b, GCounter::new());
    left.add_peer(b);
    right.add_peer(a);
    left.apply(|s| s.increment(a, 1).unwrap()).unwrap();
    sync(&mut left, &mut right);
    let checkpoint = right.checkpoint();
    let mut right = Replica::restore(right.state().clone(), checkpoint, Config::default()).unwrap();
    right.add_peer(a);
    left.apply(|s| s.increment(a, 10).unwrap()).unwrap();
    // What `b` shows of `a` must be what its frontier counts: 1 after one write, 11 after two.
    let shown = |r: &Replica<GCounter>| [0, 1, 11][r.frontier().get(&a).min(2) as usize];
    let mut gaps = 0;
    for _ in 0..20 {
        while let Some(bytes) = left.poll_transmit(b) {
            let before = right.frontier().clone();
            right.receive(a, &bytes).unwrap();
            gaps += u64::from(*right.frontier() == before);
            assert_eq!(
                right.state().get(&a),
                shown(&right),
                "{:?}",
                right.frontier()
            );
        }
        while let Some(bytes) = right.poll_transmit(a) {
            left.receive(b, &bytes).unwrap();
        }
    }
    assert!(gaps > 0, "no message came without moving the frontier");
    assert_eq!(right.state().get(&a), 11, "b was never caught up");
}

/// A relaying replica leaves out of an interval the writes that came from the peer it goes
/// to, also right after joining the same positions for another peer.
#[test]
fn a_relayed_interval_leaves_out_the_writes_of_the_peer_it_goes_to() {
    let (a, b, c) = (id(1), id(2), id(3));
    let relay = Config::default().with_relay(true);
    let mut hub: SetReplica = Replica::with_config(a, OrSet::new(), relay);
    let mut writer: SetReplica = Replica::with_config(b, OrSet::new(), relay);
    hub.add_peer(b);
    hub.add_peer(c);
    writer.add_peer(a);
    for elem in 0..50 {
        writer.apply(|s| s.insert(b, elem).unwrap()).unwrap();
    }
    while let Some(bytes) = writer.poll_transmit(a) {
        hub.receive(b, &bytes).unwrap();
    }
    assert_eq!(hub.state().len(), 50);
    let to_c = hub.poll_transmit(c).expect("the relayed writes go to c");
    let to_b = hub.poll_transmit(b).expect("b is owed an acknowledgement");
    assert!(
        to_b.len() * 10 < to_c.len(),
        "the interval to b carries b's own writes: {} bytes, {} to c",
        to_b.len(),
        to_c.len()
    );
}
