//! Actor-keyed maps: vector clocks, grow-only and positive-negative counters.

use concord_clock::VectorClock;
use concord_core::lattice::{ActorMap, Counts};
use concord_core::{Actor, Merge};
use concord_counter::{GCounter, PnCounter};
use crdts::{CmRDT, CvRDT};
use rand::RngExt;
use rand::rngs::StdRng;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Throughput};

use crate::harness::{ActorKind, FromBits, bench_batched, pool_size, rng};

/// Counters are drawn uniformly from `1..=COUNTER_MAX`: a replica that has made up to a million
/// events or increments. Both libraries encode the same values.
pub const COUNTER_MAX: u64 = 1_000_000;

/// The merge sizes of the clock and counter groups (entries per side).
pub const SIZES: [usize; 4] = [8, 64, 1024, 16384];

/// How the actors of the two sides relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// Both sides know the same actors; on each, a random half of the entries is the larger.
    Same,
    /// No actor in common: the merge is a union.
    Disjoint,
}

impl Overlap {
    /// Both cases, in report order.
    pub const ALL: [Self; 2] = [Self::Same, Self::Disjoint];

    /// The name used in benchmark ids and tables.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Same => "same",
            Self::Disjoint => "disjoint",
        }
    }
}

/// A per-actor value the builders can draw: `u64` (clocks, grow-only counters) or `[u64; 2]`
/// (increments and decrements of a positive-negative counter).
pub trait Value: Counts + Ord {
    /// A fresh non-zero value.
    fn draw(rng: &mut StdRng) -> Self;
    /// A value above `self`: the same entry on a replica that has seen more.
    fn bump(self, rng: &mut StdRng) -> Self;
}

impl Value for u64 {
    fn draw(rng: &mut StdRng) -> Self {
        rng.random_range(1..=COUNTER_MAX)
    }
    fn bump(self, rng: &mut StdRng) -> Self {
        self + rng.random_range(1..=1000)
    }
}

impl Value for [u64; 2] {
    fn draw(rng: &mut StdRng) -> Self {
        [u64::draw(rng), u64::draw(rng)]
    }
    fn bump(self, rng: &mut StdRng) -> Self {
        let [p, n] = self;
        // Either or both halves grow, so half the entries of a side are not uniformly larger.
        match rng.random_range(0..3) {
            0 => [p.bump(rng), n],
            1 => [p, n.bump(rng)],
            _ => [p.bump(rng), n.bump(rng)],
        }
    }
}

/// One merge input: two sorted entry lists and their join, computed by a plain model.
#[derive(Clone, Debug)]
pub struct MapCase<V> {
    /// The receiving side.
    pub a: Vec<(u128, V)>,
    /// The incoming side.
    pub b: Vec<(u128, V)>,
    /// The expected join of `a` and `b`, sorted by actor.
    pub expected: Vec<(u128, V)>,
}

/// Draws one case of `n` entries per side.
#[must_use]
pub fn map_case<V: Value>(
    rng: &mut StdRng,
    kind: ActorKind,
    overlap: Overlap,
    n: usize,
) -> MapCase<V> {
    match overlap {
        Overlap::Same => {
            let mut actors = kind.draw(rng, n);
            actors.sort_unstable();
            let (mut a, mut b, mut expected) = (vec![], vec![], vec![]);
            for actor in actors {
                let low = V::draw(rng);
                let high = low.bump(rng);
                let (x, y) = if rng.random_bool(0.5) {
                    (high, low)
                } else {
                    (low, high)
                };
                a.push((actor, x));
                b.push((actor, y));
                expected.push((actor, x.join(y)));
            }
            MapCase { a, b, expected }
        }
        Overlap::Disjoint => {
            let actors = kind.draw(rng, 2 * n);
            let (mut a, mut b) = (vec![], vec![]);
            // `draw` returns the ids in random order: the first half goes left.
            for (i, actor) in actors.into_iter().enumerate() {
                let side = if i < n { &mut a } else { &mut b };
                side.push((actor, V::draw(rng)));
            }
            a.sort_unstable();
            b.sort_unstable();
            let mut expected = [a.as_slice(), b.as_slice()].concat();
            expected.sort_unstable();
            MapCase { a, b, expected }
        }
    }
}

/// A pool of distinct cases for one workload, seeded by the workload's parameters.
#[must_use]
pub fn map_cases<V: Value>(
    tag: u64,
    kind: ActorKind,
    overlap: Overlap,
    n: usize,
) -> Vec<MapCase<V>> {
    let tag = tag ^ ((n as u64) << 8) ^ ((kind as u64) << 4) ^ overlap as u64;
    let mut rng = rng(tag);
    (0..pool_size(n))
        .map(|_| map_case(&mut rng, kind, overlap, n))
        .collect()
}

