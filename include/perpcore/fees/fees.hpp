// -----------------------------------------------------------------------------
// File: perpcore/fees/fees.hpp
// -----------------------------------------------------------------------------
//
// Trading fees in one place: the validation of a market's fee schedule
// against the engine's fee tiers and referrer share, the effective rate of a
// fee tier, and each fee of a fill with its rounding.
//
// Units: notionals and fees in Quote atoms (as absl::int128 where a product
// is formed); rates as Rate (1e18 = 1).
// Rounding, always for the solvency of the fee pool: a taker fee and a
// positive maker fee round up; a maker rebate and a referrer's cut round
// down; the pool keeps the remainders. A discount is applied to positive
// rates only (rebates are not discounted) and the discounted rate rounds up.
// Thread safety: pure functions. Determinism: integer-only.
//
// Example:
//   const FeeTerms t{.taker_fee = p.taker_fee, .maker_fee = p.maker_fee};
//   const Quote fee = fees::TakerFee(t, schedule, tier, notional);
#ifndef PERPCORE_FEES_FEES_HPP_
#define PERPCORE_FEES_FEES_HPP_

#include <cstdint>
#include <span>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/core/fixed.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace fees {

inline constexpr std::size_t kMaxFeeTiers = 16;

// Schedule
//
// The engine-wide part: tier t multiplies positive fees by
// (1 - tier_discounts[t]); the referrer of a taker gets referrer_share of
// the taker's fee. Views into the engine's configuration.
struct Schedule {
  std::span<const Rate> tier_discounts;
  Rate referrer_share;
};

// MarketFees: one market's taker and maker rates (a negative maker rate is
// a rebate).
struct MarketFees {
  Rate taker_fee;
  Rate maker_fee;
};

// ValidateSchedule()
//
// kInvalidArgument naming the field ("fee_tier_discounts ..." or
// "referrer_share ...") unless: 1..kMaxFeeTiers tiers, tier 0 is 0, each in
// [0, 1) and non-decreasing; referrer_share in [0, 1).
absl::Status ValidateSchedule(const Schedule& s);

// ValidateMarketFees()
//
// kInvalidArgument naming the field ("taker_fee ..." / "maker_fee ...")
// unless 0 <= taker_fee <= 10%, maker_fee <= taker_fee, and a rebate
// (maker_fee < 0) no larger than the smallest taker fee after the best
// tier discount and the referrer share, so no fill ever pays out of the
// pool more than it put in. Requires ValidateSchedule(s).ok().
absl::Status ValidateMarketFees(const MarketFees& f, const Schedule& s);

// EffectiveRate()
//
// rate * (1 - tier_discounts[tier]) rounded up for rate > 0; rate itself
// otherwise. Requires tier < tier_discounts.size() (checked).
Rate EffectiveRate(Rate rate, const Schedule& s, std::uint32_t tier);

// FillFees
//
// Every fee of one fill, in atoms: taker >= 0; maker < 0 is a rebate paid;
// referrer <= taker is paid out of the taker's fee; pool = what the fee
// pool keeps, taker - referrer + maker >= 0.
struct FillFees {
  std::int64_t taker = 0;
  std::int64_t maker = 0;
  std::int64_t referrer = 0;
  std::int64_t pool = 0;
};

// TakerFee()
//
// ceil(notional * EffectiveRate(taker_fee, tier)), for notional >= 0 below
// 2^64. Saturates at Quote::Max() (a fee no account can pay).
Quote TakerFee(const MarketFees& f, const Schedule& s, std::uint32_t tier,
               absl::int128 notional);

// ForFill()
//
// The fees of one fill of `notional` atoms between a taker of fee tier
// taker_tier and a maker of maker_tier; has_referrer: the taker is referred.
// Notionals come from admitted sizes and prices, so every fee fits in int64.
FillFees ForFill(const MarketFees& f, const Schedule& s, std::uint32_t taker_tier,
                 std::uint32_t maker_tier, bool has_referrer, absl::int128 notional);

}  // namespace fees
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_FEES_FEES_HPP_
