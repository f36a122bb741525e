//! The replica: a CRDT, its delta log, and what it knows of each peer.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::convert::Infallible;
use core::fmt;

use concord_clock::VectorClock;
use concord_core::codec::{self, DecodeError, WireType};
use concord_core::{CatchUp, Dot, Merge, Novelty, ReplicaId, Stability};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApplyError, Behind, LostState, ReceiveError};
use crate::message::{Body, Floor, Kind, Message};
use crate::session::SessionToken;

/// What the engine needs of a CRDT: a join, the new part of a delta, a summary and what a
/// summary lacks, its stamps and how to free its tombstones, a wire form, and a bottom to
/// start from.
///
/// Implemented for every type that has these; it names no method of its own.
pub trait Syncable:
    Merge
    + Novelty
    + CatchUp<Summary = <Self as Syncable>::Wire>
    + Stability<Stamp = <Self as Syncable>::Floor>
    + WireType
    + Clone
    + Default
    + PartialEq
{
    /// The summary's type, with its wire bounds.
    type Wire: Serialize + DeserializeOwned + Clone + fmt::Debug;
    /// The stamp's type ([`Stability::Stamp`]), with its wire bounds.
    type Floor: Serialize + DeserializeOwned + Ord + Clone + fmt::Debug;
}

impl<T> Syncable for T
where
    T: Merge + Novelty + CatchUp + Stability + WireType + Clone + Default + PartialEq,
    T::Summary: Serialize + DeserializeOwned + Clone + fmt::Debug,
    T::Stamp: Serialize + DeserializeOwned + Ord + Clone + fmt::Debug,
{
    type Wire = T::Summary;
    type Floor = T::Stamp;
}

/// How a replica behaves. The defaults suit a handful of peers on a network that loses a few
/// messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The object's number, for callers that replicate several objects of one type over one
    /// transport; a message for another object is refused. Default 0.
    pub object: u64,
    /// This life of the replica. A replica restarted from durable state uses a greater one, so
    /// its peers know its volatile sync state is gone. Default 0.
    pub incarnation: u64,
    /// Log entries kept at most. When a peer falls further behind, it is caught up from a
    /// summary instead, so truncation never loses data. Default 1024.
    pub max_log: usize,
    /// Ticks (the caller's unit, see [`Replica::on_tick`]) after which an interval that was not
    /// acknowledged is sent again. Default 10.
    pub resend_after: u64,
    /// Whether the replica forwards what it received from one peer to the others. Default
    /// `true`: a write reaches every replica connected to its origin through any path, also
    /// while the origin is down or cut off from some of them.
    ///
    /// `false` suits a full mesh, where every replica talks to every other: each replica then
    /// ships only its own writes, and each write crosses each link about once instead of once
    /// from its origin and once from every other replica that received it (a full mesh of n
    /// replicas relays each write n - 2 times more). The price: a write reaches a replica only
    /// from its origin, or in a catch-up, so it waits for its origin to be up and connected.
    pub relay: bool,
    /// Ticks between automatic compactions: every so often the replica frees the tombstones
    /// (of the types that keep them: the LWW sets and maps) stamped at or below the stable
    /// stamp, the one every replica has passed (see [`Replica::stable`]), so metadata stays
    /// bounded without a manual call. `None` turns it off. Default `Some(100)`.
    ///
    /// Compaction needs every replica of the object to list every other as a peer, so that
    /// "acknowledged by every peer" means "held by every replica". The replica checks it: a
    /// floor counts only at a replica with the same members ([`Replica::members_agree`]), so
    /// in a partial mesh, or until a membership change has reached every replica, nothing is
    /// freed.
    ///
    /// It also relies on a rule the replica cannot check: **each write is stamped above every
    /// stamp its replica holds** (a Lamport or hybrid clock that observes what the replica
    /// merges, as `LamportClock::observe` does). A write stamped at or below the stable stamp
    /// is taken for one every replica already holds, and the others drop it.
    ///
    /// With `None` the replica frees nothing and drops nothing, and still tells its peers its
    /// floor.
    pub compact_every: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            object: 0,
            incarnation: 0,
            max_log: 1024,
            resend_after: 10,
            relay: true,
            compact_every: Some(100),
        }
    }
}

impl Config {
    /// The defaults, for object `object`.
    #[must_use]
    pub fn for_object(object: u64) -> Self {
        Self {
            object,
            ..Self::default()
        }
    }

    /// The same configuration for incarnation `incarnation`.
    #[must_use]
    pub const fn with_incarnation(mut self, incarnation: u64) -> Self {
        self.incarnation = incarnation;
        self
    }

    /// The same configuration keeping at most `max_log` log entries.
    #[must_use]
    pub const fn with_max_log(mut self, max_log: usize) -> Self {
        self.max_log = max_log;
        self
    }

    /// The same configuration resending after `ticks` ticks.
    #[must_use]
    pub const fn with_resend_after(mut self, ticks: u64) -> Self {
        self.resend_after = ticks;
        self
    }

    /// The same configuration forwarding (`true`) or not (`false`) what peers sent; see
    /// [`relay`](Self::relay).
    #[must_use]
    pub const fn with_relay(mut self, relay: bool) -> Self {
        self.relay = relay;
        self
    }

    /// The same configuration compacting every `ticks` ticks, or never (`None`); see
    /// [`compact_every`](Self::compact_every).
    #[must_use]
    pub const fn with_compact_every(mut self, ticks: Option<u64>) -> Self {
        self.compact_every = ticks;
        self
    }
}

/// What a replica keeps durably beside its state: see [`Replica::checkpoint`] and
/// [`Replica::restore`]. Encodes with the codec (tag `SYNC_CHECKPOINT = 0x0603`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The replica's id.
    pub id: ReplicaId,
    /// Its own writes so far.
    pub writes: u64,
    /// For every replica, how many of its writes the state holds.
    pub frontier: VectorClock<ReplicaId>,
    /// The incarnation that took the checkpoint.
    pub incarnation: u64,
    /// The stable stamp the replica had reached ([`Replica::stable`]), in the codec's bytes
    /// (tag `SYNC_STABLE_STAMP = 0x0604`): a replica restored from a compacted state drops
    /// what is at or below it, as before the restart, so that no late old write brings back
    /// a key whose tombstone was freed.
    pub stable: Option<Vec<u8>>,
}

