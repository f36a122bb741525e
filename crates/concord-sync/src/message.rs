//! The messages replicas exchange, and their wire form.

use concord_clock::VectorClock;
use concord_core::ReplicaId;
use concord_core::codec::{WireType, tag};
use serde::{Deserialize, Serialize};

/// One message from one replica of an object to another.
///
/// The header names the object (its CRDT type's tag and format version, and the caller's
/// object number) and the sender's incarnation, and acknowledges (cumulatively) the receiver's
/// log up to `ack`: every message carries the acknowledgement, so it costs a separate message
/// only when there is nothing else to send. `ack_incarnation` is the receiver's incarnation
/// whose log `ack` counts: a receiver that restarted since ignores the acknowledgement, which
/// counts positions of a log it no longer has. `floor` is the sender's floor when it changed
/// since the sender last told it (and again after a resend): the receiver's stable stamp is
/// the least of the floors whose members are its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, M: Serialize, F: Serialize",
    deserialize = "T: Deserialize<'de>, M: Deserialize<'de>, F: Deserialize<'de>"
))]
pub(crate) struct Message<T, M, F> {
    pub(crate) object_tag: u16,
    pub(crate) object_version: u16,
    pub(crate) object: u64,
    pub(crate) incarnation: u64,
    pub(crate) ack_incarnation: u64,
    pub(crate) ack: u64,
    pub(crate) floor: Option<Floor<F>>,
    pub(crate) body: Body<T, M>,
}

/// A replica's floor (its writes not yet held by all its peers, and those still to come, are
/// stamped above `stamp`), and the digest of the members it counted: itself and its peers.
/// A floor counts towards the stable stamp only at a replica with the same members, so that
/// the peers of every replica are all the others (see `Replica::members_agree`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Floor<F> {
    pub(crate) stamp: F,
    pub(crate) members: u64,
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, M: Serialize",
    deserialize = "T: Deserialize<'de>, M: Deserialize<'de>"
))]
pub(crate) enum Body<T, M> {
    /// The join of the sender's log entries `start..=end` (those that did not come from the
    /// receiver), and the entries of the sender's frontier (for every replica, how many of its
    /// writes the sender's state holds) that grew since the frontier the receiver last
    /// acknowledged.
    Delta {
        start: u64,
        end: u64,
        frontier: VectorClock<ReplicaId>,
        delta: T,
    },
    /// Only the acknowledgement of the header.
    Ack,
    /// The sender's log no longer reaches back to what the receiver lacks: send a summary.
    SummaryRequest,
    /// The sender's summary, the `round`-th it sent the receiver: answer with what it lacks.
    /// Also the next step of an exchange, answering the receiver's questions.
    Summary { round: u64, summary: M },
    /// The answer to the receiver's summary of round `round`: what the receiver lacks as far
    /// as its summary told, and the questions where it was too coarse to tell (the exchange
    /// then goes on, see [`CatchUp`](concord_core::CatchUp)). `end` and `frontier` are the
    /// sender's log end and whole frontier; the receiver holds them once the exchange ends.
    CatchUp {
        round: u64,
        end: u64,
        frontier: VectorClock<ReplicaId>,
        delta: T,
        questions: Option<M>,
    },
}

impl<T, M, F> WireType for Message<T, M, F>
where
    T: Serialize + serde::de::DeserializeOwned,
    M: Serialize + serde::de::DeserializeOwned,
    F: Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = tag::SYNC_MESSAGE;
    /// 2: summaries carry their round, and catch-up answers the round and questions.
    /// 3: the sender's floor, for the stable stamp.
    /// 4: the floor carries the digest of the sender's members.
    /// 5: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 5;
    const NAME: &'static str = "concord-sync message";
}

/// What a message was, for the byte counts of [`Stats`](crate::Stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Delta,
    Ack,
    Summary,
    CatchUp,
}

impl<T, M> Body<T, M> {
    pub(crate) const fn kind(&self) -> Kind {
        match self {
            Body::Delta { .. } => Kind::Delta,
            Body::Ack => Kind::Ack,
            Body::SummaryRequest | Body::Summary { .. } => Kind::Summary,
            Body::CatchUp { .. } => Kind::CatchUp,
        }
    }
}
