// Tiered margin requirements and the closed-form liquidation price.
//
// Amounts carry the Rate scale until the last step: a requirement is first
// the exact int128 n * rate_raw - deduction (Quote atoms * 1e-18), and only
// then divided by 10^18 and rounded. The liquidation price is likewise an
// exact ratio of two such scaled amounts, rounded once. Magnitudes, with
// n, floors < 2^63 and rates < 2^60: products of a notional and a rate stay
// below 2^123, the scaled margin of two int64 quotes below 2^125.
#include "perpcore/risk/margin.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "perpcore/detail/config.hpp"
#include "perpcore/detail/status_macros.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {
namespace {

using absl::int128;

constexpr int128 kScale = kRateScale;

// floor(num / den) and ceil(num / den) for den > 0. int128 division
// truncates toward zero, so the quotient moves by one when the remainder is
// non-zero and on the far side of zero; den > 0 rules out INT128_MIN / -1.
int128 FloorDiv(int128 num, int128 den) {
  const int128 q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}
int128 CeilDiv(int128 num, int128 den) {
  const int128 q = num / den;
  return (num % den != 0 && num > 0) ? q + 1 : q;
}

// A requirement in Quote atoms from its exact scaled value, rounded up.
// Callers pass 0 <= scaled <= n * 10^18 for a notional n that is an int64,
// so the result fits.
Quote RequirementFromScaled(int128 scaled) {
  const int128 atoms = CeilDiv(scaled, kScale);
  PERPCORE_CHECK(atoms >= 0 && atoms <= std::numeric_limits<std::int64_t>::max());
  return Quote(static_cast<std::int64_t>(atoms));
}

// The initial rate of leverage l (1..kMaxLeverage): 1/l rounded up to
// 1e-18, the value RateFromRatio(1, l, Round::kUp) returns. Tabulated once,
// because margin checks ask for it on every order.
struct LeverageRates {
  int128 rate[kMaxLeverage + 1] = {};
  LeverageRates() {
    for (std::uint32_t l = 1; l <= kMaxLeverage; ++l) rate[l] = CeilDiv(kScale, l);
  }
};
int128 InitialRateRaw(std::uint32_t l) {
  static const LeverageRates table;
  return table.rate[l];
}

absl::Status TierError(std::size_t tier, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("tier ", tier, ": ", what));
}

}  // namespace