impl Checkpoint {
    /// The stable stamp, decoded as a stamp of type `S` (a `Syncable` type's
    /// [`Floor`](Syncable::Floor)); `None` when the replica had not reached one.
    ///
    /// # Errors
    ///
    /// The bytes are not a stable stamp of type `S`: the checkpoint is damaged or was taken
    /// by a replica of another type.
    pub fn stable_stamp<S: Serialize + DeserializeOwned>(&self) -> Result<Option<S>, DecodeError> {
        self.stable
            .as_deref()
            .map(|bytes| codec::decode::<StableStamp<S>>(bytes).map(|StableStamp(s)| s))
            .transpose()
    }
}

impl WireType for Checkpoint {
    const TAG: u16 = codec::tag::SYNC_CHECKPOINT;
    /// 2: the stable stamp.
    /// 3: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 3;
    const NAME: &'static str = "concord-sync checkpoint";
}

/// A stable stamp, alone on the wire: what a [`Checkpoint`] keeps of it.
#[derive(Serialize, serde::Deserialize)]
#[serde(transparent)]
struct StableStamp<S>(S);

impl<S: Serialize + DeserializeOwned> WireType for StableStamp<S> {
    const TAG: u16 = codec::tag::SYNC_STABLE_STAMP;
    const VERSION: u16 = 1;
    const NAME: &'static str = "concord-sync stable stamp";
}

/// Bytes and messages sent, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Delta intervals: messages, bytes.
    pub deltas: (u64, u64),
    /// Acknowledgements.
    pub acks: (u64, u64),
    /// Summary requests and summaries.
    pub summaries: (u64, u64),
    /// Catch-up answers.
    pub catch_ups: (u64, u64),
    /// Of the bytes of delta intervals and catch-up answers, those of the CRDT state they
    /// carry; the rest of every message (headers, frontiers, acknowledgements, summaries) is
    /// the protocol's metadata.
    pub state_bytes: u64,
    /// Tombstones freed by automatic compaction (see [`Config::compact_every`]).
    pub compacted: u64,
}

impl Stats {
    /// Every byte sent.
    #[must_use]
    pub const fn bytes(&self) -> u64 {
        self.deltas.1 + self.acks.1 + self.summaries.1 + self.catch_ups.1
    }

    /// Every message sent.
    #[must_use]
    pub const fn messages(&self) -> u64 {
        self.deltas.0 + self.acks.0 + self.summaries.0 + self.catch_ups.0
    }

    fn count(&mut self, kind: Kind, bytes: usize) {
        let slot = match kind {
            Kind::Delta => &mut self.deltas,
            Kind::Ack => &mut self.acks,
            Kind::Summary => &mut self.summaries,
            Kind::CatchUp => &mut self.catch_ups,
        };
        slot.0 = slot.0.saturating_add(1);
        slot.1 = slot.1.saturating_add(bytes as u64);
    }
}

/// A read served: the state and the session's token after the read.
#[derive(Debug)]
pub struct Served<'a, T> {
    /// The state read.
    pub state: &'a T,
    /// The token to carry on: the session's, joined with what this replica holds (so a later
    /// read elsewhere sees nothing older).
    pub token: SessionToken,
}

/// Intervals in flight to one peer whose frontiers are remembered, so that their
/// acknowledgement shrinks the next intervals' frontiers.
const MAX_FRONTIERS_SENT: usize = 8;

/// Refined summaries sent to one peer whose rounds are remembered.
const MAX_REFINEMENTS: usize = 32;

/// Floors of own writes kept (see `Replica::floors`); beyond, every second one is dropped,
/// which leaves lower floors in their place: safe, only later compactions.
const MAX_FLOORS: usize = 64;

/// One entry of the delta log.
#[derive(Clone, Debug)]
struct Entry<T> {
    delta: T,
    /// The peer it came from, not to be sent back there; `None` for a local write.
    origin: Option<ReplicaId>,
}

/// What a replica knows of one peer.
#[derive(Clone, Debug)]
struct Peer<T, M, F> {
    /// The peer's incarnation, once heard from.
    incarnation: Option<u64>,
    /// The last of this replica's log positions the peer acknowledged.
    acked: u64,
    /// The end of the last interval sent and when it is due again, while unacknowledged.
    in_flight: Option<(u64, u64)>,
    /// Resends since the last acknowledgement: each one waits twice as long as the one
    /// before, up to eight times the configured period, so a peer that is down or cut off
    /// costs little.
    backoff: u32,
    /// The last of the peer's log positions this replica holds without a gap.
    received: u64,
    /// An acknowledgement is owed.
    ack_due: bool,
    /// The peer asked for this replica's summary.
    summary_due: bool,
    /// The peer's summary and its round, to answer with what it lacks.
    catch_up_due: Option<(u64, M)>,
    /// Summaries sent to the peer: the round of the latest, whose answer alone moves a
    /// multi-round exchange on (an answer to an earlier round of one is dropped).
    rounds: u64,
    /// The next summary of an exchange with the peer, answering its questions.
    refined: Option<M>,
    /// The rounds of the latest refined summaries sent (at most [`MAX_REFINEMENTS`]): an
    /// answer to one of them covers only the buckets it asked about, so it never counts as a
    /// whole answer, however late it arrives.
    refinements: VecDeque<u64>,
    /// The exchange under way with the peer: the log end and frontier of its first answer
    /// (what this replica holds once the exchange ends; the later answers cover later states
    /// of the peer only in part), and the join of the answers' deltas so far. The deltas are
    /// merged only at the end, with the frontier: a state holding writes its frontier does not
    /// show would let a session read them here and then miss them at a replica that passes
    /// the session's token.
    exchange: Option<(u64, VectorClock<ReplicaId>, T)>,
    /// When a summary request may be sent again.
    request_at: u64,
    /// The frontier as of the last interval the peer acknowledged: intervals carry only the
    /// entries above it.
    frontier_acked: VectorClock<ReplicaId>,
    /// The end and frontier of the intervals sent and not yet acknowledged (the latest few).
    frontier_sent: VecDeque<(u64, VectorClock<ReplicaId>)>,
    /// The latest floor the peer sent in this life (the greatest, among those with the same
    /// members): its writes still to come, and those not yet acknowledged by all its peers,
    /// are stamped above it.
    floor: Option<Floor<F>>,
    /// This replica's floor as last sent to the peer.
    floor_sent: Option<Floor<F>>,
    /// When a floor that changed may be sent alone, in an acknowledgement.
    floor_at: u64,
}

