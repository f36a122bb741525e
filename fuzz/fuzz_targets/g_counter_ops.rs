#![no_main]

use concord_fuzz::{checks, run};

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(checks::g_counter_ops, data));
