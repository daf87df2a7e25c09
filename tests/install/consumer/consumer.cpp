// A C++ program against an installed perpcore: the C++ engine and the C API
// from the same perpcore::perpcore target.
#include <cstdio>

#include "perpcore/engine/engine.hpp"
#include "perpcore/perpcore.h"

int main() {
  using namespace perpcore::engine;
  Engine eng(EngineConfig{});
  const absl::StatusOr<Result> r =
      eng.Apply(Command{.seq = 1, .timestamp = perpcore::TimeNs(1),
                        .payload = CreateAccount{.account = 1, .owner = 1}});
  const bool ok = r.ok() && r->ok() && eng.CheckInvariants().ok() &&
                  perpcore_version_number() == PERPCORE_VERSION_NUMBER;
  std::printf("perpcore %s: C++ consumer %s\n", perpcore_version_string(), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