impl<T, M, F> Default for Peer<T, M, F> {
    fn default() -> Self {
        Self {
            incarnation: None,
            acked: 0,
            in_flight: None,
            backoff: 0,
            received: 0,
            ack_due: false,
            summary_due: false,
            catch_up_due: None,
            rounds: 0,
            refined: None,
            refinements: VecDeque::new(),
            exchange: None,
            request_at: 0,
            frontier_acked: VectorClock::new(),
            frontier_sent: VecDeque::new(),
            floor: None,
            floor_sent: None,
            floor_at: 0,
        }
    }
}

/// One replica of a CRDT and its sync state: sans-IO, so the caller moves the bytes.
///
/// The caller writes through [`apply`](Self::apply), hands over what arrives with
/// [`receive`](Self::receive), asks for what to send with [`poll_transmit`](Self::poll_transmit)
/// and says that time passed with [`on_tick`](Self::on_tick). The replica never blocks, reads
/// a clock or does I/O.
///
/// The protocol is delta-interval anti-entropy with acknowledgements (Almeida, Shoker,
/// Baquero, "Delta State Replicated Data Types", 2018, Algorithm 2) with the two fixes of Enes,
/// Almeida, Baquero, Leitão ("Efficient Synchronization of State-based CRDTs", ICDE 2019): a
/// received delta is logged only for its part that was new here ([`Novelty`]), and a log entry
/// is never sent back to the peer it came from. A peer behind the truncated part of the log
/// sends a summary and receives what it lacks ([`CatchUp`]). See `docs/sync.md`.
///
/// ```
/// use concord_counter::GCounter;
/// use concord_core::ReplicaId;
/// use concord_sync::Replica;
///
/// let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
/// let mut left = Replica::new(a, GCounter::new());
/// let mut right = Replica::new(b, GCounter::<ReplicaId>::new());
/// left.add_peer(b);
/// right.add_peer(a);
///
/// left.apply(|c| c.increment(a, 5).unwrap()).unwrap();
/// // A perfect link: move messages until both sides are quiet.
/// loop {
///     let mut moved = false;
///     while let Some(bytes) = left.poll_transmit(b) {
///         right.receive(a, &bytes).unwrap();
///         moved = true;
///     }
///     while let Some(bytes) = right.poll_transmit(a) {
///         left.receive(b, &bytes).unwrap();
///         moved = true;
///     }
///     if !moved {
///         break;
///     }
/// }
/// assert_eq!(right.state().value(), 5);
/// ```
#[derive(Clone, Debug)]
pub struct Replica<T: Syncable> {
    id: ReplicaId,
    config: Config,
    state: T,
    /// Own writes so far.
    writes: u64,
    /// For every replica, how many of its writes the state holds.
    frontier: VectorClock<ReplicaId>,
    /// Log entries at positions `log_end - log.len() + 1 ..= log_end`.
    log: VecDeque<Entry<T>>,
    log_end: u64,
    peers: BTreeMap<ReplicaId, Peer<T, T::Wire, T::Floor>>,
    now: u64,
    /// The greatest stamp merged into the state ([`Stability::greatest_stamp`]).
    held_max: Option<T::Floor>,
    /// The digest of this replica's members (itself and its peers), sent with its floor.
    members: u64,
    /// Floors of own writes, in order: an entry `(w, floor)` says that own writes numbered `w`
    /// and later are stamped above `floor` (`None`: not known), as each write is stamped above
    /// everything the replica held before it.
    floors: VecDeque<(u64, Option<T::Floor>)>,
    /// The greatest stable stamp reached in this life (or restored): every replica holds
    /// every write stamped at or below it.
    stable: Option<T::Floor>,
    /// When the next compaction may run.
    compact_at: u64,
    /// The least, over the peers, of the own writes each acknowledged holding (`u64::MAX`
    /// without peers): kept as acknowledgements and peers change, as every message sent
    /// reads it.
    acked_by_all: u64,
    /// The peer this replica sent its summary to, and until when it waits for the answer
    /// before sending its summary to another peer that asked (so that several peers do not all
    /// send what it lacks).
    awaiting: Option<(ReplicaId, u64)>,
    /// The last interval joined for a peer, kept for the next peer that lacks the same
    /// positions: in a mesh every peer usually waits for the same new writes.
    interval: Option<Interval<T>>,
    lost: Option<LostState>,
    stats: Stats,
}

/// The join of log positions `start..=end`, without the entries that came from `skipped`.
#[derive(Clone, Debug)]
struct Interval<T> {
    start: u64,
    end: u64,
    skipped: Option<ReplicaId>,
    delta: T,
}

impl<T: Syncable> Replica<T> {
    /// A replica `id` of an object starting from `state`, with the default [`Config`].
    ///
    /// `id` must be fresh: never used by a replica whose state was lost. A replica restarted
    /// empty under an old id is refused writes as soon as a peer shows it more of its history
    /// than it holds, but writes made before that would clash with the lost ones.
    #[must_use]
    pub fn new(id: ReplicaId, state: T) -> Self {
        Self::with_config(id, state, Config::default())
    }

    /// A replica with `config`. A `state` other than the bottom is the log's first entry, so
    /// the peers receive it.
    #[must_use]
    pub fn with_config(id: ReplicaId, state: T, config: Config) -> Self {
        let mut replica = Self {
            id,
            config,
            state,
            writes: 0,
            frontier: VectorClock::new(),
            log: VecDeque::new(),
            log_end: 0,
            interval: None,
            peers: BTreeMap::new(),
            now: 0,
            held_max: None,
            members: members_digest(id, [].iter()),
            floors: VecDeque::new(),
            stable: None,
            compact_at: 0,
            acked_by_all: u64::MAX,
            awaiting: None,
            lost: None,
            stats: Stats::default(),
        };
        replica.held_max = replica.state.greatest_stamp();
        if replica.state != T::default() {
            replica.push_log(replica.state.clone(), None);
        }
        replica
    }

