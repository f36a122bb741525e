use alloc::string::String;
use core::fmt;

use crate::{CatchUp, Merge, Novelty};

/// The laws the kit checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Law {
    /// `a ⊔ a == a`.
    Idempotence,
    /// `a ⊔ b == b ⊔ a`.
    Commutativity,
    /// `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`.
    Associativity,
    /// `a ≤ a ⊔ b` and `b ≤ a ⊔ b`.
    UpperBound,
    /// `a ≤ b ⇒ a ⊔ b == b`.
    LeastUpperBound,
    /// For a mutator `m` with delta `d`: `x ⊔ d == m(x)`; a refused operation changes nothing.
    DeltaInflation,
    /// All deltas, delivered in any order and duplicated, give the full-state result.
    DeltaDelivery,
    /// After every state reached every replica, all replicas are equal to the join of all
    /// states, and their value equals the oracle's.
    Convergence,
    /// A state decodes from its own encoding to an equal state, and whatever decodes obeys the
    /// merge laws together with honest states.
    Decode,
    /// `x ⊔ x.novel(d) == x ⊔ d` and `x.novel(d) ≤ d` ([`Novelty`]).
    Novelty,
    /// The catch-up exchange from `y.summary()` ends, within 64 rounds, at `y ⊔ x`, and
    /// `answer` agrees with `delta_since` ([`CatchUp`]).
    CatchUp,
}

impl Law {
    /// Every law, in the order the kit runs them.
    pub const ALL: [Law; 11] = [
        Law::Idempotence,
        Law::Commutativity,
        Law::Associativity,
        Law::UpperBound,
        Law::LeastUpperBound,
        Law::DeltaInflation,
        Law::DeltaDelivery,
        Law::Convergence,
        Law::Decode,
        Law::Novelty,
        Law::CatchUp,
    ];

    /// The law's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Law::Idempotence => "idempotence",
            Law::Commutativity => "commutativity",
            Law::Associativity => "associativity",
            Law::UpperBound => "upper bound",
            Law::LeastUpperBound => "least upper bound",
            Law::DeltaInflation => "delta inflation",
            Law::DeltaDelivery => "delta delivery",
            Law::Convergence => "convergence",
            Law::Decode => "decode",
            Law::Novelty => "novelty",
            Law::CatchUp => "catch-up",
        }
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken law, with the inputs that break it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LawViolation<T> {
    /// `a ⊔ a != a`.
    Idempotence {
        /// The state.
        a: T,
        /// `a ⊔ a`.
        merged: T,
    },
    /// `a ⊔ b != b ⊔ a`.
    Commutativity {
        /// Left input.
        a: T,
        /// Right input.
        b: T,
        /// `a ⊔ b`.
        ab: T,
        /// `b ⊔ a`.
        ba: T,
    },
    /// `(a ⊔ b) ⊔ c != a ⊔ (b ⊔ c)`.
    Associativity {
        /// First input.
        a: T,
        /// Second input.
        b: T,
        /// Third input.
        c: T,
        /// `(a ⊔ b) ⊔ c`.
        left: T,
        /// `a ⊔ (b ⊔ c)`.
        right: T,
    },
    /// `a ⊔ b` is not above one of its inputs.
    UpperBound {
        /// Left input.
        a: T,
        /// Right input.
        b: T,
        /// `a ⊔ b`.
        joined: T,
    },
    /// `a ≤ b` but `a ⊔ b != b`.
    LeastUpperBound {
        /// The smaller input.
        a: T,
        /// The larger input.
        b: T,
        /// `a ⊔ b`.
        joined: T,
    },
    /// Merging a mutator's delta into the old state does not give the new state.
    DeltaInflation {
        /// The state before the operation.
        before: T,
        /// The delta the operation returned.
        delta: T,
        /// The state after the operation.
        after: T,
        /// `before ⊔ delta`.
        merged: T,
    },
    /// An operation that returned no delta (refused) changed the state.
    RefusedOperationChanged {
        /// The state before.
        before: T,
        /// The state after.
        after: T,
    },
    /// Delivering every delta, shuffled and duplicated, did not give the join of all states.
    DeltaDelivery {
        /// The join of all replicas' full states.
        expected: T,
        /// What the deltas gave.
        got: T,
    },
    /// A replica differs from the join of all states after the final exchange.
    Divergence {
        /// Which replica.
        replica: usize,
        /// The join of all states.
        expected: T,
        /// The replica's state.
        got: T,
    },
    /// The converged value differs from the oracle's.
    Oracle {
        /// The oracle's value, rendered with `Debug`.
        expected: String,
        /// The replicas' value, rendered with `Debug`.
        got: String,
    },
    /// A state did not decode from its own encoding to an equal state.
    RoundTrip {
        /// The state.
        state: T,
        /// What came back, or the error, rendered with `Debug`.
        got: String,
    },
    /// `x ⊔ x.novel(d) != x ⊔ d` (a `novel` of `None` standing for no change).
    Novelty {
        /// The receiving state.
        x: T,
        /// The delta.
        delta: T,
        /// What `x.novel(delta)` returned.
        novel: Option<T>,
        /// `x ⊔ delta`.
        expected: T,
        /// `x ⊔ novel`.
        got: T,
    },
    /// `x.novel(d)` carries something `d` does not: `novel ⊔ d != d`.
    NoveltyNotSmaller {
        /// The receiving state.
        x: T,
        /// The delta.
        delta: T,
        /// What `x.novel(delta)` returned.
        novel: T,
    },
    /// The catch-up exchange of `y` with `x` did not leave `y` at `y ⊔ x`, or did not end
    /// within 64 rounds.
    CatchUp {
        /// The state that answers.
        x: T,
        /// The state that catches up.
        y: T,
        /// The join of the deltas `x` answered with.
        delta: T,
        /// `y ⊔ x`.
        expected: T,
        /// Where `y` ended.
        got: T,
    },
    /// `x.answer(&s).0 != x.delta_since(&s)` for a summary `s` of the exchange.
    AnswerDiffers {
        /// The state that answers.
        x: T,
        /// What `delta_since` returned.
        delta_since: T,
        /// What `answer` returned as its delta.
        answer: T,
    },
    /// A decoded hostile state broke a merge law together with honest states.
    Decoded {
        /// The bytes that decoded.
        bytes: alloc::vec::Vec<u8>,
        /// The law it broke.
        violation: alloc::boxed::Box<LawViolation<T>>,
    },
}

