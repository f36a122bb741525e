//! The hybrid logical clock: monotonicity, the receive rule, drift refusal and overflow.

use concord_clock::{
    ClockSkew, DEFAULT_MAX_DRIFT_MS, HybridClock, HybridTimestamp, ManualTimeSource, Merge,
};

const T0: u64 = 1_700_000_000_000;

fn clock(actor: u64, time: &ManualTimeSource) -> HybridClock<u64, ManualTimeSource> {
    HybridClock::new(actor, time.clone())
}

#[test]
fn follows_physical_time_when_it_moves_forward() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    assert_eq!(c.now(), HybridTimestamp::new(T0, 0, 1));
    time.advance(10);
    assert_eq!(c.now(), HybridTimestamp::new(T0 + 10, 0, 1));
    assert_eq!(c.last(), HybridTimestamp::new(T0 + 10, 0, 1));
}

#[test]
fn counts_events_within_one_millisecond() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    let stamps: Vec<_> = (0..5).map(|_| c.now()).collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(stamps.last().map(|s| (s.wall, s.logical)), Some((T0, 4)));
}

#[test]
fn monotonic_when_physical_time_jumps_backwards() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    let mut last = c.now();
    // A backwards jump of a minute, then slow recovery past the old time.
    time.rewind(60_000);
    for step in 0..200 {
        time.advance(if step % 3 == 0 { 700 } else { 0 });
        let next = c.now();
        assert!(next > last, "{next:?} after {last:?}");
        last = next;
    }
    // Once physical time passes the old high-water mark, the clock follows it again.
    time.set(T0 + 100_000);
    assert_eq!(c.now(), HybridTimestamp::new(T0 + 100_000, 0, 1));
}

#[test]
fn stays_at_the_high_water_mark_while_physical_time_lags() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    c.now();
    time.rewind(5);
    assert_eq!(c.now(), HybridTimestamp::new(T0, 1, 1));
    time.advance(3); // still behind
    assert_eq!(c.now(), HybridTimestamp::new(T0, 2, 1));
}

#[test]
fn receive_rule_orders_after_the_message() {
    let (ta, tb) = (ManualTimeSource::new(T0 + 100), ManualTimeSource::new(T0));
    let (mut a, mut b) = (clock(1, &ta), clock(2, &tb));
    let sent = a.now();
    b.observe(&sent).unwrap();
    let reply = b.now();
    assert!(reply > sent);
    assert_eq!((reply.wall, reply.actor), (T0 + 100, 2));
    // Equal walls on both sides: the logical part is above both.
    let mut c = clock(3, &ManualTimeSource::new(T0 + 100));
    for _ in 0..4 {
        c.now();
    }
    c.observe(&HybridTimestamp::new(T0 + 100, 9, 1)).unwrap();
    assert_eq!((c.last().wall, c.last().logical), (T0 + 100, 10));
    c.observe(&HybridTimestamp::new(T0 + 100, 2, 1)).unwrap();
    assert_eq!((c.last().wall, c.last().logical), (T0 + 100, 11));
}

#[test]
fn observing_an_older_time_still_advances() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    let before = c.now();
    c.observe(&HybridTimestamp::new(T0 - 50, 3, 2)).unwrap();
    assert!(c.last() > before);
    // Physical time ahead of both: the clock jumps to it with a fresh counter.
    time.advance(20);
    c.observe(&HybridTimestamp::new(T0, 7, 2)).unwrap();
    assert_eq!(c.last(), HybridTimestamp::new(T0 + 20, 0, 1));
}

