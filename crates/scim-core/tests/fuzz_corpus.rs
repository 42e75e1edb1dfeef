//! Replays every fuzz target's committed corpus, and every crash the fuzzer
//! ever found, through the same checks the `cargo fuzz` targets run
//! (`fuzz/checks/`), on the stable toolchain: an input that once broke a
//! property keeps failing here until the code is fixed, and the inputs that
//! reach deep paths keep being exercised without nightly.
//!
//! Layout (beside `fuzz/Cargo.toml`):
//! - `corpus/<target>/`: the minimized corpus (`scripts/fuzz.sh` grows it in
//!   a scratch folder and never writes here; `cargo fuzz cmin` refreshes it);
//! - `regressions/<target>/`: every crash found, kept after its fix.

#[path = "../fuzz/checks/mod.rs"]
mod checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none when the folder does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|e| e.expect("readable corpus folder").path()).collect();
    files.retain(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')));
    files.sort();
    files
}

/// Runs `check` on every input and names each one that panics.
fn replay(check: fn(&[u8]), files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for file in files {
        let data = std::fs::read(file).expect("readable corpus file");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {why}", file.display()));
        }
    }
    failures
}

#[test]
fn every_corpus_input_and_every_crash_ever_found_holds_the_properties() {
    let mut failures = Vec::new();
    for (target, check) in checks::TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        // An empty corpus would make this test pass on nothing.
        assert!(
            corpus.len() >= 10,
            "the {target} corpus has {} inputs; it is committed under fuzz/corpus",
            corpus.len()
        );
        failures.extend(replay(check, &corpus));
        failures.extend(replay(check, &inputs(&fuzz_dir().join("regressions").join(target))));
    }
    assert!(failures.is_empty(), "{} inputs broke a property:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_replay_reports_a_broken_property() {
    let dir = std::env::temp_dir().join(format!("scim-core-fuzz-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("input");
    std::fs::write(&file, b"boom").unwrap();
    let failures = replay(|data| assert_ne!(data, b"boom", "the property"), &[file]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("the property"), "{failures:?}");
}
