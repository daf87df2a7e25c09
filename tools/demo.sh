#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build --target engine_demo
./build/examples/engine_demo "$@"
