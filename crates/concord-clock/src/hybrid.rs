use alloc::sync::Arc;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use concord_core::{Actor, Merge, ReplicaId};

/// The default largest distance, in milliseconds, that a remote time may run ahead of local
/// physical time before [`HybridClock::observe`] refuses it.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 500;

/// A source of physical time for a [`HybridClock`]: milliseconds since the Unix epoch.
///
/// The source may jump backwards (a clock correction); the hybrid clock stays monotonic anyway.
pub trait TimeSource {
    /// The current physical time in milliseconds since 1970-01-01T00:00:00Z.
    fn now_millis(&self) -> u64;
}

impl<S: TimeSource + ?Sized> TimeSource for &S {
    fn now_millis(&self) -> u64 {
        (**self).now_millis()
    }
}

/// The operating system's wall clock (`std::time::SystemTime`), the default source of a
/// [`HybridClock`].
///
/// A system time before the epoch reads as 0. The type exists with every feature set, so that
/// `HybridClock` has one definition with the same default parameters everywhere; it is a
/// [`TimeSource`] only with the `std` feature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SystemTimeSource;

#[cfg(feature = "std")]
impl TimeSource for SystemTimeSource {
    fn now_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A physical clock moved by hand, for tests and simulations.
///
/// Clones share one time: keep a clone, give another to a [`HybridClock`], and move time with
/// [`set`](Self::set) or [`advance`](Self::advance). The time is an atomic behind an `Arc`, so
/// the source is `Send + Sync` and clones may live on different threads.
///
/// ```
/// use concord_clock::{HybridClock, ManualTimeSource};
///
/// let time = ManualTimeSource::new(1_000);
/// let mut clock = HybridClock::new(1u64, time.clone());
/// assert_eq!(clock.now().wall, 1_000);
/// time.advance(5);
/// assert_eq!(clock.now().wall, 1_005);
///
/// // Another thread can move the same time.
/// let remote = time.clone();
/// std::thread::spawn(move || remote.set(2_000)).join().unwrap();
/// assert_eq!(time.millis(), 2_000);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualTimeSource {
    millis: Arc<AtomicU64>,
}

impl ManualTimeSource {
    /// A source reading `millis`.
    #[must_use]
    pub fn new(millis: u64) -> Self {
        Self {
            millis: Arc::new(AtomicU64::new(millis)),
        }
    }

    /// Sets the time, forwards or backwards, for every clone.
    pub fn set(&self, millis: u64) {
        self.millis.store(millis, Ordering::SeqCst);
    }

    /// Moves the time forwards by `millis` (saturating at `u64::MAX`).
    pub fn advance(&self, millis: u64) {
        self.update(|now| now.saturating_add(millis));
    }

    /// Moves the time backwards by `millis` (saturating at 0), as a clock correction does.
    pub fn rewind(&self, millis: u64) {
        self.update(|now| now.saturating_sub(millis));
    }

    /// The current reading, in milliseconds.
    #[must_use]
    pub fn millis(&self) -> u64 {
        self.millis.load(Ordering::SeqCst)
    }

    fn update(&self, step: impl Fn(u64) -> u64) {
        // `fetch_update` only fails when the closure returns `None`; this one never does.
        let _ = self
            .millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(step(now)));
    }
}

impl TimeSource for ManualTimeSource {
    fn now_millis(&self) -> u64 {
        self.millis()
    }
}

/// A hybrid logical clock timestamp: physical milliseconds, a logical counter and the actor,
/// totally ordered in that order.
///
/// Merging keeps the greater timestamp, so a `HybridTimestamp` can order the writes of a
/// last-writer-wins register. Two clocks never issue the same timestamp (their actors differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct HybridTimestamp<A = ReplicaId> {
    /// Milliseconds since the Unix epoch: the largest physical time the issuing clock had
    /// seen, possibly a little ahead of its own physical clock.
    pub wall: u64,
    /// Events at the same `wall`, counted from 0.
    pub logical: u32,
    /// The replica that issued the timestamp; breaks ties.
    pub actor: A,
}

impl<A> HybridTimestamp<A> {
    /// The timestamp `(wall, logical)` of `actor`.
    #[must_use]
    pub const fn new(wall: u64, logical: u32, actor: A) -> Self {
        Self {
            wall,
            logical,
            actor,
        }
    }
}

impl<A: Actor> Merge for HybridTimestamp<A> {
    /// Keeps the greater timestamp.
    fn merge(&mut self, other: &Self) {
        if *other > *self {
            *self = *other;
        }
    }
}

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for HybridTimestamp<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::HYBRID_TIMESTAMP;
    const VERSION: u16 = 1;
    const NAME: &'static str = "HybridTimestamp";
}

/// A remote time that [`HybridClock::observe`] refused because it runs too far ahead of local
/// physical time. The clock is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClockSkew {
    /// The remote timestamp's physical milliseconds.
    pub remote_wall: u64,
    /// Local physical time when it was refused.
    pub physical: u64,
    /// The largest distance allowed, in milliseconds.
    pub max_drift: u64,
}

impl ClockSkew {
    /// How far the remote time ran ahead of local physical time, in milliseconds.
    #[must_use]
    pub const fn ahead_by(&self) -> u64 {
        self.remote_wall.saturating_sub(self.physical)
    }
}

impl fmt::Display for ClockSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "remote time {} ms is {} ms ahead of local physical time {} ms (at most {} ms allowed); the clock is unchanged",
            self.remote_wall,
            self.ahead_by(),
            self.physical,
            self.max_drift
        )
    }
}

impl core::error::Error for ClockSkew {}

