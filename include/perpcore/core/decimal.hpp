// -----------------------------------------------------------------------------
// File: perpcore/core/decimal.hpp
// -----------------------------------------------------------------------------
//
// Exact conversion between decimal text and fixed-point integers.
//
// A DecimalScale says what one integer unit is worth in decimal: `step` units
// of 10^-decimals. A market quoting BTC in dollars with a $0.5 tick has
// ticks = DecimalScale{.decimals = 1, .step = 5}: "65000.5" is 130001 ticks.
// With the default step 1, "65000.5" at one decimal is 650005.
//
// Accepted text: an optional '-', one or more ASCII digits, and optionally '.'
// followed by one or more digits. Nothing else: no '+', no exponent, no
// spaces, no ".5" or "5.". Digits past `decimals` are accepted only if they
// are zeros ("1.50" at one decimal is 15): text never loses precision
// silently.
//
// Errors (absl::Status, with a message naming the text):
//   kInvalidArgument  malformed text, excess precision, a value that is not a
//                     whole number of steps, or a bad scale (decimals outside
//                     [0, 18], step < 1);
//   kOutOfRange       the value does not fit in int64 units.
//
// Complexity: O(length of text). Thread safety: pure functions.
#ifndef PERPCORE_CORE_DECIMAL_HPP_
#define PERPCORE_CORE_DECIMAL_HPP_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "perpcore/core/fixed.hpp"

PERPCORE_NAMESPACE_BEGIN

// DecimalScale
//
// One unit is `step` * 10^-decimals.
struct DecimalScale {
  int decimals = 0;
  std::int64_t step = 1;
};

// ParseDecimal()
//
// The exact number of units `text` denotes. See the file comment for errors.
absl::StatusOr<std::int64_t> ParseDecimal(std::string_view text, DecimalScale scale);

// FormatDecimal()
//
// The shortest exact text for `units`: no trailing zeros after the point and
// no point for whole numbers ("65000.5", "-0.25", "7"). Exact for every int64,
// INT64_MIN included; ParseDecimal(FormatDecimal(u, s), s) == u.
// Errors: kInvalidArgument for a bad scale.
absl::StatusOr<std::string> FormatDecimal(std::int64_t units, DecimalScale scale);

// Typed conveniences: the same rules, the unit in the type.
template <class T>
absl::StatusOr<T> ParseAs(std::string_view text, DecimalScale scale) {
  auto units = ParseDecimal(text, scale);
  if (!units.ok()) return units.status();
  return T(*units);
}
template <class Tag>
absl::StatusOr<std::string> Format(Fixed<Tag> value, DecimalScale scale) {
  return FormatDecimal(value.raw(), scale);
}

// ParseRate() / FormatRate()
//
// A Rate as a plain decimal fraction: "0.0001" is 1 basis point.
absl::StatusOr<Rate> ParseRate(std::string_view text);
std::string FormatRate(Rate rate);

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_DECIMAL_HPP_
