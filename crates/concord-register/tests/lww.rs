//! Behaviour of the last-writer-wins register: ties, misbehaving peers, read-your-writes,
//! stale stamps and clock skew.

use concord_register::concord_clock::{
    ClockSkew, HybridClock, HybridTimestamp, LamportClock, LamportTimestamp, ManualTimeSource,
};
use concord_register::{LwwRegister, Merge, ReplicaId};

type Lamport = LwwRegister<&'static str, LamportTimestamp<u64>>;

#[test]
fn concurrent_writes_with_equal_times_are_ordered_by_actor() {
    let (mut clock_1, mut clock_2) = (LamportClock::new(1u64), LamportClock::new(2u64));
    let s1 = clock_1.tick().unwrap();
    let s2 = clock_2.tick().unwrap();
    assert_eq!(s1.time, s2.time, "a tie on time");

    // The greater value comes from the smaller actor, so a value tie-break would pick it.
    let mut a = Lamport::new("zebra", s1);
    let mut b = Lamport::new("aardvark", s2);
    let (a0, b0) = (a, b);
    a.merge(&b0);
    b.merge(&a0);
    assert_eq!(a, b);
    assert_eq!(*a.value(), "aardvark", "actor 2 > actor 1 decides");
    assert_eq!(*a.stamp(), s2);
}

#[test]
fn misbehaving_peer_with_the_same_stamp_still_converges() {
    // A peer reuses actor 1's stamp for a different value.
    let stamp = LamportTimestamp::new(7, 1u64);
    let honest = Lamport::new("kept?", stamp);
    let forged = Lamport::new("forged", stamp);

    let mut x = honest;
    x.merge(&forged);
    let mut y = forged;
    y.merge(&honest);
    assert_eq!(x, y, "both merge orders agree");
    assert_eq!(*x.value(), "kept?", "the greater value wins the tie");
    assert_eq!(*x.stamp(), stamp, "the stamp is never changed");

    // Idempotent and associative with a third, later write.
    let later = Lamport::new("later", LamportTimestamp::new(8, 2));
    assert_eq!(x.joined(&x), x);
    assert_eq!(
        honest.joined(&forged).joined(&later),
        honest.joined(&forged.joined(&later))
    );
    assert_eq!(*honest.joined(&later).joined(&forged).value(), "later");
}

#[test]
fn merge_keeps_one_of_its_inputs() {
    let small = Lamport::new("b", LamportTimestamp::new(3, 9));
    let big = Lamport::new("a", LamportTimestamp::new(4, 1));
    assert_eq!(small.joined(&big), big);
    assert_eq!(big.joined(&small), big);
    assert!(small < big);
    assert!(small <= small.joined(&big));
}

#[test]
fn a_clock_that_observes_gives_read_your_writes() {
    let (mut clock_1, mut clock_2) = (LamportClock::new(1u64), LamportClock::new(2u64));
    let mut at_1 = Lamport::new("v0", clock_1.tick().unwrap());
    let mut at_2 = at_1;
    clock_2.observe(at_2.stamp()).unwrap();

    // Replica 2 writes many times; replica 1 hears of it.
    for value in ["v1", "v2", "v3"] {
        let delta = at_2.set(value, clock_2.tick().unwrap());
        at_1.merge(&delta);
        clock_1.observe(delta.stamp()).unwrap();
    }
    // Replica 1's next write wins where it is made.
    at_1.set("mine", clock_1.tick().unwrap());
    assert_eq!(*at_1.value(), "mine");
}

#[test]
fn a_write_with_a_stale_stamp_loses_but_returns_its_delta() {
    let mut clock_1 = LamportClock::new(1u64);
    let mut at_1 = Lamport::new("v0", clock_1.tick().unwrap());
    // A remote write far ahead that the clock did not observe.
    at_1.merge(&Lamport::new("remote", LamportTimestamp::new(100, 2)));

    let stale = clock_1.tick().unwrap();
    let delta = at_1.set("lost", stale);
    assert_eq!(
        *at_1.value(),
        "remote",
        "an older write loses, wherever it is made"
    );
    assert_eq!(
        delta,
        Lamport::new("lost", stale),
        "the delta is the write itself"
    );
    let mut fresh = Lamport::new("v0", LamportTimestamp::new(1, 1));
    fresh.merge(&delta);
    assert_eq!(
        *fresh.value(),
        "lost",
        "it still wins over states older than it"
    );
}

