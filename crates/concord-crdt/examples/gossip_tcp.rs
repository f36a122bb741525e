//! Three processes on 127.0.0.1 gossiping a counter and a set over TCP.
//!
//! ```text
//! cargo run -p concord-crdt --example gossip_tcp              # same as --launch
//! cargo run -p concord-crdt --example gossip_tcp -- --launch --duration-ms 3000
//! ```
//!
//! The launcher starts this same program three times as `--node 0`, `--node 1` and
//! `--node 2`. Each node binds a listener on 127.0.0.1, port 0 (the system picks a free port,
//! so a busy port never gets in the way), and prints `PORT <n>`; the launcher collects the
//! three ports and writes each node its peers' ports on standard input (`PEERS <a> <b>`).
//!
//! Each node then, for a bounded time:
//! - counts page views in a `GCounter` and edits a tag set (`LwwElementSet` stamped by a
//!   `HybridClock` on the system clock) for the first second; node 2 also removes a tag of
//!   node 0 as soon as it has received it;
//! - every 100 ms sends each peer the join of the deltas made since the last send;
//! - every 400 ms, and first thing after (re)connecting, sends each peer its full state;
//! - merges whatever it receives, after its clock accepted the set's stamps;
//! - exits after `--duration-ms` (3000 by default) and prints
//!   `FINAL node=<i> views=<n> tags=<a,b,...>`.
//!
//! The launcher also sends two nodes a hostile frame each (one claiming 4 GiB, one of junk),
//! which they refuse. It waits for the three, checks their final lines are equal and equal to the
//! totals the script implies, and exits 0 only then.
//!
//! On the wire a frame is a 4-byte little-endian length and one `concord_crdt::codec`
//! encoding; the envelope's type tag tells a counter from a set. Frames over 1 MiB are refused
//! before anything is allocated for them, and the connection is dropped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "an example: a failed step should stop it with a message"
)]

use std::collections::BTreeSet;
use std::error::Error;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use concord_crdt::clock::{HybridClock, HybridTimestamp};
use concord_crdt::codec::{self, DecodeError};
use concord_crdt::counter::GCounter;
use concord_crdt::set::LwwElementSet;
use concord_crdt::{Merge, ReplicaId};

type Tags = LwwElementSet<String, HybridTimestamp>;

/// The number of nodes.
const NODES: usize = 3;
/// The largest frame a node accepts, in bytes.
const MAX_FRAME: usize = 1 << 20;
/// Local operations: one per tick, for this many ticks.
const OP_TICKS: u64 = 20;
/// Time between local operations.
const TICK: Duration = Duration::from_millis(50);
/// Time between delta sends.
const DELTA_EVERY: Duration = Duration::from_millis(100);
/// Time between full-state sends.
const FULL_EVERY: Duration = Duration::from_millis(400);
/// How long a node runs by default.
const DEFAULT_DURATION_MS: u64 = 3000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut node = None;
    let mut duration_ms = DEFAULT_DURATION_MS;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--launch" => {}
            "--node" => node = it.next().and_then(|v| v.parse::<usize>().ok()),
            "--duration-ms" => match it.next().and_then(|v| v.parse().ok()) {
                Some(ms) if ms >= 2000 => duration_ms = ms,
                _ => return usage("--duration-ms needs a number of milliseconds, at least 2000"),
            },
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let duration = Duration::from_millis(duration_ms);
    let result = match node {
        Some(index) if index < NODES => run_node(index, duration).map(|()| true),
        Some(_) => return usage("--node takes 0, 1 or 2"),
        None if args.iter().any(|a| a == "--node") => return usage("--node takes 0, 1 or 2"),
        None => launch(duration),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("gossip_tcp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("gossip_tcp: {problem}");
    eprintln!("usage: gossip_tcp [--launch] [--duration-ms N] | --node I [--duration-ms N]");
    ExitCode::from(2)
}

// ---------------------------------------------------------------------------------------------
// The script: what each node does, and what everyone must end with.

fn tag_name(node: usize, tick: u64) -> String {
    format!("n{node}-k{tick:02}")
}

/// The tag that node 2 removes once it has seen it: a removal of another node's element.
fn observed_removal() -> String {
    tag_name(0, 5)
}

/// The element a node removes at `tick`, if any: every fourth tick, its own previous one.
fn own_removal(node: usize, tick: u64) -> Option<String> {
    (tick % 4 == 3).then(|| tag_name(node, tick - 1))
}

/// The views every node must end with.
fn expected_views() -> u128 {
    (1..=NODES as u128).map(|n| n * u128::from(OP_TICKS)).sum()
}

/// The tags every node must end with.
fn expected_tags() -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for node in 0..NODES {
        for tick in 0..OP_TICKS {
            tags.insert(tag_name(node, tick));
            if let Some(removed) = own_removal(node, tick) {
                tags.remove(&removed);
            }
        }
    }
    tags.remove(&observed_removal());
    tags
}

