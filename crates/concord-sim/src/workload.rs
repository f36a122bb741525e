//! What clients do to each simulated type: the script's puts and deletes mapped onto the
//! type's mutators, and what a read of a key shows, for the session checker.

use core::fmt;

use concord_clock::{CausalCrdt, LamportClock, LamportTimestamp, VectorClock};
use concord_core::{Dot, Overflow, ReplicaId};
use concord_counter::{GCounter, PnCounter};
use concord_map::{CausalCounter, DwFlag, EwFlag, LwwMap, OrMap};
use concord_register::MvRegister;
use concord_set::OrSet;
use concord_sync::Syncable;

use crate::script::{Op, OpKind};

/// What identifies a write, or what a read of a key showed: the session checker asks later
/// reads whether they still hold it. Read from the state itself, independently of any sync
/// mode's tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// An event of a causal type: held once the state's context has it.
    Event(Dot<ReplicaId>),
    /// An event a delete removed: held once the context has it and it is no longer live.
    Removed(Dot<ReplicaId>),
    /// A count per replica (counters, clocks): held once the replica's entry reaches it.
    Count(ReplicaId, u64),
    /// A last-writer-wins stamp: held once the key's stamp is at least this one.
    Stamp(LamportTimestamp<ReplicaId>),
    /// A version of the article's store and the value written with it (`None` for a
    /// delete): held once the key's version is greater, or equal with the same value.
    Version(u64, Option<u32>),
}

/// A write a type refused; the state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A counter or clock reached its largest value.
    Overflow,
}

impl From<Overflow> for Refusal {
    fn from(_: Overflow) -> Self {
        Refusal::Overflow
    }
}

/// A simulated type and its workload.
pub(crate) trait Workload: 'static {
    /// The replicated state.
    type State: Syncable + fmt::Debug;
    /// What a replica keeps beside its state to write (a Lamport clock), rebuilt from the
    /// state after a restart.
    type Writer: fmt::Debug;
    /// Whether the type is keyed: an unkeyed one reads and writes key 0 whatever the script
    /// says.
    const KEYED: bool;

    /// The writer of replica `actor` holding `state`.
    fn writer(actor: ReplicaId, state: &Self::State) -> Self::Writer;

    /// Tells the writer what its replica merged.
    fn observe(_writer: &mut Self::Writer, _merged: &Self::State) {}

    /// Performs `op` at replica `actor`, returning the delta and the marks of the write.
    fn write(
        writer: &mut Self::Writer,
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        keys: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal>;

    /// What a read of `key` shows.
    fn view(state: &Self::State, key: &str) -> Vec<Mark>;

    /// Whether `state` holds `mark` at `key`.
    fn holds(state: &Self::State, key: &str, mark: &Mark) -> bool;

    /// Whether `mark` is at or below a replica's stable stamp: held everywhere, though the
    /// tombstone that showed it may be freed.
    fn stable_covers(_mark: &Mark, _stable: &<Self::State as Syncable>::Floor) -> bool {
        false
    }
}

/// A key name, or the empty string when the index is out of range (never, by construction).
fn name(keys: &[String], key: u32) -> &str {
    keys.get(key as usize).map_or("", String::as_str)
}

/// A small value of `n`, as the key-value store writes.
fn value(n: u32) -> String {
    format!("v{n}")
}

fn causal_holds<C: CausalCrdt<ReplicaId>>(state: &C, mark: &Mark, live: &[Dot<ReplicaId>]) -> bool {
    let context = state.as_causal().context();
    match mark {
        Mark::Event(dot) => context.contains(dot),
        Mark::Removed(dot) => context.contains(dot) && !live.contains(dot),
        Mark::Count(..) | Mark::Stamp(_) | Mark::Version(..) => false,
    }
}

fn events(dots: impl IntoIterator<Item = Dot<ReplicaId>>) -> Vec<Mark> {
    dots.into_iter().map(Mark::Event).collect()
}

fn removed(dots: impl IntoIterator<Item = Dot<ReplicaId>>) -> Vec<Mark> {
    dots.into_iter().map(Mark::Removed).collect()
}

fn count_holds(mark: &Mark, count: impl Fn(&ReplicaId) -> u64) -> bool {
    matches!(mark, Mark::Count(actor, n) if count(actor) >= *n)
}

/// The source articles' key-value store with siblings: `OrMap<String, MvRegister<String>>`.
/// A put writes the key's register having seen its siblings here; a delete removes the key
/// (observed-remove: a concurrent put survives).
#[derive(Debug)]
pub(crate) struct KvOrMap;

fn siblings(state: &OrMap<String, MvRegister<String>>, key: &str) -> Vec<Dot<ReplicaId>> {
    state
        .get(key)
        .map(|reg| reg.siblings().iter().map(|(dot, _)| *dot).collect())
        .unwrap_or_default()
}