#[test]
fn drift_refusal_leaves_the_clock_unchanged() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    assert_eq!(c.max_drift(), DEFAULT_MAX_DRIFT_MS);
    c.now();
    let before = c.clone().last();
    let far = HybridTimestamp::new(T0 + DEFAULT_MAX_DRIFT_MS + 1, 0, 2);
    let err = c.observe(&far).unwrap_err();
    assert_eq!(
        err,
        ClockSkew {
            remote_wall: T0 + DEFAULT_MAX_DRIFT_MS + 1,
            physical: T0,
            max_drift: DEFAULT_MAX_DRIFT_MS,
        }
    );
    assert_eq!(err.ahead_by(), DEFAULT_MAX_DRIFT_MS + 1);
    assert!(err.to_string().contains("ahead"));
    assert_eq!(c.last(), before);
    // Exactly at the bound is accepted.
    let edge = HybridTimestamp::new(T0 + DEFAULT_MAX_DRIFT_MS, 4, 2);
    c.observe(&edge).unwrap();
    assert_eq!(
        c.last(),
        HybridTimestamp::new(T0 + DEFAULT_MAX_DRIFT_MS, 5, 1)
    );
}

#[test]
fn max_drift_is_configurable() {
    let time = ManualTimeSource::new(T0);
    let mut strict = clock(1, &time).with_max_drift(10);
    assert!(
        strict
            .observe(&HybridTimestamp::new(T0 + 11, 0, 2))
            .is_err()
    );
    assert!(strict.observe(&HybridTimestamp::new(T0 + 10, 0, 2)).is_ok());
    let mut lax = clock(1, &time).with_max_drift(60_000);
    assert!(
        lax.observe(&HybridTimestamp::new(T0 + 59_000, 0, 2))
            .is_ok()
    );
}

#[test]
fn logical_overflow_moves_to_the_next_millisecond() {
    let time = ManualTimeSource::new(T0);
    let mut c = clock(1, &time);
    c.observe(&HybridTimestamp::new(T0, u32::MAX - 1, 2))
        .unwrap();
    assert_eq!(c.last(), HybridTimestamp::new(T0, u32::MAX, 1));
    let next = c.now();
    assert_eq!(next, HybridTimestamp::new(T0 + 1, 0, 1));
    assert!(next > HybridTimestamp::new(T0, u32::MAX, 2));
    // A remote with a full counter at our wall: the receive rule overflows the same way.
    let mut d = clock(3, &time);
    d.observe(&HybridTimestamp::new(T0, u32::MAX, 2)).unwrap();
    assert_eq!(d.last(), HybridTimestamp::new(T0 + 1, 0, 3));
}

#[test]
fn saturates_at_the_largest_time() {
    let time = ManualTimeSource::new(u64::MAX);
    let mut c = clock(1, &time);
    c.observe(&HybridTimestamp::new(u64::MAX, u32::MAX, 2))
        .unwrap();
    assert_eq!(c.now(), HybridTimestamp::new(u64::MAX, u32::MAX, 1));
    assert_eq!(c.now(), HybridTimestamp::new(u64::MAX, u32::MAX, 1));
}

#[test]
fn timestamps_order_by_wall_then_logical_then_actor() {
    let a = HybridTimestamp::new(5, 9, 9u64);
    let b = HybridTimestamp::new(6, 0, 0u64);
    let c = HybridTimestamp::new(6, 1, 0u64);
    let d = HybridTimestamp::new(6, 1, 1u64);
    assert!(a < b && b < c && c < d);
    let mut m = c;
    m.merge(&a);
    assert_eq!(m, c);
    m.merge(&d);
    assert_eq!(m, d);
}

#[test]
fn two_clocks_never_issue_the_same_timestamp() {
    let time = ManualTimeSource::new(T0);
    let (mut a, mut b) = (clock(1, &time), clock(2, &time));
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..100 {
        if i % 7 == 0 {
            time.advance(1);
        }
        let (x, y) = (a.now(), b.now());
        a.observe(&y).unwrap();
        b.observe(&x).unwrap();
        assert!(seen.insert(x) && seen.insert(y));
    }
}

#[cfg(feature = "std")]
#[test]
fn system_time_source_reads_the_wall_clock() {
    use concord_clock::{SystemTimeSource, TimeSource};
    let millis = SystemTimeSource.now_millis();
    // After 2020-01-01 and before 2200-01-01.
    assert!((1_577_836_800_000..7_258_118_400_000).contains(&millis));
    let mut c = HybridClock::system(1u64);
    let (a, b) = (c.now(), c.now());
    assert!(b > a);
}
