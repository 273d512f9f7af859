#!/usr/bin/env bash
# Regenerates the contract artifacts the Rust bindings (`crates/l1-contracts`) are generated
# from: runs `forge build`, then keeps each contract's ABI and bytecode in
# crates/l1-contracts/artifacts/<Name>.json. The artifacts are checked in so that `cargo build`
# never needs forge; `cargo test -p vouch-l1-contracts` fails if they are stale.
#   anvil-scripts/bindings.sh          regenerate
#   anvil-scripts/bindings.sh --check  exit 1 if the checked-in artifacts differ from a fresh build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/anvil-scripts/lib.sh"
# <Name> (from <Name>.sol) or <File>:<Name> for a contract declared in another file.
contracts=(Rollup MockVerifier IVerifier VerifierGateway EpochVerifier EpochConstraints
  EpochConstraints:EpochConstraintsData0 EpochConstraints:EpochConstraintsData1
  EpochConstraints:EpochConstraintsData2 EpochConstraints:EpochConstraintsData3)
out_dir="$root/crates/l1-contracts/artifacts"

(cd "$root/contracts" && "$FORGE" build --quiet)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for entry in "${contracts[@]}"; do
  file="${entry%%:*}"
  name="${entry##*:}"
  node -e '
    const fs = require("fs");
    const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const keep = { abi: a.abi, bytecode: { object: a.bytecode.object }, deployedBytecode: { object: a.deployedBytecode.object } };
    fs.writeFileSync(process.argv[2], JSON.stringify(keep, null, 1) + "\n");
  ' "$root/contracts/out/$file.sol/$name.json" "$tmp/$name.json"
done

if [[ "${1:-}" == "--check" ]]; then
  stale=0
  for entry in "${contracts[@]}"; do
    name="${entry##*:}"
    if ! cmp -s "$tmp/$name.json" "$out_dir/$name.json"; then
      echo "stale binding artifact: crates/l1-contracts/artifacts/$name.json (run anvil-scripts/bindings.sh)" >&2
      stale=1
    fi
  done
  exit "$stale"
fi
mkdir -p "$out_dir"
cp "$tmp"/*.json "$out_dir/"
echo "wrote ${contracts[*]} artifacts to crates/l1-contracts/artifacts/"
