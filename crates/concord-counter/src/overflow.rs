use core::fmt;

/// An increment or decrement refused because one actor's count would pass `u64::MAX`.
///
/// Per-actor counts are `u64` and never wrap: a wrapped count would be smaller than before, and
/// merge (a per-actor maximum) would silently discard it on every other replica. The operation
/// that returns this error leaves the counter exactly as it was.
///
/// ```
/// use concord_counter::GCounter;
///
/// let mut views = GCounter::<u64>::new();
/// views.increment(1, u64::MAX)?;
/// let err = views.increment(1, 1).unwrap_err();
/// assert_eq!((err.count(), err.amount()), (u64::MAX, 1));
/// assert_eq!(views.get(&1), u64::MAX);
/// # Ok::<(), concord_counter::Overflow>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Overflow {
    count: u64,
    amount: u64,
}

impl Overflow {
    pub(crate) const fn new(count: u64, amount: u64) -> Self {
        Self { count, amount }
    }

    /// The actor's count before the refused operation (for a `PnCounter`, its increment or
    /// decrement total, whichever was to grow).
    #[must_use]
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// The amount that was refused.
    #[must_use]
    pub const fn amount(&self) -> u64 {
        self.amount
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "count overflow: an actor's count of {} cannot grow by {} within u64 (counter unchanged)",
            self.count, self.amount
        )
    }
}

impl core::error::Error for Overflow {}