// ---------------------------------------------------------------------------------------------
// Frames.

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Reads one frame; `None` at a clean end of the stream.
fn read_frame(stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0; 4];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("refused a frame of {len} bytes (at most {MAX_FRAME})"),
        ));
    }
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// A decoded message.
enum Message {
    Views(GCounter),
    Tags(Tags),
}

fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    match codec::decode_with_limit::<GCounter>(bytes, MAX_FRAME) {
        Ok(views) => Ok(Message::Views(views)),
        Err(DecodeError::WrongType { .. }) => {
            codec::decode_with_limit::<Tags>(bytes, MAX_FRAME).map(Message::Tags)
        }
        Err(e) => Err(e),
    }
}

/// Reads frames from one peer until it hangs up, passing the decoded messages on. A frame that
/// does not decode ends the connection: the peer is broken or not a node.
fn read_peer(node: usize, mut stream: TcpStream, inbox: &mpsc::Sender<Message>) {
    loop {
        match read_frame(&mut stream) {
            Ok(Some(bytes)) => match decode(&bytes) {
                Ok(message) => {
                    if inbox.send(message).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    eprintln!("node {node}: dropping a connection: {e}");
                    return;
                }
            },
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    eprintln!("node {node}: dropping a connection: {e}");
                }
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A node.

/// A connection to one peer, opened on demand and dropped on the first error.
struct Peer {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    /// Connections opened.
    connects: u64,
    /// Frames and bytes written.
    frames: u64,
    bytes: u64,
}

impl Peer {
    /// Sends `frames` (deltas, or the full state) to the peer. Without a connection it first
    /// connects and sends `full`, the node's full state: that repairs whatever was lost while
    /// disconnected and already holds every delta, so `frames` are then not needed.
    fn send(&mut self, frames: &[Vec<u8>], full: &[Vec<u8>]) {
        if self.stream.is_some() {
            self.write(frames);
        } else if self.connect() {
            self.write(full);
        }
    }

    fn connect(&mut self) -> bool {
        let Ok(stream) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(250)) else {
            return false; // not up, or already gone: the next round tries again
        };
        // A stalled peer must not stall this node.
        if stream
            .set_write_timeout(Some(Duration::from_millis(250)))
            .is_err()
            || stream.set_nodelay(true).is_err()
        {
            return false;
        }
        self.stream = Some(stream);
        self.connects += 1;
        true
    }

    fn write(&mut self, frames: &[Vec<u8>]) {
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        for frame in frames {
            if write_frame(stream, frame).is_err() {
                self.stream = None; // reconnect, with a full state, next round
                return;
            }
            self.frames += 1;
            self.bytes += 4 + frame.len() as u64;
        }
    }
}

/// One node's replicas, clock and unsent deltas.
struct Node {
    index: usize,
    id: ReplicaId,
    clock: HybridClock,
    views: GCounter,
    tags: Tags,
    pending_views: GCounter,
    pending_tags: Tags,
    removed_observed: bool,
    refused: u64,
}

impl Node {
    fn new(index: usize) -> Self {
        let id = ReplicaId::from_u128(index as u128 + 1);
        Self {
            index,
            id,
            clock: HybridClock::system(id),
            views: GCounter::new(),
            tags: Tags::new(),
            pending_views: GCounter::new(),
            pending_tags: Tags::new(),
            removed_observed: false,
            refused: 0,
        }
    }

    /// The local operations of one tick. Deltas join into the pending ones.
    fn operate(&mut self, tick: u64) {
        let delta = self
            .views
            .increment(self.id, self.index as u64 + 1)
            .expect("far from overflow");
        self.pending_views.merge(&delta);
        let delta = self
            .tags
            .insert(tag_name(self.index, tick), self.clock.now());
        self.pending_tags.merge(&delta);
        if let Some(removed) = own_removal(self.index, tick) {
            let delta = self.tags.remove(removed, self.clock.now());
            self.pending_tags.merge(&delta);
        }
    }

    /// Node 2 removes an element of node 0 as soon as it has seen it. Its clock has observed
    /// the add, so the remove's stamp is greater and wins everywhere.
    fn remove_observed(&mut self) {
        let tag = observed_removal();
        if self.index == 2 && !self.removed_observed && self.tags.contains(&tag) {
            let delta = self.tags.remove(tag, self.clock.now());
            self.pending_tags.merge(&delta);
            self.removed_observed = true;
        }
    }

    fn receive(&mut self, message: Message) {
        match message {
            Message::Views(views) => self.views.merge(&views),
            Message::Tags(tags) => {
                // The clock must accept the greatest stamp before the state is merged: a stamp
                // far in the future would otherwise win every later write.
                if let Some(stamp) = tags.max_stamp()
                    && let Err(skew) = self.clock.observe(stamp)
                {
                    eprintln!("node {}: refused a set state: {skew}", self.index);
                    self.refused += 1;
                    return;
                }
                self.tags.merge(&tags);
            }
        }
    }

    fn full_state(&self) -> Vec<Vec<u8>> {
        vec![
            codec::encode(&self.views).expect("encodes"),
            codec::encode(&self.tags).expect("encodes"),
        ]
    }

    /// The deltas since the last call, as frames (none when nothing changed).
    fn take_deltas(&mut self) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        if !self.pending_views.is_empty() {
            frames.push(codec::encode(&self.pending_views).expect("encodes"));
            self.pending_views = GCounter::new();
        }
        // A delta of removes only has no present element, but it is not empty.
        if self.pending_tags != Tags::new() {
            frames.push(codec::encode(&self.pending_tags).expect("encodes"));
            self.pending_tags = Tags::new();
        }
        frames
    }
}

