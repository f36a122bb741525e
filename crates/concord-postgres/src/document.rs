//! Documents with conflicting versions: one stored object per document, its fields an
//! `OrMap` of `MvRegister`s, so that concurrent writes to a field are kept side by side until
//! a write that has seen them replaces them.

use std::collections::BTreeMap;

use concord_clock::DotContext;
use concord_core::{Overflow, ReplicaId};
use concord_map::OrMap;
use concord_register::MvRegister;

/// A document: field name to the field's versions. Concurrent writes to a field (from
/// replicas that had not seen each other's write) are all kept, as the source article's
/// MongoDB documents keep them in `conflictingVersions`; a write made after reading them, with
/// their context, replaces them all.
pub type Document<V> = OrMap<String, MvRegister<V>>;

/// A field's versions as read, and the context that a write resolving them carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Versions<V> {
    /// The versions, one per concurrent write, in a fixed order; empty for a field never
    /// written (or removed).
    pub values: Vec<V>,
    /// What the reader has seen: pass it to [`write_field`] to replace exactly these versions.
    pub context: DotContext<ReplicaId>,
}

impl<V> Versions<V> {
    /// Whether the field has several versions (a conflict to resolve).
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        self.values.len() > 1
    }
}

/// The versions of `field` in `document`, with their context.
#[must_use]
pub fn read_field<V: Ord + Clone>(document: &Document<V>, field: &str) -> Versions<V> {
    match document.get(field) {
        Some(register) => {
            let (values, context) = register.read();
            Versions {
                values: values.into_iter().cloned().collect(),
                context,
            }
        }
        None => Versions {
            values: Vec::new(),
            context: DotContext::default(),
        },
    }
}

/// Every field with more than one version: the document's conflicting versions, by field.
#[must_use]
pub fn conflicting_versions<V: Ord + Clone>(document: &Document<V>) -> BTreeMap<String, Vec<V>> {
    document
        .iter()
        .filter(|(_, register)| register.len() > 1)
        .map(|(field, register)| (field.clone(), register.into_values()))
        .collect()
}

/// Every field with its versions.
#[must_use]
pub fn fields<V: Ord + Clone>(document: &Document<V>) -> BTreeMap<String, Vec<V>> {
    document
        .iter()
        .map(|(field, register)| (field.clone(), register.into_values()))
        .collect()
}

/// Writes `value` to `field` as replica `at`, replacing the versions in `seen` (from
/// [`read_field`]); versions written concurrently that `seen` does not hold stay beside it.
/// Returns the delta (for `PgReplica::apply`).
///
/// # Errors
///
/// [`Overflow`] when `at` has used up its dot counter; nothing changed.
pub fn write_field<V: Ord + Clone>(
    document: &mut Document<V>,
    at: ReplicaId,
    field: &str,
    value: V,
    seen: &Versions<V>,
) -> Result<Document<V>, Overflow> {
    document.apply(at, field.to_owned(), |register, at| {
        register.write(at, value, &seen.context)
    })
}

/// Writes `value` to `field` as replica `at`, replacing every version this replica holds
/// (a blind overwrite of what it has seen; versions it has not received yet stay).
///
/// # Errors
///
/// [`Overflow`] when `at` has used up its dot counter; nothing changed.
pub fn set_field<V: Ord + Clone>(
    document: &mut Document<V>,
    at: ReplicaId,
    field: &str,
    value: V,
) -> Result<Document<V>, Overflow> {
    document.apply(at, field.to_owned(), |register, at| {
        let (_, seen) = register.read();
        register.write(at, value, &seen)
    })
}
