//! Read-your-writes over a PostgreSQL primary and a streaming standby, with WAL positions
//! (LSN tokens) recorded in a session write log.

use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

use postgres::types::PgLsn;
use postgres::{Client, Transaction};

use crate::error::SessionError;

/// The session write log's table: one row per session, the WAL position after its latest
/// write.
pub const SESSION_WRITE_LOG: &str = "session_write_log";

/// A position in the primary's write-ahead log: the token a session carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lsn(pub u64);

impl fmt::Display for Lsn {
    /// PostgreSQL's form, `16/B374D848`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl From<PgLsn> for Lsn {
    fn from(lsn: PgLsn) -> Self {
        Self(u64::from(lsn))
    }
}

impl From<Lsn> for PgLsn {
    fn from(lsn: Lsn) -> Self {
        Self::from(lsn.0)
    }
}

/// A server of the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Server {
    /// The primary: it holds every committed write.
    Primary,
    /// The streaming standby.
    Standby,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Primary => "primary",
            Self::Standby => "standby",
        })
    }
}

/// A read served: what the closure returned, which server ran it, and how long the session
/// waited for the standby first.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionRead<R> {
    /// What the read returned: it reflects every write of the session.
    pub value: R,
    /// The server that ran it.
    pub server: Server,
    /// Time spent waiting for the standby to replay the session's writes (zero when it had).
    pub waited: Duration,
}

/// Reads served so far, by server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Reads the standby served.
    pub standby_reads: u64,
    /// Reads sent to the primary because the standby had not replayed the session's writes
    /// (within the wait), or could not be asked.
    pub primary_reads: u64,
    /// Writes committed.
    pub writes: u64,
}

/// A client session over a primary and its streaming standby, with the source article's
/// session write log done with WAL positions.
///
/// A write runs in a transaction on the primary; once it has committed, the session records
/// the primary's WAL insert position (`pg_current_wal_insert_lsn()`) in [`SESSION_WRITE_LOG`]
/// (`session_id`, `lsn`, kept as the greatest) and keeps it as its token. That position is
/// taken after the commit returned, so it is at or past the end of the write's commit record,
/// with `synchronous_commit` on or off (the write position, `pg_current_wal_lsn()`, is not
/// when commits are asynchronous). A read asks the standby for
/// `pg_last_wal_replay_lsn()`: when it has passed the token, the standby has replayed the
/// session's writes and serves the read; otherwise the session waits for it up to
/// [`with_wait`](Self::with_wait) (zero by default), then reads from the primary. Replay only
/// moves forward, so a standby that passed the token once still holds the writes when the
/// read runs.
///
/// Another application server taking over the session loads its position with
/// [`new`](Self::new) (the session write log is on the primary), so the guarantee holds
/// across servers. See `docs/postgres.md` for how this relates to concord's causal
/// `SessionToken`s.
pub struct SessionClient {
    primary: Client,
    standby: Client,
    session: String,
    token: Option<Lsn>,
    /// Set after a write whose position could not be recorded: reads go to the primary.
    unknown: bool,
    wait: Duration,
    poll: Duration,
    stats: SessionStats,
}

