//! Replicas whose state lives in PostgreSQL rows: a row per object (checkpoint, snapshot,
//! counts, lost-state record) and a row per delta of its log, every change one transaction
//! that holds the object's row lock.

use std::convert::Infallible;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use concord_core::ReplicaId;
use concord_core::lattice::JoinTree;
use concord_sync::{
    ApplyError, Behind, Checkpoint, Config, LostState, Replica, Served, SessionToken, Syncable,
};
use postgres::{Client, NoTls, Statement, Transaction};

use crate::error::{ReceiveError, Record, StoreError, WriteError};
use crate::records::{self, FORMAT, from_db, to_db};

/// The longest object name, in bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// The longest table prefix, in bytes (the tables' names stay within PostgreSQL's 63).
pub const MAX_PREFIX_LEN: usize = 40;

/// The names of a store's tables: `<prefix>_format`, `<prefix>_replicas`, `<prefix>_log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    /// One row: the table layout's version.
    pub format: String,
    /// One row per object: checkpoint, snapshot, counts, lost-state record.
    pub replicas: String,
    /// One row per delta since the object's last fold.
    pub log: String,
}

impl Tables {
    fn new(prefix: &str) -> Self {
        Self {
            format: format!("{prefix}_format"),
            replicas: format!("{prefix}_replicas"),
            log: format!("{prefix}_log"),
        }
    }
}

/// A PostgreSQL database holding stored replicas in tables under a prefix.
///
/// Each [`replica`](Self::replica) opens its own connection; any number of processes may open
/// the same object, and their writes are serialised by its row lock (see [`PgReplica`]).
#[derive(Clone)]
pub struct PgStore {
    config: postgres::Config,
    prefix: String,
    tables: Tables,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration may hold a password: only where it points is shown.
        f.debug_struct("PgStore")
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// A store in the database that `params` names (`host=127.0.0.1 port=5432 user=app
    /// dbname=app` or `postgresql://app@127.0.0.1/app`), tables under prefix `concord`.
    /// Nothing is sent to the server yet.
    ///
    /// # Errors
    ///
    /// [`StoreError::Postgres`] for parameters the client does not accept.
    pub fn open(params: &str) -> Result<Self, StoreError> {
        let config = params
            .parse::<postgres::Config>()
            .map_err(|e| StoreError::postgres("parsing the connection parameters", e))?;
        Self::with_config(config, "concord")
    }

