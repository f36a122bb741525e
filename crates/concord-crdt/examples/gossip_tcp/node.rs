//! One node: a durable replica of the document, its links to the peers, and the threads that
//! read the network and the launcher's commands into one queue of events.

use std::error::Error;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use concord_crdt::ReplicaId;
use concord_crdt::codec;
use concord_crdt::store::{DurableReplica, Options, ReceiveError, Store};
use concord_crdt::sync::SessionToken;

use crate::Doc;
use crate::wire::{self, Reply, Request, kind};

/// Time between two of the node's own writes.
const WRITE_EVERY: Duration = Duration::from_millis(25);
/// The engine's clock unit: `on_tick` counts these (its resend period is 10 of them).
const TICK: Duration = Duration::from_millis(10);
/// How long a node may live: past this the launcher is surely gone, and the node exits.
const MAX_LIFE: Duration = Duration::from_secs(90);
/// How long a write to a peer may block before the connection is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_millis(250);
/// How long to wait between two attempts to connect to a peer.
const RECONNECT_AFTER: Duration = Duration::from_millis(50);

/// The key of node `index`'s `seq`-th own write.
pub(crate) fn own_key(index: usize, seq: u64) -> String {
    format!("n{index}-{seq:03}")
}

/// Something for the node's main loop.
enum Event {
    /// A concord-sync message from the peer `from`.
    Sync { from: ReplicaId, bytes: Vec<u8> },
    /// A session client's request, and where to answer it.
    Client {
        request: Request,
        reply: Sender<Reply>,
    },
    /// A frame or connection refused by a reader thread.
    Refused(String),
    /// A connection lost (reset by a peer that died, say): not an error of the sender's.
    Lost,
    /// A line from the launcher.
    Command(Command),
}

enum Command {
    /// Peer `index` has id `id` and listens on `port`.
    Peer {
        index: usize,
        id: ReplicaId,
        port: u16,
    },
    /// Start the node's own writes.
    Go,
    /// Print the figures and exit (also at the end of standard input).
    Stop,
}

fn parse_command(line: &str) -> Result<Command, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["PEER", index, id, port] => Ok(Command::Peer {
            index: index
                .parse()
                .map_err(|_| format!("bad index in {line:?}"))?,
            id: id.parse().map_err(|_| format!("bad id in {line:?}"))?,
            port: port.parse().map_err(|_| format!("bad port in {line:?}"))?,
        }),
        ["GO"] => Ok(Command::Go),
        ["STOP"] => Ok(Command::Stop),
        _ => Err(format!("unknown command {line:?}")),
    }
}

/// An outgoing connection to one peer, opened on demand and dropped on the first error: the
/// engine resends what was lost.
struct Link {
    index: usize,
    id: ReplicaId,
    addr: SocketAddr,
    stream: Option<TcpStream>,
    retry_at: Instant,
    connects: u64,
    frames: u64,
    bytes: u64,
    /// Messages the engine gave for this peer while it could not be reached.
    dropped: u64,
}

impl Link {
    fn new(index: usize, id: ReplicaId, port: u16) -> Self {
        Self {
            index,
            id,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            stream: None,
            retry_at: Instant::now(),
            connects: 0,
            frames: 0,
            bytes: 0,
            dropped: 0,
        }
    }

    fn connect(&mut self, me: ReplicaId) -> Option<&mut TcpStream> {
        if self.stream.is_none() {
            let now = Instant::now();
            if now < self.retry_at {
                return None;
            }
            self.retry_at = now + RECONNECT_AFTER;
            let mut stream = TcpStream::connect_timeout(&self.addr, WRITE_TIMEOUT).ok()?;
            stream.set_write_timeout(Some(WRITE_TIMEOUT)).ok()?;
            stream.set_nodelay(true).ok()?;
            self.bytes += wire::write_frame(&mut stream, kind::HELLO, &wire::hello(me)).ok()?;
            self.connects += 1;
            self.stream = Some(stream);
        }
        self.stream.as_mut()
    }

    fn send(&mut self, me: ReplicaId, message: &[u8]) {
        let Some(stream) = self.connect(me) else {
            self.dropped += 1;
            return;
        };
        match wire::write_frame(stream, kind::SYNC, message) {
            Ok(bytes) => {
                self.frames += 1;
                self.bytes += bytes;
            }
            Err(_) => {
                self.stream = None;
                self.dropped += 1;
            }
        }
    }
}

/// What a node counts.
#[derive(Default)]
struct Counters {
    writes: u64,
    received: u64,
    refused: u64,
    lost: u64,
    reads_served: u64,
    reads_behind: u64,
}

