//! PostgreSQL servers for the tests and the figures example: each a real `postgres` process on
//! a free 127.0.0.1 port, its cluster in a temporary directory, run as an unprivileged user
//! (PostgreSQL refuses to run as root: as root, the programs run through `runuser -u
//! postgres`), stopped when dropped, also when a test fails.
//!
//! The programs (`initdb`, `pg_ctl`, `postgres`, `pg_basebackup`) are looked up in
//! `$CONCORD_PG_BIN`, then in the `PATH`, then in `/usr/lib/postgresql/<version>/bin` (newest
//! first). Without them, [`PgServer::start`] panics with a message naming the Debian package
//! to install (or `scripts/test.sh`, which installs it): a missing server is a failure, never
//! a silent pass.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "test machinery shared by several test binaries: a failed step is a failed test"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The Debian package with the server programs.
const PACKAGE: &str = "postgresql";
/// The programs the tests run.
const PROGRAMS: [&str; 4] = ["initdb", "pg_ctl", "postgres", "pg_basebackup"];
/// The unprivileged user the servers run as when the tests run as root.
const USER: &str = "postgres";

/// The directory holding every program of [`PROGRAMS`], or a panic naming the package.
pub fn bin_dir() -> PathBuf {
    let has_all = |dir: &Path| PROGRAMS.iter().all(|p| dir.join(p).is_file());
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("CONCORD_PG_BIN") {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    candidates.extend(versions.into_iter().map(|(_, dir)| dir));
    if let Some(dir) = candidates.into_iter().find(|dir| has_all(dir)) {
        return dir;
    }
    panic!(
        "the PostgreSQL server programs ({}) are not installed: install the Debian package \
         `{PACKAGE}` (apt-get install -y {PACKAGE}), or run scripts/test.sh, which does; \
         looked in $CONCORD_PG_BIN, $PATH and /usr/lib/postgresql/*/bin",
        PROGRAMS.join(", ")
    );
}

/// Whether this process runs as root (the servers then run as [`USER`]).
fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The uid and gid of [`USER`].
fn user_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").arg(flag).arg(USER).output().unwrap();
        assert!(
            out.status.success(),
            "the tests run as root, and PostgreSQL refuses to: they run the servers as user \
             `{USER}`, which does not exist (the Debian package `{PACKAGE}` creates it; or run \
             the tests as an unprivileged user)"
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

/// A command running `program` of the server's version, as [`USER`] when this is root.
fn command(program: &str) -> Command {
    let path = bin_dir().join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command.arg("-u").arg(USER).arg("--").arg(path);
        command
    } else {
        Command::new(path)
    }
}

/// Runs `command` to its end; a failure panics with its output.
fn run(mut command: Command, what: &str) -> Output {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A port the system says is free now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How a server is set up.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// `fsync` and `synchronous_commit` on, as a production server has them (the figures);
    /// the tests turn them off: they check logic, not the disk, and stay fast.
    pub durable: bool,
    /// Extra `-c name=value` settings.
    pub extra: Vec<(String, String)>,
}

/// A running `postgres` server (a primary, or a streaming standby of one).
#[derive(Debug)]
pub struct PgServer {
    port: u16,
    data: PathBuf,
    running: bool,
    settings: Settings,
    /// Last: removed after the server stopped.
    dir: tempfile::TempDir,
}

impl PgServer {
    /// A new primary with the tests' settings.
    pub fn start() -> Self {
        Self::start_with(Settings::default())
    }

    /// A new primary: `initdb`, then the server on a free port.
    pub fn start_with(settings: Settings) -> Self {
        bin_dir();
        let dir = Self::own_dir();
        let data = dir.path().join("data");
        let mut initdb = command("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
            .arg("--no-sync");
        run(initdb, "initdb");
        let mut server = Self {
            port: 0,
            data,
            running: false,
            settings,
            dir,
        };
        server.launch_on_free_port();
        server
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`), with `extra` settings (such as
    /// `recovery_min_apply_delay`), once it accepts connections.
    pub fn standby_of(primary: &Self, extra: &[(&str, &str)]) -> Self {
        let dir = Self::own_dir();
        let data = dir.path().join("data");
        let mut backup = command("pg_basebackup");
        backup
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-X",
                "stream",
                "-c",
                "fast",
                "-R",
            ])
            .arg("-p")
            .arg(primary.port.to_string())
            .arg("-D")
            .arg(&data)
            .arg("--no-sync");
        run(backup, "pg_basebackup");
        let mut settings = primary.settings.clone();
        settings.extra.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut server = Self {
            port: 0,
            data,
            running: false,
            settings,
            dir,
        };
        server.launch_on_free_port();
        server
    }

    /// A temporary directory the server's user owns.
    fn own_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let (uid, gid) = user_ids();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        dir
    }

    fn launch_on_free_port(&mut self) {
        // Another process may take the free port before the server binds it: try again.
        let mut last = String::new();
        for _ in 0..5 {
            self.port = free_port();
            match self.launch() {
                Ok(()) => return,
                Err(e) => last = e,
            }
        }
        panic!("could not start postgres: {last}");
    }

    /// Starts the server on `self.port` (`pg_ctl start -w`: it returns once the server
    /// accepts connections).
    fn launch(&mut self) -> Result<(), String> {
        let off = if self.settings.durable { "on" } else { "off" };
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}' \
             -c fsync={off} -c synchronous_commit={off} -c full_page_writes={off} \
             -c max_connections=50 -c shared_buffers=32MB",
            self.port,
            self.dir.path().display()
        );
        for (name, value) in &self.settings.extra {
            options.push_str(&format!(" -c {name}={value}"));
        }
        let mut pg_ctl = command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .arg("-o")
            .arg(options)
            .args(["-w", "-t", "30", "start"]);
        let out = pg_ctl
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            return Err(format!(
                "pg_ctl start on port {} failed: {}\n{log}",
                self.port,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        self.running = true;
        Ok(())
    }

    /// Its port.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The connection parameters of database `dbname`.
    pub fn params(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname} connect_timeout=10",
            self.port
        )
    }

    /// A connection to database `postgres`.
    pub fn client(&self) -> postgres::Client {
        self.client_to("postgres")
    }

    /// A connection to database `dbname`.
    pub fn client_to(&self, dbname: &str) -> postgres::Client {
        postgres::Client::connect(&self.params(dbname), postgres::NoTls).unwrap()
    }

    /// Creates database `name`.
    pub fn create_database(&self, name: &str) {
        self.client()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    }

    /// Stops the server (`pg_ctl stop -m fast`).
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        let mut pg_ctl = command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "30", "stop"]);
        let _ = pg_ctl.stdin(Stdio::null()).output();
        self.running = false;
    }

    /// Starts it again on the same port, with the same data.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.launch() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("restarting: {e}"),
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}