    /// A store through `config`, tables under `prefix`.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidPrefix`] unless `prefix` is 1 to [`MAX_PREFIX_LEN`] bytes of
    /// `a-z`, `0-9` and `_`, not starting with a digit (it is spliced into table names).
    pub fn with_config(config: postgres::Config, prefix: &str) -> Result<Self, StoreError> {
        let valid = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !prefix.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(StoreError::InvalidPrefix {
                prefix: prefix.to_owned(),
            });
        }
        Ok(Self {
            config,
            prefix: prefix.to_owned(),
            tables: Tables::new(prefix),
        })
    }

    /// The connection configuration.
    #[must_use]
    pub const fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// The table prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The tables' names.
    #[must_use]
    pub const fn tables(&self) -> &Tables {
        &self.tables
    }

    /// A new connection to the database (without TLS).
    ///
    /// # Errors
    ///
    /// [`StoreError::Postgres`] when the server cannot be reached or refuses the login.
    pub fn connect(&self) -> Result<Client, StoreError> {
        self.config
            .connect(NoTls)
            .map_err(|e| StoreError::postgres("connecting", e))
    }

    /// Creates the tables if they are missing, and checks their layout's version. Run by
    /// every [`replica`](Self::replica); safe against other processes doing the same at once
    /// (a transaction-scoped advisory lock orders them).
    ///
    /// # Errors
    ///
    /// [`StoreError::Postgres`], or [`StoreError::UnsupportedFormat`] for tables written by a
    /// build with another layout.
    pub fn create_tables(&self, client: &mut Client) -> Result<(), StoreError> {
        let during = "creating the tables";
        let pg = |e| StoreError::postgres(during, e);
        let Tables {
            format,
            replicas,
            log,
        } = &self.tables;
        let mut tx = client.transaction().map_err(pg)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("concord-postgres {}", self.prefix)],
        )
        .map_err(pg)?;
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {format} (format integer NOT NULL);
             CREATE TABLE IF NOT EXISTS {replicas} (
                 name text PRIMARY KEY,
                 commits bigint NOT NULL,
                 folds bigint NOT NULL,
                 checkpoint bytea NOT NULL,
                 snapshot bytea NOT NULL,
                 log_entries bigint NOT NULL,
                 log_bytes bigint NOT NULL,
                 lost_held bigint,
                 lost_seen bigint,
                 lost_peer bytea
             );
             CREATE TABLE IF NOT EXISTS {log} (
                 name text NOT NULL REFERENCES {replicas} (name) ON DELETE CASCADE,
                 position bigint NOT NULL,
                 delta bytea NOT NULL,
                 PRIMARY KEY (name, position)
             );"
        ))
        .map_err(pg)?;
        let rows = tx
            .query(&format!("SELECT format FROM {format}"), &[])
            .map_err(pg)?;
        if rows.is_empty() {
            tx.execute(&format!("INSERT INTO {format} VALUES ($1)"), &[&FORMAT])
                .map_err(pg)?;
        }
        for row in rows {
            let found: i32 = row.try_get(0).map_err(pg)?;
            if found != FORMAT {
                return Err(StoreError::UnsupportedFormat {
                    found,
                    supported: FORMAT,
                });
            }
        }
        tx.commit().map_err(pg)
    }

    /// Opens stored object `name` of type `T` on a connection of its own: loads its snapshot
    /// and log and restores the replica in a new incarnation, or creates it with a fresh
    /// random id, and commits before returning.
    ///
    /// Several processes (or several handles in one) may open the same object: they are one
    /// replica, under one id, whose writes are serialised by the object's row lock.
    ///
    /// # Errors
    ///
    /// [`StoreError`]: the server failed, a row is corrupt or of another type, or the name or
    /// tables are refused.
    pub fn replica<T: Syncable>(
        &self,
        name: &str,
        options: Options,
    ) -> Result<PgReplica<T>, StoreError> {
        if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains('\0') {
            return Err(StoreError::InvalidName {
                name: name.chars().take(64).collect(),
            });
        }
        let mut client = self.connect()?;
        self.create_tables(&mut client)?;
        let statements = Statements::prepare(&mut client, &self.tables, name)?;
        let mut inner = Inner {
            name: name.to_owned(),
            statements,
            replica: Replica::new(ReplicaId::from_u128(0), T::default()),
            options,
            lost: None,
            stats: StorageStats::default(),
            commits: 0,
            folds: 0,
            now: None,
            poisoned: true,
        };
        let pg = |e| StoreError::postgres(format!("opening object {name:?}"), e);
        // A process that creates the object at the same moment wins the insert; this one then
        // finds its row.
        for _ in 0..3 {
            let mut tx = client.transaction().map_err(pg)?;
            if let Some(row) = inner.lock(&mut tx)? {
                inner.catch_up(&mut tx, &row, true)?;
                inner.commit(tx, Pending::default())?;
                inner.poisoned = false;
                return Ok(PgReplica { client, inner });
            }
            let config = options.config.with_incarnation(next_incarnation(0));
            inner.replica = Replica::with_config(ReplicaId::random(), T::default(), config);
            let snapshot = records::encode(inner.replica.state(), name)?;
            let checkpoint = records::encode(&inner.replica.checkpoint(), name)?;
            let inserted = tx
                .execute(&inner.statements.insert, &[&name, &checkpoint, &snapshot])
                .map_err(pg)?;
            if inserted == 1 {
                tx.commit().map_err(pg)?;
                inner.commits = 1;
                inner.folds = 1;
                inner.stats = StorageStats {
                    snapshot_bytes: snapshot.len() as u64,
                    commits: 1,
                    folds: 1,
                    ..StorageStats::default()
                };
                inner.poisoned = false;
                return Ok(PgReplica { client, inner });
            }
            tx.rollback().map_err(pg)?;
        }
        Err(StoreError::inconsistent(
            name,
            "its row vanished while it was being opened (deleted by another process?)",
        ))
    }
}

/// The incarnation after `previous`: greater than it, and at least the wall clock in
/// milliseconds, so that a database restored from an old backup still comes back in an
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

/// What the database holds of an object, and what this handle did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageStats {
    /// Deltas in the log since the last fold.
    pub log_entries: u64,
    /// Their encoded bytes.
    pub log_bytes: u64,
    /// The snapshot's encoded bytes.
    pub snapshot_bytes: u64,
    /// Transactions committed by this handle since it was opened.
    pub commits: u64,
    /// Folds of the log into the snapshot by this handle since it was opened.
    pub folds: u64,
    /// Times this handle found the row changed by another handle (or process) and caught up
    /// from the log before its own change.
    pub catch_ups: u64,
}

