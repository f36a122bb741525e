//! Shared by the test binaries.
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a part")]

pub mod server;
