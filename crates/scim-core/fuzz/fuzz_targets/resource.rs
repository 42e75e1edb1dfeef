//! Fuzz target `resource`: the properties are in `checks/resource.rs`, shared with
//! the corpus replay test on stable (`crates/scim-core/tests/fuzz_corpus.rs`).
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::resource::check(data));
