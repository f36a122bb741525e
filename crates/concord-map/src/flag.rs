use core::fmt;

use concord_clock::{Causal, DotContext, DotFun, DotSet};
use concord_core::{Actor, Dot, Overflow, ReplicaId};

/// An enable-wins flag: a boolean that replicas enable and disable on their own, where an
/// enable concurrent with a disable wins.
///
/// The flag is the `ewflag` of Almeida, Shoker and Baquero ("Delta State Replicated Data
/// Types", 2018), built on the dot-store kernel of `concord-clock` as a [`Causal`] state over
/// a [`DotSet`]: every enable is an event with its own [`Dot`], and the flag is enabled while
/// some enable has not been disabled. A disable removes exactly the enables its replica has
/// observed, so
///
/// - an enable concurrent with a disable survives it (enable wins);
/// - a disable after seeing every enable disables the flag everywhere, whatever order the
///   deltas travel in;
/// - the flag starts disabled ([`new`](Self::new), the bottom of the lattice: no enable seen).
///
/// # Metadata
///
/// A disable stores no tombstone: the delta is the context of the enables it removes, with an
/// empty store. An [`enable`](Self::enable) replaces every enable its replica holds, so a
/// replica holds at most one dot per actor that enabled concurrently once the deltas in flight
/// have arrived (or whenever replicas exchange full states), and the context compacts to one
/// counter per actor: O(actors) after any history. A replica receiving deltas out of order can
/// hold, for a while, an enable that a disable it has not received yet removes.
///
/// # Decoding
///
/// The wire form is the kernel's: the live dots, then the context. With the `serde` feature,
/// decoding refuses dots out of order or repeated, more than
/// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) dots, and a dot missing from the context. Any
/// set of dots inside the context is the state of some history (enables made concurrently at
/// several replicas, one actor's older enable kept by a replica that has not received the
/// disable which removed it), and the merge handles any number of them, so nothing more is
/// refused.
///
/// # Examples
///
/// ```
/// use concord_map::{EwFlag, Merge};
///
/// let mut phone = EwFlag::<u64>::new();
/// let mut laptop = EwFlag::<u64>::new();
/// assert!(!phone.is_enabled()); // flags start disabled
///
/// laptop.merge(&phone.enable(1)?);
/// // The laptop disables the flag while the phone, not having seen that, enables it again.
/// let off = laptop.disable();
/// let on = phone.enable(1)?;
/// phone.merge(&off);
/// laptop.merge(&on);
/// assert!(phone.is_enabled() && laptop.is_enabled()); // the concurrent enable wins
/// assert_eq!(phone, laptop);
///
/// // A disable that has seen every enable disables the flag everywhere.
/// phone.merge(&laptop.disable());
/// assert!(!phone.is_enabled());
/// # Ok::<(), concord_map::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct EwFlag<A = ReplicaId> {
    /// The enables not disabled yet, and every enable seen.
    state: Causal<DotSet<A>, A>,
}

impl<A> Default for EwFlag<A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<A: Actor> fmt::Debug for EwFlag<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EwFlag")
            .field("enabled", &self.is_enabled())
            .field("dots", &self.state.store().as_slice())
            .field("context", self.state.context())
            .finish()
    }
}

impl<A: Actor> EwFlag<A> {
    /// A disabled flag that has seen nothing: the bottom.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables the flag as `actor` and returns the delta to ship: the new enable, and the
    /// enables this replica held, as seen (the new one replaces them).
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already has a dot with counter `u64::MAX` (only a misbehaving
    /// peer's state gets there); the flag is unchanged.
    pub fn enable(&mut self, actor: A) -> Result<Self, Overflow> {
        let dot = self.state.next_dot(actor)?;
        let replaced = self.state.store().to_context();
        let delta = Causal::from_store(DotSet::from_dot(dot), replaced);
        Ok(Self {
            state: self.state.apply(delta),
        })
    }

    /// Disables the flag and returns the delta to ship: no enable, only the enables this
    /// replica has observed, as seen. Merged anywhere, it removes exactly those enables; an
    /// enable it did not observe survives. Disabling a disabled flag returns an empty delta.
    pub fn disable(&mut self) -> Self {
        let observed = self.state.store().to_context();
        let delta = Causal::from_store(DotSet::new(), observed);
        Self {
            state: self.state.apply(delta),
        }
    }

    /// Whether the flag is enabled: some enable has not been disabled.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !self.state.store().is_empty()
    }

