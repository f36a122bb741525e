//! The entries of a [`DotSet`](super::DotSet) or a [`DotFun`](super::DotFun): sorted by dot,
//! the common single entry kept inline, and the causal join of two such lists.

use alloc::vec::Vec;
use core::cmp::Ordering;

use concord_core::{Actor, Dot};

use crate::DotContext;

/// Entries sorted by dot and unique, with a single entry stored inline.
///
/// Most stores of a map hold one dot (an element added once, a register written once since
/// the last write it saw), so a map of such stores needs no heap block per key. A list of one
/// entry is always [`One`](Self::One); [`Many`](Self::Many) holds none or two and more.
#[derive(Clone)]
pub(super) enum Entries<E> {
    /// Exactly one entry.
    One(E),
    /// No entry, or two and more.
    Many(Vec<E>),
}

impl<E> Default for Entries<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Entries<E> {
    /// No entry.
    pub(super) const fn new() -> Self {
        Self::Many(Vec::new())
    }

    /// The entries of `entries`, in the order given.
    pub(super) fn from_vec(mut entries: Vec<E>) -> Self {
        if entries.len() == 1
            && let Some(entry) = entries.pop()
        {
            return Self::One(entry);
        }
        Self::Many(entries)
    }

    /// The entries as a slice.
    pub(super) fn as_slice(&self) -> &[E] {
        match self {
            Self::One(entry) => core::slice::from_ref(entry),
            Self::Many(entries) => entries,
        }
    }

    /// The number of entries.
    pub(super) fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Many(entries) => entries.len(),
        }
    }

    /// Whether there is no entry.
    pub(super) fn is_empty(&self) -> bool {
        matches!(self, Self::Many(entries) if entries.is_empty())
    }

    /// Keeps the entries for which `keep` returns true.
    #[inline]
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        match self {
            Self::One(entry) => {
                if !keep(entry) {
                    *self = Self::new();
                }
            }
            Self::Many(entries) => {
                entries.retain(|e| keep(e));
                if entries.len() == 1 {
                    *self = Self::from_vec(core::mem::take(entries));
                }
            }
        }
    }

    /// The entries for which `keep` returns true, cloned; allocates only for two and more,
    /// and then exactly.
    #[inline]
    pub(super) fn filtered(&self, mut keep: impl FnMut(&E) -> bool) -> Self
    where
        E: Clone,
    {
        match self {
            Self::One(entry) => {
                if keep(entry) {
                    Self::One(entry.clone())
                } else {
                    Self::new()
                }
            }
            Self::Many(entries) => filtered_list(entries, keep),
        }
    }

    /// The entries, consuming the list.
    pub(super) fn into_vec(self) -> Vec<E> {
        match self {
            Self::One(entry) => alloc::vec![entry],
            Self::Many(entries) => entries,
        }
    }
}

/// [`Entries::filtered`] of a list.
fn filtered_list<E: Clone>(entries: &[E], keep: impl FnMut(&E) -> bool) -> Entries<E> {
    let flags = Flags::of(entries, keep);
    Entries::from_vec(
        entries
            .iter()
            .enumerate()
            .filter(|&(i, _)| flags.get(i))
            .map(|(_, e)| e.clone())
            .collect_exact(flags.count()),
    )
}

/// Collects into a vector allocated at exactly `len` (the number of items the iterator
/// yields).
trait CollectExact<T>: Iterator<Item = T> + Sized {
    fn collect_exact(self, len: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(len);
        out.extend(self);
        out
    }
}

impl<T, I: Iterator<Item = T>> CollectExact<T> for I {}

/// One flag per entry of a list: a word for up to 64 entries, more words beyond.
enum Flags {
    Word(u64),
    Words(Vec<u64>),
}

impl Flags {
    /// All flags clear, for `len` entries.
    fn new(len: usize) -> Self {
        if len <= 64 {
            Self::Word(0)
        } else {
            Self::Words(alloc::vec![0; len.div_ceil(64)])
        }
    }

    /// The flags `test` sets on `entries`.
    fn of<E>(entries: &[E], mut test: impl FnMut(&E) -> bool) -> Self {
        let mut flags = Self::new(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if test(e) {
                flags.set(i);
            }
        }
        flags
    }

    fn set(&mut self, i: usize) {
        match self {
            Self::Word(word) => *word |= 1_u64.wrapping_shl(i as u32),
            Self::Words(words) => {
                if let Some(word) = words.get_mut(i / 64) {
                    *word |= 1_u64.wrapping_shl((i % 64) as u32);
                }
            }
        }
    }

    fn get(&self, i: usize) -> bool {
        let word = match self {
            Self::Word(word) => *word,
            Self::Words(words) => words.get(i / 64).copied().unwrap_or(0),
        };
        word & 1_u64.wrapping_shl((i % 64) as u32) != 0
    }

    fn count(&self) -> usize {
        match self {
            Self::Word(word) => word.count_ones() as usize,
            Self::Words(words) => words.iter().map(|w| w.count_ones() as usize).sum(),
        }
    }
}

