//! Replays the fuzz corpora and every committed crash input through the fuzz targets' own
//! checks (`concord-fuzzing`, whose table `TYPES` lists every target), and runs the decode
//! allocation bound on hostile bytes: random, truncated, bit-flipped, and length prefixes that
//! claim terabytes. See `docs/fuzzing.md`.
//!
//! `CONCORD_WRITE_SEEDS=1 cargo test -p concord-sim --test fuzz_replay` rewrites the seed
//! corpora under `fuzz/corpus/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with a message"
)]

use std::alloc::System;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use cap::Cap;
use concord_fuzzing::{self as fuzzing, Kind, Target, targets};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Counts every allocation of this test process; the decode checks measure with it.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// The corpora are data of the fuzz crate, read at test time.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none if the folder does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// The folders of `fuzz/<kind>/`.
fn folders(kind: &str) -> BTreeSet<String> {
    fs::read_dir(fuzz_dir().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn target(name: &str) -> Target {
    fuzzing::find(name).unwrap()
}

#[test]
fn every_target_has_a_seed_corpus_and_every_folder_a_target() {
    // Held although nothing here is measured: a failure's backtrace allocates megabytes, which
    // a measurement running beside it would refuse, and the process would hang in the panic.
    let _only = fuzzing::exclusive();
    let names: BTreeSet<String> = targets().map(|t| t.name()).collect();
    for name in &names {
        assert!(
            !inputs("corpus", name).is_empty(),
            "fuzz/corpus/{name} is empty; rerun with CONCORD_WRITE_SEEDS=1"
        );
    }
    for kind in ["corpus", "regressions"] {
        let stray: Vec<String> = folders(kind).difference(&names).cloned().collect();
        assert!(
            stray.is_empty(),
            "fuzz/{kind}/ has folders of no target in concord_fuzzing::TYPES: {stray:?}"
        );
    }
}

#[test]
fn corpora_and_regressions_replay() {
    let _only = fuzzing::exclusive();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for t in targets() {
        let name = t.name();
        for path in inputs("corpus", &name)
            .into_iter()
            .chain(inputs("regressions", &name))
        {
            let data = fs::read(&path).unwrap();
            replayed += 1;
            if let Err(report) = t.check(&data, &ALLOCATOR) {
                failures.push(format!("{}: {report}", path.display()));
            }
        }
    }
    eprintln!("replayed {replayed} inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn seeds_pass_their_checks() {
    let _only = fuzzing::exclusive();
    let write = std::env::var_os("CONCORD_WRITE_SEEDS").is_some();
    for t in targets() {
        let name = t.name();
        let seeds = t.seeds();
        assert!(!seeds.is_empty(), "{name}: no seeds");
        for (i, seed) in seeds.iter().enumerate() {
            if let Err(report) = t.check(seed, &ALLOCATOR) {
                panic!("{name} seed {i}: {report}");
            }
            let path = fuzz_dir()
                .join("corpus")
                .join(&name)
                .join(format!("seed-{i:02}"));
            if write {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, seed).unwrap();
            } else {
                // A seed of an older format would still pass (refused cleanly) but would no
                // longer lead the fuzzer into valid messages.
                assert!(
                    fs::read(&path).is_ok_and(|committed| committed == *seed),
                    "{} is not the current seed {i} of {name}; rerun with CONCORD_WRITE_SEEDS=1",
                    path.display()
                );
            }
        }
    }
}

/// Deterministic pseudo-random bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    StdRng::seed_from_u64(seed)
        .random_iter()
        .take(len)
        .collect()
}

/// Length prefixes as bincode's variable-length integers: 2^40, 2^62, u32::MAX, u128::MAX
/// (read as a usize it overflows), and the largest one-byte length; alone, before elements,
/// and nested.
fn huge_claims() -> Vec<Vec<u8>> {
    let mut claims = vec![
        [&[253u8][..], &(1u64 << 40).to_le_bytes()].concat(),
        [&[253u8][..], &(1u64 << 62).to_le_bytes()].concat(),
        [&[252u8][..], &u32::MAX.to_le_bytes()].concat(),
        [&[254u8][..], &u128::MAX.to_le_bytes()].concat(),
        vec![250],
    ];
    // The same claims followed by a few plausible elements, and by a one-byte element and the
    // same claim again: a sequence inside the first element of a sequence, both claiming more
    // than the input holds.
    let more: Vec<Vec<u8>> = claims
        .iter()
        .flat_map(|c| {
            [
                [&c[..], &[1, 1, 2, 1, 3, 1][..]].concat(),
                [&c[..], &[1][..], &c[..]].concat(),
            ]
        })
        .collect();
    claims.extend(more);
    claims
}

/// Every decode target on bytes built to make a decoder allocate: each seed truncated at every
/// length and with single bytes flipped, random payloads behind a valid envelope, and huge
/// length prefixes placed at every offset of every seed. The targets' checks measure each
/// decode against `concord_fuzzing::allocation_bound`; a single allocation above it aborts the test.
#[test]
fn hostile_decodes_stay_within_the_allocation_bound() {
    let _only = fuzzing::exclusive();
    let mut tried = 0usize;
    for t in targets().filter(|t| t.kind == Kind::Decode) {
        let seeds = t.seeds();
        let mut hostile: Vec<Vec<u8>> = Vec::new();
        for (n, seed) in seeds.iter().enumerate() {
            let header = &seed[..8];
            for cut in 0..seed.len() {
                hostile.push(seed[..cut].to_vec());
            }
            for at in 8..seed.len() {
                for claim in huge_claims() {
                    let mut b = seed[..at].to_vec();
                    b.extend_from_slice(&claim);
                    hostile.push(b.clone());
                    b.extend_from_slice(&seed[at..]);
                    hostile.push(b);
                }
                let mut flipped = seed.clone();
                flipped[at] ^= 0x80 | (at as u8);
                hostile.push(flipped);
            }
            for len in [0usize, 1, 7, 16, 64, 300, 4096] {
                let payload = noise(n as u64 * 7919 + len as u64, len);
                hostile.push([header, &payload].concat());
                hostile.push(payload);
            }
        }
        for bytes in &hostile {
            if let Err(report) = t.check(bytes, &ALLOCATOR) {
                panic!("{}: {report}", t.name());
            }
        }
        tried += hostile.len();
    }
    eprintln!("{tried} hostile inputs decoded within the bound");
    assert!(tried > 1000);
}

/// The bound is not so tight that honest states break it: large, valid states decode under it.
#[test]
fn large_honest_states_decode_within_the_bound() {
    use concord_clock::{Causal, DotContext, DotMap, DotSet, VectorClock};
    use concord_core::Dot;
    use concord_core::codec::{self, WireType};
    use concord_counter::{GCounter, PnCounter};
    use concord_map::LwwMap;
    use concord_set::OrSet;

    fn round<T: WireType + PartialEq + std::fmt::Debug>(state: &T) {
        let bytes = codec::encode(state).unwrap();
        let back = fuzzing::decode_counted::<T>(&bytes, &ALLOCATOR)
            .unwrap()
            .unwrap();
        assert_eq!(&back, state);
    }

    let _only = fuzzing::exclusive();
    let mut g = GCounter::<u64>::new();
    let mut pn = PnCounter::<u64>::new();
    let mut vc = VectorClock::<u64>::new();
    let mut ctx = DotContext::<u64>::new();
    let mut elements = Vec::new();
    let mut map = LwwMap::<u64, u64, u64>::new();
    for actor in 1..=40_000u64 {
        g.increment(actor, actor * 3).unwrap();
        pn.decrement(actor, 1).unwrap();
        vc.increment(actor).unwrap();
        ctx.insert(Dot::new(actor, 2 + actor % 5));
        // Element `actor` added by one of 64 replicas, every fifth concurrently by a second one.
        let mut dots = vec![Dot::new(actor % 64, actor / 64 + 1)];
        if actor % 5 == 0 {
            dots.push(Dot::new(100 + actor % 7, actor / 7 + 1));
        }
        elements.push((actor, DotSet::from_sorted(dots).unwrap()));
        if actor % 3 == 0 {
            map.remove(actor, actor);
        } else {
            map.insert(actor, actor * 7, actor);
        }
    }
    round(&g);
    round(&pn);
    round(&vc);
    round(&ctx);
    let store = DotMap::from_sorted(elements).unwrap();
    round(&OrSet::from(Causal::from_store(store, DotContext::new())));
    round(&map);
}

/// Pins how much a tiny input with a huge length prefix makes the decoder allocate: serde's
/// capped preallocation (`concord_fuzzing::SEQUENCE_PREALLOCATION`), not the terabytes it claims, and
/// nothing once the cap is gone. If this starts failing because less is allocated, lower the
/// bound in `crates/concord-fuzzing/src/decode.rs`.
#[test]
fn a_huge_length_prefix_costs_at_most_the_preallocation_cap() {
    use concord_core::codec::{self, WireType};
    use concord_counter::GCounter;

    fn worst<T: WireType + concord_core::Merge + Default>() -> (usize, usize) {
        let header = codec::encode(&T::default()).unwrap()[..8].to_vec();
        huge_claims()
            .into_iter()
            .map(|claim| {
                let bytes = [&header[..], &claim].concat();
                let (decoded, used) = fuzzing::measure_decode::<T>(&bytes, &ALLOCATOR);
                assert!(decoded.is_err());
                (used, bytes.len())
            })
            .max()
            .unwrap()
    }

    let _only = fuzzing::exclusive();
    let (used, len) = worst::<GCounter<u64>>();
    eprintln!("GCounter: {len} bytes claiming 2^40 entries allocated {used} bytes");
    assert!(used <= fuzzing::allocation_bound(len));
    assert!(used <= fuzzing::SEQUENCE_PREALLOCATION + fuzzing::ALLOCATION_SLACK);
}

#[test]
fn run_reports_through_a_panic() {
    static BROKEN: fuzzing::FuzzType = fuzzing::FuzzType {
        name: "broken",
        states: "nothing",
        ops: |_, _| Err("found".to_string()),
        decode: |_, _| Ok(()),
        encodings: Vec::new,
    };
    let _only = fuzzing::exclusive();
    let broken = Target {
        ty: &BROKEN,
        kind: Kind::Ops,
    };
    let caught = std::panic::catch_unwind(|| fuzzing::run(&broken, b"", &ALLOCATOR));
    assert!(caught.is_err());
    fuzzing::run(&target("g_counter_decode"), b"not an encoding", &ALLOCATOR);
}

/// The sync rows beyond their seeds: random histories of two replicas exchanging intact and
/// damaged messages, and random bytes and damaged copies of the seed messages delivered to a
/// replica, all pass the row's checks (no panic, allocations within the bound, a refused
/// message changes nothing, an accepted one leaves a valid state, honest peers converge).
fn sync_row_passes_random_histories_and_damaged_messages(row: &str) {
    let _only = fuzzing::exclusive();
    let (ops, decode) = (
        target(&format!("{row}_ops")),
        target(&format!("{row}_decode")),
    );
    for seed in 0..300u64 {
        let bytes = noise(seed, 16 + (seed as usize * 37) % 2048);
        if let Err(report) = ops.check(&bytes, &ALLOCATOR) {
            panic!("{row}_ops on noise seed {seed}: {report}");
        }
    }
    let messages = decode.seeds();
    assert!(messages.len() >= 2, "{messages:?}");
    for message in &messages {
        decode.check(message, &ALLOCATOR).unwrap();
        for at in 0..message.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut damaged = message.clone();
                damaged[at] ^= mask;
                if let Err(report) = decode.check(&damaged, &ALLOCATOR) {
                    panic!("{row}_decode, byte {at} ^ {mask:#04x}: {report}");
                }
            }
        }
    }
}

#[test]
fn random_histories_and_damaged_messages_pass_the_sync_checks() {
    sync_row_passes_random_histories_and_damaged_messages("sync_replica");
}

#[test]
fn random_histories_and_damaged_messages_pass_the_lww_map_sync_checks() {
    sync_row_passes_random_histories_and_damaged_messages("sync_lww_map");
}