impl Workload for KvOrMap {
    type State = OrMap<String, MvRegister<String>>;
    type Writer = ();
    const KEYED: bool = true;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        keys: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let key = name(keys, op.key);
        match op.kind {
            OpKind::Put(n) => {
                let delta = state.apply(actor, key.to_owned(), |reg, at| {
                    let (_, seen) = reg.read();
                    reg.write(at, value(n), &seen)
                })?;
                let marks = events(siblings(&delta, key));
                Ok((delta, marks))
            }
            OpKind::Delete => {
                let marks = removed(siblings(state, key));
                Ok((state.remove(key), marks))
            }
        }
    }

    fn view(state: &Self::State, key: &str) -> Vec<Mark> {
        events(siblings(state, key))
    }

    fn holds(state: &Self::State, key: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, &siblings(state, key))
    }
}

/// An observed-remove set of key names: a put inserts, a delete removes.
#[derive(Debug)]
pub(crate) struct Set;

impl Workload for Set {
    type State = OrSet<String>;
    type Writer = ();
    const KEYED: bool = true;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        keys: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let key = name(keys, op.key);
        match op.kind {
            OpKind::Put(_) => {
                let delta = state.insert(actor, key.to_owned())?;
                let marks = events(delta.add_dots(key).iter().copied());
                Ok((delta, marks))
            }
            OpKind::Delete => {
                let marks = removed(state.add_dots(key).iter().copied());
                Ok((state.remove(key), marks))
            }
        }
    }

    fn view(state: &Self::State, key: &str) -> Vec<Mark> {
        events(state.add_dots(key).iter().copied())
    }

    fn holds(state: &Self::State, key: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, state.add_dots(key))
    }
}

/// One multi-value register: a put writes having seen the siblings here.
#[derive(Debug)]
pub(crate) struct Register;

fn register_dots(state: &MvRegister<String>) -> Vec<Dot<ReplicaId>> {
    state.siblings().iter().map(|(dot, _)| *dot).collect()
}

impl Workload for Register {
    type State = MvRegister<String>;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let n = match op.kind {
            OpKind::Put(n) => n,
            OpKind::Delete => 0,
        };
        let (_, seen) = state.read();
        let delta = state.write(actor, value(n), &seen)?;
        let marks = events(register_dots(&delta));
        Ok((delta, marks))
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        events(register_dots(state))
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, &register_dots(state))
    }
}

/// A grow-only counter: a put adds 1 to 10.
#[derive(Debug)]
pub(crate) struct Counter;

impl Workload for Counter {
    type State = GCounter;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let by = match op.kind {
            OpKind::Put(n) => u64::from(n % 10) + 1,
            OpKind::Delete => 1,
        };
        let delta = state.increment(actor, by)?;
        Ok((delta, vec![Mark::Count(actor, state.get(&actor))]))
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        state.iter().map(|(a, n)| Mark::Count(*a, n)).collect()
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        count_holds(mark, |a| state.get(a))
    }
}

/// A counter up and down: a put adds 1 to 10, a delete takes 1 away.
#[derive(Debug)]
pub(crate) struct UpDown;

/// The writes of `actor` a PN-counter holds: increments and decrements are both counted, so
/// their sum grows with every write.
fn pn_count(state: &PnCounter, actor: &ReplicaId) -> u64 {
    let (up, down) = state.get(actor);
    up.saturating_add(down)
}

impl Workload for UpDown {
    type State = PnCounter;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let delta = match op.kind {
            OpKind::Put(n) => state.increment(actor, u64::from(n % 10) + 1)?,
            OpKind::Delete => state.decrement(actor, 1)?,
        };
        Ok((delta, vec![Mark::Count(actor, pn_count(state, &actor))]))
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        state
            .iter()
            .map(|(a, _)| Mark::Count(*a, pn_count(state, a)))
            .collect()
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        count_holds(mark, |a| pn_count(state, a))
    }
}

/// A vector clock: every write is an event of its replica.
#[derive(Debug)]
pub(crate) struct Clock;

impl Workload for Clock {
    type State = VectorClock<ReplicaId>;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        _: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let dot = state.increment(actor)?;
        let delta = VectorClock::from_iter([(dot.actor, dot.counter)]);
        Ok((delta, vec![Mark::Count(dot.actor, dot.counter)]))
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        state.iter().map(|(a, n)| Mark::Count(*a, n)).collect()
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        count_holds(mark, |a| state.get(a))
    }
}

/// An enable-wins flag: a put enables, a delete disables what it observed.
#[derive(Debug)]
pub(crate) struct EnableWins;

