//! Golden wire vectors: the encodings of fixed registers, compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A difference means the format changed:
//! bump the type's `WireType::VERSION`. `CONCORD_BLESS=1` rewrites the files.
#![cfg(feature = "laws")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is a test failure with a line number"
)]

use concord_register::concord_clock::{DotContext, HybridTimestamp, LamportTimestamp};
use concord_register::concord_core::{Dot, golden_test};
use concord_register::{LwwRegister, MvRegister, ReplicaId};

golden_test!(
    lww_lamport_u64 = LwwRegister::new(String::from("Ada"), LamportTimestamp::new(300, 7u64))
);

golden_test!(
    lww_hybrid_replica_id = {
        let stamp = HybridTimestamp::new(
            1_700_000_000_123,
            2,
            ReplicaId::from_u128(0x0123_4567_89ab_cdef),
        );
        LwwRegister::new(42u32, stamp)
    }
);

golden_test!(
    mv_u64 = {
        // Two concurrent siblings; the context has a gap, so its cloud is not empty.
        let mut reg = MvRegister::<String, u64>::new();
        reg.write(1, "blue".into(), &DotContext::new()).unwrap();
        reg.write(1, "teal".into(), &reg.read().1).unwrap();
        reg.write(2, "green".into(), &DotContext::new()).unwrap();
        let far: DotContext<u64> = [Dot::new(3, 5)].into_iter().collect();
        reg.write(2, "red".into(), &far).unwrap();
        assert_eq!(reg.len(), 3);
        assert!(!reg.context().cloud().is_empty());
        reg
    }
);

golden_test!(
    mv_replica_id = {
        let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(u128::MAX - 1));
        let mut reg = MvRegister::<u16>::new();
        reg.write(a, 500, &DotContext::new()).unwrap();
        reg.write(b, 7, &DotContext::new()).unwrap();
        reg
    }
);
