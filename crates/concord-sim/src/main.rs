//! `concord-sim`: replicas of a key-value store, and of every concord type, converging over a
//! lossy, partitioned network with crashes, in several sync modes on the same script.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use concord_sim::{Mode, Outcome, Report, SCHEMA_VERSION, Scenario, SimType, TYPES, table};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Every mode the type runs in, on the same script.
    All,
    /// The first source article's per-key version scheme (key-value stores only).
    Seed,
    /// Full-state anti-entropy.
    Full,
    /// Plain delta shipping.
    Delta,
    /// The concord-sync engine.
    Sync,
}

fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability in [0, 1)"))
    }
}

fn type_names() -> String {
    TYPES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

fn type_name(s: &str) -> Result<String, String> {
    if s == "all" || s == "kv" || concord_sim::find(s).is_some() {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "unknown type `{s}`; expected kv, all or one of: {}",
            type_names()
        ))
    }
}

/// Replicas of a key-value store converging over a lossy, partitioned network with crashes.
///
/// The default run is the source articles' system: 5 replicas of a key-value store with
/// sessions, under drops, duplicates, partitions and crashes, in four modes on the same
/// script: the first article's own per-key version scheme (seed), full-state anti-entropy,
/// plain delta shipping, and the concord-sync engine. After the writes the partitions heal and
/// the replicas gossip until each holds every write. Exits non-zero when a concord mode
/// diverges, or breaks a session guarantee while sessions are honoured.
#[derive(Debug, Parser)]
#[command(name = "concord-sim", version, after_help = after_help())]
struct Args {
    /// What to simulate: kv (the key-value stores), all (every type), or one type's name.
    #[arg(long = "type", default_value = "kv", value_parser = type_name)]
    kind: String,
    /// Sync mode.
    #[arg(long, value_enum, default_value_t = ModeArg::All)]
    mode: ModeArg,
    /// Number of replicas (2 to 64).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=64))]
    replicas: u16,
    /// Client writes (each tick also has one client read).
    #[arg(long, default_value_t = 10_000)]
    ops: usize,
    /// Keys, drawn with Zipf-like popularity.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    keys: u32,
    /// Exponent of the key popularity (0 = uniform).
    #[arg(long, default_value_t = 1.0)]
    zipf: f64,
    /// Probability that a write is a delete.
    #[arg(long, default_value_t = 0.05, value_parser = probability)]
    deletes: f64,
    /// Probability that a message is lost.
    #[arg(long, default_value_t = 0.10, value_parser = probability)]
    drop: f64,
    /// Probability that a message is delivered twice.
    #[arg(long, default_value_t = 0.05, value_parser = probability)]
    dup: f64,
    /// Partition episodes during the writes.
    #[arg(long, default_value_t = 3)]
    partitions: usize,
    /// Crashes; each loses what its replica had not committed and restarts later.
    #[arg(long, default_value_t = 5)]
    restarts: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Clients, each with a home replica.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    clients: u16,
    /// Probability that a client moves to another home replica before an operation.
    #[arg(long, default_value_t = 0.03, value_parser = probability)]
    moves: f64,
    /// Ticks a read waits for a replica that can serve it before giving up.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    read_timeout: u64,
    /// Serve reads at the home replica whatever the clients' tokens, and report the session
    /// violations observed.
    #[arg(long)]
    no_sessions: bool,
    /// Print one JSON object with every report instead of tables.
    #[arg(long)]
    json: bool,
    /// Write one CSV row per gossip round of the first type's runs (writes not yet at every
    /// replica, bytes so far and reads waiting, per mode).
    #[arg(long, value_name = "FILE.csv")]
    trace: Option<PathBuf>,
    /// Draw the first type's runs into an SVG: writes not yet at every replica and bytes
    /// shipped per gossip round, per mode.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

fn after_help() -> String {
    format!("Types: {}.", type_names())
}

impl Args {
    fn scenario(&self) -> Scenario {
        Scenario {
            replicas: usize::from(self.replicas),
            ops: self.ops,
            keys: self.keys as usize,
            zipf: self.zipf,
            deletes: self.deletes,
            drop: self.drop,
            dup: self.dup,
            partitions: self.partitions,
            restarts: self.restarts,
            seed: self.seed,
            clients: usize::from(self.clients),
            moves: self.moves,
            sessions: !self.no_sessions,
            read_timeout: self.read_timeout,
            ..Scenario::default()
        }
    }

    fn types(&self) -> Vec<&'static SimType> {
        match self.kind.as_str() {
            "kv" => concord_sim::default_types(),
            "all" => TYPES.iter().collect(),
            name => concord_sim::find(name).into_iter().collect(),
        }
    }

