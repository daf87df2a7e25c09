// Test support: a StatusOr flattened into a value Catch can compare and print,
// so a failed CHECK shows both the expected and the actual code or value.
#ifndef PERPCORE_TESTS_SUPPORT_OUTCOME_HPP_
#define PERPCORE_TESTS_SUPPORT_OUTCOME_HPP_

#include <cstdint>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/core/fixed.hpp"

namespace perpcore::testing {

struct Outcome {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::int64_t value = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  if (o.code == absl::StatusCode::kOk) return os << "Ok(" << o.value << ")";
  return os << "Err(" << absl::StatusCodeToString(o.code) << ")";
}

inline Outcome Ok(std::int64_t value) { return {absl::StatusCode::kOk, value}; }
inline Outcome Err(absl::StatusCode code) { return {code, 0}; }

inline Outcome Of(const absl::StatusOr<std::int64_t>& r) {
  return r.ok() ? Ok(*r) : Err(r.status().code());
}
template <class Tag>
Outcome Of(const absl::StatusOr<Fixed<Tag>>& r) {
  return r.ok() ? Ok(r->raw()) : Err(r.status().code());
}

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_OUTCOME_HPP_