impl fmt::Debug for SessionClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClient")
            .field("session", &self.session)
            .field("token", &self.token)
            .field("unknown", &self.unknown)
            .field("wait", &self.wait)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl SessionClient {
    /// Session `session` over `primary` and `standby`: creates the session write log on the
    /// primary if it is missing, and loads the session's recorded position (its writes
    /// through other clients).
    ///
    /// # Errors
    ///
    /// [`SessionError::Setup`] when the primary refuses.
    pub fn new(mut primary: Client, standby: Client, session: &str) -> Result<Self, SessionError> {
        primary
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {SESSION_WRITE_LOG} (
                     session_id text PRIMARY KEY,
                     lsn pg_lsn NOT NULL,
                     written_at timestamptz NOT NULL DEFAULT now()
                 )"
            ))
            .map_err(SessionError::Setup)?;
        let row = primary
            .query_opt(
                &format!("SELECT lsn FROM {SESSION_WRITE_LOG} WHERE session_id = $1"),
                &[&session],
            )
            .map_err(SessionError::Setup)?;
        let token = match row {
            Some(row) => Some(Lsn::from(
                row.try_get::<_, PgLsn>(0).map_err(SessionError::Setup)?,
            )),
            None => None,
        };
        Ok(Self {
            primary,
            standby,
            session: session.to_owned(),
            token,
            unknown: false,
            wait: Duration::ZERO,
            poll: Duration::from_millis(1),
            stats: SessionStats::default(),
        })
    }

    /// The same session waiting up to `wait` for the standby (polling every `poll`) before
    /// reading from the primary.
    #[must_use]
    pub const fn with_wait(mut self, wait: Duration, poll: Duration) -> Self {
        self.wait = wait;
        self.poll = poll;
        self
    }

    /// A write: `f` runs in a transaction on the primary, which is committed; then the
    /// session's new WAL position is recorded and returned.
    ///
    /// # Errors
    ///
    /// [`SessionError::Write`] when the transaction failed (nothing committed), or
    /// [`SessionError::Token`] when it committed but its position could not be recorded
    /// (reads then go to the primary until a write records one).
    pub fn write<R>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R, postgres::Error>,
    ) -> Result<(R, Lsn), SessionError> {
        let mut tx = self.primary.transaction().map_err(SessionError::Write)?;
        let value = f(&mut tx).map_err(SessionError::Write)?;
        tx.commit().map_err(SessionError::Write)?;
        self.stats.writes = self.stats.writes.saturating_add(1);
        self.unknown = true;
        // Evaluated after the commit returned. The insert position, not `pg_current_wal_lsn()`
        // (the write position): with `synchronous_commit = off` a commit returns before its
        // record is written out, and the write position can still be short of it, so a
        // standby that replayed up to it may not have replayed the write.
        let row = self
            .primary
            .query_one(
                &format!(
                    "INSERT INTO {SESSION_WRITE_LOG} AS log (session_id, lsn) \
                     VALUES ($1, pg_current_wal_insert_lsn()) \
                     ON CONFLICT (session_id) DO UPDATE \
                     SET lsn = GREATEST(log.lsn, EXCLUDED.lsn), written_at = now() \
                     RETURNING lsn"
                ),
                &[&self.session],
            )
            .map_err(SessionError::Token)?;
        let lsn = Lsn::from(row.try_get::<_, PgLsn>(0).map_err(SessionError::Token)?);
        self.token = Some(self.token.map_or(lsn, |t| t.max(lsn)));
        self.unknown = false;
        Ok((value, lsn))
    }

    /// The WAL position the standby has replayed, `None` when it is not in recovery (a
    /// promoted standby) or cannot be asked.
    ///
    /// # Errors
    ///
    /// The client's error when the standby does not answer.
    pub fn standby_replay_lsn(&mut self) -> Result<Option<Lsn>, postgres::Error> {
        let row = self
            .standby
            .query_one("SELECT pg_last_wal_replay_lsn()", &[])?;
        Ok(row.try_get::<_, Option<PgLsn>>(0)?.map(Lsn::from))
    }

    /// Whether the standby has replayed every write of the session now.
    fn standby_has_token(&mut self) -> bool {
        if self.unknown {
            return false;
        }
        let Some(token) = self.token else {
            return true;
        };
        matches!(self.standby_replay_lsn(), Ok(Some(replayed)) if replayed >= token)
    }

    /// A read: `f` runs on the standby once it has replayed the session's writes, otherwise
    /// (after waiting up to the session's wait) on the primary.
    ///
    /// # Errors
    ///
    /// [`SessionError::Read`] when `f` failed on the server chosen.
    pub fn read<R>(
        &mut self,
        mut f: impl FnMut(&mut Client) -> Result<R, postgres::Error>,
    ) -> Result<SessionRead<R>, SessionError> {
        let start = Instant::now();
        let mut ready = self.standby_has_token();
        while !ready && !self.unknown && start.elapsed() < self.wait {
            thread::sleep(self.poll);
            ready = self.standby_has_token();
        }
        let waited = start.elapsed();
        let (server, client) = if ready {
            self.stats.standby_reads = self.stats.standby_reads.saturating_add(1);
            (Server::Standby, &mut self.standby)
        } else {
            self.stats.primary_reads = self.stats.primary_reads.saturating_add(1);
            (Server::Primary, &mut self.primary)
        };
        let value = f(client).map_err(|source| SessionError::Read { server, source })?;
        Ok(SessionRead {
            value,
            server,
            waited,
        })
    }

    /// The session's token: the WAL position after its latest write (`None` before any).
    #[must_use]
    pub const fn token(&self) -> Option<Lsn> {
        self.token
    }

    /// The session's name (its `session_id` in the write log).
    #[must_use]
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Reads and writes so far.
    #[must_use]
    pub const fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// The primary's connection.
    pub fn primary(&mut self) -> &mut Client {
        &mut self.primary
    }

    /// The standby's connection (for reads that need no session guarantee).
    pub fn standby(&mut self) -> &mut Client {
        &mut self.standby
    }
}
