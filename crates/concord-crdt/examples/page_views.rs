//! Page views counted by three replicas with a `GCounter`.
//!
//! Each replica counts the views it serves under its own id and ships small deltas to the
//! others over a network that loses one delta and delivers another twice, out of order. The
//! counts stay exact: duplicates are absorbed, and the lost delta is repaired by the next full
//! state (anti-entropy).
//!
//! Run with `cargo run -p concord-crdt --example page_views`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "an example with three fixed replicas: a failed step should stop it loudly"
)]

use concord_crdt::counter::GCounter;
use concord_crdt::{Merge, ReplicaId};

/// A delta on its way from one replica to another.
struct Message {
    to: usize,
    delta: GCounter,
}

fn main() {
    let names = ["eu-west", "us-east", "ap-south"];
    let ids = [1, 2, 3].map(ReplicaId::from_u128);
    let mut replicas = [GCounter::new(), GCounter::new(), GCounter::new()];

    // Views served locally, per replica, in three bursts.
    let bursts: [[u64; 3]; 3] = [[120, 75, 42], [8, 0, 13], [30, 22, 1]];
    let mut network = Vec::new();
    for burst in bursts {
        for (from, views) in burst.into_iter().enumerate() {
            if views == 0 {
                continue;
            }
            let delta = replicas[from].increment(ids[from], views).unwrap();
            // The delta carries the replica's new total, not the amount added.
            println!(
                "{:>8} served {views:>3} views; ships a delta of {} entry: its total {}",
                names[from],
                delta.len(),
                delta.get(&ids[from])
            );
            for to in (0..3).filter(|&to| to != from) {
                network.push(Message {
                    to,
                    delta: delta.clone(),
                });
            }
        }
    }
    let expected: u128 = bursts.iter().flatten().map(|&v| u128::from(v)).sum();

    // The network loses two deltas: an early one, which a later delta from the same replica
    // repairs (it carries the newer total), and the very last one, which nothing repairs
    // until a full state arrives. It delivers one message twice, and all in reverse order.
    let lost_last = network.pop().unwrap();
    let lost_early = network.remove(2);
    let duplicate = Message {
        to: network[4].to,
        delta: network[4].delta.clone(),
    };
    network.push(duplicate);
    println!(
        "\nnetwork: {} messages delivered in reverse order, one twice; lost: a delta for {} and \
         the last delta, for {}",
        network.len(),
        names[lost_early.to],
        names[lost_last.to]
    );
    for message in network.iter().rev() {
        replicas[message.to].merge(&message.delta);
    }
    for (name, replica) in names.iter().zip(&replicas) {
        println!("{name:>8} reads {}", replica.value());
    }
    for (to, replica) in replicas.iter().enumerate() {
        if to == lost_last.to {
            assert!(replica.value() < expected, "the last lost delta is missing");
        } else {
            assert_eq!(replica.value(), expected);
        }
    }

    // Anti-entropy: each replica sends its full state to the next one, once round the ring.
    // Merging a full state is the same join as merging a delta.
    for from in 0..3 {
        let state = replicas[from].clone();
        replicas[(from + 1) % 3].merge(&state);
        let state = replicas[(from + 1) % 3].clone();
        replicas[(from + 2) % 3].merge(&state);
    }
    println!("\nafter one round of full-state gossip:");
    for (name, replica) in names.iter().zip(&replicas) {
        let per_replica: Vec<String> = ids
            .iter()
            .zip(names)
            .map(|(id, n)| format!("{n}={}", replica.get(id)))
            .collect();
        println!(
            "{name:>8} reads {} ({})",
            replica.value(),
            per_replica.join(", ")
        );
    }
    assert!(replicas.iter().all(|r| r.value() == expected));
    assert!(replicas.iter().all(|r| *r == replicas[0]));
    println!("\nall three replicas agree on {expected} views, none double counted");
}
