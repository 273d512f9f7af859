#!/usr/bin/env bash
# The devnet command (README): installs the toolchain, builds vouch and runs `vouch devnet`:
# anvil (1 s blocks) + the contracts + the devnet sequencer + a transaction generator, with
# progress per epoch, until Ctrl-C (or --epochs N). Extra arguments go to `vouch devnet`
# (see `vouch devnet --help`), e.g. --slot-duration 4 --epoch-duration 4 --tx-rate 5.
# The rollup verifies epoch proofs with the real Plonky3 verifier (EpochVerifier behind a
# VerifierGateway); `--insecure-mock-verifier` swaps in the mock for development.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
anvil-scripts/install-toolchain.sh
source anvil-scripts/rocksdb-cache.sh
cargo build --locked -p vouch
exec target/debug/vouch devnet "$@"
