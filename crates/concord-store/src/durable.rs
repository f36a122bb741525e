//! A replica whose every acknowledged write is in the store.

use std::convert::Infallible;

use concord_core::ReplicaId;
use concord_core::lattice::JoinTree;
use concord_sync::{
    ApplyError, Behind, Checkpoint, Config, LostState, Replica, Served, SessionToken, Syncable,
};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError};

use crate::error::{ReceiveError, Record, StoreError, WriteError};
use crate::records::{self, CHECKPOINTS, LOST, LostRecord, SNAPSHOTS, log_table, log_table_name};
use crate::store::{OpenGuard, next_incarnation};

/// How an object is kept: the replica's configuration, and when the log is folded into the
/// snapshot.
///
/// The log is folded when it reaches `fold_entries` entries or `fold_bytes` bytes, provided
/// it holds at least a quarter of the snapshot's bytes: a fold rewrites the whole state, so a
/// large state waits for a log worth rewriting it for (a fold then costs at most four times
/// the bytes the log took), and a restart replays at most that much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The replica's configuration (object number, log bound, resend period). Its
    /// incarnation is ignored: the store chooses the next one.
    pub config: Config,
    /// Log entries after which the log is folded. Default 1024.
    pub fold_entries: u64,
    /// Log bytes after which the log is folded. Default 1 MiB.
    pub fold_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            config: Config::default(),
            fold_entries: 1024,
            fold_bytes: 1 << 20,
        }
    }
}

impl Options {
    /// The defaults with the replica configuration `config`.
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The same options folding after `entries` entries or `bytes` bytes of log.
    #[must_use]
    pub const fn with_fold(mut self, entries: u64, bytes: u64) -> Self {
        self.fold_entries = entries;
        self.fold_bytes = bytes;
        self
    }
}

/// What the store holds of an object, and what it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageStats {
    /// Deltas in the log since the last fold.
    pub log_entries: u64,
    /// Their encoded bytes.
    pub log_bytes: u64,
    /// The snapshot's encoded bytes.
    pub snapshot_bytes: u64,
    /// Transactions committed by this replica since it was opened.
    pub commits: u64,
    /// Folds of the log into the snapshot since it was opened.
    pub folds: u64,
}

/// A batch of local writes committed in one transaction: see
/// [`DurableReplica::apply_batch`]. Its writes return indices, not session tokens: the tokens
/// exist only once the batch has committed.
#[derive(Debug)]
pub struct Batch<'a, T: Syncable> {
    replica: &'a mut Replica<T>,
    refusal: Option<&'a LostState>,
    object: &'a str,
    deltas: Vec<Vec<u8>>,
    tokens: Vec<SessionToken>,
    failure: Option<StoreError>,
}

