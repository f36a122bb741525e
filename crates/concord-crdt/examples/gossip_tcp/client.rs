//! The session client: writes through one node, reads through others, and carries one
//! `SessionToken` through all of it, so it always reads its own writes.

use std::error::Error;
use std::io::BufReader;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use concord_crdt::Merge;
use concord_crdt::sync::SessionToken;

use crate::wire::{self, Reply, Request};

/// How long a request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a read may wait for a node that is behind the session.
const READ_WAIT: Duration = Duration::from_secs(5);
/// Time between two attempts of a read that was not served.
const RETRY_EVERY: Duration = Duration::from_millis(5);

/// One request to the node listening on `port`, and its reply.
pub(crate) fn request(port: u16, request: &Request) -> Result<Reply, Box<dyn Error>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let (kind, body) = request.encode();
    wire::write_frame(&mut stream, kind, &body)?;
    let (kind, body) = wire::read_frame(&mut BufReader::new(stream))?
        .ok_or_else(|| format!("the node on port {port} hung up without an answer"))?;
    Ok(Reply::decode(kind, body)?)
}

/// A client session and what it saw.
#[derive(Debug, Default)]
pub(crate) struct Session {
    token: SessionToken,
    pub(crate) writes: u64,
    pub(crate) reads: u64,
    /// Reads that were told to wait at least once.
    pub(crate) waited: u64,
    /// Replies that said the node was behind the session.
    pub(crate) behind: u64,
    pub(crate) longest_wait: Duration,
}

impl Session {
    /// Writes `value` at `key` through the node on `port`; the write's token joins the
    /// session's.
    pub(crate) fn write(
        &mut self,
        port: u16,
        key: &str,
        value: &str,
    ) -> Result<(), Box<dyn Error>> {
        let write = Request::Write {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        match request(port, &write)? {
            Reply::Token(token) => {
                self.token.merge(&token);
                self.writes += 1;
                Ok(())
            }
            other => Err(format!("a write of {key} got {other:?}").into()),
        }
    }

    /// Reads `key` through the node on `port` with the session's token, waiting (bounded)
    /// while the node is behind, and checks that the read holds `expected`: the session's own
    /// write. A served read without it is a stale read, and an error.
    pub(crate) fn read_own_write(
        &mut self,
        port: u16,
        key: &str,
        expected: &str,
    ) -> Result<Duration, Box<dyn Error>> {
        let start = Instant::now();
        let mut told_to_wait = false;
        loop {
            let read = Request::Read {
                token: self.token.clone(),
                key: key.to_owned(),
            };
            match request(port, &read)? {
                Reply::Values { token, values } => {
                    if !values.iter().any(|v| v == expected) {
                        return Err(format!(
                            "STALE READ: the node on port {port} served {key} = {values:?} \
                             without the session's own write {expected:?}"
                        )
                        .into());
                    }
                    self.token.merge(&token);
                    self.reads += 1;
                    self.waited += u64::from(told_to_wait);
                    let waited = start.elapsed();
                    self.longest_wait = self.longest_wait.max(waited);
                    return Ok(waited);
                }
                Reply::Behind(why) => {
                    self.behind += 1;
                    told_to_wait = true;
                    if start.elapsed() > READ_WAIT {
                        return Err(format!(
                            "the node on port {port} could not serve {key} within \
                             {READ_WAIT:?}: {why}"
                        )
                        .into());
                    }
                    thread::sleep(RETRY_EVERY);
                }
                other => return Err(format!("a read of {key} got {other:?}").into()),
            }
        }
    }
}
