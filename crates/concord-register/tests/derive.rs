//! `#[derive(Merge)]` on the shapes it accepts: named fields (the source article's
//! `UserProfile`), a tuple struct, generic structs, a unit struct, and a recursive struct.

use std::collections::{BTreeMap, BTreeSet};

use concord_clock::{HybridClock, HybridTimestamp, ManualTimeSource};
use concord_core::{Merge, ReplicaId, laws};
use concord_register::LwwRegister;

/// The source article's user profile: three last-writer-wins registers.
#[derive(Clone, Debug, PartialEq, Merge)]
struct UserProfile {
    name: LwwRegister<String>,
    email: LwwRegister<String>,
    city: LwwRegister<String>,
}

fn clock(id: u128, time: &ManualTimeSource) -> HybridClock<ReplicaId, ManualTimeSource> {
    HybridClock::new(ReplicaId::from_u128(id), time.clone())
}

fn profile(stamp: &mut impl FnMut() -> HybridTimestamp) -> UserProfile {
    UserProfile {
        name: LwwRegister::new("Ada".to_string(), stamp()),
        email: LwwRegister::new("ada@example.org".to_string(), stamp()),
        city: LwwRegister::new("London".to_string(), stamp()),
    }
}

#[test]
fn user_profile_merges_field_by_field() {
    let time = ManualTimeSource::new(1_700_000_000_000);
    let (mut eu_clock, mut us_clock) = (clock(1, &time), clock(2, &time));
    let mut eu = profile(&mut || eu_clock.now());
    let mut us = eu.clone();
    time.advance(10);
    eu.email
        .set("ada@lovelace.example".to_string(), eu_clock.now());
    us.city.set("Paris".to_string(), us_clock.now());
    us.name.set("Ada Lovelace".to_string(), us_clock.now());

    let mut expected = eu.clone();
    expected.name.merge(&us.name);
    expected.email.merge(&us.email);
    expected.city.merge(&us.city);

    let merged = eu.joined(&us);
    assert_eq!(merged, expected);
    assert_eq!(merged, us.joined(&eu));
    assert_eq!(merged.name.value(), "Ada Lovelace");
    assert_eq!(merged.email.value(), "ada@lovelace.example");
    assert_eq!(merged.city.value(), "Paris");

    laws::idempotent(&merged).unwrap();
    laws::commutative(&eu, &us).unwrap();
    let third = profile(&mut || us_clock.now());
    laws::associative(&eu, &us, &third).unwrap();
}

/// A maximum: the smallest lattice, for the shapes below.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
struct Max(u64);

impl Merge for Max {
    fn merge(&mut self, other: &Self) {
        self.0 = self.0.max(other.0);
    }
}

#[derive(Clone, Debug, PartialEq, Merge)]
struct Pair(Max, BTreeSet<u8>);

#[test]
fn tuple_struct_merges_by_position() {
    let mut a = Pair(Max(3), BTreeSet::from([1]));
    a.merge(&Pair(Max(2), BTreeSet::from([2])));
    assert_eq!(a, Pair(Max(3), BTreeSet::from([1, 2])));
    laws::commutative(&a, &Pair(Max(9), BTreeSet::new())).unwrap();
}

/// Generic, with a `where` clause of its own: the derive keeps it and adds one bound per field
/// type that mentions `T` (`T`, `Option<T>`, `BTreeMap<u64, T>`).
#[derive(Clone, Debug, PartialEq, Merge)]
struct Versioned<T>
where
    T: Clone,
{
    current: T,
    first: Option<T>,
    by_version: BTreeMap<u64, T>,
    revisions: Max,
}

#[test]
fn generic_struct_merges_when_its_fields_do() {
    let mut a = Versioned {
        current: Max(1),
        first: None,
        by_version: BTreeMap::from([(1, Max(1))]),
        revisions: Max(1),
    };
    let b = Versioned {
        current: Max(4),
        first: Some(Max(7)),
        by_version: BTreeMap::from([(1, Max(3)), (2, Max(4))]),
        revisions: Max(2),
    };
    laws::commutative(&a, &b).unwrap();
    a.merge(&b);
    assert_eq!(a.current, Max(4));
    assert_eq!(a.first, Some(Max(7)));
    assert_eq!(a.by_version, BTreeMap::from([(1, Max(3)), (2, Max(4))]));
    assert_eq!(a.revisions, Max(2));
}

/// A generic struct over any `Merge` type, used with two different CRDTs.
#[derive(Clone, Debug, PartialEq, Merge)]
struct Tagged<T> {
    value: T,
    tags: BTreeSet<&'static str>,
}

#[test]
fn generic_struct_with_two_crdts() {
    let mut a = Tagged {
        value: Max(1),
        tags: BTreeSet::from(["a"]),
    };
    a.merge(&Tagged {
        value: Max(2),
        tags: BTreeSet::from(["b"]),
    });
    assert_eq!(a.value, Max(2));
    assert_eq!(a.tags.len(), 2);

    let mut b = Tagged {
        value: (Max(1), BTreeSet::from([1u8])),
        tags: BTreeSet::new(),
    };
    b.merge(&Tagged {
        value: (Max(0), BTreeSet::from([2u8])),
        tags: BTreeSet::from(["c"]),
    });
    assert_eq!(b.value, (Max(1), BTreeSet::from([1, 2])));
}

#[derive(Clone, Debug, PartialEq, Merge)]
struct Nothing;

#[derive(Clone, Debug, PartialEq, Merge)]
struct Empty {}

#[test]
fn unit_struct_merge_does_nothing() {
    let mut a = Nothing;
    a.merge(&Nothing);
    assert_eq!(a, Nothing);
    let mut e = Empty {};
    e.merge(&Empty {});
    assert_eq!(e, Empty {});
}

/// A document tree: a struct holding a grow-only map of itself. Bounds on concrete field types
/// would make this impl unprovable (`Node: Merge` would require itself).
#[derive(Clone, Debug, PartialEq, Merge)]
struct Node {
    size: Max,
    children: BTreeMap<String, Node>,
}

#[test]
fn recursive_struct_merges() {
    let leaf = |n| Node {
        size: Max(n),
        children: BTreeMap::new(),
    };
    let mut a = Node {
        size: Max(1),
        children: BTreeMap::from([("x".to_string(), leaf(1))]),
    };
    let b = Node {
        size: Max(0),
        children: BTreeMap::from([("x".to_string(), leaf(5)), ("y".to_string(), leaf(2))]),
    };
    a.merge(&b);
    assert_eq!(a.children["x"].size, Max(5));
    assert_eq!(a.children.len(), 2);
}

mod path {
    //! `#[merge(crate = "...")]` names the trait's crate explicitly.
    use concord_core as renamed;

    #[derive(Clone, Debug, PartialEq, renamed::Merge)]
    #[merge(crate = "renamed")]
    pub(crate) struct Counted(pub(crate) super::Max);

    #[test]
    fn crate_attribute_is_used() {
        use renamed::Merge as _;
        let mut a = Counted(super::Max(1));
        a.merge(&Counted(super::Max(2)));
        assert_eq!(a, Counted(super::Max(2)));
    }
}