impl<T: Syncable> Batch<'_, T> {
    /// A write in the batch: `f` runs the state's mutator and returns its delta. Returns the
    /// write's index in the batch (its token's index in [`Committed::tokens`]).
    ///
    /// # Errors
    ///
    /// [`LostState`] when the replica has lost state; `f` is not run.
    pub fn apply(&mut self, f: impl FnOnce(&mut T) -> T) -> Result<usize, LostState> {
        self.try_apply(|state| Ok::<T, Infallible>(f(state)))
            .map_err(|e| match e {
                ApplyError::LostState(lost) => lost,
                ApplyError::Operation(never) => match never {},
            })
    }

    /// A write in the batch whose operation can refuse (the state unchanged).
    ///
    /// # Errors
    ///
    /// [`ApplyError::LostState`] (nothing run) or [`ApplyError::Operation`].
    pub fn try_apply<E>(
        &mut self,
        f: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<usize, ApplyError<E>> {
        if let Some(lost) = self.refusal {
            return Err(ApplyError::LostState(lost.clone()));
        }
        let (token, encoded) = write(self.replica, self.object, f)?;
        match encoded {
            Ok(bytes) => self.deltas.push(bytes),
            // The batch will not commit; the writes after this one are not worth encoding.
            Err(e) => self.failure = Some(e),
        }
        self.tokens.push(token);
        Ok(self.tokens.len() - 1)
    }

    /// The state, with the batch's writes so far.
    #[must_use]
    pub fn state(&self) -> &T {
        self.replica.state()
    }

    /// Writes in the batch so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the batch has no write yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// A batch that committed: what its closure returned, and the session token of each write,
/// in the order of the writes.
#[derive(Debug)]
#[non_exhaustive]
pub struct Committed<R> {
    /// What the batch's closure returned.
    pub value: R,
    /// The writes' session tokens, by index.
    pub tokens: Vec<SessionToken>,
}

/// A `concord_sync::Replica` whose state lives in a [`Store`](crate::Store): a local write
/// returns its session token only once its delta and the replica's checkpoint are committed,
/// and a received message's new part is committed before [`receive`](Self::receive) returns.
///
/// Writes are committed one transaction each ([`apply`](Self::apply),
/// [`try_apply`](Self::try_apply)) or a batch per transaction
/// ([`apply_batch`](Self::apply_batch), group commit). Nothing that is not committed ever
/// leaves the replica: there is no state between two calls in which a write is applied but
/// not durable, and a failed commit poisons the replica ([`StoreError::Poisoned`]) instead of
/// letting it send what the file does not hold.
///
/// Reads go through [`replica`](Self::replica), which gives the wrapped engine (state, session
/// reads, frontier, checkpoint, stats); sync goes through [`poll_transmit`](Self::poll_transmit),
/// [`receive`](Self::receive) and [`on_tick`](Self::on_tick) as with the engine.
#[derive(Debug)]
pub struct DurableReplica<T: Syncable> {
    guard: OpenGuard,
    log_name: String,
    replica: Replica<T>,
    options: Options,
    /// The lost-state record as committed.
    lost: Option<LostState>,
    stats: StorageStats,
    /// Set while the memory may hold what the file does not (during a write, a receive, and
    /// for good after a failed commit or a panic in the caller's closure).
    poisoned: bool,
}

/// What a commit does to the lost-state record.
enum LostChange {
    Keep,
    Set(LostState),
    Clear,
}

/// A write made: its session token, and its delta's bytes (or why they could not be had).
type Written = (SessionToken, Result<Vec<u8>, StoreError>);

/// Runs a local write on `replica`, and encodes its delta.
fn write<T: Syncable, E>(
    replica: &mut Replica<T>,
    object: &str,
    f: impl FnOnce(&mut T) -> Result<T, E>,
) -> Result<Written, ApplyError<E>> {
    // Replaced by the delta's bytes when `f` runs, which it does whenever the write is made.
    let mut encoded = Err(StoreError::Poisoned {
        object: object.to_owned(),
    });
    let token = replica.try_apply(|state| {
        let delta = f(state)?;
        encoded = records::encode(&delta, object);
        Ok(delta)
    })?;
    Ok((token, encoded))
}

impl<T: Syncable> DurableReplica<T> {
    pub(crate) fn open(guard: OpenGuard, options: Options) -> Result<Self, StoreError> {
        let name = guard.name.clone();
        let log_name = log_table_name(&name);
        let loaded = load::<T>(&guard, &name, &log_name)?;
        let (replica, lost, stats, new) = match loaded {
            Some(loaded) => {
                let mut checkpoint = loaded.checkpoint;
                // `restore` moves to the incarnation after the checkpoint's.
                checkpoint.incarnation = next_incarnation(checkpoint.incarnation).saturating_sub(1);
                let replica = Replica::restore(loaded.state, checkpoint, options.config).map_err(
                    |source| StoreError::Corrupt {
                        record: Record::Checkpoint {
                            object: name.clone(),
                        },
                        source,
                    },
                )?;
                (replica, loaded.lost, loaded.stats, false)
            }
            None => {
                let config = options.config.with_incarnation(next_incarnation(0));
                let replica = Replica::with_config(ReplicaId::random(), T::default(), config);
                (replica, None, StorageStats::default(), true)
            }
        };
        let mut durable = Self {
            guard,
            log_name,
            replica,
            options,
            lost,
            stats,
            poisoned: true,
        };
        // Record the new incarnation (and for a new object, its empty snapshot) before the
        // replica can send anything.
        durable.commit(Vec::new(), LostChange::Keep, new)?;
        durable.poisoned = false;
        Ok(durable)
    }

    /// A local write, committed before it is acknowledged: `f` runs the state's mutator and
    /// returns its delta; the delta and the checkpoint are committed in one transaction, then
    /// the write's session token is returned.
    ///
    /// # Errors
    ///
    /// [`WriteError::LostState`] (nothing run) or [`WriteError::Store`] (the commit failed:
    /// the write is not acknowledged, and the replica is poisoned).
    pub fn apply(&mut self, f: impl FnOnce(&mut T) -> T) -> Result<SessionToken, WriteError> {
        self.try_apply(|state| Ok::<T, Infallible>(f(state)))
            .map_err(|e| match e {
                WriteError::LostState(lost) => WriteError::LostState(lost),
                WriteError::Operation(never) => match never {},
                WriteError::Store(e) => WriteError::Store(e),
            })
    }

    /// A local write whose operation can refuse (the state unchanged, nothing committed).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply), and [`WriteError::Operation`] with the operation's error.
    pub fn try_apply<E>(
        &mut self,
        f: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<SessionToken, WriteError<E>> {
        self.usable()?;
        if let Some(lost) = &self.lost {
            return Err(WriteError::LostState(lost.clone()));
        }
        self.poisoned = true;
        let (token, encoded) = match write(&mut self.replica, &self.guard.name, f) {
            Ok(written) => written,
            Err(e) => {
                // Refused before any change.
                self.poisoned = false;
                return Err(match e {
                    ApplyError::LostState(lost) => WriteError::LostState(lost),
                    ApplyError::Operation(e) => WriteError::Operation(e),
                });
            }
        };
        self.commit(vec![encoded?], LostChange::Keep, false)?;
        self.poisoned = false;
        Ok(token)
    }

    /// Group commit: the writes `f` makes through the [`Batch`] are committed in one
    /// transaction, and their session tokens are returned only then.
    ///
    /// One transaction costs about as much as one write committed alone (the disk's flush
    /// dominates), so a batch of n writes is nearly n times cheaper per write; each write
    /// waits for the batch's commit. A server collects the requests that arrive while a
    /// commit is in progress and applies them as the next batch (see `docs/durability.md`).
    ///
    /// ```
    /// # use concord_store::{Options, Store};
    /// # use concord_counter::GCounter;
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path().join("batch.redb"))?;
    /// let mut likes = store.replica::<GCounter>("likes", Options::default())?;
    /// let me = likes.id();
    /// let committed = likes.apply_batch(|batch| {
    ///     for _ in 0..100 {
    ///         batch.apply(|c| c.increment(me, 1).unwrap()).unwrap();
    ///     }
    /// })?;
    /// assert_eq!(committed.tokens.len(), 100);
    /// assert_eq!(likes.state().value(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed: no write of the batch is acknowledged, and the
    /// replica is poisoned. Refusals of single writes are returned to `f` by the batch.
    pub fn apply_batch<R>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_, T>) -> R,
    ) -> Result<Committed<R>, StoreError> {
        self.usable()?;
        self.poisoned = true;
        let mut batch = Batch {
            replica: &mut self.replica,
            refusal: self.lost.as_ref(),
            object: &self.guard.name,
            deltas: Vec::new(),
            tokens: Vec::new(),
            failure: None,
        };
        let value = f(&mut batch);
        let Batch {
            deltas,
            tokens,
            failure,
            ..
        } = batch;
        if let Some(failure) = failure {
            return Err(failure);
        }
        if !tokens.is_empty() {
            self.commit(deltas, LostChange::Keep, false)?;
        }
        self.poisoned = false;
        Ok(Committed { value, tokens })
    }

    /// Takes a message from `peer`: the part of its delta that was new here, and the
    /// checkpoint, are committed before this returns (and so before the replica acknowledges
    /// the message). Returns that new part.
    ///
    /// A replica that learns from the message that it has lost state commits that too: the
    /// refusal of writes survives a restart.
    ///
    /// # Errors
    ///
    /// [`ReceiveError::Refused`] when the engine refuses the message (nothing changed), or
    /// [`ReceiveError::Store`] when the commit failed (the replica is poisoned).
    pub fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<Option<T>, ReceiveError> {
        self.usable()?;
        self.poisoned = true;
        let novel = match self.replica.receive(peer, bytes) {
            Ok(novel) => novel,
            Err(e) => {
                self.poisoned = false;
                return Err(ReceiveError::Refused(e));
            }
        };
        let lost = match (self.replica.lost_state(), &self.lost) {
            (Some(now), before) if before.as_ref() != Some(now) => LostChange::Set(now.clone()),
            _ => LostChange::Keep,
        };
        if novel.is_some() || matches!(lost, LostChange::Set(_)) {
            let deltas = match &novel {
                Some(delta) => vec![records::encode(delta, &self.guard.name)?],
                None => Vec::new(),
            };
            self.commit(deltas, lost, false)?;
        }
        self.poisoned = false;
        Ok(novel)
    }

    /// Gives the replica a fresh random id after it lost state, committed with its checkpoint
    /// before this returns; writes are accepted again. Returns the new id, which the peers must
    /// add as a peer. See `concord_sync::Replica::with_new_id`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed (the replica is poisoned).
    pub fn with_new_id(&mut self) -> Result<ReplicaId, StoreError> {
        self.usable()?;
        self.poisoned = true;
        let id = ReplicaId::random();
        self.replica.with_new_id(id);
        self.commit(Vec::new(), LostChange::Clear, false)?;
        self.poisoned = false;
        Ok(id)
    }

    /// Folds the log into the snapshot now, in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed (the replica is poisoned).
    pub fn fold(&mut self) -> Result<(), StoreError> {
        self.usable()?;
        self.poisoned = true;
        self.commit(Vec::new(), LostChange::Keep, true)?;
        self.poisoned = false;
        Ok(())
    }

    /// The next message to send to `peer`, if any (see `concord_sync::Replica::poll_transmit`);
    /// `None` from a poisoned replica.
    pub fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        if self.poisoned {
            return None;
        }
        self.replica.poll_transmit(peer)
    }

    /// Says that the caller's clock reads `now` (see `concord_sync::Replica::on_tick`).
    pub fn on_tick(&mut self, now: u64) {
        self.replica.on_tick(now);
    }

    /// When a resend is due (see `concord_sync::Replica::poll_timeout`).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.replica.poll_timeout()
    }

    /// Adds a peer (see `concord_sync::Replica::add_peer`). Peers are not stored: the caller
    /// adds them after every open.
    pub fn add_peer(&mut self, peer: ReplicaId) {
        self.replica.add_peer(peer);
    }

    /// Removes a peer (see `concord_sync::Replica::remove_peer`).
    pub fn remove_peer(&mut self, peer: &ReplicaId) {
        self.replica.remove_peer(peer);
    }

    /// The wrapped engine, for reading: state, session reads, frontier, checkpoint, stats.
    #[must_use]
    pub const fn replica(&self) -> &Replica<T> {
        &self.replica
    }

    /// The state.
    #[must_use]
    pub const fn state(&self) -> &T {
        self.replica.state()
    }

    /// The replica's id.
    #[must_use]
    pub const fn id(&self) -> ReplicaId {
        self.replica.id()
    }

    /// A read for a session (see `concord_sync::Replica::read`).
    ///
    /// # Errors
    ///
    /// [`Behind`] when the replica lacks writes the session depends on.
    pub fn read(&self, token: &SessionToken) -> Result<Served<'_, T>, Behind> {
        self.replica.read(token)
    }

    /// Whether this replica holds every write `token` depends on.
    #[must_use]
    pub fn can_serve(&self, token: &SessionToken) -> bool {
        self.replica.can_serve(token)
    }

    /// Whether the replica has lost state (found by the engine, or recorded by an earlier
    /// life): writes are refused until [`with_new_id`](Self::with_new_id).
    #[must_use]
    pub fn lost_state(&self) -> Option<&LostState> {
        self.replica.lost_state().or(self.lost.as_ref())
    }

    /// The object's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.guard.name
    }

    /// The object's options.
    #[must_use]
    pub const fn options(&self) -> &Options {
        &self.options
    }

    /// What the store holds of the object, and what it did.
    #[must_use]
    pub const fn storage_stats(&self) -> &StorageStats {
        &self.stats
    }

    /// Whether an earlier commit failed (or a closure panicked): the replica then refuses
    /// everything, and the store must be reopened.
    #[must_use]
    pub const fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned {
                object: self.guard.name.clone(),
            });
        }
        Ok(())
    }

    fn should_fold(&self, entries: u64, bytes: u64) -> bool {
        let passed = entries >= self.options.fold_entries || bytes >= self.options.fold_bytes;
        passed && bytes.saturating_mul(4) >= self.stats.snapshot_bytes
    }

    /// Commits `deltas` (encoded, in order) to the log, or folds the log into a snapshot of
    /// the state when it passes its thresholds (or `fold` says so), with the checkpoint and
    /// the lost-state record, in one transaction.
    fn commit(
        &mut self,
        deltas: Vec<Vec<u8>>,
        lost: LostChange,
        fold: bool,
    ) -> Result<(), StoreError> {
        let name = self.guard.name.as_str();
        let added: u64 = deltas.iter().map(|d| d.len() as u64).sum();
        let entries = self.stats.log_entries.saturating_add(deltas.len() as u64);
        let bytes = self.stats.log_bytes.saturating_add(added);
        let fold = fold || self.should_fold(entries, bytes);
        let snapshot = if fold {
            Some(records::encode(self.replica.state(), name)?)
        } else {
            None
        };
        let checkpoint = records::encode(&self.replica.checkpoint(), name)?;
        let lost_bytes = match &lost {
            LostChange::Set(state) => Some(records::encode(&LostRecord::from(state), name)?),
            LostChange::Keep | LostChange::Clear => None,
        };
        let during = || format!("committing object {name:?}");
        let txn = self.guard.store.begin_write(&during())?;
        {
            if let Some(snapshot) = &snapshot {
                let mut snapshots = txn
                    .open_table(SNAPSHOTS)
                    .map_err(|e| StoreError::storage(during(), e))?;
                snapshots
                    .insert(name, snapshot.as_slice())
                    .map_err(|e| StoreError::storage(during(), e))?;
                txn.delete_table(log_table(&self.log_name))
                    .map_err(|e| StoreError::storage(during(), e))?;
            } else if !deltas.is_empty() {
                let mut log = txn
                    .open_table(log_table(&self.log_name))
                    .map_err(|e| StoreError::storage(during(), e))?;
                for (position, delta) in (self.stats.log_entries.saturating_add(1)..).zip(&deltas) {
                    log.insert(position, delta.as_slice())
                        .map_err(|e| StoreError::storage(during(), e))?;
                }
            }
            let mut checkpoints = txn
                .open_table(CHECKPOINTS)
                .map_err(|e| StoreError::storage(during(), e))?;
            checkpoints
                .insert(name, checkpoint.as_slice())
                .map_err(|e| StoreError::storage(during(), e))?;
            match (&lost, &lost_bytes) {
                (LostChange::Set(_), Some(bytes)) => {
                    txn.open_table(LOST)
                        .map_err(|e| StoreError::storage(during(), e))?
                        .insert(name, bytes.as_slice())
                        .map_err(|e| StoreError::storage(during(), e))?;
                }
                (LostChange::Clear, _) => {
                    txn.open_table(LOST)
                        .map_err(|e| StoreError::storage(during(), e))?
                        .remove(name)
                        .map_err(|e| StoreError::storage(during(), e))?;
                }
                _ => {}
            }
        }
        txn.commit().map_err(|e| StoreError::storage(during(), e))?;
        self.stats.commits = self.stats.commits.saturating_add(1);
        match snapshot {
            Some(snapshot) => {
                self.stats.log_entries = 0;
                self.stats.log_bytes = 0;
                self.stats.snapshot_bytes = snapshot.len() as u64;
                self.stats.folds = self.stats.folds.saturating_add(1);
            }
            None => {
                self.stats.log_entries = entries;
                self.stats.log_bytes = bytes;
            }
        }
        match lost {
            LostChange::Set(state) => self.lost = Some(state),
            LostChange::Clear => self.lost = None,
            LostChange::Keep => {}
        }
        Ok(())
    }
}

