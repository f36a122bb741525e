//! The wire form: round trips, and refusals of states the merge could not rely on. Hostile
//! bytes are crafted by encoding a look-alike struct (same serde shape, same tag) and decoding
//! them as the real type.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a test failure with a message"
)]

use concord_set::concord_clock::LamportTimestamp;
use concord_set::concord_core::codec::{self, DecodeError, WireType, tag};
use concord_set::concord_core::{MAX_ENTRIES, ValidationError};
use concord_set::{AddWins, LwwElementSet, RemoveWins};
use serde::{Deserialize, Serialize};

type Ts = LamportTimestamp<u64>;
type Set<B = AddWins> = LwwElementSet<u32, Ts, B>;

/// The same shape as the set's encoding, without its checks.
#[derive(Serialize, Deserialize)]
struct LookAlike {
    bias: u8,
    entries: Vec<(u32, Option<Ts>, Option<Ts>)>,
}

impl WireType for LookAlike {
    const TAG: u16 = tag::LWW_ELEMENT_SET;
    const VERSION: u16 = 1;
    const NAME: &'static str = "LookAlike";
}

fn ts(time: u64) -> Option<Ts> {
    Some(LamportTimestamp::new(time, 1))
}

fn craft(entries: Vec<(u32, Option<Ts>, Option<Ts>)>) -> Vec<u8> {
    codec::encode(&LookAlike { bias: 0, entries }).unwrap()
}

fn refusal(bytes: &[u8]) -> String {
    match codec::decode::<Set>(bytes) {
        Err(DecodeError::Invalid { type_name, reason }) => {
            assert_eq!(type_name, "LwwElementSet");
            reason
        }
        other => panic!("expected an invalid-state refusal, got {other:?}"),
    }
}

#[test]
fn the_look_alike_is_accepted_when_it_is_valid() {
    // Guards the refusal tests below: they fail for the reason they name, not the shape.
    let bytes = craft(vec![(1, ts(1), None), (2, None, ts(2)), (7, ts(3), ts(4))]);
    let set: Set = codec::decode(&bytes).unwrap();
    assert_eq!(set.iter().copied().collect::<Vec<_>>(), [1]);
    assert_eq!(set.stats().entries(), 3);
    assert_eq!(codec::encode(&set).unwrap(), bytes);
}

#[test]
fn unsorted_elements_are_refused() {
    let bytes = craft(vec![(1, ts(1), None), (5, ts(2), None), (3, ts(3), None)]);
    assert!(refusal(&bytes).contains(&ValidationError::Unsorted.to_string()));
}

#[test]
fn duplicate_elements_are_refused() {
    let bytes = craft(vec![(1, ts(1), None), (4, ts(2), None), (4, None, ts(3))]);
    assert!(refusal(&bytes).contains(&ValidationError::Duplicate.to_string()));
}

#[test]
fn entries_without_a_stamp_are_refused() {
    let bytes = craft(vec![(1, ts(1), None), (2, None, None)]);
    assert!(refusal(&bytes).contains("neither an add nor a remove stamp"));
}

#[test]
fn more_entries_than_the_limit_are_refused() {
    let entries = (0..=MAX_ENTRIES as u32).map(|e| (e, None, None)).collect();
    let bytes = craft(entries);
    let expected = ValidationError::TooMany {
        len: MAX_ENTRIES + 1,
        max: MAX_ENTRIES,
    };
    assert!(refusal(&bytes).contains(&expected.to_string()));
}

#[test]
fn a_set_encoded_with_the_other_bias_is_refused() {
    let mut set: Set<RemoveWins> = LwwElementSet::new();
    set.insert(3, ts(1).unwrap());
    let bytes = codec::encode(&set).unwrap();
    assert!(refusal(&bytes).contains("other bias"));
    assert_eq!(codec::decode::<Set<RemoveWins>>(&bytes).unwrap(), set);
    let mut wrong = codec::encode(&LookAlike {
        bias: 2,
        entries: vec![],
    })
    .unwrap();
    assert!(refusal(&wrong).contains("other bias"));
    wrong[8] = 0; // the bias byte
    assert!(codec::decode::<Set>(&wrong).unwrap().is_empty());
}

#[test]
fn other_types_are_refused_by_tag() {
    let bytes = codec::encode(&LamportTimestamp::new(1, 2u64)).unwrap();
    assert!(matches!(
        codec::decode::<Set>(&bytes),
        Err(DecodeError::WrongType { .. })
    ));
}

#[test]
fn a_large_set_round_trips() {
    let mut set: Set = LwwElementSet::new();
    set.insert_all((0..5_000u32).map(|e| (e * 3, LamportTimestamp::new(u64::from(e), 1))));
    set.remove_all((0..2_000u32).map(|e| (e * 5, LamportTimestamp::new(3_000, 2))));
    let bytes = codec::encode(&set).unwrap();
    assert_eq!(codec::decode::<Set>(&bytes).unwrap(), set);
}

#[test]
fn every_prefix_of_an_encoding_is_refused_without_panic() {
    let mut set: LwwElementSet<String, Ts, RemoveWins> = LwwElementSet::new();
    set.insert("apples".into(), ts(4).unwrap());
    set.remove("pears".into(), ts(5).unwrap());
    let bytes = codec::encode(&set).unwrap();
    for cut in 0..bytes.len() {
        assert!(codec::decode::<LwwElementSet<String, Ts, RemoveWins>>(&bytes[..cut]).is_err());
    }
    assert_eq!(
        codec::decode::<LwwElementSet<String, Ts, RemoveWins>>(&bytes).unwrap(),
        set
    );
}
