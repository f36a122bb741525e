//! Golden byte vectors of `LwwMap`: the encoding of fixed maps and of a catch-up summary, compared byte
//! for byte with `tests/data/*.bin` by the law kit's `golden_test!`. A difference means the wire
//! format changed, which needs a format-version bump.
//! `CONCORD_BLESS=1 cargo test -p concord-map --all-features --test golden` rewrites the files.
#![cfg(feature = "laws")]

use concord_map::concord_clock::{HybridTimestamp, LamportTimestamp};
use concord_map::concord_core::golden_test;
use concord_map::{LwwMap, ReplicaId};

type Ts = LamportTimestamp<u64>;

golden_test!(lww_map_empty = LwwMap::<String, String, Ts>::new());

golden_test!(
    lww_map_lamport = {
        // Puts, a put replaced by a later one, a delete of a known key and of a key never seen.
        let mut map: LwwMap<String, String, Ts> = LwwMap::new();
        map.insert("user:1".into(), "Ada".into(), LamportTimestamp::new(1, 1));
        map.insert("user:2".into(), "Grace".into(), LamportTimestamp::new(1, 2));
        map.remove("user:1".into(), LamportTimestamp::new(2, 3));
        map.insert(
            "user:1".into(),
            "Ada Lovelace".into(),
            LamportTimestamp::new(3, 1),
        );
        map.insert(
            "user:3".into(),
            "Edsger".into(),
            LamportTimestamp::new(3, 2),
        );
        map.remove("user:3".into(), LamportTimestamp::new(300, 2));
        map.remove("user:9".into(), LamportTimestamp::new(4, 3));
        assert_eq!(map.get("user:1").map(String::as_str), Some("Ada Lovelace"));
        assert_eq!((map.len(), map.tombstones()), (2, 2));
        map
    }
);

golden_test!(
    lww_map_hybrid_replica_id = {
        // The default stamp: hybrid timestamps of `ReplicaId` actors.
        let (a, b) = (
            ReplicaId::from_u128(0x0123_4567_89ab_cdef),
            ReplicaId::from_u128(u128::MAX - 1),
        );
        let mut map: LwwMap<u32, u64> = LwwMap::new();
        map.insert(7, 40, HybridTimestamp::new(1_700_000_000_123, 0, a));
        map.insert(8, u64::MAX, HybridTimestamp::new(1_700_000_000_123, 2, b));
        map.remove(9, HybridTimestamp::new(1_700_000_000_500, 0, b));
        map
    }
);

golden_test!(
    lww_map_u64 = {
        // Plain numbers as stamps, so two writes share one: the delete wins the tie.
        let mut map: LwwMap<u64, u8, u64> = LwwMap::new();
        map.insert(1, 5, 1_700_000_000);
        map.remove(1, 1_700_000_000);
        map.insert(u64::MAX, 0, 0);
        assert_eq!((map.get(&1), map.tombstones()), (None, 1));
        map
    }
);

golden_test!(
    lww_map_range_summary = {
        // The summary a replica sends to catch up: the digests (of keys and stamps, live
        // entries and tombstones, no values) of a map this small. The file pins the hashes:
        // replicas of different releases must agree on them.
        use concord_map::concord_core::CatchUp;
        let mut map: LwwMap<String, String, Ts> = LwwMap::new();
        map.insert("user:1".into(), "Ada".into(), LamportTimestamp::new(3, 1));
        map.insert("user:2".into(), "Grace".into(), LamportTimestamp::new(1, 2));
        map.remove("user:9".into(), LamportTimestamp::new(4, 3));
        map.summary()
    }
);
