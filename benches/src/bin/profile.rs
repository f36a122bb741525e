//! Runs one benchmark row's routine for a profiler:
//! `cargo run --release -p concord-benches --bin profile -- <workload> [calls]`; with no
//! workload, lists them. See `concord_benches::profile`.

use std::process::ExitCode;

use concord_benches::profile::WORKLOADS;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        println!("workloads (name: the benchmark row it mirrors):");
        for workload in WORKLOADS {
            println!("  {}: {}", workload.name, workload.row);
        }
        return ExitCode::SUCCESS;
    };
    let Some(workload) = WORKLOADS.iter().find(|w| w.name == name) else {
        eprintln!("no workload named {name:?}; run without arguments for the list");
        return ExitCode::FAILURE;
    };
    let calls = match args.next().map(|s| s.parse::<usize>()) {
        None => 1000,
        Some(Ok(calls)) if calls > 0 => calls,
        Some(_) => {
            eprintln!("calls must be a positive whole number");
            return ExitCode::FAILURE;
        }
    };
    concord_benches::harness::full_size();
    let entries = (workload.run)(calls);
    println!(
        "{}: {calls} calls of {entries} entries (row {})",
        workload.name, workload.row
    );
    ExitCode::SUCCESS
}
