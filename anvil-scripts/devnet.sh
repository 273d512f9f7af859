#!/usr/bin/env bash
# The devnet command (README). Installs the toolchain, builds vouch, starts anvil and deploys
# the contracts, then keeps anvil running until Ctrl-C.
# The sequencer and the node join this command with their issues.
#   devnet.sh [--port 8545] [--slot-duration 4] [--epoch-duration 4] [--proof-submission-epochs 1]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port=8545 slot=4 epoch=4 submission=1
while (( $# )); do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --slot-duration) slot="$2"; shift 2 ;;
    --epoch-duration) epoch="$2"; shift 2 ;;
    --proof-submission-epochs) submission="$2"; shift 2 ;;
    *) echo "devnet: unknown argument $1" >&2; exit 2 ;;
  esac
done
anvil-scripts/install-toolchain.sh
cargo build --locked -p vouch
source anvil-scripts/lib.sh
export RPC_URL="http://127.0.0.1:$port"

anvil-scripts/start-anvil.sh --port "$port" --background
trap 'kill "$(cat .devnet/anvil.pid)" 2>/dev/null || true; echo "devnet: stopped anvil"' EXIT
# The real epoch-proof verifier is its own issue; until it lands the devnet names the
# insecure mock explicitly.
target/debug/vouch deploy --rpc-url "$RPC_URL" --private-key "$DEV_PRIVATE_KEY" \
  --verifier insecure-mock --slot-duration "$slot" --epoch-duration "$epoch" \
  --proof-submission-epochs "$submission" | tee .devnet/deployment.json
echo "devnet: L1 at $RPC_URL, deployment in .devnet/deployment.json; Ctrl-C to stop"
pid="$(cat .devnet/anvil.pid)"
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
