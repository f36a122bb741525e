//! The launcher: starts the node processes, kills one and starts it again from its store, runs
//! the session client and a hostile client, and checks what the nodes end with.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use concord_crdt::ReplicaId;
use concord_crdt::codec;

use crate::client::{self, Session};
use crate::wire::{self, Reply, Request, kind};
use crate::{Doc, NODES};

/// The node that is killed and restarted.
const VICTIM: usize = 1;
/// The victim's acknowledged writes before it is killed.
const KILL_AFTER: usize = 12;
/// How long the victim stays down while the others go on writing.
const DOWN_FOR: Duration = Duration::from_millis(300);
/// How long a node may take to start and open its store.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the nodes may take to make their writes.
const WRITES_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the nodes may take to agree once every write is made.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a node may take to report and exit once told to stop.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Hostile frames sent to each node; each must be refused.
const HOSTILE_FRAMES: u64 = 3;

/// A line of a node's standard output, or its end, tagged with the node's life.
enum Output {
    Line {
        node: usize,
        life: u32,
        line: String,
    },
    Closed {
        node: usize,
        life: u32,
    },
}

/// A running node process.
struct Process {
    child: Child,
    stdin: ChildStdin,
}

/// What the launcher knows of one node.
#[derive(Default)]
struct Node {
    /// Processes started for this node so far.
    lives: u32,
    /// The current life printed its READY line.
    ready: bool,
    /// The current life is expected to exit (killed, or told to stop).
    leaving: bool,
    port: u16,
    id: Option<ReplicaId>,
    incarnation: u64,
    /// The current life opened an existing store.
    restored: bool,
    /// Of the node's own keys, how many the current life found in its store.
    own_at_start: u64,
    /// Acknowledged writes, over every life: key to value.
    acked: BTreeMap<String, String>,
    done: bool,
    /// The figures of the current life's STATS line.
    stats: BTreeMap<String, String>,
}

impl Node {
    fn stat(&self, name: &str) -> u64 {
        self.stats
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The node processes; any still running are killed when this is dropped, whatever happened.
struct Cluster {
    exe: PathBuf,
    data_dir: PathBuf,
    writes: u64,
    processes: Vec<Option<Process>>,
    nodes: Vec<Node>,
    output: Receiver<Output>,
    sender: Sender<Output>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in self.processes.iter_mut().flatten() {
            if matches!(process.child.try_wait(), Ok(None)) {
                let _ = process.child.kill();
                let _ = process.child.wait();
            }
        }
    }
}

impl Cluster {
    fn new(data_dir: &Path, writes: u64) -> Result<Self, Box<dyn Error>> {
        let (sender, output) = mpsc::channel();
        Ok(Self {
            exe: std::env::current_exe()?,
            data_dir: data_dir.to_owned(),
            writes,
            processes: (0..NODES).map(|_| None).collect(),
            nodes: (0..NODES).map(|_| Node::default()).collect(),
            output,
            sender,
        })
    }

    fn node(&self, index: usize) -> Result<&Node, Box<dyn Error>> {
        self.nodes
            .get(index)
            .ok_or_else(|| format!("no node {index}").into())
    }

    fn port(&self, index: usize) -> Result<u16, Box<dyn Error>> {
        Ok(self.node(index)?.port)
    }

    /// Starts node `index` on its directory and waits for its READY line.
    fn start(&mut self, index: usize) -> Result<(), Box<dyn Error>> {
        let dir = self.data_dir.join(format!("node-{index}"));
        let mut child = Command::new(&self.exe)
            .args(["--node", &index.to_string()])
            .arg("--data-dir")
            .arg(&dir)
            .args(["--writes", &self.writes.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let node = self.nodes.get_mut(index).ok_or("no such node")?;
        node.lives += 1;
        node.ready = false;
        node.leaving = false;
        node.done = false;
        node.stats.clear();
        let life = node.lives;
        let sender = self.sender.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(Output::Line {
                    node: index,
                    life,
                    line,
                });
            }
            let _ = sender.send(Output::Closed { node: index, life });
        });
        if let Some(slot) = self.processes.get_mut(index) {
            *slot = Some(Process { child, stdin });
        }
        self.wait_for(&format!("node {index} to start"), START_TIMEOUT, |c| {
            c.nodes.get(index).is_some_and(|n| n.ready)
        })
    }