impl<T> LawViolation<T> {
    /// The law that failed.
    #[must_use]
    pub fn law(&self) -> Law {
        match self {
            Self::Idempotence { .. } => Law::Idempotence,
            Self::Commutativity { .. } => Law::Commutativity,
            Self::Associativity { .. } => Law::Associativity,
            Self::UpperBound { .. } => Law::UpperBound,
            Self::LeastUpperBound { .. } => Law::LeastUpperBound,
            Self::DeltaInflation { .. } | Self::RefusedOperationChanged { .. } => {
                Law::DeltaInflation
            }
            Self::DeltaDelivery { .. } => Law::DeltaDelivery,
            Self::Divergence { .. } | Self::Oracle { .. } => Law::Convergence,
            Self::RoundTrip { .. } | Self::Decoded { .. } => Law::Decode,
            Self::Novelty { .. } | Self::NoveltyNotSmaller { .. } => Law::Novelty,
            Self::CatchUp { .. } | Self::AnswerDiffers { .. } => Law::CatchUp,
        }
    }
}

impl<T: fmt::Debug> fmt::Display for LawViolation<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "law violated: {}\n{self:#?}", self.law())
    }
}

impl<T: fmt::Debug> core::error::Error for LawViolation<T> {}

/// Checks idempotence: `a ⊔ a == a`.
///
/// # Errors
///
/// [`LawViolation::Idempotence`] with the state and the merge result.
pub fn idempotent<T: Merge + Clone + PartialEq>(a: &T) -> Result<(), LawViolation<T>> {
    let merged = a.joined(a);
    if merged == *a {
        Ok(())
    } else {
        Err(LawViolation::Idempotence {
            a: a.clone(),
            merged,
        })
    }
}

/// Checks commutativity: `a ⊔ b == b ⊔ a`.
///
/// # Errors
///
/// [`LawViolation::Commutativity`] with both inputs and both results.
pub fn commutative<T: Merge + Clone + PartialEq>(a: &T, b: &T) -> Result<(), LawViolation<T>> {
    let ab = a.joined(b);
    let ba = b.joined(a);
    if ab == ba {
        Ok(())
    } else {
        Err(LawViolation::Commutativity {
            a: a.clone(),
            b: b.clone(),
            ab,
            ba,
        })
    }
}

/// Checks associativity: `(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)`.
///
/// # Errors
///
/// [`LawViolation::Associativity`] with the three inputs and both results.
pub fn associative<T: Merge + Clone + PartialEq>(
    a: &T,
    b: &T,
    c: &T,
) -> Result<(), LawViolation<T>> {
    let left = a.joined(b).joined(c);
    let right = a.joined(&b.joined(c));
    if left == right {
        Ok(())
    } else {
        Err(LawViolation::Associativity {
            a: a.clone(),
            b: b.clone(),
            c: c.clone(),
            left,
            right,
        })
    }
}

