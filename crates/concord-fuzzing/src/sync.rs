//! The sync rows: bytes delivered to a `concord_sync::Replica`.
//!
//! Each row replicates one type between two peers, `a` and `b`: `sync_replica` an `OrSet<u8>`
//! (with `ReplicaId` actors), `sync_lww_map` an `LwwMap<u8, u8, LamportTimestamp<ReplicaId>>`
//! whose replicas compact their tombstones every few ticks and keep a short log, so that
//! catch-up from summaries, stamped floors and the stable stamp run under damage too. Every
//! delivery, whatever the bytes, must return without panicking and allocate within a bound; a
//! refused message must leave the replica exactly as it was (its `Debug` output, which shows
//! the state, log, peers and counters), and an accepted one must leave a state that re-encodes
//! and decodes to itself and holds the part of the delta `receive` returned.

use std::fmt;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use concord_clock::{LamportClock, LamportTimestamp};
use concord_core::ReplicaId;
use concord_core::codec;
use concord_map::LwwMap;
use concord_set::OrSet;
use concord_sync::{Config, Replica, Syncable};

use crate::{AllocationMeter, Outcome, allocation_bound};

/// The `sync_replica` row's type: small elements, so histories revisit them.
pub(crate) type Set = OrSet<u8>;

/// The `sync_lww_map` row's type: 16 keys of 16 values (see [`Synced::write`]).
pub(crate) type Map = LwwMap<u8, u8, LamportTimestamp<ReplicaId>>;

/// A local write of a history, on an element: what it means is the type's
/// ([`Synced::write`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Write {
    Insert(u8),
    Remove(u8),
}

/// What a sync row needs of its type beyond the engine's bounds.
pub(crate) trait Synced: Syncable + fmt::Debug + Send + Sync + 'static {
    /// The configuration of both peers.
    fn config() -> Config;

    /// Runs `write` at `replica`, the peer `at`.
    fn write(replica: &mut Replica<Self>, at: usize, write: Write);

    /// The fixed world of the `_decode` check, built once ([`build_world`]).
    fn world() -> &'static World<Self>;
}

/// Whether two settled peers hold the same state, up to the tombstones either may have freed:
/// those at or below the greater of their stable stamps, which every replica has passed.
fn same<T: Synced>(left: &Replica<T>, right: &Replica<T>) -> bool {
    let Some(stable) = left.stable().max(right.stable()) else {
        return left.state() == right.state();
    };
    let (mut x, mut y) = (left.state().clone(), right.state().clone());
    x.compact_stable(stable);
    y.compact_stable(stable);
    x == y
}

impl Synced for Set {
    fn config() -> Config {
        Config::default()
    }

    fn write(replica: &mut Replica<Self>, at: usize, write: Write) {
        match write {
            Write::Insert(elem) => {
                let _ = replica.try_apply(|s| s.insert(peer(at), elem));
            }
            Write::Remove(elem) => {
                let _ = replica.apply(|s| s.remove(&elem));
            }
        }
    }

    fn world() -> &'static World<Self> {
        static WORLD: OnceLock<World<Set>> = OnceLock::new();
        WORLD.get_or_init(build_world)
    }
}

/// Log entries an `LwwMap` replica keeps: few, so a peer falls behind the log and is caught
/// up from its summary.
const LWW_MAX_LOG: usize = 4;

/// Ticks between an `LwwMap` replica's compactions.
const LWW_COMPACT_EVERY: u64 = 5;

impl Synced for Map {
    fn config() -> Config {
        Config::default()
            .with_max_log(LWW_MAX_LOG)
            .with_compact_every(Some(LWW_COMPACT_EVERY))
    }

    /// Key `elem >> 4`, value `elem & 15`, so writes of both peers conflict; stamped by the
    /// writer's Lamport clock past the greatest stamp it holds, as the engine requires.
    fn write(replica: &mut Replica<Self>, at: usize, write: Write) {
        let mut clock = LamportClock::new(peer(at));
        if let Some(seen) = replica.state().max_stamp()
            && clock.observe(seen).is_err()
        {
            return;
        }
        let Ok(stamp) = clock.tick() else {
            return;
        };
        match write {
            Write::Insert(elem) => {
                let _ = replica.apply(|m| m.insert(elem >> 4, elem & 15, stamp));
            }
            Write::Remove(elem) => {
                let _ = replica.apply(|m| m.remove(elem >> 4, stamp));
            }
        }
    }

