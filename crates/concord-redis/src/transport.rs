//! Carrying concord-sync messages between replicas through Redis streams.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::{Duration, Instant};

use concord_core::codec::{self, DecodeError, WireType};
use concord_core::{Merge, ReplicaId};
use concord_sync::{Checkpoint, Config, Replica, Syncable};

use crate::endpoint::Endpoint;
use crate::error::{ReceiveError, Record, TransportError};
use crate::keys::Keys;
use crate::value::{self, Conn};

/// How a transport uses Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// The key prefix. Default `concord`.
    pub prefix: String,
    /// The length each inbox stream is trimmed to, about (`XADD ... MAXLEN ~`): a trimmed
    /// message is a lost message, which the engine resends or catches up. Default 1000.
    pub max_len: u64,
    /// Entries read at most per `XREAD`. Default 256.
    pub batch: usize,
    /// The engine's tick: [`RedisTransport::pump`] tells the replica the time in these units,
    /// so that its `Config::resend_after` counts them. Default 20 ms.
    pub tick: Duration,
    /// How often the member set is read again (and this replica's id added to it again, in
    /// case Redis lost it). Default 500 ms.
    pub members_every: Duration,
    /// The socket timeout beyond a blocking read's own wait. Default 5 s.
    pub io_timeout: Duration,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            prefix: "concord".to_owned(),
            max_len: 1000,
            batch: 256,
            tick: Duration::from_millis(20),
            members_every: Duration::from_millis(500),
            io_timeout: Duration::from_secs(5),
        }
    }
}

impl TransportOptions {
    /// The same options trimming each inbox to about `max_len` entries.
    #[must_use]
    pub const fn with_max_len(mut self, max_len: u64) -> Self {
        self.max_len = max_len;
        self
    }

    /// The same options with key prefix `prefix`.
    #[must_use]
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// The same options with engine tick `tick`.
    #[must_use]
    pub const fn with_tick(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }
}

/// What a transport moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// Messages appended to peers' inboxes.
    pub sent: u64,
    /// Their bytes (the engine's messages, without the stream's own overhead).
    pub sent_bytes: u64,
    /// Messages read from this replica's inbox and taken by the replica.
    pub received: u64,
    /// Their bytes.
    pub received_bytes: u64,
    /// Entries read and refused: garbage, another object's, or from a replica that is not a
    /// member.
    pub refused: u64,
    /// Round trips to Redis.
    pub round_trips: u64,
    /// Connections opened again after one failed.
    pub reconnects: u64,
    /// Onboarding snapshots written.
    pub snapshots: u64,
}

/// The onboarding snapshots of an object's replicas, joined: a state, and the checkpoint
/// whose frontier says what it holds. See [`RedisTransport::fetch_snapshot`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Snapshot<T> {
    /// The join of the replicas' states.
    pub state: T,
    /// A checkpoint whose frontier is the join of theirs.
    pub checkpoint: Checkpoint,
    /// The replicas whose snapshots were joined.
    pub sources: Vec<ReplicaId>,
}

impl<T: Syncable> Snapshot<T> {
    /// A new replica `id` starting from the snapshot: it holds (and can serve sessions with)
    /// everything the snapshot's replicas held, and each peer catches it up with the rest on
    /// first contact. `id` must be fresh.
    ///
    /// # Errors
    ///
    /// As [`Replica::restore`]: the checkpoint's stable stamp does not decode.
    pub fn into_replica(self, id: ReplicaId, config: Config) -> Result<Replica<T>, DecodeError> {
        // Incarnation 1: the peers have never heard of `id`.
        self.into_replica_at(id, config, 1)
    }

    /// The key of the first snapshot joined: the record an error of
    /// [`into_replica`](Self::into_replica) names.
    pub(crate) fn first_key(&self, keys: &Keys) -> String {
        self.sources
            .first()
            .map(|first| keys.snapshot(*first))
            .unwrap_or_default()
    }

    /// As [`into_replica`](Self::into_replica), in incarnation `incarnation` (at least 1).
    pub(crate) fn into_replica_at(
        self,
        id: ReplicaId,
        config: Config,
        incarnation: u64,
    ) -> Result<Replica<T>, DecodeError> {
        let mut checkpoint = self.checkpoint;
        checkpoint.writes = checkpoint.frontier.get(&id);
        checkpoint.id = id;
        // `restore` moves to the incarnation after the checkpoint's.
        checkpoint.incarnation = incarnation.saturating_sub(1);
        Replica::restore(self.state, checkpoint, config)
    }
}

