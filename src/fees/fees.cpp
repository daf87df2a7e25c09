#include "perpcore/fees/fees.hpp"

#include <limits>

#include "absl/strings/str_cat.h"

PERPCORE_NAMESPACE_BEGIN
namespace fees {
namespace {

using absl::int128;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

// ceil(a * rate / 1e18) for a >= 0 and 0 <= rate < 2^63: a * rate fits in
// int128 for every a below 2^64.
int128 CeilRate(int128 a, std::int64_t rate) {
  const int128 p = a * rate;
  int128 q = p / kRateScale;
  if (q * kRateScale < p) q += 1;
  return q;
}
int128 FloorRate(int128 a, std::int64_t rate) { return a * rate / kRateScale; }

std::int64_t Narrow(int128 v) {
  PERPCORE_CHECK(v <= kMaxI64 && v >= -kMaxI64);
  return static_cast<std::int64_t>(v);
}

}  // namespace

absl::Status ValidateSchedule(const Schedule& s) {
  auto bad = [](const char* field, const char* rule) {
    return absl::InvalidArgumentError(absl::StrCat(field, " ", rule));
  };
  const auto& d = s.tier_discounts;
  if (d.empty() || d.size() > kMaxFeeTiers) return bad("fee_tier_discounts", "must have 1..16 tiers");
  if (d[0].raw() != 0) return bad("fee_tier_discounts", "tier 0 must be 0 (no discount)");
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d[i].raw() < 0 || d[i].raw() >= kRateScale) {
      return bad("fee_tier_discounts", "each must be in [0, 1)");
    }
    if (i > 0 && d[i] < d[i - 1]) {
      return bad("fee_tier_discounts", "must not decrease from one tier to the next");
    }
  }
  if (s.referrer_share.raw() < 0 || s.referrer_share.raw() >= kRateScale) {
    return bad("referrer_share", "must be in [0, 1)");
  }
  return absl::OkStatus();
}

absl::Status ValidateMarketFees(const MarketFees& f, const Schedule& s) {
  const std::int64_t taker = f.taker_fee.raw();
  const std::int64_t maker = f.maker_fee.raw();
  if (taker < 0 || taker > kRateScale / 10) {
    return absl::InvalidArgumentError("taker_fee must be in [0, 10%]");
  }
  if (maker > taker) return absl::InvalidArgumentError("maker_fee must be <= taker_fee");
  if (maker < 0) {
    // The smallest taker fee after the best discount and the referrer cut
    // must still pay the rebate, so no trade drains the fee pool.
    const int128 best = s.tier_discounts.back().raw();
    const int128 after_discount = int128(taker) * (kRateScale - best) / kRateScale;
    const int128 after_referrer =
        after_discount * (kRateScale - s.referrer_share.raw()) / kRateScale;
    if (-int128(maker) > after_referrer) {
      return absl::InvalidArgumentError(
          "maker_fee rebate must not exceed the taker fee left after the best discount and "
          "the referrer share");
    }
  }
  return absl::OkStatus();
}

Rate EffectiveRate(Rate rate, const Schedule& s, std::uint32_t tier) {
  PERPCORE_CHECK(tier < s.tier_discounts.size());
  if (rate.raw() <= 0) return rate;  // rebates are not discounted
  const std::int64_t discount = s.tier_discounts[tier].raw();
  // No discount (tier 0, most accounts): the rate itself, exactly, without
  // the 128-bit product and division.
  if (discount == 0) return rate;
  return Rate(static_cast<std::int64_t>(CeilRate(rate.raw(), kRateScale - discount)));
}

Quote TakerFee(const MarketFees& f, const Schedule& s, std::uint32_t tier, int128 notional) {
  const int128 fee = CeilRate(notional, EffectiveRate(f.taker_fee, s, tier).raw());
  return fee > kMaxI64 ? Quote::Max() : Quote(static_cast<std::int64_t>(fee));
}

FillFees ForFill(const MarketFees& f, const Schedule& s, std::uint32_t taker_tier,
                 std::uint32_t maker_tier, bool has_referrer, int128 notional) {
  FillFees out;
  out.taker = Narrow(CeilRate(notional, EffectiveRate(f.taker_fee, s, taker_tier).raw()));
  const std::int64_t maker_rate = EffectiveRate(f.maker_fee, s, maker_tier).raw();
  out.maker = Narrow(maker_rate >= 0 ? CeilRate(notional, maker_rate)
                                     : -FloorRate(notional, -maker_rate));
  if (has_referrer) out.referrer = Narrow(FloorRate(out.taker, s.referrer_share.raw()));
  out.pool = out.taker - out.referrer + out.maker;
  PERPCORE_DCHECK(out.pool >= 0);
  return out;
}

}  // namespace fees
PERPCORE_NAMESPACE_END
