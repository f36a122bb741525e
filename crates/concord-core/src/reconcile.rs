//! Range-based reconciliation of sorted entries: what a replica of an LWW set or map sends a
//! peer so the peer can tell what it lacks, at a cost that follows the difference, not the
//! state.
//!
//! The scheme is Meyer's range-based set reconciliation ("Range-Based Set Reconciliation",
//! 2023), over the space of 64-bit key hashes. Every entry has a *key hash* (where it lives)
//! and a *digest* (what it holds: the key and its stamps). A [`Bucket`] is a range of key
//! hashes: the root holds them all, and each bucket splits into 4 children by the next two
//! bits. A bucket's fingerprint is its count of entries and the wrapping sum of their
//! digests, so two replicas whose entries in a bucket are equal have equal fingerprints, and
//! unequal entries give unequal fingerprints but with probability 2⁻⁶⁴.
//!
//! A catch-up is an exchange of [`RangeSummary`]s, driven by [`CatchUp`](crate::CatchUp):
//!
//! 1. the replica behind sends its digests when it holds at most [`LEAF`] entries, otherwise
//!    the probes of the buckets a few levels down ([`Index::summary`]);
//! 2. the peer answers each probed bucket ([`Index::answer`]): nothing where the fingerprints
//!    agree; its entries whose digest the probe does not list, for a list; its entries of the
//!    bucket when it holds at most [`LEAF`] there; otherwise the fingerprints of the bucket's
//!    descendants one to three levels down (down to about [`LEAF`] entries each), as
//!    questions;
//! 3. the replica behind merges what it got and answers the questions ([`Index::refine`]): the
//!    children whose fingerprints differ from its own, probed again; and so on until no
//!    question is left, at most 32 rounds (the depth of the tree).
//!
//! What crosses the link is the entries the replica lacks, plus fingerprints and digests
//! along the paths to them: a replica missing 1% of a large set receives about 1% of its
//! entries, not the set.
//!
//! Hashes are SipHash-1-3 with fixed keys over each value's [`Hash`] impl, fed in
//! little-endian order whatever the platform, so replicas on different machines agree. Two
//! builds that hash differently (a type whose `Hash` impl changed) still converge: their
//! fingerprints disagree, the exchange descends to digest lists, and every entry whose digest
//! the other side does not list is sent.

use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use siphasher::sip::SipHasher13;

use crate::ValidationError;

/// A bucket holding at most this many entries is probed by its digests, not split.
pub const LEAF: usize = 16;

/// The deepest level: a bucket of four key hashes, never split.
pub const MAX_DEPTH: u8 = 31;

/// Bits of the key hash each level of the tree takes: 4 children per bucket. Of the children
/// of a bucket whose fingerprints differ, usually one differs and the others cost their
/// fingerprints for nothing: four children waste less than sixteen, for a few more rounds.
const FANOUT_BITS: u32 = 2;

/// Levels a large bucket is split at most at once. Each round trip of an exchange costs a
/// network delay, and a replica takes its peer's frontier only at the end: splitting a bucket
/// of a few hundred entries straight into buckets of about [`LEAF`] saves rounds where the
/// differences are dense, and costs a few fingerprints where they are sparse.
const MAX_SPLIT: u8 = 3;

const KEY_HASH_KEYS: (u64, u64) = (0x636f_6e63_6f72_646b, 0x6579_2068_6173_6821);
const DIGEST_KEYS: (u64, u64) = (0x636f_6e63_6f72_6464, 0x6967_6573_7421_2121);

/// A hasher that feeds every integer in little-endian order (and `usize` as 64 bits), so a
/// value's `Hash` impl gives the same hash on every platform.
struct Portable(SipHasher13);

impl Hasher for Portable {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    fn write_u8(&mut self, i: u8) {
        self.0.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.0.write(&i.to_le_bytes());
    }
    fn write_u32(&mut self, i: u32) {
        self.0.write(&i.to_le_bytes());
    }
    fn write_u64(&mut self, i: u64) {
        self.0.write(&i.to_le_bytes());
    }
    fn write_u128(&mut self, i: u128) {
        self.0.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.0.write(&(i as u64).to_le_bytes());
    }
    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }
    fn write_i16(&mut self, i: i16) {
        self.write_u16(i as u16);
    }
    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
    fn write_i128(&mut self, i: i128) {
        self.write_u128(i as u128);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }
}