absl::Status TierTable::Validate(std::span<const MarginTier> tiers) {
  if (tiers.empty() || tiers.size() > kMaxTiers) {
    return absl::InvalidArgumentError(
        absl::StrCat("TierTable: need 1..", kMaxTiers, " tiers, got ", tiers.size()));
  }
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const MarginTier& t = tiers[i];
    if (i == 0 && t.notional_floor.raw() != 0) {
      return TierError(i, absl::StrCat("notional_floor must be 0, got ", t.notional_floor.raw()));
    }
    if (i > 0 && t.notional_floor <= tiers[i - 1].notional_floor) {
      return TierError(i, absl::StrCat("notional_floor must exceed tier ", i - 1, "'s (",
                                       t.notional_floor.raw(), " <= ",
                                       tiers[i - 1].notional_floor.raw(), ")"));
    }
    if (t.max_leverage < 1 || t.max_leverage > kMaxLeverage) {
      return TierError(i, absl::StrCat("max_leverage must be in 1..", kMaxLeverage, ", got ",
                                       t.max_leverage));
    }
    if (i > 0 && t.max_leverage > tiers[i - 1].max_leverage) {
      return TierError(i, absl::StrCat("max_leverage must not exceed tier ", i - 1, "'s (",
                                       t.max_leverage, " > ", tiers[i - 1].max_leverage, ")"));
    }
    if (t.maintenance_rate.raw() <= 0) {
      return TierError(i, absl::StrCat("maintenance_rate must be positive, got ",
                                       t.maintenance_rate.raw(), "e-18"));
    }
    if (i > 0 && t.maintenance_rate < tiers[i - 1].maintenance_rate) {
      return TierError(i, absl::StrCat("maintenance_rate must not be below tier ", i - 1, "'s (",
                                       t.maintenance_rate.raw(), "e-18 < ",
                                       tiers[i - 1].maintenance_rate.raw(), "e-18)"));
    }
    // mmr < 1/L  <=>  mmr * L < 1, exactly: compared against 1/L itself, not
    // its rounded Rate, so a rate equal to 1/L (e.g. 1/3 rounded up) fails.
    if (int128(t.maintenance_rate.raw()) * t.max_leverage >= kScale) {
      return TierError(i, absl::StrCat("maintenance_rate must be below 1/max_leverage (",
                                       t.maintenance_rate.raw(), "e-18 >= 1/",
                                       t.max_leverage, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TierTable> TierTable::Create(std::span<const MarginTier> tiers) {
  PERPCORE_RETURN_IF_ERROR(Validate(tiers));
  TierTable table;
  table.tiers_.assign(tiers.begin(), tiers.end());
  table.mm_deduction_.reserve(tiers.size());
  table.tier_rate_.reserve(tiers.size());
  table.im_deduction_.reserve(tiers.size());
  int128 mm = 0, im = 0;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const int128 rate = InitialRateRaw(tiers[i].max_leverage);
    if (i > 0) {
      mm += int128(tiers[i].notional_floor.raw()) *
            (tiers[i].maintenance_rate.raw() - tiers[i - 1].maintenance_rate.raw());
      im += int128(tiers[i].notional_floor.raw()) * (rate - table.tier_rate_.back());
    }
    table.mm_deduction_.push_back(mm);
    table.tier_rate_.push_back(rate);
    table.im_deduction_.push_back(im);
  }
  return table;
}

std::size_t TierTable::Tier(Quote notional) const {
  PERPCORE_CHECK(!tiers_.empty());
  PERPCORE_CHECK(notional.raw() >= 0);
  // The first tier whose floor is above n, minus one; tier 0's floor is 0.
  const auto above = std::upper_bound(
      tiers_.begin(), tiers_.end(), notional,
      [](Quote n, const MarginTier& t) { return n < t.notional_floor; });
  return static_cast<std::size_t>(above - tiers_.begin()) - 1;
}

Quote TierTable::Maintenance(Quote notional) const {
  return RequirementFromScaled(MaintenanceScaled(notional));
}

absl::int128 TierTable::MaintenanceScaled(Quote notional) const {
  const std::size_t i = Tier(notional);
  return int128(notional.raw()) * tiers_[i].maintenance_rate.raw() - mm_deduction_[i];
}

// With u = 1/L and t_j the tiers' own rates (non-decreasing), the rate of
// tier j is max(u, t_j). Below k, the first tier with t_k > u, every rate is
// u and nothing is deducted; from k on the deduction telescopes to
//     floor_k * (t_k - u) + (C_i - C_k),   C_i = sum_{j<=i} floor_j (t_j - t_{j-1}),
// so one binary search replaces the walk over the tiers.
absl::int128 TierTable::InitialScaled(Quote notional, std::uint32_t leverage) const {
  PERPCORE_CHECK(leverage >= 1 && leverage <= kMaxLeverage);
  PERPCORE_CHECK(notional.raw() >= 0);
  const int128 u = InitialRateRaw(leverage);
  const int128 n = notional.raw();
  // Most positions sit in the first tier, where the rate is max(u, t_0).
  if (tiers_.size() == 1 || notional < tiers_[1].notional_floor) return n * std::max(u, tier_rate_[0]);
  const std::size_t i = Tier(notional);
  const auto first_above = std::upper_bound(tier_rate_.begin(), tier_rate_.end(), u);
  const std::size_t k = static_cast<std::size_t>(first_above - tier_rate_.begin());
  if (i < k) return n * u;
  const int128 deduction = int128(tiers_[k].notional_floor.raw()) * (tier_rate_[k] - u) +
                           (im_deduction_[i] - im_deduction_[k]);
  return n * tier_rate_[i] - deduction;
}

Quote TierTable::Initial(Quote notional, std::uint32_t leverage) const {
  return RequirementFromScaled(InitialScaled(notional, leverage));
}

std::uint32_t TierTable::MaxLeverage() const {
  PERPCORE_CHECK(!tiers_.empty());
  return tiers_[0].max_leverage;
}

absl::int128 TierTable::MaintenanceDeduction(std::size_t tier) const {
  PERPCORE_CHECK(tier < mm_deduction_.size());
  return mm_deduction_[tier];
}

// With margin = other_equity - other_maintenance, n the position's notional
// and everything scaled by 10^18, equity minus requirement in tier i is
//     long:  margin*S + n*S - (n*mmr_i - D_i)
//     short: margin*S - n*S - (n*mmr_i - D_i),
// the first rising and the second falling in n (mmr_i < S). Its root is the
// notional n* = num_i / den_i with
//     long:  num_i = -margin*S - D_i,  den_i = S - mmr_i
//     short: num_i =  margin*S + D_i,  den_i = S + mmr_i,
// and the price P* = n* / (|s| * m). Liquidatable is "equity < requirement"
// with the requirement rounded up; since equity is a whole number of atoms,
// that is the same as "equity < exact requirement", so the exact root
// decides and only the price is rounded.
//
// The root lies in tier i iff floor_i <= n* < floor_{i+1}. Trying tiers in
// order, the lower bound holds by the time tier i is tried (the continuity
// of the requirement makes tier i-1's upper test and tier i's lower test the
// same inequality), so only the upper one is checked.
//
// |s| * m * den_i can reach 2^186, so the price is divided in two steps:
// ceil(ceil(a / b) / c) == ceil(a / (b * c)) for b, c > 0, and likewise for
// floor. |s| * m < 2^126 fits.
absl::StatusOr<LiquidationPrice> ComputeLiquidationPrice(const TierTable& table,
                                                         const LiquidationInput& in) {
  const std::span<const MarginTier> tiers = table.tiers();
  if (tiers.empty()) {
    return absl::InvalidArgumentError("ComputeLiquidationPrice: empty tier table");
  }
  if (in.size.raw() == 0) {
    return absl::InvalidArgumentError("ComputeLiquidationPrice: size must not be 0");
  }
  if (in.atoms_per_tick_lot < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ComputeLiquidationPrice: atoms_per_tick_lot must be >= 1, got ", in.atoms_per_tick_lot));
  }
  if (in.other_maintenance.raw() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ComputeLiquidationPrice: other_maintenance must be >= 0, got ",
                     in.other_maintenance.raw()));
  }
  const bool is_long = in.size.raw() > 0;
  const int128 margin = int128(in.other_equity.raw()) - in.other_maintenance.raw();
  // Equity minus requirement at price 0 is `margin`, and from there it only
  // rises for a long and only falls for a short: a long not short of margin
  // at 0 never is, and a short already short of it at 0 always is.
  if (is_long && margin >= 0) return LiquidationPrice{};
  if (!is_long && margin < 0) return LiquidationPrice{.always = true};

  const int128 lots = is_long ? int128(in.size.raw()) : -int128(in.size.raw());
  const int128 atoms_per_tick = lots * in.atoms_per_tick_lot;
  const int128 sign = is_long ? -1 : 1;
  std::size_t i = 0;
  int128 num = 0;
  int128 den = 0;
  for (;; ++i) {
    const int128 rate = tiers[i].maintenance_rate.raw();
    num = sign * (margin * kScale + table.MaintenanceDeduction(i));
    den = is_long ? kScale - rate : kScale + rate;
    if (i + 1 == tiers.size() || num < int128(tiers[i + 1].notional_floor.raw()) * den) break;
  }

  if (is_long) {
    PERPCORE_ASSIGN_OR_RETURN(const std::int64_t price,
                              DivRound(CeilDiv(num, den), atoms_per_tick, Round::kUp));
    return LiquidationPrice{.price = Ticks(price), .tier = i};
  }
  // num >= 0 here, so the price is too; 0 means no tick of 1 or more is safe.
  PERPCORE_ASSIGN_OR_RETURN(const std::int64_t price,
                            DivRound(FloorDiv(num, den), atoms_per_tick, Round::kDown));
  if (price == 0) return LiquidationPrice{.always = true};
  return LiquidationPrice{.price = Ticks(price), .tier = i};
}

}  // namespace risk
PERPCORE_NAMESPACE_END
