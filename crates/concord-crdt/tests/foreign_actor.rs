//! A replica id type without serde impls is an `Actor` whatever features are on: the facade
//! enables `serde` in every crate by default, and these types still take it.

#![cfg(all(
    feature = "counter",
    feature = "clock",
    feature = "register",
    feature = "set"
))]

use concord_crdt::Merge;
use concord_crdt::clock::{DotContext, LamportClock, VectorClock};
use concord_crdt::counter::{GCounter, PnCounter};
use concord_crdt::register::MvRegister;
use concord_crdt::set::LwwElementSet;

/// A node number the application already has; deliberately no `Serialize`/`Deserialize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct NodeId(u16);

#[test]
fn types_accept_an_actor_without_serde_while_serde_is_on() {
    let (a, b) = (NodeId(1), NodeId(2));

    let mut views = GCounter::<NodeId>::new();
    views.increment(a, 3).unwrap();
    let mut there = GCounter::new();
    there.increment(b, 4).unwrap();
    views.merge(&there);
    assert_eq!(views.value(), 7);

    let mut stock = PnCounter::<NodeId>::new();
    stock.increment(a, 5).unwrap();
    stock.decrement(b, 2).unwrap();
    assert_eq!(stock.value(), 3);

    let mut clock = VectorClock::<NodeId>::new();
    clock.increment(a).unwrap();
    assert_eq!(clock.get(&a), 1);

    let mut lamport = LamportClock::new(a);
    let stamp = lamport.tick().unwrap();
    let mut set = LwwElementSet::<&str, _>::new();
    set.insert("x", stamp);
    assert!(set.contains("x"));

    let mut reg = MvRegister::<&str, NodeId>::new();
    reg.write(a, "v", &DotContext::new()).unwrap();
    assert_eq!(reg.values().collect::<Vec<_>>(), [&"v"]);
}