/// What the file holds of an object.
struct Loaded<T> {
    state: T,
    checkpoint: Checkpoint,
    lost: Option<LostState>,
    stats: StorageStats,
}

/// Reads an object: `None` when the store has none of that name.
fn load<T: Syncable>(
    guard: &OpenGuard,
    name: &str,
    log_name: &str,
) -> Result<Option<Loaded<T>>, StoreError> {
    let during = || format!("reading object {name:?}");
    let storage = |e: redb::StorageError| StoreError::storage(during(), e);
    let txn = guard
        .store
        .db()
        .begin_read()
        .map_err(|e| StoreError::storage(during(), e))?;
    let get =
        |table: TableDefinition<'static, &str, &[u8]>| -> Result<Option<Vec<u8>>, StoreError> {
            match txn.open_table(table) {
                Ok(table) => Ok(table
                    .get(name)
                    .map_err(storage)?
                    .map(|v| v.value().to_vec())),
                Err(TableError::TableDoesNotExist(_)) => Ok(None),
                Err(e) => Err(StoreError::storage(during(), e)),
            }
        };
    let checkpoint = get(CHECKPOINTS)?;
    let snapshot = get(SNAPSHOTS)?;
    let lost = get(LOST)?;
    let inconsistent = |reason: &str| StoreError::Inconsistent {
        object: name.to_owned(),
        reason: reason.to_owned(),
    };
    let (checkpoint, snapshot) = match (checkpoint, snapshot) {
        (Some(checkpoint), Some(snapshot)) => (checkpoint, snapshot),
        (None, None) => {
            if lost.is_some() {
                return Err(inconsistent("it has a lost-state record but no checkpoint"));
            }
            return match txn.open_table(log_table(log_name)) {
                Err(TableError::TableDoesNotExist(_)) => Ok(None),
                Ok(_) => Err(inconsistent("it has a log but no checkpoint or snapshot")),
                Err(e) => Err(StoreError::storage(during(), e)),
            };
        }
        (Some(_), None) => return Err(inconsistent("it has a checkpoint but no snapshot")),
        (None, Some(_)) => return Err(inconsistent("it has a snapshot but no checkpoint")),
    };
    let mut state: T = records::decode(&snapshot, || Record::Snapshot {
        object: name.to_owned(),
    })?;
    let checkpoint: Checkpoint = records::decode(&checkpoint, || Record::Checkpoint {
        object: name.to_owned(),
    })?;
    let lost: Option<LostState> = match lost {
        Some(bytes) => {
            let record: LostRecord = records::decode(&bytes, || Record::LostState {
                object: name.to_owned(),
            })?;
            Some(record.into())
        }
        None => None,
    };
    let mut stats = StorageStats {
        snapshot_bytes: snapshot.len() as u64,
        ..StorageStats::default()
    };
    match txn.open_table(log_table(log_name)) {
        Ok(log) => {
            let expected_len = log.len().map_err(storage)?;
            let mut joined = JoinTree::default();
            for (expected, entry) in (1u64..).zip(log.iter().map_err(storage)?) {
                let (position, bytes) = entry.map_err(storage)?;
                let position = position.value();
                if position != expected {
                    return Err(inconsistent(&format!(
                        "log entry {expected} is missing (the next one is {position})"
                    )));
                }
                let bytes = bytes.value();
                let delta: T = records::decode(bytes, || Record::LogEntry {
                    object: name.to_owned(),
                    position,
                })?;
                joined.push(delta);
                stats.log_entries = position;
                stats.log_bytes = stats.log_bytes.saturating_add(bytes.len() as u64);
            }
            if stats.log_entries != expected_len {
                return Err(inconsistent("the log's length does not match its entries"));
            }
            if let Some(joined) = joined.finish() {
                state.merge(&joined);
            }
        }
        Err(TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(StoreError::storage(during(), e)),
    }
    if let Some(lost) = &lost
        && lost.id != checkpoint.id
    {
        return Err(inconsistent(
            "its lost-state record names another replica id than its checkpoint",
        ));
    }
    Ok(Some(Loaded {
        state,
        checkpoint,
        lost,
        stats,
    }))
}