    /// A replica restored from durable state: `state` and the `checkpoint` taken with it
    /// ([`checkpoint`](Self::checkpoint)), in the next incarnation (`checkpoint.incarnation +
    /// 1`, whatever `config` says), so the peers know its volatile sync state (log,
    /// acknowledgements) is gone and bring it up to date from their logs or by catch-up.
    ///
    /// The state and the checkpoint must come from the same moment: a state older than the
    /// checkpoint's write count means writes acknowledged to clients are lost, which is what a
    /// fresh id is for.
    ///
    /// The log is gone with the old life, and some of what the state holds may not have
    /// reached every peer before it ended (a write committed and acknowledged, then a crash
    /// before it was sent). The restored log therefore starts after a gap: each peer is sent a
    /// summary request on first contact and caught up with what it lacks.
    ///
    /// # Errors
    ///
    /// The checkpoint's stable stamp does not decode as a stamp of `T`: the checkpoint is
    /// damaged or belongs to another type. Restoring without it could let a late old write
    /// bring back a key whose tombstone was freed, so nothing is restored.
    pub fn restore(state: T, checkpoint: Checkpoint, config: Config) -> Result<Self, DecodeError> {
        let stable = checkpoint.stable_stamp::<T::Floor>()?;
        let mut replica = Self::with_config(
            checkpoint.id,
            T::default(),
            config.with_incarnation(checkpoint.incarnation.saturating_add(1)),
        );
        replica.held_max = state.greatest_stamp();
        replica.state = state;
        replica.writes = checkpoint.writes;
        replica.frontier = checkpoint.frontier;
        replica.stable = stable;
        replica.forget_floors();
        replica.start_log_after_gap();
        Ok(replica)
    }

    /// Forgets the floors of the writes made so far (a restart, a new id): they count as
    /// unknown until every peer holds them.
    fn forget_floors(&mut self) {
        self.floors.clear();
        if self.writes > 0 {
            self.floors.push_back((1, None));
        }
    }

    /// Starts an empty log after a gap when the state holds anything: position 1 stands for
    /// the state, which the log no longer has, so every peer is caught up from its summary.
    fn start_log_after_gap(&mut self) {
        self.log.clear();
        self.interval = None;
        self.log_end = u64::from(self.state != T::default());
    }

