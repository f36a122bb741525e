//! The serde form of an [`ActorMap`].
//!
//! Human-readable formats (JSON, TOML, ...) get a sequence of `[actor, value]` pairs, which is
//! what a person reading the data expects.
//!
//! Binary formats get two columns, as a 2-tuple: the actors, then every value as one byte
//! string of unsigned LEB128 varints, each value's words in order (one word for a
//! `u64`, two for the `[increments, decrements]` of a positive-negative counter). Counters
//! grow over a replica's life, and a count below 2^21 takes at most three bytes in LEB128,
//! where the per-value integers of the wire codec need five from 65,536 upwards; writing the
//! column as one byte string is also a single write instead of one per value. Varints must be
//! minimal, so every map has exactly one encoding.
//!
//! The actor column of [`ReplicaId`]s is one byte string too, their 16 bytes each in order: a
//! single write and a single read, where a sequence of ids costs the codec one call per byte.
//! Actors of any other type are a sequence of them.

use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};

use super::{ActorMap, Counts};
use crate::{Actor, MAX_ENTRIES, ReplicaId};

impl<A: Actor + Serialize, V: Counts + Serialize> Serialize for ActorMap<A, V> {
    /// `[actor, value]` pairs in actor order (human-readable formats), or the actor column and
    /// the varint value column (binary formats).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_seq(self.iter());
        }
        serialize_columns(&self.actors, &self.values, serializer)
    }
}

/// Writes the binary form: the actor column, then the varint value column.
pub(crate) fn serialize_columns<A, V, S>(
    actors: &[A],
    values: &[V],
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    A: Serialize + 'static,
    V: Counts,
    S: Serializer,
{
    let mut column = Vec::with_capacity(values.len().saturating_mul(3 * V::WORDS));
    for value in values {
        value.for_each_word(|word| push_leb128(&mut column, word));
    }
    let mut columns = serializer.serialize_tuple(2)?;
    columns.serialize_element(&ActorColumn(actors))?;
    columns.serialize_element(&ByteString(&column))?;
    columns.end()
}

/// Appends `word` as a minimal unsigned LEB128 varint: seven bits a byte, low bits first, the
/// high bit set on every byte but the last. Byte by byte, where copying each varint from a
/// buffer costs a call to copy memory per value.
fn push_leb128(column: &mut Vec<u8>, mut word: u64) {
    while word >= 0x80 {
        column.push((word as u8) | 0x80);
        word >>= 7;
    }
    column.push(word as u8);
}

/// The bytes of one id in the actor column.
const ID_LEN: usize = 16;

/// Whether `A` is [`ReplicaId`], whose column is a byte string.
fn is_replica_id<A: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<ReplicaId>()
}

/// The actor column: one byte string for `ReplicaId`s, a sequence for any other type.
struct ActorColumn<'a, A>(&'a [A]);

impl<A: Serialize + 'static> Serialize for ActorColumn<'_, A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !is_replica_id::<A>() {
            return serializer.collect_seq(self.0);
        }
        let mut bytes = Vec::with_capacity(self.0.len().saturating_mul(ID_LEN));
        for actor in self.0 {
            if let Some(id) = (actor as &dyn Any).downcast_ref::<ReplicaId>() {
                bytes.extend_from_slice(&id.to_bytes());
            }
        }
        serializer.serialize_bytes(&bytes)
    }
}

/// Reads the actor column [`ActorColumn`] writes.
fn deserialize_actors<'de, A, D>(deserializer: D) -> Result<Vec<A>, D::Error>
where
    A: Deserialize<'de> + 'static,
    D: Deserializer<'de>,
{
    if !is_replica_id::<A>() {
        return Vec::<A>::deserialize(deserializer);
    }
    let ids = deserializer.deserialize_bytes(IdColumnVisitor)?;
    // `A` is `ReplicaId`: hand the ids over through a slot of the caller's type.
    let mut slot: Option<Vec<A>> = None;
    if let Some(slot) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Vec<ReplicaId>>>() {
        *slot = Some(ids);
    }
    slot.ok_or_else(|| de::Error::custom("the actor column is not of replica ids"))
}

struct IdColumnVisitor;

