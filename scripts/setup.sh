#!/usr/bin/env bash
# Installs, from Debian packages, whatever memtrace needs to build and test that is missing.
# Idempotent and quiet when everything is there. usage: scripts/setup.sh [--bench]
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libunwind-dev libzstd-dev libsqlite3-dev  # recorder stacks, trace compression, analysis store
  libncurses-dev libdw-dev libelf-dev       # TUI, symbols
  libdeflate-dev                            # symbols: faster inflating of debug sections
  libyaml-dev                               # check: budget files
  libxml2-utils                             # tests: xmllint checks the JUnit output
  clang libclang-rt-14-dev                  # libFuzzer and sanitizers for the tests
  valgrind tmux sqlite3 zstd file binutils  # test oracles and drivers
)
[ "${1:-}" = "--bench" ] && packages+=(hyperfine time heaptrack python3 sqlite3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
