#!/usr/bin/env bash
# Starts a local anvil L1.
#   start-anvil.sh [--port N] [--chain-id N] [--block-time SECS] [--state FILE] [--background]
# --state loads FILE if it exists and dumps the chain to it on exit (restart from a dump).
# --background writes the pid to .devnet/anvil.pid and the log to .devnet/anvil.log and returns
# once anvil answers JSON-RPC; stop it with: kill "$(cat .devnet/anvil.pid)".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=8545 chain_id=31337 block_time="" state="" background=0
while (( $# )); do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --chain-id) chain_id="$2"; shift 2 ;;
    --block-time) block_time="$2"; shift 2 ;;
    --state) state="$2"; shift 2 ;;
    --background) background=1; shift ;;
    *) echo "start-anvil: unknown argument $1" >&2; exit 2 ;;
  esac
done
args=(--host 127.0.0.1 --port "$port" --chain-id "$chain_id")
[[ -n "$block_time" ]] && args+=(--block-time "$block_time")
[[ -n "$state" ]] && args+=(--state "$state")
echo "start-anvil: anvil ${args[*]}" >&2
if (( background )); then
  mkdir -p "$VOUCH_ROOT/.devnet"
  "$ANVIL" "${args[@]}" > "$VOUCH_ROOT/.devnet/anvil.log" 2>&1 &
  echo $! > "$VOUCH_ROOT/.devnet/anvil.pid"
  for _ in $(seq 1 200); do
    if "$CAST" chain-id --rpc-url "http://127.0.0.1:$port" >/dev/null 2>&1; then
      echo "start-anvil: running (pid $(cat "$VOUCH_ROOT/.devnet/anvil.pid")) at http://127.0.0.1:$port, log .devnet/anvil.log" >&2
      exit 0
    fi
    sleep 0.1
  done
  echo "start-anvil: anvil did not answer on port $port; see .devnet/anvil.log" >&2
  exit 1
fi
exec "$ANVIL" "${args[@]}"