/// The step after `(wall, logical)` at the same wall: the logical counter plus one, or, when
/// the counter is full, the next millisecond with the counter reset. Saturates at the largest
/// representable time.
const fn bump(wall: u64, logical: u32) -> (u64, u32) {
    match logical.checked_add(1) {
        Some(next) => (wall, next),
        None => match wall.checked_add(1) {
            Some(next) => (next, 0),
            None => (wall, logical),
        },
    }
}

/// A hybrid logical clock (Kulkarni, Demirbas, Madeppa, Avva and Leone, "Logical
/// Physical Clocks", 2014): timestamps that follow physical time closely yet never go
/// backwards and respect causality like a Lamport clock.
///
/// Each timestamp carries the largest physical time seen (`wall`, in milliseconds since
/// the Unix epoch) and a logical counter that orders events within one millisecond.
/// [`now`](Self::now) stamps a local event; [`observe`](Self::observe) applies the
/// receive rule to a remote timestamp, refusing one that runs more than
/// [`max_drift`](Self::max_drift) ahead of local physical time (500 ms by default), so
/// one peer with a broken clock cannot drag every clock into the future.
///
/// # Limits
///
/// - The logical counter is a `u32`. When it would overflow (more than 2³² events
///   within one millisecond, or a peer sending a full counter), the clock moves its
///   `wall` one millisecond ahead and resets the counter to 0; timestamps stay strictly
///   increasing.
/// - At the largest representable time (`wall == u64::MAX`, some 584 million years
///   after 1970, so only a broken time source reaches it) the clock saturates and
///   repeats its last timestamp.
///
/// ```
/// use concord_clock::{HybridClock, ManualTimeSource};
///
/// let time = ManualTimeSource::new(10_000);
/// let mut clock = HybridClock::new(1u64, time.clone());
/// let a = clock.now();
/// time.rewind(3_000); // the physical clock is corrected backwards
/// let b = clock.now();
/// assert!(b > a);
/// assert_eq!((b.wall, b.logical), (10_000, 1));
/// ```
///
/// `HybridClock` alone means `HybridClock<ReplicaId, SystemTimeSource>`. Without the `std`
/// feature there is no system clock: [`SystemTimeSource`] then implements no [`TimeSource`],
/// so a clock must name its own source, as in `HybridClock<u64, MySource>`.
#[derive(Clone, Debug)]
pub struct HybridClock<A = ReplicaId, S = SystemTimeSource> {
    last: HybridTimestamp<A>,
    max_drift: u64,
    source: S,
}

impl<A: Actor, S: TimeSource> HybridClock<A, S> {
    /// A clock for `actor` reading physical time from `source`, with the default maximum drift
    /// of [`DEFAULT_MAX_DRIFT_MS`].
    #[must_use]
    pub const fn new(actor: A, source: S) -> Self {
        Self {
            last: HybridTimestamp::new(0, 0, actor),
            max_drift: DEFAULT_MAX_DRIFT_MS,
            source,
        }
    }

    /// Sets how far, in milliseconds, a remote time may run ahead of local physical time.
    #[must_use]
    pub const fn with_max_drift(mut self, millis: u64) -> Self {
        self.max_drift = millis;
        self
    }

    /// The largest distance, in milliseconds, a remote time may run ahead of local physical
    /// time.
    #[must_use]
    pub const fn max_drift(&self) -> u64 {
        self.max_drift
    }

    /// The replica this clock belongs to.
    #[must_use]
    pub const fn actor(&self) -> A {
        self.last.actor
    }

    /// The time source.
    #[must_use]
    pub const fn source(&self) -> &S {
        &self.source
    }

    /// The clock's current state: the last timestamp it issued or reached by observing, with
    /// this clock's actor. `(0, 0)` before the first event.
    #[must_use]
    pub const fn last(&self) -> HybridTimestamp<A> {
        self.last
    }

    /// Stamps a local event (or a send). The result is greater than every timestamp this clock
    /// issued or observed before, even when physical time went backwards.
    pub fn now(&mut self) -> HybridTimestamp<A> {
        let physical = self.source.now_millis();
        let (wall, logical) = if physical > self.last.wall {
            (physical, 0)
        } else {
            bump(self.last.wall, self.last.logical)
        };
        self.last.wall = wall;
        self.last.logical = logical;
        self.last
    }

    /// Applies the receive rule to a remote timestamp: afterwards the clock is above both its
    /// old state and `remote`, so the next [`now`](Self::now) orders after the message.
    ///
    /// # Errors
    ///
    /// [`ClockSkew`] when `remote.wall` is more than [`max_drift`](Self::max_drift)
    /// milliseconds ahead of local physical time; the clock is unchanged.
    pub fn observe(&mut self, remote: &HybridTimestamp<A>) -> Result<(), ClockSkew> {
        let physical = self.source.now_millis();
        if remote.wall > physical.saturating_add(self.max_drift) {
            return Err(ClockSkew {
                remote_wall: remote.wall,
                physical,
                max_drift: self.max_drift,
            });
        }
        let local = self.last;
        let wall = local.wall.max(remote.wall).max(physical);
        let (wall, logical) = match (wall == local.wall, wall == remote.wall) {
            (true, true) => bump(wall, local.logical.max(remote.logical)),
            (true, false) => bump(wall, local.logical),
            (false, true) => bump(wall, remote.logical),
            (false, false) => (wall, 0),
        };
        self.last.wall = wall;
        self.last.logical = logical;
        Ok(())
    }
}

#[cfg(feature = "std")]
impl<A: Actor> HybridClock<A, SystemTimeSource> {
    /// A clock for `actor` on the operating system's wall clock.
    #[must_use]
    pub const fn system(actor: A) -> Self {
        Self::new(actor, SystemTimeSource)
    }
}
