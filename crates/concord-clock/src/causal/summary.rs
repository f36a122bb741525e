use concord_core::{Actor, ReplicaId, ValidationError};

use super::{Causal, DotSet, DotStore};
use crate::DotContext;

/// What a replica of a causal CRDT tells a peer so the peer can send what it lacks: every dot
/// it has seen, and the dots it still holds.
///
/// The context alone is not enough: a remove creates no dot, so a peer that removed an entry
/// and a replica that still holds it can have seen the same dots. The live dots let the peer
/// send exactly the removes the replica lacks ([`CatchUp`](concord_core::CatchUp)).
///
/// ```
/// use concord_clock::{Causal, CausalSummary, DotContext, DotSet, Merge};
/// use concord_core::{CatchUp, Dot};
///
/// // Both replicas saw the enable of a flag; replica 2 then disabled it.
/// let on = Causal::from_store(DotSet::from_dot(Dot::new(1u64, 1)), DotContext::new());
/// let mut off = on.clone();
/// off.merge(&Causal::from_store(DotSet::new(), on.context().clone()));
///
/// // Replica 1 catches up from replica 2: the contexts are equal, yet the disable is sent.
/// let summary: CausalSummary<u64> = on.summary();
/// let delta = off.delta_since(&summary);
/// assert_eq!(on.joined(&delta), off);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "SummaryWire<A>",
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct CausalSummary<A = ReplicaId> {
    context: DotContext<A>,
    live: DotSet<A>,
}

impl<A: Actor> CausalSummary<A> {
    /// The summary of `state`.
    #[must_use]
    pub fn of<S: DotStore<A>>(state: &Causal<S, A>) -> Self {
        let mut live = alloc::vec::Vec::with_capacity(state.store().dot_count());
        state.store().for_each_dot(&mut |dot| live.push(*dot));
        live.sort_unstable();
        Self {
            context: state.context().clone(),
            live: DotSet::from_sorted_unchecked(live),
        }
    }

    /// A summary from its parts, checked as decoding checks it.
    ///
    /// # Errors
    ///
    /// [`ValidationError::Invalid`] when a live dot is missing from the context.
    pub fn from_parts(context: DotContext<A>, live: DotSet<A>) -> Result<Self, ValidationError> {
        if live.iter().any(|dot| !context.contains(dot)) {
            return Err(ValidationError::Invalid(
                "a live dot of the summary is missing from its context",
            ));
        }
        Ok(Self { context, live })
    }

    /// Every dot the replica has seen.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        &self.context
    }

    /// The dots the replica still holds.
    #[must_use]
    pub const fn live(&self) -> &DotSet<A> {
        &self.live
    }
}

/// The unchecked wire form of a [`CausalSummary`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "A: Actor + serde::Deserialize<'de>"))]
struct SummaryWire<A> {
    context: DotContext<A>,
    live: DotSet<A>,
}

#[cfg(feature = "serde")]
impl<A: Actor> TryFrom<SummaryWire<A>> for CausalSummary<A> {
    type Error = ValidationError;

    /// Refuses a live dot missing from the context; the context and the live set check their
    /// own form as they decode.
    fn try_from(wire: SummaryWire<A>) -> Result<Self, Self::Error> {
        Self::from_parts(wire.context, wire.live)
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for CausalSummary<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::CAUSAL_SUMMARY;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "CausalSummary";
}