    fn world() -> &'static World<Self> {
        static WORLD: OnceLock<World<Map>> = OnceLock::new();
        WORLD.get_or_init(build_world)
    }
}

/// The two peers: `a` sends, `b` receives in the `_decode` check.
const PEERS: [ReplicaId; 2] = [ReplicaId::from_u128(1), ReplicaId::from_u128(2)];

/// Peer `index % 2`.
const fn peer(index: usize) -> ReplicaId {
    if index.is_multiple_of(2) {
        PEERS[0]
    } else {
        PEERS[1]
    }
}

/// A replica that is no peer of either.
const STRANGER: ReplicaId = ReplicaId::from_u128(9);

/// A replica of `T` at peer `index`, with `T`'s configuration, the other peer its peer.
fn replica<T: Synced>(index: usize) -> Replica<T> {
    let mut replica = Replica::with_config(peer(index), T::default(), T::config());
    replica.add_peer(peer(index + 1));
    replica
}

/// A fixed world: `b` after some history with `a`, and the messages of `a` to `b` that were
/// not delivered yet: a delta interval and an acknowledgement, each acknowledging more of
/// `b`'s log than `b` knows `a` holds (so a refused message that still took its
/// acknowledgement shows).
pub(crate) struct World<T: Synced> {
    receiver: Replica<T>,
    pending: Vec<Vec<u8>>,
}

fn build_world<T: Synced>() -> World<T> {
    let (a, b) = (peer(0), peer(1));
    let mut left = replica::<T>(0);
    let mut right = replica::<T>(1);
    // Some history both sides hold, and writes of `a` that `b` has not received.
    for elem in 0..6u8 {
        T::write(&mut left, 0, Write::Insert(elem));
        T::write(&mut right, 1, Write::Insert(elem.wrapping_add(100)));
    }
    for _ in 0..4 {
        exchange(&mut left, &mut right);
    }
    T::write(&mut left, 0, Write::Remove(2));
    T::write(&mut left, 0, Write::Insert(7));
    T::write(&mut right, 1, Write::Insert(7));
    // `b`'s news reach `a`, so `a`'s next messages acknowledge what `b` does not know
    // `a` holds: a delta interval, then, after another write of `b`, an acknowledgement.
    let mut pending = Vec::new();
    for round in 0..2 {
        if round == 1 {
            // `b` resends its interval, now with the new write; `a`'s own interval is
            // not due yet, so it answers with an acknowledgement alone.
            T::write(&mut right, 1, Write::Insert(8));
            right.on_tick(1_000);
        }
        while let Some(bytes) = right.poll_transmit(a) {
            let _ = left.receive(b, &bytes);
        }
        while let Some(bytes) = left.poll_transmit(b) {
            pending.push(bytes);
        }
    }
    World {
        receiver: right,
        pending,
    }
}

/// Delivers everything each side has for the other, once each way.
fn exchange<T: Synced>(x: &mut Replica<T>, y: &mut Replica<T>) {
    let (ix, iy) = (x.id(), y.id());
    while let Some(bytes) = x.poll_transmit(iy) {
        let _ = y.receive(ix, &bytes);
    }
    while let Some(bytes) = y.poll_transmit(ix) {
        let _ = x.receive(iy, &bytes);
    }
}

/// The most one delivery may allocate: as much as decoding the message and the receiver's
/// state (the delta is decoded, its new part computed, merged into the state and logged).
fn receive_bound<T: Synced>(replica: &Replica<T>, len: usize) -> Result<usize, String> {
    let state = codec::encode(replica.state()).map_err(|e| format!("encoding the state: {e}"))?;
    Ok(allocation_bound(len.saturating_add(state.len())))
}