    /// What must be kept durably beside the state for [`restore`](Self::restore): the id, the
    /// count of own writes, the frontier and the incarnation. Small: a vector clock over the
    /// replicas.
    #[must_use]
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            id: self.id,
            writes: self.writes,
            frontier: self.frontier.clone(),
            incarnation: self.config.incarnation,
            stable: self
                .stable
                .as_ref()
                .and_then(|stable| codec::encode(&StableStamp(stable.clone())).ok()),
        }
    }

    /// How many writes this replica made under its id.
    #[must_use]
    pub const fn writes(&self) -> u64 {
        self.writes
    }

    /// This replica's id.
    #[must_use]
    pub const fn id(&self) -> ReplicaId {
        self.id
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> &T {
        &self.state
    }

    /// For every replica, how many of its writes the state holds.
    #[must_use]
    pub const fn frontier(&self) -> &VectorClock<ReplicaId> {
        &self.frontier
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// What was sent so far.
    #[must_use]
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Log entries held.
    #[must_use]
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// The stable stamp: every replica holds every write stamped at or below it, and every
    /// write still to come is stamped above it. Tombstones at or below it are freed by the
    /// next compaction ([`Config::compact_every`]), and what arrives at or below it is
    /// dropped as known. `None` until every peer has told its floor, and for the types
    /// without tombstones.
    ///
    /// It is computed from what the peers acknowledged and the floors they sent: the least,
    /// over this replica and its peers, of the greatest stamp each held when its earliest
    /// write not yet acknowledged by all its peers was made (or that it holds now, when all
    /// are).
    #[must_use]
    pub const fn stable(&self) -> Option<&T::Floor> {
        self.stable.as_ref()
    }

    /// Whether the replica has lost state (see [`LostState`]).
    #[must_use]
    pub const fn lost_state(&self) -> Option<&LostState> {
        self.lost.as_ref()
    }

    /// The peers.
    pub fn peers(&self) -> impl Iterator<Item = &ReplicaId> + '_ {
        self.peers.keys()
    }

    /// Adds `peer` to the peers this replica syncs with; it starts knowing nothing of it.
    /// Adding a present peer changes nothing.
    pub fn add_peer(&mut self, peer: ReplicaId) {
        if peer != self.id {
            self.peers.entry(peer).or_default();
            self.refresh_acked_by_all();
            self.refresh_members();
        }
    }

    /// Removes `peer`: it no longer holds back the truncation of the log, nor the stable
    /// stamp.
    pub fn remove_peer(&mut self, peer: &ReplicaId) {
        self.peers.remove(peer);
        self.refresh_acked_by_all();
        self.refresh_members();
        self.truncate();
    }

    /// Says that the caller's clock reads `now` (any unit, as long as it never goes back; it
    /// times resends and compactions).
    pub fn on_tick(&mut self, now: u64) {
        self.now = self.now.max(now);
        if let Some(every) = self.config.compact_every
            && self.now >= self.compact_at
        {
            self.compact_at = self.now.saturating_add(every.max(1));
            self.compact();
        }
    }

    /// Moves the stable stamp on to what the floors show now, and frees the tombstones at or
    /// below it, in the state and in the log.
    fn compact(&mut self) {
        let Some(stable) = self.stable_now() else {
            return;
        };
        if self.stable.as_ref().is_some_and(|s| *s >= stable) {
            return;
        }
        let freed = self.state.compact_stable(&stable);
        self.stats.compacted = self.stats.compacted.saturating_add(freed as u64);
        for entry in &mut self.log {
            entry.delta.forget_stable(&stable);
        }
        self.interval = None;
        self.stable = Some(stable);
    }

    /// The least of this replica's floor and every peer's, if all are known and counted the
    /// same members as this replica.
    fn stable_now(&self) -> Option<T::Floor> {
        let mut stable = self.own_floor()?;
        for peer in self.peers.values() {
            let floor = peer.floor.as_ref().filter(|f| f.members == self.members)?;
            if floor.stamp < stable {
                stable.clone_from(&floor.stamp);
            }
        }
        Some(stable)
    }

    /// Whether every peer's latest floor counted the same members as this replica: itself and
    /// its peers. The stable stamp moves, and tombstones are freed, only while they do.
    ///
    /// A floor vouches for its replica's writes being held by that replica's peers, so the
    /// stable stamp is sound only when the peers of every replica are all the others (a full
    /// mesh). When every replica's members are the same set, they are: in a partial mesh, or
    /// while a membership change has not reached every replica, some floor counts other
    /// members, and compaction waits. `false` also until every peer has sent a floor, and
    /// always for the types without stamps.
    #[must_use]
    pub fn members_agree(&self) -> bool {
        self.peers
            .values()
            .all(|p| p.floor.as_ref().is_some_and(|f| f.members == self.members))
    }

    /// This replica's floor as sent to its peers: with the digest of its members.
    fn floor_to_send(&self) -> Option<Floor<T::Floor>> {
        self.own_floor().map(|stamp| Floor {
            stamp,
            members: self.members,
        })
    }

    /// Recomputes [`members`](Self::members) after the peers or the id changed.
    fn refresh_members(&mut self) {
        self.members = members_digest(self.id, self.peers.keys());
    }

    /// Own writes every peer acknowledged holding.
    fn held_by_all(&self) -> u64 {
        self.acked_by_all.min(self.writes)
    }

    /// Recomputes [`acked_by_all`](Self::acked_by_all) after the peers or their
    /// acknowledged frontiers changed.
    fn refresh_acked_by_all(&mut self) {
        self.acked_by_all = self
            .peers
            .values()
            .map(|p| p.frontier_acked.get(&self.id))
            .min()
            .unwrap_or(u64::MAX);
    }

    /// This replica's floor: every own write not yet held by all its peers, and every one to
    /// come, is stamped above it.
    fn own_floor(&self) -> Option<T::Floor> {
        let held = self.held_by_all();
        if held >= self.writes {
            return self.held_max.clone();
        }
        let first = held.saturating_add(1);
        self.floors
            .iter()
            .rev()
            .find(|(w, _)| *w <= first)
            .and_then(|(_, floor)| floor.clone())
    }

    /// Records the floor of own write `write`: the greatest stamp held before it.
    fn push_floor(&mut self, write: u64, floor: Option<T::Floor>) {
        if self.floors.back().is_some_and(|(_, last)| *last == floor) {
            return;
        }
        if self.floors.len() >= MAX_FLOORS {
            let mut index = 0;
            self.floors.retain(|_| {
                index += 1;
                index % 2 == 1
            });
        }
        self.floors.push_back((write, floor));
    }

    /// Drops the floors of writes every peer holds, but the one of the first write not held.
    fn drop_stable_floors(&mut self) {
        let first = self.held_by_all().saturating_add(1);
        while self.floors.get(1).is_some_and(|(w, _)| *w <= first) {
            self.floors.pop_front();
        }
    }

    /// Raises the greatest stamp held to `delta`'s.
    fn hold(&mut self, delta: &T) {
        if let Some(stamp) = delta.greatest_stamp()
            && self.held_max.as_ref().is_none_or(|held| stamp > *held)
        {
            self.held_max = Some(stamp);
        }
    }

    /// The earliest time at which [`poll_transmit`](Self::poll_transmit) will have something
    /// new to send, if a resend (or a floor that moved, or a compaction) is pending.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        let floor = self.floor_to_send();
        let resends = self.peers.values().filter_map(|p| {
            let floor_due = (p.floor_sent != floor).then_some(p.floor_at);
            p.in_flight
                .map(|(_, due)| due)
                .into_iter()
                .chain(floor_due)
                .min()
        });
        let compaction = self
            .config
            .compact_every
            .filter(|_| {
                self.stable_now()
                    .is_some_and(|s| Some(&s) > self.stable.as_ref())
            })
            .map(|_| self.compact_at);
        resends.chain(compaction).min()
    }

    /// A local write: `f` runs the state's mutator and returns its delta, which is logged and
    /// shipped. Returns the session token of the write.
    ///
    /// ```
    /// # use concord_counter::GCounter;
    /// # use concord_core::ReplicaId;
    /// # use concord_sync::Replica;
    /// let a = ReplicaId::from_u128(1);
    /// let mut replica = Replica::new(a, GCounter::new());
    /// let token = replica.apply(|c| c.increment(a, 1).unwrap()).unwrap();
    /// assert!(replica.can_serve(&token));
    /// ```
    ///
    /// # Errors
    ///
    /// [`LostState`] when the replica has lost state; `f` is not run.
    pub fn apply(&mut self, f: impl FnOnce(&mut T) -> T) -> Result<SessionToken, LostState> {
        self.try_apply(|state| Ok::<T, Infallible>(f(state)))
            .map_err(|e| match e {
                ApplyError::LostState(lost) => lost,
                ApplyError::Operation(never) => match never {},
            })
    }

    /// A local write whose operation can refuse: `f` returns the delta, or the operation's
    /// error with the state unchanged.
    ///
    /// # Errors
    ///
    /// [`ApplyError::LostState`] (nothing run) or [`ApplyError::Operation`].
    pub fn try_apply<E>(
        &mut self,
        f: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<SessionToken, ApplyError<E>> {
        if let Some(lost) = &self.lost {
            return Err(ApplyError::LostState(lost.clone()));
        }
        let delta = f(&mut self.state).map_err(ApplyError::Operation)?;
        self.writes = self.writes.saturating_add(1);
        self.push_floor(self.writes, self.held_max.clone());
        self.hold(&delta);
        self.frontier.apply(Dot::new(self.id, self.writes));
        self.push_log(delta, None);
        Ok(SessionToken::after_write(self.id, self.writes))
    }

    /// Whether this replica holds every write `token` depends on.
    #[must_use]
    pub fn can_serve(&self, token: &SessionToken) -> bool {
        token.is_covered_by(&self.frontier)
    }

    /// A read for a session: the state and the token to carry on, or which writes are missing
    /// here (the read must wait, or go to another replica). Never a stale read.
    ///
    /// # Errors
    ///
    /// [`Behind`] when the replica lacks writes the session depends on.
    pub fn read(&self, token: &SessionToken) -> Result<Served<'_, T>, Behind> {
        if !self.can_serve(token) {
            let missing = token
                .as_vector()
                .iter()
                .filter_map(|(replica, needed)| {
                    let held = self.frontier.get(replica);
                    (held < needed).then_some((*replica, needed, held))
                })
                .collect();
            return Err(Behind { missing });
        }
        let mut after = token.as_vector().clone();
        after.merge(&self.frontier);
        Ok(Served {
            state: &self.state,
            token: SessionToken::from_frontier(after),
        })
    }

    /// Gives the replica a fresh id after it lost state: writes are accepted again, under
    /// `id`. The state is kept; the log and every peer's sync state start over, in the next
    /// incarnation (so acknowledgements of the old log are ignored), and each peer is caught up
    /// from its summary. The peers must add `id` as a peer (they know the replica by its id).
    pub fn with_new_id(&mut self, id: ReplicaId) {
        self.id = id;
        self.writes = self.frontier.get(&id);
        self.lost = None;
        self.awaiting = None;
        self.config.incarnation = self.config.incarnation.saturating_add(1);
        self.forget_floors();
        self.start_log_after_gap();
        self.peers.remove(&id);
        for peer in self.peers.values_mut() {
            *peer = Peer::default();
        }
        self.refresh_acked_by_all();
        self.refresh_members();
    }

    /// The next message to send to `peer`, if any: call until `None` after every write,
    /// receive and tick. `None` also for a peer that is not a member.
    pub fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        let floor = self.floor_to_send();
        let now = self.now;
        let body = match self.next_body(peer) {
            Some(body) => body,
            None => {
                let known = self.peers.get_mut(&peer)?;
                // A floor that moved goes alone when nothing else is due, at most once per
                // resend period: the peers' stable stamps move on without waiting for a write.
                let floor_due = known.floor_sent != floor && now >= known.floor_at;
                if !known.ack_due && !floor_due {
                    return None;
                }
                Body::Ack
            }
        };
        let resend = self.config.resend_after;
        let known = self.peers.get_mut(&peer)?;
        known.ack_due = false;
        let floor = if known.floor_sent == floor {
            None
        } else {
            known.floor_sent.clone_from(&floor);
            known.floor_at = now.saturating_add(resend);
            floor
        };
        let message = Message {
            object_tag: T::TAG,
            object_version: T::VERSION,
            object: self.config.object,
            incarnation: self.config.incarnation,
            ack_incarnation: known.incarnation.unwrap_or(0),
            ack: known.received,
            floor,
            body,
        };
        let kind = message.body.kind();
        let bytes = codec::encode(&message).ok()?;
        self.stats.count(kind, bytes.len());
        if let Body::Delta { delta, .. } | Body::CatchUp { delta, .. } = &message.body {
            let state = codec::payload_len(delta).unwrap_or(0) as u64;
            self.stats.state_bytes = self.stats.state_bytes.saturating_add(state);
        }
        Some(bytes)
    }

    /// Takes a message from `peer`. Returns the part of the message's delta that was new
    /// here and was merged into the state (`None` when nothing changed): what a durable store
    /// appends to its log, or a cache invalidates.
    ///
    /// # Errors
    ///
    /// [`ReceiveError`] for bytes that are not a valid message of this object, or that come
    /// from a replica that is not a peer; the replica is then unchanged.
    pub fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<Option<T>, ReceiveError> {
        let message: Message<T, T::Wire, T::Floor> = codec::decode(bytes)?;
        let expected = (T::TAG, T::VERSION, self.config.object);
        let found = (message.object_tag, message.object_version, message.object);
        if expected != found {
            return Err(ReceiveError::WrongObject { expected, found });
        }
        if let Body::Delta { start, end, .. } = &message.body
            && (*start == 0 || start > end)
        {
            return Err(ReceiveError::Malformed(
                "a delta interval must start at 1 or later and end at or after its start",
            ));
        }
        let Some(known) = self.peers.get_mut(&peer) else {
            return Err(ReceiveError::UnknownPeer(peer));
        };
        let reset = known.incarnation != Some(message.incarnation)
            && known
                .incarnation
                .is_none_or(|current| message.incarnation > current);
        match known.incarnation {
            // A late message from an earlier life of the peer: its news are in the peer's
            // later messages, or were lost with it.
            Some(current) if message.incarnation < current => return Ok(None),
            Some(current) if message.incarnation == current => {}
            // First contact, or the peer restarted: what it had acknowledged and sent is
            // forgotten on both sides. On first contact, the frontiers of the intervals sent
            // so far stand: they count once the peer acknowledges them.
            first => {
                let frontier_sent = match first {
                    None => core::mem::take(&mut known.frontier_sent),
                    Some(_) => VecDeque::new(),
                };
                *known = Peer {
                    incarnation: Some(message.incarnation),
                    frontier_sent,
                    ..Peer::default()
                };
            }
        }
        // Floors with other members replace the known one (they were true when sent, so
        // always are, and the latest tells the peer's members now); among floors with the
        // same members, the greatest is kept.
        if let Some(floor) = message.floor
            && known
                .floor
                .as_ref()
                .is_none_or(|k| k.members != floor.members || k.stamp < floor.stamp)
        {
            known.floor = Some(floor);
        }
        if reset {
            self.refresh_acked_by_all();
        }
        // An acknowledgement counts positions of the log of the incarnation the peer knows;
        // one of an earlier life of this replica is stale (the peer has not heard of this
        // life yet) and means nothing here.
        let current_life = message.ack_incarnation == self.config.incarnation;
        if current_life {
            self.acknowledged(peer, message.ack);
        }
        match message.body {
            Body::Delta {
                start,
                end,
                frontier,
                delta,
            } => {
                self.check_own_history(peer, &frontier);
                let known = self.peers.entry(peer).or_default();
                known.ack_due = true;
                if start > known.received.saturating_add(1) {
                    // After a gap: the frontier cannot be taken, and the state must not hold
                    // writes the frontier does not count, or a read here would show writes
                    // its session token does not carry, and a later read elsewhere could
                    // show less (a monotonic-read violation). The acknowledgement tells the
                    // peer where to resend from (or to catch this replica up).
                    return Ok(None);
                }
                let take = end > known.received;
                if take {
                    known.received = end;
                }
                let novel = self.absorb(peer, &delta);
                if take {
                    self.frontier.merge(&frontier);
                }
                return Ok(novel);
            }
            Body::CatchUp {
                round,
                end,
                frontier,
                delta,
                questions,
            } => {
                self.check_own_history(peer, &frontier);
                let now = self.now;
                let resend = self.config.resend_after;
                let known = self.peers.entry(peer).or_default();
                if questions.is_none()
                    && known.exchange.is_none()
                    && !known.refinements.contains(&round)
                {
                    // A whole answer to a first summary (the causal and counter types always
                    // answer so): merged and taken at once, whichever summary it answers, as
                    // it covers the state the peer had when it answered.
                    known.received = known.received.max(end);
                    known.ack_due = true;
                    if self.awaiting.is_some_and(|(other, _)| other == peer) {
                        self.awaiting = None;
                    }
                    let novel = self.absorb(peer, &delta);
                    self.frontier.merge(&frontier);
                    return Ok(novel);
                }
                if round != known.rounds || !current_life {
                    // An answer to an earlier summary (late, or a duplicate), or to a summary
                    // of this replica's earlier life (whose state may have held more than
                    // this one restored): the answer to the latest summary of this life
                    // brings what it would.
                    return Ok(None);
                }
                // The state as it is refines the questions: they are about buckets the
                // answers so far sent nothing for.
                match questions.and_then(|q| self.state.refine(&q)) {
                    Some(next) => {
                        match &mut known.exchange {
                            Some((_, _, joined)) => joined.merge(&delta),
                            None => known.exchange = Some((end, frontier, delta)),
                        }
                        known.refined = Some(next);
                        self.awaiting = Some((peer, now.saturating_add(resend)));
                        return Ok(None);
                    }
                    None => {
                        let (end, frontier, delta) = match known.exchange.take() {
                            Some((end, frontier, mut joined)) => {
                                joined.merge(&delta);
                                (end, frontier, joined)
                            }
                            None => (end, frontier, delta),
                        };
                        known.received = known.received.max(end);
                        known.ack_due = true;
                        if self.awaiting.is_some_and(|(other, _)| other == peer) {
                            self.awaiting = None;
                        }
                        let novel = self.absorb(peer, &delta);
                        self.frontier.merge(&frontier);
                        return Ok(novel);
                    }
                }
            }
            Body::Ack => {}
            Body::SummaryRequest => self.peers.entry(peer).or_default().summary_due = true,
            Body::Summary { round, summary } => {
                self.peers.entry(peer).or_default().catch_up_due = Some((round, summary));
            }
        }
        Ok(None)
    }

    /// The peer holds this replica's log up to `upto`.
    fn acknowledged(&mut self, peer: ReplicaId, upto: u64) {
        if upto > self.log_end {
            // The peer holds log entries this replica never wrote in this life.
            self.lose(peer, self.writes.saturating_add(1));
            return;
        }
        let Some(known) = self.peers.get_mut(&peer) else {
            return;
        };
        if upto > known.acked {
            known.acked = upto;
            known.backoff = 0;
            let mut merged = false;
            while known
                .frontier_sent
                .front()
                .is_some_and(|(end, _)| *end <= upto)
            {
                if let Some((_, frontier)) = known.frontier_sent.pop_front() {
                    known.frontier_acked.merge(&frontier);
                    merged = true;
                }
            }
            if known.in_flight.is_some_and(|(end, _)| end <= upto) {
                known.in_flight = None;
            }
            if merged {
                self.refresh_acked_by_all();
            }
            self.truncate();
            self.drop_stable_floors();
        }
    }

    /// Refuses further writes when `frontier` shows more of this replica's writes than it
    /// holds.
    fn check_own_history(&mut self, peer: ReplicaId, frontier: &VectorClock<ReplicaId>) {
        let seen = frontier.get(&self.id);
        if seen > self.writes {
            self.lose(peer, seen);
        }
    }

    fn lose(&mut self, peer: ReplicaId, seen: u64) {
        match &mut self.lost {
            // The most any peer has shown.
            Some(lost) if seen > lost.seen => {
                lost.seen = seen;
                lost.peer = peer;
            }
            Some(_) => {}
            None => {
                self.lost = Some(LostState {
                    id: self.id,
                    held: self.writes,
                    seen,
                    peer,
                });
            }
        }
    }

    /// Merges what is new of `delta`, logs it for the other peers (when relaying), and
    /// returns it.
    fn absorb(&mut self, from: ReplicaId, delta: &T) -> Option<T> {
        let mut novel = self.state.novel(delta)?;
        if self.config.compact_every.is_some()
            && let Some(stable) = &self.stable
        {
            // Writes every replica holds: one arriving again is a late copy, and one whose
            // tombstone was freed must not come back.
            novel.forget_stable(stable);
            if novel == T::default() {
                return None;
            }
        }
        self.hold(&novel);
        self.state.merge(&novel);
        if self.config.relay {
            self.push_log(novel.clone(), Some(from));
        }
        Some(novel)
    }

    fn push_log(&mut self, delta: T, origin: Option<ReplicaId>) {
        self.log.push_back(Entry { delta, origin });
        self.log_end = self.log_end.saturating_add(1);
        self.truncate();
    }

    /// The position of the first entry held.
    fn log_start(&self) -> u64 {
        self.log_end
            .saturating_sub(self.log.len() as u64)
            .saturating_add(1)
    }

    /// Drops the entries every peer acknowledged, and the oldest beyond `max_log`.
    fn truncate(&mut self) {
        let start = self.log_start();
        let acked_by_all = self
            .peers
            .values()
            .map(|p| p.acked)
            .min()
            .unwrap_or(self.log_end);
        let by_acks = if acked_by_all >= start {
            usize::try_from(acked_by_all - start + 1).unwrap_or(usize::MAX)
        } else {
            0
        };
        let over = self.log.len().saturating_sub(self.config.max_log);
        let drop = by_acks.max(over).min(self.log.len());
        self.log.drain(..drop);
    }

    /// What to send `peer` next.
    fn next_body(&mut self, peer: ReplicaId) -> Option<Body<T, T::Wire>> {
        let log_start = self.log_start();
        let (log_end, now, resend) = (self.log_end, self.now, self.config.resend_after);
        let known = self.peers.get_mut(&peer)?;
        let answering_other = self
            .awaiting
            .is_some_and(|(other, due)| other != peer && now < due);
        if known.summary_due && !answering_other {
            // A new exchange: whatever one was under way with the peer is abandoned.
            known.summary_due = false;
            known.refined = None;
            known.exchange = None;
            known.rounds = known.rounds.saturating_add(1);
            self.awaiting = Some((peer, now.saturating_add(resend)));
            return Some(Body::Summary {
                round: known.rounds,
                summary: self.state.summary(),
            });
        }
        if let Some(summary) = known.refined.take() {
            known.rounds = known.rounds.saturating_add(1);
            if known.refinements.len() >= MAX_REFINEMENTS {
                known.refinements.pop_front();
            }
            known.refinements.push_back(known.rounds);
            return Some(Body::Summary {
                round: known.rounds,
                summary,
            });
        }
        if let Some((round, summary)) = known.catch_up_due.take() {
            // The peer acknowledges `log_end` once the exchange ends; if an answer is lost,
            // the peer is still behind and is asked for a summary again.
            known.request_at = now.saturating_add(resend);
            let (delta, questions) = self.state.answer(&summary);
            // Once the peer acknowledges the answer's end, it holds every own write so far.
            if known.frontier_sent.len() >= MAX_FRONTIERS_SENT {
                known.frontier_sent.pop_front();
            }
            let own = VectorClock::from_iter([(self.id, self.writes)]);
            known.frontier_sent.push_back((log_end, own));
            return Some(Body::CatchUp {
                round,
                end: log_end,
                frontier: self.frontier.clone(),
                delta,
                questions,
            });
        }
        if known.acked >= log_end {
            return None;
        }
        if known.acked.saturating_add(1) < log_start {
            // The entries the peer lacks are gone from the log: it is caught up from its
            // summary instead.
            if now < known.request_at {
                return None;
            }
            known.request_at = now.saturating_add(resend);
            return Some(Body::SummaryRequest);
        }
        let (start, due) = match known.in_flight {
            // One interval in flight per peer: entries written meanwhile wait for its
            // acknowledgement (or its resend) and travel joined, in one message.
            Some((_, due)) if now < due => return None,
            Some(_) => {
                // Unacknowledged in time: send it again, and wait longer next time. Messages
                // were lost: the floor goes again too.
                known.backoff = known.backoff.saturating_add(1).min(3);
                known.floor_sent = None;
                let wait = resend.saturating_mul(1 << known.backoff);
                (known.acked.saturating_add(1), now.saturating_add(wait))
            }
            None => (known.acked.saturating_add(1), now.saturating_add(resend)),
        };
        let delta = self.join_interval(start, peer);
        let known = self.peers.get_mut(&peer)?;
        known.in_flight = Some((log_end, due));
        // The frontier an interval vouches for: everything this replica holds when its log
        // holds everything it received, only its own writes when it does not relay.
        let held = if self.config.relay {
            self.frontier.clone()
        } else {
            VectorClock::from_iter([(self.id, self.writes)])
        };
        let frontier = held.delta_since(&known.frontier_acked);
        if known.frontier_sent.len() >= MAX_FRONTIERS_SENT {
            known.frontier_sent.pop_front();
        }
        known.frontier_sent.push_back((log_end, held));
        Some(Body::Delta {
            start,
            end: log_end,
            frontier,
            delta,
        })
    }
}

