// Checked fixed-point arithmetic and the fatal handler behind PERPCORE_CHECK.
//
// Every quotient is computed on magnitudes in absl::uint128 and only then
// given its sign and narrowed: the magnitude of any int128 (2^127 included)
// fits, so INT128_MIN / -1 and INT64_MIN / -1 are ordinary out-of-range
// results here rather than the undefined behaviour of signed division.
#include "perpcore/core/fixed.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

PERPCORE_NAMESPACE_BEGIN
namespace {

// Held atomically so that a check failing on one thread while another
// installs a handler is not a data race. nullptr means the default handler.
std::atomic<FatalHandler> g_fatal_handler{nullptr};

void DefaultFatalHandler(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "perpcore: check failed: %s at %s:%d\n", condition, file, line);
}

absl::uint128 Magnitude(absl::int128 v) {
  const auto bits = static_cast<absl::uint128>(v);
  return v < 0 ? -bits : bits;  // unsigned negation: exact even for 2^127
}

// Whether rounding the exact quotient moves the truncated magnitude `q` up by
// one. `rem` is the remainder of the magnitudes and `den` the divisor's
// magnitude; `negative` is the sign of the exact quotient.
bool RoundsAwayFromZero(Round r, bool negative, absl::uint128 q, absl::uint128 rem,
                        absl::uint128 den) {
  const bool inexact = rem != 0;
  switch (r) {
    case Round::kDown:
      return inexact && negative;
    case Round::kUp:
      return inexact && !negative;
    case Round::kTowardZero:
      return false;
    case Round::kHalfEven: {
      // The exact magnitude lies rem/den above q and (den - rem)/den below q + 1.
      const absl::uint128 to_next = den - rem;
      return rem > to_next || (rem == to_next && (q & 1) != 0);
    }
  }
  detail::Fatal("r is a valid perpcore::Round", __FILE__, __LINE__);
}

// num / den rounded as `r`, or nullopt if that leaves int64. Requires den != 0.
std::optional<std::int64_t> Quotient(absl::int128 num, absl::int128 den, Round r) {
  const bool negative = (num < 0) != (den < 0);
  const absl::uint128 n = Magnitude(num);
  const absl::uint128 d = Magnitude(den);
  absl::uint128 q = n / d;
  if (RoundsAwayFromZero(r, negative, q, n % d, d)) ++q;  // q <= 2^127: no wrap
  // int64 reaches 2^63 below zero but only 2^63 - 1 above it.
  const absl::uint128 max_magnitude =
      absl::uint128(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (q > max_magnitude) return std::nullopt;
  const std::uint64_t magnitude = absl::Uint128Low64(q);
  // C++20 defines the modular conversion, so -2^63 needs no special case.
  return static_cast<std::int64_t>(negative ? std::uint64_t{0} - magnitude : magnitude);
}

// absl::StrCat has no int128 overload in Debian's Abseil; this is error-path only.
std::string ToString(absl::int128 v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

FatalHandler SetFatalHandler(FatalHandler handler) { return g_fatal_handler.exchange(handler); }

namespace detail {

void Fatal(const char* condition, const char* file, int line) {
  const FatalHandler handler = g_fatal_handler.load();
  (handler != nullptr ? handler : DefaultFatalHandler)(condition, file, line);
  std::abort();  // a handler that returns has nowhere safe to return to
}

absl::Status OverflowError(const char* op) {
  return absl::OutOfRangeError(
      absl::StrCat("result of fixed-point ", op, " does not fit in int64"));
}

}  // namespace detail

absl::StatusOr<std::int64_t> DivRound(absl::int128 num, absl::int128 den, Round r) {
  if (den == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("DivRound: division by zero (", ToString(num), " / 0)"));
  }
  const std::optional<std::int64_t> q = Quotient(num, den, r);
  if (!q) {
    return absl::OutOfRangeError(absl::StrCat("DivRound: quotient of ", ToString(num), " / ",
                                              ToString(den), " does not fit in int64"));
  }
  return *q;
}

absl::StatusOr<std::int64_t> MulDiv(std::int64_t a, std::int64_t b, std::int64_t c, Round r) {
  if (c == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("MulDiv: division by zero (", a, " * ", b, " / 0)"));
  }
  // |a * b| <= 2^126: the product of two int64 always fits in int128.
  const std::optional<std::int64_t> q = Quotient(absl::int128(a) * b, c, r);
  if (!q) {
    return absl::OutOfRangeError(
        absl::StrCat("MulDiv: result of ", a, " * ", b, " / ", c, " does not fit in int64"));
  }
  return *q;
}

absl::StatusOr<Quote> ApplyRate(Quote amount, Rate rate, Round r) {
  const std::optional<std::int64_t> q =
      Quotient(absl::int128(amount.raw()) * rate.raw(), kRateScale, r);
  if (!q) {
    return absl::OutOfRangeError(absl::StrCat("ApplyRate: ", amount.raw(), " * rate ", rate.raw(),
                                              "e-18 does not fit in int64"));
  }
  return Quote(*q);
}

absl::StatusOr<Rate> RateFromRatio(std::int64_t num, std::int64_t den, Round r) {
  if (den == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RateFromRatio: division by zero (", num, " / 0)"));
  }
  const std::optional<std::int64_t> q = Quotient(absl::int128(num) * kRateScale, den, r);
  if (!q) {
    return absl::OutOfRangeError(absl::StrCat("RateFromRatio: ", num, " / ", den,
                                              " is outside the Rate range (about +-9.22)"));
  }
  return Rate(*q);
}

int CompareRatios(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
  PERPCORE_CHECK(b > 0 && d > 0);
  // With positive denominators, a/b < c/d iff a*d < c*b; dividing first would
  // round both sides and call unequal ratios equal.
  const absl::int128 lhs = absl::int128(a) * d;
  const absl::int128 rhs = absl::int128(c) * b;
  return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
}

PERPCORE_NAMESPACE_END
