#!/usr/bin/env bash
# Forces an L1 reorg: replaces the last DEPTH blocks with DEPTH new (empty) blocks, so every
# transaction in them is dropped (anvil_reorg). reorg.sh DEPTH
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -eq 1 && "$1" =~ ^[1-9][0-9]*$ ]] || { echo "usage: reorg.sh DEPTH" >&2; exit 2; }
head_before="$("$CAST" block latest --field hash --rpc-url "$RPC_URL")"
rpc anvil_reorg "$1" '[]' >/dev/null
head_after="$("$CAST" block latest --field hash --rpc-url "$RPC_URL")"
echo "reorg: replaced the last $1 blocks; head $head_before -> $head_after (block $("$CAST" block-number --rpc-url "$RPC_URL"))"
