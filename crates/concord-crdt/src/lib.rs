#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use concord_core::{self, Actor, Dot, Merge, ReplicaId};

/// The wire codec: `encode` a state into its envelope, `decode` it back with validation.
///
/// A re-export of `concord_core::codec`; see docs/wire-format.md for the envelope.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub use concord_core::codec;

/// Clocks: `LamportClock`, `VectorClock` (with `Causality`), `HybridClock` and `DotContext`.
///
/// The contents of the `concord-clock` crate. Stamp the writes of registers and sets with a
/// `HybridClock` or a `LamportClock`; compare states with a `VectorClock`.
#[cfg(feature = "clock")]
#[cfg_attr(docsrs, doc(cfg(feature = "clock")))]
pub mod clock {
    pub use concord_clock::*;
}

/// Counters: `GCounter` (grow-only) and `PnCounter` (increments and decrements).
///
/// The contents of the `concord-counter` crate.
#[cfg(feature = "counter")]
#[cfg_attr(docsrs, doc(cfg(feature = "counter")))]
pub mod counter {
    pub use concord_counter::*;
}

/// Registers: `LwwRegister` (last writer wins) and `MvRegister` (keeps concurrent writes).
///
/// The contents of the `concord-register` crate.
#[cfg(feature = "register")]
#[cfg_attr(docsrs, doc(cfg(feature = "register")))]
pub mod register {
    pub use concord_register::*;
}

/// Sets: `LwwElementSet`, with the `AddWins` and `RemoveWins` biases, and `OrSet`, the
/// observed-remove (add-wins) set.
///
/// The contents of the `concord-set` crate.
#[cfg(feature = "set")]
#[cfg_attr(docsrs, doc(cfg(feature = "set")))]
pub mod set {
    pub use concord_set::*;
}

/// Maps: `OrMap`, an observed-remove map of causal CRDTs; `LwwMap`, a last-writer-wins map with
/// stamped tombstones and compaction; the flags `EwFlag` and `DwFlag`; `CausalCounter`.
///
/// The contents of the `concord-map` crate.
///
/// ```
/// use concord_crdt::Merge;
/// use concord_crdt::clock::LamportTimestamp;
/// use concord_crdt::map::LwwMap;
///
/// let mut here: LwwMap<&str, u32, LamportTimestamp<u64>> = LwwMap::new();
/// let mut there = here.clone();
/// there.merge(&here.insert("apples", 3, LamportTimestamp::new(1, 1)));
/// here.merge(&there.remove("apples", LamportTimestamp::new(2, 2))); // the later write wins
/// assert_eq!((here.get("apples"), here.tombstones()), (None, 1));
/// assert_eq!(here, there);
/// ```
#[cfg(feature = "map")]
#[cfg_attr(docsrs, doc(cfg(feature = "map")))]
pub mod map {
    pub use concord_map::*;
}

/// Replication: `Replica`, the sans-IO engine that ships a CRDT's deltas between peers as
/// bytes (delta intervals with acknowledgements, catch-up from summaries, session tokens).
///
/// The contents of the `concord-sync` crate; see docs/sync.md.
///
/// ```
/// use concord_crdt::ReplicaId;
/// use concord_crdt::counter::GCounter;
/// use concord_crdt::sync::Replica;
///
/// let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
/// let mut here = Replica::new(a, GCounter::new());
/// let mut there = Replica::new(b, GCounter::<ReplicaId>::new());
/// here.add_peer(b);
/// there.add_peer(a);
/// here.apply(|c| c.increment(a, 3).unwrap()).unwrap();
/// while let Some(bytes) = here.poll_transmit(b) {
///     there.receive(a, &bytes).unwrap(); // any transport moves the bytes
/// }
/// assert_eq!(there.state().value(), 3);
/// ```
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub mod sync {
    pub use concord_sync::*;
}

/// Durable replicas: `Store`, one redb file of named objects, and `DurableReplica`, a
/// `sync::Replica` whose every acknowledged write is committed to it and which restarts from it
/// in a new incarnation.
///
/// The contents of the `concord-store` crate (std only; Rust 1.90); see docs/durability.md.
///
/// ```
/// use concord_crdt::counter::GCounter;
/// use concord_crdt::store::{Options, Store};
///
/// let path = std::env::temp_dir().join(format!("concord-crdt-doc-{}.redb", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// {
///     let store = Store::open(&path)?;
///     let mut likes = store.replica::<GCounter>("likes", Options::default())?;
///     let me = likes.id();
///     likes.apply(|c| c.increment(me, 2).unwrap())?; // returns once committed
/// }
/// let store = Store::open(&path)?; // a restart: the write is in the file
/// let likes = store.replica::<GCounter>("likes", Options::default())?;
/// assert_eq!(likes.state().value(), 2);
/// # drop((likes, store));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub mod store {
    pub use concord_store::*;
}