    fn modes(&self, t: &SimType) -> Vec<Mode> {
        let only = match self.mode {
            ModeArg::All => return t.modes().to_vec(),
            ModeArg::Seed => Mode::Seed,
            ModeArg::Full => Mode::Full,
            ModeArg::Delta => Mode::Delta,
            ModeArg::Sync => Mode::Sync,
        };
        vec![only]
    }
}

fn run_one(t: &SimType, sc: &Scenario, mode: Mode, show_progress: bool) -> Outcome {
    let bar = show_progress.then(|| {
        let bar = ProgressBar::new(sc.ops as u64);
        if let Ok(style) = ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} writes") {
            bar.set_style(style);
        }
        bar.set_message(format!("{} {mode}", t.name));
        bar
    });
    let outcome = t.run(sc, mode, &mut |done| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outcome
}

/// The lines under a key-value table that compare the modes.
fn comparison(reports: &[Report]) -> String {
    let by = |m: Mode| reports.iter().find(|r| r.mode == m);
    let mut out = String::new();
    if let Some(seed) = by(Mode::Seed) {
        out.push_str(&format!(
            "  the article's scheme: {} keys differ between replicas after the heal; ",
            seed.keys_differing
        ));
        let concord: Vec<&Report> = reports.iter().filter(|r| r.mode.must_converge()).collect();
        let ok = concord.iter().filter(|r| r.converged_ok()).count();
        out.push_str(&format!(
            "{ok} of {} concord modes converged\n",
            concord.len()
        ));
    }
    if let (Some(sync), Some(full), Some(delta)) = (by(Mode::Sync), by(Mode::Full), by(Mode::Delta))
    {
        let share = |other: &Report| {
            if other.bytes.total() == 0 {
                0.0
            } else {
                sync.bytes.total() as f64 / other.bytes.total() as f64
            }
        };
        let bound = if sync.bytes.lower_bound == 0 {
            0.0
        } else {
            sync.bytes.total() as f64 / sync.bytes.lower_bound as f64
        };
        out.push_str(&format!(
            "  concord-sync shipped {:.3}x the bytes of full state, {:.3}x those of plain deltas, \
             {:.2}x the lower bound; {:.2}% of its reads served\n",
            share(full),
            share(delta),
            bound,
            100.0 * sync.served_share()
        ));
    }
    out
}

fn main() -> ExitCode {
    let args = Args::parse();
    let scenario = args.scenario();
    if let Err(e) = scenario.validate() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let types = args.types();
    let show_progress = !args.json && std::io::stderr().is_terminal() && scenario.ops >= 20_000;
    let started = Instant::now();
    let mut all: Vec<Report> = Vec::new();
    let mut first_traces = None;
    for t in &types {
        let outcomes: Vec<Outcome> = args
            .modes(t)
            .into_iter()
            .map(|mode| run_one(t, &scenario, mode, show_progress))
            .collect();
        let reports: Vec<Report> = outcomes.iter().map(|o| o.report.clone()).collect();
        if !args.json {
            println!("{}", table(&format!("{} ({})", t.title, t.name), &reports));
            print!("{}", comparison(&reports));
            if t.key_value {
                println!();
            }
        }
        if first_traces.is_none() {
            first_traces = Some((
                t.title,
                outcomes.into_iter().map(|o| o.trace).collect::<Vec<_>>(),
            ));
        }
        all.extend(reports);
    }
    let elapsed = started.elapsed();
    let passed = all.iter().all(Report::passed);
    if let Some((title, traces)) = &first_traces {
        if let Some(path) = &args.trace {
            let written = std::fs::File::create(path)
                .and_then(|f| concord_sim::write_csv(std::io::BufWriter::new(f), traces));
            if let Err(e) = written {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        if let Some(path) = &args.plot
            && let Err(e) = concord_sim::plot_svg(path, title, traces)
        {
            eprintln!("error: cannot draw {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if args.json {
        let out = serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "scenario": scenario,
            "reports": all,
            "passed": passed,
        });
        println!("{out}");
    } else {
        let writes: u64 = all.iter().map(|r| r.writes.attempted).sum();
        println!(
            "{} runs, {} writes in {:.2} s ({:.0} writes/s); {}",
            all.len(),
            writes,
            elapsed.as_secs_f64(),
            writes as f64 / elapsed.as_secs_f64().max(1e-9),
            if passed {
                "every concord mode converged"
            } else {
                "FAILED"
            }
        );
        if !scenario.sessions {
            let v: u64 = all
                .iter()
                .filter(|r| r.mode.must_converge())
                .map(Report::session_violations)
                .sum();
            println!("sessions off: {v} session violations observed in the concord modes");
        }
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