/// Delivers `bytes` from `from` to `replica` and checks what the module documentation says.
/// Returns whether the message was accepted.
fn deliver<T: Synced>(
    replica: &mut Replica<T>,
    from: ReplicaId,
    bytes: &[u8],
    meter: &dyn AllocationMeter,
) -> Result<bool, String> {
    let before = format!("{replica:?}");
    let bound = receive_bound(replica, bytes.len())?;
    let (live, total) = (meter.live(), meter.total_allocated());
    meter.set_limit(live.saturating_add(bound));
    let received = replica.receive(from, bytes);
    meter.set_limit(usize::MAX);
    let used = meter.total_allocated().wrapping_sub(total);
    if used > bound {
        return Err(format!(
            "receiving {} bytes allocated {used} bytes, above the bound of {bound} \
             ({received:?}); input: {bytes:02x?}",
            bytes.len()
        ));
    }
    match received {
        Err(refused) => {
            let after = format!("{replica:?}");
            if after != before {
                return Err(format!(
                    "a refused message ({refused}) changed the replica\nbefore: {before}\n\
                     after: {after}\ninput: {bytes:02x?}"
                ));
            }
            Ok(false)
        }
        Ok(novel) => {
            let state = replica.state();
            let fail = |what: String| format!("{what}; input: {bytes:02x?}; state: {state:?}");
            let once = codec::encode(state).map_err(|e| fail(format!("encoding: {e}")))?;
            let back = codec::decode::<T>(&once).map_err(|e| fail(format!("decoding: {e}")))?;
            if back != *state {
                return Err(fail(format!("the state decodes to {back:?}")));
            }
            if let Some(novel) = novel {
                let mut joined = state.clone();
                joined.merge(&novel);
                if joined != *state {
                    return Err(fail(format!("the new part {novel:?} is not in the state")));
                }
            }
            Ok(true)
        }
    }
}

/// The `_decode` check of a sync row: `data` delivered to the fixed world's receiver, from its
/// peer.
///
/// # Errors
///
/// A report of the first failure, with the input.
pub(crate) fn receive<T: Synced>(data: &[u8], meter: &dyn AllocationMeter) -> Outcome {
    let mut replica = T::world().receiver.clone();
    deliver(&mut replica, peer(0), data, meter).map(|_| ())
}

/// The seeds of a sync row's `_decode` target: the fixed world's pending messages, which the
/// receiver accepts.
#[must_use]
pub(crate) fn messages<T: Synced>() -> Vec<Vec<u8>> {
    T::world().pending.clone()
}

/// How a message is damaged on its way.
#[derive(Arbitrary, Debug)]
enum Damage {
    /// Delivered as sent.
    None,
    /// One byte xor-ed with a mask.
    Flip { at: u16, mask: u8 },
    /// Cut short.
    Truncate { at: u16 },
    /// One byte inserted.
    Insert { at: u16, byte: u8 },
    /// One byte removed.
    Remove { at: u16 },
    /// Its tail replaced by the tail of another message in flight.
    Splice { other: u8, at: u16 },
    /// Delivered as coming from a replica that is no peer.
    Stranger,
}

/// One step of a history of the two peers.
#[derive(Arbitrary, Debug)]
enum Step {
    /// A local insert at peer `at % 2`.
    Insert { at: u8, elem: u8 },
    /// A local remove at peer `at % 2`.
    Remove { at: u8, elem: u8 },
    /// Peer `from % 2` hands over everything it has to send to the other.
    Send { from: u8 },
    /// A message in flight is delivered, perhaps damaged, and kept in flight if `again`.
    Deliver {
        index: u8,
        damage: Damage,
        again: bool,
    },
    /// Time passes at both peers.
    Tick { by: u8 },
}

/// `at` as an index into `len` bytes (`len` itself allowed: the end).
fn offset(at: u16, len: usize) -> usize {
    usize::from(at) % len.saturating_add(1)
}

fn damage(bytes: &[u8], how: &Damage, in_flight: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match *how {
        Damage::None | Damage::Stranger => {}
        Damage::Flip { at, mask } => {
            let at = offset(at, out.len());
            if let Some(byte) = out.get_mut(at) {
                *byte ^= mask;
            }
        }
        Damage::Truncate { at } => out.truncate(offset(at, bytes.len())),
        Damage::Insert { at, byte } => out.insert(offset(at, out.len()), byte),
        Damage::Remove { at } => {
            let at = offset(at, out.len());
            if at < out.len() {
                out.remove(at);
            }
        }
        Damage::Splice { other, at } => {
            if let Some((_, tail)) = in_flight.get(usize::from(other) % in_flight.len().max(1)) {
                let at = offset(at, out.len().min(tail.len()));
                out.truncate(at);
                out.extend(tail.iter().skip(at));
            }
        }
    }
    out
}