/// Runs node `index` on the store in `data_dir` until the launcher says `STOP`.
pub(crate) fn run(index: usize, data_dir: &Path, writes: u64) -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(data_dir)?;
    let path = data_dir.join("node.redb");
    let existed = path.exists();
    let store = Store::open(&path)?;
    let mut replica: DurableReplica<Doc> = store.replica("doc", Options::default())?;
    let prefix = format!("n{index}-");
    let own = replica
        .state()
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .count() as u64;

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    println!(
        "READY port={} id={} incarnation={} restored={existed} keys={} own={own}",
        listener.local_addr()?.port(),
        replica.id(),
        replica.replica().config().incarnation,
        replica.state().len(),
    );

    let (events, queue) = mpsc::channel();
    spawn_commands(events.clone());
    spawn_listener(listener, events);
    serve(index, &mut replica, &queue, own, writes)
}

/// Prints a line on standard error in one write, so the lines of the three nodes, which share
/// the launcher's standard error, do not interleave.
fn warn(text: &str) {
    let _ = io::stderr().write_all(format!("{text}\n").as_bytes());
}

/// The launcher's commands, one a line; the end of standard input stops the node.
fn spawn_commands(events: Sender<Event>) {
    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            match parse_command(&line) {
                Ok(command) => {
                    if events.send(Event::Command(command)).is_err() {
                        return;
                    }
                }
                Err(e) => warn(&format!("node: {e}")),
            }
        }
        let _ = events.send(Event::Command(Command::Stop));
    });
}

fn spawn_listener(listener: TcpListener, events: Sender<Event>) {
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let events = events.clone();
            thread::spawn(move || {
                let from = stream
                    .peer_addr()
                    .map_or_else(|_| "?".to_owned(), |a| a.to_string());
                if let Err(e) = read_connection(stream, &events) {
                    let event = match e.downcast_ref::<io::Error>() {
                        Some(io) if io.kind() != io::ErrorKind::InvalidData => Event::Lost,
                        _ => Event::Refused(format!("connection from {from}: {e}")),
                    };
                    let _ = events.send(event);
                }
            });
        }
    });
}

/// Reads one connection: a peer's (a hello, then sync messages) or a session client's
/// (requests, each answered). Any frame that does not fit ends the connection with an error.
fn read_connection(stream: TcpStream, events: &Sender<Event>) -> Result<(), Box<dyn Error>> {
    let mut writer = stream.try_clone()?;
    writer.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let Some((first, body)) = wire::read_frame(&mut reader)? else {
        return Ok(());
    };
    if first == kind::HELLO {
        let from = wire::parse_hello(&body)?;
        while let Some((kind, bytes)) = wire::read_frame(&mut reader)? {
            if kind != kind::SYNC {
                return Err(format!("a frame of kind {kind:#04x} from a peer").into());
            }
            events.send(Event::Sync { from, bytes })?;
        }
        return Ok(());
    }
    let mut next = Some((first, body));
    while let Some((kind, body)) = next {
        if !Request::is_request(kind) {
            return Err(format!("a frame of unknown kind {kind:#04x}").into());
        }
        let reply = match Request::decode(kind, &body) {
            Ok(request) => {
                let (reply, answer) = mpsc::channel();
                events.send(Event::Client { request, reply })?;
                answer
                    .recv_timeout(Duration::from_secs(5))
                    .unwrap_or_else(|_| Reply::Error("the node did not answer in time".into()))
            }
            Err(e) => Reply::Error(e.to_string()),
        };
        let (kind, body) = reply.encode();
        wire::write_frame(&mut writer, kind, &body)?;
        next = wire::read_frame(&mut reader)?;
    }
    Ok(())
}

/// The engine's clock: ticks since `start`.
fn ticks(start: Instant) -> u64 {
    (start.elapsed().as_millis() / TICK.as_millis()) as u64
}

