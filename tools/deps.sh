#!/usr/bin/env bash
# Installs the Debian packages perpcore builds with, only those missing, so a
# second run costs a few dpkg queries. Needs root (or sudo) only if something
# is missing.
set -euo pipefail
# clang and libclang-rt-dev (compiler-rt: libFuzzer, ASan, UBSan) build the
# sanitizer tree, the fuzz targets and the Clang side of the determinism check.
pkgs=(cmake ninja-build g++ pkg-config libabsl-dev libfmt-dev libeigen3-dev
      libsecp256k1-dev catch2 pybind11-dev python3-dev python3-numpy python3-pytest
      python3-setuptools python3-matplotlib mypy clang libclang-rt-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "perpcore: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
