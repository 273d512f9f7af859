#!/usr/bin/env bash
# Installs everything Vouch needs beyond Rust, Node/npm and apt, into the repo (idempotent):
#   * Foundry 1.7.1 (anvil, forge, cast) from the npm packages @foundry-rs/* -> node_modules/
#   * solcjs (npm `solc`), used by forge through anvil-scripts/solc (see contracts/foundry.toml)
#   * the apt packages the Rust build needs (APT_PACKAGES below), when missing
# Nothing outside the repo is assumed besides cargo, node, npm and apt-get.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# clang + libclang-dev: librocksdb-sys compiles RocksDB from C++ and runs bindgen.
APT_PACKAGES=(clang libclang-dev)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "install-toolchain: '$1' is required but not on PATH" >&2; exit 1; }
}
need cargo
need node
need npm

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp="node_modules/.vouch-lock-hash"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "install-toolchain: npm install (Foundry 1.7.1, solcjs; exact versions in package.json)"
  # Not `npm ci`: npm 11 leaves the other platforms' optional Foundry packages out of the lock
  # file and then refuses `ci` as out of sync. Optional dependencies must stay installed: the
  # native Foundry binaries are optional deps.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
for tool in anvil forge cast; do
  bin="node_modules/@foundry-rs/$tool-linux-amd64/bin/$tool"
  [[ -x "$bin" ]] || { echo "install-toolchain: $bin missing after npm ci" >&2; exit 1; }
done
anvil-scripts/solc --version | grep -q '^Version: 0\.8\.' || { echo "install-toolchain: solcjs wrapper broken" >&2; exit 1; }

# apt packages for -sys crates.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  echo "install-toolchain: apt-get install ${missing[*]}"
  sudo_cmd=()
  [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

echo "install-toolchain: ok ($(node_modules/@foundry-rs/forge-linux-amd64/bin/forge --version | head -1), solc $(anvil-scripts/solc --version | sed -n 's/^Version: //p'))"
