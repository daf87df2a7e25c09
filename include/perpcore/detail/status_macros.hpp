// -----------------------------------------------------------------------------
// File: perpcore/detail/status_macros.hpp
// -----------------------------------------------------------------------------
//
// Not API. Debian's Abseil (20220623) predates ABSL_RETURN_IF_ERROR, so
// perpcore carries its own two propagation macros.
#ifndef PERPCORE_DETAIL_STATUS_MACROS_HPP_
#define PERPCORE_DETAIL_STATUS_MACROS_HPP_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PERPCORE_RETURN_IF_ERROR(expr)              \
  do {                                              \
    const ::absl::Status perpcore_status_ = (expr); \
    if (!perpcore_status_.ok()) {                   \
      return perpcore_status_;                      \
    }                                               \
  } while (0)

#define PERPCORE_STATUS_CONCAT_INNER_(a, b) a##b
#define PERPCORE_STATUS_CONCAT_(a, b) PERPCORE_STATUS_CONCAT_INNER_(a, b)

#define PERPCORE_ASSIGN_OR_RETURN(lhs, expr)                                  \
  PERPCORE_ASSIGN_OR_RETURN_IMPL_(                                            \
      PERPCORE_STATUS_CONCAT_(perpcore_statusor_, __LINE__), lhs, expr)
#define PERPCORE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) {                                      \
    return std::move(statusor).status();                     \
  }                                                          \
  lhs = *std::move(statusor)

#endif  // PERPCORE_DETAIL_STATUS_MACROS_HPP_
