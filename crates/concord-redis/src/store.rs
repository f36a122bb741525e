//! Durable replicas in Redis: a snapshot and a delta log per object, each write committed by
//! one Lua script before it is acknowledged.

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use concord_core::ReplicaId;
use concord_sync::{
    ApplyError, Behind, Config, LostState, Replica, Served, SessionToken, Syncable,
};

use crate::error::{ReceiveError, Record, StoreError, WriteError};
use crate::keys::Keys;
use crate::records::{self, LostRecord};
use crate::transport::Snapshot;
use crate::value::Conn;

/// The commit: checks the fence, then writes the checkpoint, the snapshot (a fold: the log is
/// dropped) or the deltas, and the lost-state record, atomically. Returns the log's length.
const COMMIT: &str = r"
local fence = redis.call('GET', KEYS[1])
if fence == false then fence = '' end
if fence ~= ARGV[1] then
  return redis.error_reply('CONCORDFENCED ' .. fence)
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[3], ARGV[4])
  redis.call('DEL', KEYS[4])
end
if ARGV[5] == 'set' then
  redis.call('SET', KEYS[5], ARGV[6])
elseif ARGV[5] == 'clear' then
  redis.call('DEL', KEYS[5])
end
for i = 7, #ARGV do
  redis.call('RPUSH', KEYS[4], ARGV[i])
end
return redis.call('LLEN', KEYS[4])
";

/// A Redis server holding stored replicas under a key prefix.
///
/// Each [`replica`](Self::replica) opens its own connection.
#[derive(Clone, Debug)]
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
}

impl RedisStore {
    /// A store on the server at `url` (`redis://127.0.0.1:6379/`), keys under prefix
    /// `concord`. Nothing is sent to the server yet.
    ///
    /// # Errors
    ///
    /// [`StoreError::Redis`] for a URL the client does not accept.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::redis(format!("opening {url:?}"), e))?;
        Ok(Self::with_client(client, "concord"))
    }

    /// A store through `client`, keys under `prefix`.
    #[must_use]
    pub fn with_client(client: redis::Client, prefix: &str) -> Self {
        Self {
            client,
            prefix: prefix.to_owned(),
        }
    }

    /// The client.
    #[must_use]
    pub const fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The key prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The keys of stored replica `name`.
    #[must_use]
    pub fn keys(&self, name: &str) -> Keys {
        Keys::new(&self.prefix, name)
    }

    /// Opens stored replica `name` of type `T`: loads its snapshot and log and restores the
    /// replica in a new incarnation, or creates it with a fresh random id, and commits the new
    /// incarnation (and fence) before returning. A process that had it open is fenced out
    /// from then on.
    ///
    /// # Errors
    ///
    /// [`StoreError`]: Redis failed, a value is corrupt or of another type, or another
    /// process opened the object at the same moment.
    pub fn replica<T: Syncable>(
        &self,
        name: &str,
        options: Options,
    ) -> Result<RedisReplica<T>, StoreError> {
        self.open_replica(name, options, None)
    }

    /// Opens stored replica `name` as [`replica`](Self::replica) does, or, when Redis holds
    /// nothing of it yet, creates it from `seed` (the join of other replicas' onboarding
    /// snapshots, [`RedisTransport::fetch_snapshot`](crate::RedisTransport::fetch_snapshot))
    /// under a fresh id: it then holds, durably, everything the snapshots held, with no peer
    /// online. An existing object ignores `seed`.
    ///
    /// # Errors
    ///
    /// As [`replica`](Self::replica).
    pub fn replica_from<T: Syncable>(
        &self,
        name: &str,
        options: Options,
        seed: Snapshot<T>,
    ) -> Result<RedisReplica<T>, StoreError> {
        self.open_replica(name, options, Some(seed))
    }

    fn open_replica<T: Syncable>(
        &self,
        name: &str,
        options: Options,
        seed: Option<Snapshot<T>>,
    ) -> Result<RedisReplica<T>, StoreError> {
        let during = || format!("connecting for object {name:?}");
        let mut conn = self
            .client
            .get_connection()
            .map_err(|e| StoreError::redis(during(), e))?;
        let keys = self.keys(name);
        let loaded = records::load::<T>(&mut conn, &keys, name)?;
        let (replica, lost, stats, fence, new) = match loaded {
            Some(loaded) => {
                let mut checkpoint = loaded.checkpoint;
                // `restore` moves to the incarnation after the checkpoint's.
                checkpoint.incarnation = next_incarnation(checkpoint.incarnation).saturating_sub(1);
                let replica = Replica::restore(loaded.state, checkpoint, options.config).map_err(
                    |source| StoreError::Corrupt {
                        record: Record::Checkpoint {
                            key: keys.store("checkpoint"),
                        },
                        source,
                    },
                )?;
                let stats = StorageStats {
                    log_entries: loaded.log_entries,
                    log_bytes: loaded.log_bytes,
                    snapshot_bytes: loaded.snapshot_bytes,
                    ..StorageStats::default()
                };
                (replica, loaded.lost, stats, loaded.fence, false)
            }
            None => {
                let incarnation = next_incarnation(0);
                let replica = match seed {
                    Some(seed) => {
                        let key = seed.first_key(&keys);
                        seed.into_replica_at(ReplicaId::random(), options.config, incarnation)
                            .map_err(|source| StoreError::Corrupt {
                                record: Record::OnboardingCheckpoint { key },
                                source,
                            })?
                    }
                    None => Replica::with_config(
                        ReplicaId::random(),
                        T::default(),
                        options.config.with_incarnation(incarnation),
                    ),
                };
                (replica, None, StorageStats::default(), String::new(), true)
            }
        };
        let mut stored = RedisReplica {
            conn: Conn(conn),
            name: name.to_owned(),
            keys,
            fence,
            replica,
            options,
            lost,
            stats,
            poisoned: true,
        };
        // Record the new incarnation (and for a new object, its empty snapshot) before the
        // replica can send anything.
        stored.commit(Vec::new(), LostChange::Keep, new)?;
        stored.poisoned = false;
        Ok(stored)
    }
}

