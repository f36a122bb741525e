//! What a replication engine asks of a CRDT beyond [`Merge`]: the new part of a delta, and
//! what a peer lacks.

use crate::Merge;

/// A CRDT that can tell which part of a delta it has not seen yet.
///
/// A replica that receives a delta merges it and forwards it to its other peers. Forwarding
/// the whole delta resends what those peers may already have had from elsewhere; forwarding
/// only `x.novel(d)`, the part of `d` that was new to `x`, removes that redundancy (Enes,
/// Almeida, Baquero and Leitão, "Efficient Synchronization of State-based CRDTs", ICDE 2019,
/// section IV).
///
/// # Laws
///
/// For every state `x` and every delta or state `d`, with `n = x.novel(d)`:
///
/// - **Novelty**: `x ⊔ n == x ⊔ d`, where `None` stands for a `d` that changes nothing
///   (`x ⊔ d == x`);
/// - **Smaller**: `n ≤ d` in the lattice order (`n ⊔ d == d`): the result never carries
///   anything `d` did not.
///
/// The law kit checks both (`law_tests!(name: Model, lattice, novelty)`).
pub trait Novelty: Merge + Sized {
    /// The part of `delta` that `self` has not seen, or `None` when merging `delta` into
    /// `self` would change nothing.
    #[must_use]
    fn novel(&self, delta: &Self) -> Option<Self>;
}

/// A CRDT that can compute what a peer lacks from a summary of the peer's state.
///
/// A replica that was partitioned, restarted or is new sends its [`summary`](Self::summary)
/// (for a causal CRDT: the dots it has seen and the dots it still holds); the peer answers
/// with [`delta_since`](Self::delta_since), which is what the replica lacks rather than the
/// whole state.
///
/// # Laws
///
/// For all states `x` and `y`: **catch-up**, `y ⊔ x.delta_since(&y.summary()) == y ⊔ x`.
/// The law kit checks it (`law_tests!(name: Model, lattice, catch_up)`).
pub trait CatchUp: Merge + Sized {
    /// What a replica tells its peer about its state.
    type Summary;

    /// The summary of this state.
    #[must_use]
    fn summary(&self) -> Self::Summary;

    /// What a replica whose state has summary `summary` lacks of `self`.
    #[must_use]
    fn delta_since(&self, summary: &Self::Summary) -> Self;
}