    /// The dots of the enables not disabled, in order.
    #[must_use]
    pub fn dots(&self) -> &[Dot<A>] {
        self.state.store().as_slice()
    }

    /// Every enable this flag has seen, disabled or not.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The flag as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotSet<A>, A> {
        &self.state
    }
}

impl<A> From<Causal<DotSet<A>, A>> for EwFlag<A> {
    /// The flag whose enables are the store's dots.
    fn from(state: Causal<DotSet<A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!([A: Actor] EwFlag<A>, DotSet<A>, A);

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for EwFlag<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::EW_FLAG;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "EwFlag";
}

/// Builds a valid flag: dots sorted, unique, with nonzero counters, all inside the context.
#[cfg(feature = "arbitrary")]
impl<'a, A> arbitrary::Arbitrary<'a> for EwFlag<A>
where
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut dots: alloc::vec::Vec<Dot<A>> = u.arbitrary()?;
        dots.retain(|dot| dot.counter != 0);
        dots.sort_unstable();
        dots.dedup();
        dots.truncate(concord_core::MAX_ENTRIES);
        let store = DotSet::from_sorted(dots).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let context: DotContext<A> = u.arbitrary()?;
        Ok(Self {
            state: Causal::from_store(store, context),
        })
    }
}

/// A disable-wins flag: a boolean that replicas enable and disable on their own, where a
/// disable concurrent with an enable wins.
///
/// Built on the dot-store kernel of `concord-clock` as a [`Causal`] state over a [`DotFun`]
/// from dot to `bool`: every [`enable`](Self::enable) and every [`disable`](Self::disable) is
/// an event with its own [`Dot`] that records `true` or `false` and replaces the events its
/// replica had observed. The flag is enabled when some event survives and every surviving
/// event is an enable, so
///
/// - a disable concurrent with an enable survives beside it, and the flag reads disabled
///   (disable wins);
/// - an enable after seeing every disable enables the flag everywhere;
/// - the flag starts disabled: [`new`](Self::new), the bottom of the lattice, holds no event.
///
/// Both flags of this crate therefore start disabled, and their bottoms agree. The `dwflag` of
/// the delta-enabled-crdts reference implementation instead starts enabled (its disables are
/// dots, its enables only remove them); here both operations are dots, so that a flag that
/// was never written is off, as a missing key of a map of flags is.
///
/// # Metadata
///
/// Each operation replaces every event its replica holds, so a replica holds at most one dot
/// per actor that wrote concurrently once the deltas in flight have arrived (or whenever
/// replicas exchange full states), and the context compacts to one counter per actor.
///
/// # Decoding
///
/// The wire form is the kernel's: the live events as `(dot, bool)` pairs, then the context.
/// With the `serde` feature, decoding refuses events out of dot order or repeated, more than
/// [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) events, and a dot missing from the context. Any
/// set of enables and disables inside the context is the state of some history, and the merge
/// handles any number of them, so nothing more is refused.
///
/// # Examples
///
/// ```
/// use concord_map::{DwFlag, Merge};
///
/// let mut phone = DwFlag::<u64>::new();
/// let mut laptop = DwFlag::<u64>::new();
/// assert!(!phone.is_enabled()); // flags start disabled
///
/// laptop.merge(&phone.enable(1)?);
/// assert!(laptop.is_enabled());
/// // The laptop disables the flag while the phone, not having seen that, enables it again.
/// let off = laptop.disable(2)?;
/// let on = phone.enable(1)?;
/// phone.merge(&off);
/// laptop.merge(&on);
/// assert!(!phone.is_enabled() && !laptop.is_enabled()); // the concurrent disable wins
/// assert_eq!(phone, laptop);
///
/// // An enable that has seen the disable enables the flag everywhere.
/// laptop.merge(&phone.enable(1)?);
/// assert!(laptop.is_enabled());
/// # Ok::<(), concord_map::Overflow>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "A: Actor + serde::Serialize",
            deserialize = "A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct DwFlag<A = ReplicaId> {
    /// The surviving enables (`true`) and disables (`false`), and every event seen.
    state: Causal<DotFun<bool, A>, A>,
}