fn hash_with<T: Hash + ?Sized>(keys: (u64, u64), value: &T) -> u64 {
    let mut hasher = Portable(SipHasher13::new_with_keys(keys.0, keys.1));
    value.hash(&mut hasher);
    hasher.finish()
}

/// The key hash of `key`: where its entry lives in the tree.
#[must_use]
pub fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    hash_with(KEY_HASH_KEYS, key)
}

/// The digest of an entry: a hash of everything two replicas must agree on (the key and its
/// stamps), under another key than [`key_hash`].
#[must_use]
pub fn digest<E: Hash + ?Sized>(entry: &E) -> u64 {
    hash_with(DIGEST_KEYS, entry)
}

/// A range of key hashes: those whose top `2 * depth` bits are `prefix`.
///
/// On the wire, one integer: `prefix` below a bit set at position `2 * depth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(into = "u64", try_from = "u64"))]
pub struct Bucket {
    depth: u8,
    prefix: u64,
}

impl Bucket {
    /// Every key hash.
    pub const ROOT: Self = Self {
        depth: 0,
        prefix: 0,
    };

    /// The bucket of the key hashes whose top `2 * depth` bits are `prefix`, if `depth` is at
    /// most [`MAX_DEPTH`] and `prefix` has at most `2 * depth` bits.
    #[must_use]
    pub fn new(depth: u8, prefix: u64) -> Option<Self> {
        let bucket = Self { depth, prefix };
        bucket.is_valid().then_some(bucket)
    }

    /// The bucket's depth: 0 for the root.
    #[must_use]
    pub const fn depth(&self) -> u8 {
        self.depth
    }

    /// The bucket's prefix.
    #[must_use]
    pub const fn prefix(&self) -> u64 {
        self.prefix
    }

    const fn is_valid(&self) -> bool {
        self.depth <= MAX_DEPTH && self.prefix >> (FANOUT_BITS * self.depth as u32) == 0
    }

    /// Bits below the prefix.
    const fn free_bits(&self) -> u32 {
        64 - FANOUT_BITS * self.depth as u32
    }

    /// The least key hash of the bucket.
    #[must_use]
    pub const fn first(&self) -> u64 {
        match self.free_bits() {
            64 => 0,
            bits => self.prefix << bits,
        }
    }

    /// The greatest key hash of the bucket.
    #[must_use]
    pub const fn last(&self) -> u64 {
        match self.free_bits() {
            64 => u64::MAX,
            bits => (self.prefix << bits) | (u64::MAX >> (64 - bits)),
        }
    }

    /// The descendants `levels` below (4, 16 or 64 buckets for 1, 2 or 3 levels), in order;
    /// `levels` stops at [`MAX_DEPTH`].
    fn descendants(self, levels: u8) -> impl Iterator<Item = Self> {
        let levels = levels.min(MAX_DEPTH - self.depth);
        let bits = FANOUT_BITS * u32::from(levels);
        (0..1u64 << bits).map(move |i| Self {
            depth: self.depth + levels,
            prefix: (self.prefix << bits) | i,
        })
    }

    /// How many levels to split a bucket of `entries` at once: enough that its descendants
    /// hold about [`LEAF`] entries each, so they can be listed in the next round, at most
    /// [`MAX_SPLIT`] (64 descendants).
    fn split_levels(entries: usize) -> u8 {
        let mut levels = 1;
        while levels < MAX_SPLIT && entries >> (FANOUT_BITS * u32::from(levels)) > LEAF {
            levels += 1;
        }
        levels
    }
}

impl From<Bucket> for u64 {
    fn from(bucket: Bucket) -> u64 {
        (1u64 << (FANOUT_BITS * bucket.depth as u32)) | bucket.prefix
    }
}

impl TryFrom<u64> for Bucket {
    type Error = ValidationError;

    fn try_from(path: u64) -> Result<Self, ValidationError> {
        let bits = 63u32.saturating_sub(path.leading_zeros());
        let bad = || {
            ValidationError::Invalid(
                "a bucket deeper than 31 levels, or with a prefix longer than its depth",
            )
        };
        if path == 0 || !bits.is_multiple_of(FANOUT_BITS) {
            return Err(bad());
        }
        let depth = u8::try_from(bits / FANOUT_BITS).map_err(|_| bad())?;
        Self::new(depth, path & !(1u64 << bits)).ok_or_else(bad)
    }
}

