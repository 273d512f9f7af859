#!/usr/bin/env bash
# Deploys the Rollup to $RPC_URL from $DEV_PRIVATE_KEY (anvil account 0 by default) and prints
# the deployment as JSON. The verifier must be named: --verifier plonky3|<address>|insecure-mock.
#   deploy.sh --verifier plonky3 [--slot-duration 12 --epoch-duration 32 ...]
# All arguments go to `vouch deploy` (see `vouch deploy --help`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$VOUCH_ROOT"
echo "deploy: vouch deploy --rpc-url $RPC_URL $*" >&2
cargo run --quiet --locked -p vouch -- deploy --rpc-url "$RPC_URL" --private-key "$DEV_PRIVATE_KEY" "$@"