impl Workload for EnableWins {
    type State = EwFlag;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        match op.kind {
            OpKind::Put(_) => {
                let delta = state.enable(actor)?;
                let marks = events(delta.dots().iter().copied());
                Ok((delta, marks))
            }
            OpKind::Delete => {
                let marks = removed(state.dots().iter().copied());
                Ok((state.disable(), marks))
            }
        }
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        events(state.dots().iter().copied())
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, state.dots())
    }
}

/// A disable-wins flag: a put enables, a delete disables; both are events.
#[derive(Debug)]
pub(crate) struct DisableWins;

fn flag_events(state: &DwFlag) -> Vec<Dot<ReplicaId>> {
    state.events().iter().map(|(dot, _)| *dot).collect()
}

impl Workload for DisableWins {
    type State = DwFlag;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let delta = match op.kind {
            OpKind::Put(_) => state.enable(actor)?,
            OpKind::Delete => state.disable(actor)?,
        };
        let marks = events(flag_events(&delta));
        Ok((delta, marks))
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        events(flag_events(state))
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, &flag_events(state))
    }
}

/// A counter on dots: a put adds 1 to 10, a delete resets what it observed.
#[derive(Debug)]
pub(crate) struct Resettable;

fn contributions(state: &CausalCounter) -> Vec<Dot<ReplicaId>> {
    state.contributions().iter().map(|(dot, _)| *dot).collect()
}

impl Workload for Resettable {
    type State = CausalCounter;
    type Writer = ();
    const KEYED: bool = false;

    fn writer(_: ReplicaId, _: &Self::State) {}

    fn write(
        (): &mut (),
        actor: ReplicaId,
        state: &mut Self::State,
        op: Op,
        _: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        match op.kind {
            OpKind::Put(n) => {
                let delta = state.increment(actor, u64::from(n % 10) + 1)?;
                let marks = events(contributions(&delta));
                Ok((delta, marks))
            }
            OpKind::Delete => {
                let marks = removed(contributions(state));
                Ok((state.reset(), marks))
            }
        }
    }

    fn view(state: &Self::State, _: &str) -> Vec<Mark> {
        events(contributions(state))
    }

    fn holds(state: &Self::State, _: &str, mark: &Mark) -> bool {
        causal_holds(state, mark, &contributions(state))
    }
}
/// Lamport stamps from a replica's clock, which observes every stamp its state merged.
#[derive(Debug)]
pub(crate) struct Stamps(LamportClock<ReplicaId>);

impl Stamps {
    fn new(actor: ReplicaId, seen: Option<&LamportTimestamp<ReplicaId>>) -> Self {
        let mut clock = LamportClock::new(actor);
        if let Some(stamp) = seen {
            // A stamp at u64::MAX only comes from a hostile peer; the clock then refuses
            // writes with an overflow, which the run reports.
            let _ = clock.observe(stamp);
        }
        Stamps(clock)
    }

    fn observe(&mut self, seen: Option<&LamportTimestamp<ReplicaId>>) {
        if let Some(stamp) = seen {
            let _ = self.0.observe(stamp);
        }
    }

    fn tick(&mut self) -> Result<LamportTimestamp<ReplicaId>, Refusal> {
        Ok(self.0.tick()?)
    }
}

/// The first source article's key-value store: `LwwMap<String, String>` with Lamport stamps.
/// A put or a delete is stamped past every stamp the replica has merged.
#[derive(Debug)]
pub(crate) struct KvLwwMap;

impl Workload for KvLwwMap {
    type State = LwwMap<String, String, LamportTimestamp<ReplicaId>>;
    type Writer = Stamps;
    const KEYED: bool = true;

    fn writer(actor: ReplicaId, state: &Self::State) -> Stamps {
        Stamps::new(actor, state.max_stamp())
    }

    fn observe(writer: &mut Stamps, merged: &Self::State) {
        writer.observe(merged.max_stamp());
    }

    fn write(
        writer: &mut Stamps,
        _: ReplicaId,
        state: &mut Self::State,
        op: Op,
        keys: &[String],
    ) -> Result<(Self::State, Vec<Mark>), Refusal> {
        let key = name(keys, op.key).to_owned();
        let stamp = writer.tick()?;
        let delta = match op.kind {
            OpKind::Put(n) => state.insert(key, value(n), stamp),
            OpKind::Delete => state.remove(key, stamp),
        };
        Ok((delta, vec![Mark::Stamp(stamp)]))
    }

    fn view(state: &Self::State, key: &str) -> Vec<Mark> {
        state
            .stamp(key)
            .map(|s| Mark::Stamp(*s))
            .into_iter()
            .collect()
    }

    fn holds(state: &Self::State, key: &str, mark: &Mark) -> bool {
        matches!(mark, Mark::Stamp(s) if state.stamp(key).is_some_and(|held| held >= s))
    }

    fn stable_covers(mark: &Mark, stable: &LamportTimestamp<ReplicaId>) -> bool {
        matches!(mark, Mark::Stamp(s) if s <= stable)
    }
}