    /// Sends node `index` a command line.
    fn command(&mut self, index: usize, line: &str) -> Result<(), Box<dyn Error>> {
        let process = self
            .processes
            .get_mut(index)
            .and_then(Option::as_mut)
            .ok_or_else(|| format!("node {index} is not running"))?;
        writeln!(process.stdin, "{line}")?;
        process.stdin.flush()?;
        Ok(())
    }

    /// Tells node `index` who its peers are.
    fn introduce(&mut self, index: usize) -> Result<(), Box<dyn Error>> {
        for peer in (0..NODES).filter(|&p| p != index) {
            let line = self.peer_line(peer)?;
            self.command(index, &line)?;
        }
        Ok(())
    }

    fn peer_line(&self, peer: usize) -> Result<String, Box<dyn Error>> {
        let node = self.node(peer)?;
        let id = node
            .id
            .ok_or_else(|| format!("node {peer} has no id yet"))?;
        Ok(format!("PEER {peer} {id} {}", node.port))
    }

    /// Kills node `index` with SIGKILL (what `Child::kill` sends on Unix) and reaps it.
    fn kill(&mut self, index: usize) -> Result<u32, Box<dyn Error>> {
        if let Some(node) = self.nodes.get_mut(index) {
            node.leaving = true;
        }
        let process = self
            .processes
            .get_mut(index)
            .and_then(Option::take)
            .ok_or_else(|| format!("node {index} is not running"))?;
        let mut child = process.child;
        let pid = child.id();
        child.kill()?;
        child.wait()?;
        Ok(pid)
    }

    /// Handles the nodes' output until `done` holds, or fails after `timeout`.
    fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Self) -> bool,
    ) -> Result<(), Box<dyn Error>> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("timed out after {timeout:?} waiting for {what}").into());
            }
            self.pump(left)?;
        }
        Ok(())
    }

    /// Handles the nodes' output for `time`.
    fn pump_for(&mut self, time: Duration) -> Result<(), Box<dyn Error>> {
        let until = Instant::now() + time;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            self.pump(left)?;
        }
    }

    /// Handles the nodes' output for at most `time`: everything that is there, or the first
    /// line that comes.
    fn pump(&mut self, time: Duration) -> Result<(), Box<dyn Error>> {
        let mut next = match self.output.recv_timeout(time) {
            Ok(output) => Some(output),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Err("the output channel closed".into()),
        };
        while let Some(output) = next {
            self.handle(output)?;
            next = self.output.try_recv().ok();
        }
        Ok(())
    }

    fn handle(&mut self, output: Output) -> Result<(), Box<dyn Error>> {
        match output {
            Output::Line { node, life, line } => {
                let current = self.node(node)?.lives == life;
                let known = self.nodes.get_mut(node).ok_or("no such node")?;
                let mut words = line.split_whitespace();
                match words.next() {
                    // A write is acknowledged once its line is printed, whichever life printed it.
                    Some("ACK") => {
                        let (Some(key), Some(value)) = (words.next(), words.next()) else {
                            return Err(format!("node {node} printed {line:?}").into());
                        };
                        known.acked.insert(key.to_owned(), value.to_owned());
                    }
                    Some("READY") if current => {
                        let fields = key_values(words);
                        let field = |name: &str| {
                            fields
                                .get(name)
                                .ok_or_else(|| format!("node {node}'s READY line lacks {name}"))
                        };
                        known.port = field("port")?.parse()?;
                        known.id = Some(field("id")?.parse()?);
                        known.incarnation = field("incarnation")?.parse()?;
                        known.restored = field("restored")? == "true";
                        known.own_at_start = field("own")?.parse()?;
                        known.ready = true;
                    }
                    Some("DONE") if current => known.done = true,
                    Some("STATS") if current => known.stats = key_values(words),
                    _ => println!("node {node}: {line}"),
                }
            }
            Output::Closed { node, life } => {
                let known = self.node(node)?;
                if known.lives == life && !known.leaving {
                    let status = self
                        .processes
                        .get_mut(node)
                        .and_then(Option::as_mut)
                        .and_then(|p| p.child.wait().ok())
                        .map_or_else(|| "unknown status".to_owned(), |s| s.to_string());
                    return Err(format!("node {node} exited unexpectedly ({status})").into());
                }
            }
        }
        Ok(())
    }

    /// Every node's state, asked over TCP.
    fn states(&self) -> Result<Vec<Doc>, Box<dyn Error>> {
        (0..NODES)
            .map(
                |index| match client::request(self.port(index)?, &Request::Dump)? {
                    Reply::State(bytes) => Ok(codec::decode_with_limit(&bytes, wire::MAX_FRAME)?),
                    other => Err(format!("node {index} answered a dump with {other:?}").into()),
                },
            )
            .collect()
    }

    /// Tells every node to stop, collects their figures and waits for them to exit.
    fn stop(&mut self) -> Result<(), Box<dyn Error>> {
        for index in 0..NODES {
            if let Some(node) = self.nodes.get_mut(index) {
                node.leaving = true;
            }
            self.command(index, "STOP")?;
        }
        self.wait_for("the nodes' figures", EXIT_TIMEOUT, |c| {
            c.nodes.iter().all(|n| !n.stats.is_empty())
        })?;
        let deadline = Instant::now() + EXIT_TIMEOUT;
        for (index, slot) in self.processes.iter_mut().enumerate() {
            let Some(process) = slot else { continue };
            loop {
                if let Some(status) = process.child.try_wait()? {
                    if !status.success() {
                        return Err(format!("node {index} failed: {status}").into());
                    }
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("node {index} did not exit in time").into());
                }
                thread::sleep(Duration::from_millis(10));
            }
            *slot = None;
        }
        Ok(())
    }
}

