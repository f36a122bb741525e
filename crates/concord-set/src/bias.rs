use core::cmp::Ordering;
use core::fmt::Debug;
use core::hash::Hash;

mod sealed {
    /// Keeps [`Bias`](super::Bias) closed: the two markers are the only biases.
    pub trait Sealed {}
    impl Sealed for super::AddWins {}
    impl Sealed for super::RemoveWins {}
}

/// Decides an element whose add stamp and remove stamp are equal.
///
/// Only two biases exist, [`AddWins`] and [`RemoveWins`]; the trait is sealed. The bias is a
/// type parameter of [`LwwElementSet`](crate::LwwElementSet) rather than a runtime flag, so two
/// replicas of one type cannot disagree on it, and the encoding records it so a set encoded
/// with one bias is refused when decoded with the other.
///
/// Equal stamps only happen when stamps carry no replica id (for example plain wall-clock
/// seconds from two devices); stamps such as `LamportTimestamp` break every tie by actor, and
/// then the bias never matters.
pub trait Bias:
    sealed::Sealed + Copy + Default + Debug + Eq + Ord + Hash + Send + Sync + 'static
{
    /// Whether an add and a remove with equal stamps leave the element present.
    const ADD_WINS_TIES: bool;
    /// A name for debug output and error messages.
    const NAME: &'static str;
    /// The byte that records the bias in the encoding.
    #[doc(hidden)]
    const WIRE: u8;

    /// Whether an element with these stamps is present: it has an add stamp, and that stamp
    /// is greater than the remove stamp (or equal to it, when ties go to the add).
    #[must_use]
    fn present<S: Ord>(add: Option<&S>, remove: Option<&S>) -> bool {
        match (add, remove) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(add), Some(remove)) => match add.cmp(remove) {
                Ordering::Greater => true,
                Ordering::Equal => Self::ADD_WINS_TIES,
                Ordering::Less => false,
            },
        }
    }
}

/// Bias marker: an add and a remove with equal stamps leave the element present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddWins;

/// Bias marker: an add and a remove with equal stamps leave the element absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RemoveWins;

impl Bias for AddWins {
    const ADD_WINS_TIES: bool = true;
    const NAME: &'static str = "AddWins";
    const WIRE: u8 = 0;
}

impl Bias for RemoveWins {
    const ADD_WINS_TIES: bool = false;
    const NAME: &'static str = "RemoveWins";
    const WIRE: u8 = 1;
}
