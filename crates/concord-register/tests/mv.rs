//! Behaviour of the multi-value register: sibling creation and collapse, and the textbook cases
//! of the DVVSet paper (Almeida, Baquero, Gonçalves, Preguiça and Fonte, "Scalable and
//! Accurate Causality Tracking for Eventually Consistent Stores", 2014; the scenarios of its
//! reference implementation's `update`, `sync` and `less` examples, restated for this API),
//! each with the expected siblings.
//!
//! Actors are letters, as in the paper: `a`, `b`, `c` are the servers that coordinate writes.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use std::cmp::Ordering;

use concord_register::concord_clock::DotContext;
use concord_register::concord_core::Dot;
use concord_register::{Merge, MvRegister};

type Reg = MvRegister<&'static str, char>;

/// The context that has seen dots `1..=n` of each `(actor, n)`.
fn ctx(entries: &[(char, u64)]) -> DotContext<char> {
    entries
        .iter()
        .flat_map(|&(actor, n)| (1..=n).map(move |c| Dot::new(actor, c)))
        .collect()
}

fn siblings(reg: &Reg) -> Vec<(Dot<char>, &'static str)> {
    reg.siblings().to_vec()
}

fn dot(actor: char, counter: u64) -> Dot<char> {
    Dot::new(actor, counter)
}

/// Writes `value` at `actor` with `context` into a copy of `state`.
fn update(state: &Reg, actor: char, value: &'static str, context: &DotContext<char>) -> Reg {
    let mut out = state.clone();
    out.write(actor, value, context).unwrap();
    out
}

#[test]
fn concurrent_writes_become_siblings_and_a_read_write_collapses_them() {
    let mut x = Reg::new();
    let mut y = Reg::new();
    assert!(x.is_empty());
    let dx = x.write('x', "1", &x.read().1).unwrap();
    let dy = y.write('y', "2", &y.read().1).unwrap();
    x.merge(&dy);
    y.merge(&dx);
    assert_eq!(x, y);
    assert_eq!(siblings(&x), [(dot('x', 1), "1"), (dot('y', 1), "2")]);
    assert_eq!(x.read().0, [&"1", &"2"]);

    // Write after reading both: one value, everywhere the delta goes, in any order.
    let (values, seen) = x.read();
    assert_eq!(values.len(), 2);
    let collapse = x.write('x', "3", &seen).unwrap();
    assert_eq!(siblings(&x), [(dot('x', 2), "3")]);
    assert_eq!(siblings(&collapse), [(dot('x', 2), "3")]);
    assert_eq!(*collapse.context(), ctx(&[('x', 2), ('y', 1)]));

    let mut late = Reg::new();
    late.merge(&collapse); // the collapse arrives before the writes it replaced
    late.merge(&dy);
    late.merge(&dx);
    assert_eq!(late, x, "no replaced value comes back");
    y.merge(&collapse);
    assert_eq!(y, x);
    assert_eq!(y.clone().into_values(), ["3"]);
}

#[test]
fn a_write_with_an_older_context_keeps_what_it_did_not_see() {
    let mut r = Reg::new();
    let seen_nothing = r.read().1;
    r.write('a', "first", &seen_nothing).unwrap();
    let seen_first = r.read().1;
    r.write('b', "second", &seen_nothing).unwrap(); // concurrent with "first"
    assert_eq!(r.len(), 2);
    r.write('a', "third", &seen_first).unwrap(); // replaces "first" only
    assert_eq!(
        siblings(&r),
        [(dot('a', 2), "third"), (dot('b', 1), "second")]
    );
}

#[test]
fn merge_order_and_duplicates_do_not_matter() {
    let base = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    let left = update(&base, 'a', "v2", &ctx(&[('a', 1)]));
    let right = update(&base, 'b', "v3", &ctx(&[]));
    let third = update(&right, 'c', "v4", &ctx(&[('a', 1), ('b', 1)]));
    let all = [base, left, right, third];
    let mut forward = Reg::new();
    for s in &all {
        forward.merge(s);
        forward.merge(s);
    }
    let mut backward = Reg::new();
    for s in all.iter().rev() {
        backward.merge(s);
    }
    assert_eq!(forward, backward);
    assert_eq!(
        siblings(&forward),
        [(dot('a', 2), "v2"), (dot('c', 1), "v4")]
    );
}

#[test]
fn dvvset_update_with_and_without_context() {
    // A server `a` takes a first write, with no context.
    let a0 = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    assert_eq!(siblings(&a0), [(dot('a', 1), "v1")]);
    // A client read v1 and writes v2 through `a`: v1 is replaced.
    let a1 = update(&a0, 'a', "v2", &a0.read().1);
    assert_eq!(siblings(&a1), [(dot('a', 2), "v2")]);
    // A client read v2 and writes v3 through `b`: v2 is replaced.
    let a2 = update(&a1, 'b', "v3", &a1.read().1);
    assert_eq!(siblings(&a2), [(dot('b', 1), "v3")]);
    assert_eq!(*a2.context(), ctx(&[('a', 2), ('b', 1)]));
    // A client that read only v1 writes v4 through `b`: v2 stays, as a sibling.
    let a3 = update(&a1, 'b', "v4", &a0.read().1);
    assert_eq!(siblings(&a3), [(dot('a', 2), "v2"), (dot('b', 1), "v4")]);
    // The same stale client writes v5 through `a`: a new dot of `a` beside v2.
    let a4 = update(&a1, 'a', "v5", &a0.read().1);
    assert_eq!(siblings(&a4), [(dot('a', 2), "v2"), (dot('a', 3), "v5")]);
}