fn run_node(index: usize, duration: Duration) -> Result<(), Box<dyn Error>> {
    // Loopback only, and port 0: the system picks a free port.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let mut out = io::stdout().lock();
    writeln!(out, "PORT {}", listener.local_addr()?.port())?;
    out.flush()?;

    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    let ports = line
        .strip_prefix("PEERS")
        .ok_or("expected a PEERS line on standard input")?
        .split_whitespace()
        .map(str::parse::<u16>)
        .collect::<Result<Vec<_>, _>>()?;
    let mut peers: Vec<Peer> = ports
        .into_iter()
        .map(|port| Peer {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            stream: None,
            connects: 0,
            frames: 0,
            bytes: 0,
        })
        .collect();

    let (inbox, messages) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let inbox = inbox.clone();
            thread::spawn(move || read_peer(index, stream, &inbox));
        }
    });

    let mut node = Node::new(index);
    let start = Instant::now();
    let deadline = start + duration;
    let (mut tick, mut next_tick) = (0, start);
    let mut next_deltas = start + DELTA_EVERY;
    let mut next_full = start + FULL_EVERY;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if tick < OP_TICKS && now >= next_tick {
            node.operate(tick);
            tick += 1;
            next_tick += TICK;
        }
        if now >= next_deltas {
            let frames = node.take_deltas();
            // The full state is only needed for a peer that must be (re)connected.
            let full = if peers.iter().any(|p| p.stream.is_none()) {
                node.full_state()
            } else {
                Vec::new()
            };
            for peer in &mut peers {
                peer.send(&frames, &full);
            }
            next_deltas += DELTA_EVERY;
        }
        if now >= next_full {
            let full = node.full_state();
            for peer in &mut peers {
                peer.send(&full, &full);
            }
            next_full += FULL_EVERY;
        }
        // Wait for messages until the next event is due.
        let mut next = next_deltas.min(next_full).min(deadline);
        if tick < OP_TICKS {
            next = next.min(next_tick);
        }
        let wait = next.saturating_duration_since(Instant::now());
        if let Ok(message) = messages.recv_timeout(wait) {
            node.receive(message);
            while let Ok(message) = messages.try_recv() {
                node.receive(message);
            }
            node.remove_observed();
        }
    }

    let sum = |f: fn(&Peer) -> u64| peers.iter().map(f).sum::<u64>();
    writeln!(
        out,
        "STATS node={index} connects={} frames={} bytes={}",
        sum(|p| p.connects),
        sum(|p| p.frames),
        sum(|p| p.bytes)
    )?;
    let tags: Vec<&str> = node.tags.iter().map(String::as_str).collect();
    writeln!(
        out,
        "FINAL node={index} views={} tags={}",
        node.views.value(),
        tags.join(",")
    )?;
    out.flush()?;
    if node.refused > 0 {
        return Err(format!("refused {} states", node.refused).into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The launcher.

/// The three node processes; any still running are killed when this is dropped.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A node's final line, parsed.
#[derive(Debug, PartialEq, Eq)]
struct Final {
    views: u128,
    tags: BTreeSet<String>,
}

fn parse_final(line: &str) -> Option<Final> {
    let mut parts = line.strip_prefix("FINAL ")?.split(' ');
    let _node = parts.next()?.strip_prefix("node=")?;
    let views = parts.next()?.strip_prefix("views=")?.parse().ok()?;
    let tags = parts.next()?.strip_prefix("tags=")?;
    let tags = tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    Some(Final { views, tags })
}

fn launch(duration: Duration) -> Result<bool, Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let mut children = Children(Vec::new());
    let mut outputs: Vec<BufReader<ChildStdout>> = Vec::new();
    let mut ports = Vec::new();
    for index in 0..NODES {
        let mut child = Command::new(&exe)
            .args(["--node", &index.to_string()])
            .args(["--duration-ms", &duration.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        children.0.push(child);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("node {index} did not report its port: {line:?}"))?;
        println!("node {index} listens on 127.0.0.1:{port}");
        ports.push(port);
        outputs.push(stdout);
    }
    for (index, child) in children.0.iter_mut().enumerate() {
        let peers: Vec<String> = ports
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != index)
            .map(|(_, p)| p.to_string())
            .collect();
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        writeln!(stdin, "PEERS {}", peers.join(" "))?;
    }
    // A hostile client: a frame that claims 4 GiB, and a frame of junk. The nodes drop those
    // connections (reporting it on standard error) and carry on.
    let hostile = [
        u32::MAX.to_le_bytes().to_vec(),
        [&9u32.to_le_bytes()[..], b"CNCDjunk!"].concat(),
    ];
    for (port, bytes) in ports.iter().zip(&hostile) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, *port))?;
        stream.write_all(bytes)?;
    }
    println!(
        "gossiping for {} ms: deltas every {} ms, full states every {} ms",
        duration.as_millis(),
        DELTA_EVERY.as_millis(),
        FULL_EVERY.as_millis()
    );

    // Collect each node's output on its own thread, so a full pipe never blocks a node.
    let readers: Vec<_> = outputs
        .into_iter()
        .map(|stdout| {
            thread::spawn(move || stdout.lines().map_while(Result::ok).collect::<Vec<_>>())
        })
        .collect();
    let give_up = Instant::now() + duration + Duration::from_secs(20);
    let mut statuses = Vec::new();
    for (index, child) in children.0.iter_mut().enumerate() {
        loop {
            if let Some(status) = child.try_wait()? {
                statuses.push(status);
                break;
            }
            if Instant::now() > give_up {
                return Err(format!("node {index} did not exit in time").into());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    let mut finals = Vec::new();
    for (index, (reader, status)) in readers.into_iter().zip(statuses).enumerate() {
        let lines = reader.join().map_err(|_| "an output reader panicked")?;
        let last = lines.iter().rev().find(|l| l.starts_with("FINAL "));
        let Some(last) = last else {
            return Err(format!("node {index} printed no FINAL line ({status})").into());
        };
        for stats in lines.iter().filter(|l| l.starts_with("STATS ")) {
            println!("{stats}");
        }
        println!("{last}");
        if !status.success() {
            return Err(format!("node {index} failed: {status}").into());
        }
        finals.push(parse_final(last).ok_or_else(|| format!("unreadable line {last:?}"))?);
    }

    let expected = Final {
        views: expected_views(),
        tags: expected_tags(),
    };
    let agree = finals.windows(2).all(|w| w.first() == w.last());
    let correct = finals.iter().all(|f| *f == expected);
    if agree && correct {
        println!(
            "all {NODES} nodes agree: views={} and the same {} tags, as the script implies",
            expected.views,
            expected.tags.len()
        );
        Ok(true)
    } else {
        eprintln!(
            "MISMATCH: agree={agree}, expected views={} and {} tags",
            expected.views,
            expected.tags.len()
        );
        Ok(false)
    }
}
