//! Freeing tombstones once they are causally stable.

/// The stamps of a type whose removes leave stamped tombstones, and how to free them: what a
/// replication engine needs to keep such a type's metadata bounded without a manual call
/// (`concord-sync` does it from its acknowledgements).
///
/// A stamp `stable` is *causally stable* when every replica holds every write stamped
/// `<= stable`, and every write still to come (and every one not yet held everywhere) is
/// stamped above it. Then:
///
/// - [`compact_stable`](Self::compact_stable) may free the tombstones stamped `<= stable`:
///   the older writes they keep out are held everywhere already, so none can arrive later;
/// - [`forget_stable`](Self::forget_stable) may drop from a received delta every entry
///   stamped `<= stable`: it is a write this replica holds, or one a freed tombstone had
///   overruled, which must not come back.
///
/// Types without tombstones (the causal types free a remove's metadata on their own, counters
/// and clocks have none) name `()` as their stamp and keep the defaults, which do nothing.
///
/// ```
/// use concord_core::Stability;
///
/// /// A stamped value whose removal leaves its stamp.
/// #[derive(Default)]
/// struct Slot {
///     stamp: u64,
///     value: Option<&'static str>,
/// }
///
/// impl Stability for Slot {
///     type Stamp = u64;
///
///     fn greatest_stamp(&self) -> Option<u64> {
///         (self.stamp > 0).then_some(self.stamp)
///     }
///
///     /// One slot holds the greatest stamp itself, so it keeps it.
///     fn compact_stable(&mut self, _: &u64) -> usize {
///         0
///     }
///
///     fn forget_stable(&mut self, stable: &u64) {
///         if self.stamp <= *stable {
///             *self = Slot::default();
///         }
///     }
/// }
///
/// let mut late = Slot { stamp: 7, value: Some("old") };
/// late.forget_stable(&9);
/// assert_eq!(late.greatest_stamp(), None);
/// assert_eq!(late.value, None);
/// ```
pub trait Stability {
    /// The stamp of a write; `()` for a type without tombstones.
    type Stamp: Ord + Clone;

    /// The greatest stamp the state holds, live or tombstone; `None` for a state without
    /// stamps. A writer whose stamps pass this one (a Lamport or hybrid clock that observed
    /// the state) writes above everything the state holds.
    fn greatest_stamp(&self) -> Option<Self::Stamp> {
        None
    }

    /// Frees the tombstones stamped `<= stable` and returns how many entries went. The state
    /// reads the same afterwards, and its [greatest stamp](Self::greatest_stamp) stays (the
    /// entry holding it is kept), so a writer whose clock is moved past that stamp still
    /// writes above `stable`. `stable` must be causally stable (see the trait).
    fn compact_stable(&mut self, stable: &Self::Stamp) -> usize {
        let _ = stable;
        0
    }

    /// Drops every entry stamped `<= stable`, live or tombstone: applied to a received delta,
    /// it leaves what may be news. `stable` must be causally stable (see the trait).
    fn forget_stable(&mut self, stable: &Self::Stamp) {
        let _ = stable;
    }
}
