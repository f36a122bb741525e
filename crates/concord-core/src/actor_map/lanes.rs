//! The general merge of two actor maps, run in independent lanes.
//!
//! A branch-free merge of two sorted lists is one long dependency chain: which entry comes next
//! depends on the comparison just made, which depends on the entries loaded by the step before.
//! Each step then costs a load, a comparison and an index update back to back, however wide the
//! processor is. Cutting both lists into [`LANES`] independent pieces along the *merge path*
//! (each piece holds the entries that land in one quarter of the merged output) and stepping
//! two lanes at a time gives the processor two chains to overlap. Two, not four: each lane
//! keeps five cursors and two lanes' worth is what fits in the registers of a 64-bit
//! processor beside the inputs; with four, cursors spill to memory and the gain is lost.
//!
//! Which side is taken at a step follows no pattern for actors that interleave at random, so
//! every choice in a step is a selection (`select_unpredictable`), never a branch.
//!
//! The merge makes two passes over the lanes: one counts the union of each lane, so the result
//! is allocated exactly once and exactly as large as it needs to be, and one writes each lane's
//! entries at its own offset in the result.

use core::hint::select_unpredictable;

use super::Counts;

/// Number of lanes a large merge is cut into.
const LANES: usize = 4;

/// Below this many entries on both sides together, the merge runs as a single lane: cutting
/// costs a few binary searches, which small inputs do not repay.
pub(super) const MIN_SPLIT: usize = 64;

/// One piece of a merge: the entries `i..i_end` of one side and `j..j_end` of the other. An
/// actor present on both sides always falls into a single lane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Lane {
    i: usize,
    i_end: usize,
    j: usize,
    j_end: usize,
    /// Entries of the union produced so far (counting), or where the next one goes (writing).
    at: usize,
}

impl Lane {
    /// Steps this lane can surely take before one of its sides runs out: every step consumes
    /// at least one entry of one side.
    #[inline(always)]
    fn sure_steps(&self) -> usize {
        self.i_end
            .saturating_sub(self.i)
            .min(self.j_end.saturating_sub(self.j))
    }

    /// Whether both sides of the lane still hold entries.
    #[inline(always)]
    fn both_open(&self) -> bool {
        self.i < self.i_end && self.j < self.j_end
    }

    /// Entries left on either side.
    fn rest(&self) -> usize {
        self.i_end.saturating_sub(self.i) + self.j_end.saturating_sub(self.j)
    }
}