/// The causal join of two entry lists: `mine` (whose replica has seen `context`) with
/// `theirs` (whose replica has seen `other_context`). An entry on both sides stays, joined by
/// `both` (which joins the other side's entry of the same dot into this side's); an entry on
/// one side stays when the other side has not seen its dot. Each dot is looked up once. The
/// list is rebuilt, allocated once at its exact size, only when the other side brings entries
/// this one lacks; otherwise it is filtered in place.
#[inline]
pub(super) fn join<E: Clone, A: Actor>(
    mine: &mut Entries<E>,
    context: &DotContext<A>,
    theirs: &Entries<E>,
    other_context: &DotContext<A>,
    dot: impl Fn(&E) -> &Dot<A>,
    both: impl Fn(&mut E, &E),
) {
    // The common case of a map of single-entry stores, without walking lists.
    if let (Entries::One(a), Entries::One(b)) = (&mut *mine, theirs) {
        if dot(a) == dot(b) {
            both(a, b);
            return;
        }
        let keep_mine = !other_context.contains(dot(a));
        let keep_theirs = !context.contains(dot(b));
        let mine_first = dot(a) < dot(b);
        match (keep_mine, keep_theirs) {
            (true, false) => {}
            (false, true) => *a = b.clone(),
            (false, false) => *mine = Entries::new(),
            (true, true) => {
                if let Entries::One(a) = core::mem::take(mine) {
                    let b = b.clone();
                    *mine = Entries::Many(if mine_first {
                        alloc::vec![a, b]
                    } else {
                        alloc::vec![b, a]
                    });
                }
            }
        }
        return;
    }
    join_lists(mine, context, theirs, other_context, dot, both);
}

/// [`join`] when a side holds no entry or several.
fn join_lists<E: Clone, A: Actor>(
    mine: &mut Entries<E>,
    context: &DotContext<A>,
    theirs: &Entries<E>,
    other_context: &DotContext<A>,
    dot: impl Fn(&E) -> &Dot<A>,
    both: impl Fn(&mut E, &E),
) {
    if theirs.is_empty() {
        mine.retain(|e| !other_context.contains(dot(e)));
        return;
    }
    if mine.is_empty() {
        *mine = theirs.filtered(|e| !context.contains(dot(e)));
        return;
    }
    let (kept, new) = {
        let ours = mine.as_slice();
        let others = theirs.as_slice();
        // Which of our entries stay, which of theirs are new here: one walk, one lookup per
        // entry on one side only.
        let mut kept = Flags::new(ours.len());
        let mut new = Flags::new(others.len());
        let (mut i, mut j) = (0, 0);
        loop {
            match (ours.get(i), others.get(j)) {
                (Some(a), Some(b)) => match dot(a).cmp(dot(b)) {
                    Ordering::Equal => {
                        kept.set(i);
                        i += 1;
                        j += 1;
                    }
                    Ordering::Less => {
                        if !other_context.contains(dot(a)) {
                            kept.set(i);
                        }
                        i += 1;
                    }
                    Ordering::Greater => {
                        if !context.contains(dot(b)) {
                            new.set(j);
                        }
                        j += 1;
                    }
                },
                (Some(a), None) => {
                    if !other_context.contains(dot(a)) {
                        kept.set(i);
                    }
                    i += 1;
                }
                (None, Some(b)) => {
                    if !context.contains(dot(b)) {
                        new.set(j);
                    }
                    j += 1;
                }
                (None, None) => break,
            }
        }
        (kept, new)
    };
    let others = theirs.as_slice();
    if new.count() == 0 {
        // Nothing to add: drop what the other side saw removed and join the shared entries.
        let mut i = 0;
        let mut rest = others.iter().peekable();
        let mut keep = |e: &mut E| {
            let keep = kept.get(i);
            i += 1;
            while rest.next_if(|o| dot(o) < dot(e)).is_some() {}
            if let Some(other) = rest.next_if(|o| dot(o) == dot(e)) {
                both(e, other);
            }
            keep
        };
        match mine {
            Entries::One(e) => {
                if !keep(e) {
                    *mine = Entries::new();
                }
            }
            Entries::Many(entries) => {
                entries.retain_mut(keep);
                if entries.len() == 1 {
                    *mine = Entries::from_vec(core::mem::take(entries));
                }
            }
        }
        return;
    }
    let mut out = Vec::with_capacity(kept.count() + new.count());
    let mut ours = core::mem::take(mine)
        .into_vec()
        .into_iter()
        .enumerate()
        .peekable();
    let mut others = others.iter().enumerate().peekable();
    loop {
        let order = match (ours.peek(), others.peek()) {
            (Some((_, a)), Some((_, b))) => dot(a).cmp(dot(b)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match order {
            Ordering::Less => {
                if let Some((i, e)) = ours.next()
                    && kept.get(i)
                {
                    out.push(e);
                }
            }
            Ordering::Equal => {
                if let (Some((_, mut e)), Some((_, other))) = (ours.next(), others.next()) {
                    both(&mut e, other);
                    out.push(e);
                }
            }
            Ordering::Greater => {
                if let Some((j, other)) = others.next()
                    && new.get(j)
                {
                    out.push(other.clone());
                }
            }
        }
    }
    *mine = Entries::from_vec(out);
}
