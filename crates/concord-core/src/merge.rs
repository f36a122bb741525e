mod std_impls;

/// A replica state that absorbs another replica's state: the join of a join-semilattice.
///
/// `a.merge(&b)` replaces `a` with `a ⊔ b`, the least state that contains everything either
/// side has seen. Replicas that ship their states to each other in any order, any number of
/// times, end in the same state because of the laws below.
///
/// # Laws
///
/// For all states `a`, `b` and `c` that the implementation can produce or decode, writing
/// `a ⊔ b` for the state `a` holds after `a.merge(&b)`:
///
/// - **Idempotence**: `a ⊔ a == a`. Receiving the same state twice changes nothing.
/// - **Commutativity**: `a ⊔ b == b ⊔ a`. The order of delivery does not matter.
/// - **Associativity**: `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`. Grouping does not matter, so states may
///   be relayed through any replica.
///
/// Where the type implements [`PartialOrd`] as its lattice order (`a ≤ b` when `b` has seen
/// everything `a` has), additionally:
///
/// - **Upper bound**: `a ≤ a ⊔ b` and `b ≤ a ⊔ b`.
/// - **Least upper bound**: `a ≤ b` implies `a ⊔ b == b`.
///
/// [`PartialEq`] must be *semantic* equality: two states that represent the same knowledge
/// compare equal (an absent entry equals a zero entry; store neither, or normalise).
///
/// A merge is pure: it never reads a clock, never draws randomness, never allocates more than
/// the result needs and never panics.
///
/// # Implementing Merge
///
/// Implement `Merge` on the whole replica state, not on a view of it. Alongside it, implement:
///
/// - [`Clone`], so a state can be shipped while the replica goes on;
/// - [`Debug`](core::fmt::Debug), so a law violation can show its inputs;
/// - [`PartialEq`] as semantic equality (see above), and [`PartialOrd`] as the lattice order
///   when there is a natural one;
/// - serde's `Serialize` and `Deserialize` behind a `serde` feature, with decoding that
///   validates every invariant the merge relies on (`#[serde(try_from = "...")]`, see
///   [`Dot`](crate::Dot)), and [`codec::WireType`](crate::codec::WireType) to give it a tag.
///
/// Then run the law kit (feature `laws`) over it: `concord_core::law_tests!` generates the
/// tests from a [`laws::Model`](crate::laws::Model) of the type's operations.
///
/// # Composing
///
/// CRDTs built from CRDTs need no new merge:
///
/// - a struct of CRDTs: `#[derive(Merge)]` (feature `derive`) merges it field by field;
/// - [`Option<T>`]: `None` is below everything, for a value not written yet;
/// - tuples up to eight components: component by component;
/// - [`BTreeMap<K, V>`](alloc::collections::BTreeMap): a grow-only map, values merged on the
///   keys both sides hold;
/// - [`BTreeSet<T>`](alloc::collections::BTreeSet): a grow-only set, the union.
///
/// Each is a join-semilattice whenever its parts are (a product, a lifting, a pointwise map),
/// so the laws hold for the whole when they hold for the parts.
///
/// # Examples
///
/// The maximum of two numbers is the smallest join-semilattice there is:
///
/// ```
/// use concord_core::Merge;
///
/// #[derive(Clone, Debug, PartialEq, PartialOrd)]
/// struct HighScore(u32);
///
/// impl Merge for HighScore {
///     fn merge(&mut self, other: &Self) {
///         self.0 = self.0.max(other.0);
///     }
/// }
///
/// let mut alice = HighScore(120);
/// let bob = HighScore(340);
/// alice.merge(&bob);
/// alice.merge(&bob); // idempotent: a second delivery changes nothing
/// assert_eq!(alice, HighScore(340));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Merge`: replicas cannot merge it",
    label = "`{Self}` has no merge",
    note = "a replicated value needs a CRDT that says how concurrent writes combine: a register \
            (`LwwRegister<{Self}>`), a counter, a set; a struct of CRDTs can `#[derive(Merge)]`"
)]
pub trait Merge {
    /// Absorbs `other`: afterwards `self` is the join of the old `self` and `other`.
    fn merge(&mut self, other: &Self);

    /// Returns the join of `self` and `other`, leaving both untouched.
    #[must_use]
    fn joined(&self, other: &Self) -> Self
    where
        Self: Clone,
    {
        let mut out = self.clone();
        out.merge(other);
        out
    }
}

/// The partial order of two states from the two inclusions: `le` is `a ≤ b`, `ge` is `b ≤ a`.
///
/// Lattice orders are computed this way (one pass finds both), and this turns the pair into
/// what [`PartialOrd::partial_cmp`] returns: `Equal`, `Less`, `Greater`, or `None` for
/// incomparable (concurrent) states.
///
/// ```
/// use core::cmp::Ordering;
/// use concord_core::lattice::partial_order;
///
/// assert_eq!(partial_order(true, false), Some(Ordering::Less));
/// assert_eq!(partial_order(false, false), None);
/// ```
#[must_use]
pub const fn partial_order(le: bool, ge: bool) -> Option<core::cmp::Ordering> {
    match (le, ge) {
        (true, true) => Some(core::cmp::Ordering::Equal),
        (true, false) => Some(core::cmp::Ordering::Less),
        (false, true) => Some(core::cmp::Ordering::Greater),
        (false, false) => None,
    }
}

/// The pointwise partial order of two maps stored sorted by key, in one walk: an entry only one
/// side holds is above the other side's missing entry, and `shared(i, j)` gives `(a ≤ b, b ≤ a)`
/// for the entries `a[i]` and `b[j]` that share a key. The walk stops as soon as the maps are
/// known to be incomparable.
///
/// `a` and `b` are the entries or just their keys, strictly increasing by `key`. The map types
/// of the family (actor maps, sets) compute their [`PartialOrd`] with it.
///
/// ```
/// use core::cmp::Ordering;
/// use concord_core::lattice::sorted_partial_order;
///
/// // Maps as sorted (key, count) pairs.
/// let order = |a: &[(u8, u64)], b: &[(u8, u64)]| {
///     sorted_partial_order(a, b, |e| &e.0, |i, j| {
///         let (x, y) = (a[i].1, b[j].1);
///         (x <= y, y <= x)
///     })
/// };
/// assert_eq!(order(&[(1, 2)], &[(1, 3), (2, 1)]), Some(Ordering::Less));
/// assert_eq!(order(&[(1, 4)], &[(1, 3), (2, 1)]), None);
/// assert_eq!(order(&[(1, 3)], &[(1, 3)]), Some(Ordering::Equal));
/// ```
pub fn sorted_partial_order<E, K: Ord + ?Sized>(
    a: &[E],
    b: &[E],
    key: impl Fn(&E) -> &K,
    mut shared: impl FnMut(usize, usize) -> (bool, bool),
) -> Option<core::cmp::Ordering> {
    use core::cmp::Ordering;
    // `le`: a ≤ b so far; `ge`: a ≥ b so far.
    let (mut le, mut ge) = (true, true);
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match key(x).cmp(key(y)) {
            Ordering::Less => {
                le = false;
                i += 1;
            }
            Ordering::Greater => {
                ge = false;
                j += 1;
            }
            Ordering::Equal => {
                let (x_le, x_ge) = shared(i, j);
                le &= x_le;
                ge &= x_ge;
                i += 1;
                j += 1;
            }
        }
        if !le && !ge {
            return None;
        }
    }
    // What is left of either side, that side alone holds.
    le &= i >= a.len();
    ge &= j >= b.len();
    partial_order(le, ge)
}