/// Carries a replica's concord-sync messages through a Redis server.
///
/// Each replica of an object has an inbox, a Redis stream; a message to a peer is appended to
/// the peer's inbox (`XADD <inbox> MAXLEN ~ <max_len> * from <id> msg <bytes>`), and a replica
/// reads its own inbox from the last entry it read (`XREAD COUNT <batch> BLOCK <ms> STREAMS
/// <inbox> <last id>`). Redis is not trusted to deliver: a trimmed, lost or duplicated entry is
/// a lost or duplicated message, which the engine's acknowledgements, resends and catch-up
/// make good. The object's replicas find each other in a Redis set of ids, so a replica needs
/// only the Redis address and the object's name. A snapshot of each replica (state and
/// checkpoint) in a Redis hash lets a new replica start from the join of them with no peer
/// online ([`onboard`](Self::onboard)). See `docs/redis.md` for the layout.
///
/// The transport never blocks longer than the wait given to [`pump`](Self::pump) (plus the
/// socket timeout when Redis is unreachable), and reconnects on the next call after a
/// failure, reading its inbox from the start again (a duplicate changes nothing).
#[derive(Debug)]
pub struct RedisTransport {
    client: redis::Client,
    conn: Option<Conn>,
    keys: Keys,
    id: ReplicaId,
    options: TransportOptions,
    last_id: String,
    members: BTreeSet<ReplicaId>,
    started: Instant,
    members_at: Option<Instant>,
    stats: TransportStats,
}

impl RedisTransport {
    /// A transport for replica `id` of object `object` through `client`. Connects, and adds
    /// `id` to the object's members.
    ///
    /// # Errors
    ///
    /// [`TransportError::Redis`] when Redis cannot be reached.
    pub fn connect(
        client: redis::Client,
        object: &str,
        id: ReplicaId,
        options: TransportOptions,
    ) -> Result<Self, TransportError> {
        let mut transport = Self {
            client,
            conn: None,
            keys: Keys::new(&options.prefix, object),
            id,
            options,
            last_id: "0-0".to_owned(),
            members: BTreeSet::new(),
            started: Instant::now(),
            members_at: None,
            stats: TransportStats::default(),
        };
        transport.register()?;
        Ok(transport)
    }

    /// The replica id the transport carries messages for.
    #[must_use]
    pub const fn id(&self) -> ReplicaId {
        self.id
    }

    /// The object's keys.
    #[must_use]
    pub const fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The members known (this replica's peers).
    pub fn members(&self) -> impl Iterator<Item = &ReplicaId> + '_ {
        self.members.iter()
    }

    /// What the transport moved so far.
    #[must_use]
    pub const fn stats(&self) -> &TransportStats {
        &self.stats
    }

    /// The options.
    #[must_use]
    pub const fn options(&self) -> &TransportOptions {
        &self.options
    }

