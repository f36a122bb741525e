//! The codec refuses every kind of bad input with a distinct error and never panics.
#![cfg(feature = "serde")]
#![allow(
    clippy::panic,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_core::codec::{self, DecodeError, HEADER_LEN, MAGIC, WireType, tag};
use concord_core::lattice::ActorMap;
use concord_core::{Dot, ReplicaId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

fn header(tag: u16, version: u16) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out
}

/// A type with a string, to test length prefixes that claim too much.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Named {
    name: String,
    values: Vec<u64>,
}

impl WireType for Named {
    const TAG: u16 = tag::USER + 7;
    const VERSION: u16 = 3;
    const NAME: &'static str = "Named";
}

#[test]
fn round_trips() {
    let dot = Dot::new(ReplicaId::from_u128(42), 9);
    assert_eq!(
        codec::decode::<Dot<ReplicaId>>(&codec::encode(&dot).unwrap()).unwrap(),
        dot
    );
    let named = Named {
        name: "päge views".into(),
        values: vec![1, u64::MAX, 0],
    };
    assert_eq!(
        codec::decode::<Named>(&codec::encode(&named).unwrap()).unwrap(),
        named
    );
}

#[test]
fn envelope_parts_have_distinct_errors() {
    let good = codec::encode(&Dot::new(3u64, 4)).unwrap();
    assert_eq!(&good[..4], &MAGIC);

    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert!(matches!(
        codec::decode::<Dot<u64>>(&bad_magic),
        Err(DecodeError::BadMagic { found }) if found == *b"XNCD"
    ));

    assert!(matches!(
        codec::decode::<Named>(&good),
        Err(DecodeError::WrongType { expected: "Named", found, .. }) if found == tag::DOT
    ));

    let mut future = good.clone();
    future[6] = 2;
    assert!(matches!(
        codec::decode::<Dot<u64>>(&future),
        Err(DecodeError::UnsupportedVersion {
            supported: 1,
            found: 2,
            ..
        })
    ));

    let mut longer = good.clone();
    longer.extend_from_slice(&[0, 0]);
    assert_eq!(
        codec::decode::<Dot<u64>>(&longer),
        Err(DecodeError::TrailingBytes { count: 2 })
    );

    assert_eq!(
        codec::decode_with_limit::<Dot<u64>>(&good, 4),
        Err(DecodeError::TooLarge {
            len: good.len(),
            limit: 4
        })
    );
    assert_eq!(
        codec::decode::<Dot<u64>>(&good[..3]),
        Err(DecodeError::Truncated { len: 3 })
    );
}

