#!/usr/bin/env bash
# The test command (README): installs the toolchain, then runs every check in order.
#   1. toolchain (npm Foundry + solcjs, apt packages)
#   2. contracts: forge build, binding artifacts fresh, forge test
#   3. Rust: fmt, clippy (warnings are errors), cargo test for the whole workspace, which
#      includes the end-to-end tests against a live anvil in testnet/tests/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
step() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }

step "toolchain"
anvil-scripts/install-toolchain.sh
source anvil-scripts/lib.sh
source anvil-scripts/rocksdb-cache.sh

step "contracts: bindings fresh"
anvil-scripts/bindings.sh --check
step "contracts: forge test"
(cd contracts && "$FORGE" test)

step "rust: fmt"
cargo fmt --all --check
step "rust: clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "rust: test"
cargo test --workspace --locked

step "all tests passed"