/// The concord actor map holding `entries`.
#[must_use]
pub fn actor_map<A: Actor + FromBits, V: Counts>(entries: &[(u128, V)]) -> ActorMap<A, V> {
    let (actors, values) = entries.iter().map(|&(a, v)| (A::from_bits(a), v)).unzip();
    ActorMap::from_parts(actors, values).expect("builders emit sorted, unique, non-zero entries")
}

/// The entries of a concord map, as bits, for checking.
fn entries_of<A: Actor + Into<Bits>, V: Counts>(map: &ActorMap<A, V>) -> Vec<(u128, V)> {
    map.iter().map(|(a, v)| ((*a).into().0, v)).collect()
}

/// The bits of an actor, to compare merged states with the model.
#[derive(Clone, Copy, Debug)]
pub struct Bits(pub u128);

impl From<concord_core::ReplicaId> for Bits {
    fn from(id: concord_core::ReplicaId) -> Self {
        Self(id.as_u128())
    }
}

impl From<uuid::Uuid> for Bits {
    fn from(id: uuid::Uuid) -> Self {
        Self(id.as_u128())
    }
}

impl From<u64> for Bits {
    fn from(id: u64) -> Self {
        Self(u128::from(id))
    }
}

/// An actor usable by both libraries in these benches.
pub trait BenchActor:
    Actor + serde::Serialize + serde::de::DeserializeOwned + FromBits + Into<Bits> + Send + Sync
{
}
impl<
    T: Actor + serde::Serialize + serde::de::DeserializeOwned + FromBits + Into<Bits> + Send + Sync,
> BenchActor for T
{
}

/// The crdts vector clock holding `entries`.
#[must_use]
pub fn crdts_vclock<A: BenchActor>(entries: &[(u128, u64)]) -> crdts::VClock<A> {
    entries
        .iter()
        .map(|&(a, c)| crdts::Dot::new(A::from_bits(a), c))
        .collect()
}

/// The crdts grow-only counter holding `entries`.
#[must_use]
pub fn crdts_gcounter<A: BenchActor>(entries: &[(u128, u64)]) -> crdts::GCounter<A> {
    let mut counter = crdts::GCounter::new();
    for &(a, c) in entries {
        counter.apply(crdts::Dot::new(A::from_bits(a), c));
    }
    counter
}

/// The crdts positive-negative counter holding `entries` (`[increments, decrements]`).
#[must_use]
pub fn crdts_pncounter<A: BenchActor>(entries: &[(u128, [u64; 2])]) -> crdts::PNCounter<A> {
    use crdts::pncounter::{Dir, Op};
    let mut counter = crdts::PNCounter::new();
    for &(a, [p, n]) in entries {
        let actor = A::from_bits(a);
        for (count, dir) in [(p, Dir::Pos), (n, Dir::Neg)] {
            counter.apply(Op {
                dot: crdts::Dot::new(actor, count),
                dir,
            });
        }
    }
    counter
}

/// Input pairs for one map workload, in both libraries, each merge checked once.
#[derive(Debug)]
pub struct MapPools<C, K> {
    /// concord `(receiver, incoming)` pairs.
    pub concord: Vec<(C, C)>,
    /// crdts `(receiver, incoming)` pairs, the same states.
    pub crdts: Vec<(K, K)>,
}

fn sum(entries: &[(u128, u64)]) -> u128 {
    entries.iter().map(|&(_, c)| u128::from(c)).sum()
}

/// Vector clock pools, checked: both merges equal the model's pointwise maximum.
#[must_use]
pub fn vclock_pools<A: BenchActor, K: BenchActor>(
    kind: ActorKind,
    overlap: Overlap,
    n: usize,
) -> MapPools<VectorClock<A>, crdts::VClock<K>> {
    let cases = map_cases::<u64>(0x01, kind, overlap, n);
    let mut pools = MapPools {
        concord: vec![],
        crdts: vec![],
    };
    for case in &cases {
        let pair = (
            VectorClock::from(actor_map::<A, u64>(&case.a)),
            VectorClock::from(actor_map::<A, u64>(&case.b)),
        );
        let mut merged = pair.0.clone();
        merged.merge(&pair.1);
        assert_eq!(entries_of(merged.as_actor_map()), case.expected);

        let theirs = (crdts_vclock::<K>(&case.a), crdts_vclock::<K>(&case.b));
        let mut merged = theirs.0.clone();
        merged.merge(theirs.1.clone());
        let got: Vec<(u128, u64)> = merged
            .dots
            .iter()
            .map(|(a, c)| ((*a).into().0, *c))
            .collect();
        assert_eq!(got, case.expected);

        pools.concord.push(pair);
        pools.crdts.push(theirs);
    }
    pools
}

