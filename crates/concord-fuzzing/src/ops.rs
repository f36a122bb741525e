//! The `_ops` checks: the fuzzer's bytes as a history of operations, checked against every law.

use arbitrary::{Arbitrary, Unstructured};
use concord_core::codec::WireType;
use concord_core::laws::{self, Model, Script, Step};

use crate::Outcome;

/// A model played on the history of another: the same script, each operation mapped.
///
/// So one input checks two encodings of one type (`LwwRegister` with hybrid and with Lamport
/// stamps) or two variants of it (both biases of `LwwElementSet`); see [`ops_followed`].
pub trait Follows<Lead: Model>: Model {
    /// This model's operation for the leading model's `op`.
    fn follow(op: &Lead::Op) -> Self::Op;
}

/// Builds a script from the fuzzer's bytes as `fuzz_target!` would for a typed input; bytes
/// that do not form a script are skipped, as libFuzzer skips them.
fn script<Op: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<Script<Op>> {
    Script::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// The same history with every operation mapped.
fn map_script<A, B>(script: &Script<A>, f: impl Fn(&A) -> B) -> Script<B> {
    Script {
        replicas: script.replicas,
        steps: script
            .steps
            .iter()
            .map(|step| match step {
                Step::Local { at, op } => Step::Local { at: *at, op: f(op) },
                Step::Merge { from, to } => Step::Merge {
                    from: *from,
                    to: *to,
                },
                Step::Delta { index, to } => Step::Delta {
                    index: *index,
                    to: *to,
                },
            })
            .collect(),
        shuffle: script.shuffle,
        noise: script.noise.clone(),
    }
}

fn lattice<M: Model>(script: &Script<M::Op>) -> Outcome
where
    M::State: WireType + PartialOrd,
{
    laws::check_script_lattice::<M>(script)
        .map_err(|violation| format!("{}: {violation}", std::any::type_name::<M::State>()))
}

/// The `_ops` check of one model: plays the script `data` forms and asserts idempotence,
/// commutativity, associativity, the order laws, delta inflation and delivery, convergence to
/// the model's oracle and the decode law on every state it reaches
/// ([`laws::check_script_lattice`]). Bytes that form no script pass.
///
/// # Errors
///
/// The first law that broke, with the states involved.
pub fn ops<M: Model>(data: &[u8]) -> Outcome
where
    M::State: WireType + PartialOrd,
    M::Op: for<'a> Arbitrary<'a>,
{
    script::<M::Op>(data).map_or(Ok(()), |s| lattice::<M>(&s))
}

/// [`ops`] of `A`, then of `B` on the same history (see [`Follows`]).
///
/// # Errors
///
/// The first law that broke, in either model.
pub fn ops_followed<A, B>(data: &[u8]) -> Outcome
where
    A: Model,
    B: Follows<A>,
    A::State: WireType + PartialOrd,
    B::State: WireType + PartialOrd,
    A::Op: for<'a> Arbitrary<'a>,
{
    let Some(lead) = script::<A::Op>(data) else {
        return Ok(());
    };
    lattice::<A>(&lead)?;
    lattice::<B>(&map_script(&lead, B::follow))
}