impl<A> Default for DwFlag<A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<A: Actor> fmt::Debug for DwFlag<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DwFlag")
            .field("enabled", &self.is_enabled())
            .field("events", &self.state.store().entries())
            .field("context", self.state.context())
            .finish()
    }
}

impl<A: Actor> DwFlag<A> {
    /// A disabled flag that has seen nothing: the bottom.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables the flag as `actor` and returns the delta to ship: the new enable, and the
    /// events this replica held, as seen (the new one replaces them). A disable it did not
    /// observe survives it, and wins.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already has a dot with counter `u64::MAX` (only a misbehaving
    /// peer's state gets there); the flag is unchanged.
    pub fn enable(&mut self, actor: A) -> Result<Self, Overflow> {
        self.write(actor, true)
    }

    /// Disables the flag as `actor` and returns the delta to ship: the new disable, and the
    /// events this replica held, as seen (the new one replaces them). It wins over every
    /// enable it did not observe.
    ///
    /// # Errors
    ///
    /// [`Overflow`] when `actor` already has a dot with counter `u64::MAX` (only a misbehaving
    /// peer's state gets there); the flag is unchanged.
    pub fn disable(&mut self, actor: A) -> Result<Self, Overflow> {
        self.write(actor, false)
    }

    fn write(&mut self, actor: A, enabled: bool) -> Result<Self, Overflow> {
        let dot = self.state.next_dot(actor)?;
        let replaced: DotContext<A> = self
            .state
            .store()
            .entries()
            .iter()
            .map(|(d, _)| *d)
            .collect();
        let delta = Causal::from_store(DotFun::from_entry(dot, enabled), replaced);
        Ok(Self {
            state: self.state.apply(delta),
        })
    }

    /// Whether the flag is enabled: some event survives, and every surviving event is an
    /// enable (a surviving disable was concurrent with the enables beside it, and wins).
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        let store = self.state.store();
        !store.is_empty() && store.values().all(|&enabled| enabled)
    }

    /// The surviving events: each one's dot and whether it enabled, sorted by dot.
    #[must_use]
    pub fn events(&self) -> &[(Dot<A>, bool)] {
        self.state.store().entries()
    }

    /// Every event this flag has seen, surviving or replaced.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The flag as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotFun<bool, A>, A> {
        &self.state
    }
}

impl<A> From<Causal<DotFun<bool, A>, A>> for DwFlag<A> {
    /// The flag whose events are the store's entries.
    fn from(state: Causal<DotFun<bool, A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!([A: Actor] DwFlag<A>, DotFun<bool, A>, A);

#[cfg(feature = "serde")]
impl<A> concord_core::codec::WireType for DwFlag<A>
where
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::DW_FLAG;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "DwFlag";
}

/// Builds a valid flag: events sorted, unique, with nonzero counters, all inside the context.
#[cfg(feature = "arbitrary")]
impl<'a, A> arbitrary::Arbitrary<'a> for DwFlag<A>
where
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut events: alloc::vec::Vec<(Dot<A>, bool)> = u.arbitrary()?;
        events.retain(|(dot, _)| dot.counter != 0);
        events.sort_by_key(|(dot, _)| *dot);
        events.dedup_by(|(a, _), (b, _)| a == b);
        events.truncate(concord_core::MAX_ENTRIES);
        let store = DotFun::from_sorted(events).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let context: DotContext<A> = u.arbitrary()?;
        Ok(Self {
            state: Causal::from_store(store, context),
        })
    }
}