fn key_values<'a>(words: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    words
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Connects to the node on `port` and writes `bytes`: frames no node may accept.
fn send_hostile(port: u16, bytes: &[u8]) -> Result<(), Box<dyn Error>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(bytes)?;
    Ok(())
}

/// A frame as bytes.
fn frame(kind: u8, body: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut bytes = Vec::new();
    wire::write_frame(&mut bytes, kind, body)?;
    Ok(bytes)
}

/// Sends every node three hostile connections: a frame claiming 4 GiB, a frame of an unknown
/// kind, and a peer's hello followed by a sync message of junk.
fn attack(cluster: &Cluster) -> Result<(), Box<dyn Error>> {
    for index in 0..NODES {
        let port = cluster.port(index)?;
        let peer = (index + 1) % NODES;
        let peer_id = cluster.node(peer)?.id.ok_or("no id")?;
        send_hostile(port, &u32::MAX.to_le_bytes())?;
        send_hostile(port, &frame(b'Z', b"what is this")?)?;
        let mut junk = frame(kind::HELLO, &wire::hello(peer_id))?;
        junk.extend(frame(kind::SYNC, b"CNCD\x02\x06junk")?);
        send_hostile(port, &junk)?;
    }
    Ok(())
}

/// A round of the session client: a write through node `via`, read back through node `back`.
fn session_round(
    cluster: &Cluster,
    session: &mut Session,
    written: &mut BTreeMap<String, String>,
    via: usize,
    back: usize,
) -> Result<(), Box<dyn Error>> {
    let key = format!("s-{:02}", written.len());
    let value = format!("via-node-{via}");
    session.write(cluster.port(via)?, &key, &value)?;
    let waited = session.read_own_write(cluster.port(back)?, &key, &value)?;
    println!(
        "session: wrote {key} through node {via}, read it back through node {back} {}",
        waited_text(waited)
    );
    written.insert(key, value);
    Ok(())
}

fn waited_text(waited: Duration) -> String {
    if waited < Duration::from_millis(1) {
        "at once".to_owned()
    } else {
        format!("after waiting {} ms for it to catch up", waited.as_millis())
    }
}

/// A fresh directory under the system's temporary directory.
fn temporary_dir() -> Result<PathBuf, Box<dyn Error>> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    Ok(std::env::temp_dir().join(format!("concord-gossip-tcp-{}-{nanos}", std::process::id())))
}

/// Runs the whole demonstration in `data_dir` (a fresh temporary directory, removed after a
/// success, when none is given).
pub(crate) fn run(data_dir: Option<PathBuf>, writes: u64) -> Result<(), Box<dyn Error>> {
    let (dir, temporary) = match data_dir {
        Some(dir) => (dir, false),
        None => (temporary_dir()?, true),
    };
    fs::create_dir_all(&dir)?;
    let result = run_in(&dir, writes);
    if temporary && result.is_ok() {
        fs::remove_dir_all(&dir)?;
    } else if result.is_err() {
        eprintln!(
            "gossip_tcp: the nodes' stores are kept in {}",
            dir.display()
        );
    }
    result
}

