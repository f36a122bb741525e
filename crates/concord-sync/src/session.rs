//! Session guarantees as a value a client carries.

use concord_clock::{Causality, VectorClock};
use concord_core::codec::{WireType, tag};
use concord_core::{Merge, ReplicaId};
use serde::{Deserialize, Serialize};

/// What a client has written and read, as a version vector: for every replica, how many of its
/// writes the client's session depends on.
///
/// A replica can serve the session when its state holds at least that many writes of every
/// replica ([`Replica::can_serve`](crate::Replica::can_serve)): the client then sees its own
/// writes (read-your-writes) and nothing older than what it read before (monotonic reads),
/// whichever replica it talks to (Terry, Demers, Petersen, Spreitzer, Theimer, Welch, "Session
/// Guarantees for Weakly Consistent Replicated Data", 1994). A token is as small as a vector
/// clock over the replicas, whatever the number of writes; tokens merge, and encode with the
/// codec.
///
/// ```
/// use concord_sync::SessionToken;
/// use concord_core::{Merge, ReplicaId};
///
/// let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
/// let mut token = SessionToken::new();
/// token.merge(&SessionToken::after_write(a, 3));
/// token.merge(&SessionToken::after_write(b, 1));
/// assert_eq!(token.writes_of(&a), 3);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionToken {
    writes: VectorClock<ReplicaId>,
}

impl SessionToken {
    /// The token of a session that has seen nothing: every replica can serve it.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            writes: VectorClock::new(),
        }
    }

    /// The token of a session whose last write was write number `writes` of `replica`.
    #[must_use]
    pub fn after_write(replica: ReplicaId, writes: u64) -> Self {
        let mut clock = VectorClock::new();
        clock.apply(concord_core::Dot::new(replica, writes));
        Self { writes: clock }
    }

    /// How many writes of `replica` the session depends on.
    #[must_use]
    pub fn writes_of(&self, replica: &ReplicaId) -> u64 {
        self.writes.get(replica)
    }

    /// The version vector.
    #[must_use]
    pub const fn as_vector(&self) -> &VectorClock<ReplicaId> {
        &self.writes
    }

    /// Whether a replica whose state holds `frontier` (for every replica, how many of its
    /// writes) can serve this session: what [`Replica::can_serve`](crate::Replica::can_serve)
    /// asks, for callers that track a frontier of their own.
    #[must_use]
    pub fn is_covered_by(&self, frontier: &VectorClock<ReplicaId>) -> bool {
        matches!(
            self.writes.compare(frontier),
            Causality::Before | Causality::Equal
        )
    }

    /// The token of a session that has seen everything a state holding `frontier` holds
    /// (for every replica, how many of its writes): merged into a session's token after a
    /// read, it keeps later reads monotonic.
    #[must_use]
    pub const fn from_frontier(writes: VectorClock<ReplicaId>) -> Self {
        Self { writes }
    }
}

impl Merge for SessionToken {
    /// A session that did both: the pointwise maximum.
    fn merge(&mut self, other: &Self) {
        self.writes.merge(&other.writes);
    }
}

impl WireType for SessionToken {
    const TAG: u16 = tag::SESSION_TOKEN;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "SessionToken";
}
