//! Runs the `gossip_tcp` example's launcher: three node processes replicating a document over
//! TCP with concord-sync, each in its own concord-store file, one of them killed with SIGKILL
//! and restarted from its store. The launcher fails unless the three end with equal states
//! holding every acknowledged write, and the session client read its own writes through other
//! nodes without a stale read; this test checks that it succeeded, in time, and said so.
//!
//! `cargo test` builds the examples before it runs any test, so the example's binary sits in
//! the `examples` directory beside this test's own directory (`deps`).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The launcher finishes in a few seconds; past this it is stuck.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `target/<profile>/examples/gossip_tcp`, from this test's `target/<profile>/deps/...`.
fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    Some(
        profile_dir
            .join("examples")
            .join(format!("gossip_tcp{}", std::env::consts::EXE_SUFFIX)),
    )
}

/// When the example's newest source file was last changed.
fn newest_source() -> std::io::Result<SystemTime> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/gossip_tcp");
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir)? {
        newest = newest.max(entry?.metadata()?.modified()?);
    }
    Ok(newest)
}

#[test]
fn three_processes_converge_over_tcp_through_a_kill_and_restart() {
    let binary = example_binary().unwrap();
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test -p concord-crdt --features store` (which builds the \
         examples), or `cargo build -p concord-crdt --features store --example gossip_tcp` first",
        binary.display()
    );
    let built = binary.metadata().and_then(|m| m.modified()).unwrap();
    assert!(
        built >= newest_source().unwrap(),
        "{} is older than its source: rebuild it (`cargo test` for the whole package does)",
        binary.display()
    );

    let started = Instant::now();
    let mut child = Command::new(&binary)
        .arg("--launch")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            // The nodes exit when the launcher's end of their standard input closes.
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("gossip_tcp did not finish within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let stdout = out.join().unwrap().unwrap();
    let stderr = err.join().unwrap().unwrap();
    assert!(
        status.success(),
        "gossip_tcp failed ({status}):\n{stdout}\n{stderr}"
    );
    for expected in [
        "killed node 1 (pid ",
        "restarted node 1 from its store: same replica id",
        "read it back through node 1",
        ", 0 stale",
        "converged: all 3 nodes hold the same ",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    println!("{stdout}\nthe launcher took {took:?}");
}
