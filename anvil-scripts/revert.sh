#!/usr/bin/env bash
# Reverts anvil to a snapshot: revert.sh SNAPSHOT_ID
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -eq 1 ]] || { echo "usage: revert.sh SNAPSHOT_ID" >&2; exit 2; }
ok="$(rpc evm_revert "$1")"
[[ "$ok" == "true" ]] || { echo "revert: snapshot $1 not found" >&2; exit 1; }
echo "revert: back to snapshot $1, head now block $("$CAST" block-number --rpc-url "$RPC_URL")"
