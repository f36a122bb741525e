//! One shopping cart, two devices, two ways to replicate it.
//!
//! 1. As one `MvRegister` holding the whole cart: concurrent edits become siblings, and the
//!    application resolves them (here by union, as Dynamo's cart did). Nothing added is lost,
//!    but an item removed on one device comes back, because the union cannot tell "removed
//!    over there" from "never added here".
//! 2. As an `LwwElementSet`: every item has its own add and remove stamps, so the removal
//!    sticks and the concurrent add survives, with no resolution step. The price: when an add
//!    and a remove of the same item are concurrent, the greater stamp wins and the other
//!    operation is dropped.
//!
//! Run with `cargo run -p concord-crdt --example cart`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "an example: a failed step should stop it with a message"
)]

use std::collections::BTreeSet;

use concord_crdt::clock::{LamportClock, LamportTimestamp};
use concord_crdt::register::MvRegister;
use concord_crdt::set::LwwElementSet;
use concord_crdt::{Merge, ReplicaId};

type Cart = BTreeSet<&'static str>;

fn show<'a>(items: impl IntoIterator<Item = &'a &'static str>) -> String {
    let items: Vec<&str> = items.into_iter().copied().collect();
    format!("[{}]", items.join(", "))
}

fn main() {
    let phone = ReplicaId::from_u128(1);
    let laptop = ReplicaId::from_u128(2);
    println!("== the cart as one multi-value register\n");
    let resolved = as_register(phone, laptop);
    println!("\n== the cart as a last-writer-wins element set\n");
    let as_set = as_set(phone, laptop);

    assert!(resolved.contains("milk"), "the union brought milk back");
    assert!(!as_set.contains("milk"), "the set kept milk removed");
    println!("\nregister resolved by union: {}", show(&resolved));
    println!("element set:                {}", show(as_set.iter()));
}

/// The whole cart in an `MvRegister`: siblings resolved by the application.
fn as_register(phone: ReplicaId, laptop: ReplicaId) -> Cart {
    let mut at_phone = MvRegister::<Cart>::new();
    let (_, ctx) = at_phone.read();
    at_phone
        .write(phone, Cart::from(["milk", "eggs"]), &ctx)
        .unwrap();
    let mut at_laptop = at_phone.clone();
    println!("both devices start with {}", show(at_phone.read().0[0]));

    // Offline, each device edits the cart it read and writes it back with that read's context.
    let (carts, ctx) = at_phone.read();
    let mut cart = carts[0].clone();
    cart.remove("milk");
    cart.insert("coffee");
    let phone_delta = at_phone.write(phone, cart, &ctx).unwrap();
    println!(
        "phone removes milk, adds coffee: {}",
        show(at_phone.read().0[0])
    );

    let (carts, ctx) = at_laptop.read();
    let mut cart = carts[0].clone();
    cart.insert("bread");
    let laptop_delta = at_laptop.write(laptop, cart, &ctx).unwrap();
    println!(
        "laptop adds bread:               {}",
        show(at_laptop.read().0[0])
    );

    // Back online: each merges the other's delta. Neither write saw the other, so both stay.
    at_phone.merge(&laptop_delta);
    at_laptop.merge(&phone_delta);
    assert_eq!(at_phone, at_laptop);
    let (siblings, ctx) = at_phone.read();
    assert_eq!(siblings.len(), 2);
    println!("after the exchange, {} siblings:", siblings.len());
    for sibling in &siblings {
        println!("  {}", show(*sibling));
    }

    // The application resolves them. A union keeps every add, and also brings milk back.
    let resolved: Cart = siblings.into_iter().flatten().copied().collect();
    let delta = at_phone.write(phone, resolved.clone(), &ctx).unwrap();
    at_laptop.merge(&delta);
    assert_eq!(at_laptop, at_phone);
    assert_eq!(
        at_laptop.len(),
        1,
        "the resolving write replaced both siblings"
    );
    println!("resolved by union and written back: {}", show(&resolved));
    resolved
}

/// The cart as an `LwwElementSet` stamped by Lamport clocks: no resolution step.
fn as_set(phone: ReplicaId, laptop: ReplicaId) -> LwwElementSet<&'static str, LamportTimestamp> {
    let mut phone_clock = LamportClock::new(phone);
    let mut laptop_clock = LamportClock::new(laptop);
    let mut at_phone: LwwElementSet<&str, LamportTimestamp> = LwwElementSet::new();
    at_phone.insert("milk", phone_clock.tick().unwrap());
    at_phone.insert("eggs", phone_clock.tick().unwrap());
    let mut at_laptop = at_phone.clone();
    laptop_clock
        .observe(at_laptop.max_stamp().unwrap())
        .unwrap();
    println!("both devices start with {}", show(at_phone.iter()));

    // The same offline edits, now one operation per item, each with its own delta.
    let mut from_phone = at_phone.remove("milk", phone_clock.tick().unwrap());
    from_phone.merge(&at_phone.insert("coffee", phone_clock.tick().unwrap()));
    println!("phone removes milk, adds coffee: {}", show(at_phone.iter()));
    let from_laptop = at_laptop.insert("bread", laptop_clock.tick().unwrap());
    println!(
        "laptop adds bread:               {}",
        show(at_laptop.iter())
    );

    at_phone.merge(&from_laptop);
    at_laptop.merge(&from_phone);
    assert_eq!(at_phone, at_laptop);
    assert_eq!(
        at_phone.iter().copied().collect::<Vec<_>>(),
        ["bread", "coffee", "eggs"]
    );
    println!("after the exchange, on both:     {}", show(at_phone.iter()));
    for (clock, set) in [
        (&mut phone_clock, &at_phone),
        (&mut laptop_clock, &at_laptop),
    ] {
        clock.observe(set.max_stamp().unwrap()).unwrap();
    }

    // What last writer wins gives up: the phone removes the eggs while the laptop, at the same
    // time, adds eggs again (a second box, say). Only one of the two operations survives.
    let from_phone = at_phone.remove("eggs", phone_clock.tick().unwrap());
    let from_laptop = at_laptop.insert("eggs", laptop_clock.tick().unwrap());
    at_phone.merge(&from_laptop);
    at_laptop.merge(&from_phone);
    assert_eq!(at_phone, at_laptop);
    // Equal Lamport times: the stamps are ordered by actor, and the laptop's id is greater,
    // so its add wins. Both devices agree, but the phone's concurrent remove is gone.
    assert!(at_phone.contains("eggs"));
    println!(
        "concurrent remove (phone) and re-add (laptop) of eggs: the greater stamp wins, {}",
        show(at_phone.iter())
    );
    let stats = at_phone.stats();
    println!("metadata: {stats:?}");
    at_phone
}
