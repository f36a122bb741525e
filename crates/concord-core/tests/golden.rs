//! Golden wire vectors of the core's wire types: encodings compared byte for byte with
//! `tests/data/*.bin` by the law kit's `golden_test!`. A change needs a format-version bump.
//!
//! `CONCORD_BLESS=1 cargo test -p concord-core --all-features --test golden` rewrites the files.
#![cfg(feature = "laws")]

use concord_core::{Dot, ReplicaId, golden_test};

golden_test!(dot_u64 = Dot::new(300u64, 70_000));

golden_test!(dot_replica_id = Dot::new(ReplicaId::from_u128(0x0123_4567_89ab_cdef), 1));