/// Grow-only counter pools, checked: both merges hold the model's entries and value.
#[must_use]
pub fn gcounter_pools<A: BenchActor, K: BenchActor>(
    kind: ActorKind,
    overlap: Overlap,
    n: usize,
) -> MapPools<GCounter<A>, crdts::GCounter<K>> {
    let cases = map_cases::<u64>(0x02, kind, overlap, n);
    let mut pools = MapPools {
        concord: vec![],
        crdts: vec![],
    };
    for case in &cases {
        let pair = (
            GCounter::from(actor_map::<A, u64>(&case.a)),
            GCounter::from(actor_map::<A, u64>(&case.b)),
        );
        let mut merged = pair.0.clone();
        merged.merge(&pair.1);
        assert_eq!(entries_of(merged.as_actor_map()), case.expected);
        assert_eq!(merged.value(), sum(&case.expected));

        let theirs = (crdts_gcounter::<K>(&case.a), crdts_gcounter::<K>(&case.b));
        let mut merged = theirs.0.clone();
        merged.merge(theirs.1.clone());
        assert_eq!(merged.read().to_string(), sum(&case.expected).to_string());
        assert_eq!(merged, crdts_gcounter::<K>(&case.expected));

        pools.concord.push(pair);
        pools.crdts.push(theirs);
    }
    pools
}

/// Positive-negative counter pools, checked: both merges hold the model's entries and value.
#[must_use]
pub fn pncounter_pools<A: BenchActor, K: BenchActor>(
    kind: ActorKind,
    overlap: Overlap,
    n: usize,
) -> MapPools<PnCounter<A>, crdts::PNCounter<K>> {
    let cases = map_cases::<[u64; 2]>(0x03, kind, overlap, n);
    let mut pools = MapPools {
        concord: vec![],
        crdts: vec![],
    };
    for case in &cases {
        let value: i128 = case
            .expected
            .iter()
            .map(|&(_, [p, n])| i128::from(p) - i128::from(n))
            .sum();
        let pair = (
            PnCounter::from(actor_map::<A, [u64; 2]>(&case.a)),
            PnCounter::from(actor_map::<A, [u64; 2]>(&case.b)),
        );
        let mut merged = pair.0.clone();
        merged.merge(&pair.1);
        assert_eq!(entries_of(merged.as_actor_map()), case.expected);
        assert_eq!(merged.value(), value);

        let theirs = (crdts_pncounter::<K>(&case.a), crdts_pncounter::<K>(&case.b));
        let mut merged = theirs.0.clone();
        merged.merge(theirs.1.clone());
        assert_eq!(merged.read().to_string(), value.to_string());
        assert_eq!(merged, crdts_pncounter::<K>(&case.expected));

        pools.concord.push(pair);
        pools.crdts.push(theirs);
    }
    pools
}

/// A label for a merge benchmark: `library/actors/overlap`.
#[must_use]
pub fn label(library: &str, kind: ActorKind, overlap: Overlap) -> String {
    format!("{library}/{}/{}", kind.name(), overlap.name())
}

/// Times concord against crdts for one map type (vector clock or counter), every overlap and
/// every size in [`SIZES`], on the pools `build` makes for an overlap and a size.
pub fn bench_map_merges<C, K>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    kind: ActorKind,
    build: impl Fn(Overlap, usize) -> MapPools<C, K>,
) where
    C: Merge + Clone,
    K: CvRDT + Clone,
{
    for overlap in Overlap::ALL {
        for n in SIZES {
            let pools = build(overlap, n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_function(BenchmarkId::new(label("concord", kind, overlap), n), |b| {
                bench_batched(b, &pools.concord, n, |(mut a, b)| {
                    a.merge(&b);
                    (a, b)
                });
            });
            group.bench_function(BenchmarkId::new(label("crdts", kind, overlap), n), |b| {
                bench_batched(b, &pools.crdts, n, |(mut a, b)| {
                    a.merge(b);
                    a
                });
            });
        }
    }
}

/// One side of the plain small-union merge: sorted `(actor, count)` pairs.
pub type Entries<A> = Vec<(A, u64)>;

/// The plain sorted-vector union, joining the counts of an actor on both sides by maximum: the
/// textbook two-cursor loop writing into a vector reserved for both sides.
#[must_use]
pub fn sorted_vec_merge<A: Ord + Copy>(a: &[(A, u64)], b: &[(A, u64)]) -> Entries<A> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        match x.0.cmp(&y.0) {
            std::cmp::Ordering::Less => {
                out.push(x);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((x.0, x.1.max(y.1)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The grow-only counter pairs of `pools` as plain sorted pairs, each pair's plain merge
/// checked against concord's.
#[must_use]
pub fn plain_pairs<A: Actor + Copy, K>(
    pools: &MapPools<GCounter<A>, K>,
) -> Vec<(Entries<A>, Entries<A>)> {
    let side =
        |c: &GCounter<A>| -> Entries<A> { c.as_actor_map().iter().map(|(a, v)| (*a, v)).collect() };
    pools
        .concord
        .iter()
        .map(|(a, b)| {
            let mut merged = a.clone();
            merged.merge(b);
            let plain = (side(a), side(b));
            assert_eq!(
                sorted_vec_merge(&plain.0, &plain.1),
                side(&merged),
                "plain merge"
            );
            plain
        })
        .collect()
}
