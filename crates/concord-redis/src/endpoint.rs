//! What the transport drives: an in-memory replica or a stored one.

use concord_core::ReplicaId;
use concord_sync::{Checkpoint, Replica, Syncable};

use crate::error::ReceiveError;
use crate::store::RedisReplica;

/// A replica the [`RedisTransport`](crate::RedisTransport) can carry messages for:
/// `concord_sync::Replica` (state in memory) and [`RedisReplica`] (state in Redis).
pub trait Endpoint {
    /// The replicated CRDT.
    type State: Syncable;

    /// The replica's id.
    fn id(&self) -> ReplicaId;

    /// Adds a peer.
    fn add_peer(&mut self, peer: ReplicaId);

    /// The next message to send to `peer`, if any.
    fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>>;

    /// Takes a message from `peer`.
    ///
    /// # Errors
    ///
    /// [`ReceiveError::Refused`] for a message the engine refuses (the transport counts it and
    /// goes on), [`ReceiveError::Store`] when a stored replica could not commit (the transport
    /// stops).
    fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<(), ReceiveError>;

    /// Says that time passed.
    fn on_tick(&mut self, now: u64);

    /// The state and the checkpoint taken with it, for an onboarding snapshot.
    fn snapshot(&self) -> (&Self::State, Checkpoint);
}

impl<T: Syncable> Endpoint for Replica<T> {
    type State = T;

    fn id(&self) -> ReplicaId {
        Replica::id(self)
    }

    fn add_peer(&mut self, peer: ReplicaId) {
        Replica::add_peer(self, peer);
    }

    fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        Replica::poll_transmit(self, peer)
    }

    fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<(), ReceiveError> {
        Replica::receive(self, peer, bytes)
            .map(|_| ())
            .map_err(ReceiveError::Refused)
    }

    fn on_tick(&mut self, now: u64) {
        Replica::on_tick(self, now);
    }

    fn snapshot(&self) -> (&T, Checkpoint) {
        (self.state(), self.checkpoint())
    }
}

impl<T: Syncable> Endpoint for RedisReplica<T> {
    type State = T;

    fn id(&self) -> ReplicaId {
        RedisReplica::id(self)
    }

    fn add_peer(&mut self, peer: ReplicaId) {
        RedisReplica::add_peer(self, peer);
    }

    fn poll_transmit(&mut self, peer: ReplicaId) -> Option<Vec<u8>> {
        RedisReplica::poll_transmit(self, peer)
    }

    fn receive(&mut self, peer: ReplicaId, bytes: &[u8]) -> Result<(), ReceiveError> {
        RedisReplica::receive(self, peer, bytes).map(|_| ())
    }

    fn on_tick(&mut self, now: u64) {
        RedisReplica::on_tick(self, now);
    }

    fn snapshot(&self) -> (&T, Checkpoint) {
        (self.state(), self.replica().checkpoint())
    }
}
