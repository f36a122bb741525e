use crate::engine::{Outcome, simulate};
use crate::scenario::{Mode, Scenario};
use crate::workload::{
    Clock, Counter, DisableWins, EnableWins, KvLwwMap, KvOrMap, Register, Resettable, Set, UpDown,
    Workload,
};

/// One simulated type: a name for the command line, a title for the table, and its runner.
#[derive(Clone, Copy, Debug)]
pub struct SimType {
    /// Name on the command line (`--type`).
    pub name: &'static str,
    /// Title of the type's table.
    pub title: &'static str,
    /// Whether it is one of the key-value stores of the default run, which also run the
    /// article's scheme (`seed` mode) on their script.
    pub key_value: bool,
    run: fn(&'static str, &Scenario, Mode, &mut dyn FnMut(u64)) -> Outcome,
}

impl SimType {
    const fn of<W: Workload>(name: &'static str, title: &'static str, key_value: bool) -> Self {
        SimType {
            name,
            title,
            key_value,
            run: simulate::<W>,
        }
    }

    /// The modes this type runs in: the article's scheme for the key-value stores, then the
    /// three CRDT modes.
    #[must_use]
    pub fn modes(&self) -> &'static [Mode] {
        if self.key_value {
            &Mode::ALL
        } else {
            &Mode::CONCORD
        }
    }

    /// Runs `sc` in `mode`, calling `progress` with the writes done now and then. The
    /// article's scheme runs for the key-value stores only; for another type, `Mode::Seed`
    /// gives a report whose failure says so.
    pub fn run(&self, sc: &Scenario, mode: Mode, progress: &mut dyn FnMut(u64)) -> Outcome {
        if mode == Mode::Seed && !self.key_value {
            return Outcome::refused(
                self.name,
                sc,
                mode,
                format!(
                    "the article's scheme is a key-value store; {} does not run in seed mode",
                    self.name
                ),
            );
        }
        (self.run)(self.name, sc, mode, progress)
    }
}

/// Every simulated type, in the order the command line runs them.
pub const TYPES: &[SimType] = &[
    SimType::of::<KvOrMap>(
        "kv-or-map",
        "Key-value store with siblings: OrMap<String, MvRegister<String>>",
        true,
    ),
    SimType::of::<KvLwwMap>(
        "kv-lww-map",
        "Key-value store, last writer wins: LwwMap<String, String> (Lamport stamps)",
        true,
    ),
    SimType::of::<Counter>("g-counter", "GCounter", false),
    SimType::of::<UpDown>("pn-counter", "PnCounter", false),
    SimType::of::<Register>("mv-register", "MvRegister<String>", false),
    SimType::of::<Set>("or-set", "OrSet<String> (observed-remove, add-wins)", false),
    SimType::of::<EnableWins>("ew-flag", "EwFlag (enable-wins)", false),
    SimType::of::<DisableWins>("dw-flag", "DwFlag (disable-wins)", false),
    SimType::of::<Resettable>("causal-counter", "CausalCounter (observed reset)", false),
    SimType::of::<Clock>("vector-clock", "VectorClock", false),
];

/// The names the default run uses: the key-value stores.
#[must_use]
pub fn default_types() -> Vec<&'static SimType> {
    TYPES.iter().filter(|t| t.key_value).collect()
}

/// The entry called `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static SimType> {
    TYPES.iter().find(|t| t.name == name)
}