#[test]
fn every_prefix_of_a_valid_encoding_is_refused() {
    let named = Named {
        name: "abcdefghij".into(),
        values: (0..40).map(|i| i * 1_000_003).collect(),
    };
    let bytes = codec::encode(&named).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            codec::decode::<Named>(&bytes[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
}

#[test]
fn invariant_violations_are_refused_with_the_reason() {
    // A dot with counter 0 names no event.
    let zero = codec::encode(&Dot::new(1u64, 0)).unwrap();
    let err = codec::decode::<Dot<u64>>(&zero).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Invalid {
                type_name: "Dot",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("zero"), "{err}");

    // An actor map with unsorted, duplicate or zero entries.
    #[derive(Serialize, Deserialize)]
    struct RawMap(concord_core::laws::RawActorMap<u64>);
    impl WireType for RawMap {
        const TAG: u16 = tag::USER + 8;
        const VERSION: u16 = 1;
        const NAME: &'static str = "RawMap";
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(transparent)]
    struct Map(ActorMap<u64>);
    impl WireType for Map {
        const TAG: u16 = tag::USER + 8;
        const VERSION: u16 = 1;
        const NAME: &'static str = "Map";
    }
    let cases: [(&[(u64, u64)], &str); 4] = [
        (&[(2, 1), (1, 1)], "order"),
        (&[(1, 1), (1, 2)], "twice"),
        (&[(1, 0)], "zero"),
        (&[(1, 1), (2, 5)], ""),
    ];
    for (entries, reason) in cases {
        let bytes =
            codec::encode(&RawMap(concord_core::laws::RawActorMap(entries.to_vec()))).unwrap();
        match codec::decode::<Map>(&bytes) {
            Ok(map) => {
                assert!(reason.is_empty(), "{entries:?} accepted");
                assert_eq!(map.0.len(), entries.len());
            }
            Err(err) => assert!(
                err.to_string().contains(reason) && !reason.is_empty(),
                "{err}"
            ),
        }
    }
}

#[test]
fn length_prefixes_claiming_terabytes_are_refused_without_allocating_them() {
    // bincode varint: 253 announces a u64 length. 2^40 bytes is a terabyte.
    let tb: [u8; 9] = [253, 0, 0, 0, 0, 0, 1, 0, 0];
    let mut string = header(Named::TAG, Named::VERSION);
    string.extend_from_slice(&tb);
    string.extend_from_slice(b"abc");
    assert!(matches!(
        codec::decode::<Named>(&string),
        Err(DecodeError::Invalid { .. })
    ));

    let mut seq = header(Named::TAG, Named::VERSION);
    seq.push(0); // empty name
    seq.extend_from_slice(&tb);
    seq.extend_from_slice(&[1, 2, 3]);
    assert!(matches!(
        codec::decode::<Named>(&seq),
        Err(DecodeError::Invalid { .. })
    ));

    let mut map = header(tag::USER + 8, 1);
    map.extend_from_slice(&tb);
    #[derive(Debug, Serialize, Deserialize)]
    #[serde(transparent)]
    struct Map(ActorMap<ReplicaId>);
    impl WireType for Map {
        const TAG: u16 = tag::USER + 8;
        const VERSION: u16 = 1;
        const NAME: &'static str = "Map";
    }
    assert!(codec::decode::<Map>(&map).is_err());
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(0xDEC0DE);
    let mut accepted = 0;
    for i in 0..20_000 {
        let len = rng.random_range(0..64);
        let mut input = if i % 2 == 0 {
            header(Named::TAG, Named::VERSION)
        } else {
            Vec::new()
        };
        input.extend((&mut rng).random_iter::<u8>().take(len));
        if codec::decode::<Named>(&input).is_ok() {
            accepted += 1;
        }
        let _ = codec::decode::<Dot<ReplicaId>>(&input);
        let _ = codec::decode::<ReplicaId>(&input);
    }
    // Some random payloads are valid `Named` values; the point is that none panicked.
    assert!(accepted < 20_000);
}

#[test]
fn replica_id_is_sixteen_raw_bytes_in_binary_and_a_string_in_json() {
    let id = ReplicaId::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
    let bytes = codec::encode(&id).unwrap();
    assert_eq!(bytes.len(), HEADER_LEN + 16);
    assert_eq!(bytes[HEADER_LEN..], id.to_bytes());
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"67e55044-10b1-426f-9247-bb680e5fe0c8\"");
    assert_eq!(serde_json::from_str::<ReplicaId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<ReplicaId>("\"not-a-uuid\"").is_err());
    assert!("nope".parse::<ReplicaId>().is_err());
}

#[cfg(feature = "std")]
#[test]
fn random_ids_differ() {
    assert_ne!(ReplicaId::random(), ReplicaId::random());
}

#[test]
fn replica_id_order_is_the_byte_order() {
    let mut rng = StdRng::seed_from_u64(77);
    for _ in 0..10_000 {
        let a: [u8; 16] = rng.random();
        let mut b = a;
        // Often share a prefix, so later bytes decide.
        let from = rng.random_range(0..16);
        for byte in &mut b[from..] {
            *byte = rng.random();
        }
        let (x, y) = (ReplicaId::from_bytes(a), ReplicaId::from_bytes(b));
        assert_eq!(x.cmp(&y), a.cmp(&b), "{x} vs {y}");
        assert_eq!(x == y, a == b);
    }
}

/// An `ActorMap<u64>` and `ActorMap<u64, [u64; 2]>` on the wire, for the value-column tests.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Counts1(ActorMap<u64>);
impl WireType for Counts1 {
    const TAG: u16 = tag::USER + 9;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Counts1";
}
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Counts2(ActorMap<u64, [u64; 2]>);
impl WireType for Counts2 {
    const TAG: u16 = tag::USER + 10;
    const VERSION: u16 = 1;
    const NAME: &'static str = "Counts2";
}

/// An encoding of actors `1..=n` and the given value column.
fn columns(tag: u16, n: u8, column: &[u8]) -> Vec<u8> {
    let mut bytes = header(tag, 1);
    bytes.push(n);
    bytes.extend(1..=n);
    bytes.push(u8::try_from(column.len()).unwrap_or(u8::MAX));
    bytes.extend_from_slice(column);
    bytes
}

fn invalid_reason<T: WireType + std::fmt::Debug>(bytes: &[u8]) -> String {
    match codec::decode::<T>(bytes) {
        Err(DecodeError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid state, got {other:?}"),
    }
}

#[test]
fn value_columns_are_leb128_and_refused_when_malformed() {
    // Well formed: 5, 300 and 2^21 - 1 (the largest three-byte count).
    let good = columns(Counts1::TAG, 3, &[5, 0xac, 0x02, 0xff, 0xff, 0x7f]);
    let map = codec::decode::<Counts1>(&good).unwrap();
    assert_eq!(
        map.0.iter().map(|(a, v)| (*a, v)).collect::<Vec<_>>(),
        [(1, 5), (2, 300), (3, (1 << 21) - 1)]
    );
    assert_eq!(codec::encode(&map).unwrap(), good, "one encoding per map");
    // u64::MAX takes ten bytes and round-trips.
    let mut max = ActorMap::new();
    max.set(7u64, u64::MAX);
    let bytes = codec::encode(&Counts1(max)).unwrap();
    assert_eq!(bytes.len(), HEADER_LEN + 2 + 1 + 10);
    assert_eq!(
        codec::decode::<Counts1>(&bytes).unwrap().0.get(&7),
        u64::MAX
    );

    // 5 written in two bytes: refused, so the encoding stays canonical.
    let padded = columns(Counts1::TAG, 1, &[0x85, 0x00]);
    assert!(invalid_reason::<Counts1>(&padded).contains("minimally"));
    // Eleven bytes of varint: more than 64 bits.
    let mut long = [0xffu8; 11];
    long[10] = 0x01;
    assert!(invalid_reason::<Counts1>(&columns(Counts1::TAG, 1, &long)).contains("64 bits"));
    // A varint cut short by the end of the column.
    let cut = columns(Counts1::TAG, 1, &[0x85]);
    assert!(invalid_reason::<Counts1>(&cut).contains("ends inside"));
    // More or fewer values than actors.
    let short = columns(Counts1::TAG, 2, &[5]);
    assert!(invalid_reason::<Counts1>(&short).contains("length"));
    let extra = columns(Counts1::TAG, 1, &[5, 6]);
    assert!(invalid_reason::<Counts1>(&extra).contains("length"));
    // A pair of counts missing its second word.
    let half = columns(Counts2::TAG, 1, &[5]);
    assert!(invalid_reason::<Counts2>(&half).contains("ends inside"));
    let pair = columns(Counts2::TAG, 1, &[5, 0]);
    assert_eq!(codec::decode::<Counts2>(&pair).unwrap().0.get(&1), [5, 0]);
}

/// An `ActorMap<ReplicaId>` on the wire, for the actor-column tests.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct IdCounts(ActorMap<ReplicaId>);
impl WireType for IdCounts {
    const TAG: u16 = tag::USER + 11;
    const VERSION: u16 = 1;
    const NAME: &'static str = "IdCounts";
}

/// An encoding of the given actor column (its bytes behind their length) and values
/// `1, 2, ..` for `values` actors.
fn id_columns(actor_column: &[u8], values: u8) -> Vec<u8> {
    let mut bytes = header(IdCounts::TAG, 1);
    let len = u8::try_from(actor_column.len()).unwrap_or(u8::MAX);
    assert!(len < 251, "a one-byte length prefix");
    bytes.push(len);
    bytes.extend_from_slice(actor_column);
    bytes.push(values);
    bytes.extend(1..=values);
    bytes
}

#[test]
fn replica_id_actor_columns_are_one_byte_string() {
    let ids =
        [3u128, 0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8, u128::MAX].map(ReplicaId::from_u128);
    let mut map = ActorMap::new();
    for (i, id) in ids.iter().enumerate() {
        map.set(*id, i as u64 + 1);
    }
    let bytes = codec::encode(&IdCounts(map)).unwrap();
    // The ids' 16 bytes each, in order, behind the column's length in bytes (48), then
    // the value column.
    let column: Vec<u8> = ids.iter().flat_map(|id| id.to_bytes()).collect();
    assert_eq!(bytes, id_columns(&column, 3));
    let back = codec::decode::<IdCounts>(&bytes).unwrap();
    assert_eq!(back.0.actors(), ids);
    assert_eq!(back.0.values(), [1, 2, 3]);
    // Other actor types keep the sequence: a count, then each actor.
    let mut small = ActorMap::new();
    small.set(7u64, 1);
    assert_eq!(
        codec::encode(&Counts1(small)).unwrap()[HEADER_LEN..],
        [1, 7, 1, 1]
    );
}

#[test]
fn replica_id_actor_columns_are_checked() {
    let one = ReplicaId::from_u128(1).to_bytes();
    let two = ReplicaId::from_u128(2).to_bytes();
    // A column that is not a whole number of ids.
    assert!(invalid_reason::<IdCounts>(&id_columns(&one[..15], 1)).contains("multiple of 16"));
    let mut long = [one, two].concat();
    long.push(0);
    assert!(invalid_reason::<IdCounts>(&id_columns(&long, 2)).contains("multiple of 16"));
    // Ids out of order, or twice.
    let unsorted = [two, one].concat();
    assert!(codec::decode::<IdCounts>(&id_columns(&unsorted, 2)).is_err());
    let twice = [one, one].concat();
    assert!(codec::decode::<IdCounts>(&id_columns(&twice, 2)).is_err());
    // As many values as ids, no more, no fewer.
    let pair = [one, two].concat();
    assert!(invalid_reason::<IdCounts>(&id_columns(&pair, 1)).contains("length"));
    assert!(codec::decode::<IdCounts>(&id_columns(&pair, 2)).is_ok());
    // A column cut short by the end of the input.
    let mut cut = id_columns(&pair, 2);
    cut.truncate(HEADER_LEN + 20);
    assert!(codec::decode::<IdCounts>(&cut).is_err());
}

#[test]
fn actor_maps_are_pairs_in_human_readable_formats() {
    let mut map = ActorMap::<u64, [u64; 2]>::new();
    map.set(1, [3, 0]);
    map.set(4, [0, 9]);
    let json = serde_json::to_string(&map).unwrap();
    assert_eq!(json, "[[1,[3,0]],[4,[0,9]]]");
    assert_eq!(
        serde_json::from_str::<ActorMap<u64, [u64; 2]>>(&json).unwrap(),
        map
    );
    assert!(serde_json::from_str::<ActorMap<u64>>("[[4,1],[1,1]]").is_err());
}