fn run_in(dir: &Path, writes: u64) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    println!(
        "{NODES} node processes on 127.0.0.1 replicate an OrMap<String, MvRegister<String>> \
         with concord-sync, each in its own store under {}",
        dir.display()
    );
    let mut cluster = Cluster::new(dir, writes)?;
    for index in 0..NODES {
        cluster.start(index)?;
        let node = cluster.node(index)?;
        let pid = cluster
            .processes
            .get(index)
            .and_then(Option::as_ref)
            .map_or(0, |p| p.child.id());
        println!(
            "node {index}: pid {pid}, 127.0.0.1:{}, replica {}, {}",
            node.port,
            node.id.map(|id| id.to_string()).unwrap_or_default(),
            if node.restored {
                format!("restarted from its store ({} own keys)", node.own_at_start)
            } else {
                "new store".to_owned()
            }
        );
    }
    // Every node knows its peers before any of them writes, so no message finds a node that
    // does not know its sender.
    for index in 0..NODES {
        cluster.introduce(index)?;
    }
    for index in 0..NODES {
        cluster.command(index, "GO")?;
    }

    let mut session = Session::default();
    let mut session_writes = BTreeMap::new();
    for (via, back) in [(0, 1), (1, 2), (2, 0)] {
        session_round(&cluster, &mut session, &mut session_writes, via, back)?;
    }

    // Kill the victim once some of its writes are acknowledged, mid-run (at once if a store
    // from an earlier run already holds all of its writes).
    let left = writes.saturating_sub(cluster.node(VICTIM)?.own_at_start);
    let kill_after = KILL_AFTER.min(usize::try_from(left / 3)?);
    cluster.wait_for(
        &format!("{kill_after} acknowledged writes of node {VICTIM}"),
        WRITES_TIMEOUT,
        |c| {
            c.nodes
                .get(VICTIM)
                .is_some_and(|n| own_acked(n, VICTIM) >= kill_after)
        },
    )?;
    let before = (
        cluster.node(VICTIM)?.id,
        cluster.node(VICTIM)?.incarnation,
        cluster.node(VICTIM)?.own_at_start,
    );
    let pid = cluster.kill(VICTIM)?;
    let acked_before = own_acked(cluster.node(VICTIM)?, VICTIM);
    println!(
        "killed node {VICTIM} (pid {pid}) with SIGKILL after {acked_before} acknowledged writes"
    );
    session_round(&cluster, &mut session, &mut session_writes, 0, 2)?;
    cluster.pump_for(DOWN_FOR)?;

    // Start it again on the same directory.
    cluster.start(VICTIM)?;
    let node = cluster.node(VICTIM)?;
    let acked_now = own_acked(node, VICTIM);
    if node.id != before.0 {
        return Err(format!("node {VICTIM} came back with another replica id").into());
    }
    if node.incarnation <= before.1 {
        return Err(format!("node {VICTIM} came back in an old incarnation").into());
    }
    // Its writes of this run have keys it never wrote before: the store must hold the ones
    // it had at the start and every one acknowledged since.
    let must_hold = before.2 + acked_now as u64;
    if !node.restored || node.own_at_start < must_hold {
        return Err(format!(
            "node {VICTIM} came back with {} of its own writes, {must_hold} were acknowledged",
            node.own_at_start
        )
        .into());
    }
    let expected = if before.2 == 0 {
        format!("{acked_now} acknowledged")
    } else {
        format!(
            "{} from an earlier run, {acked_now} acknowledged since",
            before.2
        )
    };
    println!(
        "restarted node {VICTIM} from its store: same replica id, incarnation {} -> {}, \
         {} own writes on disk ({expected}), port {}",
        before.1, node.incarnation, node.own_at_start, node.port
    );
    cluster.introduce(VICTIM)?;
    let line = cluster.peer_line(VICTIM)?;
    for index in (0..NODES).filter(|&i| i != VICTIM) {
        cluster.command(index, &line)?;
    }
    cluster.command(VICTIM, "GO")?;
    attack(&cluster)?;
    println!(
        "sent each node {HOSTILE_FRAMES} hostile frames (a 4 GiB length, an unknown kind, a \
         junk sync message from a peer's id)"
    );
    // Read through the restarted node at once: it must wait until it caught up, never serve
    // a state without the session's writes.
    for (via, back) in [(2, 1), (1, 0), (0, 1)] {
        session_round(&cluster, &mut session, &mut session_writes, via, back)?;
    }
    if let Some((key, value)) = session_writes.iter().next() {
        let waited = session.read_own_write(cluster.port(VICTIM)?, key, value)?;
        println!(
            "session: read {key} (written before the kill) through node {VICTIM} {}",
            waited_text(waited)
        );
    }

    cluster.wait_for("every node's writes", WRITES_TIMEOUT, |c| {
        c.nodes.iter().all(|n| n.done)
    })?;
    let last_write = Instant::now();
    let (states, polls) = converge(&mut cluster)?;
    let converged_in = last_write.elapsed();
    let state = states.first().ok_or("no state")?;

    // Every acknowledged write, by any node in any life or by the session, is in the state.
    let mut acked: BTreeMap<String, String> = session_writes.clone();
    for node in &cluster.nodes {
        acked.extend(node.acked.clone());
    }
    let missing: Vec<&String> = acked
        .iter()
        .filter(|(key, value)| {
            !state
                .get(key.as_str())
                .is_some_and(|versions| versions.values().any(|v| v == *value))
        })
        .map(|(key, _)| key)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} acknowledged writes are missing from the converged state: {missing:?}",
            missing.len()
        )
        .into());
    }

    cluster.stop()?;
    for (index, node) in cluster.nodes.iter().enumerate() {
        // The hostile frames, and nothing else: the nodes' own messages are all valid.
        if node.stat("refused") != HOSTILE_FRAMES {
            return Err(format!(
                "node {index} refused {} frames or messages; {HOSTILE_FRAMES} hostile ones \
                 were sent",
                node.stat("refused")
            )
            .into());
        }
    }

    println!();
    println!("node  lives  writes acked  keys  TCP bytes sent  sync messages  refused  commits");
    for (index, node) in cluster.nodes.iter().enumerate() {
        println!(
            "{index:>4}  {:>5}  {:>12}  {:>4}  {:>14}  {:>13}  {:>7}  {:>7}",
            node.lives,
            node.acked.len(),
            node.stat("keys"),
            node.stat("tcp_bytes"),
            node.stat("sync_messages"),
            node.stat("refused"),
            node.stat("commits"),
        );
    }
    println!("(the figures of node {VICTIM} other than its writes count its second life only)");
    println!(
        "session: {} writes, {} reads through other nodes, {} had to wait (longest {} ms, \
         {} not-yet replies), 0 stale",
        session.writes,
        session.reads,
        session.waited,
        session.longest_wait.as_millis(),
        session.behind
    );
    println!(
        "converged: all {NODES} nodes hold the same {} keys, with every one of the {} \
         acknowledged writes, {} ms after the last write ({polls} polls); node {VICTIM} killed \
         once and restarted from its store; total {:.1} s",
        state.len(),
        acked.len(),
        converged_in.as_millis(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How many of node `index`'s own writes were acknowledged.
fn own_acked(node: &Node, index: usize) -> usize {
    let prefix = format!("n{index}-");
    node.acked.keys().filter(|k| k.starts_with(&prefix)).count()
}

/// Polls the nodes' states until they are equal; returns them and the polls it took.
fn converge(cluster: &mut Cluster) -> Result<(Vec<Doc>, u32), Box<dyn Error>> {
    let deadline = Instant::now() + CONVERGE_TIMEOUT;
    let mut polls = 0;
    loop {
        polls += 1;
        let states = cluster.states()?;
        if states.windows(2).all(|w| w.first() == w.last()) {
            return Ok((states, polls));
        }
        if Instant::now() > deadline {
            let keys: Vec<usize> = states.iter().map(Doc::len).collect();
            return Err(format!(
                "the nodes did not converge within {CONVERGE_TIMEOUT:?} (keys per node: {keys:?})"
            )
            .into());
        }
        cluster.pump_for(Duration::from_millis(20))?;
    }
}
