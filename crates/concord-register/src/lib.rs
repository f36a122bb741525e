#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod lww_register;
mod mv_register;

#[cfg(feature = "laws")]
#[cfg_attr(docsrs, doc(cfg(feature = "laws")))]
pub mod laws;

pub use concord_clock;
pub use concord_core::{self, Actor, Merge, Overflow, ReplicaId};
pub use lww_register::LwwRegister;
pub use mv_register::MvRegister;

/// The examples of `concord-derive`, run here (the derive's own crate cannot depend on
/// `concord-core`).
///
/// A struct of CRDTs merges field by field:
///
/// ```
/// use concord_core::Merge;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Max(u64);
/// impl Merge for Max {
///     fn merge(&mut self, other: &Self) { self.0 = self.0.max(other.0) }
/// }
///
/// #[derive(Clone, Debug, PartialEq, Merge)]
/// struct Scores {
///     best: Max,
///     per_level: (Max, Max),
///     first_seen: Option<Max>,
/// }
///
/// let mut a = Scores { best: Max(3), per_level: (Max(1), Max(9)), first_seen: None };
/// let b = Scores { best: Max(5), per_level: (Max(2), Max(0)), first_seen: Some(Max(7)) };
/// a.merge(&b);
/// assert_eq!(a, Scores { best: Max(5), per_level: (Max(2), Max(9)), first_seen: Some(Max(7)) });
/// ```
///
/// The source article's `UserProfile` of three registers:
///
/// ```
/// use concord_core::{Merge, ReplicaId};
/// use concord_register::LwwRegister;
/// use concord_register::concord_clock::{HybridClock, ManualTimeSource};
///
/// #[derive(Clone, Debug, PartialEq, Merge)]
/// struct UserProfile {
///     name: LwwRegister<String>,
///     email: LwwRegister<String>,
///     city: LwwRegister<String>,
/// }
///
/// let time = ManualTimeSource::new(1_700_000_000_000);
/// let mut clock = HybridClock::new(ReplicaId::from_u128(1), time.clone());
/// let mut here = UserProfile {
///     name: LwwRegister::new("Ada".to_string(), clock.now()),
///     email: LwwRegister::new("ada@example.org".to_string(), clock.now()),
///     city: LwwRegister::new("London".to_string(), clock.now()),
/// };
/// let mut there = here.clone();
/// there.city.set("Paris".to_string(), clock.now());
/// here.email.set("ada@lovelace.example".to_string(), clock.now());
/// here.merge(&there);
/// assert_eq!(here.city.value(), "Paris");
/// assert_eq!(here.email.value(), "ada@lovelace.example");
/// ```
///
/// A field that is not `Merge` is refused, at that field:
///
/// ```compile_fail,E0277
/// use concord_core::Merge;
///
/// #[derive(Merge)]
/// struct Profile {
///     visits: u64, // a plain number has no merge: is it a maximum, a sum, the last value?
/// }
/// ```
///
/// The path of the trait, named by hand:
///
/// ```
/// # use concord_core as my_crdts;
/// use my_crdts::Merge;
///
/// #[derive(Merge)]
/// #[merge(crate = "my_crdts")]
/// struct Nothing;
/// ```
#[cfg(doctest)]
pub struct DeriveDocs;
