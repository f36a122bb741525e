use core::fmt;

/// An operation refused because a count would pass `u64::MAX`; nothing changed.
///
/// Every count in the family is a `u64` that never wraps: a counter's per-actor total, a
/// Lamport time, a vector clock entry, a dot's counter. A wrapped count would be smaller than
/// before, and merge (a maximum) would silently discard it on every other replica, so the
/// operation is refused instead and the state it was called on is left exactly as it was.
///
/// [`count`](Self::count) is the count before the refused operation and
/// [`amount`](Self::amount) what it was to grow by (1 for a clock tick or a new dot).
///
/// ```
/// use concord_core::Overflow;
///
/// fn add(count: &mut u64, amount: u64) -> Result<(), Overflow> {
///     *count = count.checked_add(amount).ok_or(Overflow::new(*count, amount))?;
///     Ok(())
/// }
///
/// let mut views = u64::MAX - 1;
/// add(&mut views, 1)?;
/// let err = add(&mut views, 1).unwrap_err();
/// assert_eq!((err.count(), err.amount()), (u64::MAX, 1));
/// assert_eq!(views, u64::MAX);
/// # Ok::<(), Overflow>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Overflow {
    count: u64,
    amount: u64,
}

impl Overflow {
    /// The refusal of growing `count` by `amount`.
    #[must_use]
    pub const fn new(count: u64, amount: u64) -> Self {
        Self { count, amount }
    }

    /// The count before the refused operation (for a `PnCounter`, its increment or decrement
    /// total, whichever was to grow).
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
            "count overflow: a count of {} cannot grow by {} within u64 (nothing changed)",
            self.count, self.amount
        )
    }
}

impl core::error::Error for Overflow {}