/// What one side tells of one bucket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Probe {
    /// The count of entries and the wrapping sum of their digests.
    Fingerprint {
        /// Entries in the bucket.
        count: u64,
        /// The wrapping sum of their digests (eight bytes on the wire).
        #[cfg_attr(feature = "serde", serde(with = "fixed"))]
        sum: u64,
    },
    /// The digests of every entry in the bucket, sorted (eight bytes each on the wire).
    Digests(#[cfg_attr(feature = "serde", serde(with = "fixed_list"))] Vec<u64>),
}

/// A `u64` as eight little-endian bytes: a hash is as long as its value, so the codec's
/// variable-length integers would only add a byte.
#[cfg(feature = "serde")]
mod fixed {
    pub(super) fn serialize<S: serde::Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&value.to_le_bytes(), s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        <[u8; 8] as serde::Deserialize>::deserialize(d).map(u64::from_le_bytes)
    }
}

/// A list of `u64`s, each as eight little-endian bytes.
#[cfg(feature = "serde")]
mod fixed_list {
    use alloc::vec::Vec;

    pub(super) fn serialize<S: serde::Serializer>(values: &[u64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(|value| value.to_le_bytes()))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<u64>, D::Error> {
        // Nested in a summary's probes: reserving little, as the codec's bound requires.
        let bytes: Vec<[u8; 8]> = crate::codec::deserialize_vec(d)?;
        Ok(bytes.into_iter().map(u64::from_le_bytes).collect())
    }
}

/// Probes of disjoint buckets, in key-hash order: a replica's summary in a catch-up, or a
/// peer's questions back (see the [module](self)).
///
/// Decoding refuses buckets that are malformed, out of order or overlapping, and digest lists
/// that are not sorted, so answering a summary costs at most a logarithmic search per bucket
/// plus the entries the buckets hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "Vec<(Bucket, Probe)>"))]
pub struct RangeSummary {
    probes: Vec<(Bucket, Probe)>,
}

impl TryFrom<Vec<(Bucket, Probe)>> for RangeSummary {
    type Error = ValidationError;

    /// Accepts at most [`MAX_ENTRIES`](crate::MAX_ENTRIES) probes of valid, disjoint buckets in
    /// key-hash order, each digest list sorted and within the same limit.
    fn try_from(probes: Vec<(Bucket, Probe)>) -> Result<Self, ValidationError> {
        ValidationError::check_len(probes.len())?;
        let mut after: Option<u64> = None;
        for (bucket, probe) in &probes {
            if after.is_some_and(|last| bucket.first() <= last) {
                return Err(ValidationError::Invalid(
                    "buckets out of key-hash order or overlapping",
                ));
            }
            after = Some(bucket.last());
            if let Probe::Digests(digests) = probe {
                ValidationError::check_len(digests.len())?;
                if digests.windows(2).any(|w| w.first() > w.get(1)) {
                    return Err(ValidationError::Invalid("digests not sorted"));
                }
            }
        }
        Ok(Self { probes })
    }
}

impl RangeSummary {
    /// The probes, in key-hash order.
    #[must_use]
    pub fn probes(&self) -> &[(Bucket, Probe)] {
        &self.probes
    }

    /// Whether it probes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.probes.is_empty()
    }
}

#[cfg(feature = "serde")]
impl crate::codec::WireType for RangeSummary {
    const TAG: u16 = crate::codec::tag::RANGE_SUMMARY;
    const VERSION: u16 = 1;
    const NAME: &'static str = "range summary";
}

/// What an answer to a summary holds: which entries to send, and the questions left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// Positions (in the order the entries were given to [`Index::new`]) of the entries the
    /// peer may lack, ascending.
    pub send: Vec<usize>,
    /// Buckets where the summary was too coarse to tell, with this side's fingerprints of
    /// them; `None` when nothing is left to ask.
    pub questions: Option<RangeSummary>,
}

/// A state's entries by key hash, for one step of a catch-up.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Key hash, digest and position of every entry, sorted by key hash then digest.
    rows: Vec<(u64, u64, usize)>,
}

impl Index {
    /// The index of entries given as `(key hash, digest)` pairs, in the state's order.
    pub fn new(entries: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let mut rows: Vec<(u64, u64, usize)> = entries
            .into_iter()
            .enumerate()
            .map(|(at, (hash, digest))| (hash, digest, at))
            .collect();
        rows.sort_unstable();
        Self { rows }
    }