    fn conn(&mut self) -> Result<&mut redis::Connection, TransportError> {
        if self.conn.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(self.options.io_timeout)
                .map_err(|e| TransportError::redis("connecting", e))?;
            conn.set_write_timeout(Some(self.options.io_timeout))
                .and_then(|()| conn.set_read_timeout(Some(self.options.io_timeout)))
                .map_err(|e| TransportError::redis("connecting", e))?;
            if self.stats.round_trips > 0 {
                self.stats.reconnects = self.stats.reconnects.saturating_add(1);
                // The server may have restarted with other data: read the inbox from its
                // start again, and register again soon.
                "0-0".clone_into(&mut self.last_id);
                self.members_at = None;
            }
            self.conn = Some(Conn(conn));
        }
        self.stats.round_trips = self.stats.round_trips.saturating_add(1);
        self.conn
            .as_mut()
            .map(|c| &mut c.0)
            .ok_or_else(|| TransportError::Protocol {
                during: "connecting".to_owned(),
                reason: "no connection".to_owned(),
            })
    }

    /// Turns a Redis error into the transport's, dropping the connection when it failed (the
    /// next call reconnects).
    fn failed(&mut self, during: &str, e: redis::RedisError) -> TransportError {
        if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
            self.conn = None;
        }
        TransportError::redis(during, e)
    }

    fn register(&mut self) -> Result<(), TransportError> {
        let (members, id) = (self.keys.members(), self.id.to_string());
        let conn = self.conn()?;
        let result: redis::RedisResult<()> = redis::cmd("SADD").arg(members).arg(id).query(conn);
        result.map_err(|e| self.failed("adding this replica to the members", e))
    }

    /// Adds this replica to the object's members again (in case Redis lost them) and reads
    /// them: new members become peers of `endpoint`.
    ///
    /// # Errors
    ///
    /// [`TransportError::Redis`] when Redis failed.
    pub fn refresh_members<E: Endpoint>(&mut self, endpoint: &mut E) -> Result<(), TransportError> {
        let (key, id) = (self.keys.members(), self.id.to_string());
        let conn = self.conn()?;
        let result: redis::RedisResult<((), Vec<Vec<u8>>)> = redis::pipe()
            .cmd("SADD")
            .arg(&key)
            .arg(id)
            .cmd("SMEMBERS")
            .arg(&key)
            .query(conn);
        let (_, members) = result.map_err(|e| self.failed("reading the members", e))?;
        for member in members {
            // A member that is not a replica id is someone else's garbage: not a peer.
            let Some(peer) = std::str::from_utf8(&member)
                .ok()
                .and_then(|text| ReplicaId::from_str(text).ok())
            else {
                continue;
            };
            if peer != self.id && self.members.insert(peer) {
                endpoint.add_peer(peer);
            }
        }
        self.members_at = Some(Instant::now());
        Ok(())
    }

    /// The engine's clock: ticks since the transport started.
    fn now(&self) -> u64 {
        let tick = self.options.tick.as_micros().max(1);
        u64::try_from(self.started.elapsed().as_micros() / tick).unwrap_or(u64::MAX)
    }

    /// Appends every message `endpoint` has for its peers to their inboxes, in one round
    /// trip. Returns the number of messages sent.
    ///
    /// # Errors
    ///
    /// [`TransportError::Redis`] when Redis failed; the messages taken from the replica are
    /// then lost messages (the engine resends).
    pub fn flush<E: Endpoint>(&mut self, endpoint: &mut E) -> Result<usize, TransportError> {
        let mut pipe = redis::pipe();
        let (mut count, mut bytes) = (0u64, 0u64);
        let from = self.id.to_string();
        for peer in &self.members {
            while let Some(message) = endpoint.poll_transmit(*peer) {
                pipe.cmd("XADD")
                    .arg(self.keys.inbox(*peer))
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(self.options.max_len)
                    .arg("*")
                    .arg("from")
                    .arg(from.as_str())
                    .arg("msg")
                    .arg(message.as_slice())
                    .ignore();
                count = count.saturating_add(1);
                bytes = bytes.saturating_add(message.len() as u64);
            }
        }
        if count == 0 {
            return Ok(0);
        }
        let conn = self.conn()?;
        let result: redis::RedisResult<()> = pipe.query(conn);
        result.map_err(|e| self.failed("appending messages", e))?;
        self.stats.sent = self.stats.sent.saturating_add(count);
        self.stats.sent_bytes = self.stats.sent_bytes.saturating_add(bytes);
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// Reads this replica's inbox from where it left off, waiting up to `wait` for an entry,
    /// and hands every message to `endpoint`. Returns the number of messages taken. Entries
    /// that are not messages of a member are counted in [`TransportStats::refused`] and
    /// skipped.
    ///
    /// # Errors
    ///
    /// [`TransportError::Redis`] when Redis failed, [`TransportError::Protocol`] for a reply
    /// that is not a stream reply, [`TransportError::Store`] when a stored replica could not
    /// commit a message.
    pub fn receive<E: Endpoint>(
        &mut self,
        endpoint: &mut E,
        wait: Duration,
    ) -> Result<usize, TransportError> {
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(self.options.batch.max(1));
        let block = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        if block > 0 {
            cmd.arg("BLOCK").arg(block);
        }
        cmd.arg("STREAMS")
            .arg(self.keys.inbox(self.id))
            .arg(self.last_id.as_str());
        let timeout = self.options.io_timeout.saturating_add(wait);
        let conn = self.conn()?;
        let reply: redis::RedisResult<redis::Value> = conn
            .set_read_timeout(Some(timeout))
            .and_then(|()| cmd.query(conn));
        let reply = reply.map_err(|e| self.failed("reading the inbox", e))?;
        let entries = value::stream_entries(reply).map_err(|reason| TransportError::Protocol {
            during: "reading the inbox".to_owned(),
            reason,
        })?;
        let mut taken = 0usize;
        let mut refreshed = false;
        for entry in entries {
            entry.id.clone_into(&mut self.last_id);
            let sender = entry
                .field(b"from")
                .and_then(|from| std::str::from_utf8(from).ok())
                .and_then(|from| ReplicaId::from_str(from).ok());
            let (Some(peer), Some(message)) = (sender, entry.field(b"msg")) else {
                self.stats.refused = self.stats.refused.saturating_add(1);
                continue;
            };
            if !self.members.contains(&peer) && !refreshed {
                // A replica that joined since the members were read.
                refreshed = true;
                self.refresh_members(endpoint)?;
            }
            if !self.members.contains(&peer) {
                self.stats.refused = self.stats.refused.saturating_add(1);
                continue;
            }
            match endpoint.receive(peer, message) {
                Ok(()) => {
                    taken = taken.saturating_add(1);
                    self.stats.received = self.stats.received.saturating_add(1);
                    self.stats.received_bytes = self
                        .stats
                        .received_bytes
                        .saturating_add(message.len() as u64);
                }
                Err(ReceiveError::Refused(_)) => {
                    self.stats.refused = self.stats.refused.saturating_add(1);
                }
                Err(ReceiveError::Store(e)) => return Err(TransportError::Store(e)),
            }
        }
        Ok(taken)
    }

    /// One round: reads the members when due, tells the replica the time, sends what it has
    /// to send, reads the inbox (waiting up to `wait`), and sends what that prompted
    /// (acknowledgements, answers). Returns the number of messages taken.
    ///
    /// A replica that changed id ([`Replica::with_new_id`]) is registered under the new one
    /// and reads the new id's inbox.
    ///
    /// The read returns as soon as an entry arrives; when none does, Redis times the wait out
    /// only at its `hz` (every 100 ms by default), so a short `wait` may last about 100 ms.
    /// Pass `Duration::ZERO` to poll.
    ///
    /// # Errors
    ///
    /// As [`flush`](Self::flush) and [`receive`](Self::receive).
    pub fn pump<E: Endpoint>(
        &mut self,
        endpoint: &mut E,
        wait: Duration,
    ) -> Result<usize, TransportError> {
        if endpoint.id() != self.id {
            self.id = endpoint.id();
            self.members.clear();
            "0-0".clone_into(&mut self.last_id);
            self.members_at = None;
        }
        let due = self
            .members_at
            .is_none_or(|at| at.elapsed() >= self.options.members_every);
        if due {
            self.refresh_members(endpoint)?;
        }
        endpoint.on_tick(self.now());
        self.flush(endpoint)?;
        let taken = self.receive(endpoint, wait)?;
        endpoint.on_tick(self.now());
        self.flush(endpoint)?;
        Ok(taken)
    }

    /// Writes the replica's state and checkpoint to its snapshot hash (fields `state` and
    /// `checkpoint`, codec bytes, one `HSET`), for replicas that join later.
    ///
    /// # Errors
    ///
    /// [`TransportError::Encode`] or [`TransportError::Redis`].
    pub fn publish_snapshot<E: Endpoint>(&mut self, endpoint: &E) -> Result<(), TransportError> {
        let (state, checkpoint) = endpoint.snapshot();
        let state = codec::encode(state).map_err(TransportError::Encode)?;
        let checkpoint = codec::encode(&checkpoint).map_err(TransportError::Encode)?;
        let key = self.keys.snapshot(self.id);
        let conn = self.conn()?;
        let result: redis::RedisResult<()> = redis::cmd("HSET")
            .arg(key)
            .arg("state")
            .arg(state.as_slice())
            .arg("checkpoint")
            .arg(checkpoint.as_slice())
            .query(conn);
        result.map_err(|e| self.failed("writing the snapshot", e))?;
        self.stats.snapshots = self.stats.snapshots.saturating_add(1);
        Ok(())
    }

    /// The join of the snapshots of the object's members (this replica's included, if it
    /// published one): `None` when there is none.
    ///
    /// # Errors
    ///
    /// [`TransportError::Corrupt`] naming the first snapshot that does not decode (or holds
    /// another type), [`TransportError::Redis`] when Redis failed.
    pub fn fetch_snapshot<T: Syncable>(&mut self) -> Result<Option<Snapshot<T>>, TransportError> {
        let key = self.keys.members();
        let conn = self.conn()?;
        let members: redis::RedisResult<Vec<Vec<u8>>> = redis::cmd("SMEMBERS").arg(key).query(conn);
        let members = members.map_err(|e| self.failed("reading the members", e))?;
        let ids: Vec<ReplicaId> = members
            .iter()
            .filter_map(|m| std::str::from_utf8(m).ok())
            .filter_map(|m| ReplicaId::from_str(m).ok())
            .collect();
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HMGET")
                .arg(self.keys.snapshot(*id))
                .arg("state")
                .arg("checkpoint");
        }
        let conn = self.conn()?;
        let replies: redis::RedisResult<Vec<SnapshotFields>> = pipe.query(conn);
        let replies = replies.map_err(|e| self.failed("reading the snapshots", e))?;
        let mut joined: Option<Snapshot<T>> = None;
        for (id, reply) in ids.iter().zip(replies) {
            let (Some(state), Some(checkpoint)) = reply else {
                continue;
            };
            let key = self.keys.snapshot(*id);
            let state: T = decode(&state, || Record::OnboardingState { key: key.clone() })?;
            let checkpoint: Checkpoint =
                decode(&checkpoint, || Record::OnboardingCheckpoint { key })?;
            match &mut joined {
                Some(snapshot) => {
                    snapshot.state.merge(&state);
                    snapshot.checkpoint.frontier.merge(&checkpoint.frontier);
                    snapshot.sources.push(*id);
                }
                None => {
                    joined = Some(Snapshot {
                        state,
                        checkpoint,
                        sources: vec![*id],
                    });
                }
            }
        }
        Ok(joined)
    }

    /// A new replica under this transport's id, started from the join of the members'
    /// snapshots (or empty when there is none), with no peer online: see
    /// [`Snapshot::into_replica`].
    ///
    /// # Errors
    ///
    /// As [`fetch_snapshot`](Self::fetch_snapshot).
    pub fn onboard<T: Syncable>(&mut self, config: Config) -> Result<Replica<T>, TransportError> {
        Ok(match self.fetch_snapshot::<T>()? {
            Some(snapshot) => {
                let key = snapshot.first_key(&self.keys);
                snapshot.into_replica(self.id, config).map_err(|source| {
                    TransportError::Corrupt {
                        record: Record::OnboardingCheckpoint { key },
                        source,
                    }
                })?
            }
            None => Replica::with_config(self.id, T::default(), config),
        })
    }

    /// Removes this replica from the object: its id from the members, its inbox and its
    /// snapshot. Its peers keep it as a peer until they are told otherwise
    /// (`remove_peer`).
    ///
    /// # Errors
    ///
    /// [`TransportError::Redis`] when Redis failed.
    pub fn leave(&mut self) -> Result<(), TransportError> {
        let (members, inbox, snapshot, id) = (
            self.keys.members(),
            self.keys.inbox(self.id),
            self.keys.snapshot(self.id),
            self.id.to_string(),
        );
        let conn = self.conn()?;
        let result: redis::RedisResult<()> = redis::pipe()
            .atomic()
            .cmd("SREM")
            .arg(members)
            .arg(id)
            .ignore()
            .cmd("DEL")
            .arg(inbox)
            .arg(snapshot)
            .ignore()
            .query(conn);
        result.map_err(|e| self.failed("leaving", e))
    }
}

/// A snapshot hash's `state` and `checkpoint` fields, when present.
type SnapshotFields = (Option<Vec<u8>>, Option<Vec<u8>>);

fn decode<T: WireType>(bytes: &[u8], record: impl FnOnce() -> Record) -> Result<T, TransportError> {
    codec::decode_with_limit(bytes, codec::MAX_LIMIT).map_err(|source| TransportError::Corrupt {
        record: record(),
        source,
    })
}
