#!/usr/bin/env bash
# A short, bounded coverage-guided run (cargo fuzz, libFuzzer) of each fuzz
# target of scim-core: filter, patch, resource. Needs a nightly toolchain;
# where there is none it says so and skips (the corpus replay test,
# crates/scim-core/tests/fuzz_corpus.rs, still runs every committed input on
# stable). Installs cargo-fuzz with --locked when it is missing.
#
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_TARGETS   space-separated targets (default: all)
#
# New inputs go to a scratch folder, never into the committed corpus. A crash
# fails the run; the input is left in crates/scim-core/fuzz/artifacts/<target>/.
# Fix the code, then keep the input as a regression:
#   cp crates/scim-core/fuzz/artifacts/<target>/crash-… crates/scim-core/fuzz/regressions/<target>/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/crates/scim-core/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TARGETS="${FUZZ_TARGETS:-filter patch resource}"
CARGO_FUZZ_VERSION=0.13.2

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: no nightly toolchain on this machine (cargo +nightly); skipped."
    echo "fuzz: the committed corpus was replayed on stable by crates/scim-core/tests/fuzz_corpus.rs."
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install --locked --quiet "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi
echo "fuzz: $(cargo +nightly --version), $(cargo fuzz --version)"

# The fuzz crate has its own lock file: refuse to run on anything else.
if ! out="$(cargo +nightly fetch --locked --manifest-path "$FUZZ_DIR/Cargo.toml" 2>&1)"; then
    echo "$out"
    echo "fuzz: crates/scim-core/fuzz/Cargo.lock is not up to date; refresh it with cargo +nightly update there"
    exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $TARGETS; do
    echo "fuzz: $target for ${SECONDS_PER_TARGET}s"
    mkdir -p "$scratch/$target" "$FUZZ_DIR/regressions/$target"
    # The first folder receives new inputs; the committed corpus and the
    # regressions seed the run. Bounded in time, memory, input size and
    # per-input time.
    cargo +nightly fuzz run --fuzz-dir "$FUZZ_DIR" "$target" \
        "$scratch/$target" "$FUZZ_DIR/corpus/$target" "$FUZZ_DIR/regressions/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==|SUMMARY|.*(panicked|Test unit written|ERROR))' || true
    status="${PIPESTATUS[0]}"
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target FAILED (exit $status); the input is in $FUZZ_DIR/artifacts/$target/"
        exit 1
    fi
done
echo "fuzz: no target found a crash"
