use core::fmt;

/// The largest number of entries (actors, elements, siblings) a decoded state may hold.
///
/// Decoding refuses larger states with [`ValidationError::TooMany`], so a hostile peer cannot
/// make a replica hold an arbitrarily large state through one message.
pub const MAX_ENTRIES: usize = 1 << 20;

/// Why a decoded state was refused: it breaks an invariant the merge relies on.
///
/// The type crates turn their wire form into their state through `TryFrom` and return this
/// error, so every refusal reads the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    /// Entries that must be in strictly increasing order are not.
    Unsorted,
    /// The same key appears twice.
    Duplicate,
    /// An entry holds a zero that the canonical form never stores.
    ZeroEntry,
    /// More entries than the limit.
    TooMany {
        /// Entries found.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Parallel arrays of different lengths.
    LengthMismatch,
    /// Another broken invariant, described.
    Invalid(&'static str),
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsorted => f.write_str("entries are not in strictly increasing order"),
            Self::Duplicate => f.write_str("an entry appears twice"),
            Self::ZeroEntry => f.write_str("an entry holds zero, which is never stored"),
            Self::TooMany { len, max } => write!(f, "{len} entries exceed the limit of {max}"),
            Self::LengthMismatch => f.write_str("parallel arrays differ in length"),
            Self::Invalid(what) => f.write_str(what),
        }
    }
}

impl core::error::Error for ValidationError {}

impl ValidationError {
    /// Checks that `keys` is strictly increasing and at most [`MAX_ENTRIES`] long.
    ///
    /// ```
    /// use concord_core::ValidationError;
    ///
    /// assert_eq!(ValidationError::check_sorted(&[1, 2, 5]), Ok(()));
    /// assert_eq!(ValidationError::check_sorted(&[1, 1]), Err(ValidationError::Duplicate));
    /// ```
    ///
    /// # Errors
    ///
    /// [`ValidationError::TooMany`], [`ValidationError::Duplicate`] for equal neighbours or
    /// [`ValidationError::Unsorted`] for a decrease.
    pub fn check_sorted<K: Ord>(keys: &[K]) -> Result<(), Self> {
        Self::check_sorted_by_key(keys, |k| k)
    }

    /// Checks that the keys of `entries` are strictly increasing (so they are sorted and
    /// unique, the form a sorted map or set is stored in) and that there are at most
    /// [`MAX_ENTRIES`] entries: the check a decoder of such a state runs before handing it
    /// out.
    ///
    /// ```
    /// use concord_core::ValidationError;
    ///
    /// // (element, stamp) entries, keyed by element.
    /// let sorted = [("eggs", 2), ("milk", 1), ("tea", 4)];
    /// assert_eq!(ValidationError::check_sorted_by_key(&sorted, |(e, _)| e), Ok(()));
    ///
    /// let twice = [("eggs", 2), ("eggs", 3)];
    /// assert_eq!(
    ///     ValidationError::check_sorted_by_key(&twice, |(e, _)| e),
    ///     Err(ValidationError::Duplicate)
    /// );
    /// let unsorted = [("milk", 1), ("eggs", 2)];
    /// assert_eq!(
    ///     ValidationError::check_sorted_by_key(&unsorted, |(e, _)| e),
    ///     Err(ValidationError::Unsorted)
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`ValidationError::TooMany`] above the limit, [`ValidationError::Duplicate`] for
    /// neighbours with equal keys or [`ValidationError::Unsorted`] for a decrease.
    pub fn check_sorted_by_key<T, K: Ord>(
        entries: &[T],
        key: impl Fn(&T) -> &K,
    ) -> Result<(), Self> {
        Self::check_len(entries.len())?;
        for pair in entries.windows(2) {
            if let [a, b] = pair {
                match key(a).cmp(key(b)) {
                    core::cmp::Ordering::Less => {}
                    core::cmp::Ordering::Equal => return Err(Self::Duplicate),
                    core::cmp::Ordering::Greater => return Err(Self::Unsorted),
                }
            }
        }
        Ok(())
    }

    /// Checks that `len` is at most [`MAX_ENTRIES`].
    ///
    /// # Errors
    ///
    /// [`ValidationError::TooMany`] above the limit.
    pub fn check_len(len: usize) -> Result<(), Self> {
        if len > MAX_ENTRIES {
            Err(Self::TooMany {
                len,
                max: MAX_ENTRIES,
            })
        } else {
            Ok(())
        }
    }
}
