//! Runs the `gossip_tcp` example's launcher: three processes gossiping over TCP on 127.0.0.1
//! must end with equal values, equal to the totals their script implies.
//!
//! `cargo test` builds the examples before it runs any test, so the example's binary sits in
//! the `examples` directory beside this test's own directory (`deps`).

use std::path::PathBuf;
use std::process::Command;

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

#[test]
fn three_processes_converge_over_tcp() {
    let binary = example_binary().unwrap();
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test` for the whole package (which builds the examples), \
         or `cargo build -p concord-crdt --example gossip_tcp` first",
        binary.display()
    );
    let built = binary.metadata().and_then(|m| m.modified()).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/gossip_tcp.rs");
    let edited = std::fs::metadata(source)
        .and_then(|m| m.modified())
        .unwrap();
    assert!(
        built >= edited,
        "{} is older than its source: rebuild it (`cargo test` for the whole package does)",
        binary.display()
    );
    let output = Command::new(&binary)
        .args(["--launch", "--duration-ms", "3000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "gossip_tcp failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let finals: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FINAL ")).collect();
    assert_eq!(finals.len(), 3, "{stdout}");
    assert!(finals.iter().all(|l| l.contains(" views=120 ")), "{stdout}");
    assert!(stdout.contains("all 3 nodes agree"), "{stdout}");
}
