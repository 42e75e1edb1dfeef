//! The properties each fuzz target checks, one module per target, as plain
//! functions of the input bytes: the `cargo fuzz` targets (nightly) and the
//! corpus replay test `crates/scim-core/tests/fuzz_corpus.rs` (stable) call
//! the same code, so a crash found by the fuzzer stays a failing test on
//! stable until it is fixed.
#![allow(dead_code)]

pub mod filter;
pub mod patch;
pub mod resource;

/// A target's check: panics on an input that breaks a property.
pub type Check = fn(&[u8]);

/// The targets, by the name of their corpus folder, with their checks.
pub const TARGETS: [(&str, Check); 3] =
    [("filter", filter::check), ("patch", patch::check), ("resource", resource::check)];
