//! `fuzz/` builds exactly the targets of [`concord_fuzzing::TYPES`]: one `[[bin]]` in
//! `fuzz/Cargo.toml` and one file in `fuzz/fuzz_targets/` per target, no more, no fewer. Cargo
//! cannot generate them, so this test says which one is missing or left over.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a panic is a test failure with a message"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What every file of `fuzz/fuzz_targets/` holds: the binary runs the target of its own name.
const TARGET_FILE: &str = "#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concord_fuzz::run(env!(\"CARGO_BIN_NAME\"), data));
";

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn table() -> BTreeSet<String> {
    concord_fuzzing::targets().map(|t| t.name()).collect()
}

/// The `[[bin]]` section `fuzz/Cargo.toml` needs for `name`.
fn bin_section(name: &str) -> String {
    format!(
        "[[bin]]\nname = \"{name}\"\npath = \"fuzz_targets/{name}.rs\"\ntest = false\n\
         doc = false\nbench = false\n"
    )
}

#[test]
fn every_target_has_a_bin_section_and_every_bin_a_target() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    // Every `[[bin]]` header starts a line; the sections are the manifest's last tables.
    let sections: Vec<&str> = manifest.split("\n[[bin]]").skip(1).collect();
    let mut bins = BTreeSet::new();
    for section in &sections {
        let name = section
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("a [[bin]] of fuzz/Cargo.toml has no name: {section}"));
        let whole = format!("[[bin]]{section}");
        assert!(
            whole.trim_end() == bin_section(name).trim_end(),
            "fuzz/Cargo.toml: the [[bin]] of {name} should read\n\n{}",
            bin_section(name)
        );
        assert!(
            bins.insert(name.to_owned()),
            "fuzz/Cargo.toml: {name} twice"
        );
    }
    let table = table();
    let missing: Vec<String> = table
        .difference(&bins)
        .map(|name| bin_section(name))
        .collect();
    assert!(
        missing.is_empty(),
        "fuzz/Cargo.toml lacks these sections:\n\n{}",
        missing.join("\n")
    );
    let extra: Vec<&String> = bins.difference(&table).collect();
    assert!(
        extra.is_empty(),
        "fuzz/Cargo.toml builds targets that concord_fuzzing::TYPES does not list: {extra:?}"
    );
}

#[test]
fn every_target_has_a_file_and_every_file_a_target() {
    let mut files = BTreeSet::new();
    for entry in fs::read_dir(fuzz_dir().join("fuzz_targets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .strip_suffix(".rs")
            .unwrap_or_else(|| panic!("{}: not a target", path.display()))
            .to_owned();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            TARGET_FILE,
            "{} should read exactly the same as every other target",
            path.display()
        );
        files.insert(name);
    }
    let table = table();
    let missing: Vec<&String> = table.difference(&files).collect();
    assert!(
        missing.is_empty(),
        "fuzz/fuzz_targets/ lacks {missing:?}; each holds\n\n{TARGET_FILE}"
    );
    let extra: Vec<&String> = files.difference(&table).collect();
    assert!(
        extra.is_empty(),
        "fuzz/fuzz_targets/ has targets that concord_fuzzing::TYPES does not list: {extra:?}"
    );
}

#[test]
fn names_are_unique_and_found() {
    let all: Vec<String> = concord_fuzzing::targets().map(|t| t.name()).collect();
    assert_eq!(all.len(), table().len(), "two rows share a name: {all:?}");
    for name in &all {
        assert_eq!(concord_fuzzing::find(name).unwrap().name(), *name);
    }
    assert!(concord_fuzzing::find("g_counter").is_none());
    assert!(concord_fuzzing::find("g_counter_ops_").is_none());
    assert!(concord_fuzzing::find("counter_ops").is_none());
}
