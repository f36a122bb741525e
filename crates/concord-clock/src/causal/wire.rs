//! How the dot stores read their sequences: like serde's `Vec`, but preallocating at most
//! [`PREALLOCATION`] bytes whatever the length prefix claims.
//!
//! serde's `Vec` reserves up to 1 MiB before reading the first element. A dot store's sequence
//! can sit inside an element of another sequence (the dots of one element of an `OrSet`, inside
//! its list of elements), and each level's length prefix can claim millions of entries the
//! input does not hold: with serde's reservation at every level, a few bytes would make the
//! decoder allocate 1 MiB per level before failing. The codec's bound is 1 MiB for the whole
//! decode (see `concord_core::codec::decode_with_limit`), so the dot stores reserve little and
//! grow as their entries are actually read.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

/// The most a dot store's sequence reserves before reading its entries, in bytes.
const PREALLOCATION: usize = 4 << 10;

/// Reads a sequence of `T` as `Vec<T>` does, reserving at most [`PREALLOCATION`] bytes up front.
pub(super) fn deserialize_vec<'de, T, D>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    deserializer.deserialize_seq(VecVisitor(PhantomData))
}

struct VecVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for VecVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<T>, S::Error> {
        let most = PREALLOCATION / size_of::<T>().max(1);
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(most));
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(out)
    }
}
