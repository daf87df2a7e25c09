#!/usr/bin/env bash
# Determinism rules of DESIGN.md that a grep can enforce: no floating point in
# state modules, no wall clock or ambient randomness anywhere in src/.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
state_dirs=(src/book include/perpcore/book src/core include/perpcore/core src/oracle include/perpcore/oracle src/risk include/perpcore/risk src/fees include/perpcore/fees src/funding include/perpcore/funding src/liquidation include/perpcore/liquidation src/engine include/perpcore/engine)
if grep -rnwE 'float|double|long double' "${state_dirs[@]}"; then
  echo "lint: floating point in a state module (DESIGN.md rule 1)"; status=1
fi
if grep -rnE 'chrono::[a-z_]+::now|\btime\(|\brand\(|random_device|-ffast-math' src include CMakeLists.txt cmake; then
  echo "lint: wall clock, ambient randomness or fast-math in the library (DESIGN.md rule 2)"; status=1
fi
# catch_discover_tests hands test names to CMake as a list: a ';' in a name
# splits it into two tests that match nothing and pass without running.
if grep -rnE '(TEST_CASE|SCENARIO)\(\s*"[^"]*;' tests; then
  echo "lint: a ';' in a test name (CTest would silently not run it)"; status=1
fi
# A '[' or ']' in a name unbalances CMake's list brackets: every test named
# after it in the file is joined into one name that matches nothing.
if grep -rnE '(TEST_CASE|SCENARIO)\(\s*"[^"]*[][]' tests; then
  echo "lint: a '[' or ']' in a test name (CTest would silently not run the tests after it)"; status=1
fi
exit $status
