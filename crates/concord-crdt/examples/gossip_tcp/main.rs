//! Three processes on 127.0.0.1 replicating a key-value document over TCP with
//! `concord_crdt::sync`, each keeping its replica in a `concord_crdt::store` file; one is
//! killed with SIGKILL mid-run and restarts from its store.
//!
//! ```text
//! cargo run -p concord-crdt --features store --example gossip_tcp              # same as --launch
//! cargo run -p concord-crdt --features store --example gossip_tcp -- --launch --data-dir DIR
//! ```
//!
//! The document is an `OrMap<String, MvRegister<String>>`: key to the versions of its value.
//!
//! The launcher starts this same program three times as `--node I --data-dir DIR/node-I`.
//! Each node opens (or creates) the redb store in its directory and the `DurableReplica` in it,
//! binds a listener on 127.0.0.1, port 0 (the system picks a free port), and prints
//! `READY port=.. id=.. incarnation=..`. The launcher tells each node its peers' ids and ports
//! on standard input (`PEER <index> <id> <port>`, then `GO`), and the nodes:
//! - write their own keys (`n<I>-001`, `n<I>-002`, ...), one every 25 ms, each acknowledged
//!   (`ACK <key> <value>` on standard output) only after its commit;
//! - ship the replica's messages (`poll_transmit`) to each peer and hand what arrives to
//!   `receive`; concord-sync acknowledges, resends and catches peers up by itself;
//! - answer a session client: a write returns its `SessionToken`, a read with a token is served
//!   only by a node that holds every write the token depends on, otherwise it is told to wait.
//!
//! Meanwhile the launcher:
//! - runs a session client that writes through one node and reads the write back through
//!   another, carrying its token, retrying (bounded) while that node is behind;
//! - kills node 1 with SIGKILL after some of its writes were acknowledged, lets the others go on
//!   without it, and starts it again on the same directory: it comes back from its redb file
//!   with the same replica id in a new incarnation, and catches up with its peers;
//! - sends every node hostile frames (a length of 4 GiB, an unknown frame kind, a sync message of
//!   junk from a peer's id), which they refuse with an error and survive;
//! - waits until the three states are equal, checks that they hold every acknowledged write,
//!   and prints a report. It exits non-zero, with a message, on any failure or timeout.
//!
//! On the wire a frame is a 4-byte little-endian length, one byte of frame kind, and the body:
//! a peer's first frame names its replica id, each later frame carries one concord-sync message
//! (codec bytes). Frames over 1 MiB are refused before anything is allocated for them.

mod client;
mod launcher;
mod node;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;

use concord_crdt::map::OrMap;
use concord_crdt::register::MvRegister;

/// The replicated document: key to the versions of its value.
type Doc = OrMap<String, MvRegister<String>>;

/// The number of nodes.
const NODES: usize = 3;

/// Writes each node makes by default.
const DEFAULT_WRITES: u64 = 40;

/// What the command line asks for.
#[derive(Debug)]
enum Mode {
    Launch {
        data_dir: Option<PathBuf>,
        writes: u64,
    },
    Node {
        index: usize,
        data_dir: PathBuf,
        writes: u64,
    },
}

fn main() -> ExitCode {
    let mode = match parse_args(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(problem) => {
            eprintln!("gossip_tcp: {problem}");
            eprintln!(
                "usage: gossip_tcp [--launch] [--data-dir DIR] [--writes N]\n       \
                 gossip_tcp --node I --data-dir DIR [--writes N]   (started by the launcher)"
            );
            return ExitCode::from(2);
        }
    };
    let result = match mode {
        Mode::Launch { data_dir, writes } => launcher::run(data_dir, writes),
        Mode::Node {
            index,
            data_dir,
            writes,
        } => node::run(index, &data_dir, writes),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gossip_tcp: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Mode, String> {
    let (mut node, mut data_dir, mut writes) = (None, None, DEFAULT_WRITES);
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--launch" => {}
            "--node" => {
                node = Some(
                    args.next()
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&i| i < NODES)
                        .ok_or("--node takes 0, 1 or 2")?,
                );
            }
            "--data-dir" => {
                data_dir = Some(PathBuf::from(
                    args.next().ok_or("--data-dir needs a directory")?,
                ));
            }
            "--writes" => {
                writes = args
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|&n| (1..=500).contains(&n))
                    .ok_or("--writes takes a number from 1 to 500")?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(match node {
        Some(index) => Mode::Node {
            index,
            data_dir: data_dir.ok_or("--node needs --data-dir")?,
            writes,
        },
        None => Mode::Launch { data_dir, writes },
    })
}
