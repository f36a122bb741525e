//! `redis-server` processes for the tests and the example: each on a free 127.0.0.1 port, in
//! a temporary directory, without persistence, stopped (killed) when dropped, also when a
//! test fails.
//!
//! Without `redis-server` on the machine, [`RedisServer::start`] panics with a message naming
//! the Debian package to install (or `scripts/test.sh`, which installs it): a missing server
//! is a failure, never a silent pass.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "test machinery shared by several test binaries: a failed step is a failed test"
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The program, and the Debian package that has it.
const PROGRAM: &str = "redis-server";
const PACKAGE: &str = "redis-server";

/// Whether `redis-server` can be run: `true`, or a panic naming the package.
pub fn available() -> bool {
    let found = Command::new(PROGRAM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    let message = format!(
        "`{PROGRAM}` is not installed: install the Debian package `{PACKAGE}` \
         (apt-get install -y {PACKAGE}), or run scripts/test.sh, which does"
    );
    panic!("{message}");
}

/// A running `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    replica_of: Option<u16>,
    dir: tempfile::TempDir,
}

/// A port the system says is free now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// A new server (`Some`; a panic naming the package when `redis-server` is not
    /// installed).
    pub fn start() -> Option<Self> {
        if !available() {
            return None;
        }
        Some(Self::spawn(None))
    }

    /// A read replica of `primary` (`--replicaof`), once it has synced with it.
    pub fn replica_of(primary: &Self) -> Self {
        let server = Self::spawn(Some(primary.port));
        server.wait_synced();
        server
    }

    fn spawn(replica_of: Option<u16>) -> Self {
        // Another process may take the free port before the server binds it: try again.
        let mut last = String::new();
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                port: free_port(),
                replica_of,
                dir: tempfile::tempdir().unwrap(),
            };
            match server.launch() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("could not start {PROGRAM}: {last}");
    }

    /// Starts the process on `self.port` and waits until it answers `PING`.
    fn launch(&mut self) -> Result<(), String> {
        let mut command = Command::new(PROGRAM);
        command
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--daemonize")
            .arg("no")
            // A replica's full sync starts at once, not after the default 5 s.
            .arg("--repl-diskless-sync-delay")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(primary) = self.replica_of {
            command
                .arg("--replicaof")
                .arg("127.0.0.1")
                .arg(primary.to_string());
        }
        let child = command
            .spawn()
            .map_err(|e| format!("spawning {PROGRAM}: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!("{PROGRAM} on port {} exited: {status}", self.port));
            }
            if let Ok(mut conn) = self.client().get_connection() {
                // The server that answers must be this one: another test may have taken the
                // same free port a moment earlier, and this process then fails to bind it.
                let info: redis::RedisResult<String> =
                    redis::cmd("INFO").arg("server").query(&mut conn);
                let pid = self.child.as_ref().map(Child::id);
                let ours = |info: &str, pid: u32| {
                    info.lines()
                        .any(|l| l.trim() == format!("process_id:{pid}"))
                };
                if let (Ok(info), Some(pid)) = (info, pid)
                    && ours(&info, pid)
                {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("{PROGRAM} on port {} never answered", self.port));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its port.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client for it.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).unwrap()
    }

    /// A connection to it.
    pub fn conn(&self) -> redis::Connection {
        self.client().get_connection().unwrap()
    }

    /// Its directory.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Kills the process (SIGKILL): everything it held is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty (it has no persistence).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.launch() {
                Ok(()) => return,
                // The port may linger a moment after the kill.
                Err(e) if Instant::now() > deadline => panic!("restarting: {e}"),
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Waits until this replica reports its link to the primary up.
    pub fn wait_synced(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut conn = self.conn();
        loop {
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query(&mut conn)
                .unwrap();
            if info.contains("master_link_status:up") {
                return;
            }
            assert!(Instant::now() < deadline, "replica never synced: {info}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Detaches this replica from its primary (`REPLICAOF NO ONE`): it keeps its data, falls
    /// behind, and stays readable.
    pub fn detach(&self) {
        let _: () = redis::cmd("REPLICAOF")
            .arg("NO")
            .arg("ONE")
            .query(&mut self.conn())
            .unwrap();
    }

    /// Attaches this server to `primary` again, and waits until it synced.
    pub fn attach(&self, primary: &Self) {
        let _: () = redis::cmd("REPLICAOF")
            .arg("127.0.0.1")
            .arg(primary.port.to_string())
            .query(&mut self.conn())
            .unwrap();
        self.wait_synced();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
