#!/usr/bin/env bash
# Takes an anvil snapshot and prints its id (use with revert.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
id="$(rpc evm_snapshot | tr -d '"')"
echo "snapshot: id $id at block $("$CAST" block-number --rpc-url "$RPC_URL")" >&2
echo "$id"
