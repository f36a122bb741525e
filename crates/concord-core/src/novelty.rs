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
/// Some summaries cannot tell everything in one message without costing as much as the
/// state: an LWW set's summary is a fingerprint of its entries
/// ([`reconcile`](crate::reconcile)), and a peer that finds it differs asks about halves,
/// then quarters, of the state. Such types also implement [`answer`](Self::answer), which
/// adds questions to the delta, and [`refine`](Self::refine), which turns the questions into
/// the next, finer summary. The exchange goes:
///
/// 1. the replica behind sends `s = y.summary()`;
/// 2. the peer answers `(d, q) = x.answer(&s)`; the replica merges `d`;
/// 3. while there are questions `q` and `y.refine(&q)` gives a summary, back to step 2 with
///    it.
///
/// Types whose summary tells everything at once keep the defaults: no questions.
///
/// # Laws
///
/// For all states `x` and `y`:
///
/// - **Catch-up**: the exchange above ends within 64 rounds, and leaves the replica at
///   `y ⊔ x`;
/// - **One answer**: `x.answer(&s).0 == x.delta_since(&s)` for every summary `s`.
///
/// The law kit checks both (`law_tests!(name: Model, lattice, catch_up)`).
pub trait CatchUp: Merge + Sized {
    /// What a replica tells its peer about its state.
    type Summary;

    /// The summary of this state.
    #[must_use]
    fn summary(&self) -> Self::Summary;

    /// What a replica whose state has summary `summary` lacks of `self`, as far as the
    /// summary tells.
    #[must_use]
    fn delta_since(&self, summary: &Self::Summary) -> Self;

    /// [`delta_since`](Self::delta_since), with the questions to send back when the summary
    /// was too coarse to tell everything the peer lacks (`None`: it told everything).
    #[must_use]
    fn answer(&self, summary: &Self::Summary) -> (Self, Option<Self::Summary>) {
        (self.delta_since(summary), None)
    }

    /// The next summary, answering a peer's `questions`; `None` when this state already
    /// agrees with the peer on every one of them, which ends the exchange.
    #[must_use]
    fn refine(&self, questions: &Self::Summary) -> Option<Self::Summary> {
        let _ = questions;
        None
    }
}