/// A batch of local writes committed in one transaction: see [`PgReplica::apply_batch`].
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

    /// The state, with the batch's writes so far (and every write committed before the
    /// batch took the row lock).
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
#[derive(Default)]
enum LostChange {
    #[default]
    Keep,
    Set(LostState),
    Clear,
}

/// What a transaction adds to the object's rows.
#[derive(Default)]
struct Pending {
    deltas: Vec<Vec<u8>>,
    lost: LostChange,
    fold: bool,
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

/// The object's statements, prepared once per connection.
struct Statements {
    lock: Statement,
    snapshot: Statement,
    log_after: Statement,
    insert: Statement,
    update: Statement,
    update_snapshot: Statement,
    append: Statement,
    clear_log: Statement,
    version: Statement,
}

impl Statements {
    fn prepare(client: &mut Client, tables: &Tables, object: &str) -> Result<Self, StoreError> {
        let Tables { replicas, log, .. } = tables;
        let mut prepare = |sql: String| {
            client
                .prepare(&sql)
                .map_err(|e| StoreError::postgres(format!("preparing for object {object:?}"), e))
        };
        Ok(Self {
            lock: prepare(format!(
                "SELECT commits, folds, checkpoint, log_entries, log_bytes, \
                 octet_length(snapshot)::bigint, lost_held, lost_seen, lost_peer \
                 FROM {replicas} WHERE name = $1 FOR UPDATE"
            ))?,
            snapshot: prepare(format!("SELECT snapshot FROM {replicas} WHERE name = $1"))?,
            log_after: prepare(format!(
                "SELECT position, delta FROM {log} WHERE name = $1 AND position > $2 \
                 ORDER BY position"
            ))?,
            insert: prepare(format!(
                "INSERT INTO {replicas} (name, commits, folds, checkpoint, snapshot, \
                 log_entries, log_bytes) VALUES ($1, 1, 1, $2, $3, 0, 0) \
                 ON CONFLICT (name) DO NOTHING"
            ))?,
            update: prepare(format!(
                "UPDATE {replicas} SET commits = $2, folds = $3, checkpoint = $4, \
                 log_entries = $5, log_bytes = $6, lost_held = $7, lost_seen = $8, \
                 lost_peer = $9 WHERE name = $1"
            ))?,
            update_snapshot: prepare(format!(
                "UPDATE {replicas} SET snapshot = $2 WHERE name = $1"
            ))?,
            append: prepare(format!(
                "INSERT INTO {log} (name, position, delta) \
                 SELECT $1, p, d FROM unnest($2::bigint[], $3::bytea[]) AS t(p, d)"
            ))?,
            clear_log: prepare(format!("DELETE FROM {log} WHERE name = $1"))?,
            version: prepare(format!("SELECT commits FROM {replicas} WHERE name = $1"))?,
        })
    }
}

/// The object's row, as locked.
struct Row {
    commits: u64,
    folds: u64,
    checkpoint: Vec<u8>,
    log_entries: u64,
    log_bytes: u64,
    snapshot_bytes: u64,
    lost: Option<(i64, i64, Vec<u8>)>,
}

/// Everything of a [`PgReplica`] but its connection (so that a transaction on the connection
/// and the replica can be borrowed at once).
struct Inner<T: Syncable> {
    name: String,
    statements: Statements,
    replica: Replica<T>,
    options: Options,
    /// The lost-state record as committed.
    lost: Option<LostState>,
    stats: StorageStats,
    /// The row's `commits` and `folds` that the memory matches.
    commits: u64,
    folds: u64,
    /// The caller's clock, last told.
    now: Option<u64>,
    poisoned: bool,
}

impl<T: Syncable> Inner<T> {
    fn pg(&self, during: &str) -> impl FnOnce(postgres::Error) -> StoreError + use<T> {
        let during = format!("{during} object {:?}", self.name);
        move |e| StoreError::postgres(during, e)
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned {
                object: self.name.clone(),
            });
        }
        Ok(())
    }

    /// Takes the object's row lock (`SELECT ... FOR UPDATE`) and reads the row.
    fn lock(&self, tx: &mut Transaction<'_>) -> Result<Option<Row>, StoreError> {
        let name = self.name.as_str();
        let row = tx
            .query_opt(&self.statements.lock, &[&name])
            .map_err(self.pg("locking"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let pg = |e| StoreError::postgres(format!("reading the row of object {name:?}"), e);
        let lost = match (
            row.try_get::<_, Option<i64>>(6).map_err(pg)?,
            row.try_get::<_, Option<i64>>(7).map_err(pg)?,
            row.try_get::<_, Option<Vec<u8>>>(8).map_err(pg)?,
        ) {
            (Some(held), Some(seen), Some(peer)) => Some((held, seen, peer)),
            (None, None, None) => None,
            _ => {
                return Err(StoreError::inconsistent(
                    name,
                    "its lost-state columns are partly null",
                ));
            }
        };
        Ok(Some(Row {
            commits: from_db(row.try_get(0).map_err(pg)?, name, "commit count")?,
            folds: from_db(row.try_get(1).map_err(pg)?, name, "fold count")?,
            checkpoint: row.try_get(2).map_err(pg)?,
            log_entries: from_db(row.try_get(3).map_err(pg)?, name, "log length")?,
            log_bytes: from_db(row.try_get(4).map_err(pg)?, name, "log bytes")?,
            snapshot_bytes: from_db(row.try_get(5).map_err(pg)?, name, "snapshot bytes")?,
            lost,
        }))
    }

    /// Locks the row and, when another handle committed since this one last did, catches
    /// up. Returns whether it caught up.
    fn lock_and_catch_up(&mut self, tx: &mut Transaction<'_>) -> Result<bool, StoreError> {
        let Some(row) = self.lock(tx)? else {
            return Err(StoreError::inconsistent(
                &self.name,
                "its row is gone (deleted by another process?)",
            ));
        };
        if row.commits == self.commits {
            return Ok(false);
        }
        self.catch_up(tx, &row, false)?;
        Ok(true)
    }

    /// Brings the memory to what the rows hold: the log rows this handle has not seen joined
    /// into its state (or, after a fold by another handle, or at open, the snapshot and the
    /// whole log), and the row's checkpoint restored in a new incarnation, since the sync
    /// state of the engine in memory no longer describes the replica.
    fn catch_up(
        &mut self,
        tx: &mut Transaction<'_>,
        row: &Row,
        opening: bool,
    ) -> Result<(), StoreError> {
        let name = self.name.as_str();
        let incremental =
            !opening && row.folds == self.folds && row.log_entries >= self.stats.log_entries;
        let (mut state, from) = if incremental {
            (self.replica.state().clone(), self.stats.log_entries)
        } else {
            let snapshot = tx
                .query_one(&self.statements.snapshot, &[&name])
                .map_err(self.pg("reading the snapshot of"))?;
            let bytes: Vec<u8> = snapshot
                .try_get(0)
                .map_err(self.pg("reading the snapshot of"))?;
            let state: T = records::decode(&bytes, || Record::Snapshot {
                object: name.to_owned(),
            })?;
            (state, 0)
        };
        let rows = tx
            .query(
                &self.statements.log_after,
                &[&name, &to_db(from, name, "log length")?],
            )
            .map_err(self.pg("reading the log of"))?;
        let mut joined = JoinTree::default();
        let mut position = from;
        let mut log_bytes = if incremental { self.stats.log_bytes } else { 0 };
        for entry in rows {
            let found = from_db(
                entry.try_get(0).map_err(self.pg("reading the log of"))?,
                name,
                "log position",
            )?;
            let expected = position.saturating_add(1);
            if found != expected {
                return Err(StoreError::inconsistent(
                    name,
                    format!("log row {expected} is missing (the next one is {found})"),
                ));
            }
            let bytes: Vec<u8> = entry.try_get(1).map_err(self.pg("reading the log of"))?;
            let delta: T = records::decode(&bytes, || Record::LogEntry {
                object: name.to_owned(),
                position: found,
            })?;
            joined.push(delta);
            position = found;
            log_bytes = log_bytes.saturating_add(bytes.len() as u64);
        }
        if position != row.log_entries {
            return Err(StoreError::inconsistent(
                name,
                format!(
                    "its row counts {} log rows, the log holds {position}",
                    row.log_entries
                ),
            ));
        }
        if log_bytes != row.log_bytes {
            return Err(StoreError::inconsistent(
                name,
                format!(
                    "its row counts {} log bytes, the log holds {log_bytes}",
                    row.log_bytes
                ),
            ));
        }
        if let Some(joined) = joined.finish() {
            state.merge(&joined);
        }
        let mut checkpoint: Checkpoint = records::decode(&row.checkpoint, || Record::Checkpoint {
            object: name.to_owned(),
        })?;
        let lost = match &row.lost {
            Some((held, seen, peer)) => {
                let record = || Record::LostState {
                    object: name.to_owned(),
                };
                let peer: [u8; 16] = peer.as_slice().try_into().map_err(|_| {
                    StoreError::inconsistent(
                        name,
                        format!("{} has a peer id of {} bytes, not 16", record(), peer.len()),
                    )
                })?;
                Some(LostState {
                    id: checkpoint.id,
                    held: from_db(*held, name, "lost-state held count")?,
                    seen: from_db(*seen, name, "lost-state seen count")?,
                    peer: ReplicaId::from_bytes(peer),
                })
            }
            None => None,
        };
        // `restore` moves to the incarnation after the checkpoint's.
        checkpoint.incarnation = next_incarnation(checkpoint.incarnation).saturating_sub(1);
        let peers: Vec<ReplicaId> = self.replica.peers().copied().collect();
        let mut replica =
            Replica::restore(state, checkpoint, self.options.config).map_err(|source| {
                StoreError::Corrupt {
                    record: Record::Checkpoint {
                        object: name.to_owned(),
                    },
                    source,
                }
            })?;
        for peer in peers {
            replica.add_peer(peer);
        }
        if let Some(now) = self.now {
            replica.on_tick(now);
        }
        self.replica = replica;
        self.lost = lost;
        self.commits = row.commits;
        self.folds = row.folds;
        self.stats.log_entries = row.log_entries;
        self.stats.log_bytes = log_bytes;
        self.stats.snapshot_bytes = row.snapshot_bytes;
        if !opening {
            self.stats.catch_ups = self.stats.catch_ups.saturating_add(1);
        }
        Ok(())
    }

    fn should_fold(&self, entries: u64, bytes: u64) -> bool {
        let passed = entries >= self.options.fold_entries || bytes >= self.options.fold_bytes;
        passed && bytes.saturating_mul(4) >= self.stats.snapshot_bytes
    }

    /// Writes `pending` (deltas appended to the log, or the log folded into a new snapshot)
    /// with the checkpoint and the lost-state record, and commits. The memory's counts move
    /// only once the commit succeeded.
    fn commit(&mut self, mut tx: Transaction<'_>, pending: Pending) -> Result<(), StoreError> {
        let name = self.name.as_str();
        let Pending { deltas, lost, fold } = pending;
        let added: u64 = deltas.iter().map(|d| d.len() as u64).sum();
        let entries = self.stats.log_entries.saturating_add(deltas.len() as u64);
        let bytes = self.stats.log_bytes.saturating_add(added);
        let fold = fold || self.should_fold(entries, bytes);
        let checkpoint = records::encode(&self.replica.checkpoint(), name)?;
        let lost_after = match &lost {
            LostChange::Keep => self.lost.clone(),
            LostChange::Set(state) => Some(state.clone()),
            LostChange::Clear => None,
        };
        let (lost_held, lost_seen, lost_peer) = match &lost_after {
            Some(l) => (
                Some(to_db(l.held, name, "lost-state held count")?),
                Some(to_db(l.seen, name, "lost-state seen count")?),
                Some(l.peer.to_bytes().to_vec()),
            ),
            None => (None, None, None),
        };
        let mut snapshot_len = None;
        if fold {
            let snapshot = records::encode(self.replica.state(), name)?;
            snapshot_len = Some(snapshot.len() as u64);
            tx.execute(&self.statements.clear_log, &[&name])
                .map_err(self.pg("folding the log of"))?;
            tx.execute(&self.statements.update_snapshot, &[&name, &snapshot])
                .map_err(self.pg("writing the snapshot of"))?;
        } else if !deltas.is_empty() {
            let positions = (self.stats.log_entries.saturating_add(1)..=entries)
                .map(|p| to_db(p, name, "log position"))
                .collect::<Result<Vec<i64>, _>>()?;
            tx.execute(&self.statements.append, &[&name, &positions, &deltas])
                .map_err(self.pg("appending to the log of"))?;
        }
        let commits = self.commits.saturating_add(1);
        let folds = self.folds.saturating_add(u64::from(fold));
        let (log_entries, log_bytes) = if fold { (0, 0) } else { (entries, bytes) };
        let updated = tx
            .execute(
                &self.statements.update,
                &[
                    &name,
                    &to_db(commits, name, "commit count")?,
                    &to_db(folds, name, "fold count")?,
                    &checkpoint,
                    &to_db(log_entries, name, "log length")?,
                    &to_db(log_bytes, name, "log bytes")?,
                    &lost_held,
                    &lost_seen,
                    &lost_peer,
                ],
            )
            .map_err(self.pg("updating the row of"))?;
        if updated != 1 {
            return Err(StoreError::inconsistent(name, "its row is gone"));
        }
        tx.commit().map_err(self.pg("committing"))?;
        self.commits = commits;
        self.folds = folds;
        self.stats.commits = self.stats.commits.saturating_add(1);
        self.stats.log_entries = log_entries;
        self.stats.log_bytes = log_bytes;
        if let Some(len) = snapshot_len {
            self.stats.snapshot_bytes = len;
            self.stats.folds = self.stats.folds.saturating_add(1);
        }
        self.lost = lost_after;
        Ok(())
    }

    /// Ends a transaction whose change was refused: a catch-up moved the memory to a new
    /// incarnation, which is committed so that no other handle picks the same one; otherwise
    /// nothing changed and the transaction is rolled back.
    fn finish_unchanged(&mut self, tx: Transaction<'_>, caught_up: bool) -> Result<(), StoreError> {
        if caught_up {
            self.commit(tx, Pending::default())
        } else {
            tx.rollback().map_err(self.pg("rolling back"))
        }
    }
}

/// A `concord_sync::Replica` whose state lives in PostgreSQL: a local write returns its
/// session token only once its delta and the replica's checkpoint are committed, and a
/// received message's new part is committed before [`receive`](Self::receive) returns.
/// Nothing that is not committed ever leaves the replica, and a failed commit poisons it
/// ([`StoreError::Poisoned`]), as with `concord-store`'s `DurableReplica`.
///
/// # Several processes, one replica
///
/// Every change is one transaction that first locks the object's row (`SELECT ... FOR
/// UPDATE`). When the row's commit count is not the one this handle last committed, another
/// handle (in this process or another) wrote in between: this one reads the log rows it has
/// not seen, joins them into its state, takes the row's checkpoint (own write count,
/// frontier) and moves to a new incarnation, all under the lock, and only then runs the
/// write. So each write runs on the state that holds every write committed before it, and
/// concurrent writers never lose each other's updates, whatever the type (a `GCounter`
/// increment computed on a stale count would be one). Peers see the new incarnation and
/// catch the replica up by summary; the handle keeps its peers and clock.
///
/// Reads of a handle ([`state`](Self::state), [`replica`](Self::replica)) show what it held
/// at its last transaction; [`refresh`](Self::refresh) catches up without writing. A handle
/// that syncs with peers should refresh before [`poll_transmit`](Self::poll_transmit):
/// messages from a handle in an older incarnation than one the peer has heard from are
/// ignored by the peer (harmless, but useless). The simplest layout is one process that
/// syncs, and any number that write.
pub struct PgReplica<T: Syncable> {
    client: Client,
    inner: Inner<T>,
}

impl<T: Syncable> fmt::Debug for PgReplica<T>
where
    T: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgReplica")
            .field("name", &self.inner.name)
            .field("replica", &self.inner.replica)
            .field("options", &self.inner.options)
            .field("lost", &self.inner.lost)
            .field("stats", &self.inner.stats)
            .field("poisoned", &self.inner.poisoned)
            .finish_non_exhaustive()
    }
}

