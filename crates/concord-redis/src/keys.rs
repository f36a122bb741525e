//! Where an object's data lives in Redis: the key layout.
//!
//! Every key of one object shares a hash tag (`{name}`), so that a Redis Cluster keeps them in
//! one slot and a script or transaction may touch them together.
//!
//! | key | type | what |
//! | --- | --- | --- |
//! | `<prefix>:{<object>}:members` | set | the ids of the object's replicas (transport) |
//! | `<prefix>:{<object>}:inbox:<id>` | stream | messages to replica `<id>`: fields `from`, `msg` |
//! | `<prefix>:{<object>}:snapshot:<id>` | hash | replica `<id>`'s `state` and `checkpoint` |
//! | `<prefix>:{<name>}:store:fence` | string | the incarnation of the store's last opener |
//! | `<prefix>:{<name>}:store:checkpoint` | string | the replica's checkpoint |
//! | `<prefix>:{<name>}:store:snapshot` | string | the state when the log was last folded |
//! | `<prefix>:{<name>}:store:log` | list | the deltas since the snapshot, oldest first |
//! | `<prefix>:{<name>}:store:lost` | string | the lost-state record, while there is one |

use concord_core::ReplicaId;

/// The key names of one object under a prefix.
///
/// ```
/// use concord_redis::{Keys, ReplicaId};
///
/// let keys = Keys::new("concord", "kv");
/// assert_eq!(keys.members(), "concord:{kv}:members");
/// assert_eq!(
///     keys.inbox(ReplicaId::from_u128(1)),
///     "concord:{kv}:inbox:00000000-0000-0000-0000-000000000001"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    base: String,
}

impl Keys {
    /// The keys of object `object` under `prefix`.
    #[must_use]
    pub fn new(prefix: &str, object: &str) -> Self {
        Self {
            base: format!("{prefix}:{{{object}}}"),
        }
    }

    /// The set of the object's replica ids.
    #[must_use]
    pub fn members(&self) -> String {
        format!("{}:members", self.base)
    }

    /// The stream of messages to replica `id`.
    #[must_use]
    pub fn inbox(&self, id: ReplicaId) -> String {
        format!("{}:inbox:{id}", self.base)
    }

    /// The hash holding replica `id`'s snapshot for onboarding.
    #[must_use]
    pub fn snapshot(&self, id: ReplicaId) -> String {
        format!("{}:snapshot:{id}", self.base)
    }

    /// A key of a stored replica ([`RedisStore`](crate::RedisStore)): `fence`, `checkpoint`,
    /// `snapshot`, `log` or `lost`.
    #[must_use]
    pub fn store(&self, part: &str) -> String {
        format!("{}:store:{part}", self.base)
    }
}