#[test]
fn dvvset_writes_without_context_then_a_stale_one() {
    // Mary writes v1 without a context; Peter reads it.
    let a0 = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    let peter = a0.read().1;
    assert_eq!(peter, ctx(&[('a', 1)]));
    // Mary writes v2, again without a context: both are kept.
    let a1 = update(&a0, 'a', "v2", &ctx(&[]));
    assert_eq!(siblings(&a1), [(dot('a', 1), "v1"), (dot('a', 2), "v2")]);
    // Peter writes v3 with what he read: it replaces v1, not v2, which he never saw.
    let a2 = update(&a1, 'a', "v3", &peter);
    assert_eq!(siblings(&a2), [(dot('a', 2), "v2"), (dot('a', 3), "v3")]);
}

#[test]
fn dvvset_sync() {
    // W has seen a1 (and replaced it); Z still holds it beside a2.
    let a1_only = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    let z = update(&a1_only, 'a', "v2", &ctx(&[]));
    assert_eq!(siblings(&z), [(dot('a', 1), "v1"), (dot('a', 2), "v2")]);
    // W saw a1 through a write (w1) that replaced it.
    let w = Reg::new().write('w', "w", &ctx(&[('a', 1)])).unwrap();
    // `w` saw a1 and holds no value of `a`: syncing drops z's copy of a1, keeps a2.
    let synced = w.joined(&z);
    assert_eq!(synced, z.joined(&w));
    let of_a: Vec<_> = siblings(&synced)
        .into_iter()
        .filter(|(d, _)| d.actor == 'a')
        .collect();
    assert_eq!(of_a, [(dot('a', 2), "v2")]);

    // Two servers each take a write from the same read: siblings on both.
    let a = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    let a1 = update(&a, 'a', "v2", &a.read().1);
    assert_eq!(a.joined(&a1), a1.joined(&a));
    assert_eq!(a.joined(&a1), a1);
    let a3 = Reg::new().write('b', "v3", &a1.read().1).unwrap();
    let a4 = Reg::new().write('c', "v3", &a1.read().1).unwrap();
    let synced = a4.joined(&a3);
    assert_eq!(synced, a3.joined(&a4));
    assert_eq!(
        siblings(&synced),
        [(dot('b', 1), "v3"), (dot('c', 1), "v3")]
    );
    assert_eq!(*synced.context(), ctx(&[('a', 2), ('b', 1), ('c', 1)]));

    // A state that only saw an unrelated dot x1 keeps a's value.
    let x = Reg::new().write('x', "x", &ctx(&[])).unwrap();
    let x = x.joined(&Reg::new().write('y', "y", &x.read().1).unwrap());
    let synced = x.joined(&a);
    assert_eq!(synced, a.joined(&x));
    assert!(siblings(&synced).contains(&(dot('a', 1), "v1")));
}

#[test]
fn dvvset_causal_order_is_the_lattice_order() {
    let a = update(&Reg::new(), 'a', "v1", &ctx(&[]));
    let b = update(&a, 'a', "v2", &a.read().1);
    let b2 = Reg::new().write('b', "v2", &a.read().1).unwrap();
    let b3 = Reg::new().write('z', "v2", &a.read().1).unwrap();
    let c = update(&a, 'c', "v3", &b.read().1);
    let d = update(&b2, 'd', "v4", &c.read().1);
    assert_eq!(siblings(&c), [(dot('c', 1), "v3")]);
    assert_eq!(siblings(&d), [(dot('b', 1), "v2"), (dot('d', 1), "v4")]);

    assert!(a < b);
    assert!(a < c);
    assert!(b < c);
    assert!(b < d);
    assert!(b2 < d);
    assert!(a < d);
    assert_eq!(b2.partial_cmp(&c), None);
    assert_eq!(b.partial_cmp(&b2), None);
    assert_eq!(a.partial_cmp(&a), Some(Ordering::Equal));
    assert_eq!(c.partial_cmp(&c), Some(Ordering::Equal));
    assert_eq!(d.partial_cmp(&b2), Some(Ordering::Greater));
    assert_eq!(b3.partial_cmp(&d), None);
    // The order agrees with the merge: x <= y exactly when x ⊔ y == y.
    for x in [&a, &b, &b2, &b3, &c, &d] {
        for y in [&a, &b, &b2, &b3, &c, &d] {
            assert_eq!(x <= y, x.joined(y) == *y, "{x:?} <= {y:?}");
        }
    }
}

#[test]
fn conflicting_values_for_one_dot_resolve_the_same_way_in_both_orders() {
    // Only a misbehaving peer sends two values under one dot.
    let honest = Reg::new().write('a', "apple", &ctx(&[])).unwrap();
    let forged = Reg::new().write('a', "zucchini", &ctx(&[])).unwrap();
    assert_eq!(honest.siblings()[0].0, forged.siblings()[0].0);
    let x = honest.joined(&forged);
    assert_eq!(x, forged.joined(&honest));
    assert_eq!(siblings(&x), [(dot('a', 1), "zucchini")]);
    assert_eq!(x.joined(&x), x);
}

#[test]
fn write_refuses_an_exhausted_actor() {
    // A (hostile) context that claims actor a's last possible dot.
    let mut context = ctx(&[]);
    context.insert(Dot::new('a', u64::MAX));
    let mut r = Reg::new();
    r.merge(&Reg::new().write('b', "w", &context).unwrap());
    let before = r.clone();
    assert_eq!(
        r.write('a', "x", &context),
        Err(concord_register::Overflow::new(u64::MAX, 1))
    );
    assert_eq!(r, before, "a refused write changes nothing");
    assert!(r.write('c', "x", &context).is_ok());
}
