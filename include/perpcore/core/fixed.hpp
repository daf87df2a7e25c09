// -----------------------------------------------------------------------------
// File: perpcore/core/fixed.hpp
// -----------------------------------------------------------------------------
//
// Strong fixed-point types for everything perpcore keeps in state, and the
// checked arithmetic between them.
//
// Units (each an integer count of the unit's smallest step):
//   Ticks   price, in ticks of one market (the market maps ticks to quote).
//   Lots    signed size, in lots of one market; + is long / buy.
//   Quote   money, in atoms of the quote asset (e.g. 1e-6 USDC).
//   Rate    a dimensionless fraction with scale kRateScale = 10^18, so
//           1 raw = 1e-18. Funding of 0.01% per 8 h is 3.47e-9 per second,
//           which this scale holds to nine significant digits; the range is
//           +-9.22 (that is, +-922%), ample for fees, margin fractions and
//           funding rates.
//   TimeNs  caller-supplied time in nanoseconds.
//
// There are no implicit conversions and no operators between different
// units: cross-unit math goes through named functions built on MulDiv.
//
// Rounding: every division names its direction (Round). perpcore rounds
// against the account: requirements and fees up, credits down.
//
// Errors: arithmetic that would leave int64 returns kOutOfRange; a zero
// divisor returns kInvalidArgument. Nothing here is undefined behaviour: all
// intermediates are 128-bit (absl::int128) or use overflow builtins.
//
// Thread safety: pure functions and value types.
//
// Example:
//   PERPCORE_ASSIGN_OR_RETURN(Quote fee,
//       ApplyRate(notional, taker_fee_rate, Round::kUp));
#ifndef PERPCORE_CORE_FIXED_HPP_
#define PERPCORE_CORE_FIXED_HPP_

#include <compare>
#include <cstdint>
#include <limits>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN

// Fixed
//
// An integer count of a unit's smallest step. Comparable within one unit only.
template <class Tag, class Rep = std::int64_t>
class Fixed {
 public:
  using rep = Rep;
  constexpr Fixed() = default;
  constexpr explicit Fixed(Rep raw) : raw_(raw) {}
  constexpr Rep raw() const { return raw_; }
  static constexpr Fixed Min() { return Fixed(std::numeric_limits<Rep>::min()); }
  static constexpr Fixed Max() { return Fixed(std::numeric_limits<Rep>::max()); }
  friend constexpr auto operator<=>(const Fixed&, const Fixed&) = default;

 private:
  Rep raw_ = 0;
};

using Ticks = Fixed<struct TicksTag>;
using Lots = Fixed<struct LotsTag>;
using Quote = Fixed<struct QuoteTag>;
using Rate = Fixed<struct RateTag>;
using TimeNs = Fixed<struct TimeNsTag>;

// kRateScale: Rate(kRateScale) is exactly 1.
inline constexpr std::int64_t kRateScale = 1'000'000'000'000'000'000;
// kRateDecimals: the number of decimal digits of a Rate's fraction.
inline constexpr int kRateDecimals = 18;

// Round
//
// The direction of every division and narrowing:
//   kDown        toward -infinity (floor)
//   kUp          toward +infinity (ceiling)
//   kTowardZero  truncation, as C++ integer division
//   kHalfEven    to nearest, ties to the even neighbour (banker's rounding)
enum class Round : std::uint8_t { kDown, kUp, kTowardZero, kHalfEven };

// DivRound()
//
// num / den rounded as `r`, narrowed to int64.
// Errors: kInvalidArgument if den == 0; kOutOfRange if the quotient leaves int64.
absl::StatusOr<std::int64_t> DivRound(absl::int128 num, absl::int128 den, Round r);

// MulDiv()
//
// a * b / c through a 128-bit intermediate, rounded as `r`. Exact: the only
// rounding is the one named.
// Errors: kInvalidArgument if c == 0; kOutOfRange if the result leaves int64.
absl::StatusOr<std::int64_t> MulDiv(std::int64_t a, std::int64_t b, std::int64_t c,
                                    Round r);

// CheckedAdd() / CheckedSub() / CheckedNeg() / CheckedAbs() / CheckedMul()
//
// Same-unit arithmetic. CheckedMul scales by a plain integer count.
// Errors: kOutOfRange when the result leaves the representation (including
// -INT64_MIN and |INT64_MIN|).
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedAdd(Fixed<Tag> a, Fixed<Tag> b);
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedSub(Fixed<Tag> a, Fixed<Tag> b);
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedNeg(Fixed<Tag> a);
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedAbs(Fixed<Tag> a);
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedMul(Fixed<Tag> a, std::int64_t n);

// ApplyRate()
//
// amount * rate / kRateScale, rounded as `r`: fees, interest, funding.
// Errors: kOutOfRange if the result leaves int64.
absl::StatusOr<Quote> ApplyRate(Quote amount, Rate rate, Round r);

// RateFromRatio()
//
// num / den as a Rate, rounded as `r` (e.g. 1/150 for 150x leverage).
// Errors: kInvalidArgument if den == 0; kOutOfRange if |num/den| > 9.22.
absl::StatusOr<Rate> RateFromRatio(std::int64_t num, std::int64_t den, Round r);

// CompareRatios()
//
// The sign of a/b - c/d for b, d > 0, by cross-multiplying in 128 bits (never
// by dividing): -1, 0 or +1. The products of two int64 always fit in int128.
// Requires b > 0 and d > 0 (checked).
int CompareRatios(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d);

// ----------------------------------------------------------------------------
// Implementation details of the templates above.
// ----------------------------------------------------------------------------
namespace detail {
absl::Status OverflowError(const char* op);
}  // namespace detail

template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedAdd(Fixed<Tag> a, Fixed<Tag> b) {
  std::int64_t out;
  if (__builtin_add_overflow(a.raw(), b.raw(), &out)) return detail::OverflowError("add");
  return Fixed<Tag>(out);
}
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedSub(Fixed<Tag> a, Fixed<Tag> b) {
  std::int64_t out;
  if (__builtin_sub_overflow(a.raw(), b.raw(), &out)) return detail::OverflowError("subtract");
  return Fixed<Tag>(out);
}
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedNeg(Fixed<Tag> a) {
  return CheckedSub(Fixed<Tag>(0), a);
}
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedAbs(Fixed<Tag> a) {
  return a.raw() < 0 ? CheckedNeg(a) : absl::StatusOr<Fixed<Tag>>(a);
}
template <class Tag>
absl::StatusOr<Fixed<Tag>> CheckedMul(Fixed<Tag> a, std::int64_t n) {
  std::int64_t out;
  if (__builtin_mul_overflow(a.raw(), n, &out)) return detail::OverflowError("multiply");
  return Fixed<Tag>(out);
}

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_FIXED_HPP_