/// The incarnation after `previous`: greater than it, and at least the wall clock in
/// milliseconds, so that an object restored from an old Redis backup still comes back in an
/// incarnation greater than any its lost later lives used.
fn next_incarnation(previous: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    previous.saturating_add(1).max(now)
}

/// How an object is kept: the replica's configuration, and when the log is folded into the
/// snapshot (as in `concord-store`: at `fold_entries` entries or `fold_bytes` bytes, once the
/// log holds at least a quarter of the snapshot's bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The replica's configuration. Its incarnation is ignored: the store chooses the next
    /// one.
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

/// What Redis holds of an object, and what the replica did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageStats {
    /// Deltas in the log since the last fold.
    pub log_entries: u64,
    /// Their encoded bytes.
    pub log_bytes: u64,
    /// The snapshot's encoded bytes.
    pub snapshot_bytes: u64,
    /// Commits (scripts run) since the replica was opened.
    pub commits: u64,
    /// Folds of the log into the snapshot since it was opened.
    pub folds: u64,
}

/// A batch of local writes committed by one script: see [`RedisReplica::apply_batch`].
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

/// A batch that committed: what its closure returned, and each write's session token.
#[derive(Debug)]
#[non_exhaustive]
pub struct Committed<R> {
    /// What the batch's closure returned.
    pub value: R,
    /// The writes' session tokens, by index.
    pub tokens: Vec<SessionToken>,
}

/// What a commit does to the lost-state record.
enum LostChange {
    Keep,
    Set(LostState),
    Clear,
}

/// A write made: its session token, and its delta's bytes (or why they could not be had).
type Written = (SessionToken, Result<Vec<u8>, StoreError>);

