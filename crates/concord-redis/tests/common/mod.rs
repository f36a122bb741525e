//! Shared by the test binaries.
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a part")]

pub mod node;
pub mod server;

use concord_map::OrMap;
use concord_redis::ReplicaId;
use concord_register::MvRegister;

/// The key-value store of the tests: key to the versions of its value.
pub type Kv = OrMap<String, MvRegister<String>>;

/// Writes `value` under `key` as replica `at`, replacing every version it has seen.
pub fn set(kv: &mut Kv, at: ReplicaId, key: &str, value: &str) -> Kv {
    kv.apply(at, key.to_owned(), |versions, at| {
        let (_, seen) = versions.read();
        versions.write(at, value.to_owned(), &seen)
    })
    .unwrap()
}

/// The versions of `key`, in a fixed order.
pub fn get(kv: &Kv, key: &str) -> Vec<String> {
    kv.get(key).map(|v| v.into_values()).unwrap_or_default()
}
