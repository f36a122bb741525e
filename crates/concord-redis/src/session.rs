//! Session reads over Redis read replicas, with causal tokens instead of timestamps.

use std::thread;
use std::time::{Duration, Instant};

use concord_clock::{Causality, VectorClock};
use concord_core::{Merge, ReplicaId};
use concord_sync::{Behind, SessionToken, Syncable};

use crate::error::{SessionError, StoreError, WriteError};
use crate::keys::Keys;
use crate::records;
use crate::store::RedisReplica;
use crate::value::Conn;

/// A read server: its client, and a connection once one is open.
#[derive(Debug)]
struct Server {
    client: redis::Client,
    conn: Option<Conn>,
}

impl Server {
    /// Reads `object`'s copy; a failed connection is dropped, to be opened again next time.
    fn load<T: Syncable>(
        &mut self,
        index: usize,
        keys: &Keys,
        object: &str,
    ) -> Result<Option<records::Loaded<T>>, StoreError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let conn = self.client.get_connection().map_err(|e| {
                    StoreError::redis(format!("connecting to read server {index}"), e)
                })?;
                self.conn.insert(Conn(conn))
            }
        };
        let loaded = records::load::<T>(&mut conn.0, keys, object);
        if let Err(StoreError::Redis { source, .. }) = &loaded
            && (source.is_io_error() || source.is_connection_dropped())
        {
            self.conn = None;
        }
        loaded
    }
}

/// Why a read server did not serve a session read.
#[derive(Debug)]
#[non_exhaustive]
pub enum Lag {
    /// Its copy lacks writes the session depends on.
    Behind(Behind),
    /// It holds no copy of the object (yet).
    NoCopy,
    /// Reading it failed (it is down, or its copy is corrupt).
    Failed(StoreError),
}

impl std::fmt::Display for Lag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Behind(behind) => behind.fmt(f),
            Self::NoCopy => f.write_str("it holds no copy of the object"),
            Self::Failed(e) => e.fmt(f),
        }
    }
}

/// A read served: the state, and which server served it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionRead<T> {
    /// The state read: it holds every write the session depends on.
    pub state: T,
    /// The index of the server that served it, in the order given to
    /// [`SessionClient::new`].
    pub server: usize,
}

/// A client session over a Redis primary and its read replicas (`replicaof`): writes go to the
/// primary through a [`RedisReplica`], reads go to the read replicas, and the client carries a
/// [`SessionToken`] instead of a timestamp.
///
/// A stored replica's checkpoint records, with its state, how many writes of every replica the
/// state holds (its frontier); Redis replication copies both in one piece, since each commit
/// is one script. A read server can serve the session when its copy's frontier covers the
/// token; one that has not caught up is skipped, and when none has, the client waits (up to
/// [`with_wait`](Self::with_wait)), then reports which writes each server lacks. Reads are
/// never older than the session's writes or earlier reads (read-your-writes, monotonic reads),
/// whatever the clocks of the writers and servers do: no clock is read.
///
/// This is the `MonotonicRedisClient` of the source article done with causal tokens: there, a
/// microsecond wall-clock timestamp is the version, and a writer whose clock steps back (or a
/// failover to a primary whose clock is behind) makes new writes look older than old ones.
/// See `docs/redis.md`.
#[derive(Debug)]
pub struct SessionClient {
    servers: Vec<Server>,
    prefix: String,
    token: SessionToken,
    wait: Duration,
    poll: Duration,
    skipped: u64,
}

impl SessionClient {
    /// A session reading from `servers` in order (the read replicas, or the primary too, last,
    /// as a fallback), keys under `prefix`. Connects on the first read; a server that is down
    /// is skipped, and tried again at the next read.
    #[must_use]
    pub fn new(servers: &[redis::Client], prefix: &str) -> Self {
        let servers = servers
            .iter()
            .map(|client| Server {
                client: client.clone(),
                conn: None,
            })
            .collect();
        Self {
            servers,
            prefix: prefix.to_owned(),
            token: SessionToken::new(),
            wait: Duration::from_secs(1),
            poll: Duration::from_millis(2),
            skipped: 0,
        }
    }

    /// The same session waiting up to `wait` for a server to catch up before giving up a read.
    #[must_use]
    pub const fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The session's token: every write it made or read.
    #[must_use]
    pub const fn token(&self) -> &SessionToken {
        &self.token
    }

    /// Reads skipped so far because a server had not caught up.
    #[must_use]
    pub const fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Joins `token` (a write or read made elsewhere in the same session) into the session.
    pub fn observe(&mut self, token: &SessionToken) {
        self.token.merge(token);
    }

    /// A write through `replica` (whose state lives on the primary), acknowledged once
    /// committed there; its token joins the session's.
    ///
    /// # Errors
    ///
    /// As [`RedisReplica::apply`].
    pub fn write<T: Syncable>(
        &mut self,
        replica: &mut RedisReplica<T>,
        f: impl FnOnce(&mut T) -> T,
    ) -> Result<SessionToken, WriteError> {
        let token = replica.apply(f)?;
        self.token.merge(&token);
        Ok(token)
    }

    /// Reads stored replica `object` from the first server whose copy holds every write the
    /// session depends on, waiting for one to catch up; the token then grows by what the copy
    /// holds, so a later read is never older.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotCaughtUp`] when no server caught up within the wait, saying for each
    /// why ([`Lag`]: what it lacked, no copy, or how reading it failed).
    pub fn read<T: Syncable>(&mut self, object: &str) -> Result<SessionRead<T>, SessionError> {
        let keys = Keys::new(&self.prefix, object);
        let deadline = Instant::now() + self.wait;
        loop {
            let mut behind = Vec::with_capacity(self.servers.len());
            for (server, copy) in self.servers.iter_mut().enumerate() {
                let loaded = match copy.load::<T>(server, &keys, object) {
                    Ok(Some(loaded)) => loaded,
                    Ok(None) => {
                        behind.push(Lag::NoCopy);
                        continue;
                    }
                    Err(e) => {
                        behind.push(Lag::Failed(e));
                        continue;
                    }
                };
                let frontier = &loaded.checkpoint.frontier;
                if covers(frontier, self.token.as_vector()) {
                    for (replica, writes) in frontier.iter() {
                        self.token
                            .merge(&SessionToken::after_write(*replica, writes));
                    }
                    return Ok(SessionRead {
                        state: loaded.state,
                        server,
                    });
                }
                self.skipped = self.skipped.saturating_add(1);
                behind.push(Lag::Behind(missing(frontier, &self.token)));
            }
            if Instant::now() >= deadline {
                return Err(SessionError::NotCaughtUp { behind });
            }
            thread::sleep(self.poll);
        }
    }
}

/// Whether `frontier` holds every write `token` counts.
fn covers(frontier: &VectorClock<ReplicaId>, token: &VectorClock<ReplicaId>) -> bool {
    matches!(
        token.compare(frontier),
        Causality::Before | Causality::Equal
    )
}

fn missing(frontier: &VectorClock<ReplicaId>, token: &SessionToken) -> Behind {
    Behind {
        missing: token
            .as_vector()
            .iter()
            .filter_map(|(replica, needed)| {
                let held = frontier.get(replica);
                (held < needed).then_some((*replica, needed, held))
            })
            .collect(),
    }
}
