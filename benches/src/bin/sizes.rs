//! Prints the encoded size of every benchmarked state, concord against crdts with bincode 2,
//! as a Markdown table: `cargo run --release -p concord-benches --bin sizes`.

fn main() {
    print!(
        "{}",
        concord_benches::sizes::table(&concord_benches::sizes::rows())
    );
}