    fn rows_of(&self, bucket: Bucket) -> &[(u64, u64, usize)] {
        let start = self.rows.partition_point(|row| row.0 < bucket.first());
        let end = self.rows.partition_point(|row| row.0 <= bucket.last());
        self.rows.get(start..end).unwrap_or_default()
    }

    fn fingerprint(rows: &[(u64, u64, usize)]) -> Probe {
        Probe::Fingerprint {
            count: rows.len() as u64,
            sum: rows.iter().fold(0u64, |sum, row| sum.wrapping_add(row.1)),
        }
    }

    /// This side's probe of `bucket`: its digests if it holds at most [`LEAF`] entries
    /// there, its fingerprint otherwise.
    fn probe(&self, bucket: Bucket) -> Probe {
        let rows = self.rows_of(bucket);
        if rows.len() <= LEAF {
            Probe::Digests(Self::digests(rows))
        } else {
            Self::fingerprint(rows)
        }
    }

    /// The digests of `rows`, sorted.
    fn digests(rows: &[(u64, u64, usize)]) -> Vec<u64> {
        let mut digests: Vec<u64> = rows.iter().map(|row| row.1).collect();
        digests.sort_unstable();
        digests
    }

    fn agrees(&self, bucket: Bucket, probe: &Probe) -> bool {
        let rows = self.rows_of(bucket);
        match probe {
            Probe::Fingerprint { .. } => Self::fingerprint(rows) == *probe,
            Probe::Digests(digests) => {
                digests.len() == rows.len() && Self::digests(rows) == *digests
            }
        }
    }

    /// The first summary of a catch-up: the digests of every entry when there are at most
    /// [`LEAF`], otherwise the probes of the root's descendants a few levels down (down to
    /// buckets of about [`LEAF`] entries, at most 64 of them), so the answer can already
    /// list entries or split further.
    #[must_use]
    pub fn summary(&self) -> RangeSummary {
        let probes = if self.rows.len() <= LEAF {
            alloc::vec![(Bucket::ROOT, self.probe(Bucket::ROOT))]
        } else {
            Bucket::ROOT
                .descendants(Bucket::split_levels(self.rows.len()))
                .map(|bucket| (bucket, self.probe(bucket)))
                .collect()
        };
        RangeSummary { probes }
    }

    /// This side's answer to a peer's `summary`: the entries the peer may lack, and the
    /// buckets to ask about again.
    #[must_use]
    pub fn answer(&self, summary: &RangeSummary) -> Answer {
        let mut send = Vec::new();
        let mut questions = Vec::new();
        for (bucket, probe) in &summary.probes {
            let rows = self.rows_of(*bucket);
            match probe {
                Probe::Digests(digests) => send.extend(
                    rows.iter()
                        .filter(|row| digests.binary_search(&row.1).is_err())
                        .map(|row| row.2),
                ),
                Probe::Fingerprint { .. } if Self::fingerprint(rows) == *probe => {}
                Probe::Fingerprint { .. } if rows.len() <= LEAF || bucket.depth >= MAX_DEPTH => {
                    send.extend(rows.iter().map(|row| row.2));
                }
                Probe::Fingerprint { .. } => {
                    for below in bucket.descendants(Bucket::split_levels(rows.len())) {
                        let rows = self.rows_of(below);
                        // Where this side holds nothing, the peer lacks nothing.
                        if !rows.is_empty() {
                            questions.push((below, Self::fingerprint(rows)));
                        }
                    }
                }
            }
        }
        send.sort_unstable();
        Answer {
            send,
            questions: (!questions.is_empty()).then_some(RangeSummary { probes: questions }),
        }
    }

    /// This side's next summary, answering a peer's `questions`: the buckets where it does
    /// not agree with the peer, probed; `None` when it agrees on every one.
    #[must_use]
    pub fn refine(&self, questions: &RangeSummary) -> Option<RangeSummary> {
        let probes: Vec<(Bucket, Probe)> = questions
            .probes
            .iter()
            .filter(|(bucket, probe)| !self.agrees(*bucket, probe))
            .map(|(bucket, _)| (*bucket, self.probe(*bucket)))
            .collect();
        (!probes.is_empty()).then_some(RangeSummary { probes })
    }
}