/// The position where the merge path of `a` and `b` crosses diagonal `d`: how many entries of
/// each side come among the first `d` entries of the merged order, in which an actor of `a`
/// precedes the same actor of `b`. If that splits an actor present on both sides, its `b`
/// entry joins the `a` entry, so both fall into the same lane.
fn cross<A: Ord>(a: &[A], b: &[A], d: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (d.saturating_sub(b.len()), d.min(a.len()));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        // `lo <= mid < hi <= d` and `d - b.len() <= mid`, so `d - mid - 1` indexes `b`.
        let before = match (a.get(mid), b.get(d - mid - 1)) {
            (Some(x), Some(y)) => x <= y,
            _ => false,
        };
        if before {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let (i, j) = (lo, d - lo);
    let split_pair = i
        .checked_sub(1)
        .and_then(|last| a.get(last))
        .is_some_and(|x| b.get(j) == Some(x));
    (i, j + usize::from(split_pair))
}

/// Cuts the merge of `a` and `b` into lanes of about equal output. Small inputs give one lane
/// holding everything and empty lanes after it.
pub(super) fn cut<A: Ord>(a: &[A], b: &[A]) -> [Lane; LANES] {
    let total = a.len() + b.len();
    let mut lanes = [Lane::default(); LANES];
    let mut start = (0, 0);
    for (k, lane) in (1..=LANES).zip(lanes.iter_mut()) {
        let end = if k == LANES || total < MIN_SPLIT {
            (a.len(), b.len())
        } else {
            cross(a, b, total / LANES * k)
        };
        // Each crossing is at or after the previous one on both sides (a larger diagonal takes
        // at least as many entries of each), so `max` changes nothing; it only keeps the
        // ranges non-negative without an argument the compiler could check.
        let end = (end.0.max(start.0), end.1.max(start.1));
        *lane = Lane {
            i: start.0,
            i_end: end.0,
            j: start.1,
            j_end: end.1,
            at: 0,
        };
        start = end;
    }
    lanes
}

/// One branch-free merge step of `lane`: the smaller actor, or the shared one, is taken and
/// the cursors advance past it. Returns whether each side was taken, or `None` when a side of
/// the lane is exhausted.
#[inline(always)]
fn step<A: Ord>(lane: &mut Lane, a: &[A], b: &[A]) -> Option<(bool, bool)> {
    let (x, y) = (a.get(lane.i)?, b.get(lane.j)?);
    let order = x.cmp(y);
    let taken = (order.is_le(), order.is_ge());
    lane.i += usize::from(taken.0);
    lane.j += usize::from(taken.1);
    Some(taken)
}

/// Runs `each` on every lane until each has a side exhausted: lanes 0 and 1 interleaved step by
/// step while both can surely step, then lanes 2 and 3 the same way, then each lane alone for
/// what is left. The lanes are named, not looped over, so their cursors stay in registers.
#[inline(always)]
fn interleave(lanes: &mut [Lane; LANES], mut each: impl FnMut(&mut Lane)) {
    let [l0, l1, l2, l3] = &mut *lanes;
    for (x, y) in [(l0, l1), (l2, l3)] {
        loop {
            let steps = x.sure_steps().min(y.sure_steps());
            if steps == 0 {
                break;
            }
            for _ in 0..steps {
                each(x);
                each(y);
            }
        }
    }
    for lane in lanes.iter_mut() {
        while lane.both_open() {
            each(lane);
        }
    }
}

/// The number of distinct actors each lane contributes to the union.
pub(super) fn union_lens<A: Ord>(a: &[A], b: &[A], lanes: &[Lane; LANES]) -> [usize; LANES] {
    let mut lanes = *lanes;
    interleave(&mut lanes, |lane| {
        if step(lane, a, b).is_some() {
            lane.at += 1;
        }
    });
    lanes.map(|lane| lane.at + lane.rest())
}

/// A side of a merge: sorted actors and their values.
pub(super) type Side<'a, A, V> = (&'a [A], &'a [V]);

/// Writes the union of `a` and `b`, lane by lane, into `out`, which holds exactly
/// `lens.iter().sum()` entries; `lens` comes from [`union_lens`] on the same lanes.
pub(super) fn merge_into<A: Copy + Ord, V: Counts>(
    a: Side<'_, A, V>,
    b: Side<'_, A, V>,
    lanes: &[Lane; LANES],
    lens: &[usize; LANES],
    out: (&mut [A], &mut [V]),
) {
    let (out_actors, out_values) = out;
    let mut lanes = *lanes;
    let mut offset = 0;
    for (lane, len) in lanes.iter_mut().zip(lens) {
        lane.at = offset;
        offset += len;
    }
    // The closure owns reborrows of the outputs (not references to them), so writing an entry
    // cannot be taken to change where the outputs are.
    let (to_actors, to_values) = (&mut *out_actors, &mut *out_values);
    interleave(&mut lanes, move |lane| {
        let (i, j) = (lane.i, lane.j);
        let (Some(x), Some(y)) = (a.0.get(i), b.0.get(j)) else {
            return;
        };
        let order = x.cmp(y);
        let (take_a, take_b) = (order.is_le(), order.is_ge());
        // The zero value is the identity of the join, so a side not taken adds nothing.
        let vx = a.1.get(i).copied().unwrap_or_default();
        let vy = b.1.get(j).copied().unwrap_or_default();
        let vx = select_unpredictable(take_a, vx, V::default());
        let vy = select_unpredictable(take_b, vy, V::default());
        if let (Some(slot), Some(value)) = (to_actors.get_mut(lane.at), to_values.get_mut(lane.at))
        {
            *slot = *select_unpredictable(take_a, x, y);
            *value = vx.join(vy);
        }
        lane.i += usize::from(take_a);
        lane.j += usize::from(take_b);
        lane.at += 1;
    });
    // What is left of each lane is a run of one side only: copied as it is.
    for lane in &lanes {
        let rest_a = (
            a.0.get(lane.i..lane.i_end).unwrap_or_default(),
            a.1.get(lane.i..lane.i_end).unwrap_or_default(),
        );
        let rest_b = (
            b.0.get(lane.j..lane.j_end).unwrap_or_default(),
            b.1.get(lane.j..lane.j_end).unwrap_or_default(),
        );
        let mut at = lane.at;
        for (actors, values) in [rest_a, rest_b] {
            let end = at + actors.len();
            if let (Some(to_actors), Some(to_values)) =
                (out_actors.get_mut(at..end), out_values.get_mut(at..end))
                && actors.len() == values.len()
            {
                to_actors.copy_from_slice(actors);
                to_values.copy_from_slice(values);
            }
            at = end;
        }
    }
}
