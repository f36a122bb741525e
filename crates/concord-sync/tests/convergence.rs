//! Every type converges over 500 seeds of faulty networks to the join of all writes (what
//! full-state gossip reaches), serves no session a read it cannot honour, and ships fewer
//! bytes than full-state gossip would.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test: a panic is a test failure with a line number"
)]

mod common;

use common::{Faults, Workload, run};
use concord_clock::LamportTimestamp;
use concord_core::{ReplicaId, codec};
use concord_counter::{GCounter, PnCounter};
use concord_map::{CausalCounter, DwFlag, EwFlag, LwwMap, OrMap};
use concord_register::{LwwRegister, MvRegister};
use concord_set::{LwwElementSet, OrSet};
use concord_sync::Config;

const SEEDS: u64 = 500;
const REPLICAS: usize = 4;
const STEPS: u64 = 150;

/// Runs every seed for `T` and prints what was shipped, against the lower bound (each
/// write's delta once over each link, without any envelope) and against full-state gossip
/// (every state to every peer once per resend period) over the same runs.
fn converges<T: Workload>() {
    converges_with::<T>(Config::default().with_max_log(32));
}

fn converges_with<T: Workload>(config: Config) {
    let (mut bytes, mut lower, mut full, mut served, mut behind) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut kinds = [(0u64, 0u64); 4];
    for seed in 0..SEEDS {
        let world = run::<T>(seed, REPLICAS, STEPS, Faults::DEFAULT, config);
        bytes += world.bytes_sent();
        for r in &world.replicas {
            let st = r.stats();
            for (slot, (m, b)) in
                kinds
                    .iter_mut()
                    .zip([st.deltas, st.acks, st.summaries, st.catch_ups])
            {
                slot.0 += m;
                slot.1 += b;
            }
        }
        lower += world.delta_bytes * (REPLICAS as u64 - 1);
        full += world.full_gossip_bytes;
        served += world.reads.0;
        behind += world.reads.1;
    }
    println!(
        "{:<12} {SEEDS} seeds, 0 divergences; bytes: engine {bytes}, lower bound {lower}, \
         full-state gossip {full}; reads served {served}, refused as behind {behind}",
        <T as codec::WireType>::NAME
    );
    println!(
        "    (messages, bytes): deltas {:?} acks {:?} summaries {:?} catch-ups {:?}",
        kinds[0], kinds[1], kinds[2], kinds[3]
    );
    assert!(served > 0, "no read was ever served");
    assert!(
        behind > 0,
        "no read was ever refused: the sessions were never tested"
    );
}

#[test]
fn g_counter_converges_over_500_seeds() {
    converges::<GCounter>();
}

#[test]
fn pn_counter_converges_over_500_seeds() {
    converges::<PnCounter>();
}

#[test]
fn mv_register_converges_over_500_seeds() {
    converges::<MvRegister<u64>>();
}

#[test]
fn or_set_converges_over_500_seeds() {
    converges::<OrSet<u64>>();
}

#[test]
fn or_map_of_registers_converges_over_500_seeds() {
    converges::<OrMap<u16, MvRegister<u64>>>();
}

#[test]
fn or_map_of_counters_converges_over_500_seeds() {
    converges::<OrMap<u16, CausalCounter>>();
}

#[test]
fn ew_flag_converges_over_500_seeds() {
    converges::<EwFlag>();
}

#[test]
fn dw_flag_converges_over_500_seeds() {
    converges::<DwFlag>();
}

#[test]
fn causal_counter_converges_over_500_seeds() {
    converges::<CausalCounter>();
}

#[test]
fn lww_register_converges_over_500_seeds() {
    converges::<LwwRegister<u64, LamportTimestamp<ReplicaId>>>();
}

#[test]
fn lww_map_converges_over_500_seeds() {
    converges::<LwwMap<String, u32, LamportTimestamp<ReplicaId>>>();
}

#[test]
fn lww_element_set_converges_over_500_seeds() {
    converges::<LwwElementSet<u32, LamportTimestamp<ReplicaId>>>();
}

/// Plain delta shipping, estimated: each write's delta in its own envelope once to every
/// peer, resent as often as the network's drop rate needs, each delivery acknowledged by a
/// small message; no relaying, no joining.
fn plain_delta_shipping(world: &common::World<OrSet<u32>>) -> u64 {
    const ACK: u64 = 16;
    let peers = (REPLICAS - 1) as u64;
    let sends = 1.0 / (1.0 - Faults::DEFAULT.drop);
    let per_link: u64 = world.enveloped_delta_bytes + ACK * world.write_count() as u64;
    (per_link as f64 * peers as f64 * sends) as u64
}

#[test]
fn large_states_ship_far_less_than_full_state() {
    let config = Config::default();
    let (mut bytes, mut lower, mut plain, mut full, mut elements) =
        (0u64, 0u64, 0u64, 0u64, 0usize);
    for seed in 0..20 {
        let world = run::<OrSet<u32>>(seed, REPLICAS, 800, Faults::DEFAULT, config);
        bytes += world.bytes_sent();
        lower += world.delta_bytes * (REPLICAS as u64 - 1);
        plain += plain_delta_shipping(&world);
        full += world.full_gossip_bytes;
        elements += world.reference.len();
    }
    println!(
        "OrSet, large ({} elements on average), 20 seeds: bytes: engine {bytes}, lower bound \
         {lower}, plain delta shipping {plain}, full-state gossip {full}",
        elements / 20
    );
    assert!(
        bytes * 5 <= full,
        "the engine shipped {bytes} bytes, not far below full-state gossip's {full}"
    );
}

/// Without relaying, in the harness's full mesh: the same convergence and session checks, and
/// a frontier that vouches only for what the sender ships.
#[test]
fn or_map_converges_without_relay_over_500_seeds() {
    converges_with::<OrMap<u16, MvRegister<u64>>>(
        Config::default().with_max_log(32).with_relay(false),
    );
}

#[test]
fn lww_map_converges_without_relay_over_500_seeds() {
    converges_with::<LwwMap<String, u32, LamportTimestamp<ReplicaId>>>(
        Config::default().with_max_log(32).with_relay(false),
    );
}

/// In a full mesh, a replica that relays sends each write again to every peer but the one it
/// came from; without relaying each write crosses each link about once. Measured against each
/// run's own lower bound (the runs draw different writes once their traffic differs).
#[test]
fn without_relay_a_full_mesh_ships_less() {
    let ratio = |config: Config| {
        let (mut bytes, mut lower) = (0u64, 0u64);
        for seed in 0..20 {
            let world = run::<OrSet<u32>>(seed, REPLICAS, 800, Faults::DEFAULT, config);
            bytes += world.bytes_sent();
            lower += world.delta_bytes * (REPLICAS as u64 - 1);
        }
        bytes as f64 / lower as f64
    };
    let relayed = ratio(Config::default());
    let direct = ratio(Config::default().with_relay(false));
    println!(
        "OrSet, 20 seeds, {REPLICAS} replicas: bytes against the lower bound, relaying \
         {relayed:.2}x, not relaying {direct:.2}x"
    );
    assert!(
        direct * 1.5 <= relayed,
        "without relay {direct:.2}x the lower bound, with relay {relayed:.2}x"
    );
}
