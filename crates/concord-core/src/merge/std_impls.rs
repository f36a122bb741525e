//! `Merge` for the standard library's building blocks, so CRDTs compose: an optional CRDT, a
//! tuple of CRDTs, a grow-only map of CRDTs and a grow-only set. Each is the textbook lattice
//! construction (lifting, product, pointwise map, union) and is law-checked in
//! `tests/std_laws.rs`.

use alloc::collections::{BTreeMap, BTreeSet};

use super::Merge;

/// `None` is the bottom: `None ⊔ x == x` for every `x`, and two `Some` merge their contents.
///
/// This is the lattice `T` with a new least element added below it, so `Option<T>` is a CRDT
/// whenever `T` is: a field that no replica has written yet, or a value created lazily on the
/// first write. The derived `PartialOrd` of `Option` (`None < Some(_)`, then `T`'s order) is
/// this lattice's order when `T`'s `PartialOrd` is its lattice order.
///
/// ```
/// use std::collections::BTreeSet;
/// use concord_core::Merge;
///
/// let mut here: Option<BTreeSet<u8>> = None;
/// let there = Some(BTreeSet::from([3]));
/// here.merge(&there);
/// assert_eq!(here, there);
/// here.merge(&None); // merging the bottom changes nothing
/// assert_eq!(here, there);
/// here.merge(&Some(BTreeSet::from([4])));
/// assert_eq!(here, Some(BTreeSet::from([3, 4])));
/// ```
impl<T: Merge + Clone> Merge for Option<T> {
    fn merge(&mut self, other: &Self) {
        match (self, other) {
            (_, None) => {}
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, Some(theirs)) => *mine = Some(theirs.clone()),
        }
    }
}

/// A grow-only map: the keys of both sides, and the values merged on the keys both hold.
///
/// This is the pointwise lattice of maps from `K` to `Option<V>`: an absent key is below every
/// value, including `V`'s own least value, so a key, once present, stays present. Keys are
/// never removed; for a map whose keys come and go, use an observed-remove map.
///
/// The cost is one lookup in `self` per entry of `other`, plus a clone of each entry `self`
/// lacks.
///
/// Call it as `Merge::merge(&mut map, &other)`: the standard library has an unstable inherent
/// method `BTreeMap::merge` (with another signature), which method-call syntax would pick if it
/// were stabilised. `#[derive(Merge)]` already names the trait this way.
///
/// ```
/// use std::collections::{BTreeMap, BTreeSet};
/// use concord_core::Merge;
///
/// // Tags per post, each replica adding its own.
/// let mut here = BTreeMap::from([("post-1", BTreeSet::from(["rust"]))]);
/// let there = BTreeMap::from([
///     ("post-1", BTreeSet::from(["crdt"])),
///     ("post-2", BTreeSet::from(["news"])),
/// ]);
/// Merge::merge(&mut here, &there);
/// assert_eq!(here["post-1"], BTreeSet::from(["crdt", "rust"]));
/// assert_eq!(here.len(), 2);
/// ```
impl<K: Ord + Clone, V: Merge + Clone> Merge for BTreeMap<K, V> {
    fn merge(&mut self, other: &Self) {
        for (key, theirs) in other {
            match self.get_mut(key) {
                Some(mine) => mine.merge(theirs),
                None => {
                    self.insert(key.clone(), theirs.clone());
                }
            }
        }
    }
}

/// A grow-only set: the union. Elements are never removed; for removals, use a set CRDT
/// (`LwwElementSet`, an observed-remove set).
///
/// `BTreeSet`'s own `PartialOrd` is lexicographic, not the lattice order (inclusion); compare
/// with `is_subset` instead.
///
/// ```
/// use std::collections::BTreeSet;
/// use concord_core::Merge;
///
/// let mut here = BTreeSet::from([1, 2]);
/// here.merge(&BTreeSet::from([2, 3]));
/// assert_eq!(here, BTreeSet::from([1, 2, 3]));
/// ```
impl<T: Ord + Clone> Merge for BTreeSet<T> {
    fn merge(&mut self, other: &Self) {
        self.extend(other.iter().cloned());
    }
}

/// The unit type has one state: the trivial lattice, whose merge does nothing.
impl Merge for () {
    #[inline]
    fn merge(&mut self, _other: &Self) {}
}

// One impl per arity, as the standard library implements its traits for tuples: the impls
// differ only in their number of fields, which a plain item cannot abstract over.
macro_rules! tuple_merge {
    ($(($($name:ident $index:tt),+))+) => {$(
        /// The product lattice: merged component by component, so a tuple of CRDTs is a CRDT.
        /// Its order is the pointwise order, not the lexicographic order of the tuple's own
        /// `PartialOrd`.
        impl<$($name: Merge),+> Merge for ($($name,)+) {
            #[inline]
            fn merge(&mut self, other: &Self) {
                $(self.$index.merge(&other.$index);)+
            }
        }
    )+};
}

tuple_merge! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}
