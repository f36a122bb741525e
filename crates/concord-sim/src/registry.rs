use concord_core::codec::WireType;
use concord_core::laws::Model;

use crate::engine::simulate;
use crate::report::Report;
use crate::scenario::{Mode, Scenario};

/// One simulated type: a name for the command line, a title for the table, and its runner.
///
/// Every type of the family is listed once in [`TYPES`], as [`SimType::of`] over its law-kit
/// model: the model already says how to perform operations and what the oracle expects, so
/// adding a type to the simulator is one line.
#[derive(Clone, Copy, Debug)]
pub struct SimType {
    /// Name on the command line (`--type`).
    pub name: &'static str,
    /// Title of the type's table.
    pub title: &'static str,
    /// Runs a scenario in a mode, reporting progress in operations done.
    pub run: fn(&Scenario, Mode, &mut dyn FnMut(u64)) -> Report,
}

impl SimType {
    /// The entry for the type modelled by `M`.
    #[must_use]
    pub const fn of<M: Model>(name: &'static str, title: &'static str) -> Self
    where
        M::State: WireType,
    {
        SimType {
            name,
            title,
            run: simulate::<M>,
        }
    }
}

/// Every simulated type, in the order the command line runs them.
pub const TYPES: &[SimType] = &[
    SimType::of::<concord_counter::laws::GCounterModel>("g-counter", "GCounter"),
    SimType::of::<concord_counter::laws::PnCounterModel>("pn-counter", "PnCounter"),
    SimType::of::<concord_register::laws::LwwHybridModel>(
        "lww-register",
        "LwwRegister (hybrid logical clock stamps)",
    ),
    SimType::of::<concord_register::laws::MvModel>("mv-register", "MvRegister"),
    SimType::of::<concord_set::laws::AddWinsModel>("lww-set", "LwwElementSet (add-wins)"),
    SimType::of::<concord_set::laws::RemoveWinsModel>(
        "lww-set-remove-wins",
        "LwwElementSet (remove-wins)",
    ),
    SimType::of::<concord_set::laws::OrSetModel>("or-set", "OrSet (observed-remove, add-wins)"),
    SimType::of::<concord_map::laws::LwwMapModel>("lww-map", "LwwMap (Lamport stamps)"),
    SimType::of::<concord_map::laws::OrMapModel>("or-map", "OrMap (of MvRegisters)"),
    SimType::of::<concord_map::laws::EwFlagModel>("ew-flag", "EwFlag (enable-wins)"),
    SimType::of::<concord_map::laws::DwFlagModel>("dw-flag", "DwFlag (disable-wins)"),
    SimType::of::<concord_map::laws::CausalCounterModel>(
        "causal-counter",
        "CausalCounter (observed reset)",
    ),
    SimType::of::<concord_clock::laws::VectorClockModel>("vector-clock", "VectorClock"),
];

/// The entry called `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static SimType> {
    TYPES.iter().find(|t| t.name == name)
}
