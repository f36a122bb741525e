//! The script of a run, drawn from the seed before any mode runs, so every mode replays the
//! same writes, reads, client moves and faults.

use rand::{RngExt, SeedableRng};
// ChaCha8 with rand_core's `seed_from_u64`: a stream fixed by its specification, so a seed
// gives the same script on every platform and with every release of the generator's crate.
use rand_chacha::ChaCha8Rng;

use crate::scenario::Scenario;

/// What a client write does; each workload maps it onto its type's mutators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// Put `value` (an insert, an increment, an enable, by type).
    Put(u32),
    /// Delete (a remove, a reset, a disable, by type).
    Delete,
}

/// One client write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    /// The key, an index into the run's key names.
    pub(crate) key: u32,
    pub(crate) kind: OpKind,
}

/// One tick of the operation phase: a write and a read, by clients.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tick {
    pub(crate) writer: u16,
    /// When set, the writer moves to this home replica first.
    pub(crate) writer_moves: Option<u8>,
    pub(crate) write: Op,
    pub(crate) reader: u16,
    pub(crate) reader_moves: Option<u8>,
    pub(crate) read_key: u32,
}

/// A fault at a tick.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    /// Cuts the network: replicas talk only within their group.
    Partition(Vec<u8>),
    Heal,
    Crash(usize),
    Restart(usize),
}

/// The run's script.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    pub(crate) ticks: Vec<Tick>,
    /// (tick, fault), sorted by tick.
    pub(crate) faults: Vec<(u64, Fault)>,
    /// The key names: `key-0000`, `key-0001`, ...
    pub(crate) keys: Vec<String>,
}

/// Zipf-like draws of key indices: key `k` with weight `1 / (k + 1)^s`.
struct Popularity {
    cumulative: Vec<f64>,
}

impl Popularity {
    fn new(keys: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..keys)
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect();
        Popularity { cumulative }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> u32 {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let u = rng.random::<f64>() * total;
        let k = self.cumulative.partition_point(|&c| c <= u);
        k.min(self.cumulative.len().saturating_sub(1)) as u32
    }
}

impl Script {
    /// Draws the script of `sc`.
    pub(crate) fn new(sc: &Scenario) -> Self {
        let n = sc.replicas;
        let mut rng = ChaCha8Rng::seed_from_u64(sc.seed ^ 0x5C81_97A0_0000_0001);
        let popularity = Popularity::new(sc.keys, sc.zipf);
        let moves = |rng: &mut ChaCha8Rng| {
            rng.random_bool(sc.moves)
                .then(|| rng.random_range(0..n) as u8)
        };
        let ticks = (0..sc.ops)
            .map(|_| {
                let writer = rng.random_range(0..sc.clients) as u16;
                let writer_moves = moves(&mut rng);
                let key = popularity.draw(&mut rng);
                let kind = if rng.random_bool(sc.deletes) {
                    OpKind::Delete
                } else {
                    OpKind::Put(rng.random_range(0..1_000_000))
                };
                let reader = rng.random_range(0..sc.clients) as u16;
                let reader_moves = moves(&mut rng);
                let read_key = popularity.draw(&mut rng);
                Tick {
                    writer,
                    writer_moves,
                    write: Op { key, kind },
                    reader,
                    reader_moves,
                    read_key,
                }
            })
            .collect();
        let span = sc.ops.max(1) as u64;
        let mut faults = Vec::new();
        if sc.partitions > 0 {
            let slot = span / sc.partitions as u64;
            for p in 0..sc.partitions as u64 {
                if slot < 4 {
                    break;
                }
                let start = p * slot + rng.random_range(0..slot / 2);
                let end = start + rng.random_range(slot / 8..slot / 2).max(1);
                let groups = rng.random_range(2..=3u8);
                let mut assign: Vec<u8> = (0..n).map(|_| rng.random_range(0..groups)).collect();
                // Make sure the cut separates someone.
                if assign.iter().all(|g| Some(g) == assign.first())
                    && let Some(last) = assign.last_mut()
                {
                    *last = (*last + 1) % groups;
                }
                faults.push((start, Fault::Partition(assign)));
                faults.push((end, Fault::Heal));
            }
        }
        for _ in 0..sc.restarts {
            let at = rng.random_range(0..span);
            let down_for = rng.random_range(1..=(span / 20).max(2));
            let who = rng.random_range(0..n);
            faults.push((at, Fault::Crash(who)));
            faults.push((at + down_for, Fault::Restart(who)));
        }
        faults.sort_by_key(|(t, _)| *t);
        let width = sc.keys.saturating_sub(1).to_string().len().max(4);
        let keys = (0..sc.keys).map(|k| format!("key-{k:0width$}")).collect();
        Script {
            ticks,
            faults,
            keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popular_keys_are_drawn_more_often() {
        let popularity = Popularity::new(1_000, 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut counts = vec![0u32; 1_000];
        for _ in 0..100_000 {
            counts[popularity.draw(&mut rng) as usize] += 1;
        }
        // Weight 1 against 1/1000 of the total 7.49: about 13,350 and 13 draws.
        assert!((12_500..14_200).contains(&counts[0]), "{}", counts[0]);
        assert!(counts[999] < 60, "{}", counts[999]);
        assert!(counts[0] * 10 > counts[1] * 18);
        assert!(counts.iter().filter(|&&c| c > 0).count() > 900);
    }

    #[test]
    fn uniform_when_the_exponent_is_zero() {
        let popularity = Popularity::new(10, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            counts[popularity.draw(&mut rng) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (850..1150).contains(c)), "{counts:?}");
    }

    #[test]
    fn key_names_are_zero_padded_and_sorted() {
        let sc = Scenario {
            keys: 12_000,
            ops: 10,
            ..Scenario::default()
        };
        let script = Script::new(&sc);
        assert_eq!(script.keys[7], "key-00007");
        assert!(script.keys.windows(2).all(|w| w[0] < w[1]));
    }
}