impl<T: Syncable> Replica<T> {
    /// The join of the log entries from position `start` to the end, but those that came
    /// from `peer`; the bottom when every one did (the peer has them, but its
    /// acknowledgements count positions of this log, so the interval is still sent). With
    /// more than one peer the last join is kept: a peer that lacks the same positions, and
    /// sent none of them, gets a copy instead of a second join.
    fn join_interval(&mut self, start: u64, peer: ReplicaId) -> T {
        let skip = usize::try_from(start.saturating_sub(self.log_start())).unwrap_or(usize::MAX);
        let entries = || self.log.iter().skip(skip);
        let skipped = entries()
            .any(|entry| entry.origin == Some(peer))
            .then_some(peer);
        if let Some(interval) = self
            .interval
            .as_ref()
            .filter(|i| (i.start, i.end, i.skipped) == (start, self.log_end, skipped))
        {
            return interval.delta.clone();
        }
        let mut delta: Option<T> = None;
        for entry in entries().filter(|entry| entry.origin != Some(peer)) {
            match &mut delta {
                Some(joined) => joined.merge(&entry.delta),
                None => delta = Some(entry.delta.clone()),
            }
        }
        let delta = delta.unwrap_or_default();
        // With one peer nobody else would take the copy.
        self.interval = (self.peers.len() > 1).then(|| Interval {
            start,
            end: self.log_end,
            skipped,
            delta: delta.clone(),
        });
        delta
    }
}

/// An order-independent digest of the members `id` and `peers` (distinct ids): the wrapping
/// sum of a mix (SplitMix64's finaliser) of each id's halves.
fn members_digest<'a>(id: ReplicaId, peers: impl Iterator<Item = &'a ReplicaId>) -> u64 {
    const fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    core::iter::once(id)
        .chain(peers.copied())
        .fold(0, |sum, member| {
            let bits = member.as_u128();
            let high = u64::try_from(bits >> 64).unwrap_or_default();
            let low = u64::try_from(bits & u128::from(u64::MAX)).unwrap_or_default();
            sum.wrapping_add(mix(mix(high) ^ low))
        })
}
