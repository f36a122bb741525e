#![no_main]

use concord_fuzz::{checks, run};

libfuzzer_sys::fuzz_target!(|data: &[u8]| run(checks::lww_element_set_ops, data));
