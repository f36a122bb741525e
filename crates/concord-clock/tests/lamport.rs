//! Lamport clocks: ticks, the receive rule and overflow refusal.

use concord_clock::{LamportClock, LamportTimestamp, Merge, Overflow};

#[test]
fn tick_and_receive_rule() {
    let mut a = LamportClock::new(1u64);
    let mut b = LamportClock::new(2u64);
    assert_eq!(a.tick(), Ok(LamportTimestamp::new(1, 1)));
    assert_eq!(a.tick(), Ok(LamportTimestamp::new(2, 1)));
    b.observe(&a.current()).unwrap();
    assert_eq!(b.time(), 3);
    b.observe(&LamportTimestamp::new(1, 1)).unwrap();
    assert_eq!(b.time(), 4);
}

#[test]
fn observe_refuses_overflow_and_changes_nothing() {
    let mut c = LamportClock::new(1u64);
    c.tick().unwrap();
    let before = c;
    assert_eq!(
        c.observe(&LamportTimestamp::new(u64::MAX, 2)),
        Err(Overflow::new(u64::MAX, 1))
    );
    assert_eq!(c, before);
    c.observe(&LamportTimestamp::new(u64::MAX - 1, 2)).unwrap();
    assert_eq!(c.time(), u64::MAX);
    assert_eq!(c.tick(), Err(Overflow::new(u64::MAX, 1)));
    assert_eq!(c.time(), u64::MAX);
}

#[test]
fn timestamps_order_by_time_then_actor() {
    let mut t = LamportTimestamp::new(3, 9u64);
    assert!(t < LamportTimestamp::new(4, 0));
    assert!(t < LamportTimestamp::new(3, 10));
    t.merge(&LamportTimestamp::new(3, 2));
    assert_eq!(t, LamportTimestamp::new(3, 9));
    t.merge(&LamportTimestamp::new(5, 2));
    assert_eq!(t, LamportTimestamp::new(5, 2));
}
