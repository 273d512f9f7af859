#!/usr/bin/env bash
# Moves L1 time forward and mines a block: warp.sh SECONDS
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -eq 1 && "$1" =~ ^[0-9]+$ ]] || { echo "usage: warp.sh SECONDS" >&2; exit 2; }
before="$("$CAST" block latest --field timestamp --rpc-url "$RPC_URL")"
rpc evm_increaseTime "$1" >/dev/null
rpc evm_mine >/dev/null
after="$("$CAST" block latest --field timestamp --rpc-url "$RPC_URL")"
echo "warp: +$1 s, latest block timestamp $before -> $after (block $("$CAST" block-number --rpc-url "$RPC_URL"))"
