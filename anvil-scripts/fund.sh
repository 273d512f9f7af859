#!/usr/bin/env bash
# Sends ETH from $DEV_PRIVATE_KEY to an address: fund.sh ADDRESS [AMOUNT_ETH=100]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ $# -ge 1 ]] || { echo "usage: fund.sh ADDRESS [AMOUNT_ETH]" >&2; exit 2; }
to="$1" amount="${2:-100}"
"$CAST" send --quiet --rpc-url "$RPC_URL" --private-key "$DEV_PRIVATE_KEY" "$to" --value "${amount}ether" >/dev/null
echo "fund: sent $amount ETH to $to; balance now $("$CAST" balance --ether --rpc-url "$RPC_URL" "$to") ETH"
