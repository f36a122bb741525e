#![no_main]

use concord_fuzz::{checks, run};

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(checks::vector_clock_decode, data));
