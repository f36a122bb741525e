//! Why the engine refused a message or a write.

use alloc::string::String;
use core::fmt;

use concord_core::ReplicaId;
use concord_core::codec::DecodeError;

/// Why [`Replica::receive`](crate::Replica::receive) refused a message. A refused message
/// changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The bytes are not a valid message (the codec's error names the part that is wrong).
    Decode(DecodeError),
    /// A valid message for another object: another CRDT type or format version, or another
    /// object number.
    WrongObject {
        /// What this replica holds: tag, format version, object number.
        expected: (u16, u16, u64),
        /// What the message is for.
        found: (u16, u16, u64),
    },
    /// The peer is not a member of this replica's peer set ([`Replica::add_peer`](crate::Replica::add_peer)).
    UnknownPeer(ReplicaId),
    /// The message decodes but is inconsistent (for instance an interval that ends before it
    /// starts).
    Malformed(&'static str),
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "message refused: {e}"),
            Self::WrongObject { expected, found } => write!(
                f,
                "message refused: it is for object {:#06x} v{} #{}, this replica holds {:#06x} v{} #{}",
                found.0, found.1, found.2, expected.0, expected.1, expected.2
            ),
            Self::UnknownPeer(peer) => {
                write!(f, "message refused: {peer} is not a peer of this replica")
            }
            Self::Malformed(why) => write!(f, "message refused: {why}"),
        }
    }
}

impl core::error::Error for ReceiveError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for ReceiveError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// A replica that has lost state: a peer holds more writes under its id than it does.
///
/// Writing on under the same id would mint dots (and stamps) that peers already hold with
/// other contents. Every further write is refused until the caller gives the replica a fresh
/// id ([`Replica::with_new_id`](crate::Replica::with_new_id)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostState {
    /// The replica's id.
    pub id: ReplicaId,
    /// How many of its own writes the replica holds.
    pub held: u64,
    /// How many a peer has seen.
    pub seen: u64,
    /// The peer that showed it.
    pub peer: ReplicaId,
}

impl fmt::Display for LostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replica {} has lost state: it holds {} of its own writes but peer {} has seen {}; \
             writes under this id are refused, give the replica a new id",
            self.id, self.held, self.peer, self.seen
        )
    }
}

impl core::error::Error for LostState {}

/// Why [`Replica::try_apply`](crate::Replica::try_apply) did not write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyError<E> {
    /// The replica has lost state; nothing was run.
    LostState(LostState),
    /// The operation itself refused (its error, the state unchanged).
    Operation(E),
}

impl<E: fmt::Display> fmt::Display for ApplyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LostState(lost) => write!(f, "write refused: {lost}"),
            Self::Operation(e) => write!(f, "operation refused: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for ApplyError<E> {}

/// The read cannot be served here yet: this replica lacks writes the session depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behind {
    /// For each replica whose writes are missing: how many the session needs, how many this
    /// replica holds.
    pub missing: alloc::vec::Vec<(ReplicaId, u64, u64)>,
}

impl fmt::Display for Behind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = String::new();
        for (replica, needed, held) in &self.missing {
            if !parts.is_empty() {
                parts.push_str(", ");
            }
            parts.push_str(&alloc::format!("{replica}: {held} of {needed}"));
        }
        write!(
            f,
            "this replica has not caught up with the session ({parts}); wait or read elsewhere"
        )
    }
}

impl core::error::Error for Behind {}