/// How a replica receives a register: its clock observes the stamp first, and a stamp the
/// clock refuses is dropped with the state that carries it.
fn receive(
    clock: &mut HybridClock<ReplicaId, ManualTimeSource>,
    state: &mut LwwRegister<&'static str>,
    incoming: &LwwRegister<&'static str>,
) -> Result<(), ClockSkew> {
    clock.observe(incoming.stamp())?;
    state.merge(incoming);
    Ok(())
}

#[test]
fn a_stamp_far_in_the_future_is_refused_and_never_reaches_the_register() {
    let (eu, us, rogue) = (
        ReplicaId::from_u128(1),
        ReplicaId::from_u128(2),
        ReplicaId::from_u128(3),
    );
    let time = ManualTimeSource::new(1_700_000_000_000);
    let mut clock = HybridClock::new(eu, time.clone());
    let mut state = LwwRegister::new("v0", clock.now());
    let before_clock = clock.last();

    // A peer whose clock runs an hour ahead.
    let future = HybridTimestamp::new(time.millis() + 3_600_000, 0, rogue);
    let bad = LwwRegister::new("from the future", future);
    let refused = receive(&mut clock, &mut state, &bad).unwrap_err();
    assert_eq!(refused.remote_wall, future.wall);
    assert!(refused.ahead_by() > clock.max_drift());
    assert_eq!(*state.value(), "v0", "the register never saw it");
    assert_eq!(clock.last(), before_clock, "the clock is unchanged");

    // Had it reached the register, it would beat every local write for an hour.
    let mut unguarded = state;
    unguarded.merge(&bad);
    time.advance(1_000);
    unguarded.set("local", clock.now());
    assert_eq!(*unguarded.value(), "from the future");

    // A peer within the drift is accepted, and local writes still win afterwards.
    time.advance(1_000);
    let near = LwwRegister::new("near", HybridTimestamp::new(time.millis() + 100, 0, us));
    receive(&mut clock, &mut state, &near).unwrap();
    assert_eq!(*state.value(), "near");
    state.set("local", clock.now());
    assert_eq!(*state.value(), "local", "read-your-writes after observing");
}

#[test]
fn default_stamp_is_a_hybrid_timestamp() {
    let time = ManualTimeSource::new(5);
    let mut clock = HybridClock::new(ReplicaId::from_u128(9), time);
    let register: LwwRegister<u32> = LwwRegister::new(1, clock.now());
    let stamp: &HybridTimestamp<ReplicaId> = register.stamp();
    assert_eq!(stamp.wall, 5);
    assert_eq!(
        register.into_parts(),
        (1, HybridTimestamp::new(5, 0, ReplicaId::from_u128(9)))
    );
}

/// Catch-up from a stamp: a peer with an equal stamp but another value (only a misbehaving
/// peer makes one) is still sent the register, so both settle on the tie-break's winner; a
/// peer with a newer write is sent nothing.
#[test]
fn catch_up_settles_equal_stamps_and_sends_nothing_to_a_newer_peer() {
    use concord_register::concord_core::CatchUp;
    let stamp = LamportTimestamp::new(3, 1u64);
    let (x, mut y) = (Lamport::new("b", stamp), Lamport::new("a", stamp));
    y.merge(&x.delta_since(&y.summary()));
    assert_eq!(*y.value(), "b");

    let newer = Lamport::new("c", LamportTimestamp::new(4, 1));
    assert_eq!(x.delta_since(&newer.summary()), Lamport::default());
    let mut behind = Lamport::default();
    behind.merge(&newer.delta_since(&behind.summary()));
    assert_eq!(behind, newer);
}