fn write<T: Syncable, E>(
    replica: &mut Replica<T>,
    object: &str,
    f: impl FnOnce(&mut T) -> Result<T, E>,
) -> Result<Written, ApplyError<E>> {
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

/// A `concord_sync::Replica` whose state lives in Redis: a local write returns its session
/// token only once its delta and the replica's checkpoint are committed (one Lua script, run
/// atomically by the server), and a received message's new part is committed before
/// [`receive`](Self::receive) returns. The same rules as `concord-store`'s `DurableReplica`:
/// nothing that is not committed ever leaves the replica, and a failed commit poisons it.
///
/// Each commit checks the object's fence: a replica opened again elsewhere (another process,
/// or this one after a restart) fences out the earlier one, whose next write fails with
/// [`StoreError::Fenced`].
///
/// "Committed" means what Redis's persistence makes of it: with `appendonly yes` and
/// `appendfsync always` a commit is on disk when acknowledged; without persistence it is in
/// the server's memory (see `docs/redis.md`).
#[derive(Debug)]
pub struct RedisReplica<T: Syncable> {
    conn: Conn,
    name: String,
    keys: Keys,
    /// The fence this replica committed last (empty before the first commit of a new object).
    fence: String,
    replica: Replica<T>,
    options: Options,
    lost: Option<LostState>,
    stats: StorageStats,
    poisoned: bool,
}

impl<T: Syncable> RedisReplica<T> {
    /// A local write, committed before it is acknowledged.
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
        let (token, encoded) = match write(&mut self.replica, &self.name, f) {
            Ok(written) => written,
            Err(e) => {
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

    /// Group commit: the writes `f` makes through the [`Batch`] are committed by one script,
    /// and their session tokens are returned only then.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed: no write of the batch is acknowledged, and the
    /// replica is poisoned.
    pub fn apply_batch<R>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_, T>) -> R,
    ) -> Result<Committed<R>, StoreError> {
        self.usable()?;
        self.poisoned = true;
        let mut batch = Batch {
            replica: &mut self.replica,
            refusal: self.lost.as_ref(),
            object: &self.name,
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
                Some(delta) => vec![records::encode(delta, &self.name)?],
                None => Vec::new(),
            };
            self.commit(deltas, lost, false)?;
        }
        self.poisoned = false;
        Ok(novel)
    }

    /// Gives the replica a fresh random id after it lost state, committed before this
    /// returns; writes are accepted again. Returns the new id.
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

    /// Folds the log into the snapshot now, in one script.
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

    /// The next message to send to `peer`, if any; `None` from a poisoned replica.
    pub fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        if self.poisoned {
            return None;
        }
        self.replica.poll_transmit(peer)
    }

    /// Says that the caller's clock reads `now`.
    pub fn on_tick(&mut self, now: u64) {
        self.replica.on_tick(now);
    }

    /// Adds a peer. Peers are not stored: the caller (or the transport) adds them after every
    /// open.
    pub fn add_peer(&mut self, peer: ReplicaId) {
        self.replica.add_peer(peer);
    }

    /// Removes a peer.
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
        &self.name
    }

    /// The object's keys.
    #[must_use]
    pub const fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The object's options.
    #[must_use]
    pub const fn options(&self) -> &Options {
        &self.options
    }

    /// What Redis holds of the object, and what the replica did.
    #[must_use]
    pub const fn storage_stats(&self) -> &StorageStats {
        &self.stats
    }

    /// Whether an earlier commit failed: the replica then refuses everything.
    #[must_use]
    pub const fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned {
                object: self.name.clone(),
            });
        }
        Ok(())
    }

    fn should_fold(&self, entries: u64, bytes: u64) -> bool {
        let passed = entries >= self.options.fold_entries || bytes >= self.options.fold_bytes;
        passed && bytes.saturating_mul(4) >= self.stats.snapshot_bytes
    }

    /// Commits `deltas` (encoded, in order) to the log, or folds the log into a snapshot when
    /// it passes its thresholds (or `fold` says so), with the checkpoint, the fence and the
    /// lost-state record, in one script.
    fn commit(
        &mut self,
        deltas: Vec<Vec<u8>>,
        lost: LostChange,
        fold: bool,
    ) -> Result<(), StoreError> {
        let name = self.name.as_str();
        let added: u64 = deltas.iter().map(|d| d.len() as u64).sum();
        let entries = self.stats.log_entries.saturating_add(deltas.len() as u64);
        let bytes = self.stats.log_bytes.saturating_add(added);
        let fold = fold || self.should_fold(entries, bytes);
        let snapshot = if fold {
            records::encode(self.replica.state(), name)?
        } else {
            Vec::new()
        };
        let checkpoint = self.replica.checkpoint();
        let fence = checkpoint.incarnation.to_string();
        let checkpoint = records::encode(&checkpoint, name)?;
        let (lost_op, lost_bytes) = match &lost {
            LostChange::Set(state) => ("set", records::encode(&LostRecord::from(state), name)?),
            LostChange::Keep => ("keep", Vec::new()),
            LostChange::Clear => ("clear", Vec::new()),
        };
        let script = redis::Script::new(COMMIT);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.keys.store("fence"))
            .key(self.keys.store("checkpoint"))
            .key(self.keys.store("snapshot"))
            .key(self.keys.store("log"))
            .key(self.keys.store("lost"))
            .arg(self.fence.as_str())
            .arg(fence.as_str())
            .arg(checkpoint.as_slice())
            .arg(snapshot.as_slice())
            .arg(lost_op)
            .arg(lost_bytes.as_slice());
        if !fold {
            for delta in &deltas {
                invocation.arg(delta.as_slice());
            }
        }
        let log_len: u64 = match invocation.invoke(&mut self.conn.0) {
            Ok(len) => len,
            Err(e) if e.code() == Some("CONCORDFENCED") => {
                return Err(StoreError::Fenced {
                    object: name.to_owned(),
                    held: self.fence.clone(),
                    found: e.detail().unwrap_or_default().to_owned(),
                });
            }
            Err(e) => return Err(StoreError::redis(format!("committing object {name:?}"), e)),
        };
        self.fence = fence;
        self.stats.commits = self.stats.commits.saturating_add(1);
        if fold {
            self.stats.log_entries = 0;
            self.stats.log_bytes = 0;
            self.stats.snapshot_bytes = snapshot.len() as u64;
            self.stats.folds = self.stats.folds.saturating_add(1);
        } else {
            self.stats.log_entries = entries;
            self.stats.log_bytes = bytes;
        }
        if log_len != self.stats.log_entries {
            return Err(StoreError::Inconsistent {
                object: name.to_owned(),
                reason: format!(
                    "its log holds {log_len} entries after the commit, this replica wrote {}",
                    self.stats.log_entries
                ),
            });
        }
        match lost {
            LostChange::Set(state) => self.lost = Some(state),
            LostChange::Clear => self.lost = None,
            LostChange::Keep => {}
        }
        Ok(())
    }
}