/// The node's main loop: its own writes, the engine's messages, requests and commands.
fn serve(
    index: usize,
    replica: &mut DurableReplica<Doc>,
    queue: &Receiver<Event>,
    mut seq: u64,
    writes: u64,
) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let mut links: Vec<Link> = Vec::new();
    let mut counters = Counters::default();
    let mut next_write: Option<Instant> = None;
    loop {
        if start.elapsed() > MAX_LIFE {
            return Err(format!("node {index} ran for {MAX_LIFE:?} without a STOP").into());
        }
        replica.on_tick(ticks(start));
        if let Some(due) = next_write
            && Instant::now() >= due
        {
            seq += 1;
            let key = own_key(index, seq);
            let value = format!("v{seq}");
            write(replica, &key, &value)?;
            counters.writes += 1;
            next_write = (seq < writes).then(|| due + WRITE_EVERY);
            if seq == writes {
                println!("DONE writes={seq}");
            }
        }
        let me = replica.id();
        for link in &mut links {
            while let Some(message) = replica.poll_transmit(link.id) {
                link.send(me, &message);
            }
        }

        let wait = next_write
            .map_or(TICK, |due| due.saturating_duration_since(Instant::now()))
            .min(TICK);
        let mut event = match queue.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Err("the event queue closed".into()),
        };
        while let Some(current) = event {
            match current {
                Event::Sync { from, bytes } => match replica.receive(from, &bytes) {
                    Ok(_) => counters.received += 1,
                    Err(ReceiveError::Refused(e)) => {
                        counters.refused += 1;
                        warn(&format!("node {index}: refused a sync message: {e}"));
                    }
                    Err(e) => return Err(e.into()),
                },
                Event::Client { request, reply } => {
                    let answer = answer(replica, request, &mut counters)?;
                    let _ = reply.send(answer);
                }
                Event::Refused(why) => {
                    counters.refused += 1;
                    warn(&format!("node {index}: refused {why}"));
                }
                Event::Lost => counters.lost += 1,
                Event::Command(Command::Peer { index, id, port }) => {
                    replica.add_peer(id);
                    match links.iter_mut().find(|l| l.index == index) {
                        Some(link) if link.id == id => {
                            // The peer restarted on another port.
                            link.addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                            link.stream = None;
                            link.retry_at = Instant::now();
                        }
                        Some(link) => {
                            return Err(format!(
                                "peer {index} changed its id from {} to {id}",
                                link.id
                            )
                            .into());
                        }
                        None => links.push(Link::new(index, id, port)),
                    }
                }
                Event::Command(Command::Go) => {
                    if seq < writes && next_write.is_none() {
                        next_write = Some(Instant::now());
                    } else if seq >= writes {
                        println!("DONE writes={seq}");
                    }
                }
                Event::Command(Command::Stop) => {
                    report(index, replica, &links, &counters);
                    return Ok(());
                }
            }
            event = queue.try_recv().ok();
        }
    }
}

/// A write of `value` at `key`, replacing the versions this replica has seen; returns once it
/// is committed, and says so on standard output.
fn write(
    replica: &mut DurableReplica<Doc>,
    key: &str,
    value: &str,
) -> Result<SessionToken, Box<dyn Error>> {
    let me = replica.id();
    let token = replica.try_apply(|doc| {
        doc.apply(me, key.to_owned(), |versions, at| {
            let (_, seen) = versions.read();
            versions.write(at, value.to_owned(), &seen)
        })
    })?;
    println!("ACK {key} {value}");
    Ok(token)
}

/// A session client's request, answered. A read is served only when the replica holds every
/// write its token depends on; otherwise the client is told what is missing, and retries.
fn answer(
    replica: &mut DurableReplica<Doc>,
    request: Request,
    counters: &mut Counters,
) -> Result<Reply, Box<dyn Error>> {
    Ok(match request {
        Request::Write { key, value } => {
            let token = write(replica, &key, &value)?;
            counters.writes += 1;
            Reply::Token(token)
        }
        Request::Read { token, key } => match replica.read(&token) {
            Ok(served) => {
                counters.reads_served += 1;
                let values = served
                    .state
                    .get(key.as_str())
                    .map(|versions| versions.into_values())
                    .unwrap_or_default();
                Reply::Values {
                    token: served.token,
                    values,
                }
            }
            Err(behind) => {
                counters.reads_behind += 1;
                Reply::Behind(behind.to_string())
            }
        },
        Request::Dump => match codec::encode(replica.state()) {
            Ok(bytes) => Reply::State(bytes),
            Err(e) => Reply::Error(e.to_string()),
        },
    })
}

fn report(index: usize, replica: &DurableReplica<Doc>, links: &[Link], counters: &Counters) {
    let sum = |f: fn(&Link) -> u64| links.iter().map(f).sum::<u64>();
    let sync = replica.replica().stats();
    println!(
        "STATS node={index} writes={} tcp_bytes={} frames={} connects={} dropped={} \
         sync_messages={} sync_bytes={} received={} refused={} lost={} \
         reads_served={} reads_behind={} commits={} keys={}",
        counters.writes,
        sum(|l| l.bytes),
        sum(|l| l.frames),
        sum(|l| l.connects),
        sum(|l| l.dropped),
        sync.messages(),
        sync.bytes(),
        counters.received,
        counters.refused,
        counters.lost,
        counters.reads_served,
        counters.reads_behind,
        replica.storage_stats().commits,
        replica.state().len(),
    );
}