/// Checks that the join is an upper bound in the type's `PartialOrd`: `a ≤ a ⊔ b`, `b ≤ a ⊔ b`.
///
/// # Errors
///
/// [`LawViolation::UpperBound`] with the inputs and the join.
pub fn upper_bound<T: Merge + Clone + PartialOrd>(a: &T, b: &T) -> Result<(), LawViolation<T>> {
    let joined = a.joined(b);
    if *a <= joined && *b <= joined {
        Ok(())
    } else {
        Err(LawViolation::UpperBound {
            a: a.clone(),
            b: b.clone(),
            joined,
        })
    }
}

/// Checks that the join is the least upper bound: if `a ≤ b` then `a ⊔ b == b` (and the same
/// with the roles swapped). Vacuous for incomparable inputs; the kit also feeds it `(a, a ⊔ b)`.
///
/// # Errors
///
/// [`LawViolation::LeastUpperBound`] with the smaller input first.
pub fn least_upper_bound<T: Merge + Clone + PartialOrd>(
    a: &T,
    b: &T,
) -> Result<(), LawViolation<T>> {
    for (lo, hi) in [(a, b), (b, a)] {
        if lo <= hi {
            let joined = lo.joined(hi);
            if joined != *hi {
                return Err(LawViolation::LeastUpperBound {
                    a: lo.clone(),
                    b: hi.clone(),
                    joined,
                });
            }
        }
    }
    Ok(())
}

/// Checks the delta law for one mutation: `before ⊔ delta == after`.
///
/// # Errors
///
/// [`LawViolation::DeltaInflation`] with the three states and the merge result.
pub fn delta_inflation<T: Merge + Clone + PartialEq>(
    before: &T,
    delta: &T,
    after: &T,
) -> Result<(), LawViolation<T>> {
    let merged = before.joined(delta);
    if merged == *after {
        Ok(())
    } else {
        Err(LawViolation::DeltaInflation {
            before: before.clone(),
            delta: delta.clone(),
            after: after.clone(),
            merged,
        })
    }
}

/// Checks the novelty laws for one state and one delta: `x ⊔ x.novel(d) == x ⊔ d` (`None`
/// meaning `x ⊔ d == x`) and `x.novel(d) ⊔ d == d`.
///
/// # Errors
///
/// [`LawViolation::Novelty`] or [`LawViolation::NoveltyNotSmaller`].
pub fn novelty<T: Novelty + Clone + PartialEq>(x: &T, delta: &T) -> Result<(), LawViolation<T>> {
    let novel = x.novel(delta);
    let expected = x.joined(delta);
    let got = novel.as_ref().map_or_else(|| x.clone(), |n| x.joined(n));
    if got != expected {
        return Err(LawViolation::Novelty {
            x: x.clone(),
            delta: delta.clone(),
            novel,
            expected,
            got,
        });
    }
    match novel {
        Some(n) if n.joined(delta) != *delta => Err(LawViolation::NoveltyNotSmaller {
            x: x.clone(),
            delta: delta.clone(),
            novel: n,
        }),
        _ => Ok(()),
    }
}

/// Rounds a catch-up exchange may take before the law kit calls it endless.
pub const MAX_CATCH_UP_ROUNDS: usize = 64;

/// Checks the catch-up law for two states: the exchange of `y` with `x` (`y` sends its
/// summary, `x` answers with a delta and questions, `y` merges and refines, and so on) ends
/// within [`MAX_CATCH_UP_ROUNDS`] rounds with `y ⊔ x`, and every answer's delta is
/// `delta_since` of its summary.
///
/// # Errors
///
/// [`LawViolation::CatchUp`] or [`LawViolation::AnswerDiffers`].
pub fn catch_up<T: CatchUp + Clone + PartialEq>(x: &T, y: &T) -> Result<(), LawViolation<T>> {
    let expected = y.joined(x);
    let mut got = y.clone();
    let mut delta: Option<T> = None;
    let mut summary = Some(y.summary());
    let mut rounds = 0;
    while let Some(asked) = summary.take() {
        if rounds == MAX_CATCH_UP_ROUNDS {
            break;
        }
        rounds += 1;
        let (answered, questions) = x.answer(&asked);
        let delta_since = x.delta_since(&asked);
        if delta_since != answered {
            return Err(LawViolation::AnswerDiffers {
                x: x.clone(),
                delta_since,
                answer: answered,
            });
        }
        got.merge(&answered);
        match &mut delta {
            Some(joined) => joined.merge(&answered),
            None => delta = Some(answered),
        }
        summary = questions.and_then(|q| got.refine(&q));
    }
    match delta {
        Some(delta) if summary.is_some() || got != expected => Err(LawViolation::CatchUp {
            x: x.clone(),
            y: y.clone(),
            delta,
            expected,
            got,
        }),
        _ => Ok(()),
    }
}