impl Visitor<'_> for IdColumnVisitor {
    type Value = Vec<ReplicaId>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string of 16-byte replica ids")
    }

    /// Refuses a length that is not a whole number of ids, and more than
    /// [`MAX_ENTRIES`] ids; their order is checked with the values.
    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        let (ids, rest) = bytes.as_chunks::<{ ID_LEN }>();
        if !rest.is_empty() {
            return Err(E::custom(
                "the actor column's length is not a multiple of 16 bytes",
            ));
        }
        if ids.len() > MAX_ENTRIES {
            return Err(E::custom(
                "the actor column holds more ids than MAX_ENTRIES",
            ));
        }
        Ok(ids.iter().map(|id| ReplicaId::from_bytes(*id)).collect())
    }
}

/// A byte string, serialized as one (serde's `&[u8]` would be a sequence of bytes).
struct ByteString<'a>(&'a [u8]);

impl Serialize for ByteString<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de, A: Actor + Deserialize<'de>, V: Counts + Deserialize<'de>> Deserialize<'de>
    for ActorMap<A, V>
{
    /// Refuses unsorted or duplicate actors, zero values, more than
    /// [`MAX_ENTRIES`](crate::MAX_ENTRIES) entries, as many values as actors not given, and a
    /// value column that is cut short, overflows 64 bits or is not minimally encoded.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let pairs = <Vec<(A, V)> as Deserialize>::deserialize(deserializer)?;
            let (actors, values) = pairs.into_iter().unzip();
            return Self::from_parts(actors, values).map_err(de::Error::custom);
        }
        let (actors, values) = deserialize_columns(deserializer)?;
        Self::from_parts(actors, values).map_err(de::Error::custom)
    }
}

/// Reads the binary form into its two columns, checking only that each is well formed.
pub(crate) fn deserialize_columns<'de, A, V, D>(
    deserializer: D,
) -> Result<(Vec<A>, Vec<V>), D::Error>
where
    A: Deserialize<'de> + 'static,
    V: Counts,
    D: Deserializer<'de>,
{
    deserializer.deserialize_tuple(2, Columns(PhantomData))
}

/// Reads the two binary columns.
struct Columns<A, V>(PhantomData<(A, V)>);

/// The actor column, as [`deserialize_actors`] reads it.
struct Actors<A>(Vec<A>);

impl<'de, A: Deserialize<'de> + 'static> Deserialize<'de> for Actors<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_actors(deserializer).map(Actors)
    }
}

impl<'de, A: Deserialize<'de> + 'static, V: Counts> Visitor<'de> for Columns<A, V> {
    type Value = (Vec<A>, Vec<V>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column of actors and a byte string of their values")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let Actors(actors) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let values: ValueColumn<V> = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((actors, values.0))
    }
}

/// The decoded value column.
struct ValueColumn<V>(Vec<V>);

impl<'de, V: Counts> Deserialize<'de> for ValueColumn<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(ValueColumnVisitor(PhantomData))
    }
}

struct ValueColumnVisitor<V>(PhantomData<V>);

impl<V: Counts> Visitor<'_> for ValueColumnVisitor<V> {
    type Value = ValueColumn<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string of varint values")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        parse_column(bytes).map(ValueColumn)
    }
}

/// Varint words read one after another from a byte string, keeping the first error.
struct Words<'a> {
    rest: &'a [u8],
    error: Option<unsigned_varint::decode::Error>,
}

impl Words<'_> {
    fn next_word(&mut self) -> Option<u64> {
        match unsigned_varint::decode::u64(self.rest) {
            Ok((word, rest)) => {
                self.rest = rest;
                Some(word)
            }
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }
}

/// Decodes a whole value column. Allocates for exactly the values present: every varint ends
/// with the one byte of it whose high bit is clear, so counting those bytes counts the words.
fn parse_column<V: Counts, E: de::Error>(bytes: &[u8]) -> Result<Vec<V>, E> {
    let words = bytes.iter().filter(|b| **b & 0x80 == 0).count();
    let mut values = Vec::with_capacity(words / V::WORDS);
    let mut cursor = Words {
        rest: bytes,
        error: None,
    };
    while !cursor.rest.is_empty() {
        match V::from_words(|| cursor.next_word()) {
            Some(value) => values.push(value),
            None => break,
        }
    }
    match cursor.error {
        Some(unsigned_varint::decode::Error::Overflow) => {
            Err(E::custom("a value in the value column exceeds 64 bits"))
        }
        Some(unsigned_varint::decode::Error::NotMinimal) => Err(E::custom(
            "a value in the value column is not minimally encoded",
        )),
        Some(_) => Err(E::custom("the value column ends inside a value")),
        None => Ok(values),
    }
}
