# Sourced by test.sh and devnet.sh: link the prebuilt RocksDB static library instead of compiling
# RocksDB's C++ (about 12 minutes on 2 cores, twice when both clippy and test build it), when
# the machine has the cache and it fits this checkout. A machine without it builds from source.
#   cache: $VOUCH_ROCKSDB_CACHE, ../shared/cache/rocksdb-11.8.1 next to the repo, or
#          /work/shared/cache/rocksdb-11.8.1
#   fits:  Cargo.lock pins exactly librocksdb-sys 0.19.0+11.8.1 and SHA256SUMS verifies
vouch_use_rocksdb_cache() {
  local root cache
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cache="${VOUCH_ROCKSDB_CACHE:-}"
  if [[ -z "$cache" ]]; then
    # Next to the checkout, or where this machine kind keeps it (a clone may live anywhere).
    for candidate in "$root/../shared/cache/rocksdb-11.8.1" /work/shared/cache/rocksdb-11.8.1; do
      if [[ -f "$candidate/librocksdb.a" ]]; then
        cache="$candidate"
        break
      fi
    done
    cache="${cache:-$root/../shared/cache/rocksdb-11.8.1}"
  fi
  if [[ -n "${ROCKSDB_LIB_DIR:-}" ]]; then
    echo "rocksdb: ROCKSDB_LIB_DIR already set ($ROCKSDB_LIB_DIR)"
    return 0
  fi
  if [[ ! -f "$cache/librocksdb.a" || ! -f "$cache/SHA256SUMS" ]]; then
    echo "rocksdb: no prebuilt library at $cache; building RocksDB from source"
    return 0
  fi
  if ! grep -A1 '^name = "librocksdb-sys"$' "$root/Cargo.lock" | grep -q '^version = "0.19.0+11.8.1"$'; then
    echo "rocksdb: Cargo.lock does not pin librocksdb-sys 0.19.0+11.8.1; building from source"
    return 0
  fi
  if ! (cd "$cache" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    echo "rocksdb: $cache/librocksdb.a fails its checksum; building from source"
    return 0
  fi
  export ROCKSDB_LIB_DIR="$(cd "$cache" && pwd)" ROCKSDB_STATIC=1
  echo "rocksdb: linking the prebuilt library in $ROCKSDB_LIB_DIR"
}
vouch_use_rocksdb_cache
