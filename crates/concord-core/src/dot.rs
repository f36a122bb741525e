use core::fmt;

/// One event of one replica: the `counter`-th event of `actor`, counting from 1.
///
/// Dots name writes in the dot-based types (the multi-value register and the observed-remove
/// set). A counter of 0 names no event; decoding refuses it.
///
/// # Validated decoding
///
/// `Dot` shows the pattern every type of the family follows: serialization writes the fields
/// as they are; deserialization reads an unchecked wire form and converts it with `TryFrom`,
/// which refuses states the merge could not handle (`#[serde(try_from = "...")]`). A decoder
/// therefore never hands out a state that breaks an invariant.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use concord_core::{codec, Dot};
///
/// let dot = Dot::new(7u64, 3);
/// let bytes = codec::encode(&dot)?;
/// assert_eq!(codec::decode::<Dot<u64>>(&bytes)?, dot);
///
/// let zero = codec::encode(&Dot { actor: 7u64, counter: 0 })?;
/// assert!(codec::decode::<Dot<u64>>(&zero).is_err());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "DotWire<A>",
        bound(deserialize = "A: serde::Deserialize<'de>")
    )
)]
pub struct Dot<A> {
    /// The replica that made the event.
    pub actor: A,
    /// Its sequence number at that replica, from 1.
    pub counter: u64,
}

impl<A> Dot<A> {
    /// The `counter`-th event of `actor`.
    #[must_use]
    pub const fn new(actor: A, counter: u64) -> Self {
        Self { actor, counter }
    }
}

impl<A: fmt::Debug> fmt::Debug for Dot<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.actor, self.counter)
    }
}

/// The unchecked wire form of a [`Dot`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct DotWire<A> {
    actor: A,
    counter: u64,
}

#[cfg(feature = "serde")]
impl<A> TryFrom<DotWire<A>> for Dot<A> {
    type Error = crate::ValidationError;

    fn try_from(wire: DotWire<A>) -> Result<Self, Self::Error> {
        if wire.counter == 0 {
            return Err(crate::ValidationError::ZeroEntry);
        }
        Ok(Self {
            actor: wire.actor,
            counter: wire.counter,
        })
    }
}

#[cfg(feature = "serde")]
impl<A> crate::codec::WireType for Dot<A>
where
    A: crate::Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = crate::codec::tag::DOT;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Dot";
}