impl<T: Syncable> PgReplica<T> {
    /// A local write, committed before it is acknowledged: under the row lock, after catching
    /// up with other handles' writes, `f` runs the state's mutator and returns its delta; the
    /// delta and the checkpoint are committed in one transaction, then the write's session
    /// token is returned.
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

    /// A local write whose operation can refuse (the state unchanged, nothing of it
    /// committed).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply), and [`WriteError::Operation`] with the operation's error.
    pub fn try_apply<E>(
        &mut self,
        f: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<SessionToken, WriteError<E>> {
        let inner = &mut self.inner;
        inner.usable()?;
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a write on"))?;
        let caught_up = inner.lock_and_catch_up(&mut tx)?;
        if let Some(lost) = inner
            .lost
            .clone()
            .or_else(|| inner.replica.lost_state().cloned())
        {
            inner.finish_unchanged(tx, caught_up)?;
            inner.poisoned = false;
            return Err(WriteError::LostState(lost));
        }
        let (token, encoded) = match write(&mut inner.replica, &inner.name, f) {
            Ok(written) => written,
            Err(e) => {
                inner.finish_unchanged(tx, caught_up)?;
                inner.poisoned = false;
                return Err(match e {
                    ApplyError::LostState(lost) => WriteError::LostState(lost),
                    ApplyError::Operation(e) => WriteError::Operation(e),
                });
            }
        };
        let pending = Pending {
            deltas: vec![encoded?],
            ..Pending::default()
        };
        inner.commit(tx, pending)?;
        inner.poisoned = false;
        Ok(token)
    }

    /// Group commit: the writes `f` makes through the [`Batch`] are committed in one
    /// transaction (one row lock, one catch-up), and their session tokens are returned only
    /// then.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed: no write of the batch is acknowledged, and the
    /// replica is poisoned. Refusals of single writes are returned to `f` by the batch.
    pub fn apply_batch<R>(
        &mut self,
        f: impl FnOnce(&mut Batch<'_, T>) -> R,
    ) -> Result<Committed<R>, StoreError> {
        let inner = &mut self.inner;
        inner.usable()?;
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a batch on"))?;
        let caught_up = inner.lock_and_catch_up(&mut tx)?;
        let mut batch = Batch {
            replica: &mut inner.replica,
            refusal: inner.lost.as_ref(),
            object: &inner.name,
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
        if tokens.is_empty() {
            inner.finish_unchanged(tx, caught_up)?;
        } else {
            let pending = Pending {
                deltas,
                ..Pending::default()
            };
            inner.commit(tx, pending)?;
        }
        inner.poisoned = false;
        Ok(Committed { value, tokens })
    }

    /// Takes a message from `peer`, under the row lock after catching up: the part of its
    /// delta that was new, and the checkpoint, are committed before this returns (and so
    /// before the replica acknowledges the message). Returns that new part.
    ///
    /// # Errors
    ///
    /// [`ReceiveError::Refused`] when the engine refuses the message (nothing changed), or
    /// [`ReceiveError::Store`] when the commit failed (the replica is poisoned).
    pub fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<Option<T>, ReceiveError> {
        let inner = &mut self.inner;
        inner.usable()?;
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a receive on"))?;
        let caught_up = inner.lock_and_catch_up(&mut tx)?;
        let novel = match inner.replica.receive(peer, bytes) {
            Ok(novel) => novel,
            Err(e) => {
                inner.finish_unchanged(tx, caught_up)?;
                inner.poisoned = false;
                return Err(ReceiveError::Refused(e));
            }
        };
        let lost = match (inner.replica.lost_state(), &inner.lost) {
            (Some(now), before) if before.as_ref() != Some(now) => LostChange::Set(now.clone()),
            _ => LostChange::Keep,
        };
        // An acknowledgement or a resend changes the engine's volatile sync state only; it
        // is committed anyway when the handle caught up (its new incarnation must be
        // recorded).
        if novel.is_some() || matches!(lost, LostChange::Set(_)) || caught_up {
            let deltas = match &novel {
                Some(delta) => vec![records::encode(delta, &inner.name)?],
                None => Vec::new(),
            };
            inner.commit(
                tx,
                Pending {
                    deltas,
                    lost,
                    fold: false,
                },
            )?;
        } else {
            tx.rollback().map_err(inner.pg("rolling back"))?;
        }
        inner.poisoned = false;
        Ok(novel)
    }

    /// Catches up with what other handles committed, without writing anything of its own
    /// (a transaction that commits only the new incarnation, and only when there was
    /// something to catch up with). Returns whether there was.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when reading or committing failed (the replica is poisoned).
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        let inner = &mut self.inner;
        inner.usable()?;
        let name = inner.name.as_str();
        // A cheap read without the lock first: most refreshes find nothing new.
        let row = self
            .client
            .query_opt(&inner.statements.version, &[&name])
            .map_err(inner.pg("reading the commit count of"))?;
        let Some(row) = row else {
            return Err(StoreError::inconsistent(name, "its row is gone"));
        };
        let commits = from_db(
            row.try_get(0)
                .map_err(inner.pg("reading the commit count of"))?,
            name,
            "commit count",
        )?;
        if commits == inner.commits {
            return Ok(false);
        }
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a refresh of"))?;
        let caught_up = inner.lock_and_catch_up(&mut tx)?;
        inner.finish_unchanged(tx, caught_up)?;
        inner.poisoned = false;
        Ok(caught_up)
    }

    /// Gives the replica a fresh random id after it lost state, committed with its checkpoint
    /// before this returns; writes are accepted again. Returns the new id.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed (the replica is poisoned).
    pub fn with_new_id(&mut self) -> Result<ReplicaId, StoreError> {
        let inner = &mut self.inner;
        inner.usable()?;
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a new id for"))?;
        inner.lock_and_catch_up(&mut tx)?;
        let id = ReplicaId::random();
        inner.replica.with_new_id(id);
        inner.commit(
            tx,
            Pending {
                lost: LostChange::Clear,
                ..Pending::default()
            },
        )?;
        inner.poisoned = false;
        Ok(id)
    }

    /// Folds the log into the snapshot now, in one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the commit failed (the replica is poisoned).
    pub fn fold(&mut self) -> Result<(), StoreError> {
        let inner = &mut self.inner;
        inner.usable()?;
        inner.poisoned = true;
        let mut tx = self
            .client
            .transaction()
            .map_err(inner.pg("starting a fold of"))?;
        inner.lock_and_catch_up(&mut tx)?;
        inner.commit(
            tx,
            Pending {
                fold: true,
                ..Pending::default()
            },
        )?;
        inner.poisoned = false;
        Ok(())
    }

    /// The next message to send to `peer`, if any; `None` from a poisoned replica.
    pub fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        if self.inner.poisoned {
            return None;
        }
        self.inner.replica.poll_transmit(peer)
    }

    /// Says that the caller's clock reads `now`.
    pub fn on_tick(&mut self, now: u64) {
        self.inner.now = Some(now);
        self.inner.replica.on_tick(now);
    }

    /// When a resend is due (see `concord_sync::Replica::poll_timeout`).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.inner.replica.poll_timeout()
    }

