//! `concord-sim`: runs every concord type through a lossy, partitioned network with crashes,
//! in full-state and delta mode, and prints a table per type.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use concord_sim::{Mode, Report, Scenario, TYPES, table};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Full-state anti-entropy and delta shipping, on the same script.
    Both,
    /// Full-state anti-entropy only.
    Full,
    /// Delta shipping only.
    Delta,
}

fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability in [0, 1)"))
    }
}

fn type_name(s: &str) -> Result<String, String> {
    if s == "all" || concord_sim::find(s).is_some() {
        Ok(s.to_owned())
    } else {
        let names: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
        Err(format!(
            "unknown type `{s}`; expected all or one of: {}",
            names.join(", ")
        ))
    }
}

/// Replicas of every concord CRDT converging over a lossy, partitioned network.
///
/// Each type runs the same script (operations, clients, partitions, crashes) in full-state
/// and in delta mode; after the operations the partitions heal, replicas gossip until they
/// agree, then exchange everything, and the run checks every replica equals the join of all
/// states and reads the oracle's value. Exits non-zero on a divergence, or on a session
/// violation while sessions are honoured.
#[derive(Debug, Parser)]
#[command(name = "concord-sim", version)]
struct Args {
    /// Type to simulate: all, or one of the names in the tables.
    #[arg(long = "type", default_value = "all", value_parser = type_name)]
    kind: String,
    /// Number of replicas (2 to 64).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=64))]
    replicas: u16,
    /// Client writes (each tick also has one client read).
    #[arg(long, default_value_t = 10_000)]
    ops: usize,
    /// Probability that a message is lost.
    #[arg(long, default_value_t = 0.10, value_parser = probability)]
    drop: f64,
    /// Probability that a message is delivered twice.
    #[arg(long, default_value_t = 0.05, value_parser = probability)]
    dup: f64,
    /// Partition episodes during the operations.
    #[arg(long, default_value_t = 3)]
    partitions: usize,
    /// Crashes; each replica restarts later from its encoded bytes.
    #[arg(long, default_value_t = 5)]
    restarts: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Clients reading and writing through random replicas.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    clients: u16,
    /// Sync mode.
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    mode: ModeArg,
    /// Serve reads from any replica, ignoring the clients' causal tokens, and report the
    /// session violations observed.
    #[arg(long)]
    no_sessions: bool,
    /// Print one JSON object with every report instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let scenario = Scenario {
        replicas: usize::from(args.replicas),
        ops: args.ops,
        drop: args.drop,
        dup: args.dup,
        partitions: args.partitions,
        restarts: args.restarts,
        seed: args.seed,
        clients: usize::from(args.clients),
        sessions: !args.no_sessions,
        ..Scenario::default()
    };
    if let Err(e) = scenario.validate() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let modes: &[Mode] = match args.mode {
        ModeArg::Both => &Mode::BOTH,
        ModeArg::Full => &[Mode::Full],
        ModeArg::Delta => &[Mode::Delta],
    };
    let types: Vec<_> = TYPES
        .iter()
        .filter(|t| args.kind == "all" || t.name == args.kind)
        .collect();
    let show_progress = !args.json && std::io::stderr().is_terminal() && scenario.ops >= 20_000;
    let started = Instant::now();
    let mut all: Vec<Report> = Vec::new();
    for t in &types {
        let mut reports = Vec::new();
        for &mode in modes {
            let bar = show_progress.then(|| {
                let bar = ProgressBar::new(scenario.ops as u64);
                if let Ok(style) =
                    ProgressStyle::with_template("{msg:>20} [{bar:40}] {pos}/{len} ops")
                {
                    bar.set_style(style);
                }
                bar.set_message(format!("{} {mode}", t.name));
                bar
            });
            let report = (t.run)(&scenario, mode, &mut |done| {
                if let Some(bar) = &bar {
                    bar.set_position(done);
                }
            });
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            reports.push(report);
        }
        if !args.json {
            println!("{}", table(&format!("{} ({})", t.title, t.name), &reports));
        }
        all.extend(reports);
    }
    let elapsed = started.elapsed();
    let passed = all.iter().all(Report::passed);
    if args.json {
        let out = serde_json::json!({ "scenario": scenario, "reports": all, "passed": passed });
        println!("{out}");
    } else {
        let ops: u64 = all.iter().map(|r| r.operations).sum();
        println!(
            "{} runs, {} operations in {:.2} s ({:.0} operations/s); {}",
            all.len(),
            ops,
            elapsed.as_secs_f64(),
            ops as f64 / elapsed.as_secs_f64().max(1e-9),
            if passed { "all converged" } else { "FAILED" }
        );
        if !scenario.sessions {
            let v: u64 = all.iter().map(Report::session_violations).sum();
            println!("sessions off: {v} session violations observed");
        }
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
