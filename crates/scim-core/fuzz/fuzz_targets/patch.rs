//! Fuzz target `patch`: the properties are in `checks/patch.rs`, shared with
//! the corpus replay test on stable (`crates/scim-core/tests/fuzz_corpus.rs`).
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::patch::check(data));