    /// Adds a peer. Peers are not stored: the caller adds them after every open.
    pub fn add_peer(&mut self, peer: ReplicaId) {
        self.inner.replica.add_peer(peer);
    }

    /// Removes a peer.
    pub fn remove_peer(&mut self, peer: &ReplicaId) {
        self.inner.replica.remove_peer(peer);
    }

    /// The wrapped engine, for reading: state, session reads, frontier, checkpoint, stats.
    #[must_use]
    pub const fn replica(&self) -> &Replica<T> {
        &self.inner.replica
    }

    /// The state, as of this handle's last transaction.
    #[must_use]
    pub const fn state(&self) -> &T {
        self.inner.replica.state()
    }

    /// The replica's id (shared by every handle of the object).
    #[must_use]
    pub const fn id(&self) -> ReplicaId {
        self.inner.replica.id()
    }

    /// A read for a session (see `concord_sync::Replica::read`).
    ///
    /// # Errors
    ///
    /// [`Behind`] when the handle lacks writes the session depends on (made through another
    /// handle: [`refresh`](Self::refresh) first).
    pub fn read(&self, token: &SessionToken) -> Result<Served<'_, T>, Behind> {
        self.inner.replica.read(token)
    }

    /// Whether this handle holds every write `token` depends on.
    #[must_use]
    pub fn can_serve(&self, token: &SessionToken) -> bool {
        self.inner.replica.can_serve(token)
    }

    /// Whether the replica has lost state: writes are refused until
    /// [`with_new_id`](Self::with_new_id).
    #[must_use]
    pub fn lost_state(&self) -> Option<&LostState> {
        self.inner.replica.lost_state().or(self.inner.lost.as_ref())
    }

    /// The object's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The object's options.
    #[must_use]
    pub const fn options(&self) -> &Options {
        &self.inner.options
    }

    /// What the database holds of the object, and what this handle did.
    #[must_use]
    pub const fn storage_stats(&self) -> &StorageStats {
        &self.inner.stats
    }

    /// Whether an earlier commit failed: the handle then refuses everything.
    #[must_use]
    pub const fn is_poisoned(&self) -> bool {
        self.inner.poisoned
    }

    /// The handle's connection, for the application's own statements (its transactions are
    /// not the replica's).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}