/// Delivers everything in flight both ways until neither peer has anything to say; false if
/// they never go quiet.
fn settle<T: Synced>(
    replicas: &mut [Replica<T>; 2],
    now: &mut u64,
    meter: &dyn AllocationMeter,
) -> Result<bool, String> {
    for _ in 0..64 {
        // Long enough for any backed-off resend to fall due.
        *now = now.saturating_add(1_000);
        let mut moved = false;
        for from in 0..2 {
            let to = 1 - from;
            let [left, right] = &mut *replicas;
            let (sender, receiver) = if from == 0 {
                (left, right)
            } else {
                (right, left)
            };
            sender.on_tick(*now);
            receiver.on_tick(*now);
            while let Some(bytes) = sender.poll_transmit(peer(to)) {
                moved = true;
                if !deliver(receiver, peer(from), &bytes, meter)? {
                    return Err(format!("an honest message was refused: {bytes:02x?}"));
                }
            }
        }
        if !moved {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The `_ops` check of a sync row: `data` as a history of the two peers writing, sending,
/// ticking and delivering messages in any order, duplicated, lost or damaged (flipped,
/// truncated, spliced bytes, or delivered as from a stranger), every delivery checked as in the
/// `_decode` check. When no damaged message was accepted, the peers must then converge on a
/// perfect link.
///
/// # Errors
///
/// A report of the first failure.
pub(crate) fn history<T: Synced>(data: &[u8], meter: &dyn AllocationMeter) -> Outcome {
    let Ok(steps) = Vec::<Step>::arbitrary_take_rest(Unstructured::new(data)) else {
        return Ok(());
    };
    let mut replicas = [replica::<T>(0), replica::<T>(1)];
    let mut in_flight: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut now = 0u64;
    let mut damaged_accepted = false;
    for step in steps.iter().take(256) {
        match *step {
            Step::Insert { at, elem } => {
                let at = usize::from(at % 2);
                if let Some(replica) = replicas.get_mut(at) {
                    T::write(replica, at, Write::Insert(elem));
                }
            }
            Step::Remove { at, elem } => {
                let at = usize::from(at % 2);
                if let Some(replica) = replicas.get_mut(at) {
                    T::write(replica, at, Write::Remove(elem));
                }
            }
            Step::Send { from } => {
                let from = usize::from(from % 2);
                if let Some(sender) = replicas.get_mut(from) {
                    while let Some(bytes) = sender.poll_transmit(peer(1 - from)) {
                        in_flight.push((from, bytes));
                    }
                }
            }
            Step::Deliver {
                index,
                damage: ref how,
                again,
            } => {
                if in_flight.is_empty() {
                    continue;
                }
                let index = usize::from(index) % in_flight.len();
                let (from, bytes) = if again {
                    in_flight.get(index).cloned().unwrap_or_default()
                } else {
                    in_flight.swap_remove(index)
                };
                let sent = damage(&bytes, how, &in_flight);
                let sender = if matches!(how, Damage::Stranger) {
                    STRANGER
                } else {
                    peer(from)
                };
                if let Some(receiver) = replicas.get_mut(1 - from) {
                    let accepted = deliver(receiver, sender, &sent, meter)?;
                    damaged_accepted |= accepted && sent != bytes;
                    if !accepted && sent == bytes && sender != STRANGER {
                        return Err(format!("an honest message was refused: {bytes:02x?}"));
                    }
                }
            }
            Step::Tick { by } => {
                now = now.saturating_add(u64::from(by));
                replicas.iter_mut().for_each(|r| r.on_tick(now));
            }
        }
    }
    if damaged_accepted {
        return Ok(());
    }
    if !settle(&mut replicas, &mut now, meter)? {
        return Err(format!("the peers never went quiet after {steps:?}"));
    }
    let [left, right] = &replicas;
    if !same(left, right) {
        return Err(format!(
            "the peers did not converge after {steps:?}:\n{left:?}\n{right:?}"
        ));
    }
    Ok(())
}
