# Sourced by the other scripts: paths of the repo-local Foundry binaries and small helpers.
# The native binaries are used (not the npm node wrappers) so that a kill reaches the real process.
VOUCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FOUNDRY_BIN="$VOUCH_ROOT/node_modules/@foundry-rs"
ANVIL="${VOUCH_ANVIL:-$FOUNDRY_BIN/anvil-linux-amd64/bin/anvil}"
FORGE="${VOUCH_FORGE:-$FOUNDRY_BIN/forge-linux-amd64/bin/forge}"
CAST="${VOUCH_CAST:-$FOUNDRY_BIN/cast-linux-amd64/bin/cast}"
RPC_URL="${RPC_URL:-http://127.0.0.1:8545}"
# anvil's first default account; only ever meaningful on a local devnet.
DEV_PRIVATE_KEY="${DEV_PRIVATE_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}"

for tool in "$ANVIL" "$FORGE" "$CAST"; do
  if [[ ! -x "$tool" ]]; then
    echo "missing $tool: run anvil-scripts/install-toolchain.sh first" >&2
    exit 1
  fi
done

# rpc METHOD [JSON-PARAMS]: one JSON-RPC call against $RPC_URL, prints the result.
rpc() {
  "$CAST" rpc --rpc-url "$RPC_URL" "$@"
}
